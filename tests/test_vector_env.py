"""The native vector env agrees bit for bit with single envs and SyncVectorEnv."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from artwork_env.vector_env import ArtworkVectorEnv

N = 5


def run_native(env_id: str, steps: int, seed: int = 3):
    env = gym.make_vec(env_id, num_envs=N, vectorization_mode="vector_entry_point")
    assert isinstance(env, ArtworkVectorEnv)
    obs, _ = env.reset(seed=seed)
    gen = np.random.default_rng(0)
    trace = [obs]
    for _ in range(steps):
        obs, reward, terminated, truncated, info = env.step(gen.integers(0, 6, (N, 6)))
        trace.append((obs, reward, terminated, info["expected_reward"]))
    return trace


@pytest.mark.parametrize("env_id", ["ArtworkBandit-v0", "ArtworkPersonalization-v0"])
def test_native_equals_single_envs(env_id):
    """Member i of the native env follows a single env reset with seed + i, autoresets too."""
    steps = 45
    native = run_native(env_id, steps)
    gen = np.random.default_rng(0)
    actions = [gen.integers(0, 6, (N, 6)) for _ in range(steps)]
    for i in range(N):
        env = gym.make(env_id)
        obs, _ = env.reset(seed=3 + i)
        for key in obs:
            assert np.array_equal(obs[key], native[0][key][i])
        for t in range(steps):
            obs, reward, terminated, _, info = env.step(actions[t][i])
            native_obs, native_reward, native_terminated, native_expected = native[t + 1]
            assert reward == native_reward[i] and terminated == native_terminated[i]
            assert info["expected_reward"] == native_expected[i]
            if terminated:
                obs, _ = env.reset()
            for key in obs:
                assert np.array_equal(obs[key], native_obs[key][i]), (i, t, key)


def test_native_equals_sync_vector_env():
    native = gym.make_vec("ArtworkPersonalization-v0", num_envs=N,
                          vectorization_mode="vector_entry_point")
    sync = gym.make_vec("ArtworkPersonalization-v0", num_envs=N, vectorization_mode="sync",
                        vector_kwargs={"autoreset_mode": gym.vector.AutoresetMode.SAME_STEP})
    obs_a, _ = native.reset(seed=11)
    obs_b, _ = sync.reset(seed=11)
    gen = np.random.default_rng(1)
    for _ in range(50):
        action = gen.integers(0, 6, (N, 6))
        obs_a, reward_a, term_a, _, info_a = native.step(action)
        obs_b, reward_b, term_b, _, info_b = sync.step(action)
        assert all(np.array_equal(obs_a[k], obs_b[k]) for k in obs_a)
        assert np.array_equal(reward_a, reward_b) and np.array_equal(term_a, term_b)
        if term_a.any():
            for i in np.flatnonzero(term_a):
                for key in obs_a:
                    assert np.array_equal(info_a["final_obs"][i][key], info_b["final_obs"][i][key])


def test_vector_spaces_infos_and_render():
    env = ArtworkVectorEnv(num_envs=3, render_mode="ansi", render_member=1, n_visits=1)
    assert env.metadata["autoreset_mode"] == gym.vector.AutoresetMode.SAME_STEP
    obs, info = env.reset(seed=0)
    assert env.observation_space.contains(obs)
    assert info["row_titles"].shape == (3, 6)
    obs, reward, terminated, truncated, info = env.step(np.zeros((3, 6), dtype=np.int64))
    assert reward.shape == (3,) and terminated.all()  # the bandit default: one visit
    assert info["_clicks"].all() and info["clicks"].shape == (3, 6)
    assert info["_final_obs"].all() and set(info["final_obs"][0]) == set(obs)
    assert (info["regret"] >= 0).all()
    assert "Title" in env.render()
    with pytest.raises(ValueError, match="slot 2"):
        env.step(np.array([[0, 0, 9, 0, 0, 0]] * 3))
