"""The comparison report on synthetic event files with known values, and TensorBoard itself
serving a real run directory."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from torch.utils.tensorboard import SummaryWriter

from artwork_env.experiments.report import (
    RunData,
    load_runs,
    results_table,
    seed_interval,
    summarise,
    win_probability,
    write_report,
)
from artwork_env.experiments.vocabulary import LIFETIME_TAG, TAGS

ROOT = Path(__file__).resolve().parents[1]
FINALS = {"alpha": [0.3, 0.4, 0.5], "beta": [0.1, 0.2, 0.3]}


def write_run(root: Path, agent: str, seed: int, rewards: list[float],
              tags: tuple[str, ...] = TAGS) -> Path:
    run_dir = root / f"Env-v0__{agent}__{seed}__1"
    run_dir.mkdir(parents=True)
    (run_dir / "config.json").write_text(json.dumps({"env_id": "Env-v0", "agent": agent,
                                                     "seed": seed}))
    writer = SummaryWriter(str(run_dir))
    for step, reward in zip((0, 100, 200), rewards):
        for tag in tags:
            writer.add_scalar(tag, reward if tag == "eval/reward" else 0.5, step)
    writer.close()
    return run_dir


@pytest.fixture
def runs_dir(tmp_path):
    for agent, finals in FINALS.items():
        for seed, final in enumerate(finals):
            write_run(tmp_path, agent, seed, [0.1, 0.35 if agent == "alpha" else 0.1, final])
    return tmp_path


def test_means_intervals_and_ranking_are_exact(runs_dir):
    runs, skipped = load_runs(runs_dir)
    assert not skipped and len(runs) == 6
    summary = summarise(runs)
    assert list(summary["agent"]) == ["alpha", "beta"]
    alpha = summary.iloc[0]
    assert alpha["reward"] == pytest.approx(0.4, abs=1e-6)
    # Student t with 2 degrees of freedom: 0.4 +- 4.302653 x 0.1 / sqrt(3)
    half = 4.302652729911275 * 0.1 / np.sqrt(3)
    assert (alpha["reward_ci_low"], alpha["reward_ci_high"]) == pytest.approx(
        (0.4 - half, 0.4 + half), abs=1e-6)
    assert alpha["interval"] == "t"
    # mean curve 0.1, 0.35, 0.4: 90 % of the best final (0.36) is first reached at 200
    assert alpha["visits_to_90pct_of_best"] == 200
    assert np.isnan(summary.iloc[1]["visits_to_90pct_of_best"])


def test_few_seeds_get_honest_intervals():
    """The t interval of 3 seeds is wider than their min-max (a percentile bootstrap of
    3 values is inside it); 2 seeds give their range, called so; 1 seed a point."""
    low, high, kind = seed_interval(np.array([0.3, 0.4, 0.5]))
    assert kind == "t" and low < 0.3 and high > 0.5
    assert seed_interval(np.array([0.3, 0.5])) == (0.3, 0.5, "range")
    assert seed_interval(np.array([0.3])) == (0.3, 0.3, "point")


def test_two_seeds_are_shown_as_a_range():
    runs = [synthetic("ucb", 0, 0.3), synthetic("ucb", 1, 0.5)]
    assert "(range 0.3000-0.5000)" in results_table(summarise(runs))


def test_pairwise_win_probability():
    assert win_probability(FINALS["alpha"], FINALS["beta"]) == pytest.approx(8.5 / 9)
    assert win_probability([1.0], [1.0]) == 0.5


def test_one_seed_gives_no_win_probability():
    """With one seed per agent the report printed P(lints > linucb) = 1.00 from a single
    pair; now the cell is empty ("-") unless both agents have at least two seeds."""
    from artwork_env.experiments.report import markdown_matrix, pairwise

    runs = [synthetic("lints", 0, 0.5), synthetic("linucb", 0, 0.4),
            synthetic("ucb", 0, 0.3), synthetic("ucb", 1, 0.2)]
    matrix = pairwise(runs, "Env-v0")
    assert matrix.isna().all().all()
    assert "1.00" not in markdown_matrix(matrix) and "| - |" in markdown_matrix(matrix)
    runs += [synthetic("lints", 1, 0.6)]
    assert pairwise(runs, "Env-v0").loc["lints", "ucb"] == 1.0


def test_an_agent_keeps_its_colour_and_line_in_every_figure_and_no_two_look_alike():
    """Colours once came from each figure's sorted agents (lints/linucb and ppo/random in
    the two shades of one hue, and an agent's colour changed with the figure's company).
    Now a registered agent's colour and line style are its own; in the default comparison
    no two agents share a hue (tab20's dark/light pair) and a line style; other labels are
    dotted."""
    from matplotlib import colormaps

    from artwork_env.agents.registry import agent_names, default_agents
    from artwork_env.experiments.report import agent_styles

    every = agent_styles(agent_names())
    assert agent_styles(["ppo", "lints"]) == {"ppo": every["ppo"], "lints": every["lints"]}
    assert len({colour for colour, _ in every.values()}) == len(every)
    assert every["random"][1] == every["oracle"][1] == "--" and every["ppo"][1] == "-."
    table = [tuple(c) for c in colormaps["tab20"].colors]
    looks = [(table.index(tuple(every[name][0][:3])) // 2, every[name][1])
             for name in default_agents()]
    assert len(set(looks)) == len(looks)
    mine = agent_styles(["lints", "mine:Agent", "lints@agent.scale=0.1"])
    assert mine["mine:Agent"][1] == mine["lints@agent.scale=0.1"][1] == ":"
    assert mine["mine:Agent"][0] != mine["lints@agent.scale=0.1"][0]


def test_report_files_and_skipped_runs(runs_dir, tmp_path_factory):
    (runs_dir / "empty").mkdir()
    corrupt = runs_dir / "Env-v0__gamma__0__1"
    corrupt.mkdir()
    (corrupt / "config.json").write_text(json.dumps({"env_id": "Env-v0", "agent": "gamma",
                                                     "seed": 0}))
    (corrupt / "events.out.tfevents.0.x").write_bytes(b"\x00garbage" * 10)
    write_run(runs_dir, "delta", 0, [0.1, 0.1, 0.1], tags=("eval/reward",))
    out = tmp_path_factory.mktemp("report")
    skipped = write_report(runs_dir, out)
    assert len(skipped) == 3 and any("missing tags" in m for m in skipped)
    report = (out / "report.md").read_text()
    assert "alpha" in report and "0.94" in report  # the pairwise table
    for name in ("learning_curves.png", "regret.png"):
        assert (out / name).stat().st_size > 10_000
    assert set(np.loadtxt(out / "summary.csv", delimiter=",", skiprows=1,
                          usecols=0, dtype=str)) == {"Env-v0"}


@pytest.mark.slow
def test_compare_script(runs_dir, tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "compare.py"), str(runs_dir),
                          "--out", str(tmp_path / "r")], capture_output=True, text=True,
                         check=True).stdout
    assert "alpha" in out and "eval reward [95% t-interval; 2 seeds: range]" in out


@pytest.mark.slow  # the script in fresh interpreters
def test_compare_script_says_what_is_wrong_with_a_directory(tmp_path):
    """An empty directory is refused with its name (exit 2); a directory of unreadable runs
    gives the reasons and exit 1, not a traceback."""
    script = [sys.executable, str(ROOT / "scripts" / "compare.py")]
    empty = subprocess.run([*script, str(tmp_path)], capture_output=True, text=True)
    assert empty.returncode == 2 and "holds no run directories" in empty.stderr
    (tmp_path / "broken_run").mkdir()
    broken = subprocess.run([*script, str(tmp_path)], capture_output=True, text=True)
    assert broken.returncode == 1, broken.stderr
    assert "no config.json" in broken.stderr and "Traceback" not in broken.stderr
    assert "no readable runs" in broken.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.slow
def test_tensorboard_serves_every_run_and_tag(runs_dir):
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir",
                               str(runs_dir), "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        runs: list = []
        while time.time() < deadline and len(runs) < 6:
            try:
                runs = get_json(f"{base}/data/runs")
            except OSError:
                pass
            time.sleep(0.5)
        assert len(runs) == 6
        tags = get_json(f"{base}/data/plugin/scalars/tags")
        for run in runs:
            assert set(tags[run]) == set(TAGS)
        run = next(r for r in runs if "alpha__2" in r)
        query = urllib.parse.urlencode({"run": run, "tag": "eval/reward"})
        points = get_json(f"{base}/data/plugin/scalars/scalars?{query}")
        assert [p[1] for p in points] == [0, 100, 200]
        assert [p[2] for p in points] == pytest.approx([0.1, 0.35, 0.5])
    finally:
        server.terminate()
        server.wait(timeout=20)


# --------------------------------------------------------------- what is pooled as seeds
def synthetic(agent: str, seed: int, final: float, steps=(0, 100, 200), name: str = "",
              **setup) -> RunData:
    values = np.linspace(0.1, final, len(steps))
    curves = {tag: (np.array(steps), values if tag == "eval/reward" else np.full(len(steps), .5))
              for tag in TAGS}
    return RunData(Path(name or f"Env-v0__{agent}__{seed}__1"), "Env-v0", agent, seed, curves,
                   setup={"eval_every": 100, **setup})


def test_runs_with_other_model_parameters_are_not_pooled():
    runs = [synthetic("ucb", 0, 0.3, **{"env.n_slots": 6}),
            synthetic("ucb", 1, 0.4, **{"env.n_slots": 6}),
            synthetic("ucb", 0, 0.9, **{"env.n_slots": 3})]
    table = summarise(runs)
    assert sorted(table["agent"]) == ["ucb (env.n_slots=3)", "ucb (env.n_slots=6)"]
    assert sorted(table["seeds"]) == [1, 2]
    assert any("not pooled" in note for note in table.attrs["notes"])


def test_a_seed_given_twice_counts_once_and_is_said():
    runs = [synthetic("ucb", 0, 0.3, name="Env-v0__ucb__0__1"),
            synthetic("ucb", 0, 0.3, name="Env-v0__ucb__0__2"),
            synthetic("ucb", 1, 0.5)]
    table = summarise(runs)
    assert list(table["seeds"]) == [2]
    assert table["reward"][0] == pytest.approx(0.4)
    assert any("set aside Env-v0__ucb__0__1" in note for note in table.attrs["notes"])
    assert "set aside" in results_table(table)


def test_stopped_runs_and_other_eval_cadences_get_rows_of_their_own():
    runs = [synthetic("ucb", 0, 0.3), synthetic("ucb", 1, 0.5),
            synthetic("ucb", 2, 0.2, steps=(0, 100)),  # stopped at 100 visits
            synthetic("ucb", 3, 0.4, steps=(0, 50, 100, 150, 200), eval_every=50)]
    table = summarise(runs).set_index("agent")
    assert len(table) == 3 and sorted(table["seeds"]) == [1, 1, 2]
    assert any("100 visits" in label for label in table.index)
    assert any("eval_every=50" in label for label in table.index)


def test_curves_are_aligned_by_visits_not_by_position():
    """Two seeds that logged at different visit counts are compared where both logged."""
    from artwork_env.experiments.report import _aligned
    a = synthetic("ucb", 0, 0.3, steps=(0, 100, 200))
    b = synthetic("ucb", 1, 0.3, steps=(0, 50, 100, 150, 200))
    steps, values = _aligned([a, b], "eval/reward")
    assert steps.tolist() == [0, 100, 200]
    assert values[1].tolist() == pytest.approx([0.1, 0.2, 0.3])


@pytest.mark.slow
def test_hparams_table_has_every_agents_columns(tmp_path):
    """A mixed comparison in TensorBoard's HPARAMS view: linucb's and PPO's
    hyperparameters are all columns, whichever run TensorBoard reads first."""
    from artwork_env.experiments.training import RunConfig, train_run
    runs = [train_run(RunConfig(agent=name, visits=64, eval_every=64, eval_members=8,
                                logdir=str(tmp_path), progress=False))
            for name in ("ppo", "linucb")]
    expected = {"agent." + key for run in runs for key in
                json.loads((Path(run.run_dir) / "config.json").read_text())
                ["agent_hyperparameters"]}
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir",
                               str(tmp_path), "--host", "127.0.0.1", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        names: set[str] = set()
        deadline = time.time() + 90
        while time.time() < deadline and not expected <= names:
            try:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/data/plugin/hparams/experiment",
                    data=json.dumps({"experimentName": ""}).encode(),
                    headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(request, timeout=10) as response:
                    experiment = json.loads(response.read())
                names = {info["name"] for info in experiment.get("hparamInfos", [])}
                metrics = {m["name"]["tag"] for m in experiment.get("metricInfos", [])}
            except OSError:
                pass
            time.sleep(1.0)
        assert expected <= names, expected - names
        assert {"eval/reward", "eval/pct_of_oracle"} <= metrics
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_lifetime_runs_get_their_return_against_the_oracle_with_an_interval(tmp_path):
    for seed, value in enumerate([104.0, 106.0, 108.0]):
        write_run(tmp_path, "ltv", seed, [0.1, 0.2, 0.3], tags=(*TAGS, LIFETIME_TAG))
        writer = SummaryWriter(str(next(tmp_path.glob(f"*__ltv__{seed}__1"))))
        writer.add_scalar(LIFETIME_TAG, value, 300)
        writer.add_scalar("eval/reward", 0.3, 300)
        writer.close()
    summary = summarise(load_runs(tmp_path)[0])
    assert summary.loc[0, "return_vs_oracle"] == pytest.approx(106.0)
    low, high, _ = seed_interval(np.array([104.0, 106.0, 108.0]))
    assert (summary.loc[0, "return_vs_oracle_ci_low"], summary.loc[0, "return_vs_oracle_ci_high"]
            ) == pytest.approx((low, high))
    table = results_table(summary)
    assert "return, % of oracle's" in table and f"106.0 [{low:.1f}, {high:.1f}]" in table
    assert "return, % of oracle's" not in results_table(summarise(load_runs(
        write_run(tmp_path / "bandit", "ucb", 0, [0.1, 0.2, 0.3]).parent)[0]))
