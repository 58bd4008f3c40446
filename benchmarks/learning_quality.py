"""Learning quality of the agents on the default world: final greedy evaluation after a
budget, over several seeds, with optional sweeps (how the defaults of `artwork_env/agents/` were
tuned).

    python benchmarks/learning_quality.py --visits 30000 --seeds 0 1 2
    python benchmarks/learning_quality.py --agents linucb --visits 100000 \
        --grid agent.alpha=0.1,0.4,1.0

`--grid` is `scripts/train.py`'s: KEY=V1,V2 over model parameters, agent.KEY=V1,V2 over
agent ones, every combination a variant (`agent@point` in the table).
"""

from __future__ import annotations

import argparse

from artwork_env.agents.registry import SLOW_AGENTS, agent_names
from artwork_env.experiments.cli import grid_points
from artwork_env.experiments.launch import run_many
from artwork_env.experiments.report import load_runs, results_table, summarise
from artwork_env.experiments.training import RunConfig


def main() -> None:
    """Run agents x seeds (x grid points) and print the closing table."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", default=",".join(
        name for name in agent_names("reference") + agent_names("bandit")
        if name not in SLOW_AGENTS))
    parser.add_argument("--env", default="ArtworkBandit-v0")
    parser.add_argument("--visits", type=int, default=30_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--eval-members", type=int, default=4_000)
    parser.add_argument("--eval-every", type=int, default=None,
                        help="visits between evaluations (default: once, at the end)")
    parser.add_argument("--num-envs", type=int, default=16,
                        help="members per batched training step")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--grid", nargs="*", default=[],
                        help="sweep: KEY=V1,V2 (model) or agent.KEY=V1,V2 (agent), all "
                             "combinations")
    parser.add_argument("--logdir", default="runs/benchmarks")
    args = parser.parse_args()
    configs = [RunConfig(env_id=args.env, agent=name, seed=seed, visits=args.visits,
                         eval_every=args.eval_every or args.visits,
                         eval_members=args.eval_members, num_envs=args.num_envs,
                         logdir=args.logdir, env_kwargs=env_kwargs, agent_kwargs=agent_kwargs,
                         variant=label, progress=False)
               for label, env_kwargs, agent_kwargs in grid_points(args.grid)
               for name in args.agents.split(",") for seed in args.seeds]
    results = run_many(configs, args.workers)
    runs, _ = load_runs([result.run_dir for result in results])
    print(results_table(summarise(runs)))


if __name__ == "__main__":
    main()
