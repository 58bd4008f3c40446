"""The layering of the packages: scripts -> artwork_env.experiments -> artwork_env.agents ->
the rest of artwork_env, no import cycle, reports without torch, docs that cite only what
the repository holds."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("artwork_env", "artwork_env.agents", "artwork_env.experiments")
"""Each may import only those before it (a module is in the last layer its name starts with)."""


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int:
    """The index in LAYERS of a module's layer."""
    return max(i for i, name in enumerate(LAYERS) if f"{module}.".startswith(f"{name}."))


def project_imports() -> dict[str, set[str]]:
    """Every project module and the project modules it imports, anywhere in the file
    (imports inside functions count: a lazy import still makes a cycle)."""
    return {module_name(path): {m for m in imported(path) if m.split(".")[0] == "artwork_env"}
            for path in sorted((ROOT / "artwork_env").rglob("*.py"))}


def imported(path: Path) -> set[str]:
    """The absolute module names a file imports, anywhere in it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_library_imports_itself_only_by_its_own_name():
    """The short paths `agents` and `experiments` are aliases for users; the library, its
    scripts, benchmarks and tests import `artwork_env.*`, so a user's `agents.py` or
    `experiments.py` in the working folder cannot shadow any of it."""
    short = [(str(path.relative_to(ROOT)), name)
             for pattern in ("artwork_env/**/*.py", "scripts/*.py", "benchmarks/*.py",
                             "tests/*.py")
             for path in ROOT.glob(pattern) for name in imported(path)
             if name.split(".")[0] in ("agents", "experiments")]
    assert short == []


def test_each_layer_imports_only_the_layers_below_it():
    wrong = [(module, target) for module, targets in project_imports().items()
             for target in targets
             if layer(target) > layer(module)]
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
    """artwork_env/agents/ holds the interface and the agents: no TensorBoard writers, no run
    directories, no process pools."""
    for path in (ROOT / "artwork_env" / "agents").rglob("*.py"):
        text = path.read_text()
        for word in ("SummaryWriter", "ProcessPoolExecutor", "import ray", "run_dir"):
            assert word not in text, f"{path.name} uses {word}"


FAMILIES = ("bandits", "contextual", "neural", "deep", "references")
FAMILY_IMPORTS = {("neural", "contextual")}
"""The one import between agent families: the neural bandits number the (title, artwork)
arms as the linear ones do (`contextual.linear.arm_ids`)."""


def family(module: str) -> str | None:
    """The agent family a module belongs to, if any."""
    parts = module.split(".")
    return parts[2] if parts[:2] == ["artwork_env", "agents"] and len(parts) > 2 \
        and parts[2] in FAMILIES else None


def test_agents_live_in_families_that_import_only_what_they_share():
    """Every registered agent is defined in a family folder; a family imports the shared
    modules of `artwork_env.agents` (interface, configurations, features, torch modules)
    and no other family, but for the one edge listed; the shared modules import no
    family, so the deep agents' networks and the neural bandits each stand alone."""
    from artwork_env.agents.registry import _AGENTS

    assert {family(path.partition(":")[0]) for path, _ in _AGENTS.values()} == set(FAMILIES)
    shared = {"artwork_env.agents.base", "artwork_env.agents.config", "artwork_env.agents.features",
              "artwork_env.agents.modules", "artwork_env.agents.hyperparams"}
    edges = {(module, target) for module, targets in project_imports().items()
             for target in targets if family(target) and family(target) != family(module)
             and (family(module) or module in shared)}
    assert {(family(a) or a, family(b)) for a, b in edges} == FAMILY_IMPORTS
    flat = [path.name for path in (ROOT / "artwork_env" / "agents").glob("*.py")
            if path.stem not in {m.rpartition(".")[2] for m in shared}
            | {"__init__", "registry", "policies", "click_model", "reward_model"}]
    assert flat == [], "an agent module outside the families"


