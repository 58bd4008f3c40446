"""Checkpoints of a run directory that a kill at any moment leaves loadable.

A checkpoint is one complete folder, `checkpoints/<visits>-<tag>/`, holding the agent
(`agent/`) and the run's progress of the same moment (`state.json`); the folder is written
under a temporary name, synced and renamed. `checkpoint.json`, replaced atomically after
that, names the current folder and the length of every event file at that moment (the
writer flushed); only then are older folders removed. So whatever is killed when,
`checkpoint.json` names a folder whose agent and visit count belong together (and a run
directory without it has no checkpoint yet). Nothing is written, truncated or removed
through a link (`artwork_env.experiments.rundir`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from artwork_env.experiments.rundir import Refused, integer, load_json, mapping, text, write_file
from artwork_env.experiments.vocabulary import AGENT_DIR

MANIFEST = "checkpoint.json"
FOLDER = "checkpoints"
STATE = "state.json"


def write_checkpoint(run_dir: Path, save_agent: Callable[[Path], None],
                     state: dict[str, Any], event_files: dict[str, int]) -> Path:
    """Write a checkpoint (the agent through `save_agent(folder)`, then `state`) and make
    it the current one; return its folder."""
    root = run_dir / FOLDER
    if root.is_symlink():
        raise Refused(f"{root}: a link (checkpoints are written inside the run directory)")
    root.mkdir(exist_ok=True)
    partial = Path(tempfile.mkdtemp(dir=root, prefix="partial-"))
    save_agent(partial / AGENT_DIR)
    write_file(partial / STATE, json.dumps(state))
    _sync_tree(partial)
    folder = root / f"{state['visits']:012d}-{partial.name.removeprefix('partial-')}"
    partial.rename(folder)
    _sync(root)
    manifest = {"folder": f"{FOLDER}/{folder.name}", "visits": state["visits"],
                "event_files": dict(sorted(event_files.items()))}
    tmp = run_dir / (MANIFEST + ".tmp")
    write_file(tmp, json.dumps(manifest, indent=2), sync=True)
    tmp.replace(run_dir / MANIFEST)
    _sync(run_dir)
    for other in root.iterdir():  # older checkpoints and folders a kill left half-written
        if other.is_symlink() or not other.is_dir():
            other.unlink()  # the link, never what it points to
        elif other != folder:
            shutil.rmtree(other, ignore_errors=True)
    return folder


def read_checkpoint(run_dir: str | Path) -> tuple[Path, dict[str, Any], dict[str, int]]:
    """The current checkpoint of a run directory: (its folder, the state, the length of
    every event file at that moment). Raises `Refused` (a `ValueError`) naming the file and
    the key that is missing or broken; the state's own contents are checked by its user."""
    run_dir = Path(run_dir)
    path = run_dir / MANIFEST
    if not path.is_file():
        raise Refused(f"{run_dir}: no checkpoint ({MANIFEST}); not a run directory of "
                      "scripts/train.py, or killed before its first checkpoint")
    where = str(path)
    manifest = mapping(load_json(path), where, "the checkpoint")
    for key in ("folder", "visits", "event_files"):
        if key not in manifest:
            raise Refused(f"{where}: {key} is missing")
    name = Path(text(manifest["folder"], where, "folder"))
    if name.parent != Path(FOLDER) or name.name in ("", ".", ".."):
        raise Refused(f"{where}: folder must be {FOLDER}/<name>, inside the run directory; "
                      f"got {str(name)!r}")  # checked before anything is read there
    visits = integer(manifest["visits"], where, "visits")
    event_files = {}
    for file, size in mapping(manifest["event_files"], where, "event_files").items():
        if not file.startswith("events.out.tfevents.") or "/" in file or "\\" in file:
            raise Refused(f"{where}: event_files: {file!r} is not an event file's name")
        event_files[file] = integer(size, where, f"event_files[{file!r}]")
    folder = run_dir / name
    state = mapping(load_json(folder / STATE), str(folder / STATE), "the state")
    if state.get("visits") != visits:
        raise Refused(f"{folder / STATE}: visits {state.get('visits')!r} is not the "
                      f"checkpoint's {visits}")
    return folder, state, event_files


def event_file_sizes(run_dir: Path) -> dict[str, int]:
    """The length of every event file of a run directory (call after the writer's flush)."""
    return {path.name: path.stat().st_size for path in run_dir.glob("events.out.tfevents.*")}


def rewind_event_files(run_dir: Path, sizes: dict[str, int]) -> None:
    """Cut the event files back to the checkpoint that measured `sizes`: what was written
    after it goes (a resumed run writes those steps again), so every reader sees each step
    once. Event files are sequences of whole records, and the sizes were measured at a
    flush, so what is kept is whole records."""
    for path in run_dir.glob("events.out.tfevents.*"):
        if path.is_symlink():
            raise Refused(f"{path}: a link (event files are cut back inside the run "
                          "directory only)")
        if path.name not in sizes:
            path.unlink()
        elif path.stat().st_size > sizes[path.name]:
            fd = os.open(path, os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0))
            try:
                os.ftruncate(fd, sizes[path.name])
            finally:
                os.close(fd)


def _sync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
    for path in [*folder.rglob("*"), folder]:
        if path.is_dir():
            _sync(path)


def _sync(folder: Path) -> None:
    """fsync a directory (its entries), where the platform allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
