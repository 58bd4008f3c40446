"""A lifetime-aware learner: the factored bandit's choice model with a long-term value per
clicked candidate (after SlateQ, Ie et al., IJCAI 2019), through a learned model of the
member's leaving.

On a lifetime (`ArtworkPersonalization-v1`) a click does more than earn this visit's
reward: it tells the member whether the image told the truth, and an oversold title costs
trust and may make the member leave (docs/model.md, section 4b). The factored bandit
(`artwork_env.agents.neural.factored`) scores a candidate by this visit's expected gain
only. `ltv` adds what the click does to the rest of the lifetime.

Write s for the member's observed state at a visit, C for the set of candidates clicked
on it and y for the return after the visit, discounted by `gamma`
(y_t = sum_{u > t} gamma^(u - t - 1) r_u). `ltv` learns what a click does to the rest of
the lifetime through what every member shows at once: whether they come back. A model of
leaving after the visit, with logits additive over the clicks,

    P(leave | s, C) = sigma( f0(s) + sum_{i in C} (kappa(s) + phi(s, i)) ),

and the value of the rest of the lifetime for a member who stays, V(s) = E[y | s, stayed],
give what a click on candidate a adds to the expected return after the visit, against a
click on the page's average candidate:

    delta(s, a) = -( sigma(f0(s) + kappa(s) + phi(s, a))
                     - sigma(f0(s) + kappa(s) + phibar(s)) ) V(s),

with phibar(s) the mean of phi(s, i) over the page's valid candidates.

kappa(s) is what every click shares: part cause (a click may end in a quality play,
which ends a streak of empty visits, and empty visits drive churn), part selection, since
a member who clicks is on average more engaged than the observation shows (the hidden
propensity of docs/model.md, section 2) and leaves less whatever image they clicked. No
image choice causes that part, and a score that credited it to the clicked image would
favour images that draw clicks whatever follows them: clickbait. phi(s, i) is the
clicked image's own part (large for an image that oversells: docs/model.md, section 4b).
phi is pulled toward 0 by a prior of a fixed weight (`click_value_prior` / the clicks
stored, times its mean square: a Gaussian prior against a likelihood summed over the
clicks, so its pull fades as clicks accumulate) and kappa is not, so what all clicks
share goes mostly to kappa, and phi moves from 0 only as far as the leaving shows. The
split is not identified by the data (phi reads the member's columns too, so it can carry
a part of kappa), which is why delta compares a click with a click on the page's average
candidate: whatever is common to every candidate of the page, whether the fit put it in
kappa or in phi, cancels, and the prior only has to keep phi from fitting noise.

A candidate is scored by the factored bandit's gain plus its long-term term,

    score(s, a) = c(s, a) (p(s, a) - lambda (1 - p(s, a))) + gamma c(s, a) delta(s, a),

the expected reward of a row plus gamma times the delta part of E[y], summed over the
cascade as the gains are:

    sum_k P(k examined) c_k [ (p_k - lambda (1 - p_k)) + gamma delta(s, a_k) ].

The row is chosen slot by slot as the factored bandit chooses it (with the same
ensemble, Thompson draws and epsilon). `gamma = 0` is the factored bandit itself: the
value networks are not built, and every number is the factored bandit's. What an
oversold click does to the member's trust (hidden, and lasting) is not modelled: only
what it does to their staying.

A member's visits are kept until their lifetime ends (the next visit of the same member
index starts a new member, `episode_start`); then every visit goes to the replay buffers
with its return y and whether the member left after it (lifetimes still open when
`learn` ends are dropped). Two networks are fitted on them:

- f0(s), kappa(s) and V(s), three outputs of an MLP of the member's observation columns
  (`StateValues`): V by squared error against y on the visits the member stayed after;
  f0 by the logistic loss of leaving on every visit, alone on those without a click;
- phi(s, i), an MLP of the candidate's inputs (`ClickHazards`, no per-arm terms), with
  kappa (and f0) by the logistic loss of leaving on the visits with clicks, the logit
  f0 + sum over the visit's clicks of (kappa + phi), each visit weighted once.

The leaving is a binary label with a clear signal (an oversold click makes a member
leave with probability 1 - exp(-long_term x disappointment_churn x misrepresentation)),
where the return after a visit is a sum of many noisy rewards; the return enters only
through V, shared by every candidate of a page.

`ltv` reads only the env's feedback (clicks, plays, rewards) and observation: nothing of
the member's hidden state or of the model's misrepresentation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from artwork_env.agents.base import Observation, ProblemSpec, TrainingEnv, VisitReport
from artwork_env.agents.modules import candidate_inputs, input_columns
from artwork_env.agents.neural.factored import FactoredBanditAgent, FactoredConfig
from artwork_env.agents.neural.optimiser_state import load_optimiser_arrays, optimiser_arrays
from artwork_env.agents.neural.replay import ReplayBuffer
from artwork_env.arrays import gather_chosen
from artwork_env.model.rewards import slot_gain
from artwork_env.validation import check_integer, check_positive, check_real

VALUE_OPTIMISER = "value_optimiser."
"""The prefix of the value networks' optimiser state in saved arrays."""


