"""`python scripts/calibrate.py [options]` runs the `artwork-calibrate` command:
its code and options are in `experiments/commands/calibrate.py` (`--help` lists them)."""

from experiments.commands.calibrate import console

if __name__ == "__main__":
    console()
