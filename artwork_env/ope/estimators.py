"""Off-policy estimators of a target policy's reward per visit, from logged data.

The target policy is given as `target_dist` (n, K, M): its probability of every artwork in
every slot of each logged visit (`target_distribution`). The page's reward is the sum of
its slots' rewards, and each estimator combines per-slot terms with one of three weight
profiles, from the logged-vs-target probability ratio w_k = pi(a_k | x) / pscore_k:

- `slot` (factorised, "independent IPS"): slot k is weighted by w_k alone. Lowest variance,
  but biased here: slot k's reward also depends on the artworks left of it (the cascade
  stops at a quality play; salience compares with the left neighbour).
- `cascade` (Kiyohara et al. 2022's RIPS): slot k by prod_{j<=k} w_j. Unbiased for this
  simulator, whose slot k depends only on slots 0..k.
- `page` (whole-slate IPS): every slot by prod_j w_j. Unbiased for any page model; its
  variance grows like M^K.

Estimators: `replay` (Li et al. 2011: keep the events whose logged artworks the target
would have chosen; rejection sampling makes non-uniform logs look uniform), `ips`,
`snips` (self-normalised), `direct_method` (a fitted reward model q(x, k, a)), and
`doubly_robust` (IPS with the model as a control variate, unbiased whenever the weighting
is), each with a bootstrap confidence interval over visits; `pseudoinverse` (Swaminathan
et al. 2017: unbiased when the page's reward is additive over slots, not the case here);
and `model_based`, a fitted response model's prediction of the target (with the cascade
click model of `artwork_env.agents.click_model`: Li et al. 2018's click-model estimators), whose
interval comes from the model's influence function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import lru_cache
from statistics import NormalDist
from typing import Any, Protocol

import numpy as np

from artwork_env.envs.env import Observation
from artwork_env.ope.dataset import LoggedData

VARIANTS = ("slot", "cascade", "page")
ESTIMATORS = ("replay", "ips", "snips", "dm", "dr", "pi", "cm")
N_BOOTSTRAP = 200
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Estimate:
    """An estimated reward per visit with its bootstrap confidence interval."""

    estimator: str
    variant: str
    value: float
    ci_low: float
    ci_high: float
    std_error: float  # bootstrap standard deviation of the estimate
    slot_values: tuple[float, ...]
    events: int  # (visit, slot) events that carry weight (replay: accepted events)
    n_visits: int
    ess: tuple[float, ...] = ()  # per slot: the weighting's effective sample size, in visits

    def as_dict(self) -> dict[str, Any]:
        """A flat dict (for tables); slot values and effective sample sizes as lists."""
        return {**asdict(self), "slot_values": list(self.slot_values), "ess": list(self.ess)}


@dataclass(frozen=True)
class ModelEvaluation:
    """A fitted response model's account of a target policy on the logged visits."""

    slot_values: np.ndarray  # (n, K) the target's expected reward per slot on each visit
    influence: np.ndarray  # (n,) each visit's pull on the estimate through the model's fit


class ResponseModel(Protocol):
    """A model of the member's response fitted to a log (`artwork_env.agents.click_model`)."""

    def evaluate_all(self, target_dists: list[np.ndarray]) -> list[ModelEvaluation]:
        """Each target's expected reward on every logged visit, with each visit's influence."""
        ...


# ------------------------------------------------------------------------- target policy
def target_distribution(policy: Callable[[Observation], np.ndarray] | Any, data: LoggedData,
                        batch_size: int = 4096) -> np.ndarray:
    """(n, K, M) probabilities of a target policy on every logged visit.

    `policy` is an object with `action_distribution(obs)` (`artwork_env.agents.policies.Policy`) or
    a function of the observation. Visits are processed in batches to bound memory.
    """
    fn = getattr(policy, "action_distribution", policy)
    parts = [np.asarray(fn(data.observations(start, start + batch_size)), dtype=np.float64)
             for start in range(0, data.n_visits, batch_size)]
    dist = np.concatenate(parts)
    check_distribution(dist, data.action_mask)
    return dist


def check_distribution(dist: np.ndarray, mask: np.ndarray) -> None:
    """Refuse a target distribution that is not a distribution over the allowed artworks."""
    if dist.shape != mask.shape:
        raise ValueError(f"target distribution has shape {dist.shape}, expected {mask.shape}")
    if (dist < 0).any() or not np.allclose(dist.sum(axis=-1), 1.0, atol=1e-6):
        raise ValueError("target distribution must be non-negative and sum to 1 per slot")
    if (dist[mask == 0] > 0).any():
        raise ValueError("target distribution puts probability on artworks that do not exist")


