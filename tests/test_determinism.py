"""Same seed, same everything; different seeds differ; the world never moves."""

from __future__ import annotations

import gymnasium as gym
import numpy as np


def rollout(env_id: str, seed: int, steps: int = 30, **kwargs) -> list:
    env = gym.make(env_id, **kwargs)
    actions = np.random.default_rng(99)
    obs, _ = env.reset(seed=seed)
    trace = [obs]
    for _ in range(steps):
        obs, reward, terminated, truncated, info = env.step(
            actions.integers(0, 6, size=6))
        trace.append((obs, reward, terminated, info))
        if terminated or truncated:
            obs, _ = env.reset()
            trace.append(obs)
    return trace


def same(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        return np.array_equal(a, b)
    return a == b


def test_same_seed_same_trajectory(env_id):
    assert same(rollout(env_id, 7), rollout(env_id, 7))


def test_different_seeds_differ(env_id):
    assert not same(rollout(env_id, 7), rollout(env_id, 8))


def test_world_is_fixed_across_resets_and_seeds():
    env = gym.make("ArtworkBandit-v0")
    world = env.unwrapped.world
    appeal = world.artwork_appeal.copy()
    for seed in range(3):
        env.reset(seed=seed)
        env.step(env.action_space.sample())
    assert env.unwrapped.world is world and np.array_equal(world.artwork_appeal, appeal)
    other = gym.make("ArtworkBandit-v0").unwrapped.world
    assert np.array_equal(other.artwork_appeal, appeal)
    assert not np.array_equal(gym.make("ArtworkBandit-v0", world_seed=1).unwrapped.world
                              .artwork_appeal, appeal)


def test_unseeded_resets_draw_new_members():
    env = gym.make("ArtworkBandit-v0")
    first, _ = env.reset(seed=0)
    second, _ = env.reset()
    assert not np.array_equal(first["member"], second["member"])


def test_worlds_are_shared_and_read_only():
    a = gym.make("ArtworkBandit-v0").unwrapped.world
    b = gym.make("ArtworkPersonalization-v0").unwrapped.world  # same world parameters
    assert a is b
    assert not a.artwork_appeal.flags.writeable
    assert gym.make("ArtworkBandit-v0", n_titles=100).unwrapped.world is not a
