"""Offline evaluation with a model of the page: the cascade click model, the pseudoinverse
estimator, effective sample sizes and policy selection."""

from __future__ import annotations

import itertools

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest
import torch

from artwork_env.agents.base import ProblemSpec
from artwork_env.agents.click_model import ClickModelConfig, cascade_log_likelihood, click_model
from artwork_env.agents.policies import GreedyPolicy, UniformPolicy
from artwork_env.agents.registry import make_agent
from artwork_env.experiments.collect import collect
from artwork_env.experiments.ope_study import TARGET, online_curve, selection_table
from artwork_env.model.config import ModelConfig
from artwork_env.ope import target_distribution, true_value
from artwork_env.ope.estimators import effective_sample_size, model_based, pseudoinverse
from artwork_env.reference import fresh_members

SMALL_WORLD = {"n_slots": 3, "n_artworks": 3}
ADDITIVE = {"reward": "click", "play_logit": -40.0, "salience_weight": 0.0}
"""No play ends a scan and no neighbour matters: each slot's click depends only on its
examination (the member's patience) and its own artwork, so the reward is additive."""


def spec_of(**env_kwargs) -> ProblemSpec:
    return ProblemSpec.from_env(gym.make("ArtworkBandit-v0", **env_kwargs))


# ------------------------------------------------------------------- the likelihood
def test_the_cascade_likelihood_sums_to_one_over_every_possible_visit():
    """Every outcome the cascade allows (clicks; a play only after a click, nothing after a
    play) for 3 slots, with random logits: the probabilities sum to 1."""
    k = 3
    gen = torch.Generator().manual_seed(0)
    click = torch.randn(1, k, generator=gen, dtype=torch.float64)
    play = torch.randn(1, k, generator=gen, dtype=torch.float64)
    patience = torch.randn(k - 1, generator=gen, dtype=torch.float64)
    # per slot 0: no click, 1: a bounce, 2: a play, after which nothing happens
    outcomes = [o for o in itertools.product((0, 1, 2), repeat=k)
                if all(after == 0 for j, s in enumerate(o) if s == 2 for after in o[j + 1:])]
    clicks = torch.tensor([[s > 0 for s in o] for o in outcomes], dtype=torch.float64)
    plays = torch.tensor([[s == 2 for s in o] for o in outcomes], dtype=torch.float64)
    n = len(outcomes)
    ll = cascade_log_likelihood(click.expand(n, k), play.expand(n, k), patience, clicks, plays)
    assert n == 2 ** 3 + 1 + 2 + 4  # no play, or a play at slot j after 2^j prefixes
    assert float(ll.exp().sum()) == pytest.approx(1.0, abs=1e-10)


# --------------------------------------------------------------------- pseudoinverse
def _expected_pseudoinverse(config: ModelConfig, n_members: int = 30) -> tuple[float, float]:
    """(E over uniform logs of the pseudoinverse estimate, the truth) for the myopic
    oracle's row as the target, by enumerating every logged row with its exact expected reward."""
    sim = fresh_members(config, n_members, seed=5)
    m, k = sim.n_artworks, config.n_slots
    target = sim.oracle()[1]  # the best row: plays come early, and end the scan
    expected = np.zeros(n_members)
    for row in itertools.product(range(m), repeat=k):
        actions = np.tile(row, (n_members, 1))
        weight_sum = (m * (actions == target)).sum(axis=1)
        expected += (weight_sum - k + 1) * sim.expected_reward(actions) / m ** k
    return float(expected.mean()), float(sim.expected_reward(target).mean())


def test_the_pseudoinverse_is_unbiased_exactly_when_the_reward_is_additive():
    """Its expectation over every logged row equals the truth to rounding in a world built
    additive, and misses it on the cascade page, where a play ends the scan."""
    additive, truth = _expected_pseudoinverse(ModelConfig(n_visits=1, **SMALL_WORLD, **ADDITIVE))
    assert additive == pytest.approx(truth, rel=1e-9)
    cascade, truth = _expected_pseudoinverse(ModelConfig(n_visits=1, **SMALL_WORLD))
    assert abs(cascade / truth - 1) > 0.005  # +1.3 %


def test_the_pseudoinverse_estimate_is_the_weighted_page_reward():
    data = collect(UniformPolicy(seed=0), 200, "ArtworkBandit-v0", SMALL_WORLD, seed=0)
    dist = np.full(data.action_mask.shape, 1 / 3)
    dist[:, :, 0], dist[:, :, 1:] = 1.0, 0.0
    estimate = pseudoinverse(data, dist, n_bootstrap=10)
    w = 3.0 * (data.actions == 0)
    assert estimate.value == pytest.approx(((w.sum(1) - 2) * data.reward).mean(), rel=1e-12)


# --------------------------------------------------------------- effective sample size
def test_effective_sample_size_counts_the_events_a_deterministic_target_keeps():
    """Uniform weights keep every visit; a point-mass target on a uniform log weighs the
    matching events by M and the others by 0: Kish's size is the number matching."""
    assert effective_sample_size(np.ones((50, 3))) == (50.0, 50.0, 50.0)
    matched = np.random.default_rng(0).random((600, 3)) < 1 / 3
    sizes = effective_sample_size(3.0 * matched)
    np.testing.assert_allclose(sizes, matched.sum(axis=0))


