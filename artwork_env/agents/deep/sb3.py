"""stable-baselines3 agents behind the project's agent interface.

`ppo`, `a2c` (MultiInputPolicy on the Dict observation, MultiDiscrete page action),
`slot_ppo` (PPO crediting each slot with its own share of the reward,
`artwork_env.agents.deep.slot_ppo`),
`maskable_ppo` (sb3-contrib, masks the missing artworks), `recurrent_ppo` (sb3-contrib,
an LSTM policy for the member-lifetime env) and `dqn` (on `SlotDecisionVecEnv`: a page is
K Discrete(M) decisions). `learn` trains them through SB3's own loop on the native vector
env (`ArtworkSB3VecEnv` with the rows' `title_ids`, plus the candidates' feature map of
`artwork_env.agents.deep.feature_obs`; the policies score candidates with
`artwork_env.agents.deep.networks`) and reports every page shown through a callback, so the
harness logs them in the same TensorBoard vocabulary as the bandits. Each agent's
hyperparameters are a typed configuration (`artwork_env.agents.deep.sb3_config`) whose
defaults `artwork_env/agents/hyperparams.yaml` overrides per env id; keyword arguments
override both.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from sb3_contrib import MaskablePPO, RecurrentPPO
from sb3_contrib.common.maskable.policies import MaskableMultiInputActorCriticPolicy
from sb3_contrib.common.recurrent.policies import RecurrentMultiInputActorCriticPolicy
from stable_baselines3 import A2C, DQN, PPO
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.logger import Logger, make_output_format
from stable_baselines3.common.policies import MultiInputActorCriticPolicy
from stable_baselines3.common.vec_env import VecEnv

from artwork_env.agents.base import (
    Agent,
    Observation,
    ProblemSpec,
    TrainingEnv,
    VisitReport,
    slot_feedback,
)
from artwork_env.agents.deep.feature_obs import CandidateFeatureVecEnv, with_features
from artwork_env.agents.deep.networks import CandidateScorer, scores_as_logits, scores_past_the_lstm
from artwork_env.agents.deep.sb3_config import (
    SCORER_KEYS,
    A2CConfig,
    DQNConfig,
    PPOConfig,
    SB3Config,
    SlotPPOConfig,
)
from artwork_env.agents.deep.slot_decisions import (
    SlotDecisionVecEnv,
    allowed_choice,
    slot_observation,
)
from artwork_env.agents.deep.slot_ppo import SlotPPO, per_slot_values
from artwork_env.agents.hyperparams import TunedPerEnv, with_schedules
from artwork_env.envs.sb3 import ArtworkSB3VecEnv

MODEL_FILE, META_FILE = "model.zip", "agent.json"  # what `save` writes into its folder


def resolve_device(device: str) -> str:
    """`auto` means the CPU: SB3 advises it for MLP policies, which all of these are."""
    if device not in ("auto", "cpu", "cuda"):
        raise ValueError(f"device must be auto, cpu or cuda, got {device!r}")
    return "cpu" if device == "auto" else device


SB3_PREFIX = "sb3/"


class PrefixedLogger(Logger):
    """SB3's logger with every key under `SB3_PREFIX` (`sb3/train/loss`, `sb3/time/fps`), so
    SB3's own scalars get a section of their own in TensorBoard instead of sharing the
    harness's `train/` charts."""

    def record(self, key: str, value: Any, exclude: str | tuple[str, ...] | None = None) -> None:
        """Record `value` under the prefixed `key`."""
        super().record(SB3_PREFIX + key, value, exclude)

    def record_mean(self, key: str, value: Any,
                    exclude: str | tuple[str, ...] | None = None) -> None:
        """Record the running mean of `value` under the prefixed `key`."""
        super().record_mean(SB3_PREFIX + key, value, exclude)


def sb3_logger(log_dir: str | None) -> Logger:
    """SB3's own logs as TensorBoard events in `log_dir`, every tag under `sb3/`, or nowhere
    when it is None (left to itself, SB3's `learn` would make an empty `SB3-<time>` folder
    in the temp directory on every run)."""
    if log_dir is None:
        return Logger(None, [])
    return PrefixedLogger(log_dir, [make_output_format("tensorboard", log_dir)])


class VisitCallback(BaseCallback):
    """Reports every page SB3's loop shows (for slot-by-slot DQN: pages, not decisions) to a
    `VisitReport`; stops training when it says so."""

    def __init__(self, venv: ArtworkSB3VecEnv, report: VisitReport) -> None:
        super().__init__()
        self.venv, self.report = venv, report
        self.seen_visits = venv.visits

    def _on_step(self) -> bool:
        if self.venv.visits == self.seen_visits:  # a mid-page decision: no page shown yet
            return True
        self.seen_visits = self.venv.visits
        return self.report(self.venv.last_reward, self.venv.last_done, self.venv.last_info)


class SB3Agent(TunedPerEnv, Agent):
    """An SB3 algorithm as an `Agent`: `learn` through SB3's loop, greedy or sampled `act`."""

    algorithm: ClassVar[type[BaseAlgorithm]]
    config_class: ClassVar[type[SB3Config]] = PPOConfig
    config: SB3Config
    policy: ClassVar[str] = "MultiInputPolicy"
    slot_decisions: ClassVar[bool] = False
    net_arch: ClassVar[Any] = {"pi": [], "vf": [64]}  # logits straight from the scores

    def __init__(self, spec: ProblemSpec, seed: int = 0, device: str = "auto",
                 **hyperparameters: Any) -> None:
        super().__init__(spec, seed, **hyperparameters)
        self.device = resolve_device(device)
        self.model: BaseAlgorithm | None = None
        self._state: Any = None
        self._training: tuple[TrainingEnv, ArtworkSB3VecEnv] | None = None
        self._env_meta: dict[str, Any] = {}

    def hyperparameters(self) -> dict[str, Any]:
        """The configuration and the device."""
        return {**self.config.to_dict(), "device": self.device}

    def build(self, venv: ArtworkSB3VecEnv, sb3_log_dir: str | None = None) -> None:
        """Create the SB3 model on `venv`; SB3's own logs go to `sb3_log_dir`.

        The policy reads the page through `CandidateScorer` (one network shared by every
        candidate artwork) unless `policy_kwargs` says otherwise.
        """
        env = self._wrap(venv)
        kwargs = with_schedules(self.config.algorithm_kwargs())
        kwargs.setdefault("policy_kwargs", {
            "features_extractor_class": CandidateScorer,
            "features_extractor_kwargs": self.config.scorer(),
            "net_arch": self.net_arch})
        self.model = self.algorithm(self.policy_class(), env, seed=self.seed,
                                    device=self.device, verbose=0, **kwargs,
                                    **self.algorithm_inputs())
        self.model.set_logger(sb3_logger(sb3_log_dir))

    def _adopt_scorer_shape(self, saved: object, source: Path) -> None:
        """Take the candidate scorer's shape (`SCORER_KEYS`) from the saved agent's
        hyperparameters, so the weights fit whatever this agent was made with."""
        if not isinstance(saved, dict):
            raise ValueError(f"{source}: unreadable agent metadata (no hyperparameters)")
        before = SB3Config()  # an agent saved without them had the scorer's own defaults
        shape = {key: saved.get(key, getattr(before, key)) for key in SCORER_KEYS}
        try:
            self.config = replace(self.config, **shape)
        except ValueError as error:
            raise ValueError(f"{source}: {error}") from None

    def _wrap(self, venv: ArtworkSB3VecEnv) -> VecEnv:
        """What the model trains on: the page env with the candidates' features, as K
        slot decisions for `slot_decisions` agents."""
        env: VecEnv = CandidateFeatureVecEnv(venv, self.spec)
        return SlotDecisionVecEnv(env) if self.slot_decisions else env

    def policy_class(self) -> Any:
        """The SB3 policy (a name, or a class)."""
        return self.policy

    def algorithm_inputs(self) -> dict[str, Any]:
        """Arguments the algorithm needs besides its hyperparameters (none by default)."""
        return {}

    def prepare(self, env: TrainingEnv) -> None:
        """Make the training env (`ArtworkSB3VecEnv`, reset with `env`'s member streams)
        and build the model on it, or, after `load`, move the model onto it; SB3's logs go
        to `env.log_dir`."""
        venv = ArtworkSB3VecEnv(env.env_id, env.num_envs, title_ids=True, **env.env_kwargs)
        self._env_meta = {"env_id": env.env_id, "num_envs": env.num_envs,
                          "env_kwargs": dict(env.env_kwargs)}
        if self.model is None:
            self.build(venv, env.log_dir)
        else:
            self.model.set_env(self._wrap(venv))
            self.model.set_logger(sb3_logger(env.log_dir))
        # after the model: SB3 seeds its env with seed + i when it is built
        venv.seed_streams(env.member_seeds, env.reset_options)
        self._training = (env, venv)

    def learn(self, env: TrainingEnv, visits: int, report: VisitReport) -> None:
        """Train for `visits` more pages with SB3's own loop on the env `prepare` made
        (prepared now if it was not)."""
        if self._training is None or self._training[0] != env:
            self.prepare(env)
        venv = self._training[1]
        decisions = visits * (self.spec.n_slots if self.slot_decisions else 1)
        if decisions > 0:
            self.model.learn(decisions, callback=VisitCallback(venv, report), log_interval=1,
                             reset_num_timesteps=False)

    def update(self, obs: Observation, actions: np.ndarray, reward: np.ndarray,
               info: dict[str, Any]) -> None:
        """Not supported: SB3 agents learn from their own rollouts (`learn`) only."""
        raise NotImplementedError(
            f"{self.name} learns only from its own rollouts (learn()), not from visits "
            f"chosen elsewhere (logged data, another policy's choices)")

    def act(self, obs: Observation, explore: bool = True) -> np.ndarray:
        """(N, K) artworks from the policy (deterministic when `explore` is False)."""
        env_obs = self._env_obs(obs)
        actions, _ = self.model.predict(env_obs, deterministic=not explore)
        return np.asarray(actions).reshape(obs["action_mask"].shape[:2])

    def _env_obs(self, obs: Observation) -> Observation:
        """The part of the agent observation the model reads (the env's arrays and
        `title_ids`, not `episode_start`); the model must exist."""
        if self.model is None:
            raise RuntimeError(f"{self.name}: call prepare(env), learn() or load(path) "
                               "before act()")
        obs = with_features(self.spec, obs)
        return {k: v for k, v in obs.items() if k in self.model.observation_space.spaces}

    def __getstate__(self) -> dict[str, Any]:
        """What pickling sends (to a worker process, say): the agent with its model as the
        bytes `save` writes, without the training env (SB3's model holds it, and it does not
        pickle)."""
        state = self.__dict__.copy()
        state["_training"] = None
        if self.model is not None:
            with tempfile.TemporaryDirectory() as folder:
                self.save(folder)
                state["model"] = {name: (Path(folder) / name).read_bytes()
                                  for name in (MODEL_FILE, META_FILE)}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Rebuild the agent from `__getstate__`'s state: the model through `load`."""
        saved = state.pop("model")
        self.__dict__.update(state)
        self.model = None
        if saved is not None:
            with tempfile.TemporaryDirectory() as folder:
                for name, data in saved.items():
                    (Path(folder) / name).write_bytes(data)
                self.load(folder)

    def save(self, path: str | Path) -> None:
        """Write the SB3 model (`model.zip`) and the agent's metadata (`agent.json`: name,
        hyperparameters, the env it trains in) into the folder `path`."""
        if self.model is None:
            raise RuntimeError(f"{self.name}: nothing to save before learn() or load()")
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        self.model.save(path / MODEL_FILE)
        meta = {"name": self.name, "seed": self.seed, "hyperparameters": self.hyperparameters(),
                "env": self._env_meta, "num_timesteps": int(self.model.num_timesteps)}
        (path / META_FILE).write_text(json.dumps(meta, default=str))

    def load(self, path: str | Path) -> None:
        """Load a model written by `save` into the folder `path` (acting at once; `learn`
        goes on training it).

        Safe with files from anyone: the model is rebuilt from this agent's own
        hyperparameters and the env named in `agent.json` (plain JSON), and only the network
        weights are read from `model.zip` (`torch.load(weights_only=True)` through SB3's
        `set_parameters`); the pickled objects SB3 also writes into the zip are never
        unpickled.
        """
        path = Path(path)
        if not (path / META_FILE).is_file() or not (path / MODEL_FILE).is_file():
            raise ValueError(f"{path}: no saved {self.name} agent ({MODEL_FILE}, {META_FILE})")
        try:
            meta = json.loads((path / META_FILE).read_text())
            env_meta = meta["env"]
            env_id, num_envs = str(env_meta["env_id"]), int(env_meta["num_envs"])
            env_kwargs = dict(env_meta["env_kwargs"])
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{path / META_FILE}: unreadable agent metadata ({error})") from None
        if meta.get("name") != self.name:
            raise ValueError(f"{path} holds a {meta.get('name')!r} agent, not {self.name!r}")
        self._adopt_scorer_shape(meta.get("hyperparameters"), path / META_FILE)
        self.build(ArtworkSB3VecEnv(env_id, num_envs, title_ids=True, **env_kwargs))
        self.model.set_parameters(str(path / MODEL_FILE), exact_match=True, device=self.device)
        self.model.num_timesteps = int(meta.get("num_timesteps", 0))
        self._env_meta = env_meta
        self._training = None  # `prepare` or `learn` move it onto their env


