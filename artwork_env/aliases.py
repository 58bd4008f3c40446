"""Import paths kept for users: `agents` is `artwork_env.agents` and `experiments` is
`artwork_env.experiments`, module for module (`alias`); a module moved into a subpackage
stays importable by its old name (`moved`).

The library itself imports only `artwork_env.*`, so a user's own `agents.py` or
`experiments.py` in the working folder (the most common file names in a research folder)
shadows at most these aliases, never the library. The top-level `agents/` and
`experiments/` packages each call `alias` in their `__init__`; after it, `import
agents.factored` gives the module object `artwork_env.agents.neural.factored` itself (one module
under two names: its classes, globals and pickles are the same), loaded on first use as
any import is. `moved("artwork_env.agents", {"ltv": "neural.ltv"})` does the same for one
module (and the modules under it) that moved within a package: `artwork_env.agents.ltv`
is `artwork_env.agents.neural.ltv`, so old imports, pickles and saved models that name it
still load.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import pkgutil
import sys
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any


class _AliasLoader(importlib.abc.Loader):
    """Hands over an already imported real module for an alias name."""

    def __init__(self, real: ModuleType) -> None:
        self.real, self.real_spec = real, real.__spec__

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        """The real module, not a new one."""
        return self.real

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: only give the real module back its own spec (the import system
        set the alias's on it)."""
        module.__spec__ = self.real_spec


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Finds `alias.X` as the real module `target.X` (and `alias` as `target` when `whole`:
    the alias is no package of its own)."""

    def __init__(self, alias: str, target: str, whole: bool = False) -> None:
        self.alias, self.target, self.whole = alias, target, whole

    def find_spec(self, fullname: str, path: object = None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        """A spec whose loader hands over the real module, for names under the alias."""
        if not (fullname.startswith(self.alias + ".") or (self.whole and fullname == self.alias)):
            return None
        real = importlib.import_module(self.target + fullname[len(self.alias):])
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(real),
                                              is_package=hasattr(real, "__path__"))


def alias(name: str, target: str) -> None:
    """Make the package `name` (being imported) and every module under it the package
    `target` and its modules."""
    if not any(isinstance(f, _AliasFinder) and f.alias == name for f in sys.meta_path):
        sys.meta_path.insert(0, _AliasFinder(name, target))
    sys.modules[name] = importlib.import_module(target)


def moved(package: str, renames: dict[str, str]) -> None:
    """Keep each `package.old` (and every module under it) importable as the module
    `package.new` it moved to, for `old: new` in `renames` (names relative to `package`)."""
    known = {(f.alias, f.target) for f in sys.meta_path if isinstance(f, _AliasFinder)}
    for old, new in renames.items():
        names = (f"{package}.{old}", f"{package}.{new}")
        if names not in known:
            sys.meta_path.insert(0, _AliasFinder(*names, whole=True))


def names_of(package: str, own: Iterable[str], module: str) -> Callable[[str], Any]:
    """A module `__getattr__` for a package that was one module: a name not found in
    `package` is looked up in its submodule `module` (what the module became), imported on
    first use; the package's own submodules (`own`: its `__path__`) are left to the import
    system, so importing one of them never imports `module`."""
    submodules = {info.name for info in pkgutil.iter_modules(own)}

    def __getattr__(name: str) -> Any:
        if name.startswith("__") or name in submodules:
            raise AttributeError(name)
        return getattr(importlib.import_module(f"{package}.{module}"), name)

    return __getattr__
