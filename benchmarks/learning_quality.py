"""Learning quality of the agents on the default world: final greedy evaluation after a
budget, over several seeds, with optional hyperparameter sweeps (how the defaults of
`agents/` were tuned).

    python benchmarks/learning_quality.py --visits 30000 --seeds 0 1 2
    python benchmarks/learning_quality.py --agents linucb --visits 100000 --sweep alpha=0.1,0.4,1.0
"""

from __future__ import annotations

import argparse
import ast
import itertools

from agents.registry import DEEP_AGENTS, agent_names
from agents.report import load_runs, results_table, summarise
from agents.training import RunConfig, run_many


def main() -> None:
    """Run agents x seeds (x sweep values) and print the closing table per setting."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", default=",".join(
        name for name in agent_names() if name not in DEEP_AGENTS))
    parser.add_argument("--env", default="ArtworkBandit-v0")
    parser.add_argument("--visits", type=int, default=30_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--eval-members", type=int, default=4_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sweep", nargs="*", default=[],
                        help="agent hyperparameters as KEY=V1,V2,... (all combinations)")
    parser.add_argument("--logdir", default="runs/benchmarks")
    args = parser.parse_args()
    keys = [item.split("=")[0] for item in args.sweep]
    grids = [[ast.literal_eval(v) for v in item.split("=")[1].split(",")] for item in args.sweep]
    for values in itertools.product(*grids) if grids else [()]:
        agent_kwargs = dict(zip(keys, values))
        configs = [RunConfig(env_id=args.env, agent=name, seed=seed, visits=args.visits,
                             eval_every=args.visits, eval_members=args.eval_members,
                             logdir=args.logdir, agent_kwargs=agent_kwargs, progress=False)
                   for name in args.agents.split(",") for seed in args.seeds]
        results = run_many(configs, args.workers)
        print(f"agent hyperparameters: {agent_kwargs or 'defaults'}")
        runs, _ = load_runs([result.run_dir for result in results])
        print(results_table(summarise(runs)))


if __name__ == "__main__":
    main()
