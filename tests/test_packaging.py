"""The package as installed: a light core (the environments need numpy, gymnasium and
numba only), extras for the rest, console commands that run the same entry points as
`scripts/`, and `--help` that says what each flag does."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
tomllib = pytest.importorskip("tomllib", reason="Python >= 3.11 reads pyproject.toml")
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
HEAVY = ("torch", "stable_baselines3", "sb3_contrib", "tensorboard", "pandas", "pyarrow",
         "tqdm", "matplotlib", "scipy", "yaml", "ray")


def test_the_core_install_is_numpy_gymnasium_numba_and_threadpoolctl():
    names = sorted(dep.split(">")[0].split("=")[0].split("[")[0].strip()
                   for dep in PROJECT["dependencies"])
    assert names == ["gymnasium", "numba", "numpy", "threadpoolctl"]
    assert any(dep.startswith("gymnasium>=1.1") for dep in PROJECT["dependencies"])
    dev = PROJECT["optional-dependencies"]["dev"]
    # the README's test command installs everything
    assert "artwork-env[all,video,docs,wandb]" in dev


@pytest.mark.slow  # a fresh interpreter
def test_the_environments_run_without_the_heavy_dependencies():
    """With torch, SB3, TensorBoard, pandas, pyarrow, ... made unimportable, the
    environments make, reset, step, vectorise and render."""
    blocker = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {HEAVY!r}:\n"
        "            raise ImportError('blocked ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import gymnasium as gym, numpy as np\n"
        "import artwork_env\n"
        "for env_id in artwork_env.ENV_IDS:\n"
        "    env = gym.make(env_id, render_mode='rgb_array')\n"
        "    obs, info = env.reset(seed=0)\n"
        "    env.step(np.argmax(obs['action_mask'], axis=1))\n"
        "    assert env.render().ndim == 3\n"
        "    venv = gym.make_vec(env_id, num_envs=4)\n"
        "    obs, info = venv.reset(seed=0)\n"
        "    venv.step(np.argmax(obs['action_mask'], axis=2))\n"
        "print('ok', sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{HEAVY!r}))\n")
    done = subprocess.run([sys.executable, "-c", blocker], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok []"


def test_console_commands_are_the_scripts_entry_points():
    scripts = PROJECT["scripts"]
    assert set(scripts) == {"artwork-train", "artwork-compare", "artwork-collect",
                            "artwork-compare-estimators", "artwork-calibrate", "artwork-demo"}
    for command, target in scripts.items():
        module, _, function = target.partition(":")
        entry = getattr(importlib.import_module(module), function)
        wrapper = (ROOT / "scripts" / f"{module.rsplit('.', 1)[1]}.py").read_text()
        assert callable(entry) and f"from {module} import {function}" in wrapper, command


@pytest.mark.parametrize("command, flag, words", [
    pytest.param("train", "--visits", "training visits per run", marks=pytest.mark.slow),
    pytest.param("collect", "--out", "Parquet", marks=pytest.mark.slow),
    pytest.param("compare_estimators", "--logs", "logs", marks=pytest.mark.slow),
])
def test_help_says_what_each_flag_does(command, flag, words):
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / f"{command}.py"), "--help"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    options = done.stdout[done.stdout.index("options:"):]
    line = options[options.index(flag):]
    assert words.lower() in " ".join(line.split()[:40]).lower()


@pytest.mark.slow  # a fresh interpreter
def test_an_installed_console_command_runs():
    """`artwork-compare --help` from the environment's bin folder (a fresh install, as CI
    makes, has it; an old editable install may not: then reinstall)."""
    command = Path(sys.executable).parent / "artwork-compare"
    if not command.exists():
        pytest.skip("console commands not installed in this environment: pip install -e .")
    done = subprocess.run([str(command), "--help"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and "report" in done.stdout.lower()


@pytest.mark.slow
@pytest.mark.parametrize("algo", ["ppo", "a2c"])
def test_rl_zoo_trains_with_the_shipped_hyperparameters(algo, tmp_path):
    """The documented RL Zoo command (`artwork_env/agents/deep/zoo`), where rl_zoo3 is installed
    (`pip install -e ".[zoo]"`): it trains and saves a model."""
    pytest.importorskip("rl_zoo3")
    done = subprocess.run(
        [sys.executable, "-m", "rl_zoo3.train", "--algo", algo, "--env", "ArtworkBandit-v0",
         "--gym-packages", "artwork_env", "--conf-file", f"artwork_env.agents.deep.zoo.{algo}",
         "-n", "512", "--eval-freq", "-1", "-f", str(tmp_path)], capture_output=True, text=True,
        cwd=tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert list(tmp_path.glob(f"{algo}/ArtworkBandit-v0_1/ArtworkBandit-v0.zip"))


@pytest.mark.slow
def test_the_demo_runs_end_to_end(tmp_path):
    """`scripts/demo.py`, advertised in the README, once died after its two pages (a
    KeyError on the reset info): it prints the pages and the three policies' take rates,
    and saves the page's picture when asked."""
    picture = tmp_path / "page.png"
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py"), "--visits", "20",
                           "--picture", str(picture)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    for name in ("random", "best non-personalised", "oracle"):
        assert f"  {name}" in done.stdout and "take rate" in done.stdout
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("module", ["train", "collect", "compare_estimators"])
def test_each_flag_shows_its_default_once(module):
    """`--help` once printed "(default: all but ...) (default: random,...)": a docstring
    that states its default in its own words keeps it, and nothing is added."""
    from artwork_env.experiments.cli import dataclass_parser

    args = importlib.import_module(f"artwork_env.experiments.commands.{module}").Args
    for action in dataclass_parser(args, None)._actions:
        assert (action.help or "").count("(default") <= 1, action.dest


