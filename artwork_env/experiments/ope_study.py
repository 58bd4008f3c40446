"""The offline-estimator study: how wrong is each estimator, against the simulator's truth?

- `online_curve` and `replay_learning`: a learning policy's reward as it learns, online and
  replayed from logs (Li et al. 2011), to compare the two;
- `compare_estimators` / `summarise_estimates`: every estimator on repeated logs against
  the truth (`artwork_env.ope.true_value`): bias, spread, RMSE, CI coverage and data used,
  like Open Bandit Pipeline's estimator comparison.
"""

from __future__ import annotations

import pickle
import warnings
from collections.abc import Callable
from copy import deepcopy
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from artwork_env.agents.base import Agent
from artwork_env.envs.rollout import Visit, rollout
from artwork_env.envs.vector_env import make_vector
from artwork_env.experiments.collect import LoggingPolicy, collect
from artwork_env.experiments.processes import process_map
from artwork_env.model.config import ModelConfig
from artwork_env.model.rng import spawn_seeds
from artwork_env.ope.dataset import LoggedData
from artwork_env.ope.estimators import (
    CONFIDENCE,
    N_BOOTSTRAP,
    VARIANTS,
    ResponseModel,
    estimate_all,
    replay_acceptance,
    target_distribution,
)
from artwork_env.ope.truth import true_value

TARGET = "target"
"""The policy name of `compare_estimators`' target in its rows."""


@dataclass(frozen=True)
class LearningCurve:
    """Reward per visit of a learning policy against the visits of feedback it has had.

    Per batch: `events` (K,) slot events learned from and `reward` (K,) their reward sum.
    `feedback_visits` converts events to visits (K slot events per online visit).
    """

    events: np.ndarray  # (B, K)
    reward: np.ndarray  # (B, K)

    @property
    def feedback_visits(self) -> np.ndarray:
        """(B,) cumulative visits' worth of feedback after each batch."""
        return np.cumsum(self.events.sum(axis=1)) / self.events.shape[1]

    def value(self) -> float:
        """Reward per visit over the whole curve: sum over slots of mean slot reward."""
        return float(np.sum(self.reward.sum(axis=0) / self.events.sum(axis=0)))

    def at(self, edges: np.ndarray) -> np.ndarray:
        """Reward per visit of the batches ending in each window (edges[i], edges[i+1]] of
        feedback visits; nan where a slot had no event in the window."""
        done = self.feedback_visits
        out = np.full(len(edges) - 1, np.nan)
        for i, (low, high) in enumerate(zip(edges[:-1], edges[1:])):
            inside = (done > low) & (done <= high)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[i] = np.sum(self.reward[inside].sum(axis=0) / self.events[inside].sum(axis=0))
        return out


def replay_learning(data: LoggedData, agent: Agent, variant: str = "slot",
                    batch_size: int = 64, seed: int = 0) -> LearningCurve:
    """Replay a learning policy through the log (Li et al. 2011's policy evaluator).

    Batch by batch in logging order, the agent chooses artworks for the logged visits; the
    events replay keeps (`replay_acceptance`) count towards its curve and are the only
    feedback it learns from (`info["feedback_mask"]`). A batch of b logged visits yields
    about b K / M slot events with uniform logs, so `batch_size` = M x the online batch
    makes the agent update as often per visit of feedback as it would online. An agent
    whose `update` is not supported (it learns only from its own rollouts) cannot be
    replayed: `ValueError`.
    """
    gen = np.random.default_rng(seed)
    p_min = float(data.pscore.min())
    events, rewards = [], []
    for start in range(0, data.n_visits, batch_size):
        obs = data.observations(start, start + batch_size)
        part = slice(start, start + batch_size)
        chosen = agent.act(obs, explore=True)
        kept = replay_acceptance(data, chosen, variant, gen, start, p_min)
        slot_reward = data.slot_reward[part] * kept
        info = {"clicks": data.clicks[part], "plays": data.plays[part],
                "bounces": data.bounces[part], "titles": data.title_ids[part],
                "feedback_mask": kept}
        try:
            agent.update(obs, data.actions[part], slot_reward.sum(axis=1), info)
        except NotImplementedError as error:
            raise ValueError(f"{agent.name} cannot be replayed from logs: {error}; replay "
                             f"the bandit agents") from None
        events.append(kept.sum(axis=0))
        rewards.append(slot_reward.sum(axis=0))
    return LearningCurve(np.array(events, dtype=np.float64), np.array(rewards))


