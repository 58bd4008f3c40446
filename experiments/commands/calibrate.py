"""Measure the default world's calibration on ArtworkBandit-v0 (the table in docs/model.md).

Run: `python scripts/calibrate.py [--visits 20000] [--seed 0] [KEY=VALUE ...]`.
Exact expected take rate and reward per visit of the uniform-random policy, the best
non-personalised artwork per title and the myopic oracle, over the same fresh members.
"""

from __future__ import annotations

import argparse

from artwork_env import ModelConfig
from artwork_env.reference import reference_values
from experiments.cli import parse_env_kwargs
from experiments.commands import console_command


def main() -> None:
    """Print the calibration table as Markdown."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--visits", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("params", nargs="*", help="model parameters as KEY=VALUE")
    args = parser.parse_args()
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


console = console_command(main)


if __name__ == "__main__":
    console()
