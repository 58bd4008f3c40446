"""Offline (off-policy) evaluation the Netflix way, checked against the simulator's truth.

- `collect`: run a logging policy and keep contexts, artworks, propensities and outcomes
  (`LoggedData`, Parquet via `write_parquet` / `read_parquet`);
- estimators: `replay`, `ips`, `snips`, `direct_method`, `doubly_robust`, per slot,
  cascade and whole page, each with a bootstrap confidence interval (`estimate_all`);
- ground truth: `true_value`, `replay_learning` against `online_curve`, and
  `compare_estimators` / `summarise_estimates` over repeated logs.

See docs/offline_evaluation.md.
"""

from artwork_env.ope.collect import collect, member_seeds
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
    direct_method,
    doubly_robust,
    estimate_all,
    importance_weights,
    ips,
    replay,
    snips,
    target_distribution,
)
from artwork_env.ope.truth import (
    LearningCurve,
    compare_estimators,
    online_curve,
    replay_learning,
    summarise_estimates,
    true_value,
)

__all__ = ["ESTIMATORS", "SCHEMA_VERSION", "VARIANTS", "Estimate", "LearningCurve",
           "LoggedData", "collect", "compare_estimators", "direct_method", "doubly_robust",
           "estimate_all", "importance_weights", "ips", "member_seeds", "online_curve",
           "read_parquet", "replay", "replay_learning", "snips", "summarise_estimates",
           "target_distribution", "true_value", "write_parquet"]
