"""scripts/train.py: validation, run directories, and the TensorBoard vocabulary."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from artwork_env.experiments.checkpoints import read_checkpoint
from artwork_env.experiments.training import new_run_dir
from artwork_env.experiments.vocabulary import TAGS

ROOT = Path(__file__).resolve().parents[1]
from artwork_env.experiments.commands import train  # noqa: E402


def read_scalars(run_dir: Path) -> dict[str, list]:
    """Every scalar event of the run's event files, in the order they were written. (The
    accumulator reads files in name order, which puts `...<pid>.10` before `...<pid>.9`
    when two writers of one process start in the same second, as a resume in a test does,
    and would then purge the earlier file's steps as orphaned.)"""
    accumulator = EventAccumulator(str(run_dir), size_guidance={"scalars": 0},
                                   purge_orphaned_data=False)
    accumulator.Reload()
    return {tag: sorted(accumulator.Scalars(tag), key=lambda e: (e.wall_time, e.step))
            for tag in accumulator.Tags()["scalars"]}


@pytest.fixture(scope="module")
def smoke_runs(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("runs")
    results = train.main(["--agents", "random,linucb", "--visits", "640", "--eval-every",
                          "320", "--eval-members", "64", "--num-envs", "16", "--workers", "1",
                          "--seeds", "0", "--logdir", str(logdir)])
    return logdir, results


def test_one_run_directory_per_agent_and_seed(smoke_runs):
    logdir, results = smoke_runs
    names = sorted(p.name for p in logdir.iterdir())
    assert len(names) == 2
    for name in names:
        assert re.fullmatch(r"ArtworkBandit-v0__(random|linucb)__0__\d+", name)
        config = json.loads((logdir / name / "config.json").read_text())
        assert config["visits"] == 640 and "model_parameters" in config
        assert (read_checkpoint(logdir / name)[0] / "agent" / "state.npz").exists()


def test_event_files_hold_exactly_the_documented_tags(smoke_runs):
    logdir, results = smoke_runs
    for run_dir in logdir.iterdir():
        scalars = read_scalars(run_dir)
        assert set(scalars) == set(TAGS)
        assert [e.step for e in scalars["eval/reward"]] == [0, 320, 640]
        assert all(e.step <= 640 for values in scalars.values() for e in values)
        pct = [e.value for e in scalars["eval/pct_of_oracle"]]
        assert all(0 < value <= 100.0 + 1e-9 for value in pct)


def test_closing_table_reads_back_what_the_runs_returned(smoke_runs):
    """The closing table comes from the event files; it agrees with the runs' own numbers."""
    from artwork_env.experiments.report import load_runs, summarise

    _, results = smoke_runs
    assert {r.agent for r in results} == {"random", "linucb"}
    assert all(r.visits == 640 for r in results)
    runs, skipped = load_runs([r.run_dir for r in results])
    summary = summarise(runs).set_index("agent")
    assert not skipped
    for result in results:
        assert summary.loc[result.agent, "reward"] == pytest.approx(
            result.metrics["eval/reward"], rel=1e-6)  # event files hold float32
    table = train.closing_table(results)
    assert "random" in table and "linucb" in table


@pytest.mark.slow  # a fresh interpreter with torch, 4-5 s: the not-slow loop is at its budget
def test_the_script_prints_the_table_and_the_tensorboard_line(tmp_path):
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "train.py"), "--agents", "random",
         "--visits", "160", "--eval-every", "160", "--eval-members", "16", "--workers", "1",
         "--logdir", str(tmp_path)], capture_output=True, text=True, check=True).stdout
    assert "% of oracle" in out and "random" in out
    assert f"tensorboard --logdir {tmp_path}" in out


