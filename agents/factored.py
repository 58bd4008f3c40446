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
far the learners get with more visits"); `python benchmarks/noisy_label_fit.py` fits the
same networks offline beside the neural bandit's (with its learning rate, 1e-3, they fall
below it there).

Training replays uniformly from a buffer of examined slots: each step draws one batch, the
click loss over all its rows and the play loss over its clicked rows, so a row's two
labels are replayed equally often. (A buffer of clicked rows of its own, sampled in equal
batches, replayed each click about twenty times as often as the rest, and scored lower in
trial runs.)
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
        self.buffer_features = np.zeros((buffer_size, self.n_in), dtype=np.float32)
        self.buffer_arms = np.zeros(buffer_size, dtype=np.int64)
        self.buffer_clicks = np.zeros(buffer_size, dtype=np.float32)
        self.buffer_plays = np.zeros(buffer_size, dtype=np.float32)
        self.size = self.cursor = self.updates = 0

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

    def loss(self, rows: np.ndarray) -> torch.Tensor:
        """The training loss on buffer rows: the click loss over all of them plus the play
        loss over the clicked ones (each a mean of logistic losses)."""
        bce = nn.functional.binary_cross_entropy_with_logits
        x = torch.as_tensor(self.buffer_features[rows], device=self.device)
        arms = torch.as_tensor(self.buffer_arms[rows], device=self.device)
        clicks = torch.as_tensor(self.buffer_clicks[rows], device=self.device)
        loss = bce(self.click(x, arms), clicks)
        clicked = clicks > 0.5
        if bool(clicked.any()):
            plays = torch.as_tensor(self.buffer_plays[rows], device=self.device)
            loss = loss + bce(self.play(x[clicked], arms[clicked]), plays[clicked])
        return loss

    def _train(self) -> None:
        """`train_steps` Adam steps, each on a batch drawn uniformly from the buffer."""
        for _ in range(self.params["train_steps"]):
            loss = self.loss(self.rng.integers(0, self.size,
                                               min(self.params["batch_size"], self.size)))
            self.optimiser.zero_grad()
            loss.backward()
            self.optimiser.step()

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
        rows = (self.cursor + np.arange(seen.sum())) % self.params["buffer_size"]
        self.buffer_features[rows] = gather_chosen(candidate_inputs(self.spec, obs),
                                                   actions)[seen]
        self.buffer_arms[rows] = gather_chosen(arm_ids(obs["title_ids"], self.spec.n_artworks),
                                               actions)[seen]
        self.buffer_clicks[rows] = np.asarray(info["clicks"], dtype=bool)[seen]
        self.buffer_plays[rows] = np.asarray(info["plays"], dtype=bool)[seen]
        self.cursor = int((self.cursor + len(rows)) % self.params["buffer_size"])
        self.size = min(self.size + len(rows), self.params["buffer_size"])
        self.updates += 1
        if self.updates % self.params["train_every"] == 0 and self.size:
            self._train()

    def state_arrays(self) -> dict[str, np.ndarray]:
        """Both networks' weights, the filled part of the buffer and the counters (like the
        neural bandit, not the optimiser's moments)."""
        weights = {f"{name}.{key}": value.cpu().numpy()
                   for name, net in (("click", self.click), ("play", self.play))
                   for key, value in net.state_dict().items()}
        used = slice(0, self.size)
        return {**weights, "buffer_features": self.buffer_features[used],
                "buffer_arms": self.buffer_arms[used],
                "buffer_clicks": self.buffer_clicks[used],
                "buffer_plays": self.buffer_plays[used],
                "counters": np.array([self.size, self.cursor, self.updates])}

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Restore both networks, the buffer and the counters."""
        for name, net in (("click", self.click), ("play", self.play)):
            prefix = f"{name}."
            net.load_state_dict({key[len(prefix):]: torch.as_tensor(value)
                                 for key, value in arrays.items() if key.startswith(prefix)})
        self.size, self.cursor, self.updates = (int(v) for v in arrays["counters"])
        for key in ("features", "arms", "clicks", "plays"):
            getattr(self, f"buffer_{key}")[:self.size] = arrays[f"buffer_{key}"]