class StateValues(nn.Module):
    """f0(s), kappa(s) and V(s): an MLP of the member's observation columns with three
    outputs."""

    def __init__(self, member_width: int, hidden: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(member_width, hidden), nn.ReLU(),
                                  nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 3))

    def forward(self, member: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor,
                                                     torch.Tensor]:
        """(f0(s), kappa(s), V(s)) of each row of member columns."""
        out = self.body(member)
        return out[:, 0], out[:, 1], out[:, 2]


class ClickHazards(nn.Module):
    """phi(s, i): an MLP of the candidate's inputs alone, 0 at the start. What a click
    does to the member's leaving depends on what the member and the image show (a theme
    outside the title's genres, a theme the history favours over the title's); unlike the
    response networks it has no per-arm terms, which would be fitted from each arm's few
    clicks."""

    def __init__(self, n_in: int, hidden: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(),
                                  nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))
        nn.init.zeros_(self.body[-1].weight)
        nn.init.zeros_(self.body[-1].bias)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """phi of each row of candidate inputs."""
        return self.body(inputs)[:, 0]


class LongTermValues(nn.Module):
    """The state's leaving logit, shared click term and value (`StateValues`) and
    phi(s, i), what a click on a candidate adds to the leaving logit (`ClickHazards`)."""

    def __init__(self, spec: ProblemSpec, hidden: int) -> None:
        super().__init__()
        columns = input_columns(spec)
        self.member_cols = columns["member"]
        self.state = StateValues(self.member_cols.stop - self.member_cols.start, hidden)
        self.click = ClickHazards(columns.width, hidden)


@dataclass(frozen=True)
class LtvConfig(FactoredConfig):
    """`ltv`'s hyperparameters: the factored bandit's and the long-term value's."""

    gamma: float = 1.0
    """weight of the long-term value a click adds (0: the factored bandit, bit for bit)"""
    value_learning_rate: float = 3e-4
    """Adam's rate for the long-term value networks"""
    value_buffer_size: int = 200_000
    """visits and clicks each value buffer keeps"""
    click_value_prior: float = 1000.0
    """weight, in clicks, of the prior pulling phi (what a click adds to the leaving logit)
    to 0: the penalty on phi's mean square is this over the clicks stored"""

    def check(self) -> None:
        """The factored bandit's checks and the value's ranges."""
        super().check()
        check_real("gamma", self.gamma, low=0.0, high=1.0)
        check_real("click_value_prior", self.click_value_prior, low=0.0)
        check_positive("value_learning_rate", self.value_learning_rate)
        check_integer("value_buffer_size", self.value_buffer_size)


