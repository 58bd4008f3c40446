"""The closing table of a comparison: one line per (env, agent), averaged over seeds."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from agents.training import RunResult


def results_table(results: list[RunResult]) -> str:
    """A plain-text table: agent, eval reward, take rate, % of oracle, regret, return.

    Runs are grouped by (env, agent); numbers are means over seeds (± standard deviation
    when there are several). Cheating references are marked; rows are sorted best first.
    """
    groups: dict[tuple[str, str], list[RunResult]] = defaultdict(list)
    for result in results:
        groups[(result.env_id, result.agent)].append(result)
    columns = [("eval reward", "eval/reward", 4), ("take rate", "eval/take_rate", 4),
               ("% of oracle", "eval/pct_of_oracle", 1), ("regret/visit", "eval/regret", 4),
               ("return", "eval/return", 3)]
    lines = []
    for env_id in sorted({key[0] for key in groups}):
        rows = []
        for (env, agent), runs in groups.items():
            if env != env_id:
                continue
            cells = []
            for _, tag, digits in columns:
                values = np.array([run.metrics[tag] for run in runs])
                cell = f"{values.mean():.{digits}f}"
                if len(values) > 1:
                    cell += f" ± {values.std(ddof=1):.{digits}f}"
                cells.append(cell)
            label = agent + (" (cheating reference)" if runs[0].reference else "")
            rows.append((np.mean([r.metrics["eval/reward"] for r in runs]), label,
                         len(runs), runs[0].visits, cells))
        rows.sort(key=lambda row: -row[0])
        header = ["agent", "seeds", "visits"] + [name for name, _, _ in columns]
        body = [[label, str(seeds), f"{visits:,}", *cells] for _, label, seeds, visits, cells
                in rows]
        widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]
        lines.append(f"{env_id} (greedy evaluation on held-out members)")
        for row in [header, *body]:
            lines.append("  ".join(cell.ljust(width) if i == 0 else cell.rjust(width)
                                   for i, (cell, width) in enumerate(zip(row, widths))))
        lines.append("")
    return "\n".join(lines)
