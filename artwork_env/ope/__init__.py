"""Offline (off-policy) evaluation the Netflix way, checked against the simulator's truth.

- logged data: contexts, artworks, propensities and outcomes (`LoggedData`, Parquet via
  `write_parquet` / `read_parquet`); `artwork_env.experiments.collect` runs a logging policy to
  make it;
- estimators: `replay`, `ips`, `snips`, `direct_method`, `doubly_robust`, per slot,
  cascade and whole page, each with a bootstrap confidence interval, and the
  `pseudoinverse` (`estimate_all`); `model_based` turns a fitted response model's
  `ModelEvaluation` (the cascade click model, `artwork_env.agents.click_model`) into an estimate
  with an influence-function interval;
- ground truth: `true_value`. The study of the estimators against it (repeated logs,
  replay of a learning policy against its online curve) is `artwork_env.experiments.ope_study`.

See docs/offline_evaluation.md.
"""

from artwork_env.ope.dataset import (
    SCHEMA_VERSION,
    LoggedData,
    read_parquet,
    write_parquet,
)
from artwork_env.ope.estimators import (
    ESTIMATORS,
    VARIANTS,
    Estimate,
    ModelEvaluation,
    ResponseModel,
    direct_method,
    doubly_robust,
    effective_sample_size,
    estimate_all,
    importance_weights,
    ips,
    model_based,
    pseudoinverse,
    replay,
    snips,
    target_distribution,
)
from artwork_env.ope.truth import true_value

__all__ = ["ESTIMATORS", "SCHEMA_VERSION", "VARIANTS", "Estimate", "LoggedData",
           "ModelEvaluation", "ResponseModel", "direct_method", "doubly_robust",
           "effective_sample_size", "estimate_all", "importance_weights", "ips", "model_based",
           "pseudoinverse", "read_parquet", "replay", "snips", "target_distribution",
           "true_value", "write_parquet"]
