"""The reward model of the direct method and doubly robust estimators.

`LinearRewardModel` is LinUCB's hybrid ridge regression
(`artwork_env.agents.contextual.linear.HybridLinearModel`:
shared coefficients over the 42 candidate features plus a per-(title, artwork) intercept)
fitted to every logged slot's reward, including the zeros of slots after a quality play
(what the slot earned under the logged row). `reward_estimates` cross-fits it: each fold's
predictions come from a model fitted on the other folds, so no visit predicts its own reward.
"""

from __future__ import annotations

import numpy as np

from artwork_env.agents.base import Observation, ProblemSpec
from artwork_env.agents.contextual.linear import HybridLinearModel, arm_ids
from artwork_env.agents.features import candidate_features, n_features
from artwork_env.ope.dataset import LoggedData


class LinearRewardModel:
    """Ridge regression of a slot's reward on the candidate's features and arm intercept."""

    def __init__(self, spec: ProblemSpec, ridge: float = 1.0, arm_ridge: float = 1.0) -> None:
        self.spec = spec
        self.model = HybridLinearModel(n_features(spec), spec.n_titles * spec.n_artworks,
                                       ridge, arm_ridge)

    def fit(self, data: LoggedData, index: np.ndarray | None = None,
            batch_size: int = 4096) -> LinearRewardModel:
        """Add the logged slots of the visits in `index` (default: all) to the regression."""
        visits = np.arange(data.n_visits) if index is None else np.asarray(index)
        for start in range(0, len(visits), batch_size):
            chunk = data.subset(visits[start:start + batch_size])
            obs = chunk.observations()
            chosen = np.take_along_axis(candidate_features(self.spec, obs),
                                        chunk.actions[..., None, None], axis=2)[:, :, 0]
            arms = np.take_along_axis(arm_ids(chunk.title_ids, self.spec.n_artworks),
                                      chunk.actions[..., None], axis=2)[..., 0]
            self.model.update(chosen.reshape(-1, chosen.shape[-1]), arms.ravel(),
                              chunk.slot_reward.ravel())
        return self

    def predict(self, obs: Observation) -> np.ndarray:
        """(N, K, M) predicted slot reward of every candidate artwork."""
        return self.model.mean_and_width(candidate_features(self.spec, obs),
                                         arm_ids(obs["title_ids"], self.spec.n_artworks))[0]


def reward_estimates(data: LoggedData, spec: ProblemSpec, n_folds: int = 2, seed: int = 0,
                     batch_size: int = 4096) -> np.ndarray:
    """(n, K, M) cross-fitted predictions of `LinearRewardModel` for every logged visit."""
    if n_folds < 2:
        raise ValueError(f"n_folds must be >= 2 (cross-fitting), got {n_folds}")
    folds = np.random.default_rng(seed).integers(0, n_folds, data.n_visits)
    out = np.zeros(data.action_mask.shape)
    for fold in range(n_folds):
        model = LinearRewardModel(spec).fit(data, np.flatnonzero(folds != fold), batch_size)
        held_out = np.flatnonzero(folds == fold)
        for start in range(0, len(held_out), batch_size):
            index = held_out[start:start + batch_size]
            out[index] = model.predict(data.subset(index).observations())
    return out
