"""A run directory from a stranger touches nothing outside it: links refused at every path
the harness writes, config.json never imports code, one writer at a time, workers that die
with their parent, every loaded value checked, one-line refusals (exit 2) and no traceback."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from artwork_env.agents.bandits.multi_armed import UCBAgent
from artwork_env.agents.base import ProblemSpec
from artwork_env.agents.contextual.linear import LinUCBAgent
from artwork_env.experiments import checkpoints
from artwork_env.experiments.checkpoints import read_checkpoint, rewind_event_files
from artwork_env.experiments.commands import collect, compare, train
from artwork_env.experiments.rundir import Refused, RunLock
from artwork_env.experiments.training import load_trained_agent
from artwork_env.experiments.vocabulary import AGENT_DIR

ROOT = Path(__file__).resolve().parents[1]
TRAIN = [sys.executable, str(ROOT / "scripts" / "train.py")]


@pytest.fixture(scope="module")
def made_run(tmp_path_factory) -> Path:
    """One finished ucb run (2 evaluations), copied afresh by `run_copy`."""
    logdir = tmp_path_factory.mktemp("made")
    return Path(train.main(["--seeds", "0", "--agents", "ucb", "--visits", "320",
                            "--eval-every", "160", "--eval-members", "16", "--workers", "1",
                            "--logdir", str(logdir)])[0].run_dir)


@pytest.fixture()
def run_copy(made_run, tmp_path) -> Path:
    target = tmp_path / "runs" / made_run.name
    shutil.copytree(made_run, target)
    return target


@pytest.fixture()
def victim(tmp_path) -> Path:
    """A folder outside every run, with a file and a sub-folder, that must stay as it is."""
    folder = tmp_path / "victim"
    (folder / "sub").mkdir(parents=True)
    (folder / "precious.txt").write_text("keep me")
    (folder / "sub" / "also.txt").write_text("me too")
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def console(command, argv: list[str], monkeypatch, capsys) -> tuple[int, str]:
    """Run a console command as the shell would: its exit status and stderr."""
    monkeypatch.setattr(sys, "argv", [f"{command.__name__.split('.')[-1]}.py", *argv])
    with pytest.raises(SystemExit) as exit_info:
        command.console()
    return exit_info.value.code, capsys.readouterr().err


def current(run_dir: Path) -> Path:
    return read_checkpoint(run_dir)[0]


# ------------------------------------------------------------------ containment
LINKED = ["checkpoints", "CURRENT", "checkpoint.json", "checkpoint.json.tmp", "EVENTS",
          "CURRENT/state.json", "CURRENT/agent/state.npz", "run.lock", "config.json"]


def resolve(run_dir: Path, where: str) -> Path:
    if where.startswith("CURRENT"):
        return current(run_dir) / where.removeprefix("CURRENT").lstrip("/")
    if where == "EVENTS":
        return next(run_dir.glob("events.out.tfevents.*"))
    return run_dir / where


@pytest.mark.parametrize("where", LINKED)
def test_a_link_anywhere_in_a_run_is_refused_and_its_target_untouched(
        where, run_copy, victim, monkeypatch, capsys):
    """Resuming a run whose `where` is a symbolic link to a folder or file outside it exits
    2 naming the link; the target's files are byte for byte what they were (once,
    `checkpoints/` as a link made resuming rmtree the target's sub-folders)."""
    path = resolve(run_copy, where)
    target = victim if where in ("checkpoints", "CURRENT") else victim / "precious.txt"
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
    path.symlink_to(target)
    before = snapshot(victim)
    code, err = console(train, ["--resume", str(run_copy), "--visits", "480"], monkeypatch,
                        capsys)
    assert code == 2 and "a link" in err and "Traceback" not in err
    assert err.count("\n") == 1
    assert snapshot(victim) == before


def test_a_hard_linked_event_file_is_refused_and_never_truncated(run_copy, victim,
                                                                   monkeypatch, capsys):
    """An event file hard-linked to a file elsewhere, with a recorded length of 0: once,
    `rewind_event_files` truncated the other file to 0 bytes."""
    events = resolve(run_copy, "EVENTS")
    events.unlink()
    os.link(victim / "precious.txt", events)
    manifest = json.loads((run_copy / "checkpoint.json").read_text())
    manifest["event_files"] = {events.name: 0}
    (run_copy / "checkpoint.json").write_text(json.dumps(manifest))
    code, err = console(train, ["--resume", str(run_copy), "--visits", "480"], monkeypatch,
                        capsys)
    assert code == 2 and "hard links" in err
    assert (victim / "precious.txt").read_text() == "keep me"


