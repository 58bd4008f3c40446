"""Small helpers shared by the command-line scripts: CleanRL-style argument parsers, model
parameters as KEY=VALUE, and sweep grids."""

from __future__ import annotations

import argparse
import ast
import copy
import inspect
import itertools
import tempfile
import textwrap
from dataclasses import fields
from pathlib import Path
from typing import Any

from artwork_env.model.config import parameter_names


def field_docs(args_class: type) -> dict[str, str]:
    """The docstring under each field of a dataclass (`x: int = 1` then `\"\"\"...\"\"\"`),
    read from its source: what `--help` says about each flag."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(args_class)))
    except (OSError, TypeError):  # no source (a frozen application): no help texts
        return {}
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs = {}
    for field_node, doc in zip(body, body[1:]):
        if (isinstance(field_node, ast.AnnAssign) and isinstance(field_node.target, ast.Name)
                and isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant)
                and isinstance(doc.value.value, str)):
            docs[field_node.target.id] = " ".join(doc.value.value.split())
    return docs


def dataclass_parser(args_class: type, description: str | None,
                     int_lists: tuple[str, ...] = ()) -> argparse.ArgumentParser:
    """An argument parser with one `--flag` per field of a dataclass of arguments (CleanRL
    style): the field's default, type and docstring (its `--help`, which shows the default
    unless the docstring says it in its own words: "(default: ...)"); list fields take
    several values (`int_lists` name those of ints); booleans take `--flag` /
    `--no-flag`."""
    parser = argparse.ArgumentParser(description=description,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    docs = field_docs(args_class)
    for f in fields(args_class):
        default: Any = f.default_factory() if callable(f.default_factory) else f.default
        flag = "--" + f.name.replace("_", "-")
        shown = " ".join(map(str, default)) if isinstance(default, list) else default
        doc = docs.get(f.name, f.name)
        text = (doc if "(default" in doc else f"{doc} (default: {shown})").replace("%", "%%")
        if isinstance(default, list):
            kind = int if f.name in int_lists else str
            parser.add_argument(flag, nargs="*", type=kind, default=default, help=text)
        elif isinstance(default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default,
                                help=text)
        else:
            parser.add_argument(flag, type=type(default), default=default, help=text)
    return parser


def given_options(parser: argparse.ArgumentParser, argv: list[str]) -> set[str]:
    """The destinations of the options `argv` sets explicitly (`--visits 9` and
    `--visits=9` alike), whatever their defaults."""
    quiet = copy.deepcopy(parser)
    for action in quiet._actions:
        action.default = argparse.SUPPRESS
    return set(vars(quiet.parse_args(argv)))


def parse_env_kwargs(items: list[str]) -> dict[str, object]:
    """Parse `KEY=VALUE` strings into model keyword arguments.

    Values are Python literals where they parse as one (`8`, `0.5`, `(3, 9)`; `true` and
    `false` are booleans), strings otherwise (`reward=click`). Raises `ValueError` for a
    malformed item or an unknown key, listing the known parameters.
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
    """A Python literal where the text is one (`8`, `0.5`, `(3, 9)`, `True`; `true` and
    `false` too, as in YAML), else the text."""
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def grid_points(items: list[str]) -> list[tuple[str, dict, dict]]:
    """(label, env kwargs, agent kwargs) of every combination of `--grid` values."""
    keys, values = [], []
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not text:
            raise ValueError(f"malformed {item!r}: expected KEY=V1,V2")
        keys.append(key)
        values.append(text.split(","))
    points = []
    for combination in itertools.product(*values):
        env_items = [f"{k}={v}" for k, v in zip(keys, combination) if not k.startswith("agent.")]
        agent_items = [f"{k[6:]}={v}" for k, v in zip(keys, combination)
                       if k.startswith("agent.")]
        agent_kwargs = {k: parse_value(v) for k, _, v in (i.partition("=") for i in agent_items)}
        label = ",".join(f"{k}={v}" for k, v in zip(keys, combination))
        points.append((label, parse_env_kwargs(env_items), agent_kwargs))
    return points or [("", {}, {})]


def writable_folder_problem(path: str | Path) -> str | None:
    """Why `path` cannot be a folder to write into (created if missing), or None: checked
    before hours of work, not after."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        return f"{folder} exists and is not a folder"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        return f"cannot write into {folder}: {error.strerror or error}"
    return None


def output_file_problem(path: str | Path) -> str | None:
    """Why a file cannot be written at `path` (a folder there, an unwritable parent), or
    None."""
    target = Path(path)
    if target.is_dir():
        return f"{target} is a folder; give a file name"
    return writable_folder_problem(target.parent)
