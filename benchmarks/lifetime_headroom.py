"""How much planning headroom a trained learner's own choice model leaves: per-slot greedy
rows on its gains plus a price on the misrepresentation a click uncovers, the price read
from the simulator's hidden truth (a cheating bound for the planner's family of priced
policies, docs/model.md section 5, on top of the learner's model), beside the same on the
exact gains.

    python benchmarks/lifetime_headroom.py RUN_DIR [RUN_DIR ...] --members 4000 \
        --prices 0 0.1 0.2 0.3

For every run directory of `scripts/train.py` (an agent with `gains` and
`member_probabilities`: `factored_bandit`, or `ltv` with `gamma=0`) and every price s,
the held-out members of the run's env (the evaluation's, `EVAL_SEED`) live their
lifetimes under the rows

    argmax_a  gain(s, a) - s x (visits left after this one) x c(s, a) x misrep(a),

gain and c the learner's (its ensemble's mean), misrep the model's; `exact` does the same
with the exact gains and click probabilities (left neighbour averaged out, as the
`ceiling`'s labels). Each lifetime's return is summed from the visits' exact expected
rewards (less noise than the drawn ones). The first price should be 0: the learner's
greedy policy, against which the others are compared.
"""

from __future__ import annotations

import argparse

import numpy as np

from artwork_env.arrays import masked_argmax
from artwork_env.envs.env import agent_observation
from artwork_env.envs.vector_env import make_vector
from artwork_env.experiments.training import load_trained_agent
from artwork_env.experiments.vocabulary import EVAL_SEED
from artwork_env.model.rewards import slot_gain


def priced_returns(agent, env, price: float, exact: bool) -> tuple[np.ndarray, float]:
    """(members,) return per lifetime of the held-out members under the priced rows, and
    the expected reward per visit as a share of the myopic oracle's on the same pages."""
    obs, info = env.reset(seed=EVAL_SEED)
    n = env.num_envs
    start, active, total = np.ones(n, bool), np.ones(n, bool), np.zeros(n)
    expected = oracle = 0.0
    while active.any():
        agent_obs = agent_observation(obs, info, start)
        page = env.sim.page_model()
        if exact:
            click = page.click.mean(axis=2)
            gains = slot_gain(env.config.reward, env.config.bounce_penalty, click, page.play)
        else:
            gains = agent.gains(agent_obs)
            click = agent.member_probabilities(agent_obs)[0].mean(axis=0)
        left = np.maximum(env.config.n_visits - env.sim.state.visit.astype(np.float64) - 1.0, 0.0)
        score = gains - price * left[:, None, None] * click * page.misrepresentation
        obs, _, terminated, truncated, info = env.step(
            masked_argmax(score, agent_obs["action_mask"] > 0))
        total += info["expected_reward"] * active
        expected += float(info["expected_reward"][active].sum())
        oracle += float(info["oracle_expected_reward"][active].sum())
        start = terminated | truncated
        active &= ~start
    return total, expected / oracle


def main() -> None:
    """Print, per run and for the exact gains, the return of each price."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", help="run directories of scripts/train.py")
    parser.add_argument("--members", type=int, default=4000)
    parser.add_argument("--prices", type=float, nargs="+", default=[0.0, 0.1, 0.2, 0.3])
    args = parser.parse_args()
    print("| model | price s | return [+- 1.96 se] | vs s = 0, paired % [95 %] "
          "| per visit, share of the oracle's |")
    print("|---|---:|---:|---:|---:|")
    for index, run in enumerate(args.runs):
        agent, config = load_trained_agent(run)
        env = make_vector(config.env_id, args.members, **config.env_kwargs)
        agent.attach(env)
        models = [(f"{config.agent} seed {config.seed}", False)]
        if index == 0:
            models.append(("exact gains", True))
        for label, exact in models:
            base = None
            for price in args.prices:
                returns, per_visit = priced_returns(agent, env, price, exact)
                if base is None:
                    base = returns
                change = 100.0 * (returns - base) / base.mean()
                half = 1.96 * change.std(ddof=1) / np.sqrt(len(change)) if price else 0.0
                print(f"| {label} | {price:g} | {returns.mean():.3f} "
                      f"[+- {1.96 * returns.std(ddof=1) / np.sqrt(len(returns)):.3f}] | "
                      f"{change.mean():+.1f} [+- {half:.1f}] | {per_visit:.3f} |", flush=True)


if __name__ == "__main__":
    main()
