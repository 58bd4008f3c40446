"""The learnable ceiling: what a large model fitted on ground truth attains from the
observation alone (a cheating reference in how it learns, not in what it sees).

The oracle sees hidden taste; every learner sees only the observation. `ceiling` measures
how much of the oracle the observation allows: before acting it simulates `n_pages` pages
of its env's world (fresh members living their lifetimes under random artwork, from a
stream of their own, never the training or held-out members), labels every candidate
(slot k, artwork a) with its exact expected gain once examined,

    g[k, a] = mean_b c_k(b, a) (p_k(a) - lambda (1 - p_k(a)))

(`rewards.slot_gain`, the left neighbour b averaged out, as in
`artwork_env.reference.best_nonpersonalised_artworks`), and fits one network by least
squares to map [member, title, artwork] observation features plus a learned embedding of
the (title, artwork) arm to g. It then shows the artwork of highest predicted gain in
each slot. Greedy per slot on the *true* gains reaches about 99 % of the oracle, so the
shortfall is the observation's (and the fit's): a lower bound on what is learnable.
`interaction_rank` > 0 adds the factored bandit's two towers
(`artwork_env.agents.modules.TwoTowers`) to the network (off by default: the published
tables were made without them).

On a lifetime the gain above is myopic. With `price` s > 0 the labels are the gains of
the planner's base policy pi_s instead (`artwork_env.planning`): the oracle's surrogate
reward, which charges s x (visits left after this one) x the misrepresentation a click
uncovers (docs/model.md, section 4b),

    g_s[k, a] = g[k, a] - s x (visits left) x mean_b c_k(b, a) x misrep[k, a],

so the lifetime ceiling is what the observation allows of a priced policy: the
misrepresentation is hidden, and the network must predict its price from what the
member and the candidate show (the theme outside the title's genres; the promise gap
only through the viewing history). Its return against the myopic oracle's, beside pi_s's
own and the planner's, says how much of the sequential headroom the observation allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from artwork_env.agents.base import Agent, Observation, ProblemSpec
from artwork_env.agents.config import AgentConfig
from artwork_env.agents.modules import TwoTowers
from artwork_env.arrays import masked_argmax, random_allowed
from artwork_env.compiled.core import ArtworkSimulator
from artwork_env.model import rng
from artwork_env.model.numpy_core import NumpySimulator
from artwork_env.model.rewards import slot_gain
from artwork_env.planning import run_lifetimes
from artwork_env.validation import check_integer, check_positive, check_real

CEILING_STREAM = 7_777_777
"""Seeds the ceiling's simulated members draw from: seed + CEILING_STREAM (apart from the
training members, seeds 0-199, and the held-out ones)."""


class GainRegressor(nn.Module):
    """Predicted gain of every candidate: an MLP on [member, title, artwork] features plus
    an embedding of the (title, artwork) arm."""

    def __init__(self, n_in: int, n_arms: int, hidden: int, arm_dim: int = 8,
                 towers: TwoTowers | None = None) -> None:
        super().__init__()
        self.arm = nn.Embedding(n_arms, arm_dim)
        self.body = nn.Sequential(nn.Linear(n_in + arm_dim, hidden), nn.ReLU(),
                                  nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))
        self.towers = towers

    def forward(self, member: torch.Tensor, titles: torch.Tensor, artworks: torch.Tensor,
                arms: torch.Tensor) -> torch.Tensor:
        """(B, K, M) predicted gains."""
        batch, k, m = artworks.shape[:3]
        parts = [member[:, None, None, :].expand(batch, k, m, -1),
                 titles[:, :, None, :].expand(batch, k, m, -1), artworks, self.arm(arms)]
        gain = self.body(torch.cat(parts, dim=-1))[..., 0]
        if self.towers is not None:  # + < g(member), W [title, artwork] >
            gain = gain + self.towers(parts[0], torch.cat(parts[1:3], dim=-1))
        return gain


@dataclass(frozen=True)
class CeilingConfig(AgentConfig):
    """The ceiling's hyperparameters: its simulated pages and its network's fit."""

    n_pages: int = 40_000
    """simulated pages (members' first visits) labelled with exact gains"""
    hidden: int = 128
    """width of the gain network's hidden layers"""
    epochs: int = 6
    """passes over the pages"""
    batch_size: int = 256
    """pages a gradient step"""
    learning_rate: float = 2e-3
    """Adam's rate"""
    interaction_rank: int = 0
    """rank of the member x candidate two-tower term (0: none)"""
    price: float = 0.0
    """the lifetime price s of the labels' programme (0: the myopic oracle's gains)"""

    def check(self) -> None:
        """Positive sizes and rate; rank and price >= 0."""
        for name in ("n_pages", "hidden", "epochs", "batch_size"):
            check_integer(name, getattr(self, name))
        check_integer("interaction_rank", self.interaction_rank, low=0)
        check_positive("learning_rate", self.learning_rate)
        check_real("price", self.price, low=0.0)


class CeilingAgent(Agent):
    """CHEATING REFERENCE (in its labels): a large model fitted on ground-truth gains of
    simulated pages, acting from the observation only (see the module docstring)."""

    name = "ceiling"
    reference = True

    config_class = CeilingConfig
    config: CeilingConfig

    def __init__(self, spec: ProblemSpec, seed: int = 0, device: str = "cpu",
                 **hyperparameters: Any) -> None:
        super().__init__(spec, seed, **hyperparameters)
        cfg = self.config
        self.device = device
        hidden, interaction_rank = cfg.hidden, cfg.interaction_rank
        torch.manual_seed(seed)
        shapes = spec.layout.shapes()
        n_in = shapes["member"][0] + shapes["titles"][1] + shapes["artworks"][2]
        towers = (TwoTowers(shapes["member"][0], shapes["titles"][1] + shapes["artworks"][2],
                            hidden, interaction_rank) if interaction_rank else None)
        self.net = GainRegressor(n_in, spec.n_titles * spec.n_artworks, hidden,
                                 towers=towers).to(device)
        self.fitted = False
        self.fit_loss = float("nan")

    def attach(self, env: Any) -> None:
        """Fit the model on simulated pages of the env's world (once)."""
        if not self.fitted:
            inner = env.unwrapped if hasattr(env, "unwrapped") else env
            self.fit(simulated_pages(inner.config, self.config.n_pages,
                                     self.seed + CEILING_STREAM, price=self.config.price))

    def fit(self, pages: dict[str, np.ndarray]) -> None:
        """Least squares of the predicted gains on `pages` (observation arrays, `title_ids`
        and `gain`), over the candidates that exist, `epochs` passes in random order, on
        one torch thread (with two, the sums' order changed the fit: 0.3630 against 0.3614
        eval reward for the same seed)."""
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # float sums in one order: the same fit in any process
        try:
            self._fit(pages)
        finally:
            torch.set_num_threads(threads)

    def _fit(self, pages: dict[str, np.ndarray]) -> None:
        data = {key: torch.as_tensor(value, device=self.device) for key, value in pages.items()}
        data["arms"] = self._arms(data["title_ids"])
        optimiser = torch.optim.Adam(self.net.parameters(), lr=self.config.learning_rate)
        order = torch.Generator().manual_seed(self.seed)
        n = len(data["gain"])
        for _ in range(self.config.epochs):
            total = 0.0
            for batch in torch.randperm(n, generator=order).split(self.config.batch_size):
                mask = data["action_mask"][batch] > 0
                predicted = self.net(data["member"][batch], data["titles"][batch],
                                     data["artworks"][batch], data["arms"][batch])
                loss = ((predicted - data["gain"][batch]) ** 2)[mask].mean()
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                total += float(loss.detach()) * len(batch)
            self.fit_loss = total / n
        self.fitted = True

    def _arms(self, title_ids: torch.Tensor) -> torch.Tensor:
        m = self.spec.n_artworks
        return title_ids[..., None].long() * m + torch.arange(m, device=title_ids.device)

    def act(self, obs: Observation, explore: bool = True) -> np.ndarray:
        """The artwork of highest predicted gain in each slot."""
        if not self.fitted:
            raise RuntimeError("the ceiling fits on ground truth: attach(env) first")
        with torch.no_grad():
            tensors = {key: torch.as_tensor(np.asarray(obs[key]), device=self.device)
                       for key in ("member", "titles", "artworks", "title_ids")}
            gain = self.net(tensors["member"], tensors["titles"], tensors["artworks"],
                            self._arms(tensors["title_ids"])).cpu().numpy()
        return masked_argmax(gain, np.asarray(obs["action_mask"]) > 0)

    def state_arrays(self) -> dict[str, np.ndarray]:
        """The fitted network's weights."""
        if not self.fitted:
            return {}
        return {f"net.{k}": v.detach().cpu().numpy() for k, v in self.net.state_dict().items()}

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Restore the fitted network."""
        weights = {k[4:]: torch.as_tensor(v) for k, v in arrays.items() if k.startswith("net.")}
        if weights:
            self.net.load_state_dict(weights)
            self.fitted = True


def simulated_pages(config: Any, n_pages: int, seed: int, batch: int = 2048,
                    price: float = 0.0) -> dict[str, np.ndarray]:
    """`n_pages` pages with their observation arrays, `title_ids` and exact gains (N, K, M)
    once examined: fresh members of the stream `seed`, `batch` at a time, each living
    their lifetime under uniformly random artwork (on the bandit env: one page each).
    With `price` > 0 the gains are pi_price's surrogate gains (the module doc).

    Random artwork covers the states any policy may lead a member to. Measured on
    ArtworkPersonalization-v1 (`train.py --agents ceiling --visits 1000 --eval-members
    1000`, seed 0): fitted on the myopic oracle's lifetimes instead, the ceiling reached
    75.4 % of the oracle per visit and 2.16 per lifetime, below LinTS; on random ones
    83.4 % and 2.49."""
    parts: list[dict[str, np.ndarray]] = []
    collected, first = 0, 0
    gen = np.random.default_rng(seed)

    def record_and_choose(sim: NumpySimulator, where: np.ndarray) -> np.ndarray:
        nonlocal collected
        if collected < n_pages:
            page = sim.page_model()
            click = page.click.mean(axis=2)
            gain = slot_gain(config.reward, config.bounce_penalty, click, page.play)
            if price:
                left = np.maximum(config.n_visits - sim.state.visit.astype(np.float64) - 1.0, 0.0)
                gain = gain - price * left[:, None, None] * click * page.misrepresentation
            parts.append({**sim.observe(), "title_ids": sim.state.titles.copy(),
                          "gain": np.where(page.exists, gain, 0.0).astype(np.float32)})
            collected += sim.n
        return random_allowed(gen, sim.candidates())

    while collected < n_pages:
        sim = ArtworkSimulator(config, batch)
        sim.reset_members(np.arange(batch), rng.numbered_keys(seed, first, batch))
        first += batch
        run_lifetimes(sim, record_and_choose, lambda *_: None)
    return {key: np.concatenate([part[key] for part in parts])[:n_pages] for key in parts[0]}
