"""Why a greedy policy that has learned little falls below random on a member's lifetime.

    python benchmarks/lifetime_baselines.py [--members 2000] [--seed 0]

Return per lifetime (20 visits at most) of uniform random artwork and of "always artwork
i" (what a deterministic policy that has not learned to personalise shows), on
ArtworkPersonalization-v0 and -v1, with fatigue and the second look on and off, over the
same fresh members
(exact simulator, drawn rewards). Showing the same image on a title the member ignored
builds fatigue and never earns the second look a changed image gets (docs/model.md,
section 4).
"""

from __future__ import annotations

import argparse

import numpy as np

from artwork_env import ENV_KWARGS, ModelConfig
from artwork_env.arrays import random_allowed
from artwork_env.compiled.core import ArtworkSimulator
from artwork_env.model import rng
from artwork_env.model.numpy_core import NumpySimulator
from artwork_env.model.page import VisitOutcome
from artwork_env.planning import run_lifetimes


def lifetime_return(config: ModelConfig, policy: str | int, n_members: int, seed: int
                    ) -> float:
    """Mean return per lifetime of `policy` ("random", or an artwork index for every slot)."""
    sim = ArtworkSimulator(config, n_members)
    sim.reset_members(np.arange(n_members), rng.numbered_keys(seed, 0, n_members))
    gen = np.random.default_rng(seed)
    total = np.zeros(n_members)

    def choose(now: NumpySimulator, where: np.ndarray) -> np.ndarray:
        if policy == "random":
            return random_allowed(gen, now.candidates())
        return np.full((now.n, config.n_slots), policy)

    def account(outcome: VisitOutcome, where: np.ndarray, live: np.ndarray) -> None:
        total[where] += outcome.reward * live

    run_lifetimes(sim, choose, account, compact_below=0.0)  # the same draws as a batch
    return float(total.mean())


def main() -> None:
    """Print the table as Markdown."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    policies: list[str | int] = ["random", 0, 1, 2]
    print(f"{args.members:,} fresh members, seed {args.seed}: return per lifetime\n")
    print("| env | effects | " + " | ".join(
        "random" if p == "random" else f"always artwork {p}" for p in policies) + " |")
    print("|---|---|" + "---:|" * len(policies))
    for env_id in ("ArtworkPersonalization-v0", "ArtworkPersonalization-v1"):
        config = ModelConfig.from_kwargs(**ENV_KWARGS[env_id])
        variants = {"all on": config, "no fatigue": config.replace(fatigue_weight=0.0),
                    "no fatigue, no second look": config.replace(fatigue_weight=0.0,
                                                                 second_look=0.0)}
        for label, variant in variants.items():
            values = [lifetime_return(variant, p, args.members, args.seed) for p in policies]
            print(f"| {env_id} | {label} | " + " | ".join(f"{v:.3f}" for v in values) + " |")


if __name__ == "__main__":
    main()
