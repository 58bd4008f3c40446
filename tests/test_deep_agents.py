"""Deep RL agents: the same pipeline, tags and evaluation as the bandits; the slot-by-slot
DQN wrapper is the same page, member response and reward as the MultiDiscrete env."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_training import read_scalars

from artwork_env.agents.base import ProblemSpec
from artwork_env.agents.deep.sb3 import resolve_device
from artwork_env.agents.deep.slot_decisions import SlotDecisionVecEnv
from artwork_env.agents.registry import agent_names, make_agent
from artwork_env.envs.env import agent_observation
from artwork_env.envs.sb3 import ArtworkSB3VecEnv
from artwork_env.experiments.checkpoints import read_checkpoint
from artwork_env.experiments.training import RunConfig, train_run
from artwork_env.experiments.vocabulary import AGENT_DIR, TAGS

DEEP_AGENTS = agent_names("deep")


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory):
    """Every deep agent through scripts/train.py, a tiny budget each."""
    from artwork_env.experiments.commands import train

    logdir = tmp_path_factory.mktemp("deep")
    results = train.main(["--seeds", "0", "--agents", ",".join(DEEP_AGENTS), "--visits", "320",
                          "--eval-every", "160", "--eval-members", "32", "--workers", "1",
                          "--logdir", str(logdir)])
    return {result.agent: result for result in results}


@pytest.mark.slow
@pytest.mark.parametrize("name", DEEP_AGENTS)
def test_deep_agents_write_the_documented_tags(name, tiny_runs):
    result = tiny_runs[name]
    scalars = read_scalars(Path(result.run_dir))
    assert set(scalars) == set(TAGS)
    assert [e.step for e in scalars["eval/reward"]] == [0, 160, 320]  # visits, not decisions
    sb3_tags = set(read_scalars(Path(result.run_dir) / "sb3"))  # SB3's own, beside ours
    assert all(tag.startswith("sb3/") for tag in sb3_tags), sb3_tags
    if name == "a2c":  # whole iterations within the budget (8 x 16 visits): logged
        assert "sb3/time/fps" in sb3_tags, sb3_tags


@pytest.mark.slow
@pytest.mark.parametrize("name", DEEP_AGENTS)
def test_deep_agents_save_and_load_give_the_same_greedy_actions(name, tiny_runs):
    result = tiny_runs[name]
    venv = ArtworkSB3VecEnv("ArtworkBandit-v0", num_envs=8)
    spec = ProblemSpec.from_env(venv.venv)
    obs = venv.reset()
    agent_obs = agent_observation(obs, {"row_titles": venv.row_titles})
    first = make_agent(name, spec)
    folder = read_checkpoint(result.run_dir)[0]
    first.load(folder / AGENT_DIR)
    second = make_agent(name, spec, seed=5)
    second.load(folder / AGENT_DIR)
    assert np.array_equal(first.act(agent_obs, explore=False), second.act(agent_obs, explore=False))


def test_slot_decisions_are_the_same_page_response_and_reward():
    """K Discrete decisions through the wrapper == one MultiDiscrete step, same seeds."""
    pages = ArtworkSB3VecEnv("ArtworkPersonalization-v0", num_envs=4)
    slots = SlotDecisionVecEnv(ArtworkSB3VecEnv("ArtworkPersonalization-v0", num_envs=4))
    pages.seed(3)
    slots.venv.seed(3)
    page_obs = pages.reset()
    slot_obs = slots.reset()
    gen = np.random.default_rng(0)
    for _ in range(30):
        for key in page_obs:
            assert np.array_equal(page_obs[key], slot_obs[key])
        action = gen.integers(0, 6, (4, 6))
        for k in range(6):
            assert (slot_obs["slot"].argmax(axis=1) == k).all()
            slot_obs, reward, done, _ = slots.step(action[:, k])
            if k < 5:
                assert not reward.any() and not done.any()
        page_obs, page_reward, page_done, _ = pages.step(action)
        assert np.array_equal(reward, page_reward) and np.array_equal(done, page_done)
        assert np.array_equal(slots.venv.last_info["plays"], pages.last_info["plays"])
        assert np.array_equal(slots.venv.last_info["titles"], pages.last_info["titles"])


def test_device_auto_is_the_cpu():
    assert resolve_device("auto") == "cpu"
    with pytest.raises(ValueError, match="device"):
        resolve_device("tpu")


@pytest.mark.slow
def test_ppo_learns_clearly_above_random_and_slot_credit_above_ppo(tmp_path):
    """Seed 0, 20,000 visits, 2,000 held-out members: measured PPO 0.249 reward per visit
    against random's 0.175 (and 0.261 at 50,000 visits); the margin asserted is 0.03.
    slot_ppo (its defaults: the two towers), the same policy credited per slot, after half
    the visits: measured 0.2945 after 10,000 (0.2855 after 8,000); asserted above PPO's
    20,000 by 0.02."""
    common = dict(eval_every=30_000, eval_members=2_000, logdir=str(tmp_path),
                  progress=False, seed=0)
    ppo = train_run(RunConfig(agent="ppo", visits=20_000, **common)).metrics["eval/reward"]
    random = train_run(RunConfig(agent="random", visits=20_000, **common)
                       ).metrics["eval/reward"]
    slot_ppo = train_run(RunConfig(agent="slot_ppo", visits=10_000, **common)
                         ).metrics["eval/reward"]
    assert ppo > random + 0.03, (ppo, random)
    assert slot_ppo > ppo + 0.02, (slot_ppo, ppo)


def test_ppo_becomes_maskable_when_titles_have_different_numbers_of_artworks():
    from artwork_env.experiments.training import build_agent
    venv = ArtworkSB3VecEnv("ArtworkBandit-v0", num_envs=2, n_artworks=(2, 6))
    spec = ProblemSpec.from_env(venv.venv)
    assert build_agent(RunConfig(agent="ppo"), spec, masks_vary=True).name == "maskable_ppo"
    assert build_agent(RunConfig(agent="ppo"), spec, masks_vary=False).name == "ppo"


class _Payload:
    """Unpickling this writes a marker file: what a crafted agent.zip could run."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({str(self.marker)!r}, 'w').write('ran')",))


