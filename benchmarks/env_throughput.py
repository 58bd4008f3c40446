"""Visits per second of the environments, the batch core and the vector envs.

Run: `python benchmarks/env_throughput.py [--seconds 3] [--skip-vector]` (about two
minutes). Part 0: start-up, the first `gym.make` + reset + step in a fresh process with a
cold and with a warm numba cache. Part 1: one env and the compiled batch core against
gymnasium's CartPole-v1 stepped in the same process (the envs take turns), as ratios, the
compiled core against the numpy specification (`NumpySimulator`) at N = 1024, each
kernel's cost per member at N = 1024 on one thread and on all, with the sum of the four a
bandit step runs (the rate the step could reach if nothing else ran), and the written-out
float32 functions of `artwork_env/model/elementary.py` against the C library's. Part 2: the
native vector env against gymnasium's SyncVectorEnv and AsyncVectorEnv over the same env
(ArtworkBandit-v0, SAME_STEP autoreset), with peak memory per member, and the native
vector env of the lifetime envs at N = 1024; a full PPO
iteration through the native SB3 adapter and through SB3's DummyVecEnv; LinUCB act +
update at N = 1024; a LinUCB training loop at N = 16 with numpy's BLAS on its own threads
and on one.
Rates of the batch cores and the vector envs are the best of ten windows, the least
disturbed by a shared machine's slow spells. `--write-docs` also writes the tables into
docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable

import gymnasium as gym
import numba
import numpy as np

import artwork_env  # noqa: F401  (registers the environments)
from artwork_env import ModelConfig
from artwork_env.compiled import kernels
from artwork_env.compiled.core import ArtworkSimulator
from artwork_env.envs.vector_env import make_vector
from artwork_env.experiments.published import print_and_publish
from artwork_env.model import elementary, rng
from artwork_env.model.numpy_core import NumpySimulator

STARTUP = ("import time; t = time.perf_counter(); import gymnasium as gym; import artwork_env; "
           "env = gym.make('ArtworkBandit-v0'); env.reset(seed=0); "
           "env.step(env.action_space.sample()); print(time.perf_counter() - t)")


def startup_seconds(cache_dir: str | None) -> float:
    """Seconds to the first step in a fresh process (numba cache in `cache_dir`, or the
    default one when None)."""
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    done = subprocess.run([sys.executable, "-c", STARTUP], capture_output=True, text=True,
                          env=env, check=True)
    return float(done.stdout.strip().splitlines()[-1])


def env_step_seconds(env_ids: tuple[str, ...], seconds: float,
                     windows: int = 20) -> dict[str, float]:
    """Seconds per visit of `gym.make(env_id)` for each id (wrappers included): a `step`,
    plus the `reset` that follows when the episode ends (every step of the bandit env). The
    envs take turns, one window of `seconds / windows` each per round, and each keeps its
    best window (the least disturbed by the machine): a slow spell of a shared machine
    then touches every env alike, not one of them."""
    envs = {env_id: gym.make(env_id) for env_id in env_ids}
    actions = {}
    for env_id, env in envs.items():
        env.reset(seed=0)
        actions[env_id] = env.action_space.sample()
    best = dict.fromkeys(env_ids, float("inf"))
    for _ in range(windows):
        for env_id, env in envs.items():
            action, steps, start = actions[env_id], 0, time.perf_counter()
            while time.perf_counter() - start < seconds / windows:
                for _ in range(100):
                    _, _, terminated, truncated, _ = env.step(action)
                    if terminated or truncated:
                        env.reset()
                steps += 100
            best[env_id] = min(best[env_id], (time.perf_counter() - start) / steps)
    return best


def best_window_rate(step: Callable[[], object], per_step: int, seconds: float,
                     windows: int = 10) -> float:
    """Units per second of `step` (each call does `per_step` units) in the best of `windows`
    windows of `seconds / windows` each: the least disturbed by a shared machine's slow
    spells."""
    best = 0.0
    for _ in range(windows):
        units, start = 0, time.perf_counter()
        while units == 0 or time.perf_counter() - start < seconds / windows:
            step()
            units += per_step
        best = max(best, units / (time.perf_counter() - start))
    return best


def core_visits_per_second(n: int, n_visits: int, seconds: float,
                           simulator: type[NumpySimulator] = ArtworkSimulator,
                           final_observation: bool = False) -> float:
    """Visits/s of a batch core with N members: observe, act (fixed row), step, reset ended
    (`best_window_rate`); with `final_observation`, the ended members are observed before
    they are drawn anew, as the vector env's SAME_STEP autoreset does for `final_obs`."""
    sim = simulator(ModelConfig(n_visits=n_visits), n)
    base = np.arange(n, dtype=np.uint64)
    episode = np.zeros(n, dtype=np.uint64)
    sim.reset_members(np.arange(n), rng.derive_keys(base, episode))
    actions = np.zeros((n, sim.n_slots), dtype=np.int64)

    def visit() -> None:
        sim.observe()
        outcome = sim.visit_step(actions)
        ended = np.flatnonzero(outcome.terminated)
        if final_observation and ended.size:
            sim.observe(ended)
        if ended.size:
            episode[ended] += np.uint64(1)
            sim.reset_members(ended, rng.derive_keys(base[ended], episode[ended]))

    return best_window_rate(visit, n, seconds)


