"""The layering of the packages: scripts -> experiments -> agents -> artwork_env, no import
cycle, reports without torch, docs that cite only what the repository holds."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("artwork_env", "agents", "experiments")  # each may import only those before it


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_imports() -> dict[str, set[str]]:
    """Every project module and the project modules it imports, anywhere in the file
    (imports inside functions count: a lazy import still makes a cycle)."""
    graph: dict[str, set[str]] = {}
    for package in LAYERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            name = module_name(path)
            found: set[str] = set()
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    found.add(node.module)
                elif isinstance(node, ast.Import):
                    found.update(alias.name for alias in node.names)
            graph[name] = {m for m in found if m.split(".")[0] in LAYERS}
    return graph


def test_each_layer_imports_only_the_layers_below_it():
    wrong = [(module, target) for module, targets in project_imports().items()
             for target in targets
             if LAYERS.index(target.split(".")[0]) > LAYERS.index(module.split(".")[0])]
    assert wrong == []


def test_no_import_cycle():
    graph = project_imports()
    known = set(graph)

    def resolve(target: str) -> str | None:  # `from pkg.mod import x` names a module
        while target and target not in known:
            target = target.rpartition(".")[0]
        return target or None

    edges = {m: {r for t in targets if (r := resolve(t)) and r != m}
             for m, targets in graph.items()}
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, stack: list[str]) -> bool:
        state[node] = 1
        for nxt in sorted(edges[node]):
            # a package's __init__ importing its own submodules is not a cycle of concern
            if nxt.startswith(node + ".") or node.startswith(nxt + "."):
                continue
            if state.get(nxt) == 1:
                cycle.extend([*stack, node, nxt])
                return True
            if nxt not in state and visit(nxt, [*stack, node]):
                return True
        state[node] = 2
        return False

    assert not any(visit(m, []) for m in sorted(edges) if m not in state), cycle


def test_agents_run_no_experiments():
    """agents/ holds the interface and the agents: no TensorBoard writers, no run
    directories, no process pools."""
    for path in (ROOT / "agents").glob("*.py"):
        text = path.read_text()
        for word in ("SummaryWriter", "ProcessPoolExecutor", "import ray", "run_dir"):
            assert word not in text, f"{path.name} uses {word}"


@pytest.mark.slow
def test_compare_script_runs_without_torch(tmp_path):
    """Reading reports imports neither torch nor stable-baselines3."""
    from experiments.commands import train

    train.main(["--seeds", "0", "--agents", "random", "--visits", "32", "--eval-every", "32",
                "--eval-members", "8", "--workers", "1", "--logdir", str(tmp_path)])
    blocker = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('torch', 'stable_baselines3', 'sb3_contrib'):\n"
        "            raise ImportError('blocked ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import runpy\n"
        f"sys.argv = ['compare.py', {str(tmp_path)!r}]\n"
        f"runpy.run_path({str(ROOT / 'scripts' / 'compare.py')!r}, run_name='__main__')\n")
    done = subprocess.run([sys.executable, "-c", blocker], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Report:" in done.stdout and "random" in done.stdout


def test_docs_cite_only_files_the_repository_holds():
    texts = {path: path.read_text() for pattern in ("*.md", "docs/**/*.md", "artwork_env/**/*.py",
                                                    "agents/**/*.py", "experiments/**/*.py",
                                                    "scripts/*.py", "benchmarks/*.py")
             for path in ROOT.glob(pattern)}
    for path, text in texts.items():
        assert "DESIGN.md" not in text, f"{path} cites DESIGN.md, which is not in the repository"
        if path.suffix == ".md":
            for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
                assert (path.parent / target).exists(), f"{path}: link to missing {target}"


def test_the_two_cores_are_siblings():
    """The compiled core and the numpy specification implement one protocol
    (`artwork_env.simulator.Simulator`); neither inherits the other, and nothing of the
    specification's equations is reachable on the compiled core."""
    from artwork_env.core import ArtworkSimulator
    from artwork_env.numpy_core import NumpySimulator
    from artwork_env.simulator import Simulator
    assert ArtworkSimulator.__mro__[1] is Simulator and NumpySimulator.__mro__[1] is Simulator
    assert not issubclass(ArtworkSimulator, NumpySimulator)
    assert not issubclass(NumpySimulator, ArtworkSimulator)
    for spec_only in ("_fill_rows", "_update_state", "_observation"):
        assert hasattr(NumpySimulator, spec_only) and not hasattr(ArtworkSimulator, spec_only)
    assert not Simulator.__abstractmethods__ - set(vars(ArtworkSimulator))
    assert not Simulator.__abstractmethods__ - set(vars(NumpySimulator))
