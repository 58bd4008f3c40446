"""The lifetime-aware learner `ltv`: its myopic twin is the factored bandit, its score is
the gain plus gamma x click x delta, and its transitions and TD targets are right."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from agents.base import ProblemSpec
from agents.registry import make_agent
from artwork_env.env import agent_observation
from artwork_env.vector_env import make_vector

N = 8
SMALL = dict(hidden=32, ensemble=2, batch_size=64, train_every=2, train_steps=2)


@pytest.fixture(scope="module")
def env():
    return make_vector("ArtworkPersonalization-v1", N, n_titles=60)


def drive(agent, env, steps: int, seed: int = 0):
    """`steps` visits of act, step, update, as the rollout loop runs them; the last
    agent observation."""
    obs, info = env.reset(seed=seed)
    start = np.ones(N, dtype=bool)
    for _ in range(steps):
        agent_obs = agent_observation(obs, info, start)
        actions = agent.act(agent_obs)
        obs, reward, terminated, truncated, info = env.step(actions)
        agent.update(agent_obs, actions, reward, info)
        start = terminated | truncated
    return agent_observation(obs, info, start)


def test_ltv_with_gamma_0_is_the_factored_bandit_to_the_bit(env):
    spec = ProblemSpec.from_env(env)
    twin = make_agent("ltv", spec, seed=3, gamma=0.0, **SMALL)
    bandit = make_agent("factored_bandit", spec, seed=3, **SMALL)
    assert twin.values is None
    obs_twin, obs_bandit = drive(twin, env, 12), drive(bandit, env, 12)
    assert np.array_equal(twin.act(obs_twin), bandit.act(obs_bandit))
    mine, theirs = twin.state_arrays(), bandit.state_arrays()
    assert mine.keys() == theirs.keys()
    for key in mine:
        assert np.array_equal(mine[key], theirs[key]), key


def test_ltv_scores_the_gain_plus_gamma_times_click_times_click_value(env):
    spec = ProblemSpec.from_env(env)
    agent = make_agent("ltv", spec, seed=0, gamma=0.8, **SMALL)
    obs = drive(agent, env, 6)
    delta = agent.click_values(obs)
    assert delta.std() > 0  # trained away from its zero start
    click, play = agent.member_probabilities(obs)
    gain = click * (play - spec.bounce_penalty * (1 - play))
    assert np.allclose(agent.member_gains(obs), gain + 0.8 * click * delta[None], atol=1e-6)


def test_ltv_closes_each_visit_with_the_next_observation_of_its_member(env):
    """A visit's transition holds its member row and reward, the next visit's member row,
    whether a new member came (the lifetime ended), and one row per clicked slot, the
    visit's clicks together, each knowing its visit, its place and their number."""
    spec = ProblemSpec.from_env(env)
    agent = make_agent("ltv", spec, seed=0, gamma=1.0, train_every=10**6, **{
        k: v for k, v in SMALL.items() if k != "train_every"})
    obs, info = env.reset(seed=5)
    start = np.ones(N, dtype=bool)
    history = []
    for _ in range(40):
        agent_obs = agent_observation(obs, info, start)
        actions = agent.act(agent_obs)
        obs, reward, terminated, truncated, info = env.step(actions)
        agent.update(agent_obs, actions, reward, info)
        history.append((agent_obs, reward, info["clicks"].copy()))
        start = terminated | truncated
    assert agent.visits.size == 39 * N
    rows = agent.visits.filled()
    clicks_seen = 0
    for t in range(39):
        (before, reward, clicks), (after, _, _) = history[t], history[t + 1]
        block = slice(t * N, (t + 1) * N)
        assert np.array_equal(rows["member"][block], before["member"])
        assert np.array_equal(rows["next_member"][block], after["member"])
        assert np.array_equal(rows["done"][block], after["episode_start"].astype(np.float32))
        assert np.allclose(rows["reward"][block], reward)
        assert np.array_equal(rows["clicked"][block], clicks.any(axis=1).astype(np.float32))
        n_clicks = clicks.sum(axis=1)
        kept = slice(clicks_seen, clicks_seen + n_clicks.sum())
        owners = np.repeat(np.arange(N), n_clicks)
        assert np.array_equal(agent.clicks.columns["visit"][kept], t * N + owners)
        assert np.array_equal(agent.clicks.columns["n_clicks"][kept], n_clicks[owners])
        assert np.array_equal(agent.clicks.columns["place"][kept],
                              np.concatenate([np.arange(c) for c in n_clicks]))
        assert np.array_equal(agent.clicks.columns["done"][kept],
                              after["episode_start"][owners].astype(np.float32))
        clicks_seen += int(n_clicks.sum())
    assert rows["done"].sum() > 0  # some lifetimes ended in 40 visits
    assert agent.clicks.size == clicks_seen > 0


