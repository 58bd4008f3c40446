"""Shared fixtures and helpers for the test suite."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import artwork_env  # noqa: F401  (registers the environments)
from artwork_env import rng
from artwork_env.core import ArtworkSimulator


def fresh_simulator(config, n: int, seed: int = 0) -> ArtworkSimulator:
    """A simulator with n fresh members drawn from seed."""
    sim = ArtworkSimulator(config, n)
    keys = rng.derive_keys(np.full(n, seed, dtype=np.uint64), np.arange(n, dtype=np.uint64))
    sim.reset_members(np.arange(n), keys)
    return sim


def random_allowed(rng_: np.random.Generator, mask: np.ndarray) -> np.ndarray:
    """Uniform random allowed artwork per slot from a (..., K, M) mask."""
    return (rng_.random(mask.shape) * mask).argmax(axis=-1)


@pytest.fixture(params=artwork_env.ENV_IDS)
def env_id(request) -> str:
    return request.param


@pytest.fixture
def bandit_env():
    env = gym.make("ArtworkBandit-v0")
    yield env
    env.close()