# ----------------------------------------------------------------- policy selection
def test_selection_scores_a_perfect_and_a_reversed_ranking():
    truth = [0.1, 0.2, 0.3, 0.4]
    rows = []
    for log in (0, 1):
        for i, value in enumerate(truth):
            rows.append({"log": log, "policy": f"p{i}", "estimator": "good", "variant": "v",
                         "value": value + 0.01 * log, "truth": value})
            rows.append({"log": log, "policy": f"p{i}", "estimator": "bad", "variant": "v",
                         "value": -value, "truth": value})
            rows.append({"log": log, "policy": f"p{i}", "estimator": "blind", "variant": "v",
                         "value": value if i < 3 else np.nan, "truth": value})
    table = selection_table(pd.DataFrame(rows)).set_index("estimator")
    assert table.loc["good", "kendall_tau"] == 1.0 and table.loc["good", "picks_best"] == 1.0
    assert table.loc["good", "mean_regret"] == 0.0
    assert table.loc["bad", "kendall_tau"] == -1.0 and table.loc["bad", "picks_best"] == 0.0
    assert table.loc["bad", "mean_regret"] == pytest.approx(0.3)
    # a nan estimate ranks last and is never picked
    assert table.loc["blind", "mean_regret"] == pytest.approx(0.1)
    assert table.loc["blind", "n_policies"] == 4


# ----------------------------------------------------------------- the click model
@pytest.fixture(scope="module")
def default_world_target():
    spec = spec_of()
    agent = make_agent("linucb", spec, seed=1)
    online_curve(agent, 8000, seed=10_001)
    target = GreedyPolicy(agent, learn=False)
    truth, _ = true_value(target, ModelConfig(n_visits=1), n_members=30_000)
    return spec, target, truth


@pytest.mark.slow
def test_the_click_model_estimate_is_close_to_the_truth_on_the_default_page(
        default_world_target):
    """Where every per-slot estimator is +16 % off (docs/offline_evaluation.md), the click
    model's estimate on each of 2 uniform logs of 20,000 visits is within 4 % of the truth
    (its standard error is about 1.9 %) and its interval holds it."""
    spec, target, truth = default_world_target
    for seed in (0, 1):
        data = collect(UniformPolicy(seed=seed), 20_000, seed=seed)
        estimate = model_based(click_model(data, spec).evaluate(target_distribution(target,
                                                                                    data)))
        assert abs(estimate.value / truth - 1) < 0.04, (seed, estimate.value, truth)
        assert estimate.ci_low <= truth <= estimate.ci_high
        assert 0.005 < estimate.std_error / truth < 0.04


def test_click_model_settings_are_checked():
    with pytest.raises(ValueError, match="ridge"):
        ClickModelConfig(ridge=0.0)
    with pytest.raises(ValueError, match="cg_steps"):
        ClickModelConfig(cg_steps=0)


class _UnpicklablePolicy(UniformPolicy):
    """Uniform, holding a lambda: it cannot be sent to another process."""

    def __init__(self) -> None:
        super().__init__()
        self.hook = lambda: None


@pytest.mark.slow
def test_an_sb3_candidate_goes_to_the_workers_and_gives_the_numbers_of_one_process():
    """`compare_estimators.py` with its default two workers died on a PPO candidate (an SB3
    model held its env and did not pickle), then ran its logs in one process. An SB3 agent
    now pickles as the bytes `save` writes: the copy acts as the original does, and the
    study gives the same numbers with two workers as with one (each log reads a fresh copy
    of every policy, so random tie-breaks do not carry from log to log). A policy that does not
    pickle still keeps the logs in this process, with a warning."""
    import copy
    import pickle

    from artwork_env.experiments.commands.compare_estimators import trained_candidate
    from artwork_env.experiments.ope_study import compare_estimators

    spec = spec_of(**SMALL_WORLD)
    ppo = trained_candidate("ppo@64", spec, SMALL_WORLD)
    sent = pickle.loads(pickle.dumps(ppo))
    env = gym.make_vec("ArtworkBandit-v0", num_envs=16, **SMALL_WORLD)
    obs, info = env.reset(seed=3)
    from artwork_env.envs.env import agent_observation

    agent_obs = agent_observation(obs, info)
    assert np.array_equal(sent.action_distribution(agent_obs), ppo.action_distribution(agent_obs))
    egreedy = trained_candidate("egreedy@200", spec, SMALL_WORLD)  # breaks ties at random
    study = dict(n_logs=3, n_visits=200, env_kwargs=SMALL_WORLD, truth_members=500,
                 n_bootstrap=10, candidates={"ppo@64": ppo, "egreedy@200": egreedy})
    # the same policy objects in both studies: a study leaves them as they were
    state = copy.deepcopy(egreedy.agent.rng.bit_generator.state)
    one = compare_estimators(UniformPolicy, UniformPolicy(), workers=1, **study)
    assert egreedy.agent.rng.bit_generator.state == state
    two = compare_estimators(UniformPolicy, UniformPolicy(), workers=2, **study)
    assert set(two["policy"]) == {TARGET, "ppo@64", "egreedy@200"}
    assert set(two["log"]) == {0, 1, 2}
    pd.testing.assert_frame_equal(one, two)
    with pytest.warns(UserWarning, match="cannot be sent to another process"):
        compare_estimators(UniformPolicy, UniformPolicy(), workers=2,
                           **{**study, "n_logs": 1, "candidates": {"odd": _UnpicklablePolicy()}})


