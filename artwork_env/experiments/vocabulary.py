"""The TensorBoard vocabulary and the names of runs, defined once for the runs that write
them and the reports that read them (no heavy imports: reports stay light).

Tags (x-axis: visits trained on):

- `eval/take_rate` quality plays per impression, `eval/reward` reward per visit,
  `eval/return` return per member episode, `eval/pct_of_oracle` where the expected
  reward lies between the worst page's (0) and the myopic oracle's (100), over the same
  visits (`evaluation.pct_of_oracle`), `eval/regret` the oracle's expected reward minus
  the agent's, per visit; all greedy (`explore=False`) on the held-out members, no learning.
  On lifetime envs also `eval/return_vs_oracle`: the return per lifetime as a percentage
  of the myopic oracle's on the same members (100: the oracle; above: a policy that plans).
- `eval/page` (an image): the page the agent shows, greedily, to the first held-out member
  on their first visit, rendered; at every evaluation.
- `train/take_rate`, `train/reward`, `train/regret`, `train/bounce_rate` (bounces per
  impression), `train/return` (episodes ended in the window) over the visits since the last
  log; `train/cumulative_regret` summed over all training visits.
- `sb3/...`: the deep agents' SB3 scalars (`sb3/train/loss`, `sb3/time/fps`), written by
  SB3's own logger into the run's `sb3/` folder (`artwork_env.agents.deep.sb3.PrefixedLogger`).
"""

from __future__ import annotations

PAGE_TAG = "eval/page"
EVAL_METRICS = ("take_rate", "reward", "return", "pct_of_oracle", "regret")
EVAL_TAGS = tuple(f"eval/{name}" for name in EVAL_METRICS)
LIFETIME_TAG = "eval/return_vs_oracle"
"""Logged on lifetime envs only (episodes of more than one visit)."""
TRAIN_METRICS = ("take_rate", "reward", "regret", "cumulative_regret", "bounce_rate",
                 "return")
TRAIN_TAGS = tuple(f"train/{name}" for name in TRAIN_METRICS)
TAGS = EVAL_TAGS + TRAIN_TAGS


def tagged(section: str, metrics: dict[str, float]) -> dict[str, float]:
    """`metrics` under their TensorBoard tags, `section/name`; a tag the vocabulary does not
    list raises `KeyError` (every tag a run writes is named here, once)."""
    out = {f"{section}/{name}": value for name, value in metrics.items()}
    unknown = sorted(set(out) - set(TAGS))
    if unknown:
        raise KeyError(f"tags {unknown} are not in artwork_env.experiments.vocabulary")
    return out
FINAL_TAGS = ("eval/reward", "eval/take_rate", "eval/pct_of_oracle", "eval/regret",
              "eval/return", "train/cumulative_regret")
"""The tags a report reads the final value of (a run without them is skipped)."""

# TensorBoard's CUSTOM SCALARS view: every agent on one chart per question
CUSTOM_SCALARS_LAYOUT = {
    "comparison": {"eval reward, all agents": ["Multiline", ["eval/reward"]],
                   "% of oracle, all agents": ["Multiline", ["eval/pct_of_oracle"]],
                   "eval take rate, all agents": ["Multiline", ["eval/take_rate"]]},
    "training": {"train regret per visit": ["Multiline", ["train/regret"]],
                 "cumulative regret": ["Multiline", ["train/cumulative_regret"]]},
    "lifetimes": {"return, % of the myopic oracle's": ["Multiline", [LIFETIME_TAG]],
                  "return per lifetime": ["Multiline", ["eval/return"]]},
}
EVAL_SEED = 20_171_207  # the held-out members: the same for every agent, seed and run
AGENT_DIR = "agent"  # the checkpointed agent's folder in a run directory


def run_label(agent: str, variant: str = "") -> str:
    """The agent's name in run directories and tables: `agent` or `agent@variant`."""
    return f"{agent}@{variant}" if variant else agent
