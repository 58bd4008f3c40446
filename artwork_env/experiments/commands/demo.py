"""A short rollout: print a rendered page of the demo catalog, then the take rates of three
reference policies on ArtworkBandit-v0.

Run: `python scripts/demo.py [--visits 2000] [--seed 0] [--picture page.png]`.
"""

from __future__ import annotations

import argparse

import gymnasium as gym
import numpy as np

import artwork_env  # noqa: F401  (registers the environments)
from artwork_env.experiments.commands import console_command
from artwork_env.reference import best_nonpersonalised_artworks


def show_demo_page(seed: int, picture: str | None = None) -> None:
    """Render two visits of one member on the demo catalog, with the oracle's artworks;
    save the second as a PNG (the `rgb_array` render) at `picture` if given."""
    modes = ("ansi", "rgb_array") if picture else ("ansi",)
    envs = [gym.make("ArtworkPersonalization-v1", catalog="demo", render_mode=mode)
            for mode in modes]
    for env in envs:
        env.reset(seed=seed)
    for _ in range(2):
        _, action = envs[0].unwrapped.oracle()
        for env in envs:
            env.step(action)
        print(envs[0].render())
    if picture:
        from PIL import Image

        Image.fromarray(envs[1].render()).save(picture)
        print(f"the page as a picture: {picture}")


def take_rates(visits: int, seed: int) -> dict[str, tuple[float, float]]:
    """(take rate, reward per visit) of random, best non-personalised and oracle policies."""
    env = gym.make("ArtworkBandit-v0")
    best = best_nonpersonalised_artworks(env.unwrapped.config)
    gen = np.random.default_rng(seed)
    totals = {name: [0, 0, 0.0] for name in ("random", "best non-personalised", "oracle")}
    for name, counts in totals.items():
        obs, info = env.reset(seed=seed)
        for _ in range(visits):
            if name == "random":
                action = (gen.random(obs["action_mask"].shape) * obs["action_mask"]).argmax(1)
            elif name == "oracle":
                action = env.unwrapped.oracle()[1]
            else:
                action = best[info["row_titles"]]
            obs, reward, _, _, step = env.step(action)
            counts[0] += step["n_plays"]
            counts[1] += step["n_impressions"]
            counts[2] += reward
            obs, info = env.reset()
    return {name: (c[0] / c[1], c[2] / visits) for name, c in totals.items()}


def build_parser() -> argparse.ArgumentParser:
    """The command's arguments, each with its help."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--visits", type=int, default=2000,
                        help="sampled visits per reference policy (default: 2000)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the page's member and of the visits (default: 0)")
    parser.add_argument("--picture", metavar="PNG", default=None,
                        help="also save the second page as a PNG picture (needs Pillow)")
    return parser


def main(argv: list[str] | None = None) -> None:
    """Print a page and the take-rate table."""
    parser = build_parser()
    args = parser.parse_args(argv)
    show_demo_page(args.seed, args.picture)
    print(f"ArtworkBandit-v0, {args.visits} visits per policy (sampled, not exact):")
    for name, (take_rate, reward) in take_rates(args.visits, args.seed).items():
        print(f"  {name:<24} take rate {take_rate:.4f}   reward/visit {reward:.3f}")


console = console_command(main)


if __name__ == "__main__":
    console()
