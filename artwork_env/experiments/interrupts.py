"""Stopping runs cleanly on SIGINT or SIGTERM (Ctrl-C, `timeout -s INT`, job schedulers).

The first signal asks every run to stop at its next visit boundary: the agent has then
learned exactly the visits counted, the run checkpoints and reports what it reached, and
runs not yet started are skipped. A second signal aborts at once (KeyboardInterrupt); the
run then keeps its last checkpoint and writes none from a state that may be mid-update.
Worker processes share the request through an event the pool hands them
(`worker_initializer`), so a signal sent to the main process alone stops them too; and a
worker whose main process dies (SIGKILL, a crash) requests its own stop, so it checkpoints
and ends instead of training on as an orphan (`watch_parent`).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)
_requested = threading.Event()
_shared: Any = None  # a multiprocessing Event shared with the main process (in workers)
_installed = False
_orphaned = threading.Event()  # (in workers) the parent process is gone
_work_lock = threading.Lock()
_working = False  # (in workers) an item is running
EXIT_ORPHANED = 3
"""The exit status of a worker that ended because its parent process was gone."""
_signals_seen = 0  # in this process: the first requests a stop, the second aborts
_announce = True  # say so on stderr (the main process; workers stay quiet)


def stop_requested() -> bool:
    """A stop was asked for (here or, in a worker, in the main process)."""
    return _requested.is_set() or (_shared is not None and _shared.is_set())


def request_stop() -> None:
    """Ask the runs of this process (and of its workers, when shared) to stop."""
    _requested.set()
    if _shared is not None:
        _shared.set()


def share_with_workers(event: Any) -> None:
    """Use `event` (a multiprocessing Event the workers also hold) for stop requests."""
    global _shared
    _shared = event


def worker_initializer(event: Any) -> None:
    """Initializer of a worker process: share the main process's event, stop on signals."""
    global _announce
    share_with_workers(event)
    _announce = False
    _install()
    watch_parent()


def watch_parent(every: float = 0.5) -> threading.Thread:
    """Once this process's parent is gone, request a stop and end the process: at once if
    no item is running, else when the running one has stopped and checkpointed (`working`).
    A daemon thread polls the parent id: portable, whichever parent thread started us."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        with _work_lock:
            _orphaned.set()
            if not _working:
                os._exit(EXIT_ORPHANED)
        request_stop()

    thread = threading.Thread(target=watch, name="watch-parent", daemon=True)
    thread.start()
    return thread


@contextmanager
def working() -> Iterator[None]:
    """Within the block this worker runs an item: an orphaned worker ends after it."""
    global _working
    with _work_lock:
        _working = True
    try:
        yield
    finally:
        with _work_lock:
            _working = False
            if _orphaned.is_set():
                os._exit(EXIT_ORPHANED)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Within the block, the first SIGINT/SIGTERM requests a stop, the second aborts
    (only the main thread can take signals; elsewhere, and when nested, nothing changes)."""
    if _installed or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = _install()
    try:
        yield
    finally:
        _uninstall(previous)
        _requested.clear()


def _install() -> dict[int, Any]:
    global _installed, _signals_seen
    _signals_seen = 0
    previous = {sig: signal.getsignal(sig) for sig in SIGNALS}
    for sig in SIGNALS:
        signal.signal(sig, _on_signal)
    _installed = True
    return previous


def _uninstall(previous: dict[int, Any]) -> None:
    global _installed
    for sig, handler in previous.items():
        signal.signal(sig, handler)
    _installed = False


def _on_signal(signum: int, frame: Any) -> None:
    global _signals_seen
    _signals_seen += 1
    if _signals_seen > 1:
        raise KeyboardInterrupt
    request_stop()
    if _announce:
        print(f"\n{signal.Signals(signum).name}: stopping every run at its next visit and "
              "checkpointing; send it again to abort without a new checkpoint",
              file=sys.stderr)
