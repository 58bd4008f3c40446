"""Log a policy's choices and the members' answers to Parquet, for offline evaluation.

    python scripts/collect.py                                  # 20,000 uniform visits
    python scripts/collect.py --policy egreedy --agent ucb --epsilon 0.2 \
        --visits 50000 --seed 1 --out logs/egreedy_ucb.parquet
    python scripts/collect.py --policy thompson --env-kwargs n_slots=4
    python scripts/collect.py --policy egreedy --agent-from runs/ArtworkBandit-v0__ppo__0__...

Policies: `uniform` (Netflix's randomised logs), `egreedy` over any agent (its greedy
choice, or with probability epsilon a random artwork; the agent learns as it logs unless
--no-learn), `thompson` (Beta-Bernoulli Thompson sampling with exact propensities).
Columns and metadata: docs/offline_evaluation.md. The file is written atomically; Ctrl-C
writes the visits logged so far, marked `interrupted` in the metadata.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import gymnasium as gym

from artwork_env import ENV_IDS
from artwork_env.agents.base import ProblemSpec
from artwork_env.agents.policies import make_policy
from artwork_env.agents.registry import agent_names
from artwork_env.experiments.cli import dataclass_parser, output_file_problem, parse_env_kwargs
from artwork_env.experiments.collect import collect
from artwork_env.experiments.commands import console_command
from artwork_env.experiments.training import load_trained_agent
from artwork_env.ope import write_parquet

LOGGING_POLICIES = ("uniform", "egreedy", "thompson")


@dataclass
class Args:
    """Command-line arguments."""

    policy: str = "uniform"
    """logging policy: uniform, egreedy or thompson"""
    agent: str = "ucb"
    """egreedy: the agent whose greedy choice is exploited (a fresh one); with --agent-from,
    the run's external agent (module:Class), which a run directory never imports alone"""
    agent_from: str = ""
    """egreedy: a scripts/train.py run directory; exploit the agent it trained (any agent,
    deep ones included), in the run's environment"""
    epsilon: float = 0.2
    """egreedy: probability of a uniformly random artwork"""
    learn: bool = True
    """the logging agent learns from the visits it logs"""
    visits: int = 20_000
    """visits to log"""
    env: str = "ArtworkBandit-v0"
    """environment id"""
    env_kwargs: list[str] = field(default_factory=list)
    """model parameters as KEY=VALUE"""
    seed: int = 0
    """members and policy draws"""
    batch_size: int = 256
    """members stepped together (the logging agent learns after each batch)"""
    out: str = "logs/uniform.parquet"
    """where the Parquet file goes"""


def choose_agent(parser: argparse.ArgumentParser, args: Args) -> str | None:
    """The agent name egreedy exploits (None for other policies); refuses the ones that
    cannot log."""
    if args.policy != "egreedy":
        if args.agent_from:
            parser.error("--agent-from goes with --policy egreedy")
        return None
    if args.agent_from:
        return None
    bandits = agent_names("bandit")
    if args.agent not in bandits:
        parser.error(f"--agent must be one of {', '.join(bandits)} (deep agents: train them "
                     f"with scripts/train.py, then --agent-from RUN_DIR), got {args.agent!r}")
    return args.agent


def main(argv: list[str] | None = None) -> Path:
    """Collect, write the Parquet file, print a summary; bad input exits with code 2."""
    parser = dataclass_parser(Args, __doc__)
    args = Args(**vars(parser.parse_args(argv)))
    if args.policy not in LOGGING_POLICIES:
        parser.error(f"--policy must be one of {', '.join(LOGGING_POLICIES)}, "
                     f"got {args.policy!r}")
    if args.env not in ENV_IDS:
        parser.error(f"unknown env id {args.env!r}; available: {', '.join(ENV_IDS)}")
    if args.visits < 1 or args.batch_size < 1:
        parser.error("--visits and --batch-size must be >= 1")
    problem = output_file_problem(args.out)
    if problem:
        parser.error(f"--out: {problem}")
    try:
        env_id, env_kwargs = args.env, parse_env_kwargs(args.env_kwargs)
        agent = choose_agent(parser, args)
        if args.agent_from:
            named = args.agent if ":" in args.agent else None  # an external agent, named
            agent, run = load_trained_agent(args.agent_from, named)
            if agent.name == "oracle":
                parser.error("the oracle reads the hidden members of the env it acts in; it "
                             "cannot log")
            if args.env not in (Args.env, run.env_id):
                parser.error(f"--env {args.env}: the run was trained on {run.env_id}")
            if args.env_kwargs and env_kwargs != run.env_kwargs:
                parser.error(f"--env-kwargs differ from the run's ({run.env_kwargs}); the "
                             f"agent was trained there: leave them out")
            env_id, env_kwargs = run.env_id, run.env_kwargs
        env = gym.make(env_id, **env_kwargs)
        policy = make_policy(args.policy, ProblemSpec.from_env(env), args.seed, agent=agent,
                             epsilon=args.epsilon, learn=args.learn)
    except ValueError as error:
        parser.error(str(error))
    data = collect(policy, args.visits, env_id, env_kwargs, args.seed, args.batch_size,
                   progress=True)
    if args.agent_from:
        data.metadata["agent_from"] = str(args.agent_from)
    path = write_parquet(data, args.out)
    state = "INTERRUPTED: " if data.metadata["interrupted"] else ""
    print(f"{state}{data.n_visits} visits x {data.n_slots} slots -> {path} "
          f"({path.stat().st_size / 1e6:.1f} MB); reward per visit {data.reward.mean():.4f}, "
          f"take rate {data.plays.mean():.4f}, smallest pscore {data.pscore.min():.4g}",
          file=sys.stderr if state else sys.stdout)
    return path


console = console_command(main)


if __name__ == "__main__":
    console()
