"""How wrong is each offline estimate? Estimators on repeated logs against the simulator's truth.

    python scripts/compare_estimators.py                       # uniform logs, default world
    python scripts/compare_estimators.py --logging egreedy --epsilon 0.2 --logs 20
    python scripts/compare_estimators.py --env-kwargs n_slots=3 n_artworks=3 --visits 5000
    python scripts/compare_estimators.py --replay-agent linucb  # + replay vs online curve
    python scripts/compare_estimators.py --candidates                # the target alone

The target is the greedy policy of an agent (`--target`, default LinUCB) trained online for
`--target-visits` visits with seed 1, then frozen. Each of `--logs` logs has `--visits`
visits of the logging policy (uniform, or egreedy over `--logging-agent`, learning as it
logs); every estimator in every variant is compared with the target's exact value on
fresh members. The candidates (`--candidates`, NAME@VISITS: an agent trained online for
that many visits with seed 1, frozen greedy; `uniform` for the uniform policy) are
estimated on the same logs for the selection study: each estimator's ranking of the
target and candidates against their exact ranking. Writes estimates.csv (one row per log,
policy and estimator), summary.csv and summary.md (the target), selection.csv and
selection.md to `--out`, and with `--replay-agent` replay_vs_online.csv and .png.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import gymnasium as gym
import numpy as np
import pandas as pd

from artwork_env.agents.base import ProblemSpec, TrainingEnv
from artwork_env.agents.policies import GreedyPolicy, Policy, UniformPolicy, make_policy
from artwork_env.agents.registry import make_agent
from artwork_env.agents.reward_model import reward_estimates
from artwork_env.experiments.cli import dataclass_parser, parse_env_kwargs
from artwork_env.experiments.collect import collect
from artwork_env.experiments.commands import console_command
from artwork_env.experiments.ope_study import (
    compare_estimators,
    online_curve,
    replay_learning,
    selection_table,
    summarise_estimates,
)

COLUMNS = ["estimator", "variant", "truth", "mean", "relative_bias", "std", "relative_rmse",
           "bootstrap_se", "coverage"]
CANDIDATES = ["uniform", "ppo@5000", "egreedy@2000", "linucb@2000", "ucb@20000",
              "neural_bandit@20000", "global_best@0", "lints@20000", "ceiling@0"]


@dataclass
class Args:
    """Command-line arguments."""

    logging: str = "uniform"
    """logging policy: uniform or egreedy"""
    logging_agent: str = "ucb"
    """egreedy: the (learning) agent whose greedy choice is exploited"""
    epsilon: float = 0.2
    """egreedy: probability of a uniformly random artwork"""
    learning_logger: bool = True
    """egreedy: the logging agent learns as it logs (--no-learning-logger: it stays as
    built, greedy on its untrained choice)"""
    target: str = "linucb"
    """agent whose greedy policy is evaluated"""
    target_visits: int = 20_000
    """online training visits of the target before it is frozen"""
    logs: int = 20
    """independent logs (repetitions)"""
    visits: int = 20_000
    """visits per log"""
    env_kwargs: list[str] = field(default_factory=list)
    """model parameters as KEY=VALUE"""
    truth_members: int = 100_000
    """fresh members for the target's true value"""
    bootstrap: int = 200
    """bootstrap replicates per confidence interval"""
    seed: int = 0
    """first log's seed (log r uses seed + r)"""
    workers: int = 2
    """parallel processes, one log each (the numbers do not depend on it)"""
    candidates: list[str] = field(default_factory=lambda: list(CANDIDATES))
    """policies ranked beside the target, NAME@VISITS (or uniform); none: the target alone"""
    replay_agent: str = ""
    """also replay this learning agent through the first log and run it online"""
    out: str = "docs/offline_evaluation/uniform"
    """output folder"""


def trained_target(name: str, spec: ProblemSpec, visits: int, env_kwargs: dict) -> GreedyPolicy:
    """The greedy policy of agent `name` trained online for `visits` visits, frozen."""
    agent = make_agent(name, spec, seed=1)
    online_curve(agent, visits, env_kwargs, seed=10_001)
    return GreedyPolicy(agent, learn=False)


def parse_candidate(text: str) -> tuple[str, int]:
    """NAME@VISITS as (name, visits); `uniform` as (uniform, 0)."""
    name, _, visits = text.partition("@")
    if name == "uniform" and not visits:
        return name, 0
    if not visits.isdigit():
        raise ValueError(f"candidate {text!r}: expected NAME@VISITS (e.g. linucb@2000) or "
                         f"uniform")
    return name, int(visits)


def trained_candidate(text: str, spec: ProblemSpec, env_kwargs: dict) -> Policy:
    """A candidate policy: uniform, or the greedy policy of an agent trained for its visits
    in the bandit env (the agent's own `learn`, 16 members a step, seed 1), frozen."""
    name, visits = parse_candidate(text)
    if name == "uniform":
        return UniformPolicy()
    agent = make_agent(name, spec, seed=1)
    env = TrainingEnv("ArtworkBandit-v0", 16, seed=1, env_kwargs=env_kwargs)
    venv = env.make()
    agent.attach(venv)  # references read the world's truth here
    venv.close()
    agent.prepare(env)
    agent.learn(env, visits, lambda *_: True)
    return GreedyPolicy(agent, learn=False)


