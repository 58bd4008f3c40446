"""Which long-term effect carries the planning headroom: an oversold click's cost in trust,
or the members it makes leave (docs/model.md, section 4b)?

    python benchmarks/lifetime_effects.py --long-term 1 2.5 --members 3000

For each `long_term` and each world (both effects, leaving only with
`overpromise_trust_loss=0`, trust only with `disappointment_churn=0`), the return per
lifetime of the planner's fixed priced policies pi_s (the oracle's programme with a price
s x visits left on the misrepresentation a click uncovers; exact expected rewards) over
fresh members, as a change from the myopic oracle's (s = 0) on the same members, with 95 %
intervals.
"""

from __future__ import annotations

import argparse

import numpy as np

from artwork_env.model.config import ModelConfig
from artwork_env.planning import fixed_price_returns

WORLDS = {"both effects": {}, "leaving only": {"overpromise_trust_loss": 0.0},
          "trust only": {"disappointment_churn": 0.0}}


def main() -> None:
    """Print one row per (long_term, world): the oracle's return and each price's change."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--long-term", type=float, nargs="+", default=[1.0, 2.5])
    parser.add_argument("--members", type=int, default=3000)
    parser.add_argument("--prices", type=float, nargs="+",
                        default=[0.0, 0.1, 0.2, 0.3, 0.5, 1.0])
    parser.add_argument("--seed", type=int, default=7, help="the members' numbered stream")
    args = parser.parse_args()
    print("| long_term | world | myopic oracle | "
          + " | ".join(f"s = {p:g}" for p in args.prices[1:]) + " |")
    print("|---:|---|---:|" + "---:|" * (len(args.prices) - 1))
    for long_term in args.long_term:
        for world, effects in WORLDS.items():
            config = ModelConfig(n_visits=20, long_term=long_term, **effects)
            returns = fixed_price_returns(config, args.members, args.seed, tuple(args.prices))
            change = 100.0 * (returns - returns[0]) / returns[0].mean()
            half = 1.96 * change.std(axis=1, ddof=1) / np.sqrt(args.members)
            print(f"| {long_term:g} | {world} | {returns[0].mean():.3f} | " + " | ".join(
                f"{c:+.1f} [+- {h:.1f}]" for c, h in zip(change.mean(axis=1)[1:], half[1:]))
                + " |", flush=True)


if __name__ == "__main__":
    main()
