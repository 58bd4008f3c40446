"""Interruptions and replicates: atomic checkpoints, exact resumes, each step logged once,
clean stops on SIGINT/SIGTERM (with workers too), independent seeds, --resume options."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

from artwork_env.agents.bandits.multi_armed import UCBAgent as UCB
from artwork_env.agents.base import TrainingEnv
from artwork_env.experiments import interrupts
from artwork_env.experiments.checkpoints import read_checkpoint, write_checkpoint
from artwork_env.experiments.training import RunConfig, load_trained_agent, train_run
from artwork_env.experiments.vocabulary import AGENT_DIR, EVAL_SEED

ROOT = Path(__file__).resolve().parents[1]
TRAIN = [sys.executable, str(ROOT / "scripts" / "train.py")]
from artwork_env.experiments.commands import train  # noqa: E402


def raw_scalars(run_dir: str | Path) -> list[tuple[str, int, float]]:
    """Every scalar record of every event file, duplicates included (as tbparse reads)."""
    out = []
    for path in sorted(Path(run_dir).glob("events.out.tfevents.*")):
        for event in EventFileLoader(str(path)).Load():
            for value in event.summary.value:
                if value.metadata.plugin_data.plugin_name == "scalars":
                    out.append((value.tag, event.step, float(value.tensor.float_val[0])))
    return out


# ------------------------------------------------------------------ independent seeds
def test_runs_with_different_seeds_share_no_member():
    """Member streams come from the seed (SeedSequence, 64 bits): 200 seeds x 16 members
    are 3,200 distinct streams, none of them a held-out evaluation member (once, run seed s
    drew members s .. s + 15: seeds 0 and 1 shared 15 of 16)."""
    seeds = [s for seed in range(200) for s in TrainingEnv("ArtworkBandit-v0", 16,
                                                            seed).member_seeds]
    assert len(set(seeds)) == len(seeds) == 3200
    assert not set(seeds) & set(range(EVAL_SEED, EVAL_SEED + 100_000))


def test_a_stream_can_start_at_a_later_episode():
    """`reset(seed, options={"episode": e})` gives the members a stream meets after e
    one-visit episodes (how a resumed bandit run meets the members it would have met)."""
    from artwork_env.envs.vector_env import make_vector
    walk, jump = make_vector("ArtworkBandit-v0", 4), make_vector("ArtworkBandit-v0", 4)
    walk.reset(seed=[5, 6, 7, 8])
    actions = np.zeros((4, walk.single_action_space.shape[0]), dtype=np.int64)
    for _ in range(3):
        obs = walk.step(actions)[0]
    jumped, _ = jump.reset(seed=[5, 6, 7, 8], options={"episode": 3})
    for name in obs:
        assert np.array_equal(obs[name], jumped[name]), name
    with pytest.raises(ValueError, match="episode"):
        jump.reset(seed=0, options={"episode": -1})


# ------------------------------------------------------------------ checkpoints
def test_a_checkpoint_killed_while_written_leaves_the_previous_one(tmp_path):
    agent = UCB(_spec())
    write_checkpoint(tmp_path, agent.save, {"visits": 10}, {})

    def dies_half_way(folder: Path) -> None:
        folder.mkdir(parents=True)
        (folder / "state.npz").write_bytes(b"half a fi")
        raise KeyboardInterrupt  # as a second Ctrl-C or a kill would interrupt it

    with pytest.raises(KeyboardInterrupt):
        write_checkpoint(tmp_path, dies_half_way, {"visits": 20}, {})
    folder, state, _ = read_checkpoint(tmp_path)
    assert state["visits"] == 10
    UCB(_spec()).load(folder / AGENT_DIR)  # loads


def test_a_checkpoint_that_points_outside_its_run_directory_is_refused(tmp_path):
    import json
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "state.json").write_text("{}")
    (run_dir / "checkpoint.json").write_text(json.dumps(
        {"folder": "../elsewhere", "visits": 0, "event_files": {}}))
    with pytest.raises(ValueError, match="inside the run directory"):
        read_checkpoint(run_dir)


def _spec():
    from artwork_env.agents.base import ProblemSpec
    return ProblemSpec.of("ArtworkBandit-v0")


class SignalledDuringUpdate(UCB):
    """A UCB agent that gets a signal while it learns from the visit that brings it to
    `at` visits; `second`: a second signal aborts in the middle of that update."""

    at = 0
    second = False

    def update(self, obs, actions, reward, info) -> None:
        self.seen = getattr(self, "seen", 0) + len(reward)
        if self.seen == self.at:
            interrupts.request_stop()  # what the first SIGINT/SIGTERM does
            if self.second:
                np.add.at(self.counts, (0, 0), 1.0)  # half an update ...
                raise KeyboardInterrupt  # ... when the second signal arrives
        super().update(obs, actions, reward, info)


def _saved_counts(run_dir: str | Path) -> np.ndarray:
    agent = UCB(_spec())
    agent.load(read_checkpoint(run_dir)[0] / AGENT_DIR)
    return agent.counts


@pytest.mark.parametrize("second", [False, True])
def test_a_signal_inside_update_never_checkpoints_an_agent_ahead_of_its_count(
        second, tmp_path, monkeypatch):
    """First signal: the run stops after the visit it was learning from, and its
    checkpoint holds the same agent as a run of exactly that many visits. Second signal
    mid-update: the run aborts and the last checkpoint (the evaluation at 320) stays."""
    import artwork_env.experiments.training as training
    config = RunConfig(agent="ucb", visits=960, eval_every=320, eval_members=32,
                       logdir=str(tmp_path / "signalled"), progress=False)
    expected_visits = 320 if second else 400
    reference = train_run(replace(config, visits=expected_visits,
                                  logdir=str(tmp_path / "reference")))
    SignalledDuringUpdate.at, SignalledDuringUpdate.second = 400, second
    monkeypatch.setattr(training, "build_agent",
                        lambda config, spec, masks_vary=False, cls=None:
                        SignalledDuringUpdate(spec, 0))
    if second:
        with pytest.raises(KeyboardInterrupt):
            train_run(config)
        run_dir = next((tmp_path / "signalled").iterdir())
    else:
        result = train_run(config)
        assert result.visits == 400
        run_dir = Path(result.run_dir)
    assert read_checkpoint(run_dir)[1]["visits"] == expected_visits
    assert np.array_equal(_saved_counts(run_dir), _saved_counts(reference.run_dir))
    assert not interrupts.stop_requested()  # the request ends with the run


# ------------------------------------------------------------------ exact resume
def test_a_resumed_bandit_run_ends_where_an_uninterrupted_one_does(tmp_path):
    """Stopped at visit 480 (a signal), resumed to 960: the same final metrics, cumulative
    regret and every logged step as one run of 960 visits (the members after the stop are
    the ones the uninterrupted run met)."""
    base = RunConfig(agent="linucb", visits=960, eval_every=320, eval_members=64,
                     logdir=str(tmp_path), progress=False)
    whole = train_run(base)
    half = train_run(replace(base, visits=480))  # ends at its budget (an extra eval at 480)
    again = train_run(base, resume_dir=half.run_dir)
    assert again.metrics == whole.metrics
    assert again.cumulative_regret == whole.cumulative_regret
    mine = [r for r in raw_scalars(again.run_dir) if not (r[0].startswith("eval/")
                                                             and r[1] == 480)]
    assert mine == raw_scalars(whole.run_dir)


@pytest.mark.slow  # trains torch networks
@pytest.mark.parametrize(("agent", "kwargs"), [
    ("neural_bandit", dict(hidden=16, batch_size=64, train_every=2, posterior_window=200)),
    ("factored_bandit", dict(hidden=16, batch_size=64, train_every=2, ensemble=2))])
def test_a_resumed_neural_run_ends_with_the_weights_of_an_uninterrupted_one(agent, kwargs,
                                                                            tmp_path):
    """The torch bandits resume exactly too: the optimiser's moments are saved with the
    weights, so the training after the resume takes the same steps as without the stop."""
    base = RunConfig(agent=agent, agent_kwargs=kwargs, visits=640, eval_every=320,
                     eval_members=32, logdir=str(tmp_path), progress=False)
    whole = train_run(base)
    half = train_run(replace(base, visits=320))
    again = train_run(base, resume_dir=half.run_dir)

    def saved(run_dir: str) -> dict[str, np.ndarray]:
        with np.load(read_checkpoint(run_dir)[0] / AGENT_DIR / "state.npz") as data:
            return {key: data[key] for key in data.files if key != "__meta__"}

    mine, reference = saved(again.run_dir), saved(whole.run_dir)
    assert mine.keys() == reference.keys()
    for key in reference:
        assert np.array_equal(mine[key], reference[key]), key
    assert again.metrics == whole.metrics


# ------------------------------------------------------------------ --resume options
@pytest.fixture(scope="module")
def short_run(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("short")
    return train.main(["--seeds", "0", "--agents", "ucb", "--visits", "320", "--eval-every", "160",
                       "--eval-members", "16", "--workers", "1", "--logdir", str(logdir)])[0]


def test_resume_honours_visits_with_an_equals_sign(short_run):
    again = train.main(["--resume", short_run.run_dir, "--visits=480"])
    assert again[0].visits == 480


@pytest.mark.parametrize("argv, named", [
    (["--seeds", "3"], "--seeds"), (["--env-kwargs", "n_slots=3"], "--env-kwargs"),
    (["--eval-every=80", "--grid", "n_slots=4"], "--eval-every, --grid"),
    (["--agents", "random"], "the run's agent is 'ucb', not 'random'")])
def test_resume_refuses_options_that_belong_to_the_run(short_run, argv, named, capsys):
    with pytest.raises(SystemExit) as exit_info:
        train.main(["--resume", short_run.run_dir, *argv])
    assert exit_info.value.code == 2 and named in capsys.readouterr().err


def test_resume_refuses_a_total_below_what_is_done(short_run, capsys):
    with pytest.raises(SystemExit) as exit_info:
        train.main(["--resume", short_run.run_dir, "--visits", "100"])
    assert exit_info.value.code == 2 and "below" in capsys.readouterr().err


@pytest.mark.parametrize("seeds, message", [(["-1"], "non-negative"),
                                            (["0", "0", "0"], "twice")])
def test_bad_seed_lists_are_named(seeds, message, capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        train.main(["--seeds", *seeds, "--logdir", str(tmp_path)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--seeds" in err and message in err


# ------------------------------------------------------------------ signals, kills
def _wait_for(predicate, seconds: float) -> None:
    deadline = time.time() + seconds
    while not predicate():
        if time.time() > deadline:
            raise TimeoutError
        time.sleep(0.2)


@pytest.mark.slow
def test_sigint_to_the_main_process_stops_every_worker(tmp_path):
    """`timeout -s INT` signals the main process only: its workers stop at their next
    visit, checkpoint, and the table of what they reached is printed; the runs not yet
    started are skipped (4 runs on 2 workers of 10 million visits each)."""
    process = subprocess.Popen(
        [*TRAIN, "--agents", "ucb,random", "--seeds", "0", "1", "--visits", "10000000",
         "--eval-every", "5000000", "--eval-members", "16", "--workers", "2",
         "--logdir", str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)
    _wait_for(lambda: len(list(tmp_path.glob("*/checkpoint.json"))) == 2, 120)
    time.sleep(2)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    runs = sorted(tmp_path.iterdir())
    assert len(runs) == 2  # the two queued runs never started
    for run_dir in runs:
        assert 0 < read_checkpoint(run_dir)[1]["visits"] < 10_000_000
    assert "greedy evaluation" in out and "seeds" in out


@pytest.mark.slow
def test_soak_sigkill_and_resume_loses_and_doubles_nothing(tmp_path):
    """SIGKILL a bandit run at random moments (4 times), resume it each time: the final
    metrics equal an uninterrupted run's and every (tag, step) is in the event files once,
    the same steps as the uninterrupted run's."""
    argv = ["--agents", "linucb", "--visits", "40000", "--eval-every", "2000",
            "--eval-members", "64", "--workers", "1", "--logdir", str(tmp_path / "killed")]
    gen = random.Random(7)
    process = subprocess.Popen([*TRAIN, *argv], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    _wait_for(lambda: list((tmp_path / "killed").glob("*/checkpoint.json")), 120)
    run_dir = next((tmp_path / "killed").iterdir())
    for _ in range(4):
        time.sleep(gen.uniform(0.2, 3.0))
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
        process = subprocess.Popen([*TRAIN, "--resume", str(run_dir)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(2.0)  # let it start (a kill before its first step is fine too)
    assert process.wait(timeout=300) == 0
    whole = train.main([*argv[:-1], str(tmp_path / "whole")])[0]
    killed = read_checkpoint(run_dir)[1]
    assert killed["visits"] == 40_000 and killed["metrics"] == whole.metrics
    records = raw_scalars(run_dir)
    keys = [(tag, step) for tag, step, _ in records]
    assert len(keys) == len(set(keys))
    assert sorted(records) == sorted(raw_scalars(whole.run_dir))


def test_a_trained_agent_loads_from_its_checkpoint(short_run):
    agent, config = load_trained_agent(short_run.run_dir)
    assert config.agent == "ucb" and agent.counts.sum() > 0


# ------------------------------------------------------------------ network
def test_ray_is_never_started_unasked(capsys, tmp_path):
    """A local Ray cluster listens on every interface (Ray has no loopback-only mode), so
    `--backend ray` needs `--address`: a cluster's, or `local` said knowingly."""
    from artwork_env.experiments.launch import run_on_ray
    with pytest.raises(SystemExit) as exit_info:
        train.main(["--backend", "ray", "--logdir", str(tmp_path)])
    assert exit_info.value.code == 2 and "--address" in capsys.readouterr().err
    with pytest.raises(ValueError, match="address"):
        run_on_ray([RunConfig()], workers=1, address="")


def test_a_run_directory_of_the_old_layout_still_gives_its_agent(short_run, tmp_path):
    """Runs written before checkpoints were folders kept the agent in `agent/`: they load
    for acting (`collect.py --agent-from`), though they cannot be resumed."""
    import shutil
    old = tmp_path / "old_run"
    shutil.copytree(short_run.run_dir, old)
    shutil.copytree(read_checkpoint(old)[0] / AGENT_DIR, old / AGENT_DIR)
    shutil.rmtree(old / "checkpoints")
    (old / "checkpoint.json").unlink()
    agent, _ = load_trained_agent(old)
    assert agent.counts.sum() > 0


def _thread_count(_: int) -> str | None:
    import os

    return os.environ.get("NUMBA_NUM_THREADS")


def _blas_threads(_: int) -> list[int]:
    from threadpoolctl import threadpool_info

    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_runs_in_this_process_call_blas_on_one_thread(monkeypatch):
    """Runs made in this process (one worker) call numpy's BLAS on one thread, as the
    workers do, and the count is back afterwards: BLAS's spinning threads and the kernels'
    made a linucb run 3-4x slower in the main process than in a worker."""
    from threadpoolctl import threadpool_limits

    from artwork_env.compiled.threads import BLAS_VARIABLES
    from artwork_env.experiments.processes import process_map

    for name in BLAS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    with threadpool_limits(limits=2, user_api="blas"):
        assert _blas_threads(0) and set(_blas_threads(0)) == {2}
        assert process_map(_blas_threads, [0], workers=1) == [[1] * len(_blas_threads(0))]
        assert set(_blas_threads(0)) == {2}
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "2")  # the user's own count is kept
    with threadpool_limits(limits=2, user_api="blas"):
        assert set(process_map(_blas_threads, [0], workers=1)[0]) == {2}


def test_the_rollout_loop_calls_blas_on_one_thread(monkeypatch):
    """Inside the one rollout loop (training, evaluation, logging) the agent's numpy BLAS
    runs on one thread, beside the kernels' threads; outside it, on its own count again."""
    import scipy.linalg  # noqa: F401  (its own OpenBLAS: loaded before the limit, limited too)
    from threadpoolctl import threadpool_limits

    from artwork_env.compiled.threads import BLAS_VARIABLES
    from artwork_env.envs.rollout import rollout
    from artwork_env.envs.vector_env import make_vector

    for name in BLAS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    seen: list[list[int]] = []

    def choose(obs):
        seen.append(_blas_threads(0))
        return obs["action_mask"].argmax(axis=-1)

    with threadpool_limits(limits=2, user_api="blas"):
        rollout(make_vector("ArtworkBandit-v0", 4), choose, lambda visit: len(seen) < 3, seed=0)
        assert set(_blas_threads(0)) == {2}
    assert len(seen) == 3 and all(threads and set(threads) == {1} for threads in seen)


@pytest.mark.slow
def test_workers_run_single_threaded_and_the_parent_keeps_its_threads():
    """The workers inherit NUMBA_NUM_THREADS=1 (and the BLAS counts); this process's
    environment is left as it was: numba refuses to compile a kernel after the count its
    threads started with changes (it broke the planner's first kernel after a comparison
    ran in the same process)."""
    import os

    from artwork_env.experiments.processes import THREAD_VARIABLES, process_map

    before = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    assert process_map(_thread_count, [0, 1], workers=2) == [before["NUMBA_NUM_THREADS"] or "1"] * 2
    assert {name: os.environ.get(name) for name in THREAD_VARIABLES} == before
