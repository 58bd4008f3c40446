"""Comparing runs: read the event files, pool the seeds of each configuration, and answer
"which agent is better, by how much, how sure are we" with intervals right for few seeds,
pairwise win probabilities, learning curves and regret plots.

The same functions make `scripts/train.py`'s closing table and `scripts/compare.py`'s
report, so the two never disagree. Event files are read with TensorBoard's own
`EventAccumulator`; a run that is empty, unreadable or misses a tag is reported and skipped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from artwork_env.experiments.rundir import Refused, integer, load_json, mapping, text
from artwork_env.experiments.vocabulary import FINAL_TAGS, LIFETIME_TAG, run_label


@dataclass
class RunData:
    """One run's identity and its scalar curves (tag -> (steps, values))."""

    run_dir: Path
    env_id: str
    agent: str
    seed: int
    curves: dict[str, tuple[np.ndarray, np.ndarray]]
    variant: str = ""
    reference: bool = False
    """A cheating reference (reads ground truth), as the run recorded it."""
    setup: dict[str, object] = field(default_factory=dict)
    """Everything but the seed that makes runs comparable: the model parameters, the
    agent's hyperparameters, the evaluation and batching settings."""

    @property
    def label(self) -> str:
        """The agent, with its grid point if any (`agent@variant`)."""
        return run_label(self.agent, self.variant)

    def final(self, tag: str) -> float:
        """The last logged value of a tag."""
        return float(self.curves[tag][1][-1])

    @property
    def visits(self) -> int:
        """Visits of the last evaluation."""
        return int(self.curves["eval/reward"][0][-1])


def read_run(run_dir: str | Path) -> RunData:
    """Read one run directory; raises `ValueError` saying what is wrong with it. Its
    `config.json` must hold what the report reads, of the right types (the report builds
    nothing from it, so an agent or env it does not know is fine); a step logged
    twice (an event file appended to by two writers of old) counts once, its last value,
    and each curve is in step order, so the last point is the largest step."""
    run_dir = Path(run_dir)
    config_file = run_dir / "config.json"
    if not config_file.is_file():
        raise ValueError("no config.json")
    where = str(config_file)
    config = mapping(load_json(config_file), where, "the config")
    missing = [name for name in ("env_id", "agent", "seed") if name not in config]
    if missing:
        raise Refused(f"{where}: {', '.join(missing)} missing")
    env_id = text(config["env_id"], where, "env_id")
    agent = text(config["agent"], where, "agent")
    seed = integer(config["seed"], where, "seed")
    model_parameters = mapping(config.get("model_parameters", {}), where, "model_parameters")
    hyperparameters = mapping(config.get("agent_hyperparameters", {}), where,
                              "agent_hyperparameters")
    variant = text(config.get("variant", ""), where, "variant")
    accumulator = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    try:
        accumulator.Reload()
    except Exception as error:  # noqa: BLE001  (corrupt event files raise many kinds)
        raise ValueError(f"unreadable event files ({error})") from error
    tags = accumulator.Tags().get("scalars", [])
    missing = [tag for tag in FINAL_TAGS if tag not in tags]
    if missing:
        raise ValueError(f"missing tags {missing}" if tags else "no scalars (empty run)")
    curves = {}
    for tag in tags:
        last = {event.step: event.value for event in accumulator.Scalars(tag)}
        steps = np.array(sorted(last), dtype=np.int64)
        curves[tag] = (steps, np.array([last[step] for step in steps]))
    setup = {**{f"env.{k}": v for k, v in model_parameters.items()},
             **{f"agent.{k}": v for k, v in hyperparameters.items()},
             **{k: config.get(k) for k in ("eval_every", "eval_members", "num_envs")}}
    return RunData(run_dir, env_id, agent, seed, curves,
                   variant, config.get("reference", False) is True, setup)


