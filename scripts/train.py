"""`python scripts/train.py [options]` runs the `artwork-train` command:
its code and options are in `experiments/commands/train.py` (`--help` lists them)."""

from experiments.commands.train import console

if __name__ == "__main__":
    console()
