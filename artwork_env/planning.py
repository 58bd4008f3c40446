"""The lifetime-aware planner: a cheating reference that plans over the exact model.

The myopic oracle maximises this visit's expected reward. On a lifetime with long-term
effects (docs/model.md, section 4b) a click on an artwork that oversells its title costs
trust and may make the member leave, which this visit's reward does not see. The planner
looks ahead by **policy switching over rollouts** (Chang, Givan and Chong, "Parallel
rollout for online solution of partially observable Markov decision processes", 2004):

- a family of base policies pi_s, s in `PRICES`: the oracle's programme (`best_rows`) on
  the surrogate reward R - s x (visits left after this one) x (misrepresentation the
  clicks uncover). s = 0 is the myopic oracle itself;
- from the member's current hidden state, every pi_s is simulated to the end of the
  lifetime `n_rollouts` times on the exact simulator, with common random numbers across
  the family and futures of their own (`rng.rollout_keys`: never the member's own draws);
- the planner shows the row of the pi_s whose paired advantage over a default base
  policy, less half its standard error, is largest; the default's when none is positive.

Switching to the base policy whose value from the current state is highest does at least
as well as every base policy up to the rollouts' noise; the rule above makes sure of it
for the default, which is the best *fixed* price of the family on the world
(`best_fixed_price`: each pi_s followed for whole lifetimes by a pilot of fresh members
of a stream of their own), so the planner does at least as well as the best member of its
family followed throughout. On a world with nothing to plan for that is the myopic
oracle (s = 0). Its return per member minus the myopic oracle's is the world's
**sequential headroom** (`scripts/calibrate.py --headroom`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from artwork_env.compiled.core import ArtworkSimulator
from artwork_env.model import rng
from artwork_env.model.config import ModelConfig
from artwork_env.model.numpy_core import NumpySimulator
from artwork_env.model.page import VisitOutcome

PRICES = (0.0, 0.1, 0.3, 1.0, 3.0)
"""The planner's family: prices per unit of uncovered misrepresentation per visit left."""
PILOT_STREAM = 31_337
"""The numbered stream of `best_fixed_price`'s pilot members (apart from any evaluation)."""
MAX_IMAGINED = 4096
"""Imagined members held at once (about 47 KiB each): larger batches are planned in parts."""


def surrogate_rows(sim: NumpySimulator, price: np.ndarray) -> np.ndarray:
    """(N, K) rows of the base policies pi_price for the current pages: the oracle's
    programme with `price` (N,) x (visits left after this one) charged per unit of
    misrepresentation a click uncovers (`sim.priced_rows`)."""
    left = np.maximum(sim.config.n_visits - sim.state.visit.astype(np.float64) - 1.0, 0.0)
    return sim.priced_rows(np.asarray(price, dtype=np.float64) * left)


def run_lifetimes(sim: NumpySimulator,
                  choose: Callable[[NumpySimulator, np.ndarray], np.ndarray],
                  account: Callable[[VisitOutcome, np.ndarray, np.ndarray], None],
                  compact_below: float = 1.0) -> None:
    """Step every member of `sim` with the rows `choose(sim, where)` until each lifetime
    ends, `where` (n,) the first positions of the members `sim` now holds;
    `account(outcome, where, live)` sees every visit (`live`: the members whose lifetime
    had not ended before it). Ended members are dropped (the live ones copied) once the
    live fall below `compact_below` of the batch; until then they keep stepping, which
    costs less than a copy. `sim` is consumed (its members live the future)."""
    where = np.arange(sim.n)
    live = np.ones(sim.n, dtype=bool)
    while live.any():
        outcome = sim.visit_step(choose(sim, where))
        account(outcome, where, live)
        live &= ~outcome.terminated
        if live.sum() < compact_below * sim.n:
            keep = np.flatnonzero(live)
            sim, where, live = sim.copy_members(keep), where[keep], live[keep]


def imagined_returns(sim: NumpySimulator, price: np.ndarray) -> np.ndarray:
    """(N,) the return from the current visit to the end of the lifetime of every member of
    `sim` following pi_price, each visit counted by its exact expected reward (the state
    still moves by the drawn clicks and plays); `sim` is consumed."""
    total = np.zeros(sim.n)

    def account(outcome: VisitOutcome, where: np.ndarray, live: np.ndarray) -> None:
        total[where] += outcome.expected_reward * live  # exact: no noise from the draw

    run_lifetimes(sim, lambda now, where: surrogate_rows(now, price[where]), account,
                  compact_below=0.75)
    return total


def fixed_price_returns(config: ModelConfig, n_members: int, seed: int,
                        prices: tuple[float, ...] = PRICES) -> np.ndarray:
    """(len(prices), n_members) the return per lifetime of fresh members `0..n_members-1`
    of the numbered stream `seed` following each base policy pi_s from their first visit
    to their last (exact expected rewards, as `imagined_returns`)."""
    out = np.empty((len(prices), n_members))
    for i, price in enumerate(prices):
        sim = ArtworkSimulator(config, n_members)
        sim.reset_members(np.arange(n_members), rng.numbered_keys(seed, 0, n_members))
        out[i] = imagined_returns(sim, np.full(n_members, float(price)))
    return out


