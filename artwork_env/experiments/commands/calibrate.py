"""Measure the default world's calibration (the tables in docs/model.md).

Run: `python scripts/calibrate.py [--visits 20000] [--seed 0] [KEY=VALUE ...]`.
Exact expected take rate and reward per visit on ArtworkBandit-v0 of the uniform-random
policy, the best non-personalised artwork per title and the myopic oracle, over the same
fresh members.

`python scripts/calibrate.py --headroom [--members 500] [--seeds 0 1 2]
[--long-term 0 0.25 0.5 1 2.5 5] [KEY=VALUE ...]`: the sequential headroom of
ArtworkPersonalization-v1 along its `long_term` knob: the planner's return per lifetime
over the myopic oracle's (`artwork_env.planning`), per seed and as a 95% t-interval, beside
the world's best fixed base policy pi_s followed throughout (the planner's default).
"""

from __future__ import annotations

import argparse

import numpy as np

from artwork_env import ENV_KWARGS, ModelConfig
from artwork_env.experiments.cli import parse_env_kwargs
from artwork_env.experiments.commands import console_command
from artwork_env.experiments.report import seed_interval
from artwork_env.planning import headroom
from artwork_env.reference import reference_values


def print_calibration(args: argparse.Namespace) -> None:
    """The bandit env's reference policies as a Markdown table."""
    config = ModelConfig.from_kwargs(**{"n_visits": 1, **parse_env_kwargs(args.params)})
    values = reference_values(config, n_visits=args.visits, seed=args.seed)
    random = values["random"]["reward"]
    print(f"ArtworkBandit-v0, {args.visits:,} fresh members, seed {args.seed}\n")
    print("| policy | take rate (plays per impression) | reward per visit | x random |")
    print("|---|---:|---:|---:|")
    labels = {"random": "uniform random", "global_best": "best non-personalised",
              "oracle": "myopic oracle (cheating)"}
    for name, label in labels.items():
        v = values[name]
        print(f"| {label} | {v['take_rate']:.4f} | {v['reward']:.4f} ± {v['reward_se']:.4f} "
              f"| {v['reward'] / random:.2f} |")
    oracle, best = values["oracle"]["reward"], values["global_best"]["reward"]
    print(f"\noracle / best non-personalised = {oracle / best:.2f}")


def print_headroom(args: argparse.Namespace) -> None:
    """The planner's headroom over the myopic oracle along `long_term`, as Markdown."""
    base = {**ENV_KWARGS["ArtworkPersonalization-v1"], **parse_env_kwargs(args.params)}
    print(f"ArtworkPersonalization-v1, {args.members:,} fresh members per seed, seeds "
          f"{' '.join(map(str, args.seeds))}, {args.rollouts} rollouts per base policy\n")
    print("| long_term | myopic oracle return | best fixed pi_s: s, return, % | planner return "
          "| headroom % per seed | headroom % [95% t-interval] |")
    print("|---:|---:|---:|---:|---|---:|")
    for strength in args.long_term:
        config = ModelConfig.from_kwargs(**{**base, "long_term": strength})
        runs = [headroom(config, args.members, seed, args.rollouts) for seed in args.seeds]
        pct = np.array([run["headroom_pct"] for run in runs])
        low, high, _ = seed_interval(pct)
        myopic = np.mean([run["myopic"] for run in runs])
        planner = np.mean([run["planner"] for run in runs])
        fixed = (f"{runs[0]['fixed_price']:g}, {np.mean([run['fixed'] for run in runs]):.3f}, "
                 f"{np.mean([run['fixed_pct'] for run in runs]):+.1f}")
        print(f"| {strength:g} | {myopic:.3f} | {fixed} | {planner:.3f} | "
              f"{', '.join(f'{v:+.1f}' for v in pct)} | {pct.mean():+.1f} "
              f"[{low:+.1f}, {high:+.1f}] |", flush=True)


def build_parser() -> argparse.ArgumentParser:
    """The command's arguments, each with its help."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visits", type=int, default=20_000,
                        help="fresh members of the calibration table (default: 20000)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the calibration's members (default: 0)")
    parser.add_argument("--headroom", action="store_true",
                        help="the planner's headroom on ArtworkPersonalization-v1")
    parser.add_argument("--members", type=int, default=500,
                        help="--headroom: fresh members per seed (default: 500)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2],
                        help="--headroom: one replicate per seed (default: 0 1 2)")
    parser.add_argument("--long-term", type=float, nargs="+", default=[0, 0.25, 0.5, 1, 2.5, 5],
                        help="--headroom: the long_term values of the curve "
                             "(default: 0 0.25 0.5 1 2.5 5)")
    parser.add_argument("--rollouts", type=int, default=8,
                        help="--headroom: the planner's rollouts per base policy (default: 8)")
    parser.add_argument("params", nargs="*", help="model parameters as KEY=VALUE")
    return parser


def main(argv: list[str] | None = None) -> None:
    """Print the calibration table, or with `--headroom` the headroom curve."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.members < 1:
        parser.error(f"--members must be >= 1, got {args.members}")
    (print_headroom if args.headroom else print_calibration)(args)


console = console_command(main)


if __name__ == "__main__":
    console()
