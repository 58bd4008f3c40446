"""The stable-baselines3 VecEnv adapter over the native vector env."""

from __future__ import annotations

import numpy as np
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env

from artwork_env.envs.sb3 import ArtworkSB3VecEnv


def test_same_observations_and_rewards_as_dummy_vec_env():
    native = ArtworkSB3VecEnv("ArtworkPersonalization-v0", num_envs=4)
    dummy = make_vec_env("ArtworkPersonalization-v0", n_envs=4, seed=0,
                         env_kwargs={"render_mode": None})
    native.seed(0)
    obs_a, obs_b = native.reset(), dummy.reset()
    assert all(np.array_equal(obs_a[k], obs_b[k]) for k in obs_a)
    gen = np.random.default_rng(0)
    for _ in range(45):
        action = gen.integers(0, 6, (4, 6))
        obs_a, reward_a, done_a, info_a = native.step(action)
        obs_b, reward_b, done_b, info_b = dummy.step(action)
        assert np.array_equal(reward_a, reward_b) and np.array_equal(done_a, done_b)
        assert all(np.array_equal(obs_a[k], obs_b[k]) for k in obs_a)
        for i in np.flatnonzero(done_a):
            terminal_a, terminal_b = info_a[i]["terminal_observation"], \
                info_b[i]["terminal_observation"]
            assert all(np.array_equal(terminal_a[k], terminal_b[k]) for k in terminal_a)
            assert info_a[i]["episode"]["r"] == info_b[i]["episode"]["r"]


def test_ppo_trains_on_the_adapter():
    venv = ArtworkSB3VecEnv("ArtworkBandit-v0", num_envs=16)
    model = PPO("MultiInputPolicy", venv, n_steps=8, batch_size=64, n_epochs=1, seed=0,
                device="cpu")
    model.learn(256)
    assert model.num_timesteps == 256
    assert len(model.ep_info_buffer) > 0  # SB3 sees finished episodes without a Monitor


def test_action_masks_flatten_the_mask():
    venv = ArtworkSB3VecEnv("ArtworkBandit-v0", num_envs=3, n_artworks=(2, 5))
    obs = venv.reset()
    masks = venv.action_masks()
    assert masks.shape == (3, 6 * 5) and masks.dtype == bool
    assert np.array_equal(masks, obs["action_mask"].reshape(3, -1).astype(bool))


def test_title_ids_are_the_rows_titles_and_the_terminal_pages_titles():
    """`title_ids=True`: the observation holds the titles of its rows (in the space), and a
    finished member's terminal observation the titles of the page it last saw."""
    plain = ArtworkSB3VecEnv("ArtworkPersonalization-v0", num_envs=4)
    titled = ArtworkSB3VecEnv("ArtworkPersonalization-v0", num_envs=4, title_ids=True)
    assert "title_ids" not in plain.observation_space.spaces
    plain.seed(0)
    titled.seed(0)
    obs_plain, obs = plain.reset(), titled.reset()
    gen = np.random.default_rng(0)
    ended = 0
    for _ in range(45):
        assert titled.observation_space.contains({k: v[0] for k, v in obs.items()})
        assert np.array_equal(obs["title_ids"], titled.row_titles)
        assert all(np.array_equal(obs[k], obs_plain[k]) for k in obs_plain)
        shown = obs["title_ids"].copy()
        action = gen.integers(0, 6, (4, 6))
        obs_plain, _, _, _ = plain.step(action)
        obs, _, done, infos = titled.step(action)
        for i in np.flatnonzero(done):
            assert np.array_equal(infos[i]["terminal_observation"]["title_ids"], shown[i])
            ended += 1
    assert ended > 0