class LtvAgent(FactoredBanditAgent):
    """The factored bandit scoring each candidate with its gain plus gamma x its click
    probability x the long-term value a click on it adds (module doc)."""

    name = "ltv"
    MODULE_NAMES = (*FactoredBanditAgent.MODULE_NAMES, "values")
    NETWORK_SETTINGS = (*FactoredBanditAgent.NETWORK_SETTINGS, "gamma")

    config_class = LtvConfig
    config: LtvConfig

    def __init__(self, spec: ProblemSpec, seed: int = 0, device: str = "cpu",
                 **hyperparameters: Any) -> None:
        super().__init__(spec, seed, device, **hyperparameters)
        cfg = self.config
        self.open: list[list[tuple[np.ndarray, ...]]] = []
        """Per member index, the visits of the lifetime in progress (member row, reward,
        clicked candidates' inputs)."""
        if cfg.gamma == 0.0:  # the factored bandit itself
            self.values = None
            return
        self.values = LongTermValues(spec, cfg.hidden).to(self.device)
        self.value_optimiser = torch.optim.Adam(self.values.parameters(),
                                                lr=cfg.value_learning_rate)
        member_width = self.values.member_cols.stop - self.values.member_cols.start
        self.visits = ReplayBuffer(cfg.value_buffer_size, member=((member_width,), np.float32),
                                   target=((), np.float32), clicked=((), np.float32),
                                   left=((), np.float32))
        self.clicks = ReplayBuffer(cfg.value_buffer_size, features=((self.n_in,), np.float32),
                                   left=((), np.float32), visit=((), np.int64),
                                   place=((), np.int64), n_clicks=((), np.int64))
        self.visits_recorded = 0

    # ---------------------------------------------------------------- model
    def click_values(self, obs: Observation) -> np.ndarray:
        """(N, K, M) delta: what a click on each candidate adds to the return after the
        visit against a click on the page's average candidate, through the member's
        leaving: -(sigma(f0 + kappa + phi) - sigma(f0 + kappa + phibar)) V, phibar the mean
        of phi over the page's valid candidates."""
        if self.values is None:
            return np.zeros(obs["action_mask"].shape, dtype=np.float32)
        return self._click_values(obs, self.candidate_tensors(obs)[0])

    def _click_values(self, obs: Observation, x: torch.Tensor) -> np.ndarray:
        """`click_values` from the candidates' input tensor `x` (`candidate_tensors`)."""
        n = len(obs["action_mask"])
        valid = torch.as_tensor(np.asarray(obs["action_mask"]) > 0, device=self.device)
        with torch.no_grad():
            phi = self.values.click(x).reshape(obs["action_mask"].shape)
            leave, shared, value = self.values.state(torch.as_tensor(
                np.asarray(obs["member"], dtype=np.float32), device=self.device))
            page_mean = ((phi * valid).sum(dim=(1, 2))
                         / valid.sum(dim=(1, 2)).clamp(min=1)).reshape(n, 1, 1)
            clicked = (leave + shared).reshape(n, 1, 1) + phi
            average = (leave + shared).reshape(n, 1, 1) + page_mean
            delta = -(torch.sigmoid(clicked) - torch.sigmoid(average)) * value.reshape(n, 1, 1)
        return delta.cpu().numpy()

    def member_gains(self, obs: Observation) -> np.ndarray:
        """(E, N, K, M) each ensemble member's score: the slot gain plus gamma x click
        probability x delta (the factored bandit's gain when gamma is 0)."""
        if self.values is None:
            return super().member_gains(obs)
        x, arms = self.candidate_tensors(obs)  # once for both networks
        click, play = self.member_probabilities(obs, (x, arms))
        gains = slot_gain(self.spec.reward, self.spec.bounce_penalty, click, play)
        return gains + self.config.gamma * click * self._click_values(obs, x)[None]

    def state_values(self, member: np.ndarray) -> tuple[np.ndarray, ...]:
        """(f0(s), kappa(s), V(s)) of (N, member width) observation rows."""
        if self.values is None:
            zeros = np.zeros(len(member), dtype=np.float32)
            return zeros, zeros, zeros
        with torch.no_grad():
            out = self.values.state(torch.as_tensor(member, device=self.device))
        return tuple(value.cpu().numpy() for value in out)

    # ---------------------------------------------------------------- learning
    def learn(self, env: TrainingEnv, visits: int, report: VisitReport) -> None:
        """The factored bandit's loop; lifetimes left open by an earlier loop (whose
        members are gone) are dropped."""
        self.open = []
        super().learn(env, visits, report)

    def update(self, obs: Observation, actions: np.ndarray, reward: np.ndarray,
               info: dict[str, Any]) -> None:
        """Record the visit in its member's lifetime (`_record`), then the factored
        bandit's update."""
        if self.values is not None:
            self._record(obs, actions, reward, info)
        super().update(obs, actions, reward, info)

    def _record(self, obs: Observation, actions: np.ndarray, reward: np.ndarray,
                info: dict[str, Any]) -> None:
        """Close the lifetimes that ended before this visit (`episode_start`: a new member
        at that index), then add this visit to each member's open lifetime."""
        n = len(reward)
        if len(self.open) != n:
            self.open = [[] for _ in range(n)]
        for i in np.flatnonzero(obs["episode_start"]):
            if self.open[i]:
                self._close(self.open[i])
            self.open[i] = []
        member = np.asarray(obs["member"], dtype=np.float32)
        clicks = np.asarray(info["clicks"], dtype=bool)
        features = gather_chosen(candidate_inputs(self.spec, obs), actions)
        for i in range(n):
            self.open[i].append((member[i], float(reward[i]), features[i][clicks[i]]))

    def _close(self, lifetime: list[tuple[np.ndarray, ...]]) -> None:
        """Put an ended lifetime's visits into the buffers, each with the return after it."""
        rewards = np.array([visit[1] for visit in lifetime])
        target = np.zeros(len(lifetime))
        for t in range(len(lifetime) - 2, -1, -1):
            target[t] = rewards[t + 1] + self.config.gamma * target[t + 1]
        n_clicks = np.array([len(visit[2]) for visit in lifetime])
        left = (np.arange(len(lifetime)) == len(lifetime) - 1).astype(np.float32)
        self.visits.push(member=np.stack([visit[0] for visit in lifetime]), target=target,
                         clicked=(n_clicks > 0).astype(np.float32), left=left)
        owner = np.repeat(np.arange(len(lifetime)), n_clicks)
        if len(owner):
            self.clicks.push(features=np.concatenate([visit[2] for visit in lifetime]),
                             left=left[owner], visit=self.visits_recorded + owner,
                             place=np.concatenate([np.arange(c) for c in n_clicks]),
                             n_clicks=n_clicks[owner])
        self.visits_recorded += len(lifetime)

    def _train(self) -> None:
        """The factored bandit's training, then as many steps on the value networks."""
        super()._train()
        if self.values is not None and self.visits.size:
            for _ in range(self.config.train_steps):
                self._value_step()

    def _value_step(self) -> None:
        """One Adam step on the leaving logits, V and phi (module doc)."""
        size = self.config.batch_size
        batch = self.visits.tensors(self.rng.integers(0, self.visits.size,
                                                      min(size, self.visits.size)),
                                    self.device)
        leave, _, value = self.values.state(batch["member"])
        stayed, unclicked = 1.0 - batch["left"], 1.0 - batch["clicked"]
        bce = nn.functional.binary_cross_entropy_with_logits
        loss = (((value - batch["target"]) ** 2 * stayed).sum() / stayed.sum().clamp(1.0)
                + (bce(leave, batch["left"], reduction="none") * unclicked).sum()
                / unclicked.sum().clamp(1.0))
        if self.clicks.size:
            loss = loss + self._click_loss(self.rng.integers(0, self.clicks.size,
                                                             min(size, self.clicks.size)))
        self.value_optimiser.zero_grad()
        loss.backward()
        self.value_optimiser.step()

    def _click_loss(self, rows: np.ndarray) -> torch.Tensor:
        """On the visits of the clicked rows `rows`: the logistic loss of the member's
        leaving after the visit, logit f0(s) + sum_{i in C} (kappa(s) + phi(s, i)) (each
        visit weighted once however many of its clicks were drawn; visits partly
        overwritten in the ring left out), plus `click_value_prior` / (clicks stored) x the
        mean squared phi."""
        columns, capacity = self.clicks.columns, self.clicks.capacity
        group = (rows - columns["place"][rows])[:, None] + np.arange(self.spec.n_slots)
        group %= capacity
        inside = np.arange(self.spec.n_slots) < columns["n_clicks"][rows][:, None]
        whole = ((columns["visit"][group] == columns["visit"][rows][:, None]) | ~inside).all(1)
        owner, where = np.nonzero(inside & whole[:, None])
        phi = self.values.click(self.clicks.tensors(group[owner, where],
                                                    self.device)["features"])
        summed = torch.zeros(len(rows), device=self.device).index_add(
            0, torch.as_tensor(owner, device=self.device), phi)
        visit = self.clicks.tensors(rows, self.device)
        leave, shared, _ = self.values.state(visit["features"][:, self.values.member_cols])
        weight = torch.as_tensor(whole / columns["n_clicks"][rows], dtype=torch.float32,
                                 device=self.device)
        logit = leave + visit["n_clicks"] * shared + summed
        loss = nn.functional.binary_cross_entropy_with_logits(logit, visit["left"],
                                                              reduction="none")
        return ((weight * loss).sum() / weight.sum().clamp(min=1e-6)
                + self.config.click_value_prior / max(self.clicks.size, 1)
                * (phi ** 2).mean())

    # ---------------------------------------------------------------- saving
    def state_arrays(self) -> dict[str, np.ndarray]:
        """The factored bandit's arrays, the value networks' optimiser moments and the count
        of visits recorded (open lifetimes are not kept: a resumed run meets new members)."""
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
        """The factored bandit's modules and the value networks."""
        modules = super()._modules()
        if self.values is not None:
            modules["values"] = self.values
        return modules

    def _buffers(self) -> tuple[tuple[str, ReplayBuffer], ...]:
        """The factored bandit's buffers and the ended lifetimes' visits and clicks."""
        buffers = super()._buffers()
        if self.values is None:
            return buffers
        return (*buffers, ("visits", self.visits), ("clicks", self.clicks))
