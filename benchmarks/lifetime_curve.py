"""Does planning pay, along `long_term`? The lifetime learners against their myopic twins
and the references, as a table and a figure.

    python benchmarks/lifetime_curve.py runs/curve --write-docs

reads the run directories of `benchmarks/learning_quality.py` (each run's last
`eval/return` and `eval/return_vs_oracle`, the return per lifetime as a percentage of the
myopic oracle's on the same held-out members), groups them by `long_term` and agent, and
adds the best fixed priced policy of the planner's family (cheating: the oracle's
programme with a price on the misrepresentation a click uncovers, exact expected returns;
its price chosen on pilot members of their own, `artwork_env.planning.best_fixed_price`,
then followed by fresh members of three numbered streams). With `--write-docs` the table
becomes the block `lifetime_curve` of docs/lifetimes.md, and the figure (`FIGURE`) is
saved beside it.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from artwork_env import ENV_KWARGS  # noqa: E402
from artwork_env.experiments.published import REPOSITORY, print_and_publish  # noqa: E402
from artwork_env.experiments.report import RunData, load_runs, seed_interval  # noqa: E402
from artwork_env.experiments.vocabulary import LIFETIME_TAG  # noqa: E402
from artwork_env.model.config import ModelConfig  # noqa: E402
from artwork_env.planning import best_fixed_price, fixed_price_returns  # noqa: E402

PAGE = REPOSITORY / "docs" / "lifetimes.md"
FIGURE = REPOSITORY / "docs" / "lifetime_curve.png"
PRICED = "best fixed priced policy (cheating)"
TWIN, LTV = "`ltv`, `gamma=0` (= `factored_bandit`)", "`ltv`, `gamma=1`"
ORDER = (PRICED, "lifetime ceiling (cheating labels)", "ceiling (myopic labels)", LTV, TWIN,
         "`lints`")


def long_term(run: RunData) -> float:
    """The run's `long_term`: its grid's, else its env's."""
    value = run.setup.get("env.long_term", ENV_KWARGS[run.env_id].get("long_term", 0.0))
    return float(value)


def kind(run: RunData) -> str | None:
    """The row a run belongs to, None for a run the curve does not show."""
    if run.agent == "ltv":
        return LTV if float(run.setup.get("agent.gamma", 1.0)) > 0 else TWIN
    if run.agent == "ceiling":
        priced = float(run.setup.get("agent.price", 0.0)) > 0
        return "lifetime ceiling (cheating labels)" if priced else "ceiling (myopic labels)"
    if run.agent == "lints":
        return "`lints`"
    return None


def priced_policy(lt: float, seeds: list[int], members: int) -> np.ndarray:
    """Per seed, the best fixed priced policy's return as a percentage of the myopic
    oracle's on the same members."""
    config = ModelConfig(**{**ENV_KWARGS["ArtworkPersonalization-v1"], "long_term": lt})
    price = best_fixed_price(config)
    out = []
    for seed in seeds:
        returns = fixed_price_returns(config, members, 1000 + seed, (0.0, price))
        out.append(100.0 * returns[1].mean() / returns[0].mean())
    return np.array(out)


def cell(values: np.ndarray) -> str:
    """'mean [low, high]' over seeds; one seed has no interval."""
    if len(values) < 2:
        return f"{values.mean():.1f} (1 seed)"
    low, high, _ = seed_interval(values)
    return f"{values.mean():.1f} [{low:.1f}, {high:.1f}]"


def tables(runs: list[RunData], members: int, visits: int
           ) -> dict[str, dict[float, np.ndarray]]:
    """Print the curve as Markdown from the runs evaluated after `visits` (ceilings: any
    budget); the per-seed percentages of every row and `long_term`."""
    rows: dict[str, dict[float, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
    returns: dict[str, dict[float, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
    for run in runs:
        name = kind(run)
        finished = run.visits == visits or run.agent == "ceiling"
        if name is not None and LIFETIME_TAG in run.curves and finished:
            rows[name][long_term(run)][run.seed] = run.final(LIFETIME_TAG)
            returns[name][long_term(run)][run.seed] = run.final("eval/return")
    grid = sorted({lt for by_lt in rows.values() for lt in by_lt})
    seeds = sorted({seed for by_lt in rows.values() for s in by_lt.values() for seed in s})
    curve = {name: {lt: np.array([by_seed[s] for s in sorted(by_seed)])
                    for lt, by_seed in rows[name].items()} for name in rows}
    curve[PRICED] = {lt: priced_policy(lt, seeds, members) for lt in grid}
    print("| return per lifetime, % of the myopic oracle's | "
          + " | ".join(f"`long_term={lt:g}`" for lt in grid) + " |")
    print("|---|" + "---:|" * len(grid))
    for name in ORDER:
        if name in curve:
            print(f"| {name} | " + " | ".join(
                cell(curve[name][lt]) if lt in curve[name] else "" for lt in grid) + " |")
    gains = []
    for lt in grid:
        mine, twin = returns[LTV].get(lt, {}), returns[TWIN].get(lt, {})
        paired = sorted(set(mine) & set(twin))
        if len(paired) < 2:
            gains.append("")
            continue
        ratio = np.array([100.0 * (mine[s] / twin[s] - 1.0) for s in paired])
        low, high, _ = seed_interval(ratio)
        gains.append(f"**{ratio.mean():+.1f} %** [{low:+.1f}, {high:+.1f}]")
    print("| `ltv` over its twin, paired by seed | " + " | ".join(gains) + " |")
    return curve


def plot(curve: dict[str, dict[float, np.ndarray]], path: Path) -> None:
    """The rows against `long_term`, with their 95 % intervals over seeds."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for name in ORDER:
        if name not in curve:
            continue
        grid = sorted(curve[name])
        mean = np.array([curve[name][lt].mean() for lt in grid])
        bounds = np.array([seed_interval(curve[name][lt])[:2] if len(curve[name][lt]) > 1
                           else (curve[name][lt].mean(),) * 2 for lt in grid])
        ax.errorbar(grid, mean, yerr=[mean - bounds[:, 0], bounds[:, 1] - mean], capsize=3,
                    marker="o", label=name.replace("`", ""),
                    linestyle="--" if "cheating" in name else "-")
    ax.axhline(100.0, color="grey", linewidth=0.8)
    ax.set_xlabel("long_term (0: ArtworkPersonalization-v0, 1: -v1)")
    ax.set_ylabel("return per lifetime, % of the myopic oracle's")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> None:
    """Parse the arguments, print the table, publish it with `--write-docs`."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", help="directories of run directories")
    parser.add_argument("--visits", type=int, default=100_000,
                        help="the learners' budget: runs evaluated last at another are left out")
    parser.add_argument("--members", type=int, default=4000,
                        help="members per seed for the priced policy")
    parser.add_argument("--write-docs", action="store_true",
                        help=f"write the table into {PAGE.name} and the figure")
    args = parser.parse_args()
    runs: list[RunData] = []
    for directory in args.runs:
        loaded, skipped = load_runs(directory)
        runs += loaded
        for message in skipped:
            print(message)
    curve: dict[str, dict[float, np.ndarray]] = {}

    def table() -> None:
        curve.update(tables(runs, args.members, args.visits))

    command = "python benchmarks/lifetime_curve.py " + " ".join(args.runs)
    print_and_publish(table, "lifetime_curve", command, args.write_docs, PAGE,
                      note="Each learner's figure is its run's last evaluation; an empty "
                           "cell is a run not made yet.")
    if args.write_docs:
        plot(curve, FIGURE)


if __name__ == "__main__":
    main()
