"""Compare the runs of a directory: a report with confidence intervals, and plots.

    python scripts/compare.py runs [--out runs/report]

Writes report.md (per env: agents with final eval reward and take rate, mean and 95 %
Student t interval over 3+ seeds (the range of 2), % of oracle, regret, cumulative
regret, visits to reach 90 % of the best agent's final reward, and pairwise win
probabilities), summary.csv (the same numbers), learning_curves.png and regret.png, and
returns.png (return per member lifetime) where episodes last several visits.
Runs that are empty, unreadable or miss a tag are listed and skipped.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from artwork_env.experiments.commands import console_command
from artwork_env.experiments.report import load_runs, results_table, summarise, write_report


def main(argv: list[str] | None = None) -> int:
    """Write the report; print the table and where it went."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs_dir", help="a directory of run directories (--logdir of train.py)")
    parser.add_argument("--out", default=None, help="output folder (default: RUNS_DIR/report)")
    args = parser.parse_args(argv)
    runs_dir = Path(args.runs_dir)
    if not runs_dir.is_dir():
        parser.error(f"{runs_dir} is not a directory")
    out = Path(args.out) if args.out else runs_dir / "report"
    run_dirs = [p for p in sorted(runs_dir.iterdir()) if p.is_dir() and p != out]
    if not run_dirs:
        parser.error(f"{runs_dir} holds no run directories (the --logdir of train.py)")
    skipped = write_report(run_dirs, out)
    for message in skipped:
        print(message, file=sys.stderr)
    runs, _ = load_runs(run_dirs)
    print(results_table(summarise(runs)))
    if not runs:
        return 1
    print(f"Report: {out / 'report.md'} (with summary.csv, learning_curves.png, regret.png)")
    return 0


console = console_command(main)


if __name__ == "__main__":
    console()