def online_curve(agent: Agent, n_visits: int, env_kwargs: dict[str, Any] | None = None,
                 seed: int = 0, batch_size: int = 16) -> LearningCurve:
    """The same agent learning online in `ArtworkBandit-v0` (ground-truth expected reward per
    visit, so the curve carries no play-sampling noise), as a `LearningCurve`."""
    env = make_vector("ArtworkBandit-v0", batch_size, **(env_kwargs or {}))
    k = env.unwrapped.config.n_slots
    n_batches = -(-n_visits // batch_size)
    events: list[np.ndarray] = []
    rewards: list[np.ndarray] = []

    def learn(visit: Visit) -> bool:
        agent.update(visit.obs, visit.actions, visit.reward, visit.info)
        # one visit = K slot events; its expected reward is spread evenly over the slots so
        # that `LearningCurve.at` (a sum over slots of per-slot means) gives reward per visit
        events.append(np.full(k, float(batch_size)))
        rewards.append(np.full(k, visit.info["expected_reward"].sum() / k))
        return len(events) < n_batches

    rollout(env, lambda obs: agent.act(obs, explore=True), learn,
            seed=spawn_seeds(seed, batch_size))
    env.close()
    return LearningCurve(np.array(events), np.array(rewards))


def compare_estimators(logging_policy: Callable[[int], LoggingPolicy], target_policy: Any,
                       n_logs: int, n_visits: int, env_kwargs: dict[str, Any] | None = None,
                       reward_model: Callable[[LoggedData], np.ndarray] | None = None,
                       variants: tuple[str, ...] = VARIANTS, truth_members: int = 100_000,
                       seed: int = 0, n_bootstrap: int = N_BOOTSTRAP,
                       confidence: float = CONFIDENCE, progress: bool = False,
                       workers: int = 1,
                       response_model: Callable[[LoggedData], ResponseModel] | None = None,
                       candidates: dict[str, Any] | None = None) -> pd.DataFrame:
    """Every estimator on `n_logs` independent logs against the target's true value.

    `logging_policy(rep)` makes a fresh logging policy for log `rep` (seeded by it); logs
    are collected in `ArtworkBandit-v0` with seeds `seed + rep`; `reward_model(data)` gives
    the (n, K, M) reward estimates DM and DR use, `response_model(data)` the fitted model
    of the model-based estimator (`artwork_env.agents.click_model`). `candidates` (name -> policy)
    are estimated on the same logs beside the target (named "target"), for the selection
    study (`selection_table`). One row per (log, policy, estimator, variant), with that
    policy's truth (`true_value`) and its standard error. With `workers` > 1 the logs run
    in parallel processes (the callables must pickle: module-level functions or
    `functools.partial`; the agents pickle, SB3's as the bytes they save); policies that do
    not pickle keep the logs in this process, with a warning. The numbers do not depend on
    `workers`.
    """
    env_kwargs = dict(env_kwargs or {})
    config = ModelConfig.from_kwargs(**{"n_visits": 1, **env_kwargs})
    policies = {TARGET: target_policy, **(candidates or {})}
    # a copy of each policy, like every log's: the caller's policies (and their random
    # tie-breaks) are the same after the study as before it
    truths = {name: true_value(deepcopy(policy), config, truth_members)
              for name, policy in policies.items()}
    one_log = partial(_estimates_of_one_log, logging_policy=logging_policy,
                      policies=policies, n_visits=n_visits, env_kwargs=env_kwargs,
                      reward_model=reward_model, response_model=response_model,
                      variants=variants, seed=seed, n_bootstrap=n_bootstrap,
                      confidence=confidence)
    if workers > 1 and not _pickles(policies):
        warnings.warn("a policy cannot be sent to another process (it does not pickle): the "
                      "logs run in this process", stacklevel=2)
        workers = 1
    logs = process_map(one_log, range(n_logs), workers, "logs" if progress else None)
    return pd.DataFrame([{**row, "truth": truths[row["policy"]][0],
                          "truth_se": truths[row["policy"]][1]}
                         for rows in logs for row in rows])


def _pickles(value: Any) -> bool:
    """Whether `value` can be sent to a spawned process."""
    try:
        pickle.dumps(value)
    except (pickle.PicklingError, TypeError, AttributeError):
        return False
    return True


def _estimates_of_one_log(rep: int, logging_policy: Callable[[int], LoggingPolicy],
                          policies: dict[str, Any], n_visits: int, env_kwargs: dict[str, Any],
                          reward_model: Callable[[LoggedData], np.ndarray] | None,
                          response_model: Callable[[LoggedData], ResponseModel] | None,
                          variants: tuple[str, ...], seed: int, n_bootstrap: int,
                          confidence: float) -> list[dict[str, Any]]:
    """Collect log `rep` and return every estimate of every policy on it as table rows.
    Each log reads a fresh copy of every policy, so a policy's random tie-breaks do not
    carry from one log to the next: the numbers do not depend on which process ran which
    logs."""
    data = collect(logging_policy(rep), n_visits, "ArtworkBandit-v0", env_kwargs,
                   seed=seed + rep)
    estimates = reward_model(data) if reward_model is not None else None
    model = response_model(data) if response_model is not None else None
    dists = {name: target_distribution(deepcopy(policy), data)
             for name, policy in policies.items()}
    evaluations = (dict(zip(dists, model.evaluate_all(list(dists.values()))))
                   if model is not None else {})
    return [{"log": rep, "policy": name, **est.as_dict(), "n_slots": data.n_slots}
            for name, dist in dists.items()
            for est in estimate_all(data, dist, estimates, variants, n_bootstrap, confidence,
                                    seed=seed + rep, model_evaluation=evaluations.get(name))]


def selection_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Policy selection per (estimator, variant) over the logs of `compare_estimators`.

    On every log, the estimator ranks the policies (target and candidates) by their
    estimates; against the ranking by their true values: Kendall's tau (tau-b), whether
    its top policy is the truly best, and the regret of the policy it picks (the best
    truth minus the picked one's). A `nan` estimate ranks last and cannot be picked.
    """
    from scipy.stats import kendalltau

    rows = []
    for (estimator, variant), group in frame.groupby(["estimator", "variant"], sort=False):
        taus, best, regret = [], [], []
        for _, log in group.groupby("log"):
            truth = log["truth"].to_numpy()
            value = np.nan_to_num(log["value"].to_numpy(), nan=-np.inf)
            picked = int(np.argmax(value))
            taus.append(kendalltau(np.where(np.isfinite(value), value, -1e300), truth)[0])
            best.append(truth[picked] == truth.max())
            regret.append(truth.max() - truth[picked])
        rows.append({"estimator": estimator, "variant": variant,
                     "kendall_tau": float(np.mean(taus)), "picks_best": float(np.mean(best)),
                     "mean_regret": float(np.mean(regret)), "max_regret": float(np.max(regret)),
                     "n_policies": int(group["policy"].nunique()), "n_logs": len(best)})
    return pd.DataFrame(rows)


def _mean_ess(group: pd.DataFrame) -> dict[str, float]:
    """Mean effective sample size per slot over the logs, as a share of the visits
    (`ess_k`), for the estimators that weight events."""
    sizes = [np.asarray(ess, dtype=float) / n for ess, n in zip(group["ess"], group["n_visits"])
             if len(ess)]
    if not sizes:
        return {}
    return {f"ess_{k}": float(v) for k, v in enumerate(np.mean(sizes, axis=0))}


def summarise_estimates(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (estimator, variant), of the target: truth, mean, bias, spread, RMSE (absolute and
    relative to the truth), mean absolute relative error, CI coverage and width, share of
    events used, and per slot the weighting's effective sample size as a share of the
    visits (`ess_k`; the pseudoinverse's is per slot's weight)."""
    def one(group: pd.DataFrame) -> pd.Series:
        truth = group["truth"].iloc[0]
        error = group["value"] - truth
        covered = (group["ci_low"] <= truth) & (truth <= group["ci_high"])
        return pd.Series({
            "truth": truth, "mean": group["value"].mean(), "bias": error.mean(),
            "relative_bias": error.mean() / truth, "std": group["value"].std(ddof=1),
            "rmse": np.sqrt(np.mean(error ** 2)),
            "relative_rmse": np.sqrt(np.mean(error ** 2)) / abs(truth),
            "mean_abs_relative_error": np.mean(np.abs(error)) / abs(truth),
            "coverage": covered.mean(), "ci_width": (group["ci_high"] - group["ci_low"]).mean(),
            "bootstrap_se": group["std_error"].mean(),
            "events_used": (group["events"] / (group["n_visits"] * group["n_slots"])).mean(),
            **_mean_ess(group), "n_logs": len(group)})

    if "policy" in frame:
        frame = frame[frame["policy"] == TARGET]
    rows = {key: one(group) for key, group in frame.groupby(["estimator", "variant"], sort=False)}
    out = pd.DataFrame(rows).T
    out.index.names = ["estimator", "variant"]
    return out.reset_index()
