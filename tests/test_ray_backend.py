"""The Ray backend: same runs, same numbers, same event files as the local backend."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from test_training import read_scalars

from artwork_env.experiments.launch import run_many
from artwork_env.experiments.training import RunConfig

ray = pytest.importorskip("ray", reason="pip install -e '.[ray]'")

pytestmark = pytest.mark.slow  # Ray start-up and training runs: the full suite only


@pytest.fixture(scope="module")
def both_backends(tmp_path_factory):
    configs = [RunConfig(agent=name, seed=seed, visits=320, eval_every=160, eval_members=32,
                         progress=False)
               for name in ("random", "ucb", "linucb") for seed in (0, 1)]
    local_dir, ray_dir = tmp_path_factory.mktemp("local"), tmp_path_factory.mktemp("ray")
    local = run_many([replace(c, logdir=str(local_dir)) for c in configs], workers=1)
    remote = run_many([replace(c, logdir=str(ray_dir), progress=False) for c in configs],
                      workers=2, backend="ray", address="local")
    return local, remote


def test_ray_results_match_the_local_backend(both_backends):
    local, remote = both_backends
    key = lambda r: (r.agent, r.seed)  # noqa: E731
    assert sorted(map(key, local)) == sorted(map(key, remote))
    by_key = {key(r): r for r in remote}
    for result in local:
        other = by_key[key(result)]
        assert result.metrics == other.metrics
        assert result.cumulative_regret == other.cumulative_regret


def test_ray_event_files_match_the_local_backend(both_backends):
    local, remote = both_backends
    by_key = {(r.agent, r.seed): r for r in remote}
    for result in local:
        mine = read_scalars(Path(result.run_dir))
        theirs = read_scalars(Path(by_key[(result.agent, result.seed)].run_dir))
        assert mine.keys() == theirs.keys()
        for tag in mine:
            assert [(e.step, e.value) for e in mine[tag]] == \
                [(e.step, e.value) for e in theirs[tag]]


def test_a_failing_run_is_reported_and_the_others_go_on(tmp_path, capsys):
    good = RunConfig(agent="random", visits=160, eval_every=160, eval_members=16,
                     logdir=str(tmp_path), progress=False)
    bad = replace(good, agent="ucb", agent_kwargs={"c": -1.0})  # rejected by the agent
    results = run_many([good, bad], workers=2, backend="ray", address="local")
    assert [r.agent for r in results] == ["random"]
    assert "ucb seed 0" in capsys.readouterr().err
