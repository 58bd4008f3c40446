"""The rule for input from strangers, as properties: take a valid run directory or Parquet
log, change one thing (a value, a dtype, a shape, a link), and the harness either refuses it
in one line naming the problem (exit 2) or gives a correct result: never a traceback, never
a write outside the run directory, never a silent NaN."""

from __future__ import annotations

import json
import math
import shutil
import sys
import tempfile
from functools import cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from artwork_env.agents.policies import UniformPolicy
from artwork_env.errors import Refused
from artwork_env.experiments.checkpoints import read_checkpoint
from artwork_env.experiments.collect import collect
from artwork_env.experiments.commands import train
from artwork_env.ope import ips, read_parquet, write_parquet

# hypothesis over whole run directories and logs: seconds each, so in the full suite
pytestmark = pytest.mark.slow

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))

hostile_values = st.one_of(
    st.none(), st.booleans(), st.integers(-2**63, 2**63), st.sampled_from([-1, 0, 10**30]),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=6),
    st.lists(st.integers(-2, 2), max_size=3), st.dictionaries(st.text(max_size=3),
                                                              st.integers(), max_size=2),
)


@cache
def made_run() -> Path:
    """One finished ucb run of 320 visits, made once per session."""
    logdir = Path(tempfile.mkdtemp(prefix="hostile-made-"))
    return Path(train.main(["--seeds", "0", "--agents", "ucb", "--visits", "320",
                            "--eval-every", "160", "--eval-members", "16", "--workers", "1",
                            "--logdir", str(logdir)])[0].run_dir)


@cache
def made_log() -> Path:
    data = collect(UniformPolicy(seed=0), 60, seed=0)
    return write_parquet(data, Path(tempfile.mkdtemp(prefix="hostile-log-")) / "ok.parquet")


def _victim(root: Path) -> tuple[Path, dict[str, bytes]]:
    folder = root / "victim"
    (folder / "sub").mkdir(parents=True)
    (folder / "file.txt").write_text("keep me")
    (folder / "sub" / "deep.txt").write_text("me too")
    return folder, _snapshot(folder)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def _resume(run_dir: Path, monkeypatch, capsys) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["train.py", "--resume", str(run_dir), "--visits", "480"])
    with pytest.raises(SystemExit) as exit_info:
        train.console()
    return exit_info.value.code, capsys.readouterr().err


def _assert_the_rule(run_dir: Path, code: int, err: str) -> None:
    if code == 2:
        lines = [line for line in err.splitlines() if "error" in line]
        assert len(lines) == 1 and "Traceback" not in err, err
        return
    assert code == 0, err
    state = read_checkpoint(run_dir)[1]
    assert state["visits"] == 480
    assert all(math.isfinite(value) for value in state["metrics"].values()), state["metrics"]


def _copy(root: Path) -> Path:
    run_dir = root / "runs" / "run"
    shutil.copytree(made_run(), run_dir)
    return run_dir


# ------------------------------------------------------------------ run directories
@SETTINGS
@given(file=st.sampled_from(["config.json", "checkpoint.json", "CURRENT/state.json"]),
       pick=st.integers(0, 10**6), value=hostile_values)
def test_one_json_value_changed_is_refused_or_runs_correctly(file, pick, value, monkeypatch,
                                                             capsys):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        run_dir = _copy(root)
        victim, before = _victim(root)
        path = (read_checkpoint(run_dir)[0] / "state.json" if file.startswith("CURRENT")
                else run_dir / file)
        content = json.loads(path.read_text())
        key = sorted(content)[pick % len(content)]
        content[key] = value
        path.write_text(json.dumps(content))
        _assert_the_rule(run_dir, *_resume(run_dir, monkeypatch, capsys))
        assert _snapshot(victim) == before


def _mutated(array: np.ndarray, how: str, where: int) -> np.ndarray:
    if how == "nan":
        out = array.astype(np.float64).copy()
        if out.size:
            out.flat[where % out.size] = np.nan
        return out
    if how == "negative":
        out = array.copy()
        if out.size:
            out.flat[where % out.size] = -1
        return out
    if how == "huge":
        out = array.astype(np.float64).copy()
        if out.size:
            out.flat[where % out.size] = 1e308
        return out
    if how == "dtype":
        return array.astype(["U3", np.int8, np.float16, bool][where % 4])
    if how == "fewer":
        return array[:-1] if array.ndim else array.reshape(1)
    return array[..., None]  # "axis"