def test_loading_a_crafted_agent_runs_no_code(tmp_path):
    """A run directory is data, not code: pickled objects planted in model.zip are never
    unpickled by `SB3Agent.load` (SB3's own `load` would run them)."""
    import base64
    import json
    import zipfile

    import cloudpickle

    from artwork_env.agents.base import TrainingEnv

    spec = ProblemSpec.of("ArtworkBandit-v0")
    agent = make_agent("ppo", spec)
    agent.prepare(TrainingEnv("ArtworkBandit-v0", 2, seed=0))
    agent.save(tmp_path / "agent")
    marker = tmp_path / "marker"
    payload = {":serialized:": base64.b64encode(cloudpickle.dumps(_Payload(marker))).decode()}
    zipped = tmp_path / "agent" / "model.zip"
    with zipfile.ZipFile(zipped) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    data = json.loads(files["data"])
    for key in ("policy_class", "observation_space", "lr_schedule", "evil"):
        data[key] = payload
    files["data"] = json.dumps(data).encode()
    with zipfile.ZipFile(zipped, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    loaded = make_agent("ppo", spec)
    loaded.load(tmp_path / "agent")
    assert not marker.exists()
    venv = ArtworkSB3VecEnv("ArtworkBandit-v0", num_envs=3)
    obs = agent_observation(venv.reset(), {"row_titles": venv.row_titles})
    assert np.array_equal(loaded.act(obs, explore=False), agent.act(obs, explore=False))


@pytest.mark.parametrize("name", ["ppo", "dqn"])
def test_deep_agents_train_on_their_runs_member_streams(name):
    """The first members a deep agent trains on are those of its run's seed (SB3 reseeds
    its env with seed + i when the model is built; the run's streams must win)."""
    from artwork_env.agents.base import TrainingEnv
    from artwork_env.envs.vector_env import make_vector
    env = TrainingEnv("ArtworkBandit-v0", 4, seed=7)
    agent = make_agent(name, ProblemSpec.of("ArtworkBandit-v0"), seed=7)
    agent.prepare(env)
    first = agent._training[1].reset()
    expected, _ = make_vector("ArtworkBandit-v0", 4).reset(seed=env.member_seeds)
    for key in expected:
        assert np.array_equal(first[key], expected[key]), key


def test_learning_without_a_log_dir_writes_no_sb3_folder(tmp_path, monkeypatch):
    """SB3's `learn` left to itself makes a folder per run (SB3_LOGDIR, else the temp
    directory's `SB3-<time>`); with no log dir the agent's logs go nowhere instead."""
    from artwork_env.agents.base import TrainingEnv
    monkeypatch.setenv("SB3_LOGDIR", str(tmp_path / "sb3"))
    agent = make_agent("ppo", ProblemSpec.of("ArtworkBandit-v0"), n_steps=4, batch_size=8)
    agent.learn(TrainingEnv("ArtworkBandit-v0", 2, seed=0), 8, lambda *_: True)
    assert agent.model.num_timesteps >= 8
    assert not (tmp_path / "sb3").exists()


def test_candidate_scorer_gives_each_arm_its_own_appeal():
    """With `title_ids` in the observation, two pages equal in every feature but their
    titles score differently (the arm embedding); without them they cannot."""
    import torch

    from artwork_env.agents.deep.networks import CandidateScorer

    venv = ArtworkSB3VecEnv("ArtworkBandit-v0", num_envs=2, title_ids=True)
    obs = venv.reset()
    same = {k: torch.as_tensor(np.repeat(v[:1], 2, axis=0)).float() for k, v in obs.items()}
    same["title_ids"][1] = (same["title_ids"][1] + 1) % venv.venv.sim.world.n_titles
    torch.manual_seed(0)
    scorer = CandidateScorer(venv.observation_space, hidden=16)
    scores = scorer(same)[:, :36]
    assert not torch.allclose(scores[0], scores[1])
    plain = ArtworkSB3VecEnv("ArtworkBandit-v0", num_envs=2).observation_space
    blind = CandidateScorer(plain, hidden=16)
    scores = blind({k: v for k, v in same.items() if k != "title_ids"})[:, :36]
    assert torch.allclose(scores[0], scores[1])


def test_candidate_scorer_adds_the_two_towers_to_each_score():
    """With `interaction_rank`, each candidate's score is the MLP's plus the dot product of
    the member tower on the `member` row and the item tower on the candidate's `titles`
    and `artworks` rows (`artwork_env.agents.modules.TwoTowers`); masked candidates keep -10."""
    import torch

    from artwork_env.agents.deep.networks import CandidateScorer

    venv = ArtworkSB3VecEnv("ArtworkBandit-v0", num_envs=3, title_ids=True)
    obs = {k: torch.as_tensor(v).float() for k, v in venv.reset().items()}
    torch.manual_seed(0)
    scorer = CandidateScorer(venv.observation_space, hidden=16, interaction_rank=4)
    with torch.no_grad():
        plain = scorer(obs)[:, :36].reshape(3, 6, 6)
        for weight in scorer.towers.parameters():
            weight.zero_()
        without = scorer(obs)[:, :36].reshape(3, 6, 6)
        torch.manual_seed(1)
        for weight in scorer.towers.parameters():
            weight.normal_()
        candidates = torch.cat([obs["titles"][:, :, None].expand(-1, -1, 6, -1),
                                obs["artworks"]], dim=-1)
        towers = torch.einsum("nr,nkmr->nkm", scorer.towers.member(obs["member"]),
                              scorer.towers.item(candidates))
        scores = scorer(obs)[:, :36].reshape(3, 6, 6)
    allowed = obs["action_mask"] > 0.5
    assert torch.allclose(scores[allowed], (without + towers)[allowed], atol=1e-4)
    assert towers[allowed].std() > 0.1 and not torch.allclose(plain, without)
    assert torch.all(scores[~allowed] == -10.0)
    assert CandidateScorer(venv.observation_space, hidden=16).towers is None
    with pytest.raises(ValueError, match="interaction_rank must be >= 0"):
        CandidateScorer(venv.observation_space, interaction_rank=-2)


def test_recurrent_policy_starts_as_the_scores_and_learns_a_memory_term():
    """recurrent_ppo's logits are the candidate scores (past the LSTM) plus a memory term
    that starts at zero: at build time the logits equal the scorer's scores exactly."""
    import torch

    from artwork_env.envs.vector_env import make_vector

    env = make_vector("ArtworkPersonalization-v1", 3)
    agent = make_agent("recurrent_ppo", ProblemSpec.from_env(env), seed=0)
    agent.build(ArtworkSB3VecEnv("ArtworkPersonalization-v1", 3, title_ids=True))
    policy = agent.model.policy
    obs, info = env.reset(seed=0)
    model_obs, _ = policy.obs_to_tensor(agent._env_obs(agent_observation(obs, info)))
    states = tuple(torch.zeros(1, 3, policy.lstm_output_dim) for _ in range(2))
    with torch.no_grad():
        scores = policy.extract_features(model_obs)[:, :36]
        distribution, _ = policy.get_distribution(model_obs, states, torch.ones(3))
        logits = torch.cat([d.logits for d in distribution.distribution], dim=1)
    assert torch.allclose(torch.log_softmax(scores.reshape(3, 6, 6), -1).reshape(3, 36),
                          logits, atol=1e-5)


def test_per_slot_distribution_splits_the_page_log_probability_and_entropy():
    """slot_ppo's distribution keeps each slot's log-probability and entropy apart; their
    sums over the slots are SB3's MultiDiscrete ones."""
    import torch
    from stable_baselines3.common.distributions import MultiCategoricalDistribution

    from artwork_env.agents.deep.slot_ppo import PerSlotCategorical

    logits = torch.randn(5, 4 * 3, generator=torch.Generator().manual_seed(0))
    actions = torch.tensor([[0, 1, 2, 0]] * 5)
    page = MultiCategoricalDistribution([3] * 4).proba_distribution(logits)
    slots = PerSlotCategorical([3] * 4).proba_distribution(logits)
    assert slots.log_prob(actions).shape == (5, 4)
    assert torch.allclose(slots.log_prob(actions).sum(1), page.log_prob(actions))
    assert torch.allclose(slots.entropy().sum(1), page.entropy())


def test_slot_ppo_credits_each_slot_with_its_own_share():
    """One rollout of slot_ppo: the buffer holds each slot's share of the reward (they sum
    to the page's reward SB3 saw), and a slot the cascade never showed (after the quality
    play) gets no advantage and keeps its value as its return."""
    from artwork_env.agents.base import TrainingEnv

    pages: list[tuple[np.ndarray, np.ndarray]] = []

    def report(reward, done, info):  # noqa: ANN001, ANN202
        pages.append((np.array(reward), np.array(info["plays"], dtype=bool)))
        return True

    env = TrainingEnv("ArtworkBandit-v0", 8, seed=3)
    agent = make_agent("slot_ppo", ProblemSpec.of("ArtworkBandit-v0"), seed=3, n_steps=4,
                       batch_size=32, n_epochs=1)
    agent.learn(env, 32, report)
    buffer = agent.model.rollout_buffer
    rewards = np.stack([reward for reward, _ in pages])
    plays = np.stack([play for _, play in pages])
    assert buffer.rewards.shape == (4, 8, 6)
    assert np.allclose(buffer.rewards.sum(-1), rewards, atol=1e-6)
    seen = (np.cumsum(plays, axis=-1) - plays) == 0
    assert np.array_equal(buffer.seen.astype(bool), seen) and not seen.all()
    unseen = ~seen.swapaxes(0, 1).reshape(32, 6)  # SB3 flattens (steps, envs) env-major
    assert (buffer.advantages[unseen] == 0).all()
    assert np.array_equal(buffer.returns[unseen], buffer.values[unseen])


def test_slot_ppo_refuses_a_discount_outside_0_1():
    with pytest.raises(ValueError, match=r"gamma must be in \[0, 1\]"):
        agent = make_agent("slot_ppo", ProblemSpec.of("ArtworkBandit-v0"), gamma=1.5)
        agent.build(ArtworkSB3VecEnv("ArtworkBandit-v0", 2, title_ids=True))


def _slot_buffer(gamma: float, gae_lambda: float, steps: int, envs: int, slots: int):
    """An empty SlotRolloutBuffer of `steps` x `envs` pages of `slots` slots."""
    from gymnasium import spaces

    from artwork_env.agents.deep.slot_ppo import SlotRolloutBuffer

    return SlotRolloutBuffer(steps, spaces.Dict({"x": spaces.Box(0, 1, (1,))}),
                             spaces.MultiDiscrete([3] * slots), n_envs=envs, gamma=gamma,
                             gae_lambda=gae_lambda, feedback=lambda: None)


@pytest.mark.parametrize("gae_lambda", [1.0, 0.0])
def test_slot_ppo_with_a_discount_credits_the_future_to_every_slot(gae_lambda):
    """gamma > 0: A[k] = (r[k] - V[k]) seen[k] + Phi, where Phi is the page's future
    surprise, the discounted rest of the lifetime minus F (lambda = 1: the whole rest,
    summed by brute force over lifetimes that end inside the rollout; lambda = 0: one
    step, gamma V(next) - F); the targets are r[k] (seen slots), R for U and Phi + F for F."""
    import torch

    gamma, steps, envs, k = 0.9, 6, 2, 3
    buffer = _slot_buffer(gamma, gae_lambda, steps, envs, k)
    rng = np.random.default_rng(0)
    buffer.rewards[:] = rng.random((steps, envs, k))
    buffer.seen[:] = rng.random((steps, envs, k)) < 0.7
    buffer.values[:] = rng.random((steps, envs, k + 2))
    starts = np.zeros((steps, envs))
    starts[[0, 3], 0] = starts[[0, 2], 1] = 1  # lifetimes: env 0 [0, 3) [3, 6); env 1 [0, 2) [2, 6)
    buffer.episode_starts[:] = starts
    dones = np.ones(envs, dtype=bool)  # both last lifetimes end with the rollout
    buffer.compute_returns_and_advantage(torch.zeros(envs, k + 2), dones)
    page, values = buffer.rewards.sum(2), buffer.values
    critic = values[..., k] + values[..., k + 1]
    for env, bounds in ((0, [(0, 3), (3, 6)]), (1, [(0, 2), (2, 6)])):
        for start, end in bounds:
            for t in range(start, end):
                if gae_lambda == 1.0:
                    rest = sum(gamma ** (j - t) * page[j, env] for j in range(t + 1, end))
                else:
                    rest = gamma * critic[t + 1, env] if t + 1 < end else 0.0
                future = rest - values[t, env, k + 1]
                own = (buffer.rewards[t, env] - values[t, env, :k]) * buffer.seen[t, env]
                assert np.allclose(buffer.advantages[t, env], own + future, atol=1e-5)
                assert np.isclose(buffer.returns[t, env, k], page[t, env])
                assert np.isclose(buffer.returns[t, env, k + 1], rest, atol=1e-5)
    seen = buffer.seen.astype(bool)
    assert np.allclose(buffer.returns[..., :k][seen], buffer.rewards[seen])
    assert np.allclose(buffer.returns[..., :k][~seen], values[..., :k][~seen])


def test_slot_ppo_without_a_discount_keeps_one_value_per_slot():
    """gamma = 0 is the one-visit rule alone: K values, A[k] = (r[k] - V[k]) seen[k]."""
    import torch

    buffer = _slot_buffer(0.0, 0.95, 4, 2, 3)
    assert buffer.values.shape == (4, 2, 3)
    rng = np.random.default_rng(1)
    buffer.rewards[:], buffer.values[:] = rng.random((4, 2, 3)), rng.random((4, 2, 3))
    buffer.seen[:] = rng.random((4, 2, 3)) < 0.7
    buffer.compute_returns_and_advantage(torch.zeros(2, 3), np.ones(2, dtype=bool))
    assert np.allclose(buffer.advantages, (buffer.rewards - buffer.values) * buffer.seen)


@pytest.mark.slow
def test_slot_ppo_with_a_discount_trains_saves_and_loads_its_future_value_outputs(tmp_path):
    """gamma > 0 adds U and F to the value head; a saved agent comes back with them (its
    hyperparameters rebuild the head) and acts as it did."""
    from artwork_env.agents.base import TrainingEnv

    spec = ProblemSpec.of("ArtworkPersonalization-v1")
    agent = make_agent("slot_ppo", spec, gamma=0.95, gae_lambda=0.0, n_steps=8,
                       batch_size=32)
    agent.learn(TrainingEnv("ArtworkPersonalization-v1", 4, seed=0), 64, lambda *_: True)
    assert agent.model.policy.value_net.out_features == 6 + 2
    assert agent.model.rollout_buffer.values.shape == (8 * 4, 6 + 2)  # flattened by get()
    agent.save(tmp_path)
    again = make_agent("slot_ppo", spec, gamma=0.95, gae_lambda=0.0, n_steps=8,
                       batch_size=32)
    again.load(tmp_path)
    venv = ArtworkSB3VecEnv("ArtworkPersonalization-v1", 4)
    obs = agent_observation(venv.reset(), {"row_titles": venv.row_titles})
    assert np.array_equal(agent.act(obs, explore=False), again.act(obs, explore=False))


@pytest.mark.slow
def test_a_deep_run_ends_with_the_same_weights_alone_or_beside_others(tmp_path):
    """torch's float sums depend on its thread count (a Linear layer's weight gradient over
    a batch differs between 1 and 2 threads), so runs made in this process (`--workers 1`)
    use one thread, as the worker processes do: the same seed ends with the same weights."""
    from dataclasses import replace

    import torch

    from artwork_env.experiments.launch import run_many

    configs = [RunConfig(agent="ppo", seed=seed, visits=640, eval_every=640, eval_members=16,
                         progress=False) for seed in (0, 1)]
    alone = run_many([replace(c, logdir=str(tmp_path / "alone")) for c in configs], workers=1)
    beside = run_many([replace(c, logdir=str(tmp_path / "beside")) for c in configs],
                      workers=2)
    spec = ProblemSpec.of("ArtworkBandit-v0")
    for mine, theirs in zip(alone, beside):
        weights = []
        for result in (mine, theirs):
            agent = make_agent("ppo", spec)
            agent.load(read_checkpoint(result.run_dir)[0] / AGENT_DIR)
            weights.append(agent.model.policy.state_dict())
        assert all(torch.equal(weights[0][name], weights[1][name]) for name in weights[0])


def test_rl_zoo_linear_schedules_fall_to_zero_over_the_budget():
    """`lin_<start>` (RL Zoo's notation, also in `--grid`): SB3's progress_remaining x start;
    anything else that is not a number is refused, naming the hyperparameter."""
    spec, venv = ProblemSpec.of("ArtworkBandit-v0"), ArtworkSB3VecEnv("ArtworkBandit-v0", 2,
                                                                       title_ids=True)
    agent = make_agent("slot_ppo", spec, learning_rate="lin_0.001", clip_range="lin_0.2")
    agent.build(venv)
    assert [agent.model.lr_schedule(p) for p in (1.0, 0.25, 0.0)] == [0.001, 0.00025, 0.0]
    assert agent.model.clip_range(0.5) == pytest.approx(0.1)
    assert agent.hyperparameters()["learning_rate"] == "lin_0.001"  # what agent.json keeps
    for bad in ("exp_0.001", "lin_fast", "lin_0"):
        with pytest.raises(ValueError, match="learning_rate"):
            make_agent("ppo", spec, learning_rate=bad).build(venv)


@pytest.mark.parametrize(("env_id", "name", "expected"), [
    ("ArtworkBandit-v0", "slot_ppo", {"learning_rate": "lin_0.002", "n_epochs": 10,
                                      "interaction_rank": 16, "gamma": 0.0}),
    ("ArtworkBandit-v0", "ppo", {"n_steps": 32, "batch_size": 256, "gamma": 0.0}),
    ("ArtworkPersonalization-v1", "ppo", {"n_steps": 40, "batch_size": 320, "gamma": 0.95,
                                          "gae_lambda": 0.9, "n_epochs": 4}),
    ("ArtworkPersonalization-v1", "a2c", {"n_steps": 10, "gamma": 0.95, "learning_rate": 7e-4}),
    ("ArtworkPersonalization-v1", "slot_ppo", {"gamma": 0.0, "interaction_rank": 16}),
    ("ArtworkBandit-v0", "dqn", {"gamma": 0.99, "buffer_size": 50_000}),
])
def test_a_deep_agent_takes_its_defaults_from_its_configuration_and_the_env_overrides(
        env_id, name, expected):
    """The dataclass holds the defaults, the yaml only what an env id changes: the harness's
    agent for the env id has both, and logs every field."""
    from artwork_env.agents.registry import agent_class

    cls = agent_class(name)
    agent = make_agent(name, ProblemSpec.of(env_id),
                       **cls.default_hyperparameters(env_id, "cpu"))
    logged = agent.hyperparameters()
    assert {key: logged[key] for key in expected} == expected
    assert set(logged) == {*cls.config_class.names(), "device"}


@pytest.mark.parametrize(("name", "kwargs", "message"), [
    ("ppo", {"n_steps": 0}, "n_steps must be a positive integer"),
    ("ppo", {"gae_lambda": 1.5}, r"gae_lambda must be in \[0, 1\]"),
    ("slot_ppo", {"clip_range": "cos_0.2"}, "clip_range must be a number or 'lin_<start>'"),
    ("a2c", {"n_epochs": 4}, r"unknown hyperparameter\(s\) \['n_epochs'\]"),
    ("dqn", {"exploration_final_eps": 2.0}, r"exploration_final_eps must be in \[0, 1\]"),
    ("ppo", {"interaction_rank": -1}, "interaction_rank must be a non-negative integer"),
])
def test_a_bad_deep_hyperparameter_is_refused_at_once_naming_the_field(name, kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_agent(name, ProblemSpec.of("ArtworkBandit-v0"), **kwargs)
