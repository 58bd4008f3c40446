"""How much of the oracle a learner can reach from V visits of feedback, whatever it
explores: the neural bandit's network, the factored bandit's two networks and LinTS fitted
offline on the slot feedback of V uniformly random visits (every arm covered evenly), then
evaluated greedily like any agent.

    python benchmarks/noisy_label_fit.py [--visits 200000] [--epochs 8] [--seed 0]
                                         [--ensemble 1] [--interaction-rank R]
                                         [--eval-members 2000]

The labels are what a bandit learns from: the per-slot share of the drawn reward on the
slots the member examined (`artwork_env.agents.base.slot_feedback`), noisy Bernoulli outcomes. The
`ceiling` fits the same network shape on *exact* expected gains; the difference between the
two is what the noise of V visits costs. The neural bandit regresses each slot's reward; the
factored bandit (`artwork_env.agents.neural.factored`) fits the same visits' clicks (every
examined slot) and plays (the clicked slots) by logistic loss, with the same optimiser,
batch size and epochs: each epoch one pass over each. By default it fits one pair of
networks, as the neural bandit has one network; `--ensemble E` fits the agent's ensemble
of E pairs, member i reading each batch through a fixed permutation of its own (its own
order of the rows). `--interaction-rank 0` fits the factored bandit's networks without
their two towers (`artwork_env.agents.neural.factored.TwoTowerNetwork`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from artwork_env.agents.base import Agent, ProblemSpec
from artwork_env.agents.neural.bandit import NeuralBanditAgent
from artwork_env.agents.neural.factored import FactoredBanditAgent
from artwork_env.agents.registry import make_agent
from artwork_env.arrays import random_allowed
from artwork_env.envs.env import agent_observation
from artwork_env.envs.vector_env import make_vector
from artwork_env.experiments.evaluation import evaluate

BATCH_MEMBERS = 1_000
FIT_SEED = 10_000  # the logged members: apart from training (0-199) and held-out seeds


Part = tuple[int, Callable[[torch.Tensor], torch.Tensor]]
"""A training set of a fit: its number of rows and the loss on a batch of them."""


def fit(name: str, agent: Agent, parameters: list[torch.nn.Parameter], parts: list[Part],
        args: argparse.Namespace, held_out: Any,
        after_epoch: Callable[[], None] = lambda: None) -> None:
    """Adam (learning rate 1e-3) over `args.epochs` epochs, each a shuffled pass over
    every part in 512-row batches; print the agent's greedy % of the oracle every second
    epoch."""
    optimiser = torch.optim.Adam(parameters, lr=1e-3)
    order = torch.Generator().manual_seed(args.seed)
    for epoch in range(1, args.epochs + 1):
        for n_rows, loss_of in parts:
            for batch in torch.randperm(n_rows, generator=order).split(512):
                loss = loss_of(batch)
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
        after_epoch()
        if epoch % 2 == 0:
            score = evaluate(agent, held_out)["eval/pct_of_oracle"]
            print(f"{name}, epoch {epoch}: {score:.1f} % of the oracle")


def main() -> None:
    """Log V random visits, fit the three models on them, print each one's % of the oracle."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visits", type=int, default=200_000)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval-members", type=int, default=2_000)
    parser.add_argument("--ensemble", type=int, default=1)
    parser.add_argument("--interaction-rank", type=int, default=None,
                        help="the factored bandit's two-tower rank (default: the agent's; "
                             "0: none)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    env = make_vector("ArtworkBandit-v0", BATCH_MEMBERS)
    spec = ProblemSpec.from_env(env)
    every_slot = dict(train_every=2**62, buffer_size=args.visits * spec.n_slots)  # fit below
    neural = NeuralBanditAgent(spec, seed=args.seed, **every_slot)
    if args.interaction_rank is not None:
        every_slot["interaction_rank"] = args.interaction_rank
    factored = FactoredBanditAgent(spec, seed=args.seed, ensemble=args.ensemble, **every_slot)
    linear = make_agent("lints", spec, seed=args.seed)
    gen = np.random.default_rng(args.seed)
    obs, info = env.reset(seed=FIT_SEED + args.seed * 1_000_000)
    for _ in range(args.visits // BATCH_MEMBERS):
        seen = agent_observation(obs, info)
        actions = random_allowed(gen, seen["action_mask"] > 0)
        obs, reward, _, _, info = env.step(actions)
        for agent in (neural, factored, linear):  # each stores the visit its own way
            agent.update(seen, actions, reward, info)
    print(f"{args.visits:,} random visits: {neural.buffer.size:,} slot labels")
    held_out = make_vector("ArtworkBandit-v0", args.eval_members)

    def neural_loss(rows: torch.Tensor) -> torch.Tensor:
        batch = neural.buffer.tensors(rows.numpy(), neural.device)
        return ((neural.net(batch["features"], batch["arms"]) - batch["targets"]) ** 2).mean()

    def neural_head() -> None:  # act with the trained head
        neural.mean = neural.net.head.weight.detach().numpy()[0].astype(np.float64)

    fit("neural_bandit network", neural, list(neural.net.parameters()),
        [(neural.buffer.size, neural_loss)], args, held_out, neural_head)
    def own_orders(n_rows: int) -> Callable[[torch.Tensor], np.ndarray]:
        """Batch indices -> (E, batch) rows: member 0 reads them as they are, member i
        through a fixed permutation of the rows of its own."""
        perms = [np.arange(n_rows)] + [gen.permutation(n_rows) for _ in range(args.ensemble - 1)]
        return lambda rows: np.stack([perm[rows.numpy()] for perm in perms])

    click_rows, play_rows = own_orders(factored.examined.size), own_orders(factored.clicked.size)
    fit(f"factored_bandit networks ({args.ensemble} pair(s))", factored,
        list(factored.members.parameters()),
        [(factored.examined.size, lambda rows: factored.click_loss(click_rows(rows))),
         (factored.clicked.size, lambda rows: factored.play_loss(play_rows(rows)))],
        args, held_out)
    print(f"lints on the same visits: {evaluate(linear, held_out)['eval/pct_of_oracle']:.1f} "
          "% of the oracle")


if __name__ == "__main__":
    main()
