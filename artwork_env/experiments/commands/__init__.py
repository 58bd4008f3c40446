"""The command-line programs: installed as console commands (`artwork-train`,
`artwork-compare`, `artwork-collect`, `artwork-compare-estimators`, `artwork-calibrate`,
`artwork-demo`) and run by the thin wrappers of `scripts/` (`python scripts/train.py`)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from artwork_env.experiments.rundir import Refused

EXIT_REFUSED = 2
"""Exit status of a refused input or an input/output error (as argparse's bad arguments)."""
EXIT_INTERRUPTED = 130
"""Exit status after a second Ctrl-C (128 + SIGINT), as shells report it."""


def console_command(main: Callable[[], object]) -> Callable[[], None]:
    """The console entry point of a command's `main`: run it on the command line's
    arguments; an int it returns is the exit status (`compare`), anything else means 0
    (bad arguments exit 2 from the parser). A refused input (`Refused`) or an input/output
    error (full disk, read-only folder) prints one line and exits 2; an abort (a second
    Ctrl-C) exits 130; neither prints a traceback."""

    def console() -> None:
        program = Path(sys.argv[0]).name or main.__module__
        try:
            result = main()
        except Refused as error:
            print(f"{program}: error: {error}", file=sys.stderr)
            raise SystemExit(EXIT_REFUSED) from None
        except OSError as error:
            where = f"{error.filename}: " if error.filename else ""
            print(f"{program}: error: {where}{error.strerror or error}", file=sys.stderr)
            raise SystemExit(EXIT_REFUSED) from None
        except KeyboardInterrupt:
            print(f"{program}: aborted", file=sys.stderr)
            raise SystemExit(EXIT_INTERRUPTED) from None
        raise SystemExit(result if isinstance(result, int) else 0)

    console.__doc__ = f"The console command of `{main.__module__}.main`."
    return console
