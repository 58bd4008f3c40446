"""Launching many runs: in parallel processes on this machine, or as Ray tasks.

    pip install -e ".[ray]"
    python scripts/train.py --backend ray --address HOST:PORT|local [--storage /shared/runs]

On Ray every (env, agent, seed, grid point) run is a task with its own CPU (and GPU, when
asked), writing the same run directories and event files as the local backend. The address
is always given: `HOST:PORT` joins that cluster (`ray start --head` on the head node; every
node must see `--storage`); `local` starts Ray on this machine with `workers` CPUs, whose
GCS, raylet and workers then listen on every network interface (Ray 2.60 has no
loopback-only mode: it replaces a 127.0.0.1 node address by the machine's own), which is
why it is never started without being asked. A run that raises is retried up to
`MAX_RETRIES` times, then reported; the others go on.
"""

from __future__ import annotations

import os
import sys

from artwork_env.experiments.processes import THREAD_VARIABLES, process_map
from artwork_env.experiments.training import RunConfig, RunResult, train_run

MAX_RETRIES = 2


def run_many(configs: list[RunConfig], workers: int, backend: str = "local",
             address: str = "", gpus_per_run: float = 0.0) -> list[RunResult]:
    """Run several configurations, in `workers` parallel processes when > 1 (single-threaded
    BLAS each: `process_map`), or on Ray (`backend="ray"`: `run_on_ray`)."""
    if backend == "ray":
        return run_on_ray(configs, workers, address, gpus_per_run)
    return process_map(train_run, configs, workers)


def _single_threaded_train_run(config: RunConfig) -> RunResult:
    """`train_run` in a Ray worker, with one BLAS/torch thread (one CPU per task)."""
    import torch

    torch.set_num_threads(1)
    return train_run(config)


def run_on_ray(configs: list[RunConfig], workers: int, address: str,
               gpus_per_run: float = 0.0) -> list[RunResult]:
    """Run the configurations as Ray tasks on the cluster at `address` (`local`: start
    one on this machine, listening on every interface); return the results of those that
    succeeded and print one line per run that failed after its retries."""
    if not address:
        raise ValueError("address: give the Ray cluster to join (HOST:PORT), or 'local' to "
                         "start one on this machine (it listens on every network "
                         "interface; the local backend opens no port)")
    import ray

    ray.init(address=address, num_cpus=workers if address == "local" else None,
             include_dashboard=False, log_to_driver=False, ignore_reinit_error=True,
             runtime_env={"env_vars": {name: "1" for name in THREAD_VARIABLES}})
    task = ray.remote(num_cpus=1, num_gpus=gpus_per_run, max_retries=MAX_RETRIES,
                      retry_exceptions=True)(_single_threaded_train_run)
    refs = [task.remote(config) for config in configs]
    results = []
    for config, ref in zip(configs, refs):
        try:
            results.append(ray.get(ref))
        except Exception as error:  # noqa: BLE001  (Ray wraps the task's own exception)
            cause = getattr(error, "cause", error)
            print(f"run {config.env_id} {config.agent} seed {config.seed} "
                  f"{config.variant} failed after {MAX_RETRIES} retries: "
                  f"{type(cause).__name__}: {cause}", file=sys.stderr)
    ray.shutdown()
    os.environ.pop("RAY_ADDRESS", None)
    return results
