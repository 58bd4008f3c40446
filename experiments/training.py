"""Training runs of any agent, logged to TensorBoard in one vocabulary.

`train_run` is the library function behind `scripts/train.py`: it trains one agent on one
env with one seed (`Agent.learn`, whatever the agent), evaluates it greedily every
`eval_every` visits on a fixed held-out set of members, and writes the run directory
(event files, `config.json`, the checkpointed agent). Tags: `experiments.vocabulary`.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from torch.utils.tensorboard import SummaryWriter
from torch.utils.tensorboard.summary import hparams
from tqdm import tqdm

import artwork_env  # noqa: F401  (registers the environments)
from agents.base import Agent, ProblemSpec, TrainingEnv
from agents.registry import agent_class, make_agent
from artwork_env.vector_env import make_vector
from experiments.evaluation import evaluate
from experiments.vocabulary import (
    AGENT_DIR,
    CUSTOM_SCALARS_LAYOUT,
    EVAL_TAGS,
    run_label,
)


@dataclass
class RunConfig:
    """Everything that defines one training run."""

    env_id: str = "ArtworkBandit-v0"
    agent: str = "linucb"
    seed: int = 0
    visits: int = 30_000
    eval_every: int = 5_000
    eval_members: int = 2_000
    num_envs: int = 16
    logdir: str = "runs"
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    agent_kwargs: dict[str, Any] = field(default_factory=dict)
    device: str = "auto"
    variant: str = ""
    """A label for a grid point (`--grid`): runs of one agent with other parameters."""
    progress: bool = True
    progress_position: int = 0


@dataclass
class RunResult:
    """Final numbers of a run (the last evaluation) and where it was written."""

    env_id: str
    agent: str
    seed: int
    reference: bool
    visits: int
    run_dir: str
    metrics: dict[str, float]
    cumulative_regret: float
    seconds: float


def new_run_dir(logdir: str | Path, env_id: str, agent: str, seed: int) -> Path:
    """`{logdir}/{env}__{agent}__{seed}__{timestamp}`, never an existing directory."""
    label = agent.replace(":", ".")  # a user's module:Class agent; colons in folder names
    base = Path(logdir) / f"{env_id}__{label}__{seed}__{int(time.time())}"
    path, suffix = base, 1
    while True:
        try:
            path.mkdir(parents=True, exist_ok=False)
            return path
        except FileExistsError:
            path = base.with_name(f"{base.name}-{suffix}")
            suffix += 1


class TrainWindow:
    """Training statistics since the last log, and the running cumulative regret."""

    def __init__(self, n_members: int) -> None:
        self.episode_return = np.zeros(n_members)
        self.cumulative_regret = 0.0
        self.clear()

    def clear(self) -> None:
        """Start a new window."""
        self.visits = self.reward = self.regret = 0.0
        self.plays = self.bounces = self.impressions = 0.0
        self.returns: list[float] = []

    def add(self, reward: np.ndarray, ended: np.ndarray, info: dict[str, Any]) -> None:
        """Account one batched visit."""
        self.visits += len(reward)
        self.reward += float(reward.sum())
        regret = float(info["regret"].sum())
        self.regret += regret
        self.cumulative_regret += regret
        self.plays += float(info["n_plays"].sum())
        self.bounces += float(info["n_bounces"].sum())
        self.impressions += float(info["n_impressions"].sum())
        self.episode_return += reward
        self.returns.extend(self.episode_return[ended].tolist())
        self.episode_return[ended] = 0.0

    def metrics(self) -> dict[str, float]:
        """The `train/*` scalars of this window."""
        out = {
            "train/take_rate": self.plays / self.impressions,
            "train/reward": self.reward / self.visits,
            "train/regret": self.regret / self.visits,
            "train/cumulative_regret": self.cumulative_regret,
            "train/bounce_rate": self.bounces / self.impressions,
        }
        if self.returns:
            out["train/return"] = float(np.mean(self.returns))
        return out


def write_hparams(writer: SummaryWriter, config: RunConfig, agent: Agent) -> None:
    """Record the run's hyperparameters for TensorBoard's HPARAMS view (metrics: eval/*)."""
    values: dict[str, Any] = {"env": config.env_id, "agent": config.agent, "seed": config.seed,
                              "visits": config.visits, "num_envs": config.num_envs,
                              "reference": agent.reference}
    for prefix, params in (("agent.", agent.hyperparameters()), ("env.", config.env_kwargs)):
        for key, value in params.items():
            values[prefix + key] = value if isinstance(value, (int, float, str, bool)) \
                else str(value)
    for summary in hparams(values, {tag: 0.0 for tag in EVAL_TAGS}):
        writer.file_writer.add_summary(summary)


class Trainer:
    """The bookkeeping every run shares, whoever drives the visits (`Agent.learn`: the
    rollout loop, or SB3's own loop through its callback): the train window, the logging and
    evaluation cadence, checkpoints, the progress bar. `after_visits` is the report every
    agent calls."""

    def __init__(self, config: RunConfig, agent: Agent, eval_env: Any, run_dir: Path,
                 resume: dict[str, Any] | None = None) -> None:
        self.config, self.agent, self.eval_env, self.run_dir = config, agent, eval_env, run_dir
        self.window = TrainWindow(config.num_envs)
        self.log_every = max(config.num_envs, config.eval_every // 5)
        if resume is None:
            self.writer = SummaryWriter(str(run_dir))
            write_hparams(self.writer, config, agent)
            self.writer.add_custom_scalars(CUSTOM_SCALARS_LAYOUT)
            self.visits = 0
            self.next_log, self.next_eval = self.log_every, config.eval_every
            self.metrics = self.evaluate()
        else:  # go on where the last checkpoint left off, in the same run directory
            self.visits = resume["visits"]
            self.next_log, self.next_eval = resume["next_log"], resume["next_eval"]
            self.window.cumulative_regret = resume["cumulative_regret"]
            self.metrics = resume["metrics"]
            # drop whatever was logged after the checkpoint, so curves do not fold back
            self.writer = SummaryWriter(str(run_dir), purge_step=self.visits + 1)
        self.bar = tqdm(total=config.visits, desc=f"{config.agent} seed {config.seed}",
                        unit="visit", position=config.progress_position,
                        disable=not config.progress, leave=False)

    @property
    def done(self) -> bool:
        """The visit budget is spent."""
        return self.visits >= self.config.visits

    def evaluate(self) -> dict[str, float]:
        """Evaluate on the held-out members and log it at the current visit count."""
        self.metrics = evaluate(self.agent, self.eval_env)
        _log(self.writer, self.metrics, self.visits)
        return self.metrics

    def after_visits(self, reward: np.ndarray, ended: np.ndarray, info: dict[str, Any]) -> bool:
        """Account a batched visit; log, evaluate and checkpoint when due; False once the
        budget is spent (an `agents.base.VisitReport`)."""
        self.window.add(reward, ended, info)
        self.visits += len(reward)
        self.bar.update(len(reward))
        if self.visits >= self.next_log:
            _log(self.writer, self.window.metrics(), self.visits)
            self.window.clear()
            self.next_log += self.log_every
        if self.visits >= self.next_eval or self.done:
            self.evaluate()
            self.next_eval += self.config.eval_every
            self.checkpoint()
        return not self.done

    def checkpoint(self) -> None:
        """Save the agent and the run's progress, flush the event files (also on interruption).

        `state.json` is written last and atomically: a resumed run starts from the agent
        and the visit count of the same checkpoint.
        """
        self.agent.save(self.run_dir / AGENT_DIR)
        self.writer.flush()
        state = {"visits": self.visits, "next_log": self.next_log, "next_eval": self.next_eval,
                 "cumulative_regret": self.window.cumulative_regret, "metrics": self.metrics}
        tmp = self.run_dir / "state.json.tmp"
        tmp.write_text(json.dumps(state))
        tmp.replace(self.run_dir / "state.json")

    def close(self) -> None:
        """Final checkpoint; close the bar and the writer."""
        self.bar.close()
        self.checkpoint()
        self.writer.close()


def build_agent(config: RunConfig, spec: ProblemSpec, masks_vary: bool = False) -> Agent:
    """The agent of a run: its defaults for the env id (tuned agents: `agents/hyperparams.yaml`
    and the device), overridden by `agent_kwargs`. `ppo` on a world whose titles have
    different numbers of artworks (`masks_vary`) is MaskablePPO, so it never picks a missing
    artwork."""
    name = "maskable_ppo" if config.agent == "ppo" and masks_vary else config.agent
    defaults = agent_class(name).default_hyperparameters(config.env_id, config.device)
    return make_agent(name, spec, config.seed, **{**defaults, **config.agent_kwargs})


def run_spec(config: RunConfig) -> tuple[ProblemSpec, bool]:
    """The problem of a run's env and whether its titles have different artwork counts."""
    env = gym.make(config.env_id, **config.env_kwargs)
    counts = env.unwrapped.world.n_artworks
    return ProblemSpec.from_env(env), bool(counts.min() < counts.max())


def train_run(config: RunConfig, resume_dir: str | Path | None = None) -> RunResult:
    """Train one agent on one env with one seed; log, evaluate, save; return final numbers.

    Checkpoints (agent, progress) are written at every evaluation and when the run ends or
    is interrupted (Ctrl-C). With `resume_dir`, a run directory written before goes on from
    its last checkpoint: the same step counter, the same event files, up to
    `config.visits` visits in all, on fresh members.
    """
    start = time.perf_counter()
    eval_env = make_vector(config.env_id, config.eval_members, **config.env_kwargs)
    agent = build_agent(config, *run_spec(config))
    resume = None
    if resume_dir is None:
        run_dir = new_run_dir(config.logdir, config.env_id,
                              run_label(config.agent, config.variant), config.seed)
        (run_dir / "config.json").write_text(json.dumps(
            {**asdict(config), "reference": agent.reference,
             "agent_hyperparameters": agent.hyperparameters(),
             "model_parameters": eval_env.unwrapped.config.to_dict()}, indent=2, default=str))
    else:
        run_dir = Path(resume_dir)
        resume = json.loads((run_dir / "state.json").read_text())
        agent.load(run_dir / AGENT_DIR)
    done = 0 if resume is None else resume["visits"]
    training = TrainingEnv(config.env_id, config.num_envs, config.seed + done,
                           dict(config.env_kwargs), str(run_dir / "sb3"))
    agent.prepare(training)
    trainer = Trainer(config, agent, eval_env, run_dir, resume)
    try:
        agent.learn(training, max(0, config.visits - trainer.visits), trainer.after_visits)
    finally:  # interrupted or not: keep what was learned and logged
        trainer.close()
    return RunResult(config.env_id, config.agent, config.seed, agent.reference,
                     trainer.visits, str(run_dir), trainer.metrics,
                     trainer.window.cumulative_regret, time.perf_counter() - start)


def load_run_config(run_dir: str | Path) -> RunConfig:
    """The `RunConfig` a run directory was written with (its `config.json`)."""
    saved = json.loads((Path(run_dir) / "config.json").read_text())
    names = {f.name for f in fields(RunConfig)}
    return RunConfig(**{key: value for key, value in saved.items() if key in names})


def load_trained_agent(run_dir: str | Path) -> tuple[Agent, RunConfig]:
    """The agent a `scripts/train.py` run saved (its last checkpoint) and the run's config.

    Any agent, ready to act (not to go on training: use `train_run(..., resume_dir)`).
    """
    path = Path(run_dir)
    if not (path / "config.json").is_file():
        raise ValueError(f"{run_dir}: not a run directory of scripts/train.py (no config.json)")
    config = load_run_config(path)
    agent = build_agent(replace(config, device="cpu"), *run_spec(config))
    agent.load(path / AGENT_DIR)
    return agent, config


def _log(writer: SummaryWriter, metrics: dict[str, float], visits: int) -> None:
    for tag, value in metrics.items():
        writer.add_scalar(tag, value, visits)
