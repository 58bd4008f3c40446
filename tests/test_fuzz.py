"""Property-based fuzzing of the public surface: every `gymnasium.make` keyword with values
of every kind, and actions of every shape and type. Each answer is either a `ValueError`
that names what is wrong, or a valid reset and step; never another exception.

Valid sizes are drawn small (a valid catalog of a million titles is allowed and takes
minutes to build); sizes past the machine's memory are drawn too and must be refused."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import artwork_env  # noqa: F401
from artwork_env.model.config import parameter_names

ENV_IDS = ("ArtworkBandit-v0", "ArtworkPersonalization-v0")

values = st.one_of(
    st.none(), st.booleans(),
    st.integers(-3, 12), st.integers(-2**70, -1),
    st.integers(2**45, 2**70),  # sizes past any machine: refused up front, never allocated
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-2.0, 2.0), st.floats(0.0, 1.0),
    st.text(max_size=8), st.sampled_from(["demo", "synthetic", "click", "play",
                                          "quality_play", "tv"]),
    st.tuples(st.integers(-2, 9), st.integers(-2, 9)),
    st.lists(st.floats(-1.0, 2.0), max_size=4),
    st.sampled_from([np.int64(3), np.float32(0.5), np.array([1, 2]), object()]),
)


def _step_once(env: gym.Env, seed: int) -> None:
    obs, _ = env.reset(seed=seed)
    assert env.observation_space.contains(obs)
    mask = obs["action_mask"].astype(bool)
    action = np.argmax(mask, axis=1)  # an allowed artwork in every slot
    obs, reward, terminated, truncated, info = env.step(action)
    assert np.isfinite(reward)


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(env_id=st.sampled_from(ENV_IDS),
       kwargs=st.dictionaries(st.sampled_from(parameter_names()), values, min_size=1,
                              max_size=3),
       seed=st.integers(0, 2**31 - 1))
def test_any_make_keywords_give_a_named_error_or_a_working_env(env_id, kwargs, seed):
    try:
        env = gym.make(env_id, **kwargs)
    except ValueError as error:
        assert any(name in str(error) for name in kwargs), (kwargs, str(error))
        return
    _step_once(env, seed)


def test_unknown_keywords_are_named():
    with pytest.raises(ValueError, match="n_slot"):
        gym.make("ArtworkBandit-v0", n_slot=3)


actions = st.one_of(
    st.lists(st.integers(-3, 10), min_size=0, max_size=9).map(np.array),
    st.lists(st.floats(allow_nan=True), min_size=6, max_size=6).map(np.array),
    st.lists(st.lists(st.integers(0, 5), min_size=6, max_size=6), min_size=1,
             max_size=3).map(np.array),
    st.sampled_from([None, "abc", 3, 2.5, [True] * 6, np.zeros(6, dtype=np.uint8),
                     np.full(6, 2**40), np.zeros((6, 1), dtype=np.int64)]),
)


@settings(max_examples=300, deadline=None)
@given(action=actions, env_id=st.sampled_from(ENV_IDS))
def test_any_action_gives_a_named_error_or_a_valid_step(action, env_id):
    env = gym.make(env_id)
    env.reset(seed=0)
    try:
        env.step(action)
    except ValueError as error:
        assert "action" in str(error).lower() or "slot" in str(error).lower(), str(error)
