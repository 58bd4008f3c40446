"""A parallel map over processes with single-threaded BLAS, for independent runs and logs."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMBA_NUM_THREADS")


def process_map(fn: Callable[[Any], Any], items: Iterable[Any], workers: int,
                progress: str | None = None) -> list[Any]:
    """`[fn(item) for item in items]`, in `workers` spawned processes when > 1; a tqdm bar
    named `progress` when given.

    Worker processes run single-threaded BLAS, torch and numba kernels (thread counts set
    through the environment they inherit, unless the user set them): two processes on two
    cores with two threads each spin-wait on each other and run at half speed or slower.
    `fn` and the items must pickle (module-level functions, `functools.partial` of them).
    """
    items = list(items)
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    if workers == 1 or len(items) <= 1:
        return list(_bar(map(fn, items), len(items), progress))
    for name in THREAD_VARIABLES:
        os.environ.setdefault(name, "1")
    with ProcessPoolExecutor(min(workers, len(items)), mp_context=get_context("spawn")) as pool:
        return list(_bar(pool.map(fn, items), len(items), progress))


def _bar(results: Iterable[Any], total: int, desc: str | None) -> Iterable[Any]:
    if desc is None:
        return results
    from tqdm import tqdm

    return tqdm(results, total=total, desc=desc)
