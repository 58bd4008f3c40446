"""ArtworkPersonalization-v1's long-term effects and the planner that measures their headroom."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from artwork_env import ModelConfig
from artwork_env.compiled.core import ArtworkSimulator
from artwork_env.envs.vector_env import make_vector
from artwork_env.model import rng
from artwork_env.model.page import best_rows
from artwork_env.model.state import STATE_NAMES
from artwork_env.planning import _switch, best_fixed_price, headroom, plan


def fresh(config: ModelConfig, n: int, seed: int = 0) -> ArtworkSimulator:
    sim = ArtworkSimulator(config, n)
    sim.reset_members(np.arange(n), rng.numbered_keys(seed, 0, n))
    return sim


def test_v1_is_v0_with_the_long_term_knob_on():
    v0 = gym.make("ArtworkPersonalization-v0").unwrapped.config
    v1 = gym.make("ArtworkPersonalization-v1").unwrapped.config
    assert v1 == v0.replace(long_term=1.0)
    assert gym.make("ArtworkPersonalization-v1", long_term=0.0).unwrapped.config == v0


def test_an_oversold_click_costs_trust_as_the_model_says():
    """trust <- (the v0 rule) x exp(-long_term x overpromise_trust_loss x U), U the
    misrepresentation the visit's clicks uncovered (docs/model.md, section 4b)."""
    config = ModelConfig(long_term=2.0, overpromise_trust_loss=0.7, base_logit=0.0)
    sim = fresh(config, 2000, seed=4)
    page = sim.page_model()
    actions = np.argmax(page.misrepresentation + np.where(page.exists, 0.0, -1e9), axis=2)
    before = sim.state.trust.copy()
    out = sim.visit_step(actions)
    chosen = np.take_along_axis(page.misrepresentation, actions[..., None], axis=2)[..., 0]
    uncovered = (chosen * out.clicks).sum(axis=1)
    bounces = out.bounces.sum(axis=1)
    v0_rule = np.where(bounces > 0, before * (1 - config.trust_loss) ** bounces,
                       before + config.trust_recovery * (1 - before))
    assert (uncovered > 0).mean() > 0.5  # the check is not vacuous
    np.testing.assert_allclose(sim.state.trust, v0_rule * np.exp(-1.4 * uncovered), rtol=1e-12)


def test_disappointed_members_leave_at_the_models_rate():
    """P(leave after a visit) = 1 - exp(-long_term x disappointment_churn x U) besides the
    empty-visit churn (off here): 20,000 members, the observed rate within 4 standard
    errors (about 0.013) of the mean predicted probability."""
    config = ModelConfig(long_term=1.5, disappointment_churn=1.0, base_logit=0.0,
                         churn_probability=0.0)
    sim = fresh(config, 20_000, seed=5)
    page = sim.page_model()
    actions = np.argmax(page.misrepresentation + np.where(page.exists, 0.0, -1e9), axis=2)
    out = sim.visit_step(actions)
    chosen = np.take_along_axis(page.misrepresentation, actions[..., None], axis=2)[..., 0]
    predicted = 1.0 - np.exp(-1.5 * (chosen * out.clicks).sum(axis=1))
    assert predicted.mean() > 0.1
    se = np.sqrt(predicted.mean() * (1 - predicted.mean()) / len(predicted))
    assert abs(out.churned.mean() - predicted.mean()) < 4 * se
    assert not out.churned[predicted == 0].any()  # nothing uncovered: nobody leaves