def test_rewinding_never_truncates_through_a_link(run_copy, victim):
    events = resolve(run_copy, "EVENTS")
    events.unlink()
    events.symlink_to(victim / "precious.txt")
    with pytest.raises(Refused, match="link"):
        rewind_event_files(run_copy, {events.name: 0})
    assert (victim / "precious.txt").read_text() == "keep me"


def test_a_checkpoint_is_never_written_through_a_linked_checkpoints_folder(run_copy, victim):
    shutil.rmtree(run_copy / "checkpoints")
    (run_copy / "checkpoints").symlink_to(victim)
    before = snapshot(victim)
    with pytest.raises(Refused, match="a link"):
        checkpoints.write_checkpoint(run_copy, lambda folder: None, {"visits": 1}, {})
    assert snapshot(victim) == before and (victim / "sub").is_dir()


# ------------------------------------------------------------------ config.json is data
@pytest.fixture()
def planted(tmp_path, monkeypatch) -> Path:
    """A module on sys.path that leaves a mark when imported, and whose Agent is ucb's."""
    (tmp_path / "planted_mod.py").write_text(
        "from pathlib import Path\n"
        f"Path({str(tmp_path / 'IMPORTED')!r}).write_text('ran')\n"
        "from artwork_env.agents.bandits.multi_armed import UCBAgent\n"
        "class Agent(UCBAgent):\n"
        "    name = 'ucb'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("planted_mod", None)
    return tmp_path / "IMPORTED"


def plant(run_dir: Path) -> None:
    config = json.loads((run_dir / "config.json").read_text())
    config["agent"] = "planted_mod:Agent"
    (run_dir / "config.json").write_text(json.dumps(config))


def test_a_config_naming_a_module_never_imports_it(run_copy, planted, monkeypatch, capsys):
    """`"agent": "module:Class"` in a stranger's config.json: resuming, `--agent-from` and
    `load_trained_agent` refuse it by name and import nothing (once, each imported it)."""
    plant(run_copy)
    code, err = console(train, ["--resume", str(run_copy)], monkeypatch, capsys)
    assert code == 2 and "planted_mod:Agent" in err and "--agents" in err
    with pytest.raises(Refused, match="planted_mod:Agent"):
        load_trained_agent(run_copy)
    code, err = console(collect, ["--policy", "egreedy", "--agent-from", str(run_copy),
                                  "--visits", "10", "--out", str(run_copy.parent / "x.parquet")],
                        monkeypatch, capsys)
    assert code == 2 and "planted_mod:Agent" in err
    assert not planted.exists() and "planted_mod" not in sys.modules


def test_an_external_agent_loads_when_named_again(run_copy, planted):
    plant(run_copy)
    agent, config = load_trained_agent(run_copy, "planted_mod:Agent")
    assert planted.exists() and type(agent).__name__ == "Agent" and agent.counts.sum() > 0
    with pytest.raises(Refused, match="not 'other_mod:Agent'"):
        load_trained_agent(run_copy, "other_mod:Agent")


# ------------------------------------------------------------------ one writer
def test_a_second_writer_is_refused_while_the_first_holds_the_run(run_copy, monkeypatch,
                                                                    capsys):
    """Two resumes of one run at once: the second exits 2 naming the lock and writes
    nothing (once, one crashed and the event files held 30 steps twice)."""
    before = snapshot(run_copy)
    with RunLock(run_copy):
        code, err = console(train, ["--resume", str(run_copy), "--visits", "480"],
                            monkeypatch, capsys)
    assert code == 2 and "another process is writing" in err
    assert snapshot(run_copy) == before
    code, err = console(train, ["--resume", str(run_copy), "--visits", "480"], monkeypatch,
                        capsys)
    assert code == 0 and read_checkpoint(run_copy)[1]["visits"] == 480


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = (task / "children")
        if children.exists():
            found |= {int(p) for p in children.read_text().split()}
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")
def test_workers_end_when_their_main_process_is_killed(tmp_path):
    """SIGKILL the main process of a 2-worker run: within a few seconds its workers have
    checkpointed and ended, and the checkpoints stop advancing (once, 3 of 3 orphaned
    workers trained on to the end)."""
    process = subprocess.Popen(
        [*TRAIN, "--agents", "ucb,linucb", "--seeds", "0", "--visits", "5000000",
         "--eval-every", "1000000", "--eval-members", "16", "--workers", "2",
         "--logdir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while len(list(tmp_path.glob("*/checkpoint.json"))) < 2:
        assert time.time() < deadline and process.poll() is None
        time.sleep(0.2)
    workers = _children(process.pid)
    assert len(workers) >= 2
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.time() + 60
    while any(_alive(pid) for pid in workers):
        assert time.time() < deadline, "workers outlived their parent"
        time.sleep(0.2)
    reached = [read_checkpoint(run)[1]["visits"] for run in sorted(tmp_path.iterdir())]
    time.sleep(2)
    assert [read_checkpoint(run)[1]["visits"] for run in sorted(tmp_path.iterdir())] == reached
    assert all(0 < visits < 5_000_000 for visits in reached)


# ------------------------------------------------------------------ loaded values
def _edit_json(path: Path, **changes) -> None:
    value = json.loads(path.read_text())
    value.update(changes)
    path.write_text(json.dumps(value))


CONFIG_EDITS = [({"seed": 1e999}, "seed"), ({"seed": [1]}, "seed"), ({"env_id": {}}, "env_id"),
                ({"env_id": "CartPole-v1"}, "env_id"), ({"agent": 5}, "agent"),
                ({"num_envs": -5}, "num_envs"), ({"num_envs": 10 ** 12}, "num_envs"),
                ({"agent_kwargs": {"no_such": 1}}, "no_such"),
                ({"env_kwargs": {"taste_noise": 1e200}}, "taste_noise"),
                ({"visits": "many"}, "visits")]
MANIFEST_EDITS = [({"visits": -1000}, "visits"), ({"event_files": {"x": 3}}, "event_files"),
                  ({"folder": "../../elsewhere"}, "folder")]


@pytest.mark.parametrize(("changes", "named"), CONFIG_EDITS + MANIFEST_EDITS)
def test_a_bad_value_in_a_run_is_one_line_naming_it(changes, named, run_copy, monkeypatch,
                                                    capsys):
    name = "checkpoint.json" if (changes, named) in MANIFEST_EDITS else "config.json"
    if name == "config.json" and "seed" in changes and changes["seed"] == 1e999:
        text = (run_copy / name).read_text()
        (run_copy / name).write_text(text.replace('"seed": 0', '"seed": 1e999'))
    else:
        _edit_json(run_copy / name, **changes)
    code, err = console(train, ["--resume", str(run_copy), "--visits", "480"], monkeypatch,
                        capsys)
    assert code == 2 and named in err and "Traceback" not in err, err
    assert err.count("\n") == 1


def test_a_negative_event_size_is_refused(run_copy, monkeypatch, capsys):
    manifest = json.loads((run_copy / "checkpoint.json").read_text())
    manifest["event_files"] = {name: -1 for name in manifest["event_files"]}
    (run_copy / "checkpoint.json").write_text(json.dumps(manifest))
    code, err = console(train, ["--resume", str(run_copy)], monkeypatch, capsys)
    assert code == 2 and "event_files" in err


def _save_and_break(agent, folder: Path, **arrays) -> None:
    agent.save(folder)
    with np.load(folder / "state.npz", allow_pickle=False) as data:
        saved = {k: data[k] for k in data.files}
    meta = json.loads(str(saved["__meta__"]))
    if "rng_state" in arrays:
        meta["rng_state"] = arrays.pop("rng_state")
        saved["__meta__"] = np.array(json.dumps(meta))
    saved.update(arrays)
    np.savez(folder / "state.npz", **saved)


def _mt19937_state() -> dict:
    state = np.random.MT19937(0).state
    state["state"]["key"] = state["state"]["key"].tolist()
    return state


def _spec() -> ProblemSpec:
    return ProblemSpec.of("ArtworkBandit-v0")


@pytest.mark.parametrize(("make", "arrays", "named"), [
    (UCBAgent, lambda a: {"counts": np.full_like(a.counts, np.nan)}, "counts"),
    (UCBAgent, lambda a: {"sums": np.full_like(a.sums, np.inf)}, "sums"),
    (UCBAgent, lambda a: {"counts": a.counts[:, :1]}, "counts must have shape"),
    (UCBAgent, lambda a: {"counts": a.counts.astype(np.int64) - 1}, "negative"),
    (UCBAgent, lambda a: {"counts": a.counts.astype(str)}, "numeric"),
    (UCBAgent, lambda a: {"rng_state": _mt19937_state()}, "rng_state"),
    (LinUCBAgent, lambda a: {"gram": np.full_like(a.model.gram, np.nan)}, "gram"),
    (LinUCBAgent, lambda a: {"gram": -np.eye(len(a.model.gram))}, "does not fit"),
])
def test_a_saved_agent_with_a_bad_array_is_refused(make, arrays, named, tmp_path):
    """Once, NaN counts or a NaN LinUCB Gram matrix loaded and acted (35 % of the oracle,
    exit 0); the wrong shape of counts loaded too."""
    agent = make(_spec())
    _save_and_break(agent, tmp_path, **arrays(agent))
    with pytest.raises(Refused, match=named):
        make(_spec()).load(tmp_path)


def test_a_saved_agent_round_trips_after_the_checks(tmp_path):
    agent = LinUCBAgent(_spec(), seed=3)
    agent.save(tmp_path)
    again = LinUCBAgent(_spec(), seed=9)
    again.load(tmp_path)
    assert np.array_equal(again.model.gram, agent.model.gram)
    assert again.rng.random() == agent.rng.random()


# ------------------------------------------------------------------ compare and I/O
def test_compare_lists_malformed_runs_and_reports_the_rest(made_run, tmp_path, capsys):
    """Seven hostile configs beside one good run: each is skipped with its reason, the good
    one reported (once, one of them aborted the whole report)."""
    runs = tmp_path / "runs"
    shutil.copytree(made_run, runs / "good")
    hostile = ['{"env_id": "a", "agent": "b", "seed": 1e999}', "[1]", "null",
               '{"env_id": {}, "agent": "b", "seed": 0}', '{"env_id": "a", "agent": 5, "seed": 0}',
               '{"env_id": "a", "agent": "b", "seed": 0, "model_parameters": []}',
               "[" * 100_000]
    for i, text in enumerate(hostile):
        shutil.copytree(made_run, runs / f"bad{i}")
        (runs / f"bad{i}" / "config.json").write_text(text)
    assert compare.main([str(runs)]) == 0
    captured = capsys.readouterr()
    assert captured.err.count("skipped") == len(hostile) and "Traceback" not in captured.err
    assert "ucb" in captured.out


def test_compare_takes_the_largest_step_when_events_are_out_of_order(made_run, tmp_path):
    """An event file with a step logged again after a later one (two writers of old):
    the run's visits are its largest step, each step once, its last value."""
    from torch.utils.tensorboard import SummaryWriter

    from artwork_env.experiments.report import read_run
    run = tmp_path / "run"
    shutil.copytree(made_run, run)
    writer = SummaryWriter(str(run))
    writer.add_scalar("eval/reward", 123.0, 160)
    writer.close()
    data = read_run(run)
    steps, values = data.curves["eval/reward"]
    assert data.visits == 320 and list(steps) == [0, 160, 320] and values[1] == 123.0


def test_agent_names_are_escaped_in_the_report(made_run, tmp_path):
    from artwork_env.experiments.report import write_report
    run = tmp_path / "runs" / "run"
    shutil.copytree(made_run, run)
    _edit_json(run / "config.json", agent="<img src=x onerror=alert(1)>```")
    write_report([run], tmp_path / "out")
    lines = (tmp_path / "out" / "report.md").read_text().splitlines()
    fences = [i for i, line in enumerate(lines) if line.startswith("```")]
    assert len(fences) == 2 and lines[fences[0]] == lines[fences[1]] == "````"
    outside = lines[:fences[0]] + lines[fences[1] + 1:]  # (a code block shows text as is)
    assert "<img" not in "\n".join(outside) and "&lt;img" in "\n".join(outside)


def test_a_full_disk_during_a_checkpoint_is_one_line_and_keeps_the_last_one(
        run_copy, monkeypatch, capsys):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(run_copy / "x"))

    monkeypatch.setattr(checkpoints, "write_file", full)
    code, err = console(train, ["--resume", str(run_copy), "--visits", "480"], monkeypatch,
                        capsys)
    assert code == 2 and "No space left on device" in err and "Traceback" not in err
    assert read_checkpoint(run_copy)[1]["visits"] == 320
    monkeypatch.undo()
    assert train.main(["--resume", str(run_copy), "--visits", "480"])[0].visits == 480


def test_a_second_interrupt_exits_130_without_a_traceback(capsys):
    from artwork_env.experiments.commands import console_command

    def aborted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(SystemExit) as exit_info:
        console_command(aborted)()
    err = capsys.readouterr().err
    assert exit_info.value.code == 130 and "aborted" in err and "Traceback" not in err


@pytest.mark.parametrize(("argv", "named"), [
    (["--grid", "agent.c=-1"], "c must be >= 0"),
    (["--num-envs", "100000000000"], "--num-envs must be <="),
    (["--env-kwargs", "long_term=1e308"], "long_term must be within"),
])
def test_bad_values_are_refused_before_any_run_starts(argv, named, tmp_path, monkeypatch,
                                                      capsys):
    code, err = console(train, ["--agents", "ucb", "--logdir", str(tmp_path), *argv],
                        monkeypatch, capsys)
    assert code == 2 and named in err
    assert not any(tmp_path.iterdir())


def test_the_agent_state_is_read_from_the_current_checkpoint(run_copy):
    """(The layout the link tests rely on.)"""
    assert (current(run_copy) / AGENT_DIR / "state.npz").is_file()
