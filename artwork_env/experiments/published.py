"""Figures a benchmark writes into the docs itself: one block of a Markdown page, replaced
whole by the command that makes it and stamped with the commit and the machine.

A page holds the block between two markers,

    <!-- begin NAME -->
    ...
    <!-- end NAME -->

and `write_block(page, NAME, text, command)` replaces what lies between them, so the prose
around a table is written by hand and the table only by its command. `Tee` copies what a
benchmark prints into a buffer as well as to the terminal.
"""

from __future__ import annotations

import io
import os
import platform
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType

REPOSITORY = Path(__file__).resolve().parents[2]
PERFORMANCE_PAGE = REPOSITORY / "docs" / "performance.md"


def commit_stamp(repository: Path = REPOSITORY) -> str:
    """The short commit hash of `repository`, '+ changes' when its tracked files differ,
    'an unknown commit' outside git."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=repository,
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=repository, capture_output=True, text=True,
                               check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "an unknown commit"
    return f"{head} + changes" if dirty else head


def machine() -> str:
    """The CPU model and the cores this process may use, e.g. 'AMD EPYC 9R14, 2 cores'."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{model}, {cores} cores"


def _markers(name: str) -> tuple[str, str]:
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ValueError(f"block name must be lower-case letters, digits and _, got {name!r}")
    return f"<!-- begin {name} -->", f"<!-- end {name} -->"


SPEED_NOTE = "Read the ratios, measured in the same process: a shared machine's speed drifts."
"""What the stamp of a timing block adds (the default `note`)."""


def write_block(page: Path, name: str, text: str, command: str,
                note: str = SPEED_NOTE) -> None:
    """Replace the block `name` of the Markdown `page` with `text`, headed by the command,
    the commit, the machine, the date and `note`; the rest of the page is left as it is.

    Raises ValueError when the page lacks the block's two markers, in order, once each.
    """
    begin, end = _markers(name)
    page = Path(page)
    content = page.read_text()
    if content.count(begin) != 1 or content.count(end) != 1 or \
            content.index(begin) > content.index(end):
        raise ValueError(f"{page}: expected one '{begin}' followed by one '{end}'")
    day = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    stamp = f"Written by `{command}` at commit {commit_stamp()} on {machine()}, {day}. {note}"
    head, rest = content.split(begin, 1)
    tail = rest.split(end, 1)[1]
    block = f"{begin}\n{stamp}\n\n{text.strip()}\n{end}"
    tmp = page.with_name(page.name + ".tmp")
    tmp.write_text(head + block + tail)
    tmp.replace(page)


def print_and_publish(tables: Callable[[], None], name: str, command: str,
                      write: bool, page: Path = PERFORMANCE_PAGE,
                      note: str = SPEED_NOTE) -> None:
    """Run `tables` (it prints Markdown); with `write`, also make what it printed the
    block `name` of `page` (`write_block`), headed by `command` and `note`."""
    with Tee() as out:
        tables()
    if write:
        write_block(page, name, out.getvalue(), command, note)


class Tee(io.StringIO):
    """`with Tee() as out:` prints as usual and keeps a copy in `out.getvalue()`."""

    def write(self, text: str) -> int:
        """Write `text` to the terminal and to the buffer."""
        self._stdout.write(text)
        return super().write(text)

    def __enter__(self) -> Tee:
        self._stdout = sys.stdout
        sys.stdout = self
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        sys.stdout = self._stdout