def best_fixed_price(config: ModelConfig, n_members: int = 1000,
                     prices: tuple[float, ...] = PRICES) -> float:
    """The price s of the base policy pi_s with the highest mean return per lifetime over
    `n_members` pilot members (`fixed_price_returns`, stream `PILOT_STREAM`); 0.0 (the
    myopic oracle) on a one-visit env."""
    if config.n_visits <= 1:
        return 0.0
    returns = fixed_price_returns(config, n_members, PILOT_STREAM, prices)
    return float(prices[int(returns.mean(axis=1).argmax())])


def plan(sim: NumpySimulator, n_rollouts: int = 8, prices: tuple[float, ...] = PRICES,
         default: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """The planner's (N, K) rows for the pages now shown to the members of `sim`, and the
    (N,) price of the base policy chosen for each (0.0: the myopic oracle's row); the
    switch keeps pi_default unless another base policy beats it (`_switch`)."""
    if n_rollouts < 1:
        raise ValueError(f"n_rollouts must be >= 1, got {n_rollouts}")
    if not prices or prices[0] != 0.0 or min(prices) < 0.0:
        raise ValueError(f"prices must start with 0.0 (the myopic oracle) and be >= 0, got "
                         f"{prices!r}")
    if default not in prices:
        raise ValueError(f"the default price {default!r} is not one of the prices {prices!r}")
    if (sim.state.visit >= sim.config.n_visits - 1).all():  # a last visit: every pi_s is myopic
        return sim.oracle()[1], np.zeros(sim.n)
    n_family = len(prices)
    per_member = n_family * n_rollouts
    chosen = np.zeros(sim.n)
    chunk = max(1, MAX_IMAGINED // per_member)
    for start in range(0, sim.n, chunk):
        members = np.arange(start, min(start + chunk, sim.n))
        imagined = sim.copy_members(np.repeat(members, per_member))
        keys = rng.rollout_keys(sim.state.keys[members], sim.state.visit[members], n_rollouts)
        imagined.state.keys[:] = (  # the same futures for every price
            np.broadcast_to(keys[:, None, :], (len(members), n_family, n_rollouts)).ravel())
        price = np.tile(np.repeat(np.asarray(prices, dtype=np.float64), n_rollouts),
                        len(members))
        value = imagined_returns(imagined, price).reshape(len(members), n_family, n_rollouts)
        chosen[members] = np.asarray(prices)[_switch(value, prices.index(default))]
    return surrogate_rows(sim, chosen), chosen


def _switch(value: np.ndarray, default: int = 0) -> np.ndarray:
    """(N,) the base policy to follow from (N, family, rollouts) imagined returns: the one
    whose paired advantage over the `default`-th on the common random numbers is largest
    after subtracting half its standard error; the default when none is positive
    (switching on noise alone costs return where there is nothing to plan for: measured
    on 300 members of long_term = 0, -0.35 % with half a standard error, -0.6 to -1.7 %
    with none)."""
    advantage = value - value[:, default:default + 1]
    spread = advantage.std(axis=2, ddof=1) if value.shape[2] > 1 else np.zeros(value.shape[:2])
    score = advantage.mean(axis=2) - 0.5 * spread / np.sqrt(value.shape[2])
    score = np.where(score > 0.0, score, -np.inf)  # ties keep the default
    score[:, default] = 0.0
    return score.argmax(axis=1)


def lifetime_returns(config: ModelConfig, n_members: int, seed: int, planner: bool,
                     n_rollouts: int = 8, default: float = 0.0) -> np.ndarray:
    """(n_members,) the return per lifetime of fresh members `0..n_members-1` of the stream
    drawn from `seed`, shown the myopic oracle's rows (`planner=False`) or the planner's
    (switching from pi_default); each visit counts its exact expected reward (an unbiased
    estimate of the expected return, with less noise than the drawn rewards)."""
    sim = ArtworkSimulator(config, n_members)
    sim.reset_members(np.arange(n_members), rng.numbered_keys(seed, 0, n_members))
    total = np.zeros(n_members)

    def choose(now: NumpySimulator, where: np.ndarray) -> np.ndarray:
        return plan(now, n_rollouts, default=default)[0] if planner else now.oracle()[1]

    def account(outcome: VisitOutcome, where: np.ndarray, live: np.ndarray) -> None:
        total[where] += outcome.expected_reward * live

    run_lifetimes(sim, choose, account)
    return total


def headroom(config: ModelConfig, n_members: int = 500, seed: int = 0,
             n_rollouts: int = 8) -> dict[str, float]:
    """The sequential headroom of a world: the myopic oracle's, the best fixed base
    policy's (`best_fixed_price`, chosen on the pilot members) and the planner's mean
    return per lifetime over the same fresh members, and 100 (planner / myopic - 1)."""
    default = best_fixed_price(config)
    myopic = lifetime_returns(config, n_members, seed, planner=False)
    fixed = fixed_price_returns(config, n_members, seed, (default,))[0]
    planned = lifetime_returns(config, n_members, seed, planner=True, n_rollouts=n_rollouts,
                               default=default)
    return {"myopic": float(myopic.mean()), "fixed": float(fixed.mean()),
            "fixed_price": default, "planner": float(planned.mean()),
            "fixed_pct": 100.0 * (fixed.mean() / myopic.mean() - 1.0),
            "headroom_pct": 100.0 * (planned.mean() / myopic.mean() - 1.0)}
