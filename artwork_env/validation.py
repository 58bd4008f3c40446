"""The checks of a keyword's value, written once: every typed configuration and constructor
names the field in its error (`ModelConfig` is the model)."""

from __future__ import annotations

import math


def is_integer(value: object) -> bool:
    """Whether `value` is an int and not a bool (True is an int to Python, not to us)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_real(value: object) -> bool:
    """Whether `value` is a finite int or float (not a bool)."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def check_integer(name: str, value: object, low: int = 1, high: int | None = None) -> int:
    """`value` if it is an integer in [low, high], else `ValueError` naming `name`."""
    if not is_integer(value) or value < low or (high is not None and value > high):
        if high is not None:
            kind = f"an integer in [{low}, {high:,}]"
        else:
            kind = {1: "a positive integer", 0: "a non-negative integer"}.get(
                low, f"an integer >= {low}")
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    return value  # type: ignore[return-value]


def check_positive(name: str, value: object) -> float:
    """`value` if it is a finite number > 0, else `ValueError` naming `name`."""
    if check_real(name, value) <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return float(value)  # type: ignore[arg-type]


def check_real(name: str, value: object, low: float | None = None,
               high: float | None = None) -> float:
    """`value` if it is a finite number in [low, high], else `ValueError` naming `name`."""
    if not is_real(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    below = low is not None and value < low  # type: ignore[operator]
    above = high is not None and value > high  # type: ignore[operator]
    if (below or above) and low is not None and high is not None:
        raise ValueError(f"{name} must be in [{low:g}, {high:g}], got {value!r}")
    if below:
        raise ValueError(f"{name} must be >= {low}, got {value!r}")
    if above:
        raise ValueError(f"{name} must be <= {high}, got {value!r}")
    return float(value)  # type: ignore[arg-type]
