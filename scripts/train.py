"""`python scripts/train.py [options]` runs the `artwork-train` command:
its code and options are in `artwork_env/experiments/commands/train.py` (`--help` lists them)."""

from artwork_env.experiments.commands.train import console

if __name__ == "__main__":
    console()
