"""The Gymnasium and stable-baselines3 contracts of both registered environments."""

from __future__ import annotations

import copy
import dataclasses
import subprocess
import sys
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import artwork_env
from artwork_env.compiled.core import ArtworkSimulator
from artwork_env.model.config import ModelConfig, parameter_names


def test_gymnasium_check_env(env_id):
    check_env(gym.make(env_id).unwrapped)


def test_sb3_check_env(env_id):
    with warnings.catch_warnings():
        # SB3 only advises flattening the (K, ...) boxes; MultiInputPolicy flattens them itself.
        warnings.filterwarnings("ignore", message=".*(unconventional shape|image).*")
        sb3_check_env(gym.make(env_id), warn=True)


def test_step_types_and_copies(env_id):
    env = gym.make(env_id)
    obs, _ = env.reset(seed=3)
    obs2, reward, terminated, truncated, info = env.step(env.action_space.sample())
    assert type(reward) is float and type(terminated) is bool and type(truncated) is bool
    for key in obs:
        assert not np.shares_memory(obs[key], obs2[key])
        assert env.observation_space[key].contains(obs2[key]), key
    assert env.observation_space.contains(obs2)


def test_spaces_follow_the_design():
    env = gym.make("ArtworkBandit-v0")
    space = env.observation_space
    assert set(space.spaces) == {"member", "titles", "artworks", "action_mask"}
    for key in ("member", "titles", "artworks"):
        assert space[key].dtype == np.float32
        assert np.isfinite(space[key].low).all() and np.isfinite(space[key].high).all()
    assert space["action_mask"].dtype == np.int8
    assert isinstance(env.action_space, gym.spaces.MultiDiscrete)
    assert env.action_space.nvec.tolist() == [6] * 6


def test_info_keys_and_ground_truth(bandit_env):
    obs, _ = bandit_env.reset(seed=0)
    unwrapped = bandit_env.unwrapped
    value, best = unwrapped.oracle()
    action = bandit_env.action_space.sample()
    expected = unwrapped.expected_reward(action)
    _, _, terminated, _, info = bandit_env.step(action)
    for key in ("clicks", "plays", "bounces"):
        assert info[key].dtype == bool and info[key].shape == (6,)
    assert info["titles"].shape == (6,)
    assert info["oracle_expected_reward"] == pytest.approx(value)
    assert np.array_equal(info["oracle_action"], best)
    assert info["expected_reward"] == pytest.approx(expected)
    assert info["regret"] == pytest.approx(max(0.0, value - expected))
    assert info["n_impressions"] == 6
    assert info["n_plays"] == info["plays"].sum() <= 1
    assert info["n_bounces"] == info["n_clicks"] - info["n_plays"]
    assert terminated  # the bandit env is one visit


def test_bandit_is_one_visit_and_lifetime_is_up_to_n_visits():
    env = gym.make("ArtworkPersonalization-v0", n_visits=7, churn_probability=0.0)
    env.reset(seed=0)
    steps = 0
    while True:
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        steps += 1
        if terminated or truncated:
            break
    assert steps == 7


def test_churn_ends_the_lifetime_early():
    env = gym.make("ArtworkPersonalization-v0", churn_after=1, churn_probability=1.0,
                   base_logit=-30.0)  # no plays at all: churn after the first empty visit
    env.reset(seed=0)
    _, _, terminated, _, info = env.step(env.action_space.sample())
    assert terminated and info["churned"]


def test_every_parameter_is_a_make_keyword():
    env = gym.make("ArtworkBandit-v0", n_slots=4, n_artworks=3, reward="click", n_titles=50)
    assert env.action_space.nvec.tolist() == [3] * 4
    assert env.unwrapped.config.reward == "click"
    assert "fatigue_weight" in parameter_names() and len(parameter_names()) > 40


