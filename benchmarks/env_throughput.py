"""Visits per second of the environments and of the batch core, against CartPole-v1.

Run: `python benchmarks/env_throughput.py` (about a minute). Every figure is a ratio to
gymnasium's CartPole-v1 stepped in the same process, so machines compare. One core is
used throughout (numpy here runs no threads for these element-wise operations).
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np

import artwork_env  # noqa: F401  (registers the environments)
from artwork_env import ModelConfig, rng
from artwork_env.core import ArtworkSimulator


def env_step_seconds(env_id: str, seconds: float) -> float:
    """Mean seconds per visit of `gym.make(env_id)` (wrappers included): a `step`, plus the
    `reset` that follows when the episode ends (every step of the bandit env)."""
    env = gym.make(env_id)
    env.reset(seed=0)
    action = env.action_space.sample()
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(100):
            _, _, terminated, truncated, _ = env.step(action)
            if terminated or truncated:
                env.reset()
        steps += 100
    return (time.perf_counter() - start) / steps


def core_visits_per_second(n: int, n_visits: int, seconds: float) -> float:
    """Visits/s of the batch core with N members: observe, act (fixed row), step, reset ended."""
    sim = ArtworkSimulator(ModelConfig(n_visits=n_visits), n)
    base = np.arange(n, dtype=np.uint64)
    episode = np.zeros(n, dtype=np.uint64)
    sim.reset_members(np.arange(n), rng.derive_keys(base, episode))
    actions = np.zeros((n, sim.n_slots), dtype=np.int64)
    visits, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        sim.observe()
        outcome = sim.visit_step(actions)
        ended = np.flatnonzero(outcome.terminated)
        if ended.size:
            episode[ended] += np.uint64(1)
            sim.reset_members(ended, rng.derive_keys(base[ended], episode[ended]))
        visits += n
    return visits / (time.perf_counter() - start)


def main() -> None:
    """Print the throughput table as Markdown."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    args = parser.parse_args()
    cartpole = env_step_seconds("CartPole-v1", args.seconds)
    print(f"CartPole-v1 step: {cartpole * 1e6:.1f} us ({1 / cartpole:,.0f} steps/s)\n")
    print("| what | visits/s | us per visit | x CartPole step time |")
    print("|---|---:|---:|---:|")
    for env_id in ("ArtworkBandit-v0", "ArtworkPersonalization-v0"):
        step = env_step_seconds(env_id, args.seconds)
        print(f"| `gym.make('{env_id}')` step (+ reset) | {1 / step:,.0f} | {step * 1e6:.0f} "
              f"| {step / cartpole:.1f} |")
    for label, n_visits in (("bandit", 1), ("lifetime", 20)):
        for n in (1, 64, 1024):
            rate = core_visits_per_second(n, n_visits, args.seconds)
            print(f"| batch core, {label}, N={n} | {rate:,.0f} | {1e6 / rate:.1f} "
                  f"| {1 / rate / cartpole:.2f} |")


if __name__ == "__main__":
    main()