def kernel_breakdown(n: int = 1024, repeats: int = 30) -> dict[str, float]:
    """Microseconds per member of each compiled kernel at N members (best of `repeats`),
    bandit world: the member draw (with its first row), the page model, a visit (page model,
    oracle, cascade, update) and one observation, written into kept buffers as the vector
    env's are (fresh arrays would add the cost of new memory, which at N = 4096 is more
    than the kernel's own)."""
    sim = ArtworkSimulator(ModelConfig(n_visits=1), n)
    index, keys = np.arange(n), rng.numbered_keys(1, 0, n)
    sim.reset_members(index, keys)
    actions = np.zeros((n, sim.n_slots), dtype=np.int64)
    buffers = sim.observe()

    def best(step: object) -> float:
        step()  # type: ignore[operator]
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            step()  # type: ignore[operator]
            times.append(time.perf_counter() - start)
        return 1e6 * min(times) / n

    return {"member draw": best(lambda: sim.reset_members(index, keys)),
            "page model": best(lambda: sim._compute_page_model()),
            "visit": best(lambda: sim.visit_step(actions)),
            "observation": best(lambda: sim.observe(out=buffers))}


def bandit_step_kernels(parts: dict[str, float]) -> float:
    """Microseconds a member of the kernels one bandit step of the vector env runs: the
    visit, the ended member's observation (`final_obs`), the draw, the new observation."""
    return parts["visit"] + 2 * parts["observation"] + parts["member draw"]


@numba.njit
def _repeat_sigmoids(function: Callable[[np.ndarray], None], logits: np.ndarray,
                     page: np.ndarray, repeats: int) -> None:
    """`function` (a sigmoid in place) on a fresh copy of the logits, `repeats` times."""
    for _ in range(repeats):
        page[:] = logits
        function(page)


@numba.njit
def _repeat_normals(function: Callable[..., None], n: int, repeats: int) -> float:
    """`function` (`normals` or its reference) for `repeats` keys; a sum, so none is skipped."""
    out, scratch, total = np.empty(n), np.empty(n + 1, dtype=np.float32), 0.0
    for r in range(repeats):
        function(elementary.base(np.uint64(r), np.uint64(0), 1), n, scratch, out)
        total += out[0]
    return total


def elementary_microseconds(repeats: int = 200_000) -> dict[str, tuple[float, float]]:
    """Microseconds (written out, the C library's) of a page's 216 click sigmoids and of a
    member draw's 33 normals, on one thread (best of five)."""
    logits = np.random.default_rng(0).normal(0.0, 3.0, 216).astype(np.float32)
    page = np.empty_like(logits)

    def best(run: Callable[[int], object]) -> float:
        run(10)
        times = []
        for _ in range(5):
            start = time.perf_counter()
            run(repeats)
            times.append(time.perf_counter() - start)
        return 1e6 * min(times) / repeats

    return {
        "216 sigmoids": tuple(best(lambda r, f=f: _repeat_sigmoids(f, logits, page, r))
                              for f in (kernels._sigmoid_flat, elementary.library_sigmoid32)),
        "33 normals": tuple(best(lambda r, f=f: _repeat_normals(f, 33, r))
                            for f in (elementary.normals, elementary.library_normals))}


def vector_visits_per_second(mode: str, n: int, seconds: float,
                             env_id: str = "ArtworkBandit-v0", **env_kwargs: object) -> float:
    """Visits/s of `gym.make_vec(env_id, n, mode)` with fixed actions (`best_window_rate`);
    `env_kwargs` go to the native vector env (mode "vector_entry_point")."""
    if env_kwargs and mode != "vector_entry_point":
        raise ValueError(f"env_kwargs are the native vector env's, not mode {mode!r}'s")
    kwargs = dict(env_kwargs) if mode == "vector_entry_point" else {
        "vector_kwargs": {"autoreset_mode": gym.vector.AutoresetMode.SAME_STEP}}
    env = gym.make_vec(env_id, num_envs=n, vectorization_mode=mode, **kwargs)
    env.reset(seed=0)
    actions = np.zeros((n, 6), dtype=np.int64)
    env.step(actions)
    rate = best_window_rate(lambda: env.step(actions), n, seconds)
    env.close()
    return rate


