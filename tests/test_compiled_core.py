"""The compiled core against the numpy specification (`artwork_env.model.numpy_core`).

For the same member keys and actions, both give the same member draws, rows, clicks,
plays and bounces, and the same continuous values to float rounding (both use the compiled
exp, log, sin, cos and pow of `artwork_env.model.elementary`; some sums run in another order), so
values are compared with `rtol = atol = 1e-6` (float32 rounding is 6e-8 relative).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import configs

from artwork_env import ModelConfig
from artwork_env.compiled import kernels
from artwork_env.compiled.core import ArtworkSimulator
from artwork_env.model import rng
from artwork_env.model.numpy_core import NumpySimulator
from artwork_env.model.state import MEMBER_STATE, STATE_NAMES, allocate, state_sizes

TOLERANCE = dict(rtol=1e-6, atol=1e-6)
OUTCOME_EVENTS = ("clicks", "plays", "bounces", "examined", "titles", "terminated", "churned")


def pair(config: ModelConfig, n: int, seed: int) -> tuple[ArtworkSimulator, NumpySimulator]:
    compiled = ArtworkSimulator(config, n)
    spec = NumpySimulator(config, n, world=compiled.world, population=compiled.population)
    keys = rng.numbered_keys(seed, 0, n)
    for sim in (compiled, spec):
        sim.reset_members(np.arange(n), keys)
    return compiled, spec


def assert_same_state(a: NumpySimulator, b: NumpySimulator) -> None:
    """Every array of the schema: counts, flags and ids equal, real values within
    `TOLERANCE` (the cores sum in different orders)."""
    for array in MEMBER_STATE:
        mine, theirs = getattr(a.state, array.name), getattr(b.state, array.name)
        if np.issubdtype(array.dtype, np.floating):
            assert np.allclose(mine, theirs, **TOLERANCE), array.name
        else:
            assert np.array_equal(mine, theirs), array.name


def run_both(config: ModelConfig, n: int, visits: int, seed: int) -> None:
    """Step both cores with the same random allowed actions, resetting ended members with
    the same keys; compare everything after every step."""
    compiled, spec = pair(config, n, seed)
    gen = np.random.default_rng(seed)
    assert_same_state(compiled, spec)
    for step in range(visits):
        page_a, page_b = compiled.page_model(), spec.page_model()
        assert np.allclose(page_a.click, page_b.click, **TOLERANCE)
        assert np.allclose(page_a.play, page_b.play, **TOLERANCE)
        assert np.array_equal(page_a.exists, page_b.exists)
        value_a, action_a = compiled.oracle()
        value_b, _ = spec.oracle()
        assert np.allclose(value_a, value_b, **TOLERANCE)
        # the compiled oracle's row is worth the oracle's value in the specification too
        assert np.allclose(spec.expected_reward(action_a), value_b, **TOLERANCE)
        worst_a, row_a = compiled.worst()
        worst_b, _ = spec.worst()
        assert np.allclose(worst_a, worst_b, **TOLERANCE)
        assert np.allclose(spec.expected_reward(row_a), worst_b, **TOLERANCE)
        obs_a, obs_b = compiled.observe(), spec.observe()
        for key in obs_b:
            assert obs_a[key].dtype == obs_b[key].dtype
            assert np.allclose(obs_a[key], obs_b[key], **TOLERANCE), key
        exists = compiled.candidates()
        actions = (gen.random(exists.shape) * exists).argmax(axis=2)
        assert np.allclose(compiled.expected_reward(actions), spec.expected_reward(actions),
                           **TOLERANCE)
        out_a, out_b = compiled.visit_step(actions), spec.visit_step(actions)
        for name in OUTCOME_EVENTS:
            assert np.array_equal(getattr(out_a, name), getattr(out_b, name)), (step, name)
        for name in ("reward", "expected_reward", "oracle_expected_reward"):
            assert np.allclose(getattr(out_a, name), getattr(out_b, name), **TOLERANCE), name
        assert_same_state(compiled, spec)
        ended = np.flatnonzero(out_a.terminated)
        for sim in (compiled, spec):  # into given buffers (the vector env's final_obs)
            fresh = sim.observe(ended)
            out = {key: np.full((n + 1, *value.shape[1:]), 7, dtype=value.dtype)
                   for key, value in obs_a.items()}
            written = sim.observe(ended, out=out)
            for key, value in fresh.items():
                assert np.array_equal(written[key], value)
                assert np.array_equal(out[key][:ended.size], value)
                assert (out[key][ended.size:] == 7).all()
        if ended.size:
            keys = rng.numbered_keys(seed + 1 + step, 0, ended.size)
            compiled.reset_members(ended, keys)
            spec.reset_members(ended, keys)
            assert_same_state(compiled, spec)


@pytest.mark.parametrize("n", [1, 2, 7])  # one member alone; two or more on the threads
@pytest.mark.parametrize("n_visits", [1, 20])
def test_same_members_rows_and_answers_as_the_specification(n, n_visits):
    run_both(ModelConfig(n_visits=n_visits), n, visits=12, seed=n)


@pytest.mark.parametrize("long_term", [1.0, 4.0])
def test_same_as_the_specification_with_the_long_term_effects(long_term):
    """ArtworkPersonalization-v1's trust cost of oversold clicks and distrust churn."""
    run_both(ModelConfig(n_visits=20, long_term=long_term), 7, visits=12, seed=3)