class ScoreLogitsAgent(SB3Agent):
    """Actor-critic agents whose page logits are the candidate scores (`ScoreLogits`)."""

    policy_base: ClassVar[type]

    def policy_class(self) -> Any:
        """The actor-critic policy with the candidate scores as logits."""
        return scores_as_logits(self.policy_base)


class PPOAgent(ScoreLogitsAgent):
    """Proximal Policy Optimisation (SB3) over the whole page (MultiDiscrete)."""

    name = "ppo"
    algorithm = PPO
    policy_base = MultiInputActorCriticPolicy


class SlotPPOAgent(ScoreLogitsAgent):
    """PPO whose advantages are per slot (`artwork_env.agents.deep.slot_ppo`): each artwork
    choice is credited with its own slot's share of the reward, as the bandits are, instead of the
    whole page's; with gamma > 0 the rest of the lifetime is credited to the page, every
    slot alike."""

    name = "slot_ppo"
    algorithm = SlotPPO
    config_class = SlotPPOConfig
    policy_base = MultiInputActorCriticPolicy

    def policy_class(self) -> Any:
        """The score-logits policy with per-slot log-probabilities and values."""
        return per_slot_values(super().policy_class())

    def algorithm_inputs(self) -> dict[str, Any]:
        """How a visit's info becomes the slots' reward shares (this agent's reward)."""
        return {"feedback": partial(slot_feedback, self.spec)}


