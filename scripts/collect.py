"""`python scripts/collect.py [options]` runs the `artwork-collect` command:
its code and options are in `artwork_env/experiments/commands/collect.py` (`--help` lists them)."""

from artwork_env.experiments.commands.collect import console

if __name__ == "__main__":
    console()
