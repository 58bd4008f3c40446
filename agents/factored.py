"""A neural bandit whose reward model is factored the way the member responds: does the
examined image get the click, and does the click end in a quality play?

Two networks of the neural bandit's shape (`agents.neural.RewardNetwork` on
`candidate_inputs`: the LinUCB feature map, the raw candidate columns and an embedding of
the (title, artwork) arm, plus a per-arm intercept) output logits, and a candidate z of
arm a is scored with its expected slot gain (`artwork_env.rewards.slot_gain`):

    c(z, a) = sigma(f_click(z, a)),    p(z, a) = sigma(f_play(z, a)),
    score   = c (p - bounce_penalty (1 - p))        (reward "quality_play"; c p for
                                                     "play", c for "click")

f_click is fitted by logistic loss on every examined slot's click, f_play on the clicked
slots' quality plays. docs/model.md writes both of the member's probabilities as sigmoids
of the candidate's features (section 4); a slot's realised reward (1, -bounce_penalty or
0) is a rare three-valued outcome, and regressing it by squared error, as the neural
bandit does, throws that shape away. Measured online against LinTS in the README ("How
far the learners get with more visits"), and offline beside the neural bandit's network
on the same random visits by `python benchmarks/noisy_label_fit.py`.

Training replays two buffers: the examined slots (features, arm, click) for the click
network and the clicked ones (features, arm, play) for the play network. Each step is one
batch of examined slots; the play network takes a batch of clicked slots whenever its
credit (the click batches' rows times the clicked rows' share of the examined ones)
reaches a batch, so a clicked row is replayed as often as any examined row. (Replaying
both from one batch gave the play network a step on the ~22 clicked rows of every 512; a
play batch at every step replayed each click about twenty times as often as the rest.)
Exploration is epsilon-greedy per slot: with probability `epsilon` a slot shows a
uniformly random allowed artwork, so every arm keeps being observed whatever the networks
currently believe; `act(explore=False)` is greedy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from agents.base import Agent, Observation, ProblemSpec, slot_feedback
from agents.hyperparams import TunedPerEnv
from agents.linear import arm_ids
from agents.neural import RewardNetwork, candidate_inputs, n_inputs
from agents.replay import ReplayBuffer
from artwork_env.arrays import gather_chosen, masked_argmax, random_allowed
from artwork_env.rewards import slot_gain


class FactoredBanditAgent(TunedPerEnv, Agent):
    """Click and play-given-click networks, scored by the expected slot gain (module doc)."""

    name = "factored_bandit"

    def __init__(self, spec: ProblemSpec, seed: int = 0, hidden: int = 128,
                 learning_rate: float = 3e-4, epsilon: float = 0.3, train_every: int = 8,
                 train_steps: int = 8, batch_size: int = 512, buffer_size: int = 300_000,
                 device: str = "cpu") -> None:
        super().__init__(spec, seed)
        if not 0.0 <= epsilon <= 1.0:
            raise ValueError(f"epsilon must be in [0, 1], got {epsilon!r}")
        for key, value in dict(hidden=hidden, train_every=train_every, train_steps=train_steps,
                               batch_size=batch_size, buffer_size=buffer_size).items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{key} must be a positive integer, got {value!r}")
        torch.manual_seed(seed)
        self.params = dict(hidden=hidden, learning_rate=learning_rate, epsilon=epsilon,
                           train_every=train_every, train_steps=train_steps,
                           batch_size=batch_size, buffer_size=buffer_size)
        self.device = torch.device("cpu" if device == "auto" else device)
        self.n_in = n_inputs(spec)
        n_arms = spec.n_titles * spec.n_artworks
        self.click = RewardNetwork(self.n_in, hidden, n_arms).to(self.device)
        self.play = RewardNetwork(self.n_in, hidden, n_arms).to(self.device)
        self.optimiser = torch.optim.Adam([*self.click.parameters(), *self.play.parameters()],
                                          lr=learning_rate)
        row = ((self.n_in,), np.float32)
        self.examined = ReplayBuffer(buffer_size, features=row, arms=((), np.int64),
                                     clicks=((), np.float32))
        self.clicked = ReplayBuffer(buffer_size, features=row, arms=((), np.int64),
                                    plays=((), np.float32))
        self.play_credit = 0.0
        self.updates = 0

    def hyperparameters(self) -> dict[str, Any]:
        """Network, training and exploration settings."""
        return dict(self.params)

    # ---------------------------------------------------------------- model
    def gains(self, obs: Observation) -> np.ndarray:
        """(N, K, M) expected slot gain of every candidate under the current networks."""
        n, n_slots, n_art = obs["action_mask"].shape
        x = torch.as_tensor(candidate_inputs(self.spec, obs).reshape(-1, self.n_in),
                            device=self.device)
        arms = torch.as_tensor(arm_ids(obs["title_ids"], n_art).reshape(-1), device=self.device)
        with torch.no_grad():
            click = torch.sigmoid(self.click(x, arms)).cpu().numpy()
            play = torch.sigmoid(self.play(x, arms)).cpu().numpy()
        gain = slot_gain(self.spec.reward, self.spec.bounce_penalty, click, play)
        return gain.reshape(n, n_slots, n_art)

    def click_loss(self, rows: np.ndarray) -> torch.Tensor:
        """Mean logistic loss of the click network on rows of the examined buffer."""
        batch = self.examined.tensors(rows, self.device)
        return nn.functional.binary_cross_entropy_with_logits(
            self.click(batch["features"], batch["arms"]), batch["clicks"])

    def play_loss(self, rows: np.ndarray) -> torch.Tensor:
        """Mean logistic loss of the play network on rows of the clicked buffer."""
        batch = self.clicked.tensors(rows, self.device)
        return nn.functional.binary_cross_entropy_with_logits(
            self.play(batch["features"], batch["arms"]), batch["plays"])

    def _step(self, loss: torch.Tensor) -> None:
        """One Adam step on `loss` (only the network it depends on moves)."""
        self.optimiser.zero_grad()
        loss.backward()
        self.optimiser.step()

    def _train(self) -> None:
        """`train_steps` click batches drawn uniformly from the examined buffer, and play
        batches from the clicked buffer at the rate that replays each row as often."""
        size = self.params["batch_size"]
        for _ in range(self.params["train_steps"]):
            rows = min(size, self.examined.size)
            self._step(self.click_loss(self.rng.integers(0, self.examined.size, rows)))
            self.play_credit += rows * self.clicked.size / self.examined.size
            play_rows = min(size, self.clicked.size)
            while play_rows and self.play_credit >= play_rows:
                self._step(self.play_loss(self.rng.integers(0, self.clicked.size, play_rows)))
                self.play_credit -= play_rows

    # ---------------------------------------------------------------- agent
    def act(self, obs: Observation, explore: bool = True) -> np.ndarray:
        """The highest expected gain per slot; exploring, each slot is a uniformly random
        allowed artwork with probability epsilon."""
        mask = obs["action_mask"]
        best = masked_argmax(self.gains(obs), mask)
        if not explore or self.params["epsilon"] == 0.0:
            return best
        explored = self.rng.random(best.shape) < self.params["epsilon"]
        return np.where(explored, random_allowed(self.rng, mask > 0), best)

    def update(self, obs: Observation, actions: np.ndarray, reward: np.ndarray,
               info: dict[str, Any]) -> None:
        """Store every examined slot's click and play; train every `train_every` updates."""
        _, seen = slot_feedback(self.spec, info)
        features = gather_chosen(candidate_inputs(self.spec, obs), actions)
        arms = gather_chosen(arm_ids(obs["title_ids"], self.spec.n_artworks), actions)
        clicks = np.asarray(info["clicks"], dtype=bool)
        self.examined.push(features=features[seen], arms=arms[seen], clicks=clicks[seen])
        clicked = seen & clicks
        self.clicked.push(features=features[clicked], arms=arms[clicked],
                          plays=np.asarray(info["plays"], dtype=bool)[clicked])
        self.updates += 1
        if self.updates % self.params["train_every"] == 0 and self.examined.size:
            self._train()

    def state_arrays(self) -> dict[str, np.ndarray]:
        """Both networks' weights, the filled part of both buffers and the counters (like
        the neural bandit, not the optimiser's moments)."""
        weights = {f"{name}.{key}": value.cpu().numpy()
                   for name, net in (("click", self.click), ("play", self.play))
                   for key, value in net.state_dict().items()}
        buffers = {f"{name}_{column}": values for name, buffer in self._buffers()
                   for column, values in buffer.filled().items()}
        positions = {f"{name}_size_and_cursor": np.array([buffer.size, buffer.cursor])
                     for name, buffer in self._buffers()}
        return {**weights, **buffers, **positions, "updates": np.array(self.updates),
                "play_credit": np.array(self.play_credit)}

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Restore both networks, both buffers and the counters."""
        for name, net in (("click", self.click), ("play", self.play)):
            prefix = f"{name}."
            net.load_state_dict({key[len(prefix):]: torch.as_tensor(value)
                                 for key, value in arrays.items() if key.startswith(prefix)})
        for name, buffer in self._buffers():
            size, cursor = arrays[f"{name}_size_and_cursor"]
            buffer.restore(size, cursor, {column: arrays[f"{name}_{column}"]
                                          for column in buffer.columns})
        self.updates, self.play_credit = int(arrays["updates"]), float(arrays["play_credit"])

    def _buffers(self) -> tuple[tuple[str, ReplayBuffer], ...]:
        """The two buffers by the name their arrays are saved under."""
        return (("examined", self.examined), ("clicked", self.clicked))
