"""Decisions per second of the bandit agents, and a side-by-side with MABWiser and Vowpal Wabbit.

    pip install -e ".[bench]"            # mabwiser, vowpalwabbit
    python benchmarks/bandit_throughput.py [--rounds 20000]

Part 1: act + update of `linucb`, `lints` and `thompson` on real ArtworkBandit-v0 pages, at
N = 1 member per call and in a batch of N = 1024; a decision is one slot's artwork.

Part 2: one synthetic linear contextual problem with action-dependent features (d = 20, 10
arms, Bernoulli rewards with P(r=1) = 0.3 + z_a . beta + u_a, `--rounds` rounds, one
decision per round): our hybrid LinUCB
(`artwork_env.agents.contextual.linear.HybridLinearModel`), Vowpal Wabbit's
`--cb_explore_adf` (epsilon-greedy 0.05, its default) and MABWiser's LinUCB in the same
process. MABWiser has no action-dependent features: it sees the 10 arms' feature vectors
side by side (a 200-d context) and learns one disjoint model per arm. """

from __future__ import annotations

import argparse
import time

import numpy as np

from artwork_env.agents.base import ProblemSpec
from artwork_env.agents.contextual.linear import HybridLinearModel
from artwork_env.agents.registry import make_agent
from artwork_env.envs.env import agent_observation
from artwork_env.envs.vector_env import make_vector
from artwork_env.experiments.published import print_and_publish

D, ARMS = 20, 10


def agent_decisions_per_second(name: str, n: int, seconds: float) -> float:
    """Slot decisions/s of act + update on one batch of real pages with N members."""
    env = make_vector("ArtworkBandit-v0", n)
    agent = make_agent(name, ProblemSpec.from_env(env), seed=0)
    obs, info = env.reset(seed=0)
    agent_obs = agent_observation(obs, info)
    actions = agent.act(agent_obs)
    _, reward, _, _, step_info = env.step(actions)
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        agent.update(agent_obs, agent.act(agent_obs), reward, step_info)
        calls += 1
    return calls * actions.size / (time.perf_counter() - start)


class Problem:
    """The synthetic problem: per-round arm features, Bernoulli rewards, known means."""

    def __init__(self, seed: int) -> None:
        gen = np.random.default_rng(seed)
        self.beta = gen.normal(0, 0.15, D)
        self.intercept = gen.normal(0, 0.05, ARMS)
        self.gen = gen

    def round(self) -> tuple[np.ndarray, np.ndarray]:
        """(ARMS, D) features and (ARMS,) success probabilities of one round."""
        z = self.gen.normal(0, 1, (ARMS, D)) / np.sqrt(D) * 2
        return z, np.clip(0.3 + z @ self.beta + self.intercept, 0.0, 1.0)


def run_ours(rounds: int, seed: int, alpha: float = 0.5) -> tuple[float, float]:
    """(decisions/s, cumulative regret) of our hybrid LinUCB."""
    problem, gen = Problem(seed), np.random.default_rng(seed + 1)
    model = HybridLinearModel(D, ARMS)
    arms = np.arange(ARMS)
    regret, start = 0.0, time.perf_counter()
    for _ in range(rounds):
        z, p = problem.round()
        mean, width = model.mean_and_width(z, arms)
        a = int(np.argmax(mean + alpha * width))
        model.update(z[a:a + 1], arms[a:a + 1], np.array([float(gen.random() < p[a])]))
        regret += p.max() - p[a]
    return rounds / (time.perf_counter() - start), regret


def run_vw(rounds: int, seed: int) -> tuple[float, float]:
    """(decisions/s, cumulative regret) of Vowpal Wabbit's cb_explore_adf."""
    import vowpalwabbit

    problem, gen = Problem(seed), np.random.default_rng(seed + 1)
    vw = vowpalwabbit.Workspace(f"--cb_explore_adf --quiet --random_seed {seed}")
    regret, start = 0.0, time.perf_counter()
    for _ in range(rounds):
        z, p = problem.round()
        lines = [" ".join(f"{j}:{v:.5f}" for j, v in enumerate(row)) for row in z]
        example = ["shared |s c:1"] + [f"|a arm{i} {line}" for i, line in enumerate(lines)]
        pmf = np.asarray(vw.predict(example))
        a = int(gen.choice(ARMS, p=pmf / pmf.sum()))
        cost = -float(gen.random() < p[a])
        example[a + 1] = f"0:{cost}:{pmf[a]} " + example[a + 1]
        vw.learn(example)
        regret += p.max() - p[a]
    vw.finish()
    return rounds / (time.perf_counter() - start), regret


def run_mabwiser(rounds: int, seed: int, alpha: float = 0.5) -> tuple[float, float]:
    """(decisions/s, cumulative regret) of MABWiser's LinUCB on the 200-d context."""
    from mabwiser.mab import MAB, LearningPolicy

    problem, gen = Problem(seed), np.random.default_rng(seed + 1)
    mab = MAB(arms=list(range(ARMS)), learning_policy=LearningPolicy.LinUCB(alpha=alpha),
              seed=seed)
    mab.fit(decisions=[0], rewards=[0.0], contexts=np.zeros((1, ARMS * D)))
    regret, start = 0.0, time.perf_counter()
    for _ in range(rounds):
        z, p = problem.round()
        context = z.reshape(1, -1)
        a = int(mab.predict(context))
        mab.partial_fit([a], [float(gen.random() < p[a])], context)
        regret += p.max() - p[a]
    return rounds / (time.perf_counter() - start), regret


def main() -> None:
    """Print both tables as Markdown (and write them into the docs)."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--write-docs", action="store_true",
                        help="also write the tables into docs/performance.md (its "
                             "bandit_throughput block), stamped with the commit")
    args = parser.parse_args()
    print_and_publish(lambda: tables(args), "bandit_throughput",
                      "python benchmarks/bandit_throughput.py --write-docs", args.write_docs)


def tables(args: argparse.Namespace) -> None:
    """Print the tables as Markdown."""
    print("| agent | N = 1: slot decisions/s | N = 1024: slot decisions/s |")
    print("|---|---:|---:|")
    for name in ("linucb", "lints", "thompson"):
        single = agent_decisions_per_second(name, 1, args.seconds)
        batch = agent_decisions_per_second(name, 1024, args.seconds)
        print(f"| {name} | {single:,.0f} | {batch:,.0f} |")
    print(f"\nSynthetic problem, d = {D}, {ARMS} arms, {args.rounds:,} rounds, seed {args.seed}:\n")
    runs = {"ours: hybrid LinUCB (compiled)": run_ours(args.rounds, args.seed)}
    for label, runner in (("Vowpal Wabbit cb_explore_adf", run_vw),
                          ("MABWiser LinUCB", run_mabwiser)):
        try:
            runs[label] = runner(args.rounds, args.seed)
        except ImportError:
            print(f"({label} skipped: pip install -e '.[bench]')")
    ours = runs["ours: hybrid LinUCB (compiled)"][0]
    print("| library | decisions/s | ours is x faster | cumulative regret |")
    print("|---|---:|---:|---:|")
    for label, (rate, regret) in runs.items():
        print(f"| {label} | {rate:,.0f} | {ours / rate:.1f} | {regret:.1f} |")


if __name__ == "__main__":
    main()
