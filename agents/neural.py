"""A neural contextual bandit: neural-linear Thompson sampling (Riquelme et al., 2018).

The reward model of a candidate is a small torch network over the same per-candidate
features as LinUCB (`agents.features`): an MLP embedding phi(z), a linear last layer w,
and a per-(title, artwork) intercept b_a (the image's own appeal):

    r = w . phi(z) + b_a + noise.

Exploration is Thompson sampling on the last layer: with the network fixed, w has an exact
Gaussian posterior (Bayesian linear regression on the embeddings of the most recent
observations), and each member's page is scored with its own draw of w. Why this one:
in Riquelme et al.'s "Deep Bayesian Bandits Showdown" the neural-linear posterior was
among the most reliable methods across problems, at the cost of one forward pass;
bootstrapped heads multiply that cost by the number of heads, and dropout's uncertainty
was poorly calibrated there.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from agents.base import Agent, Observation, ProblemSpec, slot_feedback
from agents.features import candidate_features, n_features
from agents.hyperparams import TunedPerEnv
from agents.linear import arm_ids
from artwork_env.arrays import gather_chosen, masked_argmax


class RewardNetwork(nn.Module):
    """phi: features -> embedding; `head` is the last layer w; `intercept` is b_a."""

    def __init__(self, n_in: int, hidden: int, n_arms: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(),
                                  nn.Linear(hidden, hidden), nn.ReLU())
        self.head = nn.Linear(hidden, 1, bias=False)
        self.intercept = nn.Embedding(n_arms, 1)
        nn.init.zeros_(self.intercept.weight)

    def forward(self, features: torch.Tensor, arms: torch.Tensor) -> torch.Tensor:
        """Predicted reward of each (features, arm) row."""
        return self.head(self.body(features))[:, 0] + self.intercept(arms)[:, 0]


class NeuralBanditAgent(TunedPerEnv, Agent):
    """Neural-linear Thompson sampling over the LinUCB feature map (see the module doc)."""

    name = "neural_bandit"

    def __init__(self, spec: ProblemSpec, seed: int = 0, hidden: int = 64,
                 learning_rate: float = 3e-3, train_every: int = 4, train_steps: int = 4,
                 batch_size: int = 512, buffer_size: int = 50_000,
                 posterior_window: int = 20_000, ridge: float = 1.0, scale: float = 0.2,
                 device: str = "cpu") -> None:
        super().__init__(spec, seed)
        torch.manual_seed(seed)
        self.params = dict(hidden=hidden, learning_rate=learning_rate, train_every=train_every,
                           train_steps=train_steps, batch_size=batch_size,
                           buffer_size=buffer_size, posterior_window=posterior_window,
                           ridge=ridge, scale=scale)
        self.device = torch.device("cpu" if device == "auto" else device)
        self.n_in = n_features(spec)
        self.net = RewardNetwork(self.n_in, hidden, spec.n_titles * spec.n_artworks).to(
            self.device)
        self.optimiser = torch.optim.Adam(self.net.parameters(), lr=learning_rate)
        self.buffer_features = np.zeros((buffer_size, self.n_in), dtype=np.float32)
        self.buffer_arms = np.zeros(buffer_size, dtype=np.int64)
        self.buffer_targets = np.zeros(buffer_size, dtype=np.float32)
        self.size = self.cursor = self.updates = 0
        self._fit_posterior()

    def hyperparameters(self) -> dict[str, Any]:
        """Network, training and posterior settings."""
        return dict(self.params)

    # ---------------------------------------------------------------- model
    def _embed(self, features: np.ndarray, arms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Embeddings phi (P, h) and intercepts b_a (P,) for flat candidates."""
        with torch.no_grad():
            x = torch.as_tensor(features, dtype=torch.float32, device=self.device)
            a = torch.as_tensor(arms, device=self.device)
            return (self.net.body(x).cpu().numpy().astype(np.float64),
                    self.net.intercept(a)[:, 0].cpu().numpy().astype(np.float64))

    def _fit_posterior(self) -> None:
        """Bayesian linear regression of (target - b_a) on phi over the recent window."""
        hidden, ridge = self.params["hidden"], self.params["ridge"]
        recent = self._recent(self.params["posterior_window"])
        precision = ridge * np.eye(hidden)
        moment = np.zeros(hidden)
        if recent.size:
            phi, intercept = self._embed(self.buffer_features[recent], self.buffer_arms[recent])
            precision += phi.T @ phi
            moment += phi.T @ (self.buffer_targets[recent] - intercept)
        self.covariance = np.linalg.inv(precision)
        self.mean = self.covariance @ moment
        self.factor = np.linalg.cholesky((self.covariance + self.covariance.T) / 2)

    def _recent(self, count: int) -> np.ndarray:
        count = min(count, self.size)
        return (self.cursor - 1 - np.arange(count)) % self.params["buffer_size"]

    def _train(self) -> None:
        """A few minibatch steps of mean squared error on the replay buffer."""
        for _ in range(self.params["train_steps"]):
            pick = self.rng.integers(0, self.size, min(self.params["batch_size"], self.size))
            x = torch.as_tensor(self.buffer_features[pick], device=self.device)
            a = torch.as_tensor(self.buffer_arms[pick], device=self.device)
            y = torch.as_tensor(self.buffer_targets[pick], device=self.device)
            loss = torch.mean((self.net(x, a) - y) ** 2)
            self.optimiser.zero_grad()
            loss.backward()
            self.optimiser.step()

    # ---------------------------------------------------------------- agent
    def act(self, obs: Observation, explore: bool = True) -> np.ndarray:
        """Score every candidate with a posterior draw of w per member (greedy: the mean)."""
        n, n_slots, n_art = obs["action_mask"].shape
        features = candidate_features(self.spec, obs).reshape(-1, self.n_in)
        arms = arm_ids(obs["title_ids"], n_art).reshape(-1)
        phi, intercept = self._embed(features, arms)
        phi = phi.reshape(n, n_slots * n_art, -1)
        if explore:
            draws = self.rng.standard_normal((n, len(self.mean)))
            w = self.mean + self.params["scale"] * draws @ self.factor.T  # (N, h)
        else:
            w = np.broadcast_to(self.mean, (n, len(self.mean)))
        scores = np.einsum("nch,nh->nc", phi, w) + intercept.reshape(n, -1)
        return masked_argmax(scores.reshape(n, n_slots, n_art), obs["action_mask"])

    def update(self, obs: Observation, actions: np.ndarray, reward: np.ndarray,
               info: dict[str, Any]) -> None:
        """Store the observed slots; train and refit the posterior every `train_every`."""
        target, observed = slot_feedback(self.spec, info)
        features = candidate_features(self.spec, obs)
        chosen = gather_chosen(features, actions)
        arms = gather_chosen(arm_ids(obs["title_ids"], self.spec.n_artworks), actions)
        rows = (self.cursor + np.arange(observed.sum())) % self.params["buffer_size"]
        self.buffer_features[rows] = chosen[observed]
        self.buffer_arms[rows] = arms[observed]
        self.buffer_targets[rows] = target[observed]
        self.cursor = int((self.cursor + len(rows)) % self.params["buffer_size"])
        self.size = min(self.size + len(rows), self.params["buffer_size"])
        self.updates += 1
        if self.updates % self.params["train_every"] == 0:
            self._train()
            self._fit_posterior()

    def state_arrays(self) -> dict[str, np.ndarray]:
        """Network weights, replay buffer and counters."""
        weights = {f"net.{k}": v.cpu().numpy() for k, v in self.net.state_dict().items()}
        return {**weights, "buffer_features": self.buffer_features,
                "buffer_arms": self.buffer_arms, "buffer_targets": self.buffer_targets,
                "counters": np.array([self.size, self.cursor, self.updates]),
                "posterior_mean": self.mean, "posterior_covariance": self.covariance}

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Restore the network, the buffer and the posterior."""
        self.net.load_state_dict({k[4:]: torch.as_tensor(v) for k, v in arrays.items()
                                  if k.startswith("net.")})
        self.buffer_features = arrays["buffer_features"]
        self.buffer_arms = arrays["buffer_arms"]
        self.buffer_targets = arrays["buffer_targets"]
        self.size, self.cursor, self.updates = (int(v) for v in arrays["counters"])
        self.mean, self.covariance = arrays["posterior_mean"], arrays["posterior_covariance"]
        self.factor = np.linalg.cholesky((self.covariance + self.covariance.T) / 2)