def test_same_as_the_specification_for_a_catalog_too_large_to_tabulate():
    """With 500 titles the world keeps no salience table; the kernels compute it."""
    config = ModelConfig(n_titles=500, n_visits=4)
    assert ArtworkSimulator(config, 1).world.salience_table is None
    run_both(config, 3, visits=4, seed=2)


@pytest.mark.slow
def test_same_as_the_specification_for_a_large_batch():
    run_both(ModelConfig(n_visits=3), 1024, visits=6, seed=5)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=configs, seed=st.integers(0, 2**31 - 1))
def test_same_as_the_specification_with_every_effect_on_and_off(config, seed):
    run_both(config, 3, visits=5, seed=seed)


def test_many_artworks_keep_their_identity():
    """Artwork indices above 127 survive in the "shown last time" signal of the state and
    the observation (they overflowed an int8 once)."""
    config = ModelConfig(n_artworks=200, n_titles=8, n_slots=2, history_length=3, n_visits=9)
    compiled, spec = pair(config, 1, seed=1)
    shown: set[int] = set()
    for _ in range(8):
        for sim in (compiled, spec):
            sim.visit_step(np.full((1, 2), 150))
        shown |= set(compiled.state.titles[0].tolist()) & set(np.flatnonzero(
            compiled.state.last_shown[0] >= 0).tolist())
        assert_same_state(compiled, spec)
        again = np.isin(compiled.state.titles[0],
                        np.flatnonzero(compiled.state.last_shown[0] == 150))
        if again.any():
            break
    assert set(np.unique(compiled.state.last_shown[0])) <= {-1, 150}
    assert again.any()  # a title shown with artwork 150 is in the row again
    obs = compiled.observe()
    last = obs["artworks"][0][..., compiled.layout.artwork.index("shown_last")]
    assert np.array_equal(last[again, 150], np.ones(again.sum()))
    assert last.sum() == again.sum()


def test_same_invalid_actions_as_the_specification():
    """The compiled action check finds the same first invalid (member, slot) as the numpy
    one: out of range, negative, or a missing artwork of a short title."""
    config = ModelConfig(n_artworks=(2, 6), n_titles=40, history_length=5)
    compiled, spec = pair(config, 9, seed=4)
    gen = np.random.default_rng(0)
    for _ in range(200):
        actions = gen.integers(-1, 7, size=(9, compiled.n_slots))
        assert compiled.first_invalid(actions) == spec.first_invalid(actions)
    exists = compiled.candidates()
    allowed = (gen.random(exists.shape) * exists).argmax(axis=2)
    assert compiled.first_invalid(allowed) == spec.first_invalid(allowed) == -1


@settings(max_examples=300, deadline=None)
@given(n=st.integers(1, 260), data=st.data())
def test_top_k_is_a_stable_sort_of_the_scores(n, data):
    """`kernels._top_k` (the recommender's and the viewing history's ranking) gives the k
    largest scores largest first, ties to the lower index, as a stable sort does: with
    ties (few distinct values), all-equal scores, and the played titles' -1e6 penalty."""
    k = data.draw(st.integers(1, n))
    gen = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    kind = data.draw(st.sampled_from(["normal", "few values", "equal", "penalised"]))
    score = {"normal": gen.normal(size=n), "few values": gen.integers(0, 4, n),
             "equal": np.zeros(n), "penalised": gen.normal(size=n)}[kind].astype(np.float32)
    if kind == "penalised":
        score[gen.random(n) < 0.3] -= np.float32(1e6)
    out = np.empty(k, dtype=np.int64)
    kernels._top_k(score, out)
    assert np.array_equal(out, np.argsort(-score, kind="stable")[:k])


def test_the_state_is_the_schema_and_nothing_per_member_lies_outside_it():
    """Both cores hold their members' state as `MEMBER_STATE` declares it (names, dtypes,
    shapes, starting values), and no other per-member array: what `take`, the planner's
    copies and the comparisons above cover is everything."""
    n = 7
    for sim in (NumpySimulator(ModelConfig(), n), ArtworkSimulator(ModelConfig(), n)):
        assert sim.state._fields == STATE_NAMES
        fresh = allocate(n, state_sizes(sim.world, sim.history_length, sim.n_slots))
        for array, values, start in zip(MEMBER_STATE, sim.state, fresh):
            assert values.dtype == np.dtype(array.dtype) and values.shape == start.shape
        outside = [name for name, value in vars(sim).items()
                   if isinstance(value, np.ndarray) and value.shape[:1] == (n,)
                   and name not in ("_everyone",)]
        assert not outside