def native_bytes_per_member(n: int) -> float:
    """Peak bytes allocated (tracemalloc) by a native vector env of N members over 5 steps,
    per member: the shared world is built beforehand, so this is the per-member cost."""
    make_vector("ArtworkBandit-v0", 1)
    tracemalloc.start()
    env = make_vector("ArtworkBandit-v0", n)
    env.reset(seed=0)
    for _ in range(5):
        env.step(np.zeros((n, 6), dtype=np.int64))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / n


def ppo_iteration_seconds(native: bool, n: int, n_steps: int = 4) -> float:
    """Seconds of one PPO iteration (n_steps x N visits collected, one epoch of updates)."""
    from stable_baselines3 import PPO
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.logger import Logger

    from artwork_env.envs.sb3 import ArtworkSB3VecEnv

    venv = ArtworkSB3VecEnv("ArtworkBandit-v0", num_envs=n) if native else \
        make_vec_env("ArtworkBandit-v0", n_envs=n, env_kwargs={"render_mode": None})
    model = PPO("MultiInputPolicy", venv, n_steps=n_steps, batch_size=n, n_epochs=1,
                device="cpu", seed=0)
    model.set_logger(Logger(None, []))  # SB3 would make a /tmp/SB3-<time> folder each run
    model.learn(n_steps * n)  # warm-up iteration
    start = time.perf_counter()
    model.learn(n_steps * n, reset_num_timesteps=False)
    return time.perf_counter() - start


def linucb_loop_visits_per_second(n: int, seconds: float, blas_threads: int | None) -> float:
    """Visits/s of a LinUCB training loop (act, env step, update) over N members in this
    process, numpy's BLAS on `blas_threads` threads (None: as many as it has)."""
    from threadpoolctl import threadpool_limits

    from artwork_env.agents.base import ProblemSpec
    from artwork_env.agents.registry import make_agent
    from artwork_env.envs.env import agent_observation

    env = make_vector("ArtworkBandit-v0", n)
    agent = make_agent("linucb", ProblemSpec.from_env(env), seed=0)
    obs, info = env.reset(seed=0)
    visits, start = 0, time.perf_counter()
    with threadpool_limits(limits=blas_threads, user_api="blas"):
        while time.perf_counter() - start < seconds:
            seen = agent_observation(obs, info)
            actions = agent.act(seen)
            obs, reward, _, _, info = env.step(actions)
            agent.update(seen, actions, reward, info)
            visits += n
    return visits / (time.perf_counter() - start)


