"""Bad input gets a clear ValueError naming the parameter or the slot, never a numpy crash."""

from __future__ import annotations

import re

import gymnasium as gym
import numpy as np
import pytest

from artwork_env import ArtworkEnv, ModelConfig
from artwork_env.envs.vector_env import make_vector


@pytest.mark.parametrize("kwargs, name", [
    ({"n_slots": 0}, "n_slots"),
    ({"n_slots": 2.5}, "n_slots"),
    ({"theme_weight": -1.0}, "theme_weight"),
    ({"bounce_penalty": -0.1}, "bounce_penalty"),
    ({"reward": "clicks"}, "reward"),
    ({"trust_loss": 1.5}, "trust_loss"),
    ({"position_decay": float("nan")}, "position_decay"),
    ({"n_artworks": (5, 2)}, "n_artworks"),
    ({"n_artworks": 0}, "n_artworks"),
    ({"device_probs": (0.5, 0.5, 0.5)}, "device_probs"),
    ({"catalog": "imdb"}, "catalog"),
    ({"n_slots": 300}, "n_slots"),
    ({"catalog": "demo", "n_slots": 13}, "n_slots"),
    ({"no_such_parameter": 1}, "no_such_parameter"),
])
def test_invalid_parameters_fail_at_make(kwargs, name):
    with pytest.raises(ValueError, match=name):
        gym.make("ArtworkBandit-v0", **kwargs)


def test_invalid_render_mode():
    with pytest.raises(ValueError, match="render_mode"):
        ArtworkEnv(render_mode="human")


@pytest.fixture
def env():
    env = ArtworkEnv(n_artworks=(2, 6))
    env.reset(seed=4)
    return env


@pytest.mark.parametrize("action, pattern", [
    (np.zeros(5, dtype=np.int64), r"shape \(6,\)"),
    (np.zeros((2, 6), dtype=np.int64), r"shape \(6,\)"),
    (np.zeros(6, dtype=np.float32), "integers"),
    (np.array([0, 0, 0, 0, 0, 6]), r"slot 5: allowed artworks there are \[0, 1"),
    (np.array([0, -1, 0, 0, 0, 0]), r"slot 1"),
])
def test_bad_actions(env, action, pattern):
    with pytest.raises(ValueError, match=pattern):
        env.step(action)


def test_masked_artwork_names_slot_and_allowed():
    """With `missing_artwork="raise"` a missing artwork is an error naming slot and
    choices (the default shows the title's default artwork: tests/test_masked_worlds.py)."""
    env = ArtworkEnv(n_artworks=(2, 6), missing_artwork="raise")
    env.reset(seed=4)
    mask = env.sim.page_model().exists[0]
    slot = int(np.flatnonzero(~mask.all(axis=1))[0])
    action = np.zeros(6, dtype=np.int64)
    action[slot] = int(np.flatnonzero(~mask[slot])[0])
    allowed = np.flatnonzero(mask[slot]).tolist()
    with pytest.raises(ValueError, match=rf"slot {slot}: allowed artworks there are "
                                         rf"{allowed}".replace("[", r"\[").replace("]", r"\]")):
        env.step(action)


def test_step_before_reset_raises():
    with pytest.raises(RuntimeError, match="reset"):
        ArtworkEnv().step(np.zeros(6, dtype=np.int64))
    with pytest.raises(gym.error.ResetNeeded):
        gym.make("ArtworkBandit-v0").step(np.zeros(6, dtype=np.int64))


def test_step_after_the_episode_ends_raises():
    env = ArtworkEnv(n_visits=1)
    env.reset(seed=0)
    env.step(np.zeros(6, dtype=np.int64))
    with pytest.raises(RuntimeError, match="reset"):
        env.step(np.zeros(6, dtype=np.int64))


def test_numpy_numbers_are_numbers():
    """`np.int64(5)` and `np.float64(0.2)` are accepted like 5 and 0.2, in `make` and in a
    vector env's `reset(seed=...)`; the config holds plain Python numbers."""
    env = gym.make("ArtworkBandit-v0", n_slots=np.int64(5), bounce_penalty=np.float64(0.2),
                   n_artworks=(np.int64(3), np.int64(6)))
    config = env.unwrapped.config
    assert config.n_slots == 5 and type(config.n_slots) is int
    assert config.n_artworks == (3, 6) and type(config.bounce_penalty) is float
    vec = gym.make_vec("ArtworkBandit-v0", num_envs=2, vectorization_mode="vector_entry_point")
    numpy_seeded, _ = vec.reset(seed=np.int64(3))
    int_seeded, _ = vec.reset(seed=3)
    assert all(np.array_equal(numpy_seeded[key], int_seeded[key]) for key in int_seeded)
    with pytest.raises(ValueError, match="seed must be an int or a list of 2 seeds"):
        vec.reset(seed="3")


