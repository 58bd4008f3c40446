"""How much of the oracle a learner can reach from V visits of feedback, whatever it
explores: the neural bandit's network and LinTS fitted offline on the slot feedback of V
uniformly random visits (every arm covered evenly), then evaluated greedily like any
agent.

    python benchmarks/noisy_label_fit.py [--visits 200000] [--epochs 8] [--seed 0]

The labels are what a bandit learns from: the per-slot share of the drawn reward on the
slots the member examined (`agents.base.slot_feedback`), noisy Bernoulli outcomes. The
`ceiling` fits the same network shape on *exact* expected gains; the difference between
the two is what the noise of V visits costs.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from agents.base import ProblemSpec, slot_feedback
from agents.linear import arm_ids
from agents.neural import NeuralBanditAgent, candidate_inputs
from agents.registry import make_agent
from artwork_env.arrays import gather_chosen, random_allowed
from artwork_env.env import agent_observation
from artwork_env.vector_env import make_vector
from experiments.evaluation import evaluate

BATCH_MEMBERS = 1_000
FIT_SEED = 10_000  # the logged members: apart from training (0-199) and held-out seeds


def main() -> None:
    """Log V random visits, fit both models on them, print each one's % of the oracle."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visits", type=int, default=200_000)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval-members", type=int, default=2_000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    env = make_vector("ArtworkBandit-v0", BATCH_MEMBERS)
    spec = ProblemSpec.from_env(env)
    neural = NeuralBanditAgent(spec, seed=args.seed)
    linear = make_agent("lints", spec, seed=args.seed)
    gen = np.random.default_rng(args.seed)
    inputs, arms, targets = [], [], []
    obs, info = env.reset(seed=FIT_SEED + args.seed * 1_000_000)
    for _ in range(args.visits // BATCH_MEMBERS):
        seen = agent_observation(obs, info)
        actions = random_allowed(gen, seen["action_mask"] > 0)
        obs, reward, _, _, info = env.step(actions)
        target, observed = slot_feedback(spec, info)
        inputs.append(gather_chosen(candidate_inputs(spec, seen), actions)[observed])
        arms.append(gather_chosen(arm_ids(seen["title_ids"], spec.n_artworks),
                                  actions)[observed])
        targets.append(target[observed])
        linear.update(seen, actions, reward, info)
    x, a = torch.as_tensor(np.concatenate(inputs)), torch.as_tensor(np.concatenate(arms))
    y = torch.as_tensor(np.concatenate(targets), dtype=torch.float32)
    print(f"{args.visits:,} random visits: {len(y):,} slot labels")
    held_out = make_vector("ArtworkBandit-v0", args.eval_members)
    optimiser = torch.optim.Adam(neural.net.parameters(), lr=1e-3)
    order = torch.Generator().manual_seed(args.seed)
    for epoch in range(1, args.epochs + 1):
        for batch in torch.randperm(len(y), generator=order).split(512):
            loss = ((neural.net(x[batch], a[batch]) - y[batch]) ** 2).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        neural.mean = neural.net.head.weight.detach().numpy()[0].astype(np.float64)
        if epoch % 2 == 0:
            score = evaluate(neural, held_out)["eval/pct_of_oracle"]
            print(f"neural_bandit network, epoch {epoch}: {score:.1f} % of the oracle")
    print(f"lints on the same visits: {evaluate(linear, held_out)['eval/pct_of_oracle']:.1f} "
          "% of the oracle")


if __name__ == "__main__":
    main()