class A2CAgent(ScoreLogitsAgent):
    """Advantage Actor-Critic (SB3) over the whole page (MultiDiscrete)."""

    name = "a2c"
    algorithm = A2C
    config_class = A2CConfig
    policy_base = MultiInputActorCriticPolicy


class MaskablePPOAgent(ScoreLogitsAgent):
    """PPO with invalid-action masking (sb3-contrib): never picks a missing artwork."""

    name = "maskable_ppo"
    algorithm = MaskablePPO
    policy_base = MaskableMultiInputActorCriticPolicy

    def act(self, obs: Observation, explore: bool = True) -> np.ndarray:
        """Masked policy actions."""
        env_obs = self._env_obs(obs)
        masks = obs["action_mask"].reshape(len(obs["action_mask"]), -1).astype(bool)
        actions, _ = self.model.predict(env_obs, deterministic=not explore, action_masks=masks)
        return np.asarray(actions).reshape(obs["action_mask"].shape[:2])


class RecurrentPPOAgent(SB3Agent):
    """PPO with an LSTM policy (sb3-contrib): it can carry a member's history across visits."""

    name = "recurrent_ppo"
    algorithm = RecurrentPPO
    net_arch = {"pi": [], "vf": [64]}  # logits: the scores (past the LSTM) + memory

    def policy_class(self) -> Any:
        """The LSTM policy whose candidate scores reach the logits past the LSTM."""
        return scores_past_the_lstm(RecurrentMultiInputActorCriticPolicy)

    def act(self, obs: Observation, explore: bool = True) -> np.ndarray:
        """Policy actions; the LSTM state restarts where `obs["episode_start"]` says."""
        env_obs = self._env_obs(obs)
        n = len(obs["action_mask"])
        start = obs.get("episode_start", np.ones(n, dtype=bool))
        if self._state is not None and self._state[0].shape[1] != n:
            self._state = None
        actions, self._state = self.model.predict(env_obs, state=self._state,
                                                  episode_start=start,
                                                  deterministic=not explore)
        return np.asarray(actions).reshape(obs["action_mask"].shape[:2])


class DQNAgent(SB3Agent):
    """Deep Q-learning (SB3) on K consecutive Discrete(M) decisions per page."""

    name = "dqn"
    algorithm = DQN
    config_class = DQNConfig
    slot_decisions = True
    net_arch = []  # Q-values straight from the current slot's scores

    def act(self, obs: Observation, explore: bool = True) -> np.ndarray:
        """Slot by slot, each decision seeing the choices before it."""
        env_obs = self._env_obs(obs)
        n, n_slots, _ = obs["action_mask"].shape
        chosen = np.full((n, n_slots), -1, dtype=np.int64)
        for slot in range(n_slots):
            choice, _ = self.model.predict(slot_observation(env_obs, slot, chosen),
                                           deterministic=not explore)
            chosen[:, slot] = allowed_choice(env_obs, slot, choice)
        return chosen