@pytest.mark.slow
def test_sb3s_progress_bar_works_with_the_train_extra():
    """`PPO(...).learn(..., progress_bar=True)` needs rich and tqdm: `[train]` brings both."""
    import gymnasium as gym
    from stable_baselines3 import PPO

    import artwork_env  # noqa: F401

    model = PPO("MultiInputPolicy", gym.make("ArtworkBandit-v0"), n_steps=32, batch_size=32,
                seed=0, device="cpu")
    model.learn(64, progress_bar=True)
    assert model.num_timesteps == 64


@pytest.mark.slow
def test_a_video_of_pages_is_recorded_with_the_video_extra(tmp_path):
    """Gymnasium's `RecordVideo` over the `rgb_array` render needs moviepy (`[video]`)."""
    pytest.importorskip("moviepy")
    import gymnasium as gym

    import artwork_env  # noqa: F401

    env = gym.wrappers.RecordVideo(
        gym.make("ArtworkPersonalization-v1", catalog="demo", render_mode="rgb_array"),
        str(tmp_path), episode_trigger=lambda episode: True, disable_logger=True)
    env.reset(seed=0)
    for _ in range(3):
        env.step(env.action_space.sample())
    env.close()
    videos = list(tmp_path.glob("*.mp4"))
    assert videos and videos[0].stat().st_size > 1000


@pytest.mark.parametrize("algo", ["ppo", "a2c"])
def test_the_zoo_conf_covers_every_environment(algo):
    """`--env ArtworkPersonalization-v1 --conf-file artwork_env.agents.deep.zoo.ppo` once
    failed with "Hyperparameters not found": the conf left out the headline sequential env."""
    import artwork_env
    from artwork_env.agents.deep.zoo import zoo_hyperparameters

    table = zoo_hyperparameters(algo)
    assert set(table) == set(artwork_env.ENV_IDS)
    assert all(row["policy"] == "MultiInputPolicy" for row in table.values())


@pytest.mark.parametrize("command", ["calibrate", "demo"])
def test_every_flag_of_the_argparse_commands_has_help(command):
    """Several flags of `calibrate` and `demo` once had no help text."""
    parser = importlib.import_module(f"artwork_env.experiments.commands.{command}").build_parser()
    assert all(action.help for action in parser._actions), command


@pytest.mark.slow
def test_a_users_own_agents_py_and_experiments_py_leave_the_library_working(tmp_path):
    """A research folder's `agents.py` and `experiments.py` (first on the path of a script
    run there) are the user's; the library imports only `artwork_env.*`, so it trains and
    evaluates beside them. Before the packages moved under `artwork_env`, this failed with
    "'agents' is not a package"."""
    (tmp_path / "agents.py").write_text("MINE = 'agents'\n")
    reported = subprocess.run(  # the reproduction: "'agents' is not a package"
        [sys.executable, "-c", "from experiments.training import train_run; import agents; "
         "print(agents.MINE, train_run.__module__)"], cwd=tmp_path, capture_output=True,
        text=True, timeout=300)
    assert reported.returncode == 0, reported.stderr[-2000:]
    assert reported.stdout.split() == ["agents", "artwork_env.experiments.training"]
    (tmp_path / "experiments.py").write_text("MINE = 'experiments'\n")
    script = (
        "import agents, experiments\n"
        "from artwork_env.experiments.training import train_run\n"
        "from artwork_env.agents.registry import make_agent\n"
        "from artwork_env.experiments.commands import train as command\n"
        "command.main(['--agents', 'random,linucb', '--seeds', '0', '--visits', '64',\n"
        "              '--eval-every', '64', '--eval-members', '8', '--workers', '1',\n"
        "              '--logdir', 'runs'])\n"
        "print(agents.MINE, experiments.MINE, make_agent.__module__)\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "agents experiments artwork_env.agents.registry" in done.stdout
    assert len(list((tmp_path / "runs").iterdir())) == 2


@pytest.mark.slow
def test_the_short_paths_agents_and_experiments_are_the_same_modules():
    """`agents.X` and `experiments.X` are aliases: the very module objects of
    `artwork_env.agents.X` and `artwork_env.experiments.X`, which keep their own names and
    specs (so classes compare and pickle as one)."""
    script = (
        "import pickle\n"
        "import agents, agents.factored, agents.zoo.ppo, experiments.training\n"
        "from agents.registry import make_agent\n"
        "from agents.linear import LinUCBAgent\n"
        "import artwork_env.agents as real\n"
        "import artwork_env.agents.neural.factored, artwork_env.agents.deep.zoo.ppo\n"
        "import artwork_env.agents.contextual.linear, artwork_env.agents.registry\n"
        "import artwork_env.experiments.training\n"
        "assert agents is real and make_agent is real.registry.make_agent\n"
        "assert agents.factored is artwork_env.agents.neural.factored\n"
        "assert agents.zoo.ppo is artwork_env.agents.deep.zoo.ppo\n"
        "assert experiments.training is artwork_env.experiments.training\n"
        "assert LinUCBAgent is artwork_env.agents.contextual.linear.LinUCBAgent\n"
        "assert agents.factored.__spec__.name == 'artwork_env.agents.neural.factored'\n"
        "assert pickle.loads(pickle.dumps(LinUCBAgent)) is LinUCBAgent\n"
        "print('same')\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "same"
