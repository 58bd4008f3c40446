"""A parallel map over processes with single-threaded BLAS, for independent runs and logs."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import ExitStack, contextmanager
from multiprocessing import get_context
from typing import Any

from artwork_env.compiled.threads import blas_on_one_thread
from artwork_env.experiments import interrupts

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMBA_NUM_THREADS")


@contextmanager
def _single_threaded_children() -> Iterator[None]:
    """THREAD_VARIABLES = 1 (unless the user set them) for the processes spawned inside, and
    back as they were afterwards: this process keeps its own thread counts (numba refuses
    to compile a kernel once the count it started its threads with has changed)."""
    saved = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, "1")
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def _one_thread_here() -> Iterator[None]:
    """Torch and numpy's BLAS on one thread for runs made in this process, as in the
    workers, each unless the user set its variable; numba's kernels keep their threads.

    torch (unless OMP_NUM_THREADS is set): a deep agent's float sums, hence its numbers,
    depend on torch's thread count, and a run must give the same numbers alone or beside
    others. Covers a torch already imported (`set_num_threads`, restored afterwards) and
    one the runs import (OMP_NUM_THREADS, which torch reads when it loads). BLAS:
    `artwork_env.compiled.threads.blas_on_one_thread` (its threads and the kernels' wait on each
    other)."""
    with ExitStack() as stack:
        stack.enter_context(blas_on_one_thread())
        if "OMP_NUM_THREADS" not in os.environ:
            stack.enter_context(_torch_on_one_thread())
        yield


@contextmanager
def _torch_on_one_thread() -> Iterator[None]:
    """torch on one thread inside (`_one_thread_here`), as it was afterwards."""
    torch = sys.modules.get("torch")
    before = torch.get_num_threads() if torch is not None else None
    os.environ["OMP_NUM_THREADS"] = "1"
    if torch is not None:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        os.environ.pop("OMP_NUM_THREADS", None)
        if before is not None:
            torch.set_num_threads(before)


def process_map(fn: Callable[[Any], Any], items: Iterable[Any], workers: int,
                progress: str | None = None) -> list[Any]:
    """`[fn(item) for item in items]`, in `workers` spawned processes when > 1; a tqdm bar
    named `progress` when given.

    Worker processes run single-threaded BLAS, torch and numba kernels (thread counts set
    through the environment they inherit, unless the user set them): two processes on two
    cores with two threads each spin-wait on each other and run at half speed or slower.
    Items run in this process (one worker or one item) get torch and BLAS on one thread too
    (`_one_thread_here`): a deep agent's numbers do not depend on `workers`, and BLAS's
    threads do not slow the kernels' down.
    `fn` and the items must pickle (module-level functions, `functools.partial` of them).

    On SIGINT/SIGTERM (`artwork_env.experiments.interrupts`) items not yet started are skipped, the
    workers are asked to stop, and the results of the items that ran are returned (in
    order); a second signal aborts.
    """
    items = list(items)
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    with interrupts.stop_on_signals():
        if workers == 1 or len(items) <= 1:
            with _one_thread_here():
                results = list(_bar(map(_unless_stopped(fn), items), len(items), progress))
            return [result for result in results if not isinstance(result, _Skipped)]
        context = get_context("spawn")
        event = context.Event()
        interrupts.share_with_workers(event)
        try:
            with ProcessPoolExecutor(min(workers, len(items)), mp_context=context,
                                     initializer=interrupts.worker_initializer,
                                     initargs=(event,)) as pool:
                with _single_threaded_children():  # the workers start in the submits
                    futures = [pool.submit(_run_unless_stopped, fn, item) for item in items]
                pending = set(futures)
                bar = _bar(None, len(items), progress)
                while pending:
                    done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                    if bar is not None:
                        bar.update(len(done))
                    if interrupts.stop_requested():
                        for future in pending:
                            future.cancel()
                if bar is not None:
                    bar.close()
            # in order; a worker's exception is raised here, as map would raise it
            results = [future.result() for future in futures if not future.cancelled()]
            return [result for result in results if not isinstance(result, _Skipped)]
        finally:
            interrupts.share_with_workers(None)


class _Skipped:
    """The result of an item skipped because a stop was requested before it started."""


def _run_unless_stopped(fn: Callable[[Any], Any], item: Any) -> Any:
    with interrupts.working():
        return _Skipped() if interrupts.stop_requested() else fn(item)


def _unless_stopped(fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda item: _run_unless_stopped(fn, item)


def _bar(results: Iterable[Any] | None, total: int, desc: str | None) -> Any:
    if desc is None:
        return results
    from tqdm import tqdm

    return tqdm(results, total=total, desc=desc)
