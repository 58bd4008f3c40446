"""A neural bandit whose reward model is factored the way the member responds: does the
examined image get the click, and does the click end in a quality play?

Two networks output logits, and a candidate z of arm a is scored with its expected slot
gain (`artwork_env.model.rewards.slot_gain`). Each is the neural bandit's network
(`artwork_env.agents.modules.RewardNetwork` on `candidate_inputs`: the LinUCB feature map, the raw
candidate columns and an embedding of the (title, artwork) arm, plus a per-arm intercept)
plus a two-tower term, the dot product of a member embedding and a candidate embedding
(`TwoTowerNetwork`; `interaction_rank=0` leaves it out):

    c(z, a) = sigma(f_click(z, a)),    p(z, a) = sigma(f_play(z, a)),
    score   = c (p - bounce_penalty (1 - p))        (reward "quality_play"; c p for
                                                     "play", c for "click")

f_click is fitted by logistic loss on every examined slot's click, f_play on the clicked
slots' quality plays. docs/model.md writes both of the member's probabilities as sigmoids
of the candidate's features (section 4); a slot's realised reward (1, -bounce_penalty or
0) is a rare three-valued outcome, and regressing it by squared error, as the neural
bandit does, throws that shape away. Measured online against LinTS, and offline beside
the neural bandit's network on the same random visits by `python
benchmarks/noisy_label_fit.py` (docs/results.md).

Training replays two buffers: the examined slots (features, arm, click) for the click
network and the clicked ones (features, arm, play) for the play network. Each step is one
batch of examined slots; the play network takes a batch of clicked slots whenever its
credit (the click batches' rows times the clicked rows' share of the examined ones)
reaches a batch, so a clicked row is replayed as often as any examined row.
By default the agent is an ensemble of five such pairs (`ensemble`), each from its own
initialisation and trained on its own draws from the buffers; greedy acting
(`act(explore=False)`) scores a candidate by the members' mean gain, which takes much of
the noise of the labels out of the scores. Exploring, a page is scored by one member drawn
at random (`thompson`: bootstrapped Thompson sampling, Osband et al., NeurIPS 2016), so the
pages tried are the ones the members disagree on, and on top of that each slot shows a
uniformly random allowed artwork with probability `epsilon` (0.1), so every arm keeps
being observed whatever the networks believe. `averaging` > 0 makes the networks that act
an exponential moving average of the trained ones (Polyak averaging; off by default).
Two options use the budget that `learn` is given (off by default):
`learning_rate="lin_<start>"` falls linearly from start to 0 over it (RL Zoo's
schedule, as `slot_ppo`'s), and `final_epochs` > 0 trains that many passes over both
buffers at the update that spends it (with a constant rate), each member reading every
kept row once a pass, so that the policy evaluated at the end has fitted every row as an
offline fit would. docs/results.md gives the commands that measure each choice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from artwork_env.agents.base import (
    Agent,
    Observation,
    ProblemSpec,
    TrainingEnv,
    VisitReport,
    slot_feedback,
)
from artwork_env.agents.config import AgentConfig
from artwork_env.agents.contextual.linear import arm_ids
from artwork_env.agents.hyperparams import TunedPerEnv, with_schedules
from artwork_env.agents.modules import RewardNetwork, TwoTowers, candidate_inputs, input_columns
from artwork_env.agents.neural.optimiser_state import load_optimiser_arrays, optimiser_arrays
from artwork_env.agents.neural.replay import ReplayBuffer
from artwork_env.arrays import gather_chosen, masked_argmax, random_allowed
from artwork_env.model.layout import Columns
from artwork_env.model.rewards import slot_gain
from artwork_env.validation import check_integer, check_positive, check_real


class TwoTowerNetwork(nn.Module):
    """The neural bandit's network plus two towers (`artwork_env.agents.modules.TwoTowers`) on the
    member's columns and the candidate's title and artwork columns of the inputs:

        f(z, a) = RewardNetwork(z, a) + < g(member), W [title, artwork] >

    The MLP alone has to learn each member-artwork product from concatenated columns."""

    def __init__(self, columns: Columns, hidden: int, n_arms: int, rank: int) -> None:
        super().__init__()
        self.member_cols, self.title_cols = columns["member"], columns["titles"]
        self.artwork_cols = columns["artworks"]
        self.deep = RewardNetwork(columns.width, hidden, n_arms)
        member, title, artwork = (part.stop - part.start for part in
                                  (self.member_cols, self.title_cols, self.artwork_cols))
        self.towers = TwoTowers(member, title + artwork, hidden, rank)

    def forward(self, inputs: torch.Tensor, arms: torch.Tensor) -> torch.Tensor:
        """The logit of each (inputs, arm) row."""
        item = torch.cat([inputs[:, self.title_cols], inputs[:, self.artwork_cols]], dim=1)
        return self.deep(inputs, arms) + self.towers(inputs[:, self.member_cols], item)


def response_network(columns: Columns, hidden: int, n_arms: int, rank: int) -> nn.Module:
    """The logit network of one response: two towers of `rank` dimensions on top of the
    neural bandit's network, or that network alone with `rank` 0."""
    if rank == 0:
        return RewardNetwork(columns.width, hidden, n_arms)
    return TwoTowerNetwork(columns, hidden, n_arms, rank)


