"""`python scripts/demo.py [options]` runs the `artwork-demo` command:
its code and options are in `artwork_env/experiments/commands/demo.py` (`--help` lists them)."""

from artwork_env.experiments.commands.demo import console

if __name__ == "__main__":
    console()
