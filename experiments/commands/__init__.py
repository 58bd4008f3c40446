"""The command-line programs: installed as console commands (`artwork-train`,
`artwork-compare`, `artwork-collect`, `artwork-compare-estimators`, `artwork-calibrate`,
`artwork-demo`) and run by the thin wrappers of `scripts/` (`python scripts/train.py`)."""

from __future__ import annotations

from collections.abc import Callable


def console_command(main: Callable[[], object]) -> Callable[[], None]:
    """The console entry point of a command's `main`: run it on the command line's
    arguments; an int it returns is the exit status (`compare`), anything else means 0
    (bad arguments exit 2 from the parser)."""

    def console() -> None:
        result = main()
        raise SystemExit(result if isinstance(result, int) else 0)

    console.__doc__ = f"The console command of `{main.__module__}.main`."
    return console