class ResponseNetworks(nn.Module):
    """One (click, play-given-click) pair of networks; `gains` scores candidates."""

    def __init__(self, columns: Columns, hidden: int, n_arms: int, rank: int) -> None:
        super().__init__()
        self.click = response_network(columns, hidden, n_arms, rank)
        self.play = response_network(columns, hidden, n_arms, rank)

    def probabilities(self, inputs: torch.Tensor,
                      arms: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        """(click, play-given-click) probabilities of each (inputs, arm) row."""
        with torch.no_grad():
            click = torch.sigmoid(self.click(inputs, arms)).cpu().numpy()
            play = torch.sigmoid(self.play(inputs, arms)).cpu().numpy()
        return click, play

    def gains(self, spec: ProblemSpec, inputs: torch.Tensor, arms: torch.Tensor) -> np.ndarray:
        """Expected slot gain of each (inputs, arm) row."""
        return slot_gain(spec.reward, spec.bounce_penalty, *self.probabilities(inputs, arms))


@dataclass(frozen=True)
class FactoredConfig(AgentConfig):
    """The factored bandit's hyperparameters (per-env overrides:
    `artwork_env/agents/hyperparams.yaml`)."""

    hidden: int = 128
    """width of each network's hidden layers"""
    learning_rate: float | str = 3e-4
    """Adam's rate, or RL Zoo's `lin_<start>` falling to 0 over the budget"""
    epsilon: float = 0.1
    """probability of a random allowed artwork in a slot"""
    train_every: int = 8
    """updates between training rounds"""
    train_steps: int = 8
    """gradient steps a round"""
    batch_size: int = 512
    """rows a gradient step"""
    buffer_size: int = 300_000
    """rows each replay buffer keeps"""
    ensemble: int = 5
    """pairs of networks (Thompson sampling draws one a page)"""
    averaging: float = 0.0
    """exponential moving average of the weights (0: none)"""
    thompson: bool = True
    """score each page with one drawn ensemble member (else their mean)"""
    interaction_rank: int = 16
    """rank of the member x artwork towers (0: none)"""
    final_epochs: int = 0
    """epochs over the buffers once the budget is spent (needs a constant rate)"""

    def check(self) -> None:
        """Ranges of every field; a schedule needs no final epochs."""
        check_real("epsilon", self.epsilon, low=0.0, high=1.0)
        if not isinstance(self.thompson, bool):
            raise ValueError(f"thompson must be True or False, got {self.thompson!r}")
        if check_real("averaging", self.averaging, low=0.0) >= 1.0:
            raise ValueError(f"averaging must be in [0, 1), got {self.averaging!r}")
        for name in ("hidden", "train_every", "train_steps", "batch_size", "buffer_size",
                     "ensemble"):
            check_integer(name, getattr(self, name))
        check_integer("final_epochs", self.final_epochs, low=0)
        check_integer("interaction_rank", self.interaction_rank, low=0)
        schedule = with_schedules({"learning_rate": self.learning_rate})["learning_rate"]
        if not callable(schedule):
            check_positive("learning_rate", schedule)
        if self.final_epochs and callable(schedule):
            raise ValueError(f"final_epochs={self.final_epochs} needs a constant "
                             f"learning_rate: {self.learning_rate!r} is 0 when the budget "
                             "is spent")


class FactoredBanditAgent(TunedPerEnv, Agent):
    """Click and play-given-click networks, scored by the expected slot gain (module doc)."""

    name = "factored_bandit"
    MODULE_NAMES: tuple[str, ...] = ("members", "averaged")
    """Every name a torch module's weights may be saved under (`_modules`)."""
    NETWORK_SETTINGS: tuple[str, ...] = ("ensemble", "averaging", "interaction_rank")
    """The hyperparameters that decide which networks are saved."""

    config_class = FactoredConfig
    config: FactoredConfig

    def __init__(self, spec: ProblemSpec, seed: int = 0, device: str = "cpu",
                 **hyperparameters: Any) -> None:
        super().__init__(spec, seed, **hyperparameters)
        cfg = self.config
        torch.manual_seed(seed)
        self.device = torch.device("cpu" if device == "auto" else device)
        columns = input_columns(spec)
        self.n_in = columns.width
        n_arms = spec.n_titles * spec.n_artworks
        self.members = nn.ModuleList(
            ResponseNetworks(columns, cfg.hidden, n_arms, cfg.interaction_rank)
            for _ in range(cfg.ensemble)).to(self.device)
        self.schedule = with_schedules({"learning_rate": cfg.learning_rate})["learning_rate"]
        self.optimiser = torch.optim.Adam(self.members.parameters(), lr=self._rate(1.0))
        self.averaged = (AveragedModel(self.members, self.device,
                                       multi_avg_fn=get_ema_multi_avg_fn(cfg.averaging))
                         if cfg.averaging else None)
        row = ((self.n_in,), np.float32)
        self.examined = ReplayBuffer(cfg.buffer_size, features=row, arms=((), np.int64),
                                     clicks=((), np.float32))
        self.clicked = ReplayBuffer(cfg.buffer_size, features=row, arms=((), np.int64),
                                    plays=((), np.float32))
        self.play_credit = 0.0
        self.updates = 0
        self.visits_seen = 0
        self.budget = 0

    def _rate(self, progress_remaining: float) -> float:
        """The learning rate with `progress_remaining` of the budget left (constant, or
        RL Zoo's `lin_<start>`: falling linearly from start to 0 over the budget)."""
        schedule = self.schedule
        return float(schedule(progress_remaining) if callable(schedule) else schedule)

    def learn(self, env: TrainingEnv, visits: int, report: VisitReport) -> None:
        """The rollout loop (`Agent.learn`), with the budget known to the learning-rate
        schedule and the final fit: the visits done before (a resumed run) plus `visits`."""
        self.budget = env.visits_done + visits
        super().learn(env, visits, report)

    # ---------------------------------------------------------------- model
    def acting(self) -> nn.ModuleList:
        """The networks that score candidates: the moving average of the trained ones
        once it has started, else the trained ones."""
        if self.averaged is not None and int(self.averaged.n_averaged):
            return self.averaged.module
        return self.members

    def candidate_tensors(self, obs: Observation) -> tuple[torch.Tensor, torch.Tensor]:
        """The (N K M, d) inputs and (N K M,) arms of every candidate in `obs`."""
        x = torch.as_tensor(candidate_inputs(self.spec, obs).reshape(-1, self.n_in),
                            device=self.device)
        arms = torch.as_tensor(arm_ids(obs["title_ids"], self.spec.n_artworks).reshape(-1),
                               device=self.device)
        return x, arms

    def member_probabilities(self, obs: Observation,
                             tensors: tuple[torch.Tensor, torch.Tensor] | None = None
                             ) -> tuple[np.ndarray, np.ndarray]:
        """(E, N, K, M) click and play-given-click probabilities of every candidate under
        each ensemble member (`tensors`: `candidate_tensors(obs)` if already made)."""
        shape = obs["action_mask"].shape
        x, arms = self.candidate_tensors(obs) if tensors is None else tensors
        each = [member.probabilities(x, arms) for member in self.acting()]
        return (np.stack([click.reshape(shape) for click, _ in each]),
                np.stack([play.reshape(shape) for _, play in each]))

    def member_gains(self, obs: Observation) -> np.ndarray:
        """(E, N, K, M) expected slot gain of every candidate under each ensemble member."""
        return slot_gain(self.spec.reward, self.spec.bounce_penalty,
                         *self.member_probabilities(obs))

    def gains(self, obs: Observation) -> np.ndarray:
        """(N, K, M) expected slot gain of every candidate: the mean over the ensemble."""
        return self.member_gains(obs).mean(axis=0)

    def click_loss(self, rows: np.ndarray) -> torch.Tensor:
        """Summed over the ensemble, the mean logistic loss of member i's click network on
        its rows `rows[i]` of the examined buffer."""
        return sum(self._loss(member.click, self.examined.tensors(member_rows, self.device),
                              "clicks") for member, member_rows in zip(self.members, rows))

    def play_loss(self, rows: np.ndarray) -> torch.Tensor:
        """Summed over the ensemble, the mean logistic loss of member i's play network on
        its rows `rows[i]` of the clicked buffer."""
        return sum(self._loss(member.play, self.clicked.tensors(member_rows, self.device),
                              "plays") for member, member_rows in zip(self.members, rows))

    @staticmethod
    def _loss(net: nn.Module, batch: dict[str, torch.Tensor], label: str) -> torch.Tensor:
        """Mean logistic loss of `net` on a batch's `label` column."""
        return nn.functional.binary_cross_entropy_with_logits(
            net(batch["features"], batch["arms"]), batch[label])

    def _step(self, loss: torch.Tensor) -> None:
        """One Adam step on `loss` (only the networks it depends on move), then the
        moving average."""
        self.optimiser.zero_grad()
        loss.backward()
        self.optimiser.step()
        if self.averaged is not None:
            self.averaged.update_parameters(self.members)

    def _train(self) -> None:
        """`train_steps` click batches drawn uniformly from the examined buffer, and play
        batches from the clicked buffer at the rate that replays each row as often; each
        ensemble member draws its own rows."""
        size, ensemble = self.config.batch_size, self.config.ensemble
        if callable(self.schedule):  # the share of the budget left (all of it outside learn)
            left = 1.0 - self.visits_seen / self.budget if self.budget else 1.0
            for group in self.optimiser.param_groups:
                group["lr"] = self._rate(min(1.0, max(0.0, left)))
        for _ in range(self.config.train_steps):
            rows = min(size, self.examined.size)
            self._step(self.click_loss(self.rng.integers(0, self.examined.size,
                                                         (ensemble, rows))))
            self.play_credit += rows * self.clicked.size / self.examined.size
            play_rows = min(size, self.clicked.size)
            while play_rows and self.play_credit >= play_rows:
                self._step(self.play_loss(self.rng.integers(0, self.clicked.size,
                                                            (ensemble, play_rows))))
                self.play_credit -= play_rows

    def _refit(self) -> None:
        """`final_epochs` passes over both buffers at the (constant) learning rate, each
        ensemble member reading the rows in an order of its own (`batch_size` rows a step)."""
        size, ensemble = self.config.batch_size, self.config.ensemble
        for _ in range(self.config.final_epochs):
            for buffer, loss in ((self.examined, self.click_loss),
                                 (self.clicked, self.play_loss)):
                orders = np.stack([self.rng.permutation(buffer.size) for _ in range(ensemble)])
                for start in range(0, buffer.size, size):
                    self._step(loss(orders[:, start:start + size]))

    # ---------------------------------------------------------------- agent
    def act(self, obs: Observation, explore: bool = True) -> np.ndarray:
        """The highest expected gain per slot (exploring with `thompson`, under one
        ensemble member drawn per page); exploring, each slot is a uniformly random allowed
        artwork with probability epsilon."""
        mask = obs["action_mask"]
        if explore and self.config.thompson:
            each = self.member_gains(obs)
            scores = each[self.rng.integers(0, len(each), len(mask)), np.arange(len(mask))]
        else:
            scores = self.gains(obs)
        best = masked_argmax(scores, mask)
        if not explore or self.config.epsilon == 0.0:
            return best
        explored = self.rng.random(best.shape) < self.config.epsilon
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
        self.visits_seen += len(actions)
        if self.updates % self.config.train_every == 0 and self.examined.size:
            self._train()
        if self.budget and self.visits_seen >= self.budget > self.visits_seen - len(actions):
            self._refit()  # the update that spends the budget

    def state_arrays(self) -> dict[str, np.ndarray]:
        """The networks' weights (and their moving average), the optimiser's moments, the
        filled part of both buffers and the counters."""
        modules = self._modules()
        weights = {f"{name}.{key}": value.cpu().numpy() for name, module in modules.items()
                   for key, value in module.state_dict().items()}
        buffers = {f"{name}_{column}": values for name, buffer in self._buffers()
                   for column, values in buffer.filled().items()}
        positions = {f"{name}_size_and_cursor": np.array([buffer.size, buffer.cursor])
                     for name, buffer in self._buffers()}
        return {**weights, **optimiser_arrays(self.optimiser), **buffers, **positions,
                "updates": np.array(self.updates), "visits_seen": np.array(self.visits_seen),
                "play_credit": np.array(self.play_credit)}

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Restore the networks, their moving average, the optimiser's moments, both
        buffers and the counters."""
        modules = self._modules()
        expected = {f"{name}.{key}" for name, module in modules.items()
                    for key in module.state_dict()}
        saved = {key for key in arrays if key.split(".", 1)[0] in self.MODULE_NAMES}
        if saved != expected:
            settings = ", ".join(f"{key}={getattr(self.config, key)}"
                                 for key in self.NETWORK_SETTINGS)
            raise ValueError(
                f"the saved networks do not fit this agent ({settings}): saved with "
                f"other settings, or by an older version; missing "
                f"{sorted(expected - saved)[:3]}, unexpected {sorted(saved - expected)[:3]}")
        for name, module in modules.items():
            prefix = f"{name}."
            module.load_state_dict({key[len(prefix):]: torch.as_tensor(value)
                                    for key, value in arrays.items() if key.startswith(prefix)})
        load_optimiser_arrays(self.optimiser, arrays)
        for name, buffer in self._buffers():
            size, cursor = arrays[f"{name}_size_and_cursor"]
            buffer.restore(size, cursor, {column: arrays[f"{name}_{column}"]
                                          for column in buffer.columns})
        self.updates, self.play_credit = int(arrays["updates"]), float(arrays["play_credit"])
        self.visits_seen = int(arrays.get("visits_seen", 0))

    def _modules(self) -> dict[str, nn.Module]:
        """The saved torch modules by the name their weights are saved under."""
        modules: dict[str, nn.Module] = {"members": self.members}
        if self.averaged is not None:
            modules["averaged"] = self.averaged
        return modules

    def _buffers(self) -> tuple[tuple[str, ReplayBuffer], ...]:
        """The two buffers by the name their arrays are saved under."""
        return (("examined", self.examined), ("clicked", self.clicked))