def test_the_modules_moved_into_families_still_import_by_their_old_paths():
    """`artwork_env.agents.ltv` (and `agents.ltv`, and the RL Zoo's `agents.zoo.ppo`) is
    the module `artwork_env.agents.neural.ltv` itself; the modules that became family
    packages give their old names."""
    import importlib

    import artwork_env.agents.deep.zoo.ppo
    import artwork_env.agents.neural.ltv
    from artwork_env.agents.bandits.multi_armed import UCBAgent
    from artwork_env.agents.neural.bandit import NeuralBanditAgent

    assert importlib.import_module("artwork_env.agents.ltv") is artwork_env.agents.neural.ltv
    assert importlib.import_module("agents.ltv") is artwork_env.agents.neural.ltv
    assert importlib.import_module("agents.zoo.ppo") is artwork_env.agents.deep.zoo.ppo
    assert importlib.import_module("artwork_env.agents.bandits").UCBAgent is UCBAgent
    assert importlib.import_module("artwork_env.agents.neural").NeuralBanditAgent \
        is NeuralBanditAgent
    assert artwork_env.agents.neural.ltv.__spec__.name == "artwork_env.agents.neural.ltv"


def test_the_package_is_grouped_by_part_and_the_old_module_paths_still_import():
    """`artwork_env/` shows its architecture: the model and its numpy specification
    (`model/`), the compiled core (`compiled/`), the envs and adapters (`envs/`), offline
    evaluation (`ope/`), and at the top only what they share; `artwork_env.config` and
    every other flat path of before is the grouped module itself."""
    import importlib

    import artwork_env.compiled.core
    import artwork_env.envs.rollout
    import artwork_env.model.config

    top = {path.stem for path in (ROOT / "artwork_env").glob("*.py")}
    assert top == {"__init__", "aliases", "arrays", "errors", "planning", "reference",
                   "simulator", "validation"}
    assert importlib.import_module("artwork_env.config") is artwork_env.model.config
    assert importlib.import_module("artwork_env.core") is artwork_env.compiled.core
    assert importlib.import_module("artwork_env.rollout") is artwork_env.envs.rollout
    from artwork_env.config import ModelConfig
    assert ModelConfig.__module__ == "artwork_env.model.config"


@pytest.mark.slow
def test_compare_script_runs_without_torch(tmp_path):
    """Reading reports imports neither torch nor stable-baselines3."""
    from artwork_env.experiments.commands import train

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
                                                    "scripts/*.py", "benchmarks/*.py")
             for path in ROOT.glob(pattern)}
    for path, text in texts.items():
        assert "DESIGN.md" not in text, f"{path} cites DESIGN.md, which is not in the repository"
        if path.suffix == ".md":
            for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
                assert (path.parent / target).exists(), f"{path}: link to missing {target}"
        for named in re.findall(PATH_NAMED, text):  # a path written out, as `agents/ltv.py`
            assert (ROOT / named).exists() or (path.parent / named).exists(), \
                f"{path} names {named}, which the repository does not hold"


PATH_NAMED = r"(?<![\w./~-])((?:[\w-]+/)+[\w-]+\.(?:py|md|yaml|toml|png|csv))\b(?!\]\()"
"""A relative path of a repository file written out in prose (a link's text is left to the
link check)."""


def test_the_two_cores_are_siblings():
    """The compiled core and the numpy specification implement one protocol
    (`artwork_env.simulator.Simulator`); neither inherits the other, and nothing of the
    specification's equations is reachable on the compiled core."""
    from artwork_env.compiled.core import ArtworkSimulator
    from artwork_env.model.numpy_core import NumpySimulator
    from artwork_env.simulator import Simulator
    assert ArtworkSimulator.__mro__[1] is Simulator and NumpySimulator.__mro__[1] is Simulator
    assert not issubclass(ArtworkSimulator, NumpySimulator)
    assert not issubclass(NumpySimulator, ArtworkSimulator)
    for spec_only in ("_fill_rows", "_update_state", "_observation"):
        assert hasattr(NumpySimulator, spec_only) and not hasattr(ArtworkSimulator, spec_only)
    assert not Simulator.__abstractmethods__ - set(vars(ArtworkSimulator))
    assert not Simulator.__abstractmethods__ - set(vars(NumpySimulator))