def vector_tables(seconds: float) -> None:
    """Part 2: print the vector env, PPO and LinUCB tables."""
    from bandit_throughput import agent_decisions_per_second

    print("\n| N | native visits/s | SyncVectorEnv visits/s | AsyncVectorEnv visits/s "
          "| native / Sync | peak KiB per member (native) |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n in (1, 64, 1024, 4096):
        native = vector_visits_per_second("vector_entry_point", n, seconds)
        sync = vector_visits_per_second("sync", n, seconds)
        # AsyncVectorEnv starts one process per env: not sensible past a few dozen on 2 cores
        asynch = vector_visits_per_second("async", n, seconds) if n <= 64 else float("nan")
        memory = native_bytes_per_member(n) / 1024
        print(f"| {n} | {native:,.0f} | {sync:,.0f} | "
              f"{'n/a' if np.isnan(asynch) else f'{asynch:,.0f}'} | {native / sync:.1f} "
              f"| {memory:.1f} |")
    n = 1024
    lifetimes = {env_id: vector_visits_per_second("vector_entry_point", n, seconds, env_id)
                 for env_id in ("ArtworkPersonalization-v0", "ArtworkPersonalization-v1")}
    print(f"\nThe native vector env of the lifetime envs at N = {n} (20 visits a member, so "
          "few members end and are drawn anew each step): "
          + ", ".join(f"{env_id} {rate:,.0f} visits/s" for env_id, rate in lifetimes.items())
          + ".")
    native_ppo, dummy_ppo = ppo_iteration_seconds(True, n), ppo_iteration_seconds(False, n)
    print(f"\nOne PPO iteration at N = {n} (4 x {n} visits, one epoch, MultiInputPolicy): "
          f"native SB3 adapter {native_ppo:.2f} s, DummyVecEnv {dummy_ppo:.2f} s "
          f"({dummy_ppo / native_ppo:.1f}x).")
    rate = agent_decisions_per_second("linucb", n, seconds)
    print(f"LinUCB act + update at N = {n}: {rate:,.0f} slot decisions/s "
          f"({rate / 6:,.0f} pages/s).")
    from threadpoolctl import threadpool_info

    blas = max(pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas")
    own, one = (linucb_loop_visits_per_second(16, seconds, limit) for limit in (None, 1))
    print(f"LinUCB training loop (act, step, update) at N = 16 in one process: {own:,.0f} "
          f"visits/s with numpy's BLAS on its {blas} threads, {one:,.0f} on one "
          f"({one / own:.1f}x).")


def main() -> None:
    """Print the throughput tables as Markdown (and write them into the docs)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    parser.add_argument("--skip-vector", action="store_true", help="only part 1")
    parser.add_argument("--write-docs", action="store_true",
                        help="also write the tables into docs/performance.md (its "
                             "env_throughput block), stamped with the commit")
    args = parser.parse_args()
    print_and_publish(lambda: tables(args), "env_throughput",
                      "python benchmarks/env_throughput.py --write-docs", args.write_docs)


def tables(args: argparse.Namespace) -> None:
    """Print the tables as Markdown."""
    with tempfile.TemporaryDirectory() as cold:
        cold_start = startup_seconds(cold)
    startup_seconds(None)  # fills the default cache if needed
    print(f"Start-up (first gym.make + reset + step in a new process): cold numba cache "
          f"{cold_start:.1f} s, warm {startup_seconds(None):.1f} s\n")
    env_ids = ("CartPole-v1", "ArtworkBandit-v0", "ArtworkPersonalization-v0")
    steps = env_step_seconds(env_ids, args.seconds)
    cartpole = steps["CartPole-v1"]
    print(f"CartPole-v1 step: {cartpole * 1e6:.1f} us ({1 / cartpole:,.0f} steps/s)\n")
    print("| what | visits/s | us per visit | x CartPole step time |")
    print("|---|---:|---:|---:|")
    for env_id in env_ids[1:]:
        step = steps[env_id]
        print(f"| `gym.make('{env_id}')` step (+ reset) | {1 / step:,.0f} | {step * 1e6:.0f} "
              f"| {step / cartpole:.1f} |")
    for label, n_visits in (("bandit", 1), ("lifetime", 20)):
        for n in (1, 64, 1024):
            rate = core_visits_per_second(n, n_visits, args.seconds)
            print(f"| batch core, {label}, N={n} | {rate:,.0f} | {1e6 / rate:.1f} "
                  f"| {1 / rate / cartpole:.2f} |")
        if label == "bandit":
            final = core_visits_per_second(1024, n_visits, args.seconds, final_observation=True)
            print(f"| batch core, bandit, N=1024, observing the ended members too (SAME_STEP's "
                  f"`final_obs`) | {final:,.0f} | {1e6 / final:.1f} | {1 / final / cartpole:.2f} |")
        reference = core_visits_per_second(1024, n_visits, args.seconds, NumpySimulator)
        print(f"| numpy specification, {label}, N=1024 (compiled is "
              f"{rate / reference:.1f}x faster) | {reference:,.0f} | {1e6 / reference:.1f} "
              f"| {1 / reference / cartpole:.2f} |")
    threads, n = numba.get_num_threads(), 1024
    for n_threads in sorted({1, threads}):
        numba.set_num_threads(n_threads)
        parts = kernel_breakdown(n)
        step = bandit_step_kernels(parts)
        print(f"\nCompiled kernels, bandit world, N = {n}, {n_threads} thread(s) "
              f"({numba.threading_layer()} layer): "
              + ", ".join(f"{name} {value:.2f} us" for name, value in parts.items())
              + f" per member; a bandit step's four (visit, two observations, draw) {step:.2f}"
              f" us: {1e6 / step:,.0f} visits/s if nothing else ran")
    numba.set_num_threads(threads)
    print("\nThe float32 exp, log, sin and cos written out (`artwork_env/model/elementary.py`) "
          "against the C library's, one thread: "
          + ", ".join(f"{name} {ours:.3f} us against {library:.3f} ({library / ours:.1f}x)"
                      for name, (ours, library) in elementary_microseconds().items()))
    if not args.skip_vector:
        vector_tables(args.seconds)


if __name__ == "__main__":
    main()
