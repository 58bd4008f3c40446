"""Shared fixtures and helpers for the test suite."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import artwork_env  # noqa: F401  (registers the environments)
from artwork_env.reference import fresh_members

fresh_simulator = fresh_members  # n fresh members drawn from a seed


def random_allowed(rng_: np.random.Generator, mask: np.ndarray) -> np.ndarray:
    """Uniform random allowed artwork per slot from a (..., K, M) mask."""
    return (rng_.random(mask.shape) * mask).argmax(axis=-1)


@pytest.fixture(autouse=True, scope="session")
def sb3_logs_in_a_temporary_folder(tmp_path_factory):
    """Tests that call SB3's `learn` on a model of their own (SB3's defaults, as a user
    would) keep the folder SB3 then makes inside pytest's temporary directory, not in /tmp."""
    folder = tmp_path_factory.mktemp("sb3_logs")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SB3_LOGDIR", str(folder))
        yield


@pytest.fixture(params=[name for name in artwork_env.ENV_IDS
                        if name != "ArtworkPersonalization-v1"])
def env_id(request) -> str:
    """The two dynamics: the bandit and the lifetime (-v1 is -v0 with `long_term=1`,
    covered by tests/test_planning.py and tests/test_compiled_core.py)."""
    return request.param


@pytest.fixture
def bandit_env():
    env = gym.make("ArtworkBandit-v0")
    yield env
    env.close()