@SETTINGS
@given(pick=st.integers(0, 100), how=st.sampled_from(["nan", "negative", "huge", "dtype",
                                                      "fewer", "axis"]),
       where=st.integers(0, 10**6))
def test_one_saved_array_changed_is_refused_or_runs_correctly(pick, how, where, monkeypatch,
                                                              capsys):
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = _copy(Path(tmp))
        path = read_checkpoint(run_dir)[0] / "agent" / "state.npz"
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        names = sorted(k for k in arrays if k != "__meta__")
        name = names[pick % len(names)]
        arrays[name] = _mutated(arrays[name], how, where)
        np.savez(path, **arrays)
        _assert_the_rule(run_dir, *_resume(run_dir, monkeypatch, capsys))


def _paths(run_dir: Path) -> list[Path]:
    return sorted(p for p in run_dir.rglob("*") if p.name != "run.lock")


@SETTINGS
@given(pick=st.integers(0, 10**6), to_folder=st.booleans(), hard=st.booleans())
def test_one_path_made_a_link_is_refused_and_nothing_outside_changes(pick, to_folder, hard,
                                                                     monkeypatch, capsys):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        run_dir = _copy(root)
        victim, before = _victim(root)
        path = _paths(run_dir)[pick % len(_paths(run_dir))]
        if hard and path.is_file():
            path.unlink()
            path.hardlink_to(victim / "file.txt")
        else:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
            path.symlink_to(victim if to_folder else victim / "file.txt")
        code, err = _resume(run_dir, monkeypatch, capsys)
        assert code == 2 and ("link" in err), err
        assert _snapshot(victim) == before


# ------------------------------------------------------------------ Parquet logs
COLUMNS = ["slate_id", "position", "title_id", "action", "pscore", "action_mask", "click",
           "play", "bounce", "reward", "context", "title_context", "artwork_seen",
           "artwork_last_shown", "episode_start"]


def _change_column(column: pa.ChunkedArray, how: str, where: int, value: float) -> pa.Array:
    column = column.combine_chunks()
    if pa.types.is_fixed_size_list(column.type):
        flat = column.flatten().to_numpy(zero_copy_only=False).copy()
        changed = _change_flat(flat, how, where, value)
        if len(changed) % column.type.list_size:
            changed = changed[:len(changed) - len(changed) % column.type.list_size]
        return pa.FixedSizeListArray.from_arrays(pa.array(changed), column.type.list_size)
    return pa.array(_change_flat(column.to_numpy(zero_copy_only=False).copy(), how, where,
                                 value))


def _change_flat(values: np.ndarray, how: str, where: int, value: float) -> np.ndarray:
    if how == "value":
        out = values.astype(np.float64) if math.isnan(value) or not float(value).is_integer() \
            else values.astype(np.int64)
        out[where % len(out)] = value
        return out.astype(values.dtype) if values.dtype.kind == "f" else out
    if how == "dtype":
        return values.astype(["U4", np.float64, np.int64, bool][where % 4])
    return values[:-1]  # "shape": one value fewer


@SETTINGS
@given(column=st.sampled_from(COLUMNS), how=st.sampled_from(["value", "dtype", "shape"]),
       where=st.integers(0, 10**6),
       value=st.one_of(st.sampled_from([-1.0, 2.0, 7.0, 0.5, 1e-300, 1e308, 10.0**12]),
                       st.floats(allow_infinity=False)))
def test_one_logged_column_changed_is_refused_or_estimates_finitely(column, how, where, value):
    table = pq.read_table(made_log())
    try:
        changed = _change_column(table.column(column), how, where, value)
    except (ValueError, OverflowError, pa.ArrowInvalid):
        return  # not a table anyone could write
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.parquet"
        try:
            bad = table.set_column(table.column_names.index(column), column, changed)
        except (pa.ArrowInvalid, ValueError):
            bad = None
        if bad is None:
            return  # pyarrow itself refuses a column of another length
        pq.write_table(bad, path)
        try:
            data = read_parquet(path)
        except Refused as error:
            assert "\n" not in str(error) and str(path) in str(error)
            return
        target = data.action_mask / data.action_mask.sum(axis=2, keepdims=True)
        for variant in ("slot", "cascade", "page"):
            estimate = ips(data, target, variant=variant)
            assert np.isfinite(estimate.value), (column, how, variant)
