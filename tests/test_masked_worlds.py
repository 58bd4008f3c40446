"""Worlds whose titles have different numbers of artworks (`n_artworks=(low, high)`) work
with generic tools: both environment checkers pass, plain SB3 trains, MaskablePPO reads the
single env's `action_masks()`, and a missing artwork is shown as the title's default
artwork 0, counted in `info["n_substituted"]` (or refused with `missing_artwork="raise"`)."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import artwork_env  # noqa: F401

MASKED = dict(n_artworks=(2, 6))


def test_a_missing_artwork_is_shown_as_the_default_and_counted():
    env = gym.make("ArtworkBandit-v0", **MASKED)
    obs, _ = env.reset(seed=4)
    mask = obs["action_mask"].astype(bool)
    chosen = np.full(6, 5)  # artwork 5: missing wherever a title has fewer than 6
    missing = int((~mask[:, 5]).sum())
    assert missing > 0
    substituted = np.where(mask[:, 5], 5, 0)
    twin = gym.make("ArtworkBandit-v0", **MASKED)
    twin.reset(seed=4)
    *_, info = env.step(chosen)
    *_, twin_info = twin.step(substituted)
    assert info["n_substituted"] == missing and twin_info["n_substituted"] == 0
    assert info["expected_reward"] == twin_info["expected_reward"]  # the same page shown
    assert np.array_equal(info["clicks"], twin_info["clicks"])


def test_out_of_range_artworks_are_still_refused():
    env = gym.make("ArtworkBandit-v0", **MASKED)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="slot 0"):
        env.step(np.array([6, 0, 0, 0, 0, 0]))
    with pytest.raises(ValueError, match="missing_artwork"):
        gym.make("ArtworkBandit-v0", missing_artwork="ignore")


def test_the_single_env_gives_maskable_ppo_its_masks():
    env = gym.make("ArtworkBandit-v0", **MASKED)
    obs, _ = env.reset(seed=1)
    masks = env.unwrapped.action_masks()
    assert masks.shape == (6 * 6,) and masks.dtype == bool
    assert np.array_equal(masks, obs["action_mask"].astype(bool).reshape(-1))


def test_sample_with_the_observation_mask_draws_only_allowed_artworks():
    env = gym.make("ArtworkBandit-v0", **MASKED)
    obs, _ = env.reset(seed=2)
    env.action_space.seed(0)
    for _ in range(50):
        action = env.action_space.sample(mask=tuple(obs["action_mask"]))
        assert obs["action_mask"][np.arange(6), action].all()


@pytest.mark.parametrize("env_id", ["ArtworkBandit-v0", "ArtworkPersonalization-v0"])
def test_both_checkers_pass_on_masked_worlds(env_id):
    from gymnasium.utils.env_checker import check_env as gymnasium_check
    from stable_baselines3.common.env_checker import check_env as sb3_check
    gymnasium_check(gym.make(env_id, **MASKED).unwrapped, skip_render_check=True)
    sb3_check(gym.make(env_id, **MASKED), warn=True)


@pytest.mark.slow
def test_plain_and_maskable_ppo_train_on_a_masked_world():
    from sb3_contrib import MaskablePPO
    from stable_baselines3 import PPO
    env = gym.make("ArtworkPersonalization-v0", **MASKED)
    PPO("MultiInputPolicy", env, n_steps=64, batch_size=32, n_epochs=1, seed=0).learn(128)
    model = MaskablePPO("MultiInputPolicy", env, n_steps=64, batch_size=32, n_epochs=1,
                        seed=0)
    model.learn(128)
    obs, _ = env.reset(seed=3)
    for _ in range(5):  # its greedy choices are always allowed
        action, _ = model.predict(obs, action_masks=env.unwrapped.action_masks(),
                                  deterministic=True)
        assert obs["action_mask"][np.arange(6), action].all()
        obs, *_ = env.step(action)
