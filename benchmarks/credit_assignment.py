"""Why PPO plateaus on the bandit env: one reward per page for six choices, or each slot's
own outcome? The same policy (the deep agents' `CandidateScorer` on the same observation,
a softmax over each slot's scores) trained by a plain policy gradient (REINFORCE, no
critic, no clipping) two ways, on the same members:

- `page`: every slot's choice is credited with the page's reward minus the batch mean
  (what PPO sees with gamma 0: one scalar per page);
- `slot`: each examined slot's choice is credited with its own share of the reward
  (`artwork_env.agents.base.slot_feedback`, what the bandits learn from) minus that slot's batch
  mean.

    python benchmarks/credit_assignment.py [--visits 200000] [--learning-rate 0.001]

Prints the greedy % of the oracle on 2,000 held-out members four times per run. The agent
`slot_ppo` (`artwork_env/agents/deep/slot_ppo.py`) is the `slot` credit inside SB3's PPO.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
import torch

from artwork_env.agents.base import ProblemSpec, slot_feedback
from artwork_env.agents.deep.feature_obs import CandidateFeatureVecEnv, with_features
from artwork_env.agents.deep.networks import CandidateScorer
from artwork_env.envs.sb3 import ArtworkSB3VecEnv
from artwork_env.envs.vector_env import make_vector
from artwork_env.experiments.evaluation import evaluate

MEMBERS = 64  # members per batched step (one gradient step each)
ENTROPY = 0.003  # as the deep agents' ent_coef


class GreedyScorer:
    """The scorer as an agent for `evaluate`: the best-scored artwork of every slot."""

    def __init__(self, scorer: CandidateScorer, env: CandidateFeatureVecEnv) -> None:
        self.scorer, self.env, self.rng = scorer, env, np.random.default_rng(0)

    def attach(self, env: Any) -> None:
        """Nothing to attach."""

    def act(self, obs: dict[str, np.ndarray], explore: bool = False) -> np.ndarray:
        """(N, K) greedy artworks."""
        spaces = self.env.observation_space.spaces
        tensors = {key: torch.as_tensor(np.asarray(value)).float()
                   for key, value in with_features(self.env.spec, obs).items() if key in spaces}
        with torch.no_grad():
            scores = self.scorer(tensors)[:, :spaces["action_mask"].shape[0]
                                          * spaces["action_mask"].shape[1]]
        return scores.reshape(len(scores), *spaces["action_mask"].shape).argmax(-1).numpy()


def train(credit: str, visits: int, learning_rate: float, seed: int) -> None:
    """One REINFORCE run with `credit` ("page" or "slot"), printing its evaluations."""
    torch.manual_seed(seed)
    venv = ArtworkSB3VecEnv("ArtworkBandit-v0", MEMBERS, title_ids=True)
    spec = ProblemSpec.from_env(venv.venv)
    env = CandidateFeatureVecEnv(venv, spec)
    scorer = CandidateScorer(env.observation_space)
    optimiser = torch.optim.Adam(scorer.parameters(), lr=learning_rate)
    held_out = make_vector("ArtworkBandit-v0", 2_000)
    k, m = spec.n_slots, spec.n_artworks
    venv.seed(seed)
    obs = env.reset()
    steps = visits // MEMBERS
    for step in range(1, steps + 1):
        tensors = {key: torch.as_tensor(value).float() for key, value in obs.items()}
        policy = torch.distributions.Categorical(
            logits=scorer(tensors)[:, :k * m].reshape(MEMBERS, k, m))
        actions = policy.sample()
        obs, reward, _, _ = env.step(actions.numpy())
        if credit == "page":
            advantage = torch.as_tensor(reward - reward.mean()).float()[:, None].expand(-1, k)
        else:
            target, observed = slot_feedback(spec, venv.last_info)
            target = torch.as_tensor(target).float()
            seen = torch.as_tensor(observed).float()
            baseline = (target * seen).sum(0) / seen.sum(0).clamp(min=1.0)
            advantage = (target - baseline) * seen
        loss = -(advantage * policy.log_prob(actions)).sum() / MEMBERS \
            - ENTROPY * policy.entropy().sum() / MEMBERS
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        if step % (steps // 4) == 0:
            score = evaluate(GreedyScorer(scorer, env), held_out)["eval/pct_of_oracle"]
            print(f"{credit} credit, {step * MEMBERS:,} visits: {score:.1f} % of the oracle",
                  flush=True)


def main() -> None:
    """Both credits, one after the other."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visits", type=int, default=200_000)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--credit", choices=("page", "slot", "both"), default="both")
    args = parser.parse_args()
    torch.set_num_threads(1)
    for credit in ("page", "slot") if args.credit == "both" else (args.credit,):
        train(credit, args.visits, args.learning_rate, args.seed)


if __name__ == "__main__":
    main()
