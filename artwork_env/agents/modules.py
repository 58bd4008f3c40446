"""The torch modules and network inputs both agent families share: the neural bandits'
reward networks (`neural_bandit`, `factored_bandit`, `ltv`, `ceiling`) and the deep RL
agents' candidate scorer (`artwork_env.agents.deep.networks`) import them from here."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from artwork_env.agents.base import Observation, ProblemSpec
from artwork_env.agents.features import candidate_features, n_features
from artwork_env.model.layout import Columns


class RewardNetwork(nn.Module):
    """phi: (inputs, arm embedding) -> embedding; `head` is the last layer w; `intercept`
    is b_a."""

    def __init__(self, n_in: int, hidden: int, n_arms: int, arm_dim: int = 8) -> None:
        super().__init__()
        self.arm = nn.Embedding(n_arms, arm_dim)
        self.layers = nn.Sequential(nn.Linear(n_in + arm_dim, hidden), nn.ReLU(),
                                    nn.Linear(hidden, hidden), nn.ReLU())
        self.head = nn.Linear(hidden, 1, bias=False)
        self.intercept = nn.Embedding(n_arms, 1)
        nn.init.zeros_(self.intercept.weight)

    def body(self, inputs: torch.Tensor, arms: torch.Tensor) -> torch.Tensor:
        """phi of each (inputs, arm) row."""
        return self.layers(torch.cat([inputs, self.arm(arms)], dim=1))

    def forward(self, inputs: torch.Tensor, arms: torch.Tensor) -> torch.Tensor:
        """Predicted reward of each (inputs, arm) row."""
        return self.head(self.body(inputs, arms))[:, 0] + self.intercept(arms)[:, 0]


class TwoTowers(nn.Module):
    """The two-tower dot product of recommender systems (Covington et al., RecSys 2016; Yi
    et al., RecSys 2019): < g(member), W item >, g an MLP of the member's observation
    columns to `rank` dimensions (the member tower), W a linear map of a candidate's title
    and artwork columns to the same dimensions (the item tower). It is the shape of the
    image's uplift in docs/model.md, section 4 (the member's taste for the artwork's theme,
    face and visual attributes, a member vector read at the artwork's one-hots and
    attributes), so what one title's images teach carries to every title's."""

    def __init__(self, member_width: int, item_width: int, hidden: int, rank: int) -> None:
        super().__init__()
        self.member = nn.Sequential(nn.Linear(member_width, hidden), nn.ReLU(),
                                    nn.Linear(hidden, rank))
        self.item = nn.Linear(item_width, rank, bias=False)

    def forward(self, member: torch.Tensor, item: torch.Tensor) -> torch.Tensor:
        """The dot product over the last axis, member and item rows broadcast."""
        return (self.member(member) * self.item(item)).sum(dim=-1)


def candidate_inputs(spec: ProblemSpec, obs: Observation) -> np.ndarray:
    """(N, K, M, d) float32 network inputs of every candidate: the LinUCB features, then
    the raw member, title and artwork columns of the observation."""
    features = candidate_features(spec, obs)
    n, k, m, _ = features.shape
    member, titles = np.asarray(obs["member"]), np.asarray(obs["titles"])
    return np.concatenate([
        features.astype(np.float32),
        np.broadcast_to(member[:, None, None, :], (n, k, m, member.shape[-1])),
        np.broadcast_to(titles[:, :, None, :], (n, k, m, titles.shape[-1])),
        np.asarray(obs["artworks"])], axis=-1, dtype=np.float32)


def input_columns(spec: ProblemSpec) -> Columns:
    """The named column blocks of `candidate_inputs`' last axis, in order."""
    lay = spec.layout
    return Columns(("features", "member", "titles", "artworks"),
                   (n_features(spec), lay.member.width, lay.title.width, lay.artwork.width))


def n_inputs(spec: ProblemSpec) -> int:
    """Length of `candidate_inputs`' last axis."""
    return input_columns(spec).width
