"""A run directory is data, possibly from a stranger: the rules for touching one.

- **Containment.** Everything the harness writes, renames, truncates or deletes lies inside
  the run directory and is reached without following a link: `refuse_links` refuses a run
  directory holding any symbolic link, or a file with a second hard link (truncating or
  rewriting it would change a file elsewhere), before anything is done in it, and the files
  the harness opens for writing are opened with `O_NOFOLLOW` (`open_for_writing`).
- **One writer.** `RunLock` holds an advisory lock on `run.lock` for a run's life; a second
  writer is refused by name.
- **Named refusals.** A bad value is a `Refused` error: one line naming the file, the key
  and the problem, which the commands print and exit 2 on (`artwork_env.experiments.commands`).
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from types import TracebackType

from artwork_env.errors import Refused, short
from artwork_env.validation import is_integer

try:
    import fcntl
except ImportError:  # Windows: no advisory locks, one writer is the user's business there
    fcntl = None  # type: ignore[assignment]

LOCK = "run.lock"
__all__ = ["LOCK", "Refused", "RunLock", "integer", "load_json", "mapping",
           "open_for_writing", "real", "refuse_links", "text", "write_file"]


def refuse_links(run_dir: str | Path) -> None:
    """Raise `Refused` if anything under `run_dir` is a symbolic link, or a file with
    another hard link, so that nothing done inside it can reach outside. The run directory
    itself may be a link (the user named it)."""
    root = Path(run_dir)
    if not root.is_dir():
        raise Refused(f"{root}: not a folder")
    for folder, subfolders, files in os.walk(root, followlinks=False):
        for name in [*subfolders, *files]:
            path = Path(folder) / name
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                raise Refused(f"{path}: a link (the harness never follows links in a run "
                              "directory; copy the run with its files, not links)")
            if stat.S_ISREG(info.st_mode) and info.st_nlink > 1:
                raise Refused(f"{path}: a file with {info.st_nlink} hard links (writing it "
                              "would change a file outside the run directory)")


def open_for_writing(path: str | Path, truncate: bool = True) -> int:
    """A descriptor for writing `path`, created if missing, never through a link
    (`O_NOFOLLOW`: a link there raises `OSError`)."""
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
    return os.open(path, flags | (os.O_TRUNC if truncate else 0), 0o644)


def write_file(path: str | Path, text: str, sync: bool = False) -> None:
    """Write `text` to `path` without following a link there."""
    fd = open_for_writing(path)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
        if sync:
            handle.flush()
            os.fsync(handle.fileno())


class RunLock:
    """An exclusive advisory lock on a run directory for as long as a run writes to it
    (`with RunLock(run_dir): ...`); a second writer gets `Refused` naming the directory."""

    def __init__(self, run_dir: str | Path) -> None:
        self.path = Path(run_dir) / LOCK
        self.fd: int | None = None

    def __enter__(self) -> RunLock:
        self.fd = open_for_writing(self.path, truncate=False)
        if fcntl is not None:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(self.fd)
                self.fd = None
                raise Refused(f"{self.path.parent}: another process is writing this run "
                              "directory (it holds run.lock); wait for it to end") from None
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the descriptor releases the lock
            self.fd = None


# ------------------------------------------------------------------ checking loaded values
def load_json(path: str | Path) -> object:
    """The JSON value in the file `path`, or `Refused` saying why it cannot be read."""
    try:
        return json.loads(Path(path).read_text())
    except OSError as error:
        raise Refused(f"{path}: cannot read it ({error.strerror or error})") from None
    except (ValueError, RecursionError) as error:  # bad JSON or UTF-8; absurd nesting
        raise Refused(f"{path}: not valid JSON ({type(error).__name__})") from None


def integer(value: object, where: str, key: str, low: int = 0,
            high: int | None = None) -> int:
    """`value` as an int in [low, high], or `Refused` naming `where` and `key`."""
    if not is_integer(value):
        raise Refused(f"{where}: {key} must be an integer, got {short(value)}")
    if value < low or (high is not None and value > high):
        bound = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise Refused(f"{where}: {key} must be {bound}, got {value}")
    return value


def real(value: object, where: str, key: str, low: float | None = None) -> float:
    """`value` as a finite float (>= low when given), or `Refused`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not float("-inf") < float(value) < float("inf"):
        raise Refused(f"{where}: {key} must be a finite number, got {short(value)}")
    if low is not None and value < low:
        raise Refused(f"{where}: {key} must be >= {low}, got {value}")
    return float(value)


def mapping(value: object, where: str, key: str) -> dict:
    """`value` if it is a JSON object (a dict with string keys), else `Refused`."""
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise Refused(f"{where}: {key} must be an object, got {short(value)}")
    return value


def text(value: object, where: str, key: str, choices: tuple[str, ...] | None = None) -> str:
    """`value` if it is a string (one of `choices` when given), else `Refused`."""
    if not isinstance(value, str):
        raise Refused(f"{where}: {key} must be a string, got {short(value)}")
    if choices is not None and value not in choices:
        raise Refused(f"{where}: {key} must be one of {', '.join(choices)}, got {value!r}")
    return value