def test_copies_of_members_live_the_same_visit():
    sim = fresh(ModelConfig(long_term=1.0), 9, seed=1)
    copy = sim.copy_members(np.arange(9))
    rows = best_rows(sim.config, sim.page_model())
    a, b = sim.visit_step(rows), copy.visit_step(rows)
    for name in ("clicks", "plays", "terminated", "reward", "expected_reward"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    for name in STATE_NAMES:
        assert np.array_equal(getattr(sim.state, name), getattr(copy.state, name)), name


def test_planning_imagines_without_touching_the_members():
    sim = fresh(ModelConfig(long_term=1.0), 5, seed=2)
    before = {name: getattr(sim.state, name).copy() for name in STATE_NAMES}
    rows, prices = plan(sim, n_rollouts=2)
    assert rows.shape == (5, sim.n_slots) and prices.shape == (5,)
    assert sim.candidates()[np.arange(5)[:, None], np.arange(sim.n_slots), rows].all()
    for name in STATE_NAMES:
        assert np.array_equal(getattr(sim.state, name), before[name]), name


def test_on_a_single_visit_the_planner_is_the_myopic_oracle():
    sim = fresh(ModelConfig(n_visits=1, long_term=5.0), 50, seed=3)
    rows, prices = plan(sim)
    assert np.array_equal(rows, sim.oracle()[1]) and not prices.any()
    with pytest.raises(ValueError, match="n_rollouts"):
        plan(sim, n_rollouts=0)
    with pytest.raises(ValueError, match="prices must start with 0.0"):
        plan(sim, prices=(0.1, 1.0))


def test_the_planners_default_is_the_best_fixed_price_myopic_where_nothing_is_to_plan():
    """The pilot (1,000 members) picks the myopic oracle (s = 0) without long-term effects
    and a positive price with them; the switch keeps the default unless another base
    policy's advantage over it beats half its standard error."""
    assert best_fixed_price(ModelConfig(long_term=0.0)) == 0.0
    assert best_fixed_price(ModelConfig(long_term=1.0)) > 0.0
    assert best_fixed_price(ModelConfig(n_visits=1, long_term=5.0)) == 0.0
    flat = np.ones((4, 5, 8))
    assert np.array_equal(_switch(flat, default=2), [2, 2, 2, 2])
    better = flat.copy()
    better[0, 4] += 1.0  # pi_4 better on every rollout for the first member
    better[1, 0] += [3, -3, 3, -3, 3, -3, 3, -1]  # mean 0.25, half its standard error 0.51
    assert np.array_equal(_switch(better, default=2), [4, 2, 2, 2])
    sim = fresh(ModelConfig(long_term=1.0), 5, seed=2)
    with pytest.raises(ValueError, match="default price 0.2"):
        plan(sim, n_rollouts=2, default=0.2)


@pytest.mark.slow
def test_the_planner_finds_headroom_where_the_long_term_effects_are_strong():
    """Measured (200 members, seed 0, 8 rollouts): headroom +0.5 % at long_term = 0 and
    +20.3 % at long_term = 5 (its best fixed priced policy +19.3 %); asserted: within 3
    points of zero, above 10 %, and the planner not below its best fixed policy by more
    than 1 % (the 3-seed curve of docs/model.md: -0.2 % and +26.5 %)."""
    off = headroom(ModelConfig(long_term=0.0), n_members=200, seed=0, n_rollouts=8)
    strong = headroom(ModelConfig(long_term=5.0), n_members=200, seed=0, n_rollouts=8)
    assert abs(off["headroom_pct"]) < 3.0
    assert strong["headroom_pct"] > 10.0
    assert strong["planner"] > 0.99 * strong["fixed"] and strong["fixed_price"] > 0.0
    assert strong["myopic"] < off["myopic"]  # the oversold clicks cost the myopic oracle


@pytest.mark.slow
def test_calibrate_prints_the_headroom_curve(monkeypatch, capsys):
    from artwork_env.experiments.commands import calibrate

    monkeypatch.setattr("sys.argv", ["calibrate.py", "--headroom", "--members", "12",
                                     "--seeds", "0", "1", "--long-term", "0", "2",
                                     "--rollouts", "2"])
    calibrate.main()
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert lines[0].startswith("| long_term |") and len(lines) == 3
    assert lines[1].startswith("| 0 |") and lines[2].startswith("| 2 |")
    monkeypatch.setattr("sys.argv", ["calibrate.py", "--headroom", "--members", "0"])
    with pytest.raises(SystemExit):
        calibrate.main()


@pytest.mark.parametrize("name", ["oracle", "planner"])
def test_the_simulator_references_need_an_env(name):
    from artwork_env.agents.base import ProblemSpec
    from artwork_env.agents.registry import make_agent

    env = gym.make_vec("ArtworkPersonalization-v1", num_envs=2,
                       vectorization_mode="vector_entry_point")
    agent = make_agent(name, ProblemSpec.from_env(env), n_rollouts=2) if name == "planner" \
        else make_agent(name, ProblemSpec.from_env(env))
    obs, info = env.reset(seed=0)
    with pytest.raises(RuntimeError, match=f"the {name} reads ground truth: attach"):
        agent.act(obs)
    agent.attach(env)
    actions = agent.act(obs)
    assert actions.shape == (2, env.unwrapped.config.n_slots)
    assert np.take_along_axis(obs["action_mask"], actions[..., None], axis=2).all()


def test_lifetime_evaluation_gives_the_return_as_a_percentage_of_the_myopic_oracles():
    """On a lifetime env the oracle itself scores exactly 100 and random far below; on the
    one-visit bandit env there is no such metric (the per-visit % of oracle says it all)."""
    from artwork_env.agents.base import ProblemSpec
    from artwork_env.agents.references.exact import OracleAgent, RandomAgent
    from artwork_env.experiments.evaluation import evaluate, myopic_oracle_return

    env = make_vector("ArtworkPersonalization-v1", 64, n_titles=60)
    reference = myopic_oracle_return(env)
    spec = ProblemSpec.from_env(env)
    oracle = evaluate(OracleAgent(spec), env, reference)
    assert oracle["eval/return_vs_oracle"] == 100.0
    assert oracle["eval/return"] == reference
    random = evaluate(RandomAgent(spec), env, reference)
    assert random["eval/return_vs_oracle"] == pytest.approx(
        100 * random["eval/return"] / reference) and random["eval/return_vs_oracle"] < 80
    assert myopic_oracle_return(make_vector("ArtworkBandit-v0", 4, n_titles=60)) is None


def test_the_worst_row_leaves_the_page_model_as_it_was():
    """`best_rows(sign=-1)` once negated the page model's click probabilities in place
    where the reward is the click and the transposed array was a view (one member, or one
    slot): the cached page then answered every later question wrongly."""
    from artwork_env.model.numpy_core import NumpySimulator
    for config, n in ((ModelConfig(reward="click"), 1),
                      (ModelConfig(reward="click", n_slots=1, n_artworks=1), 4)):
        sim = NumpySimulator(config, n)
        sim.reset_members(np.arange(n), rng.numbered_keys(0, 0, n))
        click = sim.page_model().click.copy()
        value, _ = sim.worst()
        assert np.array_equal(sim.page_model().click, click) and (value >= 0).all()
