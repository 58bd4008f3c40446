"""`python scripts/calibrate.py [options]` runs the `artwork-calibrate` command:
its code and options are in `artwork_env/experiments/commands/calibrate.py` (`--help` lists
them)."""

from artwork_env.experiments.commands.calibrate import console

if __name__ == "__main__":
    console()
