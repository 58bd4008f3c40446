"""`python scripts/compare_estimators.py [options]` runs the `artwork-compare-estimators` command:
its code and options are in `artwork_env/experiments/commands/compare_estimators.py` (`--help`
lists them)."""

from artwork_env.experiments.commands.compare_estimators import console

if __name__ == "__main__":
    console()
