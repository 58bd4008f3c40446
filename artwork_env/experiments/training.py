"""Training runs of any agent, logged to TensorBoard in one vocabulary.

`train_run` is the library function behind `scripts/train.py`: it trains one agent on one
env with one seed (`Agent.learn`, whatever the agent), evaluates it greedily every
`eval_every` visits on a fixed held-out set of members, and writes the run directory
(event files, `config.json`, the checkpointed agent). Tags: `artwork_env.experiments.vocabulary`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gymnasium as gym
import numpy as np
from tqdm import tqdm

import artwork_env  # noqa: F401  (registers the environments)
from artwork_env import ENV_IDS, ModelConfig
from artwork_env.agents.base import Agent, ProblemSpec, TrainingEnv
from artwork_env.agents.registry import agent_class, is_agent_name, unknown_parameters
from artwork_env.envs.vector_env import MAX_NUM_ENVS, make_vector
from artwork_env.experiments import interrupts
from artwork_env.experiments.checkpoints import (
    STATE,
    event_file_sizes,
    read_checkpoint,
    rewind_event_files,
    write_checkpoint,
)
from artwork_env.experiments.evaluation import evaluate, first_page, myopic_oracle_return
from artwork_env.experiments.rundir import (
    Refused,
    RunLock,
    integer,
    load_json,
    mapping,
    real,
    refuse_links,
    text,
    write_file,
)
from artwork_env.experiments.vocabulary import (
    AGENT_DIR,
    CUSTOM_SCALARS_LAYOUT,
    EVAL_TAGS,
    PAGE_TAG,
    run_label,
    tagged,
)

if TYPE_CHECKING:
    from torch.utils.tensorboard import SummaryWriter

DEVICES = ("auto", "cpu", "cuda")
_UNKNOWN = object()
"""Not computed yet (`Trainer.oracle_return`)."""


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
    track: str = ""
    """A Weights & Biases project to mirror the run's TensorBoard logs to (`--track`);
    empty: no tracking."""

    @classmethod
    def from_json(cls, saved: object, where: str) -> RunConfig:
        """The config a run directory's `config.json` holds (`saved`, read from `where`),
        every value checked (type, bounds, the model parameters by `ModelConfig`, the agent
        keywords against the agent's parameters); a bad one raises `Refused` naming the
        key. Nothing is imported: an external `module:Class` agent is kept as a name
        (`run_agent_class` resolves it only when the caller names it too)."""
        saved = mapping(saved, where, "the config")
        missing = [name for name in ("env_id", "agent", "seed") if name not in saved]
        if missing:
            raise Refused(f"{where}: {', '.join(missing)} missing")
        known = {f.name: f for f in fields(cls)}
        values = {key: value for key, value in saved.items() if key in known}
        text(values["env_id"], where, "env_id", ENV_IDS)
        agent = text(values["agent"], where, "agent")
        if not is_agent_name(agent):
            raise Refused(f"{where}: agent {agent!r} is neither an agent name nor "
                          "module:Class")
        for name in ("seed", "visits", "progress_position"):
            if name in values:
                integer(values[name], where, name)
        for name in ("eval_every", "eval_members", "num_envs"):
            if name in values:
                integer(values[name], where, name, low=1, high=MAX_NUM_ENVS
                        if name != "eval_every" else None)
        for name in ("logdir", "variant", "track"):
            if name in values:
                text(values[name], where, name)
        if "device" in values:
            text(values["device"], where, "device", DEVICES)
        if "progress" in values and not isinstance(values["progress"], bool):
            raise Refused(f"{where}: progress must be true or false")
        env_kwargs = mapping(values.get("env_kwargs", {}), where, "env_kwargs")
        try:
            ModelConfig.from_kwargs(**env_kwargs)
        except (ValueError, TypeError) as error:
            raise Refused(f"{where}: env_kwargs: {error}") from None
        mapping(values.get("agent_kwargs", {}), where, "agent_kwargs")
        if ":" not in agent:  # (an external agent's keywords are checked once it is named)
            unknown = unknown_parameters(agent_class(agent), values.get("agent_kwargs", {}))
            if unknown:
                raise Refused(f"{where}: agent_kwargs: {agent!r} has no parameter(s) "
                              f"{unknown}")
        return cls(**values)


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

    SUMS = ("visits", "reward", "regret", "plays", "bounces", "impressions")

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
        out = {"take_rate": self.plays / self.impressions, "reward": self.reward / self.visits,
               "regret": self.regret / self.visits,
               "cumulative_regret": self.cumulative_regret,
               "bounce_rate": self.bounces / self.impressions}
        if self.returns:
            out["return"] = float(np.mean(self.returns))
        return tagged("train", out)

    def state(self) -> dict[str, Any]:
        """What a checkpoint keeps of the window (episodes in progress restart on resume)."""
        return {**{name: getattr(self, name) for name in self.SUMS},
                "returns": list(self.returns), "cumulative_regret": self.cumulative_regret}

    def restore(self, state: dict[str, Any]) -> None:
        """Continue from `state()`."""
        for name in self.SUMS:
            setattr(self, name, float(state[name]))
        self.returns = [float(value) for value in state["returns"]]
        self.cumulative_regret = float(state["cumulative_regret"])


def write_hparams(writer: SummaryWriter, config: RunConfig, agent: Agent) -> None:
    """Record the run's hyperparameters for TensorBoard's HPARAMS view.

    Only the session's start and end are written, never an experiment summary: with no
    run claiming to define the experiment, TensorBoard builds its columns from every run's
    hyperparameters and every scalar tag, so a mixed comparison shows linucb's `alpha`
    beside PPO's `learning_rate` and the final `eval/*` and `train/*` values of all."""
    values: dict[str, Any] = {"env": config.env_id, "agent": config.agent, "seed": config.seed,
                              "visits": config.visits, "num_envs": config.num_envs,
                              "reference": agent.reference}
    for prefix, params in (("agent.", agent.hyperparameters()), ("env.", config.env_kwargs)):
        for key, value in params.items():
            values[prefix + key] = value if isinstance(value, (int, float, str, bool)) \
                else str(value)
    from torch.utils.tensorboard.summary import hparams

    _, session_start, session_end = hparams(values, {tag: 0.0 for tag in EVAL_TAGS})
    for summary in (session_start, session_end):
        writer.file_writer.add_summary(summary)


class Trainer:
    """The bookkeeping every run shares, whoever drives the visits (`Agent.learn`: the
    rollout loop, or SB3's own loop through its callback): the train window, the logging and
    evaluation cadence, checkpoints, the progress bar. `after_visits` is the report every
    agent calls.

    Every checkpoint records the event files' lengths after a flush; a resumed run first
    cuts them back to those (`checkpoints.rewind_event_files`), so every step is in the
    event files once, whatever was killed when.
    """

    def __init__(self, config: RunConfig, agent: Agent, eval_env: Any, run_dir: Path,
                 resume: dict[str, Any] | None = None) -> None:
        self.config, self.agent, self.eval_env, self.run_dir = config, agent, eval_env, run_dir
        self.page_env = make_vector(config.env_id, 1, render_mode="rgb_array",
                                    **config.env_kwargs)
        self.window = TrainWindow(config.num_envs)
        self.oracle_return: Any = _UNKNOWN  # the held-out members' myopic oracle, once
        self.log_every = max(config.num_envs, config.eval_every // 5)
        from torch.utils.tensorboard import SummaryWriter  # torch: only once a run starts

        self.writer = SummaryWriter(str(run_dir))
        if resume is None:
            write_hparams(self.writer, config, agent)
            self.writer.add_custom_scalars(CUSTOM_SCALARS_LAYOUT)
            self.visits = 0
            self.next_log, self.next_eval = self.log_every, config.eval_every
            self.metrics = self.evaluate()
            self.checkpoint()  # a run directory can be resumed from its first moment on
        else:  # go on where the last checkpoint left off, in the same run directory
            self.visits = resume["visits"]
            self.next_log, self.next_eval = resume["next_log"], resume["next_eval"]
            self.window.restore(resume["window"])
            self.metrics = resume["metrics"]
            self.checkpointed = self.visits
        self.bar = tqdm(total=config.visits, initial=self.visits,
                        desc=f"{config.agent} seed {config.seed}", unit="visit",
                        position=config.progress_position, disable=not config.progress,
                        leave=False)

    @property
    def done(self) -> bool:
        """The visit budget is spent."""
        return self.visits >= self.config.visits

    def evaluate(self) -> dict[str, float]:
        """Evaluate on the held-out members and log it at the current visit count, with
        the page the agent shows the first held-out member (image `eval/page`)."""
        if self.oracle_return is _UNKNOWN:
            self.oracle_return = myopic_oracle_return(self.eval_env)
        self.metrics = evaluate(self.agent, self.eval_env, self.oracle_return)
        _log(self.writer, self.metrics, self.visits)
        self.writer.add_image(PAGE_TAG, first_page(self.agent, self.page_env), self.visits,
                              dataformats="HWC")
        return self.metrics

    def after_visits(self, reward: np.ndarray, ended: np.ndarray, info: dict[str, Any]) -> bool:
        """Account a batched visit; log, evaluate and checkpoint when due; False once the
        budget is spent or a stop was requested (an `artwork_env.agents.base.VisitReport`: it is
        called after the agent learned from the visit, so agent and count agree)."""
        self.window.add(reward, ended, info)
        self.visits += len(reward)
        self.bar.update(len(reward))
        if self.visits >= self.next_log:
            _log(self.writer, self.window.metrics(), self.visits)
            self.window.clear()
            self.next_log += self.log_every
        if self.visits >= self.next_eval or self.done:
            self.evaluate()
            if self.visits >= self.next_eval:  # (the budget's end keeps the cadence)
                self.next_eval += self.config.eval_every
            self.checkpoint()
        return not self.done and not interrupts.stop_requested()

    def checkpoint(self) -> None:
        """Flush the event file, then write the agent and the run's progress as one
        checkpoint (`artwork_env.experiments.checkpoints`)."""
        self.writer.flush()
        state = {"visits": self.visits, "next_log": self.next_log, "next_eval": self.next_eval,
                 "window": self.window.state(), "metrics": self.metrics}
        write_checkpoint(self.run_dir, self.agent.save, state, event_file_sizes(self.run_dir))
        self.checkpointed = self.visits

    def close(self, save: bool = True) -> None:
        """Close the bar and the writer. With `save` and progress since the last checkpoint
        (a run stopped by a signal), first log the train window and evaluate (the table
        shows what the run reached) and checkpoint; not after an abort (`save=False`: the
        agent may be mid-update)."""
        self.bar.close()
        if save and self.visits != self.checkpointed:
            if self.window.visits:
                _log(self.writer, self.window.metrics(), self.visits)
            self.evaluate()
            self.checkpoint()
        self.writer.close()


def build_agent(config: RunConfig, spec: ProblemSpec, masks_vary: bool = False,
                cls: type[Agent] | None = None) -> Agent:
    """The agent of a run: its defaults for the env id (tuned agents:
    `artwork_env/agents/hyperparams.yaml`
    and the device), overridden by `agent_kwargs`. `ppo` on a world whose titles have
    different numbers of artworks (`masks_vary`) is MaskablePPO, so it never picks a missing
    artwork. `cls` is the class of an external agent, already resolved (`run_agent_class`)."""
    name = "maskable_ppo" if config.agent == "ppo" and masks_vary else config.agent
    if cls is None or ":" not in name:
        cls = agent_class(name)
    defaults = cls.default_hyperparameters(config.env_id, config.device)
    return cls(spec, config.seed, **{**defaults, **config.agent_kwargs})


def run_agent_class(config: RunConfig, named: type[Agent] | str | None,
                    where: str) -> type[Agent] | None:
    """The class of a saved run's external `module:Class` agent, imported only because the
    caller names it (`named`: the class, or its `module:Class` name, as on the command
    line); None for a registered agent. A run directory is data: what it holds alone never
    imports code."""
    if named is not None:
        label = named if isinstance(named, str) else f"{named.__module__}:{named.__qualname__}"
        if label != config.agent and not (":" not in config.agent and not isinstance(named, str)
                                          and named is agent_class(config.agent)):
            raise Refused(f"{where}: the run's agent is {config.agent!r}, not {label!r}")
    if ":" not in config.agent:
        return None
    if named is None:
        raise Refused(f"{where}: agent {config.agent!r} is code outside the registry; it is "
                      f"imported only when you name it too (--agents {config.agent}, or "
                      "agent_class= in Python)")
    return agent_class(named) if isinstance(named, str) else named


def run_spec(config: RunConfig) -> tuple[ProblemSpec, bool]:
    """The problem of a run's env and whether its titles have different artwork counts."""
    env = gym.make(config.env_id, **config.env_kwargs)
    counts = env.unwrapped.world.n_artworks
    return ProblemSpec.from_env(env), bool(counts.min() < counts.max())


def train_run(config: RunConfig, resume_dir: str | Path | None = None,
              agent: type[Agent] | str | None = None) -> RunResult:
    """Train one agent on one env with one seed; log, evaluate, save; return final numbers.

    Checkpoints (agent and progress together, `artwork_env.experiments.checkpoints`) are written at
    the start, at every evaluation and when the run ends. The first SIGINT/SIGTERM stops
    the run at the next visit boundary and checkpoints; a second aborts and keeps the last
    checkpoint (`artwork_env.experiments.interrupts`). With `resume_dir`, a run directory written
    before goes on from its last checkpoint: the same step counter and event files, up to
    `config.visits` visits in all; in the one-visit bandit env on exactly the members an
    uninterrupted run meets (same final numbers for the bandit agents), in the lifetime env
    on fresh members. A run directory is written by one run at a time (`RunLock`), and one
    to resume must hold no link (`refuse_links`); the external `module:Class` agent of a
    run to resume is imported only when named again by `agent` (`run_agent_class`).
    """
    start = time.perf_counter()
    if resume_dir is None:
        run_dir = new_run_dir(config.logdir, config.env_id,
                              run_label(config.agent, config.variant), config.seed)
    else:
        run_dir = Path(resume_dir)
        refuse_links(run_dir)
    named = config.agent if resume_dir is None else agent  # (a new run's: the caller's)
    with RunLock(run_dir):
        return _train_locked(config, run_dir, resume_dir is not None,
                             run_agent_class(config, named, str(run_dir / "config.json")),
                             start)


@contextmanager
def tracked(config: RunConfig, run_dir: Path) -> Iterator[None]:
    """Mirror the run's TensorBoard logs to the Weights & Biases project `config.track`
    while the block runs (nothing when it is empty): one W&B run per run directory, named
    after it, with the run's config. `WANDB_MODE=offline` works without an account; W&B
    keeps its own files in `./wandb` (or `WANDB_DIR`), never in the run directory."""
    if not config.track:
        yield
        return
    try:
        import wandb
    except ImportError:
        raise Refused("--track needs Weights & Biases: pip install -e '.[wandb]'") from None
    run = wandb.init(project=config.track, name=run_dir.name, config=asdict(config),
                     sync_tensorboard=True, reinit="finish_previous")
    try:
        yield
    finally:
        run.finish()


def _train_locked(config: RunConfig, run_dir: Path, resuming: bool, cls: type[Agent] | None,
                  start: float) -> RunResult:
    eval_env = make_vector(config.env_id, config.eval_members, **config.env_kwargs)
    agent = build_agent(config, *run_spec(config), cls=cls)
    resume = None
    if not resuming:
        write_file(run_dir / "config.json", json.dumps(
            {**asdict(config), "reference": agent.reference,
             "agent_hyperparameters": agent.hyperparameters(),
             "model_parameters": eval_env.unwrapped.config.to_dict()}, indent=2, default=str))
    else:
        folder, resume, event_files = read_checkpoint(run_dir)
        check_progress(resume, str(folder / STATE), config)
        agent.load(folder / AGENT_DIR)
        rewind_event_files(run_dir, event_files)
    training = TrainingEnv(config.env_id, config.num_envs, config.seed,
                           dict(config.env_kwargs), str(run_dir / "sb3"),
                           visits_done=0 if resume is None else resume["visits"])
    agent.prepare(training)
    with interrupts.stop_on_signals(), tracked(config, run_dir):
        trainer = Trainer(config, agent, eval_env, run_dir, resume)
        try:
            if not interrupts.stop_requested():
                agent.learn(training, max(0, config.visits - trainer.visits),
                            trainer.after_visits)
        except BaseException:  # aborted or failed: keep the last checkpoint as it is
            trainer.close(save=False)
            raise
        trainer.close()
    return RunResult(config.env_id, config.agent, config.seed, agent.reference,
                     trainer.visits, str(run_dir), trainer.metrics,
                     trainer.window.cumulative_regret, time.perf_counter() - start)


def check_progress(state: dict[str, Any], where: str, config: RunConfig) -> None:
    """Refuse (`Refused`, naming the key) a checkpoint's progress that is not what
    `Trainer.checkpoint` writes: counts that are integers in order, a train window of finite
    sums, finite metrics."""
    visits = integer(state.get("visits"), where, "visits")
    integer(state.get("next_log"), where, "next_log", low=1)
    integer(state.get("next_eval"), where, "next_eval", low=1)
    if visits > config.visits and visits - config.visits >= config.num_envs:
        raise Refused(f"{where}: visits {visits:,} is beyond the run's {config.visits:,}")
    window = mapping(state.get("window"), where, "window")
    for name in (*TrainWindow.SUMS, "cumulative_regret"):
        real(window.get(name), where, f"window.{name}",
             low=None if name in ("reward", "regret", "cumulative_regret") else 0.0)
    returns = window.get("returns")
    if not isinstance(returns, list):
        raise Refused(f"{where}: window.returns must be a list")
    for value in returns:
        real(value, where, "window.returns[]")
    for tag, value in mapping(state.get("metrics"), where, "metrics").items():
        real(value, where, f"metrics[{tag!r}]")


def load_run_config(run_dir: str | Path) -> RunConfig:
    """The `RunConfig` a run directory was written with (its `config.json`, every value
    checked: `RunConfig.from_json`)."""
    path = Path(run_dir) / "config.json"
    return RunConfig.from_json(load_json(path), str(path))


def load_trained_agent(run_dir: str | Path, agent_class: type[Agent] | str | None = None
                       ) -> tuple[Agent, RunConfig]:
    """The agent a `scripts/train.py` run saved (its last checkpoint) and the run's config.

    Any agent, ready to act (not to go on training: use `train_run(..., resume_dir)`). A run
    of an external `module:Class` agent needs that class named here (`agent_class`): what
    a run directory holds never imports code by itself. Bad contents raise `Refused`.
    """
    path = Path(run_dir)
    if not (path / "config.json").is_file():
        raise Refused(f"{run_dir}: not a run directory of scripts/train.py (no config.json)")
    config = load_run_config(path)
    cls = run_agent_class(config, agent_class, str(path / "config.json"))
    try:
        folder = read_checkpoint(path)[0]
    except ValueError:
        if not (path / AGENT_DIR).is_dir():
            raise
        folder = path  # a run of the layout before checkpoint.json: the agent in agent/
    agent = build_agent(replace(config, device="cpu"), *run_spec(config), cls=cls)
    agent.load(folder / AGENT_DIR)
    return agent, config


def _log(writer: SummaryWriter, metrics: dict[str, float], visits: int) -> None:
    for tag, value in metrics.items():
        writer.add_scalar(tag, value, visits)
