"""Every agent honours the interface; the linear model's algebra is exact."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from artwork_env.agents.base import ProblemSpec, slot_feedback
from artwork_env.agents.contextual.linear import HybridLinearModel
from artwork_env.agents.registry import agent_class, agent_names, make_agent
from artwork_env.envs.env import agent_observation
from artwork_env.envs.vector_env import make_vector

N = 8
LEARNERS = agent_names("reference") + agent_names("bandit")  # deep: tests of their own
SMALL = {"ceiling": {"n_pages": 200, "epochs": 1}, "planner": {"n_rollouts": 2}}
"""Settings that keep the expensive references to a second here (tested fully elsewhere)."""


@pytest.fixture(scope="module")
def env():
    return make_vector("ArtworkBandit-v0", N, n_artworks=(2, 6), n_titles=60)


def trained(name: str, env, steps: int = 6, seed: int = 0):
    agent = make_agent(name, ProblemSpec.from_env(env), seed=seed, **SMALL.get(name, {}))
    agent.attach(env)
    obs, info = env.reset(seed=seed)
    for _ in range(steps):
        agent_obs = agent_observation(obs, info)
        actions = agent.act(agent_obs)
        obs, reward, _, _, info = env.step(actions)
        agent.update(agent_obs, actions, reward, info)
    return agent, agent_observation(obs, info)


@pytest.mark.parametrize("name", LEARNERS)
def test_actions_have_the_right_shape_and_are_allowed(name, env):
    agent, obs = trained(name, env)
    for explore in (True, False):
        actions = agent.act(obs, explore=explore)
        assert actions.shape == (N, 6) and actions.dtype.kind == "i"
        allowed = np.take_along_axis(obs["action_mask"], actions[..., None], axis=2)
        assert allowed.all()


@pytest.mark.parametrize("name", LEARNERS)
def test_save_and_load_give_the_same_greedy_actions(name, env, tmp_path):
    agent, obs = trained(name, env, steps=10)
    agent.save(tmp_path / "agent")
    fresh = make_agent(name, ProblemSpec.from_env(env), seed=123, **SMALL.get(name, {}))
    fresh.load(tmp_path / "agent")
    fresh.attach(env)
    assert np.array_equal(agent.act(obs, explore=False), fresh.act(obs, explore=False))


def test_load_refuses_another_agent(env, tmp_path):
    agent, _ = trained("ucb", env)
    agent.save(tmp_path / "ucb")
    with pytest.raises(ValueError, match="'ucb' agent"):
        make_agent("thompson", ProblemSpec.from_env(env)).load(tmp_path / "ucb")


def test_unknown_agent_lists_the_available_ones(env):
    with pytest.raises(ValueError, match="available: random"):
        make_agent("dqn-ish", ProblemSpec.from_env(env))


def test_cheating_references_are_marked():
    references = {name for name in agent_names() if agent_class(name).reference}
    assert references == {"oracle", "planner", "global_best", "ceiling"}
    assert "CHEATING REFERENCE" in agent_class("oracle").__doc__


def test_slot_feedback_sums_to_the_reward(env):
    spec = ProblemSpec.from_env(env)
    env.reset(seed=4)
    for _ in range(30):
        _, reward, _, _, info = env.step(np.zeros((N, 6), dtype=np.int64))
        target, observed = slot_feedback(spec, info)
        assert np.allclose(target.sum(axis=1), reward)
        after_play = np.cumsum(info["plays"], axis=1) - info["plays"] > 0
        assert np.array_equal(observed, ~after_play)


def test_hybrid_model_recovers_shared_and_arm_effects():
    """Synthetic r = z.beta + theta_a + noise: the estimates converge to the truth."""
    gen = np.random.default_rng(0)
    d, arms = 5, 20
    beta, theta = gen.normal(size=d), gen.normal(size=arms)
    model = HybridLinearModel(d, arms, ridge=1.0, arm_ridge=1.0, refresh_every=50)
    for _ in range(400):
        z = gen.normal(size=(32, d))
        a = gen.integers(0, arms, 32)
        model.update(z, a, z @ beta + theta[a] + 0.1 * gen.normal(size=32))
    assert np.abs(model.beta - beta).max() < 0.02
    assert np.abs(model.arm_means(np.arange(arms), model.beta) - theta).max() < 0.05


@pytest.mark.parametrize("batch", [1, 8])
def test_incremental_updates_match_an_exact_refresh(batch):
    """Sherman-Morrison (batch 1) and refactorised (batch 8) updates equal a recomputation."""
    gen = np.random.default_rng(1)
    model = HybridLinearModel(12, 10, refresh_every=10**9)  # never refreshes by itself
    for _ in range(3000 // batch):
        model.update(gen.normal(size=(batch, 12)), gen.integers(0, 10, batch),
                     gen.normal(size=batch))
    beta, covariance = model.beta.copy(), model.covariance.copy()
    model._refresh()
    assert np.allclose(beta, model.beta, atol=1e-9)
    assert np.allclose(covariance, model.covariance, atol=1e-9)


def test_ucb_width_shrinks_with_data():
    gen = np.random.default_rng(2)
    model = HybridLinearModel(3, 4)
    z = np.ones((1, 3))
    before = model.mean_and_width(z, np.array([0]))[1][0]
    for _ in range(50):
        model.update(gen.normal(size=(4, 3)), np.array([0, 1, 2, 3]), gen.normal(size=4))
    assert model.mean_and_width(z, np.array([0]))[1][0] < before / 3


def test_neural_bandit_explores_each_arms_own_appeal(env):
    """The neural bandit counts every observed (title, artwork) and draws each intercept
    with spread scale / sqrt(ridge + count): with the shared head's draws switched off and
    every prediction equal, a heavily observed artwork 0 wins a slot only when all its
    untried rivals draw below it (about 1 in 2^(M-1)); without the intercept draws ties
    would always go to artwork 0."""
    import torch

    agent, obs = trained("neural_bandit", env)
    assert agent.arm_counts.sum() > 0
    agent.mean[:] = 0.0
    agent.factor[:] = 0.0
    with torch.no_grad():
        agent.net.intercept.weight.zero_()
    agent.arm_counts[:] = 0.0
    agent.arm_counts[::agent.spec.n_artworks] = 1e6  # artwork 0 of every title: known
    mask = obs["action_mask"] > 0
    full = mask.all(axis=2)  # slots whose title has all M artworks
    picks = np.concatenate([agent.act(obs)[full] for _ in range(50)])
    assert np.mean(picks == 0) < 0.1, np.mean(picks == 0)
    assert np.all(agent.act(obs, explore=False)[full] == 0)  # greedy: the tie, unexplored


def test_factored_bandit_scores_the_expected_slot_gain(env):
    """With the networks' shared parts zeroed, each candidate's click and play logits are
    its arm's intercepts: artwork 0 is the bait (click 0.5, play 0.02), artwork 1 the honest
    image (click 0.27, play 0.95). The greedy page shows artwork 1, because its gain
    c (p - b (1 - p)) is the larger, though artwork 0 wins more clicks."""
    import torch

    from artwork_env.model.rewards import slot_gain

    agent, obs = trained("factored_bandit", env)
    logits = {"click": (0.0, -1.0), "play": (-4.0, 3.0)}
    with torch.no_grad():
        for member, (name, (bait, honest)) in itertools.product(agent.members,
                                                                 logits.items()):
            intercept = only_intercepts(getattr(member, name))  # every member alike
            intercept.fill_(-20.0)  # every other artwork: never clicked, never played
            intercept.view(-1, agent.spec.n_artworks)[:, 0] = bait
            intercept.view(-1, agent.spec.n_artworks)[:, 1] = honest
    gains = agent.gains(obs)
    sigmoid = lambda x: 1.0 / (1.0 + np.exp(-np.asarray(x)))  # noqa: E731
    expected = slot_gain("quality_play", agent.spec.bounce_penalty,
                         sigmoid(logits["click"]), sigmoid(logits["play"]))
    assert np.allclose(gains[..., :2], expected, rtol=1e-5)
    assert expected[1] > 0.25 > 0.0 > expected[0]
    assert np.all(agent.act(obs, explore=False) == 1)


def test_factored_bandit_logit_adds_the_two_towers_dot_product(env):
    """With its neural-bandit part zeroed, a response network's logit is the dot product of
    the member tower on the observation's `member` row and the item tower on the
    candidate's `titles` and `artworks` rows; with interaction_rank 0 there is no such
    term."""
    import torch

    agent, obs = trained("factored_bandit", env)
    net = agent.members[0].click
    n, k, m = obs["action_mask"].shape
    member = torch.as_tensor(np.asarray(obs["member"], np.float32))
    candidates = torch.as_tensor(np.concatenate(
        [np.broadcast_to(obs["titles"][:, :, None], (n, k, m, obs["titles"].shape[-1])),
         obs["artworks"]], axis=-1).astype(np.float32))
    with torch.no_grad():
        for weight in net.deep.parameters():
            weight.zero_()
        expected = torch.einsum("nr,nkmr->nkm", net.towers.member(member),
                                net.towers.item(candidates))
        logits = net(*agent_inputs(agent, obs)).reshape(n, k, m)
    assert agent.config.interaction_rank == net.towers.item.out_features == 16
    assert torch.allclose(logits, expected, atol=1e-5)
    assert logits.std() > 0.01  # the term varies across candidates
    plain = make_agent("factored_bandit", agent.spec, interaction_rank=0)
    assert not any("towers" in name for name, _ in plain.members.named_parameters())


@pytest.mark.slow  # trains torch for 15-60 s
def test_factored_bandit_replays_clicked_rows_as_often_as_examined_ones(env):
    """`update` keeps every examined slot (`slot_feedback`'s mask) with its click, and the
    clicked ones with their play; training replays a clicked row (play network) as often as
    an examined row (click network), to within one batch."""
    agent = make_agent("factored_bandit", ProblemSpec.from_env(env), seed=0, batch_size=64,
                       train_every=10**6)
    obs, info = env.reset(seed=3)
    examined = clicked = 0
    while agent.clicked.size < 20:
        agent_obs = agent_observation(obs, info)
        actions = agent.act(agent_obs)
        obs, reward, _, _, info = env.step(actions)
        agent.update(agent_obs, actions, reward, info)
        _, observed = slot_feedback(agent.spec, info)
        examined += observed.sum()
        clicked += (observed & info["clicks"]).sum()
        assert np.array_equal(agent.clicked.columns["plays"][clicked - (
            observed & info["clicks"]).sum():clicked], info["plays"][observed & info["clicks"]])
    assert (agent.examined.size, agent.clicked.size) == (examined, clicked)
    assert agent.examined.columns["clicks"][:examined].sum() == clicked
    replayed = {"click": 0, "play": 0}
    for name in replayed:
        loss = getattr(agent, f"{name}_loss")

        def counted(rows, name=name, loss=loss):
            replayed[name] += rows.shape[1]  # each ensemble member draws rows of its own
            return loss(rows)

        setattr(agent, f"{name}_loss", counted)
    for _ in range(30):
        agent._train()
    per_examined_row = replayed["click"] / examined
    assert per_examined_row == 30 * 8 * 64 / examined
    assert abs(replayed["play"] / clicked - per_examined_row) <= 64 / clicked


def test_factored_bandit_ensemble_scores_the_mean_gain_and_members_draw_their_own_rows(env):
    """Each member of the ensemble scores with its own networks, the agent with their mean
    gain; in training each member gets rows of its own."""
    import torch

    from artwork_env.model.rewards import slot_gain

    agent = make_agent("factored_bandit", ProblemSpec.from_env(env), seed=0, ensemble=2)
    agent.attach(env)
    obs, info = env.reset(seed=5)
    obs = agent_observation(obs, info)
    member_logits = [(-1.0, 2.0), (0.5, -3.0)]  # (click, play) logits of every arm
    with torch.no_grad():
        for member, logits in zip(agent.members, member_logits):
            for net, logit in zip((member.click, member.play), logits):
                only_intercepts(net).fill_(logit)
    sigmoid = lambda x: 1.0 / (1.0 + np.exp(-x))  # noqa: E731
    each = [slot_gain("quality_play", agent.spec.bounce_penalty, sigmoid(c), sigmoid(p))
            for c, p in member_logits]
    assert np.allclose(agent.gains(obs), np.mean(each), rtol=1e-5)
    assert each[0] > 0 > each[1]
    drawn = []
    agent.click_loss = lambda rows: drawn.append(rows) or torch.zeros((), requires_grad=True)
    agent.play_loss = agent.click_loss
    agent.examined.push(features=np.zeros((1000, agent.n_in), np.float32),
                        arms=np.zeros(1000, np.int64), clicks=np.zeros(1000, np.float32))
    agent._train()
    assert all(rows.shape == (2, 512) for rows in drawn) and len(drawn) == 8
    assert all(not np.array_equal(rows[0], rows[1]) for rows in drawn)


def test_factored_bandit_thompson_scores_each_page_with_one_drawn_member(env):
    """Member 0 prefers artwork 0 everywhere, member 1 artwork 1 (by their play
    intercepts; member 1 by more). Exploring with thompson and epsilon 0, every page follows
    one member: all its slots show 0 or all show 1 (every title has at least two
    artworks), and both kinds of page occur; greedy acting follows the mean, here member
    1's preference."""
    import torch

    agent = make_agent("factored_bandit", ProblemSpec.from_env(env), seed=0, ensemble=2,
                       thompson=True, epsilon=0.0)
    obs, info = env.reset(seed=7)
    obs = agent_observation(obs, info)
    with torch.no_grad():
        for member, (preferred, play) in zip(agent.members, [(0, 1.0), (1, 3.0)]):
            only_intercepts(member.click)  # click logit 0 everywhere
            play_intercept = only_intercepts(member.play)
            play_intercept.fill_(-6.0)
            play_intercept.view(-1, agent.spec.n_artworks)[:, preferred] = play
    pages = np.concatenate([agent.act(obs) for _ in range(40)])
    assert set(np.unique(pages)) == {0, 1}
    assert np.all(pages == pages[:, :1])  # one member per page
    assert 0.25 < np.mean(pages[:, 0] == 0) < 0.75
    assert np.all(agent.act(obs, explore=False) == 1)


def test_factored_bandit_acts_with_the_moving_average_of_its_weights(env):
    """With averaging d, the acting networks after steps 1, 2, 3 are w1, then
    d a + (1 - d) w at each further step: an exponential moving average of the weights."""
    import torch
    from torch.nn.utils import parameters_to_vector

    decay = 0.75
    agent = make_agent("factored_bandit", ProblemSpec.from_env(env), seed=0, averaging=decay,
                       train_every=10**6)
    agent.attach(env)
    obs, info = env.reset(seed=6)
    for _ in range(4):
        agent_obs = agent_observation(obs, info)
        actions = agent.act(agent_obs)
        obs, reward, _, _, info = env.step(actions)
        agent.update(agent_obs, actions, reward, info)
    assert agent.acting() is agent.members  # nothing averaged yet
    average = None
    for _ in range(3):
        agent._step(agent.click_loss(agent.rng.integers(0, agent.examined.size, (1, 64))))
        weight = parameters_to_vector(agent.members[0].click.parameters()).detach().clone()
        average = weight if average is None else decay * average + (1 - decay) * weight
    acting = parameters_to_vector(agent.acting()[0].click.parameters())
    assert torch.allclose(acting, average, atol=1e-6)
    assert not torch.allclose(acting, weight, atol=1e-4)
    agent_obs = agent_observation(obs, info)
    scored = np.mean([member.gains(agent.spec, *agent_inputs(agent, agent_obs))
                      for member in agent.averaged.module], axis=0)
    assert np.allclose(agent.gains(agent_obs).reshape(-1), scored)


def only_intercepts(net):
    """Zero every weight of a factored bandit's logit network but its per-arm intercepts,
    so each candidate's logit is its arm's intercept; return the intercepts, (arms, 1)."""
    intercepts = [weight for name, weight in net.named_parameters()
                  if name.endswith("intercept.weight")]
    for weight in net.parameters():
        weight.zero_()
    assert len(intercepts) == 1
    return intercepts[0]


def agent_inputs(agent, obs):
    """The factored bandit's (inputs, arms) tensors of every candidate in `obs`."""
    import torch

    from artwork_env.agents.contextual.linear import arm_ids
    from artwork_env.agents.modules import candidate_inputs

    inputs = candidate_inputs(agent.spec, obs).reshape(-1, agent.n_in)
    arms = arm_ids(obs["title_ids"], agent.spec.n_artworks).reshape(-1)
    return torch.as_tensor(inputs), torch.as_tensor(arms)


def test_factored_bandit_refuses_networks_saved_with_another_ensemble(env, tmp_path):
    spec = ProblemSpec.from_env(env)
    make_agent("factored_bandit", spec, ensemble=2).save(tmp_path / "two")
    with pytest.raises(ValueError, match="saved networks do not fit this agent"):
        make_agent("factored_bandit", spec, ensemble=3).load(tmp_path / "two")
    with pytest.raises(ValueError, match="saved networks do not fit"):
        make_agent("factored_bandit", spec, ensemble=2, averaging=0.9).load(tmp_path / "two")
    with pytest.raises(ValueError, match="interaction_rank=0"):
        make_agent("factored_bandit", spec, ensemble=2, interaction_rank=0).load(tmp_path / "two")


def test_factored_bandit_learning_rate_falls_linearly_over_the_budget(tmp_path):
    """With `learning_rate="lin_0.001"` each training after visit v of a budget of B visits
    runs at 0.001 (1 - v / B); a run resumed from a saved agent counts the visits done
    before it; a number stays constant."""
    from artwork_env.agents.base import TrainingEnv

    world = dict(n_titles=60, n_artworks=(2, 6))
    spec = ProblemSpec.of("ArtworkBandit-v0", world)
    small = dict(hidden=8, ensemble=1, batch_size=16, buffer_size=512, train_every=2)

    def rates(agent, visits_done: int) -> list[float]:
        seen = []

        def report(*_) -> bool:
            seen.append(agent.optimiser.param_groups[0]["lr"])
            return True

        agent.learn(TrainingEnv("ArtworkBandit-v0", 4, seed=0, env_kwargs=world,
                                visits_done=visits_done), 20, report)
        return seen

    # 5 batches of 4 members a run; the networks train after every second batch (counted
    # across the two runs), at 0.001 (1 - visits so far / budget)
    first = make_agent("factored_bandit", spec, learning_rate="lin_0.001", **small)
    assert rates(first, 0) == pytest.approx([1e-3, 6e-4, 6e-4, 2e-4, 2e-4])  # budget 20
    first.save(tmp_path)
    resumed = make_agent("factored_bandit", spec, learning_rate="lin_0.001", **small)
    resumed.load(tmp_path)
    assert rates(resumed, 20) == pytest.approx([4e-4, 4e-4, 2e-4, 2e-4, 0.0])  # budget 40
    constant = make_agent("factored_bandit", spec, learning_rate=3e-4, **small)
    assert rates(constant, 0) == [3e-4] * 5
    assert first.hyperparameters()["learning_rate"] == "lin_0.001"
    with pytest.raises(ValueError, match="learning_rate must be a number or 'lin_<start>'"):
        make_agent("factored_bandit", spec, learning_rate="cos_0.001")


def test_factored_bandit_refits_on_every_kept_row_when_the_budget_is_spent():
    """With `final_epochs=2`, the update that spends the budget given to `learn` trains
    two passes over each buffer, each ensemble member reading every row once a pass in an
    order of its own, before the report of that visit (where the run evaluates)."""
    from artwork_env.agents.base import TrainingEnv

    world = dict(n_titles=60, n_artworks=(2, 6))
    agent = make_agent("factored_bandit", ProblemSpec.of("ArtworkBandit-v0", world),
                       hidden=8, ensemble=2, batch_size=8, buffer_size=512, train_every=10**6,
                       final_epochs=2)
    read = {"click": [], "play": []}
    for kind in read:
        loss = getattr(agent, f"{kind}_loss")

        def recording(rows, loss=loss, kind=kind):
            read[kind].append(rows)
            return loss(rows)

        setattr(agent, f"{kind}_loss", recording)
    reads_at_report = []

    def report(*_) -> bool:
        reads_at_report.append(len(read["click"]))
        return True

    agent.learn(TrainingEnv("ArtworkBandit-v0", 4, seed=0, env_kwargs=world), 60, report)
    assert reads_at_report[:-1] == [0] * 14 and reads_at_report[-1] == len(read["click"])
    for kind, buffer in (("click", agent.examined), ("play", agent.clicked)):
        rows = np.concatenate(read[kind], axis=1)  # (ensemble, 2 passes of every row)
        assert buffer.size > 2 and rows.shape == (2, 2 * buffer.size)
        assert all(len(batch[0]) <= 8 for batch in read[kind])
        for member in rows:
            for one_pass in np.split(member, 2):
                assert sorted(one_pass) == list(range(buffer.size))
        assert not np.array_equal(rows[0], rows[1])  # each member its own order


def test_factored_bandit_rejects_bad_settings(env):
    spec = ProblemSpec.from_env(env)
    with pytest.raises(ValueError, match="epsilon must be in"):
        make_agent("factored_bandit", spec, epsilon=1.5)
    with pytest.raises(ValueError, match="averaging must be in"):
        make_agent("factored_bandit", spec, averaging=1.0)
    with pytest.raises(ValueError, match="ensemble must be a positive integer"):
        make_agent("factored_bandit", spec, ensemble=0)
    with pytest.raises(ValueError, match="thompson must be True or False"):
        make_agent("factored_bandit", spec, thompson="false")
    with pytest.raises(ValueError, match="final_epochs must be a non-negative integer"):
        make_agent("factored_bandit", spec, final_epochs=-1)
    with pytest.raises(ValueError, match="final_epochs=2 needs a constant learning_rate"):
        make_agent("factored_bandit", spec, final_epochs=2, learning_rate="lin_0.001")


def test_replay_buffer_keeps_the_newest_rows_and_restores_them():
    """A capacity-5 ring after 7 rows holds rows 2-6 (the oldest overwritten first),
    `recent` lists the newest first, and `filled` + `restore` give the same buffer back."""
    from artwork_env.agents.neural.replay import ReplayBuffer

    buffer = ReplayBuffer(5, x=((2,), np.float32), y=((), np.int64))
    buffer.push(x=np.zeros((3, 2)), y=np.arange(3))
    buffer.push(x=np.ones((4, 2)), y=np.arange(3, 7))
    assert (buffer.size, buffer.cursor) == (5, 2)
    assert sorted(buffer.columns["y"]) == [2, 3, 4, 5, 6]
    assert list(buffer.columns["y"][buffer.recent(3)]) == [6, 5, 4]
    copy = ReplayBuffer(5, x=((2,), np.float32), y=((), np.int64))
    copy.restore(buffer.size, buffer.cursor, buffer.filled())
    copy.push(x=np.ones((1, 2)), y=np.array([7]))
    buffer.push(x=np.ones((1, 2)), y=np.array([7]))
    assert np.array_equal(copy.columns["y"], buffer.columns["y"])
    assert list(copy.columns["y"][copy.recent(10)]) == [7, 6, 5, 4, 3]


# ------------------------------------------------------------------ typed hyperparameters
@pytest.mark.parametrize("name", ["egreedy", "ucb", "thompson", "linucb", "lints", "ceiling",
                                  "global_best", "planner"])
def test_a_typed_configuration_is_the_one_home_of_the_defaults(name, env):
    """The agent's configuration dataclass holds its defaults; the logged
    hyperparameters, the registry's parameter list (beside a torch agent's `device`) and its
    check of --grid keys read it; it is frozen."""
    import dataclasses

    from artwork_env.agents.registry import agent_parameters, unknown_parameters
    cls = agent_class(name)
    agent = make_agent(name, ProblemSpec.from_env(env))
    defaults = {f.name: f.default for f in dataclasses.fields(cls.config_class)}
    assert agent.hyperparameters() == defaults == agent.config.to_dict()
    assert [p for p in agent_parameters(cls) if p != "device"] == list(defaults)
    assert unknown_parameters(cls, {"no_such": 1, **defaults}) == ["no_such"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        agent.config.__setattr__(next(iter(defaults)), 0.5)


@pytest.mark.parametrize("name, kwargs, message", [
    ("ucb", {"c": -1}, "c must be >= 0"), ("ucb", {"c": "big"}, "c must be a finite number"),
    ("egreedy", {"epsilon": 1.5}, r"epsilon must be in \[0, 1\]"),
    ("thompson", {"beta": 0}, "beta must be > 0"),
    ("linucb", {"ridge": 0}, "ridge must be > 0"), ("lints", {"scale": -0.1}, "scale must be"),
    ("ucb", {"alpha": 1}, r"unknown hyperparameter\(s\) \['alpha'\]; known: \['c'\]"),
])
def test_a_bad_hyperparameter_is_refused_by_name(name, kwargs, message, env):
    with pytest.raises(ValueError, match=message):
        make_agent(name, ProblemSpec.from_env(env), **kwargs)


def test_every_agent_with_hyperparameters_has_a_typed_configuration():
    """An agent whose constructor takes keywords of its own (beside a torch `device`) once
    kept their defaults in its signature; now each registered agent that has any has a
    configuration dataclass, and the rest take none."""
    import inspect

    for name in agent_names():
        cls = agent_class(name)
        own = [p for p in inspect.signature(cls.__init__).parameters.values()
               if p.name not in ("self", "spec", "seed", "device", "hyperparameters")]
        assert not own, (name, own)
        if cls.config_class is None:
            with pytest.raises(TypeError, match="takes no hyperparameter"):
                cls(ProblemSpec.of("ArtworkBandit-v0"), 0, anything=1)


def test_an_agent_without_hyperparameters_refuses_any(env):
    from artwork_env.agents.registry import unknown_parameters
    with pytest.raises(TypeError, match="takes no hyperparameter"):
        make_agent("random", ProblemSpec.from_env(env), foo=1)
    assert unknown_parameters(agent_class("random"), {"foo": 1}) == ["foo"]


def test_an_agent_of_ones_own_is_found_in_the_working_folder(tmp_path, monkeypatch):
    """`--agents my_package.agents:SoftmaxAgent`, run from the folder holding `my_package/`
    as docs/agents.md says: the console commands do not put that folder on the path, and
    the import once failed without PYTHONPATH=. It is looked for there, after everything
    installed (so a folder's `agents.py` never shadows the library)."""
    import sys

    from artwork_env.agents.registry import agent_class

    package = tmp_path / "my_package"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "agents.py").write_text(
        "from artwork_env.agents.bandits.multi_armed import EpsilonGreedyAgent\n\n\n"
        "class SoftmaxAgent(EpsilonGreedyAgent):\n    name = 'softmax'\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", str(tmp_path))])
    monkeypatch.delitem(sys.modules, "my_package", raising=False)
    monkeypatch.delitem(sys.modules, "my_package.agents", raising=False)
    found = agent_class("my_package.agents:SoftmaxAgent")
    assert found.name == "softmax" and sys.path[-1] == str(tmp_path)
    with pytest.raises(ValueError, match="cannot import it"):
        agent_class("my_package.nothing_here:Agent")
    sys.modules.pop("my_package", None)
    sys.modules.pop("my_package.agents", None)