@pytest.mark.parametrize("kwargs, message", [
    ({"device_probs": 0}, "device_probs must be 3 non-negative numbers"),
    ({"world_seed": -1}, "world_seed must be a non-negative integer"),
    ({"catalog": "demo", "n_titles": 50}, "n_titles cannot be set with catalog='demo'"),
    ({"bounce_penalty": 1e39}, "bounce_penalty must be <= 1e+06"),
    ({"n_genres": 10**12}, "needs about"),
])
def test_bad_values_name_their_parameter(kwargs, message):
    """Each of these once failed deep inside numpy (or, for the catalog, was ignored, or
    for the size, was killed for memory after minutes)."""
    with pytest.raises(ValueError, match=re.escape(message)):
        gym.make("ArtworkBandit-v0", **kwargs)


def test_render_member_must_be_a_member():
    with pytest.raises(ValueError, match="render_member must be in"):
        gym.make_vec("ArtworkBandit-v0", num_envs=2, vectorization_mode="vector_entry_point",
                     render_member="a")


@pytest.mark.parametrize("name, change", [
    ("artworks", lambda a: a.astype(np.float64)),  # another dtype
    ("member", lambda a: a[:, :-1]),  # another width
    ("titles", lambda a: a[:2]),  # too few rows
    ("action_mask", lambda a: np.asfortranarray(a)),  # not C-contiguous
])
def test_observe_into_buffers_names_the_bad_one(name, change):
    """`observe(index, out=...)` checks every buffer before the compiled writer sees it."""
    from artwork_env import ModelConfig
    from artwork_env.compiled.core import ArtworkSimulator

    sim = ArtworkSimulator(ModelConfig(), 4)
    out = {key: np.empty_like(value) for key, value in sim.observe().items()}
    out[name] = change(out[name])
    with pytest.raises(ValueError, match=re.escape(f"out[{name!r}]")):
        sim.observe(np.arange(3), out=out)


# ------------------------------------------------------------------ bounded parameters
REAL_PARAMETERS = [*ModelConfig._NON_NEGATIVE, "base_logit", "play_logit"]


@pytest.mark.parametrize("name", REAL_PARAMETERS)
def test_every_real_parameter_at_its_bound_gives_finite_ground_truth(name):
    """At +-MAX_MAGNITUDE (1e6) the expected rewards of -v1 stay finite; once, taste_noise
    1e200 or long_term 1e308 gave NaN ground truth reported as zero regret."""
    from artwork_env.model.config import MAX_MAGNITUDE, MAX_PENALTY
    bound = MAX_PENALTY if name == "bounce_penalty" else MAX_MAGNITUDE
    for value in ([bound, -bound] if name in ("base_logit", "play_logit") else [bound]):
        env = make_vector("ArtworkPersonalization-v1", 32, **{name: value})
        env.reset(seed=0)
        gen = np.random.default_rng(0)
        for _ in range(4):
            actions = gen.integers(0, env.single_action_space.nvec, size=env.action_space.shape)
            info = env.step(actions)[4]
            assert np.isfinite(info["expected_reward"]).all()
            assert np.isfinite(info["oracle_expected_reward"]).all()
        with pytest.raises(ValueError, match=name):
            ModelConfig(**{name: value * 10})


def test_a_non_finite_expected_reward_raises_rather_than_reading_as_no_regret():
    from artwork_env.compiled.core import VisitOutcome
    from artwork_env.envs.env import NonFiniteGroundTruth, batched_info, step_info
    outcome = VisitOutcome.empty(2, 3)
    for array in vars(outcome).values():
        array[...] = 0
    outcome.expected_reward[1] = np.nan
    with pytest.raises(NonFiniteGroundTruth, match="not finite"):
        batched_info(outcome, np.zeros(2, dtype=np.int64))
    with pytest.raises(NonFiniteGroundTruth):
        step_info(outcome, np.zeros(2, dtype=np.int64), 1)
    assert step_info(outcome, np.zeros(2, dtype=np.int64), 0)["regret"] == 0.0


def test_the_single_env_refuses_a_batch_shaped_action_and_unknown_options():
    env = gym.make("ArtworkPersonalization-v0")
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"shape \(6,\)"):
        env.step(np.zeros((1, 6), dtype=np.int64))
    with pytest.raises(ValueError, match="takes no options"):
        env.reset(seed=0, options={"episode": 3})
    vector = make_vector("ArtworkPersonalization-v0", 2)
    with pytest.raises(ValueError, match="unknown reset option"):
        vector.reset(seed=0, options={"epsiode": 3})
