r"""Train agents side by side and compare them in TensorBoard (`artwork-train`, or
`python scripts/train.py`).

    artwork-train                      # the default comparison (3 seeds, a few minutes)
    artwork-train --agents linucb,thompson,random --env ArtworkBandit-v0 \
        --visits 50000 --seeds 0 1 2 --logdir runs --eval-every 5000 --workers 2 \
        --env-kwargs n_slots=8 reward=click

One run directory per (env, agent, seed): runs/{env}__{agent}__{seed}__{timestamp}, with
TensorBoard event files (tags in docs/training.md), config.json and the last checkpoint.
`artwork-train --resume RUN_DIR [--visits N]` goes on from the last checkpoint.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from artwork_env import ENV_IDS, ModelConfig
from artwork_env.agents.base import ProblemSpec
from artwork_env.agents.registry import (
    agent_class,
    agent_names,
    agent_parameters,
    default_agents,
    unknown_parameters,
)
from artwork_env.envs.vector_env import MAX_NUM_ENVS
from artwork_env.experiments.checkpoints import read_checkpoint
from artwork_env.experiments.cli import (
    dataclass_parser,
    given_options,
    grid_points,
    parse_env_kwargs,
    writable_folder_problem,
)
from artwork_env.experiments.commands import console_command
from artwork_env.experiments.launch import run_many
from artwork_env.experiments.report import load_runs, results_table, summarise
from artwork_env.experiments.rundir import refuse_links
from artwork_env.experiments.training import (
    RunConfig,
    RunResult,
    build_agent,
    load_run_config,
    run_agent_class,
    train_run,
)


@dataclass
class Args:
    """Command-line arguments (defaults: the default comparison)."""

    agents: str = ",".join(default_agents())
    """comma-separated agent names (default: all but the slow recurrent_ppo and dqn)"""
    env: str = "ArtworkBandit-v0"
    """environment id"""
    visits: int = 50_000
    """training visits per run, rounded up to whole batches of --num-envs members (3,000
    at 16 members a batch trains 3,008; with --resume, the new total)"""
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    """one run per seed (three by default: the fewest that give a t interval)"""
    logdir: str = "runs"
    """where run directories go"""
    eval_every: int = 5_000
    """visits between greedy evaluations on the held-out members"""
    eval_members: int = 2_000
    """held-out members per evaluation"""
    num_envs: int = 16
    """members per batched step"""
    workers: int = 2
    """parallel processes, one (agent, seed) run each"""
    device: str = "auto"
    """torch device of the deep agents: auto (the CPU, for these MLP policies), cpu, cuda"""
    env_kwargs: list[str] = field(default_factory=list)
    """model parameters as KEY=VALUE"""
    resume: str = ""
    """a run directory to go on with from its last checkpoint, with its own settings; only
    --visits (the new total), --device and --agents (the run's own external module:Class
    agent, which is imported only when named here) may be given with it"""
    backend: str = "local"
    """local (processes on this machine) or ray (pip install -e '.[ray]')"""
    address: str = ""
    """ray: the cluster to join (HOST:PORT), or local: start Ray on this machine with
    --workers CPUs (its processes listen on every network interface)"""
    storage: str = ""
    """ray: where run directories go, a path every node sees (default: --logdir)"""
    gpus_per_run: float = 0.0
    """ray: GPUs per run"""
    grid: list[str] = field(default_factory=list)
    """sweep: KEY=V1,V2 over model parameters, or agent.KEY=V1,V2 over agent ones"""
    track: bool = False
    """mirror each run's TensorBoard logs to Weights & Biases (pip install -e '.[wandb]';
    WANDB_MODE=offline works without an account)"""
    wandb_project: str = "artwork_env"
    """the Weights & Biases project of --track"""


RESUME_OPTIONS = {"resume", "visits", "device", "agents"}
"""The options `--resume` honours; the others belong to the run and are refused with it.
`--agents` only names the run's own external `module:Class` agent, which a run directory
never imports by itself."""


def make_parser() -> argparse.ArgumentParser:
    """The command line of `Args`."""
    return dataclass_parser(Args, __doc__, int_lists=("seeds",))


def parse_args(argv: list[str] | None = None
               ) -> tuple[Args, list[str], dict[str, object], list[tuple[str, dict, dict]]]:
    """Parse and validate; bad agent names, env ids or env kwargs exit with code 2."""
    parser = make_parser()
    args = Args(**vars(parser.parse_args(argv)))
    names = [name.strip() for name in args.agents.split(",") if name.strip()]
    if not names:
        parser.error(f"--agents names no agent; available: {', '.join(agent_names())}")
    for name in names:
        try:
            agent_class(name)
        except ValueError as error:
            parser.error(str(error))
    if args.env not in ENV_IDS:
        parser.error(f"unknown env id {args.env!r}; available: {', '.join(ENV_IDS)}")
    try:
        env_kwargs = parse_env_kwargs(args.env_kwargs)
        ModelConfig.from_kwargs(**env_kwargs)
    except ValueError as error:
        parser.error(f"--env-kwargs: {error}")
    if args.backend not in ("local", "ray"):
        parser.error(f"--backend must be local or ray, got {args.backend!r}")
    if args.backend == "ray" and not args.address:
        parser.error("--backend ray needs --address: HOST:PORT of a cluster you secured, or "
                     "'local' to start Ray here, knowing that Ray listens on every network "
                     "interface (--backend local runs the same runs here and opens no port)")
    if args.backend == "ray":
        try:
            import ray  # noqa: F401
        except ImportError:
            parser.error("--backend ray needs Ray: pip install -e '.[ray]'")
    if args.storage:
        storage = args.storage.removeprefix("file://")
        if "://" in storage:
            parser.error(f"--storage {args.storage}: give a path every node sees (mount "
                         "object storage with s3fs/gcsfuse first); URIs are not written to")
        args.logdir = storage
    try:
        points = grid_points(args.grid)
    except ValueError as error:
        parser.error(f"--grid: {error}")
    for _, _, agent_kwargs in points[:1]:
        for name in names:
            unknown = unknown_parameters(agent_class(name), agent_kwargs)
            if unknown:
                own = agent_parameters(agent_class(name))
                parser.error(f"--grid: agent {name!r} has no parameter(s) {unknown}; "
                             f"its parameters: {own}")
    if args.device not in ("auto", "cpu", "cuda"):
        parser.error(f"--device must be auto, cpu or cuda, got {args.device!r}")
    for name in ("visits", "eval_every", "eval_members", "num_envs", "workers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    for name in ("eval_members", "num_envs"):
        if getattr(args, name) > MAX_NUM_ENVS:
            parser.error(f"--{name.replace('_', '-')} must be <= {MAX_NUM_ENVS:,} (members "
                         "held in memory at once)")
    problem = grid_value_problem(args.env, env_kwargs, names, points)
    if problem:
        parser.error(f"--grid: {problem}")
    if not args.seeds:
        parser.error("--seeds needs at least one seed")
    if min(args.seeds) < 0:
        parser.error(f"--seeds must be non-negative integers, got {min(args.seeds)}")
    if len(set(args.seeds)) < len(args.seeds):
        parser.error(f"--seeds {' '.join(map(str, args.seeds))}: a seed given twice would "
                     "be the same run again, not another replicate")
    if args.resume:
        refused = sorted(given_options(parser, argv or []) - RESUME_OPTIONS)
        if refused:
            parser.error("--resume goes on with the run's own settings (its config.json); "
                         "these cannot be given with it: "
                         + ", ".join("--" + name.replace("_", "-") for name in refused))
    problem = None if args.resume else writable_folder_problem(args.logdir)
    if problem:
        parser.error(f"--logdir: {problem}")
    return args, names, env_kwargs, points


def grid_value_problem(env_id: str, env_kwargs: dict, names: list[str],
                       points: list[tuple[str, dict, dict]]) -> str | None:
    """What is wrong with a value of the grid, found by making every agent at every point
    (as the runs will) before any run starts, or None."""
    for label, model_kwargs, agent_kwargs in points:
        kwargs = {**env_kwargs, **model_kwargs}
        try:
            ModelConfig.from_kwargs(**kwargs)
        except ValueError as error:
            return f"{label}: {error}"
        if not agent_kwargs:
            continue
        spec = ProblemSpec.of(env_id, kwargs)
        for name in names:
            config = RunConfig(env_id=env_id, agent=name, agent_kwargs=agent_kwargs,
                               device="cpu", env_kwargs=kwargs)
            try:
                build_agent(config, spec, cls=agent_class(name))
            except (ValueError, TypeError) as error:
                return f"agent {name!r} at {label}: {error}"
    return None


def closing_table(results: list[RunResult]) -> str:
    """The table of the runs just made, read back from their event files by the same
    function as `scripts/compare.py` (so the two never disagree)."""
    runs, skipped = load_runs([result.run_dir for result in results])
    return "\n".join([*skipped, results_table(summarise(runs))])


def resume(args: Args, argv: list[str]) -> list[RunResult]:
    """Go on with one run from its last checkpoint; `--visits` sets the new total (not
    below the visits done), `--device` the torch device, `--agents` names the run's external
    agent (`module:Class`) to import."""
    path = Path(args.resume)
    given = given_options(make_parser(), argv)
    try:
        refuse_links(path)
        done = read_checkpoint(path)[1]["visits"]
        config = load_run_config(path)
        named = args.agents.strip() if "agents" in given else None
        run_agent_class(config, named, str(path / "config.json"))
    except (ValueError, OSError) as error:
        print(f"train.py: error: --resume {args.resume}: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    if "visits" in given:
        if args.visits < done:
            print(f"train.py: error: --visits {args.visits} is below the {done:,} visits "
                  f"{args.resume} has done", file=sys.stderr)
            raise SystemExit(2)
        config = replace(config, visits=args.visits)
    if "device" in given:
        config = replace(config, device=args.device)
    result = train_run(replace(config, progress_position=0), resume_dir=path, agent=named)
    print(closing_table([result]))
    return [result]


def main(argv: list[str] | None = None) -> list[RunResult]:
    """Run every (agent, seed) pair, print the closing table, return the results."""
    argv = sys.argv[1:] if argv is None else argv
    args, names, env_kwargs, points = parse_args(argv)
    if args.resume:
        return resume(args, argv)
    base = RunConfig(env_id=args.env, visits=args.visits, eval_every=args.eval_every,
                     eval_members=args.eval_members, num_envs=args.num_envs,
                     logdir=args.logdir, env_kwargs=env_kwargs, device=args.device,
                     track=args.wandb_project if args.track else "")
    runs = [(name, seed, point) for point in points for name in names
            for seed in args.seeds]
    configs = [replace(base, agent=name, seed=seed, progress_position=i % args.workers,
                       variant=label, env_kwargs={**env_kwargs, **point_env},
                       agent_kwargs=point_agent, progress=args.backend == "local")
               for i, (name, seed, (label, point_env, point_agent)) in enumerate(runs)]
    for config in configs:  # every grid point's model parameters are valid before any run
        try:
            ModelConfig.from_kwargs(**config.env_kwargs)
        except ValueError as error:
            print(f"train.py: error: --grid: {error}", file=sys.stderr)
            raise SystemExit(2) from None
    results = run_many(configs, args.workers, args.backend, args.address, args.gpus_per_run)
    print()
    print(closing_table(results))
    print(f"Run directories are in {args.logdir}/. Compare the agents with:")
    print(f"tensorboard --logdir {args.logdir}")
    return results


console = console_command(main)


if __name__ == "__main__":
    console()
