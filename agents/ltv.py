"""A lifetime-aware learner: the factored bandit's choice model with a long-term value per
clicked candidate, learned by temporal differences (after SlateQ, Ie et al., IJCAI 2019).

On a lifetime (`ArtworkPersonalization-v1`) a click does more than earn this visit's
reward: it tells the member whether the image told the truth, and an oversold title costs
trust and may make the member leave (docs/model.md, section 4b). The factored bandit
(`agents.factored`) scores a candidate by this visit's expected gain only. `ltv` adds what
the click does to the rest of the lifetime.

Write s for the member's observed state at a visit, C for the set of candidates clicked
on it and s' for the state at the next visit (none when the lifetime ended). With W the
value of a state under the agent's policy, discounted by `gamma`, the future after a
visit is decomposed over the clicks (SlateQ's item-wise decomposition, with the cascade's
clicks in place of a single choice):

    E[ W(s') | s, C ] = B(s) + |C| kappa(s) + sum_{i in C} delta(s, i)

B(s) is the value of the next state when nothing is clicked. kappa(s) is what every
click shares: part cause (a bounce costs trust), part selection, since a member who
clicks is on average more engaged than the observation shows (the hidden propensity of
docs/model.md, section 2), and their future is higher whatever image they clicked. No
image choice causes that part, and a score that credited it to the clicked image would
favour images that draw clicks whatever follows them: clickbait. delta(s, i) is what a
click on candidate i adds against a click on the average candidate (negative for an
image that oversells); delta is penalised toward 0 (`click_value_penalty`) and kappa is
not, so what all clicks share goes to kappa. A candidate is scored by the factored
bandit's gain plus its own long-term term,

    score(s, a) = c(s, a) (p(s, a) - lambda (1 - p(s, a))) + gamma c(s, a) delta(s, a),

the expected reward of a row plus gamma times the delta part of E[W(s')], summed over
the cascade as the gains are:

    sum_k P(k examined) c_k [ (p_k - lambda (1 - p_k)) + gamma delta(s, a_k) ].

The row is chosen slot by slot as the factored bandit chooses it (with the same
ensemble, Thompson draws and epsilon). `gamma = 0` is the factored bandit itself: the
value networks are not built, and every number is the factored bandit's.

Three networks are learned from the member's following visits, with y = W_target(s')
(0 when the lifetime ended on the visit), W_target a slowly moving copy of W (Polyak
averaging with rate `target_rate`):

- W(s), on the member's observation columns, by TD(0): W(s) -> r + gamma y;
- B(s) and kappa(s), two more heads of the same network: B(s) -> y on the visits
  without a click;
- delta(s, i), on the candidate's inputs (`ClickValues`: an MLP, no per-arm terms), with
  kappa on the visits with clicks, jointly over a visit's clicks:
  B(s) + |C| kappa(s) + sum_{i in C} delta(s, i) -> y (B held at the target's), each
  visit weighted once.

The transition of a visit is completed at the next visit of the same member index, whose
`episode_start` says whether a new member came (the lifetime ended). `ltv` reads only the
env's feedback (clicks, plays, rewards) and observation: nothing of the member's hidden
state or of the model's misrepresentation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn

from agents.base import Observation, ProblemSpec, TrainingEnv, VisitReport
from agents.factored import FactoredBanditAgent
from agents.linear import arm_ids
from agents.neural import candidate_inputs, input_columns
from agents.optimiser_state import load_optimiser_arrays, optimiser_arrays
from agents.replay import ReplayBuffer
from artwork_env.arrays import gather_chosen

VALUE_OPTIMISER = "value_optimiser."
"""The prefix of the value networks' optimiser state in saved arrays."""


