"""The one error class for refused input from files (run directories, logged data)."""

from __future__ import annotations


class Refused(ValueError):
    """Input refused: one line saying which file, which key and what is wrong. The
    command-line programs print it and exit 2, without a traceback."""


def short(value: object, limit: int = 60) -> str:
    """`repr(value)`, cut to `limit` characters for an error message."""
    shown = repr(value)
    return shown if len(shown) <= limit else shown[:limit - 3] + "..."
