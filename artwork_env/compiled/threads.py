"""numpy's BLAS on one thread while the compiled kernels run beside it.

OpenBLAS's threads spin-wait after every call and the kernels' OpenMP threads after every
launch; where each pool has a thread per core, each waits out the other (on 2 cores a LinUCB
training loop at 16 members per step ran 3.5x slower with BLAS on its two threads than on
one: `benchmarks/env_throughput.py`). The one rollout loop (`artwork_env.envs.rollout`) and runs
made in the main process (`artwork_env.experiments.processes`) call BLAS on one thread inside
`blas_on_one_thread`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from threadpoolctl import threadpool_limits

BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
"""Set by the user, these keep BLAS at their count: `blas_on_one_thread` then does nothing."""


@contextmanager
def blas_on_one_thread() -> Iterator[None]:
    """numpy's BLAS on one thread inside, its own count again afterwards; nothing changes
    when the user set OPENBLAS_NUM_THREADS or MKL_NUM_THREADS."""
    if any(name in os.environ for name in BLAS_VARIABLES):
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield
