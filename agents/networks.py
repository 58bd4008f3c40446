"""A features extractor for SB3 policies that scores every candidate artwork with one shared
network, instead of flattening the page into one long vector.

Each candidate (slot k, artwork m) is described by [member features, the title's
features, the artwork's features]; one MLP, shared by all K x M candidates, maps that to a
score and an embedding. The extractor outputs the K x M scores (the action head turns them
into the MultiDiscrete logits) and the mean embedding (for the value head). For the
slot-by-slot DQN observation (`slot`, `chosen` keys) it outputs the current slot's M
scores instead, so the Q head reads them directly. Weight sharing across slots and
artworks is what lets PPO learn from tens of thousands of visits rather than millions.
"""

from __future__ import annotations

import torch
from gymnasium import spaces
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import nn


class CandidateScorer(BaseFeaturesExtractor):
    """Shared per-candidate MLP over the page observation (see the module docstring)."""

    def __init__(self, observation_space: spaces.Dict, hidden: int = 64) -> None:
        n_slots, n_artworks = observation_space["action_mask"].shape
        self.slot_mode = "slot" in observation_space.spaces
        width = n_artworks if self.slot_mode else n_slots * n_artworks
        super().__init__(observation_space, features_dim=width + hidden)
        size = (observation_space["member"].shape[0] + observation_space["titles"].shape[1]
                + observation_space["artworks"].shape[2] + (1 if self.slot_mode else 0))
        self.n_slots, self.n_artworks = n_slots, n_artworks
        self.body = nn.Sequential(nn.Linear(size, hidden), nn.ReLU(),
                                  nn.Linear(hidden, hidden), nn.ReLU())
        self.score = nn.Linear(hidden, 1)

    def forward(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        """(B, width + hidden): candidate scores, then the mean candidate embedding."""
        artworks = obs["artworks"]
        batch, k, m = artworks.shape[:3]
        parts = [obs["member"][:, None, None, :].expand(batch, k, m, -1),
                 obs["titles"][:, :, None, :].expand(batch, k, m, -1), artworks]
        if self.slot_mode:  # was this artwork already chosen for its slot (DQN decisions)?
            parts.append(obs["chosen"].reshape(batch, k, m, 1))
        embedding = self.body(torch.cat(parts, dim=-1))
        scores = self.score(embedding)[..., 0]  # (B, K, M)
        scores = scores.masked_fill(obs["action_mask"] < 0.5, -10.0)
        if self.slot_mode:
            scores = (scores * obs["slot"][:, :, None]).sum(dim=1)  # the current slot's row
        return torch.cat([scores.reshape(batch, -1), embedding.mean(dim=(1, 2))], dim=1)


class ScoreLogits(nn.Module):
    """The action head that reads the first `width` features (the candidate scores) as the
    MultiDiscrete logits, times a learned temperature."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.width = width
        self.temperature = nn.Parameter(torch.ones(1))

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        """(B, width) logits."""
        return latent[:, :self.width] * self.temperature


def scores_as_logits(policy_class: type) -> type:
    """An actor-critic policy class whose action head is `ScoreLogits` (with `net_arch`
    pi=[] the latent is the features, whose first K x M entries are the scores)."""

    class ScorePolicy(policy_class):  # type: ignore[misc, valid-type]
        def _build(self, lr_schedule) -> None:  # noqa: ANN001  (SB3's signature)
            super()._build(lr_schedule)
            self.action_net = ScoreLogits(int(sum(self.action_space.nvec)))
            self.optimizer = self.optimizer_class(self.parameters(), lr=lr_schedule(1),
                                                  **self.optimizer_kwargs)

    ScorePolicy.__name__ = ScorePolicy.__qualname__ = f"Score{policy_class.__name__}"
    return ScorePolicy
