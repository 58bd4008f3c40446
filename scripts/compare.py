"""`python scripts/compare.py [options]` runs the `artwork-compare` command:
its code and options are in `experiments/commands/compare.py` (`--help` lists them)."""

from experiments.commands.compare import console

if __name__ == "__main__":
    console()