@pytest.mark.slow  # a fresh interpreter
def test_module_prefix_make_in_a_fresh_interpreter():
    code = ("import gymnasium as gym; env = gym.make('artwork_env:ArtworkBandit-v0'); "
            "o, _ = env.reset(seed=0); print(sorted(o))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "action_mask" in out


def test_artwork_range_turns_on_the_mask():
    env = gym.make("ArtworkBandit-v0", n_artworks=(3, 9))
    obs, _ = env.reset(seed=1)
    assert env.action_space.nvec.tolist() == [9] * 6
    counts = obs["action_mask"].sum(axis=1)
    assert counts.min() >= 3 and counts.max() <= 9
    action = obs["action_mask"].argmax(axis=1)  # first allowed artwork in each slot
    env.step(action)


def test_demo_catalog_reads_like_the_real_thing():
    env = gym.make("ArtworkPersonalization-v0", catalog="demo", render_mode="ansi")
    obs, _ = env.reset(seed=0)
    world = env.unwrapped.world
    assert "Good Will Hunting" in world.title_names
    gwh = world.title_names.index("Good Will Hunting")
    assert world.artwork_names[gwh][:2] == ("romance: Damon & Driver", "comedy: Robin Williams")
    assert env.action_space.nvec[0] == 9  # Stranger Things has nine artworks
    env.step(obs["action_mask"].argmax(axis=1))
    text = env.render()
    assert any(name in text for name in world.title_names)


def test_render_modes():
    env = gym.make("ArtworkBandit-v0", render_mode="rgb_array")
    env.reset(seed=0)
    before = env.render()
    env.step(env.action_space.sample())
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    assert frame.shape == before.shape and not np.array_equal(frame, before)
    text_env = gym.make("ArtworkBandit-v0", render_mode="ansi")
    text_env.reset(seed=0)
    _, _, _, _, info = text_env.step(text_env.action_space.sample())
    text = text_env.render()
    assert len(text.strip().splitlines()) == 1 + 6
    outcomes = [line.split()[-1] for line in text.strip().splitlines()[1:]]
    assert outcomes.count("play") == info["n_plays"]
    assert outcomes.count("bounce") == info["n_bounces"]


def test_env_ids_registered():
    for env_id in artwork_env.ENV_IDS:
        assert env_id in gym.registry


def test_single_env_gives_the_next_row_like_the_vector_env():
    """`info["row_titles"]` at reset and after every step is the row of the returned
    observation, in the single env as in the vector env; an agent acts on both through
    `agent_observation` and chooses the same artworks for the same member."""
    from artwork_env.agents.base import ProblemSpec
    from artwork_env.agents.registry import make_agent
    from artwork_env.envs.env import agent_observation

    single = gym.make("ArtworkPersonalization-v0")
    vector = gym.make_vec("ArtworkPersonalization-v0", num_envs=1,
                          vectorization_mode="vector_entry_point")
    agent = make_agent("linucb", ProblemSpec.from_env(single), seed=0)
    obs, info = single.reset(seed=11)
    vobs, vinfo = vector.reset(seed=11)
    start = True
    for _ in range(6):
        assert np.array_equal(info["row_titles"], vinfo["row_titles"][0])
        assert np.array_equal(obs["titles"], vobs["titles"][0])
        seen = agent_observation(obs, info, start)
        assert np.array_equal(seen["title_ids"], vinfo["row_titles"])
        action = agent.act(seen, explore=False)
        assert np.array_equal(action, agent.act(agent_observation(vobs, vinfo, [start]),
                                                explore=False))
        obs, _, terminated, _, info = single.step(action[0])
        vobs, _, _, _, vinfo = vector.step(action)
        start = False
        if terminated:
            break


def test_the_observation_layout_names_what_the_env_writes():
    """Every named block holds what its name says: widths add up to the spaces, one-hots
    sum to one, counters start at zero, and the per-member artwork columns move when an
    artwork is shown."""
    env = gym.make("ArtworkPersonalization-v0", n_artworks=(3, 6))
    layout = env.unwrapped.sim.layout
    for key, shape in layout.shapes().items():
        assert env.observation_space[key].shape == shape
    obs, info = env.reset(seed=4)
    member, titles, artworks = obs["member"], obs["titles"], obs["artworks"]
    exists = obs["action_mask"] > 0
    assert member[layout.member["device"]].sum() == 1.0
    assert member[layout.member["region"]].sum() == 1.0
    assert member[layout.member.index("visit_progress")] == 0.0
    assert np.allclose(titles[:, layout.title["genres"]].sum(axis=1), 1.0, atol=1e-5)
    assert np.all(artworks[..., layout.artwork["theme"]].sum(axis=2)[exists] == 1.0)
    assert np.all(artworks[..., layout.artwork["face"]].sum(axis=2)[exists] == 1.0)
    shown_last = layout.artwork.index("shown_last")
    assert artworks[..., shown_last].sum() == 0.0
    action = np.argmax(exists, axis=1)
    obs, _, _, _, info = env.step(action)
    again = np.flatnonzero(np.isin(info["row_titles"], info["titles"]))
    assert again.size > 0  # this seed shows two titles again
    for slot in again:  # a title shown before shows which artwork it had
        title = info["row_titles"][slot]
        before = int(np.flatnonzero(info["titles"] == title)[0])
        assert obs["artworks"][slot, action[before], shown_last] == 1.0
        assert obs["titles"][slot, layout.title.index("times_shown")] > 0


def test_the_single_env_info_is_the_batched_info_row():
    """`step_info` builds one member's info directly; it equals `batched_info`'s row, with
    the same Python types (arrays copied, scalars as Python numbers)."""
    from artwork_env.envs.env import batched_info
    env = gym.make("ArtworkPersonalization-v0", n_artworks=(2, 6))
    env.reset(seed=5)
    sim = env.unwrapped.sim
    outcomes = []
    original = sim.visit_step
    sim.visit_step = lambda actions, reuse=False: outcomes.append(original(actions)) or \
        outcomes[-1]
    for _ in range(6):
        _, _, terminated, _, info = env.step(np.full(6, 4))  # some artworks missing
        row = batched_info(outcomes[-1], np.array([info["n_substituted"]]))
        assert info.keys() - {"row_titles"} == row.keys()
        for key, value in row.items():
            if isinstance(info[key], np.ndarray):
                assert np.array_equal(info[key], value[0]), key
            else:
                plain = value[0].item()
                assert info[key] == plain and type(info[key]) is type(plain), key
        if terminated:
            break


def test_the_single_env_info_outlives_the_next_step():
    """The single env's visit writes into arrays the simulator reuses; the `info` a step
    returns holds copies, which later steps leave alone."""
    env = gym.make("ArtworkPersonalization-v0")
    env.reset(seed=2)
    env.action_space.seed(2)
    kept = []
    for _ in range(5):
        _, _, terminated, _, info = env.step(env.action_space.sample())
        kept.append((info, copy.deepcopy(info)))
        if terminated:
            break
    assert len(kept) >= 3
    for info, snapshot in kept:
        for key, value in snapshot.items():
            assert np.array_equal(info[key], value), key


def test_reused_visit_outcome_is_the_fresh_one():
    """`visit_step(reuse=True)` gives the same outcome, bit for bit, in the simulator's own
    arrays (the same ones each time)."""
    config = ModelConfig.from_kwargs(n_visits=4)
    fresh, reused = ArtworkSimulator(config, 3), ArtworkSimulator(config, 3)
    keys = np.arange(3, dtype=np.uint64) + 11
    fresh.reset_members(np.arange(3), keys)
    reused.reset_members(np.arange(3), keys)
    before = None
    for step in range(3):
        actions = np.full((3, config.n_slots), step % 2)
        a, b = fresh.visit_step(actions), reused.visit_step(actions, reuse=True)
        assert before is None or b is before
        before = b
        for field in dataclasses.fields(a):
            assert np.array_equal(getattr(a, field.name), getattr(b, field.name)), field.name


def test_the_rgb_page_is_labelled_with_pillow_and_the_same_size_without(monkeypatch):
    """Title names, themes, outcome words and a legend are drawn in the label strips where
    Pillow is installed; without it those strips stay blank and nothing else changes."""
    pytest.importorskip("PIL")
    from artwork_env.envs import rendering

    env = gym.make("ArtworkBandit-v0", catalog="demo", render_mode="rgb_array")
    obs, _ = env.reset(seed=0)
    env.step(obs["action_mask"].argmax(axis=1))
    labelled = env.render()
    monkeypatch.setattr(rendering, "ImageDraw", None)
    plain = env.render()
    assert labelled.shape == plain.shape
    at = rendering._layout(6)
    for strip in ("header", "names", "words", "legend"):
        rows = slice(at[strip], at[strip] + rendering.TEXT_H)
        assert (plain[rows] == 20).all(), strip  # blank without Pillow
        assert (labelled[rows] > 150).sum() > 100, strip  # light text on the dark ground
    bars = slice(at["bars"], at["bars"] + rendering.BAR_H)
    assert np.array_equal(labelled[bars], plain[bars])  # the outcome bars are the same
