"""Learning, with fixed seeds and stated margins, on ArtworkBandit-v0 (about 2 minutes).

Margins come from `python benchmarks/learning_quality.py --visits 30000 --seeds 0 1 2`
(docs/results.md, "The default comparison"): over three seeds the contextual agents beat the best
non-contextual bandit by about 0.02-0.025 reward per visit (0.016 at least for seed 0),
the bandits beat random by >= 0.119 and the oracle beats every learner by >= 0.054. The
asserted margins are about a third of those, so the claims hold across seeds, not just
for the seed tested. At 100,000 visits (`--agents linucb,lints --visits 100000`) the
contextual agents measured 85.4-86.0 % of the oracle over seeds 0-2 (% of oracle: between
the worst page and the oracle); the test asks 85 % of seed 0 (85.8 and 86.0 measured).
"""

from __future__ import annotations

import pytest

from artwork_env.experiments.launch import run_many
from artwork_env.experiments.training import RunConfig

SEED = 0

pytestmark = pytest.mark.slow  # minutes of training: the full suite only


def run_all(configs: list[RunConfig]) -> dict[str, dict[str, float]]:
    return {r.agent: r.metrics for r in run_many(configs, workers=2)}


@pytest.fixture(scope="module")
def same_budget(tmp_path_factory) -> dict[str, float]:
    logdir = str(tmp_path_factory.mktemp("learning"))
    names = ["oracle", "linucb", "lints", "thompson", "ucb", "egreedy", "random"]
    metrics = run_all([RunConfig(agent=name, seed=SEED, visits=30_000, eval_every=30_000,
                                 eval_members=4_000, logdir=logdir, progress=False)
                       for name in names])
    return {name: m["eval/reward"] for name, m in metrics.items()}


def test_oracle_beats_the_contextual_agents(same_budget):
    for name in ("linucb", "lints"):
        assert same_budget["oracle"] > same_budget[name] + 0.02


def test_contextual_agents_beat_the_non_contextual_bandits(same_budget):
    best_bandit = max(same_budget[name] for name in ("thompson", "ucb", "egreedy"))
    for name in ("linucb", "lints"):
        assert same_budget[name] > best_bandit + 0.005


def test_bandits_beat_random(same_budget):
    for name in ("thompson", "ucb", "egreedy"):
        assert same_budget[name] > same_budget["random"] + 0.04


def test_contextual_agents_reach_85_percent_of_the_oracle_within_100k_visits(tmp_path):
    metrics = run_all([RunConfig(agent=name, seed=SEED, visits=100_000, eval_every=100_000,
                                 eval_members=4_000, logdir=str(tmp_path), progress=False)
                       for name in ("linucb", "lints")])
    for name, m in metrics.items():
        assert m["eval/pct_of_oracle"] >= 85.0, (name, m)
