"""The native vector env agrees bit for bit with single envs and SyncVectorEnv."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from artwork_env.envs.vector_env import ArtworkVectorEnv

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


@pytest.mark.parametrize("env_id", ["ArtworkBandit-v0", "ArtworkPersonalization-v0"])
def test_native_equals_sync_vector_env(env_id):
    native = gym.make_vec(env_id, num_envs=N, vectorization_mode="vector_entry_point")
    sync = gym.make_vec(env_id, num_envs=N, vectorization_mode="sync",
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


# ------------------------------------------------- final observations
def test_kept_final_observations_never_change():
    """An info, its final_obs array, one member's dict, one array and a slice of one, each
    kept while the env steps on, keep their values."""
    env = ArtworkVectorEnv(num_envs=4, n_visits=1)  # every member ends every step
    env.reset(seed=0)
    actions = np.zeros((4, 6), dtype=np.int64)
    readers = {  # the arrays each kind of holder reaches
        "info": lambda info: [final[key] for final in info["final_obs"] for key in final],
        "final_obs": lambda finals: [final[key] for final in finals for key in final],
        "dict": lambda final: [final[key] for key in final],
        "array": lambda array: [array],
        "slice": lambda array: [array]}
    kept = []
    for holder, read in readers.items():
        info = env.step(actions)[4]
        final = info["final_obs"]
        part = {"info": info, "final_obs": final, "dict": final[1],
                "array": final[2]["artworks"], "slice": final[3]["member"][5:9]}[holder]
        kept.append((read, part, [array.copy() for array in read(part)]))
        del info, final, part
        for _ in range(3):
            env.step(actions)
    for read, part, then in kept:
        assert all(np.array_equal(now, before) for now, before in zip(read(part), then))


# ------------------------------------------------------------ NEXT_STEP autoreset
def _run(env_id: str, mode, steps: int = 12, n: int = 4):
    """(observations returned, rewards, terminated, step-key masks) of `steps` steps with
    the first allowed artworks."""
    venv = gym.make_vec(env_id, num_envs=n, autoreset_mode=mode)
    obs, _ = venv.reset(seed=11)
    out = []
    for _ in range(steps):
        actions = np.argmax(obs["action_mask"], axis=2)
        obs, reward, terminated, _, info = venv.step(actions)
        out.append(({k: v.copy() for k, v in obs.items()}, reward, terminated,
                    info["_clicks"].copy(), info))
    return out


@pytest.mark.parametrize("env_id", ["ArtworkBandit-v0", "ArtworkPersonalization-v0"])
def test_next_step_autoreset_meets_the_same_members_as_same_step(env_id):
    """Dropping NEXT_STEP's reset steps (masked out in info) leaves exactly SAME_STEP's
    visits: the same rewards, and each NEXT_STEP reset returns the observation SAME_STEP
    returned right after the episode ended."""
    from gymnasium.vector import AutoresetMode
    same = _run(env_id, AutoresetMode.SAME_STEP, steps=12)
    nxt = _run(env_id, AutoresetMode.NEXT_STEP, steps=24)
    for member in range(4):
        visits = [(r[member], t[member]) for _, r, t, mask, _ in nxt if mask[member]]
        assert visits[:len(same) // 2] == [(r[member], t[member])
                                           for _, r, t, _, _ in same][:len(same) // 2]
        for step, (_, reward, terminated, mask, _) in enumerate(nxt):
            if not mask[member]:  # a reset step: nothing happened
                assert reward[member] == 0.0 and not terminated[member]
                step_info = nxt[step][4]
                assert step_info["n_plays"][member] == 0 and not step_info["clicks"][member].any()
                assert nxt[step - 1][2][member]  # it follows the episode's last step
    # the first NEXT_STEP reset shows the member SAME_STEP put there right away
    first_end = next(i for i, s in enumerate(same) if s[2][0])
    resets = [i for i, s in enumerate(nxt) if not s[3][0]]
    same_obs, next_obs = same[first_end][0], nxt[resets[0]][0]
    for name in same_obs:
        assert np.array_equal(same_obs[name][0], next_obs[name][0]), name


def test_gymnasium_vector_observation_wrappers_run_on_next_step():
    from gymnasium.vector import AutoresetMode
    from gymnasium.wrappers.vector import FlattenObservation, NormalizeObservation
    venv = gym.make_vec("ArtworkPersonalization-v0", num_envs=8,
                        autoreset_mode=AutoresetMode.NEXT_STEP)
    assert venv.metadata["autoreset_mode"] is AutoresetMode.NEXT_STEP
    wrapped = NormalizeObservation(FlattenObservation(venv))
    obs, _ = wrapped.reset(seed=0)
    assert obs.shape == (8, wrapped.single_observation_space.shape[0])
    for _ in range(30):
        obs, *_ = wrapped.step(wrapped.action_space.sample(mask=None) * 0)
    assert np.isfinite(obs).all()


def test_an_unsupported_autoreset_mode_is_named():
    from gymnasium.vector import AutoresetMode
    with pytest.raises(ValueError, match="autoreset_mode"):
        gym.make_vec("ArtworkBandit-v0", num_envs=2, autoreset_mode=AutoresetMode.DISABLED)
    with pytest.raises(ValueError, match="autoreset_mode"):
        gym.make_vec("ArtworkBandit-v0", num_envs=2, autoreset_mode="sometimes")