class StateValues(nn.Module):
    """W(s), B(s) and kappa(s): an MLP of the member's observation columns with three
    outputs."""

    def __init__(self, member_width: int, hidden: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(member_width, hidden), nn.ReLU(),
                                  nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 3))

    def forward(self, member: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """(W(s), B(s), kappa(s)) of each row of member columns."""
        out = self.body(member)
        return out[:, 0], out[:, 1], out[:, 2]


class ClickValues(nn.Module):
    """delta(s, i): an MLP of the candidate's inputs alone, 0 at the start. What a click
    costs depends on what the member and the image show (a theme outside the title's
    genres, a theme the history favours over the title's); unlike the response networks
    it has no per-arm terms, which would be fitted from each arm's few clicks."""

    def __init__(self, n_in: int, hidden: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(),
                                  nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))
        nn.init.zeros_(self.body[-1].weight)
        nn.init.zeros_(self.body[-1].bias)

    def forward(self, inputs: torch.Tensor, arms: torch.Tensor | None = None) -> torch.Tensor:
        """delta of each row of candidate inputs (`arms` is not read)."""
        return self.body(inputs)[:, 0]


class LongTermValues(nn.Module):
    """The state values (`StateValues`) and delta(s, i), the value a click adds."""

    def __init__(self, spec: ProblemSpec, hidden: int) -> None:
        super().__init__()
        columns = input_columns(spec)
        self.member_cols = columns["member"]
        self.state = StateValues(self.member_cols.stop - self.member_cols.start, hidden)
        self.click = ClickValues(columns.width, hidden)


