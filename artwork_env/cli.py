"""Small helpers shared by the command-line scripts."""

from __future__ import annotations

import ast

from artwork_env.config import parameter_names


def parse_env_kwargs(items: list[str]) -> dict[str, object]:
    """Parse `KEY=VALUE` strings into model keyword arguments.

    Values are Python literals where they parse as one (`8`, `0.5`, `(3, 9)`), strings
    otherwise (`reward=click`). Raises `ValueError` for a malformed item or an unknown key,
    listing the known parameters.
    """
    known = parameter_names()
    out: dict[str, object] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"malformed model parameter {item!r}: expected KEY=VALUE")
        if key not in known:
            raise ValueError(f"unknown model parameter {key!r}; known: {', '.join(known)}")
        out[key] = parse_value(text)
    return out


def parse_value(text: str) -> object:
    """A Python literal where the text is one (`8`, `0.5`, `(3, 9)`), else the text."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text
