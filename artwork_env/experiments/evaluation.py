"""Greedy evaluation of any agent on the held-out members."""

from __future__ import annotations

from contextlib import closing
from typing import Any

import numpy as np

from artwork_env.agents.base import Agent, ProblemSpec
from artwork_env.agents.references.exact import OracleAgent
from artwork_env.envs.env import Observation, agent_observation
from artwork_env.envs.rollout import visit_stream
from artwork_env.experiments.vocabulary import EVAL_SEED, LIFETIME_TAG, tagged


def first_page(agent: Agent, env: Any) -> np.ndarray:
    """The page the agent shows, greedily, to the first held-out member on their first
    visit, rendered (`rgb_array`): `env` is a one-member vector env made with
    `render_mode="rgb_array"`, reset with `EVAL_SEED` (the same member every time)."""
    rng_state = agent.rng.bit_generator.state
    with agent.acting_in(env):
        obs, info = env.reset(seed=EVAL_SEED)
        env.step(agent.act(agent_observation(obs, info), explore=False))
    agent.rng.bit_generator.state = rng_state
    return env.render()


def pct_of_oracle(expected: float, oracle: float, worst: float) -> float:
    """Where a policy's expected reward lies between the worst page's (0) and the myopic
    oracle's (100), summed over the same visits: 100 (E - W) / (O - W). In [0, 100] for any
    policy no better than the oracle, whatever the sign of the rewards (100 when every
    page is worth the same)."""
    span = oracle - worst
    return 100.0 if span <= 0.0 else 100.0 * (expected - worst) / span


def myopic_oracle_return(env: Any) -> float | None:
    """The myopic oracle's mean return per lifetime on the held-out members of `env`
    (`evaluate`'s members), or None where an episode is one visit (nothing to compare:
    `eval/pct_of_oracle` says it all) or the return is not positive (no percentage of it)."""
    if env.unwrapped.config.n_visits <= 1:
        return None
    value = evaluate(OracleAgent(ProblemSpec.from_env(env)), env)["eval/return"]
    return value if value > 0.0 else None


def evaluate(agent: Agent, env: Any, oracle_return: float | None = None) -> dict[str, float]:
    """Greedy evaluation on the held-out members: one full episode each, no learning.

    The env is reset with `EVAL_SEED` every time, so every evaluation (of every agent)
    meets the same members, and the same random outcomes (paired comparisons). The agent's
    random state is restored afterwards: how often a run evaluates never changes how it
    trains, and the env it was acting in is attached again (`Agent.acting_in`). With
    `oracle_return` (`myopic_oracle_return` of the same env) the metrics add
    `eval/return_vs_oracle`, the return as a percentage of the myopic oracle's on the same
    members (100: the oracle's; above 100: a policy that plans).
    """
    rng_state = agent.rng.bit_generator.state
    n = env.num_envs
    active = np.ones(n, dtype=bool)
    totals = dict(reward=np.zeros(n), visits=np.zeros(n), plays=0.0, impressions=0.0,
                  expected=0.0, oracle=0.0, worst=0.0)

    def choose(obs: Observation) -> np.ndarray:
        totals["worst"] += float(env.worst()[0][active].sum())  # the pages about to be shown
        return agent.act(obs, explore=False)

    with agent.acting_in(env), closing(visit_stream(env, choose, seed=EVAL_SEED)) as stream:
        for visit in stream:
            info = visit.info
            totals["reward"] += visit.reward * active
            totals["visits"] += active
            totals["plays"] += float(info["n_plays"][active].sum())
            totals["impressions"] += float(info["n_impressions"][active].sum())
            totals["expected"] += float(info["expected_reward"][active].sum())
            totals["oracle"] += float(info["oracle_expected_reward"][active].sum())
            active[visit.ended] = False
            if not active.any():
                break
    agent.rng.bit_generator.state = rng_state
    visits = totals["visits"].sum()
    relative = ({} if oracle_return is None else
                {LIFETIME_TAG: 100.0 * float(totals["reward"].mean()) / oracle_return})
    return {**relative, **tagged("eval", {
        "take_rate": totals["plays"] / totals["impressions"],
        "reward": float(totals["reward"].sum() / visits),
        "return": float(totals["reward"].mean()),
        "pct_of_oracle": pct_of_oracle(totals["expected"], totals["oracle"], totals["worst"]),
        "regret": (totals["oracle"] - totals["expected"]) / visits,
    })}