class LtvAgent(FactoredBanditAgent):
    """The factored bandit scoring each candidate with its gain plus gamma x its click
    probability x the long-term value a click on it adds (module doc)."""

    name = "ltv"
    MODULE_NAMES = (*FactoredBanditAgent.MODULE_NAMES, "values", "target")
    NETWORK_SETTINGS = (*FactoredBanditAgent.NETWORK_SETTINGS, "gamma")

    def __init__(self, spec: ProblemSpec, seed: int = 0, gamma: float = 1.0,
                 value_learning_rate: float = 3e-4, target_rate: float = 0.01,
                 value_buffer_size: int = 200_000, click_value_penalty: float = 0.1,
                 **factored: Any) -> None:
        super().__init__(spec, seed, **factored)
        if not 0.0 <= gamma <= 1.0:
            raise ValueError(f"gamma must be in [0, 1], got {gamma!r}")
        if not 0.0 < target_rate <= 1.0:
            raise ValueError(f"target_rate must be in (0, 1], got {target_rate!r}")
        if not click_value_penalty >= 0.0:
            raise ValueError(f"click_value_penalty must be >= 0, got {click_value_penalty!r}")
        if not value_learning_rate > 0.0:
            raise ValueError(f"value_learning_rate must be > 0, got {value_learning_rate!r}")
        if (isinstance(value_buffer_size, bool) or not isinstance(value_buffer_size, int)
                or value_buffer_size < 1):
            raise ValueError(f"value_buffer_size must be a positive integer, got "
                             f"{value_buffer_size!r}")
        self.params.update(gamma=float(gamma), value_learning_rate=value_learning_rate,
                           target_rate=target_rate, value_buffer_size=value_buffer_size,
                           click_value_penalty=click_value_penalty)
        self.gamma = float(gamma)
        self.pending: dict[str, np.ndarray] | None = None
        if self.gamma == 0.0:  # the factored bandit itself
            self.values = self.target = None
            return
        self.values = LongTermValues(spec, self.params["hidden"]).to(self.device)
        self.target = LongTermValues(spec, self.params["hidden"]).to(self.device)
        self.target.load_state_dict(self.values.state_dict())
        self.target.requires_grad_(False)
        self.value_optimiser = torch.optim.Adam(self.values.parameters(),
                                                lr=value_learning_rate)
        member_width = self.values.member_cols.stop - self.values.member_cols.start
        self.visits = ReplayBuffer(value_buffer_size, member=((member_width,), np.float32),
                                   reward=((), np.float32), next_member=((member_width,),
                                                                         np.float32),
                                   done=((), np.float32), clicked=((), np.float32))
        self.clicks = ReplayBuffer(value_buffer_size, features=((self.n_in,), np.float32),
                                   arms=((), np.int64), next_member=((member_width,),
                                                                     np.float32),
                                   done=((), np.float32), visit=((), np.int64),
                                   place=((), np.int64), n_clicks=((), np.int64))
        self.visits_recorded = 0

    # ---------------------------------------------------------------- model
    def click_values(self, obs: Observation) -> np.ndarray:
        """(N, K, M) delta: the value a click on each candidate adds to the next state's."""
        if self.values is None:
            return np.zeros(obs["action_mask"].shape, dtype=np.float32)
        x, arms = self.candidate_tensors(obs)
        with torch.no_grad():
            delta = self.values.click(x, arms).cpu().numpy()
        return delta.reshape(obs["action_mask"].shape)

    def member_gains(self, obs: Observation) -> np.ndarray:
        """(E, N, K, M) each ensemble member's score: the slot gain plus gamma x click
        probability x delta (the factored bandit's gain when gamma is 0)."""
        gains = super().member_gains(obs)
        if self.values is None:
            return gains
        click, _ = self.member_probabilities(obs)
        return gains + self.gamma * click * self.click_values(obs)[None]

    def state_values(self, member: np.ndarray) -> tuple[np.ndarray, ...]:
        """(W(s), B(s), kappa(s)) of (N, member width) observation rows."""
        if self.values is None:
            zeros = np.zeros(len(member), dtype=np.float32)
            return zeros, zeros, zeros
        with torch.no_grad():
            values = self.values.state(torch.as_tensor(member, device=self.device))
        return tuple(value.cpu().numpy() for value in values)

    # ---------------------------------------------------------------- learning
    def learn(self, env: TrainingEnv, visits: int, report: VisitReport) -> None:
        """The factored bandit's loop; transitions left open by an earlier loop (whose
        members are gone) are dropped."""
        self.pending = None
        super().learn(env, visits, report)

    def update(self, obs: Observation, actions: np.ndarray, reward: np.ndarray,
               info: dict[str, Any]) -> None:
        """The factored bandit's update, then: close the previous visit's transitions with
        this observation (its `episode_start` says which lifetimes ended), and keep this
        visit's open until the next."""
        if self.values is not None:
            self._record(obs, actions, reward, info)
        super().update(obs, actions, reward, info)

    def _record(self, obs: Observation, actions: np.ndarray, reward: np.ndarray,
                info: dict[str, Any]) -> None:
        """Close the pending transitions with `obs` and open this visit's."""
        member = np.asarray(obs["member"], dtype=np.float32)
        pending = self.pending
        if pending is not None and len(pending["member"]) == len(member):
            done = np.asarray(obs["episode_start"], dtype=np.float32)
            clicked = pending["clicked"]
            n_clicks = clicked.sum(axis=1)
            self.visits.push(member=pending["member"], reward=pending["reward"],
                             next_member=member, done=done,
                             clicked=(n_clicks > 0).astype(np.float32))
            rows, _ = np.nonzero(clicked)  # row-major: a visit's clicks stay together
            if len(rows):
                self.clicks.push(features=pending["features"][clicked],
                                 arms=pending["arms"][clicked], next_member=member[rows],
                                 done=done[rows], visit=self.visits_recorded + rows,
                                 place=np.cumsum(clicked, axis=1)[clicked] - 1,
                                 n_clicks=n_clicks[rows])
            self.visits_recorded += len(member)
        clicks = np.asarray(info["clicks"], dtype=bool)
        self.pending = dict(
            member=member, reward=np.asarray(reward, dtype=np.float32), clicked=clicks,
            features=gather_chosen(candidate_inputs(self.spec, obs), actions),
            arms=gather_chosen(arm_ids(obs["title_ids"], self.spec.n_artworks), actions))

    def _train(self) -> None:
        """The factored bandit's training, then as many steps on the value networks."""
        super()._train()
        if self.values is not None and self.visits.size:
            for _ in range(self.params["train_steps"]):
                self._value_step()

    def _value_step(self) -> None:
        """One Adam step on W, B and delta (module doc), then the target's Polyak step."""
        size = self.params["batch_size"]
        batch = self.visits.tensors(self.rng.integers(0, self.visits.size,
                                                      min(size, self.visits.size)),
                                    self.device)
        with torch.no_grad():
            y = (1.0 - batch["done"]) * self.target.state(batch["next_member"])[0]
        w, b, _ = self.values.state(batch["member"])
        unclicked = 1.0 - batch["clicked"]
        loss = (((w - (batch["reward"] + self.gamma * y)) ** 2).mean()
                + ((b - y) ** 2 * unclicked).sum() / unclicked.sum().clamp(min=1.0))
        if self.clicks.size:
            loss = loss + self._click_loss(self.rng.integers(0, self.clicks.size,
                                                             min(size, self.clicks.size)))
        self.value_optimiser.zero_grad()
        loss.backward()
        self.value_optimiser.step()
        with torch.no_grad():
            rate = self.params["target_rate"]
            for target, live in zip(self.target.parameters(), self.values.parameters()):
                target.lerp_(live, rate)

    def _click_loss(self, rows: np.ndarray) -> torch.Tensor:
        """On the visits of the clicked rows `rows`: the squared error of
        B(s) + |C| kappa(s) + sum_{i in C} delta(s, i) against y (B from the target
        network; each visit weighted once however many of its clicks were drawn; visits
        partly overwritten in the ring left out), plus `click_value_penalty` x the mean
        squared delta."""
        columns, capacity = self.clicks.columns, self.clicks.capacity
        group = (rows - columns["place"][rows])[:, None] + np.arange(self.spec.n_slots)
        group %= capacity
        inside = np.arange(self.spec.n_slots) < columns["n_clicks"][rows][:, None]
        whole = ((columns["visit"][group] == columns["visit"][rows][:, None]) | ~inside).all(1)
        owner, where = np.nonzero(inside & whole[:, None])
        pairs = group[owner, where]
        tensors = self.clicks.tensors(pairs, self.device)
        delta = self.values.click(tensors["features"], tensors["arms"])
        summed = torch.zeros(len(rows), device=self.device).index_add(
            0, torch.as_tensor(owner, device=self.device), delta)
        visit = self.clicks.tensors(rows, self.device)
        member = visit["features"][:, self.values.member_cols]
        with torch.no_grad():
            y = (1.0 - visit["done"]) * self.target.state(visit["next_member"])[0]
            base = self.target.state(member)[1]
        kappa = self.values.state(member)[2]
        weight = torch.as_tensor(whole / columns["n_clicks"][rows], dtype=torch.float32,
                                 device=self.device)
        error = base + visit["n_clicks"] * kappa + summed - y
        return ((weight * error ** 2).sum() / weight.sum().clamp(min=1e-6)
                + self.params["click_value_penalty"] * (delta ** 2).mean())

    # ---------------------------------------------------------------- saving
    def state_arrays(self) -> dict[str, np.ndarray]:
        """The factored bandit's arrays, the value networks' optimiser moments and the count
        of visits recorded."""
        arrays = super().state_arrays()
        if self.values is not None:
            arrays.update(optimiser_arrays(self.value_optimiser, VALUE_OPTIMISER),
                          visits_recorded=np.array(self.visits_recorded))
        return arrays

    def load_state_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Restore the factored bandit's arrays and the value networks' optimiser."""
        super().load_state_arrays(arrays)
        if self.values is not None:
            load_optimiser_arrays(self.value_optimiser, arrays, VALUE_OPTIMISER)
            self.visits_recorded = int(arrays["visits_recorded"])

    def _modules(self) -> dict[str, nn.Module]:
        """The factored bandit's modules and the value networks with their target."""
        modules = super()._modules()
        if self.values is not None:
            modules.update(values=self.values, target=self.target)
        return modules

    def _buffers(self) -> tuple[tuple[str, ReplayBuffer], ...]:
        """The factored bandit's buffers and the completed transitions."""
        buffers = super()._buffers()
        if self.values is None:
            return buffers
        return (*buffers, ("visits", self.visits), ("clicks", self.clicks))
