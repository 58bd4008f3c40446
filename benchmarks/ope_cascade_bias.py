"""What the bias of per-slot (factorised) off-policy estimates is made of, using ground truth.

    python benchmarks/ope_cascade_bias.py --logs 8 --visits 20000

Per-slot IPS weighs slot k's reward by w_k alone, but slot k is reached only if no quality
play happened left of it, and its click depends on its left neighbour (salience). With the
simulator's exact probability m_j of a quality play at an examined slot j, the survival
ratio R_k = prod_{j<k} (1 - m_j(target row)) / (1 - m_j(logged row)) corrects the first
effect exactly; weighting the left neighbour too (w_{k-1} w_k) corrects the second. This
script logs uniform visits, keeps every member's exact page model, and prints the bias of:

- `slot`: w_k (what replay and per-slot IPS estimate);
- `slot x survival`: w_k R_k (only salience left);
- `pair x survival`: w_{k-1} w_k R_k (unbiased);
- `cascade`: prod_{j<=k} w_j (unbiased, the variance of 1/M^(k+1) matches).

No real log has m_j (the logs do not say which slots a member looked at), so this is a
diagnosis, not an estimator: it says how good a click model must be for a survival-corrected
per-slot estimator to work.
"""

from __future__ import annotations

import argparse

import gymnasium as gym
import numpy as np

import artwork_env  # noqa: F401  (registers the environments)
from artwork_env.agents.base import ProblemSpec
from artwork_env.agents.policies import GreedyPolicy
from artwork_env.agents.registry import make_agent
from artwork_env.envs.env import agent_observation
from artwork_env.experiments.ope_study import online_curve
from artwork_env.model.config import ModelConfig
from artwork_env.model.rng import spawn_seeds
from artwork_env.ope import true_value


def one_log(target: GreedyPolicy, n_visits: int, seed: int) -> dict[str, float]:
    """One uniform log of `n_visits` fresh members: each estimate's value."""
    env = gym.make_vec("ArtworkBandit-v0", num_envs=n_visits,
                       vectorization_mode="vector_entry_point")
    obs, info = env.reset(seed=spawn_seeds(seed, n_visits))
    page = env.unwrapped.sim.page_model()
    n, k, m = page.play.shape
    chosen = target.action_distribution(agent_observation(obs, info)).argmax(axis=2)
    logged = np.random.default_rng(seed).integers(0, m, (n, k))
    _, _, _, _, step = env.step(logged)
    reward = step["plays"] - 0.1 * step["bounces"]
    rows, slots = np.arange(n)[:, None], np.arange(k)[None, :]

    def play_if_examined(row: np.ndarray) -> np.ndarray:
        left = np.zeros_like(row)
        left[:, 1:] = row[:, :-1]
        return page.click[rows, slots, left, row] * page.play[rows, slots, row]

    ratio = (1 - play_if_examined(chosen)) / (1 - play_if_examined(logged))
    survival = np.ones((n, k))
    survival[:, 1:] = np.cumprod(ratio[:, :-1], axis=1)
    w = (chosen == logged) * float(m)
    w_left = np.ones_like(w)
    w_left[:, 1:] = w[:, :-1]
    weights = {"slot": w, "slot x survival": w * survival,
               "pair x survival": w_left * w * survival, "cascade": np.cumprod(w, axis=1)}
    return {name: float((weight * reward).sum(axis=1).mean()) for name, weight in weights.items()}


def main() -> None:
    """Train the target, log, print mean estimate, relative bias and its standard error."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--logs", type=int, default=8)
    parser.add_argument("--visits", type=int, default=20_000)
    args = parser.parse_args()
    spec = ProblemSpec.from_env(gym.make("ArtworkBandit-v0"))
    agent = make_agent("linucb", spec, seed=1)
    online_curve(agent, 20_000, seed=10_001)  # the target of scripts/compare_estimators.py
    target = GreedyPolicy(agent, learn=False)
    truth, truth_se = true_value(target, ModelConfig(n_visits=1))
    print(f"truth {truth:.4f} (SE {truth_se:.4f}); {args.logs} uniform logs of {args.visits:,}")
    runs = [one_log(target, args.visits, seed=50_000 + i) for i in range(args.logs)]
    for name in runs[0]:
        values = np.array([run[name] for run in runs])
        se = values.std(ddof=1) / np.sqrt(len(values))
        print(f"{name:16s} mean {values.mean():.4f}  bias {values.mean() / truth - 1:+.1%} "
              f"(SE {se / truth:.1%})")


if __name__ == "__main__":
    main()