def load_runs(runs: str | Path | list[str | Path]) -> tuple[list[RunData], list[str]]:
    """Every readable run under a directory (or in a list of run directories), and one
    message per run skipped."""
    if isinstance(runs, (str, Path)):
        runs = sorted(p for p in Path(runs).iterdir() if p.is_dir())
    loaded, skipped = [], []
    for run_dir in runs:
        try:
            loaded.append(read_run(run_dir))
        except ValueError as error:
            skipped.append(f"skipped {run_dir}: {error}")
    return loaded, skipped


def seed_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, str]:
    """An interval for the mean over seeds that is right for few seeds: (low, high, kind).

    Three or more seeds: the Student t interval, mean +- t_{(1+level)/2, n-1} s / sqrt(n)
    (kind "t"; a percentile bootstrap of 2-5 values is far too narrow). Two seeds: no
    interval is honest, so the range of the two (kind "range"). One seed: the value
    itself (kind "point").
    """
    from scipy import stats

    values = np.asarray(values, dtype=np.float64)
    if len(values) == 1:
        return float(values[0]), float(values[0]), "point"
    if len(values) == 2:
        return float(values.min()), float(values.max()), "range"
    half = stats.t.ppf((1.0 + level) / 2, len(values) - 1) * values.std(ddof=1) \
        / np.sqrt(len(values))
    return float(values.mean() - half), float(values.mean() + half), "t"


def win_probability(a: np.ndarray, b: np.ndarray) -> float:
    """P(a run of A ends with a higher eval reward than a run of B), ties counting half,
    over all pairs of their seeds."""
    a, b = np.asarray(a)[:, None], np.asarray(b)[None, :]
    return float(((a > b) + 0.5 * (a == b)).mean())


def group_runs(runs: list[RunData]) -> tuple[dict[tuple[str, str], list[RunData]], list[str]]:
    """Pool runs as seeds of one configuration: the same env, agent, setup (model
    parameters, hyperparameters, evaluation and batching) and visits reached. Returns
    {(env, row label): runs} and what was set aside or told apart, one message each.

    A seed run twice in one configuration counts once (the latest run directory); runs of
    one agent that differ in anything else get rows of their own, labelled by what differs
    (stopped runs by the visits they reached).
    """
    configs: dict[tuple[str, str, str, int], list[RunData]] = {}
    for run in runs:
        key = (run.env_id, run.label, json.dumps(run.setup, sort_keys=True, default=str),
               run.visits)
        configs.setdefault(key, []).append(run)
    notes = []
    per_agent: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for env_id, label, setup, visits in configs:
        per_agent.setdefault((env_id, label), []).append((setup, visits))
    groups: dict[tuple[str, str], list[RunData]] = {}
    for (env_id, label, setup, visits), members in configs.items():
        by_seed: dict[int, RunData] = {}
        for run in sorted(members, key=lambda r: r.run_dir.name):
            if run.seed in by_seed:
                notes.append(f"set aside {by_seed[run.seed].run_dir}: seed {run.seed} of "
                             f"{label} again ({run.run_dir.name} is counted)")
            by_seed[run.seed] = run
        row = label
        variants = per_agent[(env_id, label)]
        if len(variants) > 1:
            row = f"{label} ({_difference(setup, visits, variants)})"
            notes.append(f"{env_id} {label}: runs with different settings are not pooled; "
                         f"rows by what differs")
        groups[(env_id, row)] = list(by_seed.values())
    return groups, sorted(set(notes))


def _difference(setup: str, visits: int, variants: list[tuple[str, int]]) -> str:
    """What tells this configuration apart from the agent's others, as `key=value`s."""
    mine = json.loads(setup)
    others = [json.loads(s) for s, _ in variants]
    keys = sorted(k for k in mine if any(o.get(k) != mine[k] for o in others))
    parts = [f"{k}={mine[k]}" for k in keys]
    if len({v for _, v in variants}) > 1:
        parts.append(f"{visits:,} visits")
    return ", ".join(parts)


