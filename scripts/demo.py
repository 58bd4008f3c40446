"""`python scripts/demo.py [options]` runs the `artwork-demo` command:
its code and options are in `experiments/commands/demo.py` (`--help` lists them)."""

from experiments.commands.demo import console

if __name__ == "__main__":
    console()
