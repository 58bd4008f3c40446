"""Train agents side by side and compare them in TensorBoard.

    python scripts/train.py                      # the default comparison (a few minutes)
    python scripts/train.py --agents linucb,thompson,random --env ArtworkBandit-v0 \
        --visits 50000 --seeds 0 1 2 --logdir runs --eval-every 5000 --workers 2 \
        --env-kwargs n_slots=8 reward=click

One run directory per (env, agent, seed): runs/{env}__{agent}__{seed}__{timestamp}, with
TensorBoard event files (tags in README.md), config.json and the trained agent.
`python scripts/train.py --resume RUN_DIR [--visits N]` goes on from the last checkpoint.
"""

from __future__ import annotations

import inspect
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from agents.registry import agent_class, agent_names, default_agents
from artwork_env import ENV_IDS, ModelConfig
from experiments.cli import (
    dataclass_parser,
    grid_points,
    parse_env_kwargs,
    writable_folder_problem,
)
from experiments.launch import run_many
from experiments.report import load_runs, results_table, summarise
from experiments.training import RunConfig, RunResult, load_run_config, train_run


@dataclass
class Args:
    """Command-line arguments (defaults: the README's default comparison)."""

    agents: str = ",".join(default_agents())
    """comma-separated agent names (default: all but the slow recurrent_ppo and dqn)"""
    env: str = "ArtworkBandit-v0"
    """environment id"""
    visits: int = 50_000
    """training visits per run"""
    seeds: list[int] = field(default_factory=lambda: [0])
    """one run per seed"""
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
    """a run directory to go on with from its last checkpoint (with --visits: the new total)"""
    backend: str = "local"
    """local (processes on this machine) or ray (pip install -e '.[ray]')"""
    address: str = ""
    """ray: the cluster to join (default: start Ray on this machine with --workers CPUs)"""
    storage: str = ""
    """ray: where run directories go, a path every node sees (default: --logdir)"""
    gpus_per_run: float = 0.0
    """ray: GPUs per run"""
    grid: list[str] = field(default_factory=list)
    """sweep: KEY=V1,V2 over model parameters, or agent.KEY=V1,V2 over agent ones"""


def parse_args(argv: list[str] | None = None
               ) -> tuple[Args, list[str], dict[str, object], list[tuple[str, dict, dict]]]:
    """Parse and validate; bad agent names, env ids or env kwargs exit with code 2."""
    parser = dataclass_parser(Args, __doc__, int_lists=("seeds",))
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
            accepted = inspect.signature(agent_class(name).__init__).parameters
            takes_any = any(p.kind is p.VAR_KEYWORD for p in accepted.values())
            unknown = [key for key in agent_kwargs if key not in accepted and not takes_any]
            if unknown:
                own = [p for p in accepted if p not in ("self", "spec", "seed")]
                parser.error(f"--grid: agent {name!r} has no parameter(s) {unknown}; "
                             f"its parameters: {own}")
    if args.device not in ("auto", "cpu", "cuda"):
        parser.error(f"--device must be auto, cpu or cuda, got {args.device!r}")
    for name in ("visits", "eval_every", "eval_members", "num_envs", "workers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    if not args.seeds:
        parser.error("--seeds needs at least one seed")
    problem = None if args.resume else writable_folder_problem(args.logdir)
    if problem:
        parser.error(f"--logdir: {problem}")
    return args, names, env_kwargs, points


def closing_table(results: list[RunResult]) -> str:
    """The table of the runs just made, read back from their event files by the same
    function as `scripts/compare.py` (so the two never disagree)."""
    runs, skipped = load_runs([result.run_dir for result in results])
    return "\n".join([*skipped, results_table(summarise(runs))])


def resume(run_dir: str, argv: list[str]) -> list[RunResult]:
    """Go on with one run from its last checkpoint; `--visits` in `argv` sets the new total."""
    path = Path(run_dir)
    if not (path / "config.json").is_file() or not (path / "state.json").is_file():
        print(f"train.py: error: --resume {run_dir}: not a run directory with a checkpoint "
              "(config.json and state.json)", file=sys.stderr)
        raise SystemExit(2)
    config = load_run_config(path)
    if "--visits" in argv:
        config = replace(config, visits=int(argv[argv.index("--visits") + 1]))
    result = train_run(replace(config, progress_position=0), resume_dir=path)
    print(closing_table([result]))
    return [result]


def main(argv: list[str] | None = None) -> list[RunResult]:
    """Run every (agent, seed) pair, print the closing table, return the results."""
    argv = sys.argv[1:] if argv is None else argv
    args, names, env_kwargs, points = parse_args(argv)
    if args.resume:
        return resume(args.resume, argv)
    base = RunConfig(env_id=args.env, visits=args.visits, eval_every=args.eval_every,
                     eval_members=args.eval_members, num_envs=args.num_envs,
                     logdir=args.logdir, env_kwargs=env_kwargs, device=args.device)
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
    results = run_many(configs, args.workers, args.backend, args.address or None,
                       args.gpus_per_run)
    print()
    print(closing_table(results))
    print(f"Run directories are in {args.logdir}/. Compare the agents with:")
    print(f"tensorboard --logdir {args.logdir}")
    return results


if __name__ == "__main__":
    main()