def _aligned(runs: list[RunData], tag: str) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values (runs, steps)) of a tag at the visit counts every run logged."""
    steps = runs[0].curves[tag][0]
    for run in runs[1:]:
        steps = np.intersect1d(steps, run.curves[tag][0])
    values = np.array([[dict(zip(*run.curves[tag]))[step] for step in steps.tolist()]
                       for run in runs])
    return steps, values


def _visits_to_reach(runs: list[RunData], target: float) -> float:
    """First evaluation step where the mean eval reward over seeds reaches `target`."""
    steps, values = _aligned(runs, "eval/reward")
    reached = np.flatnonzero(values.mean(axis=0) >= target)
    return float(steps[reached[0]]) if reached.size else float("nan")


def summarise(runs: list[RunData]) -> pd.DataFrame:
    """One row per configuration (`group_runs`), best first within each env: final eval
    reward and take rate (mean, 95 % Student t interval over 3+ seeds, the range of 2:
    `seed_interval`), % of oracle, regret, return,
    cumulative regret, visits to reach 90 % of the best learning agent's final reward (the
    cheating references are not counted as the best). `table.attrs["notes"]` says what
    was set aside or told apart."""
    groups, notes = group_runs(runs)
    best: dict[str, float] = {}  # the best learner's final reward (references excluded)
    for (env_id, _), group in groups.items():
        if group[0].reference and any(not g[0].reference for (e, _), g in groups.items()
                                      if e == env_id):
            continue
        mean = np.mean([run.final("eval/reward") for run in group])
        best[env_id] = max(best.get(env_id, -np.inf), mean)
    rows = []
    for (env_id, agent), group in groups.items():
        row: dict[str, object] = {"env": env_id, "agent": agent,
                                  "reference": group[0].reference, "seeds": len(group),
                                  "visits": min(run.visits for run in group)}
        for tag in FINAL_TAGS:
            values = np.array([run.final(tag) for run in group])
            name = tag.split("/")[1]
            row[name] = float(values.mean())
            if tag in ("eval/reward", "eval/take_rate"):
                row[f"{name}_ci_low"], row[f"{name}_ci_high"], row["interval"] = \
                    seed_interval(values)
        if all(LIFETIME_TAG in run.curves for run in group):  # lifetime envs
            values = np.array([run.final(LIFETIME_TAG) for run in group])
            row["return_vs_oracle"] = float(values.mean())
            row["return_vs_oracle_ci_low"], row["return_vs_oracle_ci_high"], _ = \
                seed_interval(values)
        row["visits_to_90pct_of_best"] = _visits_to_reach(group, 0.9 * best[env_id])
        rows.append(row)
    table = pd.DataFrame(rows)
    if not table.empty:
        table = table.sort_values(["env", "reward"], ascending=[True, False])
        table = table.reset_index(drop=True)
    table.attrs["notes"] = notes
    return table


MIN_SEEDS_TO_COMPARE = 2
"""Seeds each agent needs for a win probability: from one pair it is 0 or 1, whatever the
agents."""


def pairwise(runs: list[RunData], env_id: str) -> pd.DataFrame:
    """P(row agent beats column agent) on final eval reward, across seeds, for one env;
    `nan` where either has fewer than `MIN_SEEDS_TO_COMPARE` seeds (and on the diagonal)."""
    finals = {label: [run.final("eval/reward") for run in group]
              for (env, label), group in group_runs(runs)[0].items() if env == env_id}
    order = sorted(finals, key=lambda name: -np.mean(finals[name]))
    return pd.DataFrame([[win_probability(finals[a], finals[b])
                          if a != b and min(len(finals[a]), len(finals[b]))
                          >= MIN_SEEDS_TO_COMPARE else np.nan
                          for b in order] for a in order], index=order, columns=order)


def markdown_matrix(frame: pd.DataFrame) -> str:
    """A square DataFrame of probabilities as a Markdown table (blank diagonal, "-" for
    the other missing values)."""
    lines = ["| | " + " | ".join(map(markdown_text, frame.columns)) + " |",
             "|---|" + "---:|" * len(frame.columns)]
    for name, row in frame.iterrows():
        cells = ["" if column == name else "-" if np.isnan(v) else f"{v:.2f}"
                 for column, v in zip(frame.columns, row.to_numpy())]
        lines.append(f"| {markdown_text(str(name))} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def markdown_text(value: str) -> str:
    """`value` as literal text in Markdown: HTML and Markdown's punctuation escaped, line
    breaks as spaces (run names come from run directories, which may be a stranger's)."""
    value = " ".join(value.split())
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return "".join("\\" + c if c in "\\`*_{}[]()#+-.!|~" else c for c in value)


def code_block(body: str) -> list[str]:
    """`body` as a fenced code block whose fence no line of it can close."""
    longest = max((len(run) for run in re.findall("`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, body, fence]


def results_table(summary: pd.DataFrame) -> str:
    """The closing table of `scripts/train.py` (and the report's), as aligned text."""
    if summary.empty:
        return "no readable runs"
    lines = [*summary.attrs.get("notes", [])]
    if lines:
        lines.append("")
    for env_id, group in summary.groupby("env", sort=True):
        header = ["agent", "seeds", "visits", "eval reward [95% t-interval; 2 seeds: range]",
                  "take rate",
                  "% of oracle", "regret/visit", "return", "cum. regret", "visits to 90%"]
        lifetimes = ("return_vs_oracle" in group
                     and bool(group["return_vs_oracle"].notna().any()))
        if lifetimes:
            header.insert(8, "return, % of oracle's [interval]")
        body = []
        for _, row in group.iterrows():
            label = row["agent"] + (" (cheating reference)" if row["reference"] else "")
            reward = f"{row['reward']:.4f}"
            if row["interval"] == "t":
                reward += f" [{row['reward_ci_low']:.4f}, {row['reward_ci_high']:.4f}]"
            elif row["interval"] == "range":
                reward += f" (range {row['reward_ci_low']:.4f}-{row['reward_ci_high']:.4f})"
            body.append([label, str(row["seeds"]), f"{row['visits']:,}", reward,
                         f"{row['take_rate']:.4f}", f"{row['pct_of_oracle']:.1f}",
                         f"{row['regret']:.4f}", f"{row['return']:.3f}",
                         f"{row['cumulative_regret']:,.0f}",
                         "-" if np.isnan(row["visits_to_90pct_of_best"])
                         else f"{row['visits_to_90pct_of_best']:,.0f}"])
            if lifetimes:
                body[-1].insert(8, _with_interval(row, "return_vs_oracle", "{:.1f}"))
        widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
        lines.append(f"{env_id} (greedy evaluation on held-out members)")
        for row_cells in [header, *body]:
            lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                                   for i, (c, w) in enumerate(zip(row_cells, widths))))
        lines.append("")
    return "\n".join(lines)


def _with_interval(row: pd.Series, name: str, form: str) -> str:
    """`row[name]` formatted, with its seed interval (3+ seeds) or range (2); "-" if absent."""
    value = row.get(name, np.nan)
    if value is None or np.isnan(value):
        return "-"
    text = form.format(value)
    if row["seeds"] >= 2:
        low, high = row[f"{name}_ci_low"], row[f"{name}_ci_high"]
        text += f" [{form.format(low)}, {form.format(high)}]"
    return text


FAMILY_LINES = {"reference": "--", "bandit": "-", "deep": "-."}
"""The line style of each agent family in the figures; other agents (`module:Class`,
sweep variants `agent@point`) are dotted."""


def agent_styles(labels: list[str]) -> dict[str, tuple[tuple[float, ...], str]]:
    """{label: (colour, line style)}. A registered agent keeps one colour in every figure,
    its place in the registry on tab20's hues (the ten dark ones first, then their light
    shades, so agents listed next to each other differ in hue), and its family's line
    style; every other label takes, in sorted order, one of Dark2's colours, dotted."""
    from matplotlib import colormaps

    from artwork_env.agents.registry import agent_family, agent_names

    names = agent_names()
    tab20, dark2 = colormaps["tab20"], colormaps["Dark2"]
    order = [*range(0, 20, 2), *range(1, 20, 2)]
    others = sorted(label for label in labels if label not in names)
    styles = {}
    for label in labels:
        if label in names:
            styles[label] = (tab20(order[names.index(label) % 20]),
                             FAMILY_LINES[agent_family(label)])
        else:
            styles[label] = (dark2(others.index(label) % 8), ":")
    return styles


def plot_curves(runs: list[RunData], tag: str, path: Path, ylabel: str) -> None:
    """Mean over seeds against visits, with a 95 % t band (3+ seeds; the range of 2), one
    line per agent (and per env), styled by `agent_styles`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    envs = sorted({run.env_id for run in runs})
    fig, axes = plt.subplots(1, len(envs), figsize=(9 * len(envs), 4.5), squeeze=False)
    for ax, env_id in zip(axes[0], envs):
        groups = {label: [run for run in group if tag in run.curves]
                  for (env, label), group in group_runs(runs)[0].items() if env == env_id}
        styles = agent_styles(list(groups))
        for agent, group in sorted(groups.items()):
            if not group:
                continue
            steps, values = _aligned(group, tag)
            length = len(steps)
            mean = values.mean(axis=0)
            colour, style = styles[agent]
            ax.plot(steps, mean, style, label=agent, color=colour)
            if len(group) > 1:
                band = np.array([seed_interval(values[:, i])[:2] for i in range(length)])
                ax.fill_between(steps, band[:, 0], band[:, 1], alpha=0.2, color=colour)
        ax.set_title(env_id)
        ax.set_xlabel("visits trained on")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _has_lifetimes(run: RunData) -> bool:
    """Whether a run's evaluations saw episodes of more than one visit (return != reward)."""
    curves = run.curves
    return "eval/return" in curves and not np.allclose(curves["eval/return"][1],
                                                       curves["eval/reward"][1])


def write_report(runs_dir: str | Path | list[str | Path], out_dir: str | Path) -> list[str]:
    """Write report.md, summary.csv, learning_curves.png and regret.png (and returns.png
    where episodes are lifetimes of several visits); return the messages about skipped
    runs."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    runs, skipped = load_runs(runs_dir)
    summary = summarise(runs)
    summary.to_csv(out / "summary.csv", index=False)
    lines = ["# Comparison report", ""]
    if skipped:
        lines += ["Skipped runs:", *[f"- {markdown_text(message)}" for message in skipped],
                  ""]
    if runs:
        lines += [*code_block(results_table(summary)), ""]
        for env_id in sorted({run.env_id for run in runs}):
            matrix = pairwise(runs, env_id)
            lines += [f"## {markdown_text(env_id)}: P(row agent's final eval reward > "
                      "column agent's), over pairs of seeds", "",
                      markdown_matrix(matrix), ""]
            if matrix.isna().sum().sum() > len(matrix):
                lines += [f"-: an agent with fewer than {MIN_SEEDS_TO_COMPARE} seeds (one "
                          "pair of runs gives 0 or 1, whatever the agents).", ""]
        plot_curves(runs, "eval/reward", out / "learning_curves.png", "eval reward per visit")
        plot_curves(runs, "train/cumulative_regret", out / "regret.png", "cumulative regret")
        lines += ["![learning curves](learning_curves.png)", "", "![regret](regret.png)", ""]
        if any(_has_lifetimes(run) for run in runs):
            plot_curves(runs, "eval/return", out / "returns.png",
                        "eval return per member lifetime")
            lines += ["![returns](returns.png)", ""]
        if any(LIFETIME_TAG in run.curves for run in runs):
            plot_curves(runs, LIFETIME_TAG, out / "return_vs_oracle.png",
                        "return per lifetime, % of the myopic oracle's")
            lines += ["![return against the myopic oracle](return_vs_oracle.png)", ""]
    (out / "report.md").write_text("\n".join(lines))
    return skipped
