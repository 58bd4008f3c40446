"""Property tests over random valid parameters and actions."""

from __future__ import annotations

import numpy as np
from conftest import fresh_simulator, random_allowed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from artwork_env import ArtworkEnv, ModelConfig

weights = st.floats(0.0, 3.0, allow_nan=False)
probabilities = st.floats(0.0, 1.0, allow_nan=False)
artwork_counts = st.one_of(
    st.integers(1, 8),
    st.tuples(st.integers(1, 5), st.integers(0, 4)).map(lambda t: (t[0], t[0] + t[1])))
configs = st.builds(
    ModelConfig,
    world_seed=st.integers(0, 1000),
    n_titles=st.integers(12, 60),
    n_slots=st.integers(1, 8),
    n_artworks=artwork_counts,
    n_visits=st.integers(1, 6),
    reward=st.sampled_from(["quality_play", "play", "click"]),
    theme_weight=weights, cast_weight=weights, visual_weight=weights,
    salience_weight=weights, change_cost=weights, second_look=weights,
    fatigue_weight=weights, familiarity_discount=probabilities, trust_loss=probabilities,
    churn_probability=probabilities, churn_after=st.integers(1, 3),
    base_logit=st.floats(-6.0, 2.0), position_decay=probabilities,
    history_length=st.integers(1, 12), long_term=st.sampled_from([0.0, 1.0, 4.0]),
    overpromise_trust_loss=weights, disappointment_churn=weights)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config=configs, seed=st.integers(0, 2**31 - 1))
def test_observations_in_space_and_truth_consistent(config, seed):
    env = ArtworkEnv(**config.to_dict())
    obs, _ = env.reset(seed=seed)
    gen = np.random.default_rng(seed)
    for _ in range(8):
        assert env.observation_space.contains(obs)
        action = random_allowed(gen, obs["action_mask"])
        obs, reward, terminated, _, info = env.step(action)
        assert np.isfinite(reward) and np.isfinite(info["expected_reward"])
        assert info["regret"] >= 0.0
        assert info["oracle_expected_reward"] >= info["expected_reward"] - 1e-12
        assert info["n_plays"] <= 1
        if terminated:
            obs, _ = env.reset()


@settings(max_examples=25, deadline=None)
@given(world_seed=st.integers(0, 1000), seed=st.integers(0, 10_000),
       n_slots=st.integers(1, 8))
def test_every_effect_off_is_the_plain_cascade(world_seed, seed, n_slots):
    """With every effect off, after visits that move the member's state, click and play
    probabilities are the plain model's: sigmoid(intent + uplift) and sigmoid(c0 + fit)."""
    config = ModelConfig(world_seed=world_seed, n_slots=n_slots).plain_cascade()
    sim = fresh_simulator(config, 64, seed=seed)
    gen = np.random.default_rng(seed)
    for _ in range(5):
        sim.visit_step(random_allowed(gen, sim.page_model().exists))
    w, t, c = sim.world, sim.state.titles, config
    rel = np.einsum("ng,nkg->nk", sim.state.theta, w.title_genres[t])
    theme = w.artwork_theme[t]
    theta_theme = np.take_along_axis(sim.state.theta[:, None, :], theme, axis=2)
    face = np.where(w.artwork_face[t] < 0, w.n_actors, w.artwork_face[t])
    psi_face = np.take_along_axis(sim.state.psi[:, None, :], face, axis=2)
    visual = np.einsum("nkmv,nv->nkm", w.artwork_visual[t] - 0.5, sim.state.nu)
    uplift = (w.artwork_appeal[t] + c.theme_weight * (theta_theme - rel[..., None])
              + c.cast_weight * psi_face + c.visual_weight * visual)
    intent = (sim.state.beta[:, None] + c.relevance_weight * rel
              + c.quality_weight * w.title_quality[t])
    click = 1 / (1 + np.exp(-(intent[..., None] + uplift)))
    play = 1 / (1 + np.exp(-(c.play_logit + c.fit_weight * rel)))
    page = sim.page_model()
    np.testing.assert_allclose(page.click, np.broadcast_to(click[:, :, None, :],
                                                           page.click.shape), rtol=1e-5)
    np.testing.assert_allclose(page.play, np.broadcast_to(play[..., None], page.play.shape),
                               rtol=1e-5)
