"""A features extractor for SB3 policies that scores every candidate artwork with one shared
network, instead of flattening the page into one long vector.

Each candidate (slot k, artwork m) is described by [member features, the title's
features, the artwork's features]; one MLP, shared by all K x M candidates, maps that to a
score and an embedding. The extractor outputs the K x M scores (the action head turns them
into the MultiDiscrete logits) and the mean embedding (for the value head). For the
slot-by-slot DQN observation (`slot`, `chosen` keys) it outputs the current slot's M
scores instead, so the Q head reads them directly. Weight sharing across slots and
artworks is what lets PPO learn from tens of thousands of visits rather than millions.

When the observation holds `title_ids` (`ArtworkSB3VecEnv(title_ids=True)`), each
candidate also gets a learned embedding of its (title, artwork) arm: an image's own appeal
is not in its visible features, and the linear bandits' per-arm intercepts show how much it
is worth (the best non-personalised artwork per title alone reaches 82 % of the oracle).
When it holds `features` (`artwork_env.agents.deep.feature_obs`), the linear bandits'
feature map of each candidate joins its columns. With `interaction_rank` > 0 (`--grid
agent.interaction_rank=16` for any deep agent; off by default) each score adds the factored
bandit's two towers (`artwork_env.agents.modules.TwoTowers`): a member embedding dotted with
an embedding of the candidate's title and artwork columns.
"""

from __future__ import annotations

import torch
from gymnasium import spaces
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor, MlpExtractor
from torch import nn

from artwork_env.agents.modules import TwoTowers


class CandidateScorer(BaseFeaturesExtractor):
    """Shared per-candidate MLP over the page observation (see the module docstring)."""

    def __init__(self, observation_space: spaces.Dict, hidden: int = 64,
                 arm_dim: int = 8, interaction_rank: int = 0) -> None:
        if interaction_rank < 0:
            raise ValueError(f"interaction_rank must be >= 0, got {interaction_rank!r}")
        n_slots, n_artworks = observation_space["action_mask"].shape
        self.slot_mode = "slot" in observation_space.spaces
        width = n_artworks if self.slot_mode else n_slots * n_artworks
        super().__init__(observation_space, features_dim=width + hidden)
        self.arm: nn.Embedding | None = None
        if "title_ids" in observation_space.spaces:
            n_titles = int(observation_space["title_ids"].high.max()) + 1
            self.arm = nn.Embedding(n_titles * n_artworks, arm_dim)
        self.with_features = "features" in observation_space.spaces
        size = (observation_space["member"].shape[0] + observation_space["titles"].shape[1]
                + observation_space["artworks"].shape[2] + (1 if self.slot_mode else 0)
                + (arm_dim if self.arm is not None else 0)
                + (observation_space["features"].shape[2] if self.with_features else 0))
        self.n_slots, self.n_artworks = n_slots, n_artworks
        self.body = nn.Sequential(nn.Linear(size, hidden), nn.ReLU(),
                                  nn.Linear(hidden, hidden), nn.ReLU())
        self.score = nn.Linear(hidden, 1)
        self.towers: TwoTowers | None = None
        if interaction_rank:  # the factored bandit's two towers
            self.towers = TwoTowers(observation_space["member"].shape[0],
                                    observation_space["titles"].shape[1]
                                    + observation_space["artworks"].shape[2],
                                    hidden, interaction_rank)

    def forward(self, obs: dict[str, torch.Tensor]) -> torch.Tensor:
        """(B, width + hidden): candidate scores, then the mean candidate embedding."""
        artworks = obs["artworks"]
        batch, k, m = artworks.shape[:3]
        parts = [obs["member"][:, None, None, :].expand(batch, k, m, -1),
                 obs["titles"][:, :, None, :].expand(batch, k, m, -1), artworks]
        if self.slot_mode:  # was this artwork already chosen for its slot (DQN decisions)?
            parts.append(obs["chosen"].reshape(batch, k, m, 1))
        if self.with_features:  # the linear bandits' crosses (`deep.feature_obs`)
            parts.append(obs["features"])
        if self.arm is not None:  # the (title, artwork) arm's own appeal
            arms = obs["title_ids"].long()[:, :, None] * m + torch.arange(
                m, device=artworks.device)
            parts.append(self.arm(arms))
        embedding = self.body(torch.cat(parts, dim=-1))
        scores = self.score(embedding)[..., 0]  # (B, K, M)
        if self.towers is not None:  # + < g(member), W [title, artwork] >
            scores = scores + self.towers(parts[0], torch.cat(parts[1:3], dim=-1))
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


class LogitsWithMemory(nn.Module):
    """The recurrent action head: the candidate scores times a learned temperature, plus
    a linear function of the LSTM's output (zero at the start, so the policy begins as the
    feed-forward one and learns what memory adds)."""

    def __init__(self, width: int, memory: int) -> None:
        super().__init__()
        self.width = width
        self.temperature = nn.Parameter(torch.ones(1))
        self.memory = nn.Linear(memory, width)
        nn.init.zeros_(self.memory.weight)
        nn.init.zeros_(self.memory.bias)

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        """(B, width) logits from [scores, LSTM output]."""
        return (latent[:, :self.width] * self.temperature
                + self.memory(latent[:, self.width:]))


def scores_past_the_lstm(policy_class: type) -> type:
    """A recurrent (sb3-contrib) policy class whose candidate scores skip the LSTM: the
    latent is [scores, LSTM output] and the action head is `LogitsWithMemory`. Through
    the LSTM alone (sb3-contrib's layout) the scores reached the logits only after the
    LSTM and a hidden layer had relearned them, and the policy stayed near random. The
    critic needs its own LSTM (sb3-contrib's default, `enable_critic_lstm=True`) or the
    shared one: its input passes through `_process_sequence` too."""

    class ScoreRecurrentPolicy(policy_class):  # type: ignore[misc, valid-type]
        def _width(self) -> int:
            return int(sum(self.action_space.nvec))

        def _process_sequence(self, features, lstm_states, episode_starts, lstm):  # noqa: ANN001, ANN202  (sb3-contrib's signature)
            output, states = policy_class._process_sequence(features, lstm_states,
                                                            episode_starts, lstm)
            return torch.cat([features[:, :self._width()], output], dim=1), states

        def _build_mlp_extractor(self) -> None:
            self.mlp_extractor = MlpExtractor(self.lstm_output_dim + self._width(),
                                              net_arch=self.net_arch,
                                              activation_fn=self.activation_fn,
                                              device=self.device)

        def _build(self, lr_schedule) -> None:  # noqa: ANN001  (SB3's signature)
            super()._build(lr_schedule)
            self.action_net = LogitsWithMemory(self._width(), self.lstm_output_dim)

    ScoreRecurrentPolicy.__name__ = ScoreRecurrentPolicy.__qualname__ = \
        f"Score{policy_class.__name__}"
    return ScoreRecurrentPolicy