def logging_policy(args: Args, spec: ProblemSpec, rep: int) -> Policy:
    """A fresh logging policy for log `rep`, seeded by it."""
    return make_policy(args.logging, spec, args.seed + rep, agent=args.logging_agent,
                       epsilon=args.epsilon, learn=args.learning_logger)


def replay_versus_online(args: Args, spec: ProblemSpec, env_kwargs: dict, out: Path) -> None:
    """Replay `--replay-agent` through a log (slot and cascade replay) and run it online over
    as many visits of feedback; write both curves (CSV, PNG)."""
    data = collect(logging_policy(args, spec, 0), args.visits, "ArtworkBandit-v0", env_kwargs,
                   seed=args.seed)
    curves = {variant: replay_learning(data, make_agent(args.replay_agent, spec, seed=2),
                                       variant, batch_size=16 * spec.n_artworks, seed=args.seed)
              for variant in ("slot", "cascade")}
    longest = max(curve.feedback_visits[-1] for curve in curves.values())
    online = online_curve(make_agent(args.replay_agent, spec, seed=2), int(longest) + 1,
                          env_kwargs, seed=20_002)
    frames = []
    for variant, curve in curves.items():
        edges = np.linspace(0, curve.feedback_visits[-1], 6)
        frames.append(pd.DataFrame({"variant": variant, "feedback_visits": edges[1:],
                                    "replay": curve.at(edges), "online": online.at(edges)}))
    table = pd.concat(frames)
    table.to_csv(out / "replay_vs_online.csv", index=False)
    print(table.round(4).to_string(index=False))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    edges = np.linspace(0, longest, 11)
    ax.plot(edges[1:], online.at(edges), "k--", alpha=0.6, label="online")
    for variant, group in table.groupby("variant"):
        if group["replay"].notna().any():
            ax.plot(group["feedback_visits"], group["replay"], "o-", label=f"replay ({variant})")
        else:
            ax.plot([], [], " ", label=f"replay ({variant}): too few events")
    ax.set_xlabel("visits of feedback")
    ax.set_ylabel("reward per visit")
    ax.set_title(f"{args.replay_agent}: replayed from {args.logging} logs vs online")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "replay_vs_online.png", dpi=120)


def main(argv: list[str] | None = None) -> pd.DataFrame:
    """Run the comparison, write the tables, print the summary; bad input exits with code 2."""
    parser = dataclass_parser(Args, __doc__)
    args = Args(**vars(parser.parse_args(argv)))
    if args.logging not in ("uniform", "egreedy"):
        parser.error(f"--logging must be uniform or egreedy, got {args.logging!r}")
    for name in ("logs", "visits", "target_visits", "truth_members", "bootstrap", "workers"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    try:
        env_kwargs = parse_env_kwargs(args.env_kwargs)
        spec = ProblemSpec.from_env(gym.make("ArtworkBandit-v0", **env_kwargs))
        for name in (args.target, args.logging_agent, args.replay_agent or "random"):
            make_agent(name, spec)
        for name, _ in map(parse_candidate, args.candidates):
            if name != "uniform":
                make_agent(name, spec)
        logging_policy(args, spec, 0)
    except ValueError as error:
        parser.error(str(error))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    from artwork_env.agents.click_model import click_model  # torch: once the arguments are good

    target = trained_target(args.target, spec, args.target_visits, env_kwargs)
    candidates = {text: trained_candidate(text, spec, env_kwargs) for text in args.candidates}

    estimates = compare_estimators(
        partial(logging_policy, args, spec), target, args.logs, args.visits, env_kwargs,
        reward_model=partial(reward_estimates, spec=spec), truth_members=args.truth_members,
        seed=args.seed, n_bootstrap=args.bootstrap, progress=True, workers=args.workers,
        response_model=partial(click_model, spec=spec), candidates=candidates)
    estimates.to_csv(out / "estimates.csv", index=False)
    if candidates:
        selection = selection_table(estimates)
        selection.to_csv(out / "selection.csv", index=False)
        (out / "selection.md").write_text(selection.to_markdown(index=False, floatfmt=".3f")
                                          + "\n")
    summary = summarise_estimates(estimates)
    summary.to_csv(out / "summary.csv", index=False)
    ess = [c for c in summary if c.startswith("ess_")]
    columns = COLUMNS + ess[:1] + ess[-1:]  # the first and last slots' effective sizes
    (out / "summary.md").write_text(summary[columns].to_markdown(index=False, floatfmt=".4f")
                                    + "\n")
    print(summary[columns].to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    if candidates:
        print(selection.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    if args.replay_agent:
        replay_versus_online(args, spec, env_kwargs, out)
    return summary


console = console_command(main)


if __name__ == "__main__":
    console()