def draw(gen: np.random.Generator, dist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One artwork per slot from (..., M) probabilities, and the probability of each draw."""
    cumulative = np.cumsum(dist, axis=-1)
    u = gen.random(dist.shape[:-1] + (1,)) * cumulative[..., -1:]
    actions = np.minimum((cumulative <= u).sum(axis=-1), dist.shape[-1] - 1)
    # rounding can land on a zero-probability tail entry: step back to the last allowed one
    zero = np.take_along_axis(dist, actions[..., None], axis=-1)[..., 0] <= 0
    if zero.any():
        last = dist.shape[-1] - 1 - np.argmax(dist[..., ::-1] > 0, axis=-1)
        actions = np.where(zero, last, actions)
    return actions, np.take_along_axis(dist, actions[..., None], axis=-1)[..., 0]


# ------------------------------------------------------------------------------- weights
def importance_weights(data: LoggedData, target_dist: np.ndarray) -> np.ndarray:
    """(n, K) w_k = pi(logged artwork | x) / pscore per slot."""
    check_distribution(target_dist, data.action_mask)
    chosen = np.take_along_axis(target_dist, data.actions[..., None], axis=2)[..., 0]
    return chosen / data.pscore


def profile_weights(weights: np.ndarray, variant: str) -> tuple[np.ndarray, np.ndarray]:
    """(omega, base), each (n, K): slot k's weight, and that weight without slot k's own factor.

    slot: (w_k, 1); cascade: (prod_{j<=k} w_j, prod_{j<k} w_j); page: (prod_j w_j,
    prod_{j != k} w_j). `base` weighs the reward model's prediction in `doubly_robust`.
    """
    _check_variant(variant)
    n, k = weights.shape
    if variant == "slot":
        return weights, np.ones_like(weights)
    before = np.ones((n, k))
    before[:, 1:] = np.cumprod(weights[:, :-1], axis=1)
    if variant == "cascade":
        return before * weights, before
    after = np.ones((n, k))
    after[:, :-1] = np.cumprod(weights[:, :0:-1], axis=1)[:, ::-1]
    total = np.repeat(weights.prod(axis=1, keepdims=True), k, axis=1)
    return total, before * after


def effective_sample_size(omega: np.ndarray) -> tuple[float, ...]:
    """Per slot, Kish's effective sample size (sum omega)^2 / sum omega^2 of (n, K) weights:
    how many visits of the target's own data the weighted log is worth at that slot."""
    total, squares = omega.sum(axis=0), (omega ** 2).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return tuple(float(v) for v in np.where(squares > 0, total ** 2 / squares, 0.0))


def _check_variant(variant: str) -> None:
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; available: {', '.join(VARIANTS)}")


# ----------------------------------------------------------------------------- estimators
def ips(data: LoggedData, target_dist: np.ndarray, variant: str = "cascade",
        n_bootstrap: int = N_BOOTSTRAP, confidence: float = CONFIDENCE, seed: int = 0
        ) -> Estimate:
    """Inverse propensity scoring: mean over visits of sum_k omega_k r_k."""
    return _weighted("ips", data, target_dist, variant, False, n_bootstrap, confidence, seed)


def snips(data: LoggedData, target_dist: np.ndarray, variant: str = "cascade",
          n_bootstrap: int = N_BOOTSTRAP, confidence: float = CONFIDENCE, seed: int = 0
          ) -> Estimate:
    """Self-normalised IPS: per slot, sum omega_k r_k / sum omega_k (within the reward range)."""
    return _weighted("snips", data, target_dist, variant, True, n_bootstrap, confidence, seed)


def pseudoinverse(data: LoggedData, target_dist: np.ndarray, n_bootstrap: int = N_BOOTSTRAP,
                  confidence: float = CONFIDENCE, seed: int = 0) -> Estimate:
    """The pseudoinverse estimator (Swaminathan et al., NeurIPS 2017) for a logger that draws
    each slot independently: mean over visits of (sum_k w_k - K + 1) R, R the visit's reward.

    Unbiased when the page's reward is additive over (slot, artwork) pairs, r(x, A) =
    sum_k phi(x, k, a_k), whatever the phi: each slot's term is then identified from the
    whole page's reward. Here the cascade and the left neighbour make the reward
    non-additive, so it is biased (tested in a world built additive, where it is not).
    Its single term is the page's: `slot_values` holds the whole estimate.
    """
    weights = importance_weights(data, target_dist)
    n_slots = weights.shape[1]
    per_visit = (weights.sum(axis=1) - n_slots + 1) * data.reward
    return _estimate("pi", "page", per_visit[:, None], None, np.ones((len(per_visit), 1), bool),
                     n_bootstrap, confidence, seed, effective_sample_size(weights))


def _weighted(name: str, data: LoggedData, target_dist: np.ndarray, variant: str,
              normalise: bool, n_bootstrap: int, confidence: float, seed: int) -> Estimate:
    """IPS, or SNIPS when `normalise`: the weighted slot rewards of `variant`'s weights."""
    omega, _ = profile_weights(importance_weights(data, target_dist), variant)
    return _estimate(name, variant, omega * data.slot_reward, omega if normalise else None,
                     omega > 0, n_bootstrap, confidence, seed, effective_sample_size(omega))


def direct_method(data: LoggedData, target_dist: np.ndarray, reward_estimates: np.ndarray,
                  n_bootstrap: int = N_BOOTSTRAP, confidence: float = CONFIDENCE,
                  seed: int = 0) -> Estimate:
    """The reward model's prediction under the target: mean of sum_k sum_a pi(a) q(x, k, a).

    `reward_estimates` (n, K, M): the model's expected slot reward of every artwork. No
    weights, so no variant: the model's bias is the estimator's bias.
    """
    _check_estimates(reward_estimates, data)
    check_distribution(target_dist, data.action_mask)
    predicted = np.sum(target_dist * reward_estimates, axis=2)
    return _estimate("dm", "model", predicted, None, np.ones_like(predicted, dtype=bool),
                     n_bootstrap, confidence, seed)


def doubly_robust(data: LoggedData, target_dist: np.ndarray, reward_estimates: np.ndarray,
                  variant: str = "cascade", n_bootstrap: int = N_BOOTSTRAP,
                  confidence: float = CONFIDENCE, seed: int = 0,
                  control_scale: float | None = None) -> Estimate:
    """Doubly robust: IPS minus the reward model's control variate,

        sum_k omega_k r_k - lambda sum_k [omega_k q(x, k, a_k) - base_k E_pi q(x, k, .)].

    The control variate has mean zero whatever the model (slot k's logged artwork is drawn
    independently of the slots before it), so the estimate is unbiased whenever the
    weighting is. `control_scale` = 1 is the textbook DR, sum_k [base_k E_pi q + omega_k
    (r_k - q(a_k))]. The default (None) fits lambda = Cov(IPS, control) / Var(control) on
    the data, the variance-minimising scale: never more variance than IPS, where the
    textbook DR can have more when the model explains little (rare plays).
    """
    _check_estimates(reward_estimates, data)
    omega, base = profile_weights(importance_weights(data, target_dist), variant)
    predicted = np.sum(target_dist * reward_estimates, axis=2)
    logged = np.take_along_axis(reward_estimates, data.actions[..., None], axis=2)[..., 0]
    weighted = omega * data.slot_reward
    control = omega * logged - base * predicted
    if control_scale is None:
        per_visit, per_visit_control = weighted.sum(axis=1), control.sum(axis=1)
        spread = np.var(per_visit_control)
        control_scale = float(np.cov(per_visit, per_visit_control)[0, 1] / spread
                              if spread > 0 else 0.0)
    return _estimate("dr", variant, weighted - control_scale * control, None, omega > 0,
                     n_bootstrap, confidence, seed, effective_sample_size(omega))


def replay(data: LoggedData, target_dist: np.ndarray, variant: str = "slot",
           n_bootstrap: int = N_BOOTSTRAP, confidence: float = CONFIDENCE, seed: int = 0
           ) -> Estimate:
    """Replay (Li et al. 2011): the mean reward of the events the target would have produced.

    The target draws its artworks for each logged visit; slot k's event is kept when the
    logged artworks match on the variant's slots (slot: k; cascade: 0..k; page: all) and
    each matched slot survives rejection sampling with probability p_min / pscore (p_min =
    the smallest propensity in the log: 1 for uniform logs), which makes non-uniform logs
    look uniform. Keeps about p_min of the events per matched slot: 1/M for uniform logs.
    """
    check_distribution(target_dist, data.action_mask)
    gen = np.random.default_rng(seed)
    accepted = replay_acceptance(data, draw(gen, target_dist)[0], variant, gen)
    return _estimate("replay", variant, accepted * data.slot_reward, accepted.astype(float),
                     accepted, n_bootstrap, confidence, seed,
                     tuple(float(v) for v in accepted.sum(axis=0)))


def replay_acceptance(data: LoggedData, target_actions: np.ndarray, variant: str,
                      gen: np.random.Generator, start: int = 0,
                      p_min: float | None = None) -> np.ndarray:
    """(b, K) events kept by replay for the visits start..start+b given the target's artworks
    (`p_min`: the log's smallest propensity, computed when not given)."""
    _check_variant(variant)
    part = slice(start, start + len(target_actions))
    pscore = data.pscore[part]
    p_min = data.pscore.min() if p_min is None else p_min
    kept = (target_actions == data.actions[part]) & (gen.random(pscore.shape) < p_min / pscore)
    if variant == "cascade":
        return np.cumprod(kept, axis=1).astype(bool)
    if variant == "page":
        return np.repeat(kept.all(axis=1, keepdims=True), kept.shape[1], axis=1)
    return kept


def estimate_all(data: LoggedData, target_dist: np.ndarray,
                 reward_estimates: np.ndarray | None = None,
                 variants: tuple[str, ...] = VARIANTS, n_bootstrap: int = N_BOOTSTRAP,
                 confidence: float = CONFIDENCE, seed: int = 0,
                 model_evaluation: ModelEvaluation | None = None) -> list[Estimate]:
    """Every estimator in every variant, the pseudoinverse, DM and DR with
    `reward_estimates`, and the model-based estimate with a fitted response model's
    `model_evaluation` of the target."""
    out = []
    for variant in variants:
        for fn in (replay, ips, snips):
            out.append(fn(data, target_dist, variant, n_bootstrap, confidence, seed))
        if reward_estimates is not None:
            out.append(doubly_robust(data, target_dist, reward_estimates, variant,
                                     n_bootstrap, confidence, seed))
    out.append(pseudoinverse(data, target_dist, n_bootstrap, confidence, seed))
    if reward_estimates is not None:
        out.append(direct_method(data, target_dist, reward_estimates, n_bootstrap,
                                 confidence, seed))
    if model_evaluation is not None:
        out.append(model_based(model_evaluation, confidence))
    return out


def model_based(evaluation: ModelEvaluation, confidence: float = CONFIDENCE,
                name: str = "cm") -> Estimate:
    """The target's expected reward per visit under a response model fitted to the log
    (`evaluation`: the model's `evaluate_all` for the target).

    With a cascade click model (`artwork_env.agents.click_model`) this is the click-model estimator:
    unbiased as far as the model's form holds, and it uses every logged event, where the
    weighting estimators keep the events the target would have produced. The interval is
    normal, from the influence function phi_i = v_i - V + (the visit's influence through
    the fit), SE = std(phi) / sqrt(n): it counts both which members were logged and the
    model's estimation noise, not the bias of a wrong form.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    per_visit = evaluation.slot_values.sum(axis=1)
    value = float(per_visit.mean())
    n = len(per_visit)
    phi = per_visit - value + evaluation.influence
    std_error = float(phi.std(ddof=1) / np.sqrt(n))
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    return Estimate(name, "model", value, value - z * std_error, value + z * std_error,
                    std_error, tuple(float(v) for v in evaluation.slot_values.mean(axis=0)),
                    int(evaluation.slot_values.size), n)


def _check_estimates(reward_estimates: np.ndarray, data: LoggedData) -> None:
    if reward_estimates.shape != data.action_mask.shape:
        raise ValueError(f"reward_estimates has shape {reward_estimates.shape}, expected "
                         f"{data.action_mask.shape} (visits, slots, artworks)")


# ----------------------------------------------------------------------------- bootstrap
def _estimate(name: str, variant: str, numerator: np.ndarray, denominator: np.ndarray | None,
              used: np.ndarray, n_bootstrap: int, confidence: float, seed: int,
              ess: tuple[float, ...] = ()) -> Estimate:
    """Sum over slots of per-slot means (or ratios of sums), with a percentile bootstrap CI
    that resamples visits."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    n = numerator.shape[0]
    slot_values = _slot_values(numerator.sum(axis=0), None if denominator is None
                               else denominator.sum(axis=0), n)
    counts = _bootstrap_counts(seed, n, n_bootstrap)
    replicates = _slot_values(counts @ numerator, None if denominator is None
                              else counts @ denominator, n).sum(axis=-1)
    tail = 100 * (1 - confidence) / 2
    finite = replicates[np.isfinite(replicates)]
    low, high = (np.percentile(finite, [tail, 100 - tail]) if finite.size
                 else (np.nan, np.nan))
    std_error = float(np.std(finite, ddof=1)) if finite.size > 1 else np.nan
    return Estimate(name, variant, float(slot_values.sum()), float(low), float(high), std_error,
                    tuple(float(v) for v in slot_values), int(np.count_nonzero(used)), n, ess)


@lru_cache(maxsize=2)
def _bootstrap_counts(seed: int, n: int, n_bootstrap: int) -> np.ndarray:
    """(B, n) how often each visit is drawn in each bootstrap resample (the same resamples
    for every estimator of a log, so their intervals differ only by what they weigh)."""
    gen = np.random.default_rng(np.random.SeedSequence([seed, 0xB007]))
    counts = np.stack([np.bincount(gen.integers(0, n, n), minlength=n)
                       for _ in range(n_bootstrap)]).astype(np.float64)
    counts.flags.writeable = False
    return counts


def _slot_values(num: np.ndarray, den: np.ndarray | None, n: int) -> np.ndarray:
    if den is None:
        return num / n
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