def fit_made_up_world(env, respond, steps: int = 400, value_steps: int = 1000):
    """An ltv agent fitted on a made-up world over real observations: `respond(actions,
    start, gen)` gives each visit's (clicks, rewards, lifetime ended), and the member row
    shows the share of the last visit's slots clicked (in the `last_bounces` column, as
    the env's shows its bounces); the agent explores uniformly, stores the transitions,
    then takes `value_steps` steps on its value networks alone. Returns the agent and a
    last observation to probe."""
    spec = ProblemSpec.from_env(env)
    agent = make_agent("ltv", spec, seed=0, gamma=0.9, epsilon=1.0, value_learning_rate=3e-3,
                       target_rate=0.05, hidden=32, ensemble=1, batch_size=128,
                       train_every=10**6)
    gen = np.random.default_rng(0)
    obs, info = env.reset(seed=1)
    start = np.ones(N, dtype=bool)
    shown = np.zeros(N)  # the made-up world's last clicks, where the member row shows them
    for _ in range(steps):
        agent_obs = agent_observation(obs, info, start)
        agent_obs["member"] = agent_obs["member"].copy()
        agent_obs["member"][:, spec.layout.member["last_bounces"]] = \
            np.where(start, 0.0, shown)[:, None]
        actions = agent.act(agent_obs)
        clicks, reward, ends = respond(actions, start, gen)
        shown = clicks.mean(axis=1)
        agent.update(agent_obs, actions, reward, {**info, "clicks": clicks,
                                                  "plays": np.zeros_like(clicks)})
        obs, _, terminated, truncated, info = env.step(actions)
        start = terminated | truncated | ends
    for _ in range(value_steps):
        agent._value_step()
    return agent, agent_observation(obs, info, start)


@pytest.mark.slow
def test_ltv_learns_that_a_click_which_ends_the_lifetime_costs_the_value_after_it(env):
    """Every visit earns 1, each slot is clicked with probability 0.3, and a click on
    artwork 0 ends the member's lifetime. A click on artwork 0 costs about B (what the
    next state is worth without a click) against a click on any other artwork, clicked as
    often and mostly beside other clicks: the joint fit over a visit's clicks gives the
    loss to artwork 0 alone (within 30 %, on average over the probed candidates). The
    average click costs B / 6, which kappa takes."""
    def respond(actions, start, gen):
        clicks = gen.random(actions.shape) < 0.3
        return clicks, np.ones(N), (clicks & (actions == 0)).any(axis=1)

    agent, probe = fit_made_up_world(env, respond)
    assert (agent.clicks.columns["n_clicks"][:agent.clicks.size] > 1).mean() > 0.5
    delta = agent.click_values(probe)
    _, base, kappa = agent.state_values(np.asarray(probe["member"]))
    assert base.mean() > 1.0
    cost = delta[..., 0].mean() - delta[..., 1:].mean()
    assert -1.3 * base.mean() < cost < -0.7 * base.mean()
    assert -1.3 / 6 * base.mean() < kappa.mean() < -0.7 / 6 * base.mean()


@pytest.mark.slow
def test_ltv_gives_what_every_click_reveals_to_kappa_not_to_the_clicked_image(env):
    """Clicks change nothing, but they select: an engaged member (half of them, unseen by
    the agent) clicks each slot with probability 0.5 and earns 1 a visit, the others 0.05
    and 0.2. The future after a click is higher whatever image was clicked: kappa takes
    it, and no image's delta does (scored by delta, no image is favoured for drawing
    clicks)."""
    engaged = np.zeros(N, dtype=bool)

    def respond(actions, start, gen):
        engaged[start] = gen.random(int(start.sum())) < 0.5
        chance = np.where(engaged, 0.5, 0.05)[:, None]
        return (gen.random(actions.shape) < chance, np.where(engaged, 1.0, 0.2),
                np.zeros(N, dtype=bool))

    agent, probe = fit_made_up_world(env, respond, value_steps=3000)
    delta = agent.click_values(probe)
    _, _, kappa = agent.state_values(np.asarray(probe["member"]))
    assert np.abs(delta.mean()) < 0.05
    assert kappa.mean() > 0.1


def test_ltv_refuses_a_gamma_outside_0_1_and_networks_saved_with_another_gamma(env, tmp_path):
    spec = ProblemSpec.from_env(env)
    with pytest.raises(ValueError, match="gamma must be in"):
        make_agent("ltv", spec, gamma=1.5)
    make_agent("ltv", spec, gamma=0.9, hidden=16, ensemble=1).save(tmp_path / "planning")
    with pytest.raises(ValueError, match="gamma=0.0"):
        make_agent("ltv", spec, gamma=0.0, hidden=16, ensemble=1).load(tmp_path / "planning")
    torch.manual_seed(0)
