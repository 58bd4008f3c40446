"""`python scripts/compare.py [options]` runs the `artwork-compare` command:
its code and options are in `artwork_env/experiments/commands/compare.py` (`--help` lists them)."""

from artwork_env.experiments.commands.compare import console

if __name__ == "__main__":
    console()