@pytest.mark.parametrize("argv, message", [
    (["--agents", "random,alphazero"], "unknown agent 'alphazero'; available: random"),
    (["--agents", "no_such_module:Agent"], "cannot import it"),
    (["--agents", "json:dumps"], "is not a subclass of artwork_env.agents.base.Agent"),
    (["--env", "CartPole-v1"], "unknown env id 'CartPole-v1'; available: ArtworkBandit-v0"),
    (["--env-kwargs", "n_slots"], "malformed model parameter 'n_slots'"),
    (["--env-kwargs", "n_slotz=8"], "unknown model parameter 'n_slotz'"),
    (["--env-kwargs", "n_slots=0"], "n_slots must be a positive integer"),
    (["--env-kwargs", "reward=clicks"], "reward must be one of"),
])
def test_bad_arguments_exit_2_before_training(argv, message, capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        train.main([*argv, "--logdir", str(tmp_path)])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert not any(tmp_path.iterdir())  # nothing was trained


def test_grid_values_are_literals_and_true_or_false_are_booleans():
    from artwork_env.experiments.cli import grid_points

    points = grid_points(["agent.thompson=true,False", "reward=click"])
    assert [agent_kwargs for _, _, agent_kwargs in points] == [{"thompson": True},
                                                              {"thompson": False}]
    assert all(env_kwargs == {"reward": "click"} for _, env_kwargs, _ in points)


def test_an_unwritable_logdir_exits_2_before_training(capsys, tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    with pytest.raises(SystemExit) as exit_info:
        train.main(["--agents", "random", "--logdir", str(not_a_folder)])
    assert exit_info.value.code == 2
    assert "--logdir" in capsys.readouterr().err


def test_run_directories_are_never_overwritten(tmp_path):
    first = new_run_dir(tmp_path, "ArtworkBandit-v0", "ucb", 0)
    second = new_run_dir(tmp_path, "ArtworkBandit-v0", "ucb", 0)
    assert first != second and first.exists() and second.exists()


def test_evaluation_frequency_does_not_change_training(tmp_path):
    from artwork_env.experiments.training import RunConfig, train_run
    common = dict(agent="thompson", visits=960, eval_members=32, logdir=str(tmp_path),
                  progress=False)
    rare = train_run(RunConfig(eval_every=960, **common))
    often = train_run(RunConfig(eval_every=160, **common))
    assert rare.metrics == often.metrics and rare.cumulative_regret == often.cumulative_regret


def test_the_harness_evaluates_between_training_visits_not_beneath_them(tmp_path, monkeypatch):
    """One flow for a run: the training loop yields each visit to the harness, which
    evaluates while that loop is suspended. So while the held-out members are evaluated
    one rollout loop runs (the evaluation's; before, the training's ran beneath it, and
    beneath the rendered first page), and
    the training's env is attached when the training starts and again after each
    evaluation and each rendered page, not on every visit (before: once a visit)."""
    import inspect

    from artwork_env.agents.bandits.multi_armed import EpsilonGreedyAgent
    from artwork_env.envs import rollout as rollout_module
    from artwork_env.experiments.training import RunConfig, train_run

    attached: list[int] = []
    loops_while_evaluating: list[int] = []
    real_act = EpsilonGreedyAgent.act

    def act(self, obs, explore=True):
        if not explore:
            loops_while_evaluating.append(sum(
                frame.filename == rollout_module.__file__ for frame in inspect.stack(0)))
        return real_act(self, obs, explore)

    monkeypatch.setattr(EpsilonGreedyAgent, "attach", lambda self, env: attached.append(
        env.num_envs))
    monkeypatch.setattr(EpsilonGreedyAgent, "act", act)
    train_run(RunConfig(agent="egreedy", visits=960, eval_every=320, num_envs=16,
                        eval_members=24, logdir=str(tmp_path), progress=False))
    evaluations = 4  # at the start, then after 320, 640 and 960 visits
    assert attached.count(24) == evaluations and attached.count(1) == evaluations
    assert attached.count(16) == 1 + 2 * (evaluations - 1)  # 960 / 16 = 60 visits
    # the evaluation's own loop (1), or none for the page rendered after it (0)
    assert loops_while_evaluating == [1, 0] * evaluations


@pytest.mark.parametrize("agent", ["linucb", "ppo"])
def test_resume_continues_the_step_counter_in_the_same_event_files(agent, tmp_path):
    first = train.main(["--seeds", "0", "--agents", agent, "--visits", "320", "--eval-every", "160",
                        "--eval-members", "32", "--workers", "1", "--logdir", str(tmp_path)])
    run_dir = Path(first[0].run_dir)
    assert read_checkpoint(run_dir)[1]["visits"] == 320
    again = train.main(["--resume", str(run_dir), "--visits", "640"])
    assert again[0].visits == 640 and again[0].run_dir == str(run_dir)
    assert len(list(tmp_path.iterdir())) == 1  # no new run directory
    steps = [e.step for e in read_scalars(run_dir)["eval/reward"]]
    assert steps == [0, 160, 320, 480, 640]
    assert read_checkpoint(run_dir)[1]["visits"] == 640


def test_resume_of_something_else_exits_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        train.main(["--resume", str(tmp_path)])
    assert exit_info.value.code == 2 and "not a run directory" in capsys.readouterr().err


@pytest.mark.slow
def test_ctrl_c_saves_the_agent_and_the_progress(tmp_path):
    import signal
    import time

    process = subprocess.Popen(
        [sys.executable, str(ROOT / "scripts" / "train.py"), "--agents", "ucb", "--visits",
         "10000000", "--eval-every", "5000000", "--eval-members", "16", "--workers", "1",
         "--logdir", str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while time.time() < deadline and not list(tmp_path.glob("*/events.out.tfevents.*")):
        time.sleep(0.5)
    time.sleep(3)  # let it train a little
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=60)
    run_dir = next(tmp_path.iterdir())
    folder, state, _ = read_checkpoint(run_dir)
    assert 0 < state["visits"] < 10_000_000
    assert (folder / "agent" / "state.npz").exists()


def test_an_agent_of_ones_own_trains_beside_the_others(tmp_path, monkeypatch, capsys):
    """`--agents module:Class` loads a user's Agent subclass (the example of docs/agents.md)
    and gives it a run directory, hyperparameters and a row of the closing table."""
    example = (Path(__file__).resolve().parents[1] / "docs" / "agents.md").read_text()
    code = re.findall(r"```python\n(.*?)```", example, re.S)[0]
    module = code.split("\n\nresult = ")[0]  # the class, without the example's own run
    (tmp_path / "my_agents.py").write_text(module)
    monkeypatch.syspath_prepend(str(tmp_path))
    results = train.main(["--seeds", "0", "--agents", "random,my_agents:SoftmaxAgent",
                          "--visits", "320", "--eval-every", "160", "--eval-members", "16",
                          "--workers", "1", "--logdir", str(tmp_path / "runs")])
    mine = [r for r in results if r.agent == "my_agents:SoftmaxAgent"]
    assert len(mine) == 1 and Path(mine[0].run_dir).is_dir()
    config = json.loads((Path(mine[0].run_dir) / "config.json").read_text())
    assert config["agent_hyperparameters"] == {"tau": 0.05}
    assert "my_agents:SoftmaxAgent" in capsys.readouterr().out


def test_hparams_leave_the_experiment_to_all_runs_and_pages_are_logged(tmp_path):
    """No run writes an experiment summary (TensorBoard then takes its HPARAMS columns
    from every run, not the first it reads); each run records its own hyperparameters;
    every evaluation logs the rendered page of the first held-out member (`eval/page`)."""
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    from tensorboard.plugins.hparams import metadata, plugin_data_pb2

    from artwork_env.experiments.training import RunConfig, train_run
    result = train_run(RunConfig(agent="linucb", visits=64, eval_every=32, eval_members=8,
                                 logdir=str(tmp_path), progress=False))
    tags, hparams, images = [], {}, []
    for path in Path(result.run_dir).glob("events.out.tfevents.*"):
        for event in EventFileLoader(str(path)).Load():
            for value in event.summary.value:
                tags.append(value.tag)
                if value.tag == metadata.SESSION_START_INFO_TAG:
                    data = plugin_data_pb2.HParamsPluginData.FromString(
                        value.metadata.plugin_data.content)
                    hparams = dict(data.session_start_info.hparams)
                if value.tag == "eval/page":
                    images.append(event.step)
    assert metadata.EXPERIMENT_TAG not in tags
    assert {"agent.alpha", "agent.ridge", "env", "seed"} <= set(hparams)
    assert images == [0, 32, 64]


@pytest.mark.slow
def test_tensorboard_shows_the_runs_in_headless_chromium(smoke_runs, tmp_path):
    """`scripts/screenshot_tensorboard.py` serves the runs, loads TensorBoard's SCALARS
    view in headless Chromium and saves it: a picture with the charts drawn (many colours),
    not a blank or error page. Skipped where Chromium is not installed."""
    import shutil

    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        pytest.skip("headless Chromium is not installed (apt-get install chromium)")
    np = pytest.importorskip("numpy")
    image_module = pytest.importorskip("PIL.Image")
    logdir, _ = smoke_runs
    out = tmp_path / "scalars.png"
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "screenshot_tensorboard.py"),
                           str(logdir), str(out), "--wait-ms", "15000"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    pixels = np.asarray(image_module.open(out).convert("RGB"))
    assert pixels.shape[0] >= 800 and pixels.shape[1] >= 1200
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 200  # charts, text, colours


@pytest.mark.slow
def test_track_mirrors_each_run_to_weights_and_biases_offline(tmp_path):
    """`--track` with `WANDB_MODE=offline` (no account): one W&B run per run directory,
    holding the run's TensorBoard events with the documented tags, and nothing of W&B's
    in the run directories."""
    pytest.importorskip("wandb")
    env = {**__import__("os").environ, "WANDB_MODE": "offline", "WANDB_DIR": str(tmp_path),
           "WANDB_SILENT": "true"}
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "train.py"), "--agents",
                           "random,oracle", "--visits", "320", "--eval-every", "160",
                           "--eval-members", "32", "--seeds", "0", "--workers", "1",
                           "--logdir", str(tmp_path / "runs"), "--track"],
                          capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    mirrored = sorted(tmp_path.glob("wandb/offline-run-*/files/**/events.out.tfevents.*"))
    run_dirs = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert sorted(p.parent.name for p in mirrored) == run_dirs
    for events in mirrored:
        assert set(TAGS) <= set(read_scalars(events.parent))
    for run_dir in (tmp_path / "runs").iterdir():
        assert not any("wandb" in p.name for p in run_dir.rglob("*"))
