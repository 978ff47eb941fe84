"""show_path.py in both forms on tiny runs of every algo_type and of the reference README's combination."""

import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from policy_train import load_sac_config
from rlkit import show
from rlkit.behaviour import Stage1Spec, train_task_group
from rlkit.config import load_config, parse_override_args
from rlkit.experiment import MetaTrainer, prepare
from tests.conftest import ROOT, TINY_CONFIG

README_COMBINATION = [
    "--algo_type",
    "CLASSIFIER",
    "--train_z0_policy",
    "true",
    "--use_hvar",
    "true",
    "--z_strategy",
    "weighted",
]
RUNS = {
    "CSRO": ["--algo_type", "CSRO"],
    "FOCAL": ["--algo_type", "FOCAL"],
    "OFFPEARL": ["--algo_type", "OFFPEARL"],
    "CLASSIFIER": ["--algo_type", "CLASSIFIER"],
    "readme-combination": README_COMBINATION,
}
FILES = ["paths.png", "paths_offline.png", "paths_online_prior.png", "z_pca.png"]


def non_trivial_png(path) -> bool:
    import matplotlib.image

    img = matplotlib.image.imread(path)
    return path.stat().st_size > 10_000 and img.ndim == 3 and float(img[..., :3].std()) > 0.02


@pytest.mark.slow
@pytest.mark.parametrize("name", list(RUNS))
def test_show_path_both_forms(name, tiny_data, tmp_path, monkeypatch):
    import show_path

    common = ["--data_dir", str(tiny_data), "--base_log_dir", str(tmp_path / "output"), "--num_iterations", "1"]
    overrides = parse_override_args(RUNS[name] + common + ["--exp_name", name])
    cfg = load_config(TINY_CONFIG, overrides)
    MetaTrainer(prepare(cfg, 3, torch.device("cpu")), show_progress=False).run()
    run = tmp_path / "output" / "point-robot" / name / "seed3"
    runner = CliRunner()

    result = runner.invoke(show_path.main, [str(run), "--runs", "2"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    for f in FILES:
        assert f"wrote {run / f}" in result.output and non_trivial_png(run / f), f
        (run / f).unlink()

    args = [str(TINY_CONFIG), "--seed", "3", "--exp_name", name, "--runs", "2", *RUNS[name], *common]
    result = runner.invoke(show_path.main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert all(non_trivial_png(run / f) for f in FILES)


@pytest.mark.slow
def test_show_path_config_form_refuses_another_config(tiny_data, tmp_path):
    import show_path
    from rlkit.errors import UserError

    common = ["--data_dir", str(tiny_data), "--base_log_dir", str(tmp_path / "output"), "--num_iterations", "1"]
    cfg = load_config(TINY_CONFIG, parse_override_args(common + ["--exp_name", "x"]))
    MetaTrainer(prepare(cfg, 0, torch.device("cpu")), show_progress=False).run()
    runner = CliRunner()
    with pytest.raises(
        UserError, match=r"algo_params.use_brac: false -> true.*expected the arguments the run was trained with"
    ):
        runner.invoke(
            show_path.main, [str(TINY_CONFIG), "--exp_name", "x", "--use_brac", "true", *common], catch_exceptions=False
        )
    with pytest.raises(UserError, match=r"no run in .*seed4.*found \['seed0'\]"):
        runner.invoke(
            show_path.main, [str(TINY_CONFIG), "--exp_name", "x", "--seed", "4", *common], catch_exceptions=False
        )
    with pytest.raises(UserError, match="snapshot .*itr_7.pt' not found: expected one of \\['itr_0.pt'\\]"):
        runner.invoke(
            show_path.main,
            [str(tmp_path / "output" / "point-robot" / "x" / "seed0"), "--itr", "7"],
            catch_exceptions=False,
        )


@pytest.mark.slow
def test_show_path_config_form_needs_only_the_keys_it_compares(tiny_data, tmp_path):
    """A run trained with more overrides than the command repeats is found; a key the command gives is
    compared, and so are the keys of a config file other than the one the run was trained from."""
    import json

    import show_path
    from rlkit.errors import UserError

    common = ["--data_dir", str(tiny_data), "--base_log_dir", str(tmp_path / "output")]
    trained = common + ["--exp_name", "x", "--num_iterations", "1", "--batch_size", "16", "--use_brac", "true"]
    MetaTrainer(
        prepare(load_config(TINY_CONFIG, parse_override_args(trained)), 0, torch.device("cpu")), show_progress=False
    ).run()
    run = tmp_path / "output" / "point-robot" / "x" / "seed0"
    assert json.loads((run / "variant.json").read_text())["util_params"]["config_file"] == str(TINY_CONFIG)
    assert show.find_run(str(TINY_CONFIG), 0, parse_override_args(common + ["--exp_name", "x"])) == run
    assert (
        show.find_run(str(TINY_CONFIG), 0, parse_override_args(common + ["--exp_name", "x", "--batch_size", "16"]))
        == run
    )
    with pytest.raises(UserError, match=r"\(algo_params.batch_size: 16 -> 8\): expected the arguments"):
        show.find_run(str(TINY_CONFIG), 0, parse_override_args(common + ["--exp_name", "x", "--batch_size", "8"]))
    copy = tmp_path / "same.json"  # another file with the same values is compared key by key
    copy.write_text(TINY_CONFIG.read_text())
    with pytest.raises(UserError, match=r"\(algo_params.batch_size: 16 -> 32\)"):
        show.find_run(str(copy), 0, parse_override_args(common + ["--exp_name", "x"]))
    assert show.find_run(str(copy), 0, parse_override_args(common + ["--exp_name", "x", "--batch_size", "16"])) == run
    other = json.loads(TINY_CONFIG.read_text())
    other["net_size"] = 64
    copy.write_text(json.dumps(other))
    with pytest.raises(UserError, match=r"\(algo_params.batch_size: 16 -> 32; net_size: 32 -> 64\)"):
        show.find_run(str(copy), 0, parse_override_args(common + ["--exp_name", "x"]))
    result = CliRunner().invoke(
        show_path.main, [str(TINY_CONFIG), "--exp_name", "x", "--runs", "1", *common], catch_exceptions=False
    )
    assert result.exit_code == 0 and all((run / f).is_file() for f in FILES), result.output
    with pytest.raises(UserError, match=r"--out 'paths.foo': expected a figure file ending in one of \[.*'.png'"):
        CliRunner().invoke(show_path.main, [str(run), "--out", "paths.foo"], catch_exceptions=False)


@pytest.mark.slow
def test_show_path_on_a_borel_run_before_its_first_iteration_is_one_line(tiny_data, tmp_path):
    """BOREL writes latest.pt through its VAE stage, before any iteration: nothing to draw yet, said in one line."""
    from rlkit.errors import UserError
    from rlkit.show import load_run

    args = ["--algo_type", "BOREL", "--borel_vae_steps", "20", "--data_dir", str(tiny_data)]
    cfg = load_config(TINY_CONFIG, parse_override_args([*args, "--base_log_dir", str(tmp_path), "--exp_name", "vae"]))
    MetaTrainer(prepare(cfg, 0, torch.device("cpu")), show_progress=False).run(max_iterations=0)
    run = tmp_path / "point-robot" / "vae" / "seed0"
    with pytest.raises(UserError, match=r"latest.pt' holds no finished iteration \(a BOREL run in its VAE stage\)"):
        load_run(run, None, torch.device("cpu"))
    from rlkit.reproduce.plan import RunSpec, check_existing  # and `rlkit.reproduce` resumes it (it said "new")

    overrides = parse_override_args([*args, "--base_log_dir", str(tmp_path), "--exp_name", "vae"])
    assert check_existing(RunSpec("BOREL", 0, str(TINY_CONFIG), {}, overrides, run, 1, None)) == "resume"


def test_show_path_refuses_a_folder_as_out_before_drawing(tmp_path):
    """--out names the Np figure's file: an existing folder is refused up front, not after every protocol ran."""
    import show_path
    from rlkit.errors import UserError

    (tmp_path / "figs").mkdir()
    with pytest.raises(
        UserError, match=r"--out '.*figs' is a folder: expected the path of the Np figure, such as '.*paths.png'"
    ):
        CliRunner().invoke(show_path.main, [str(tmp_path), "--out", str(tmp_path / "figs")], catch_exceptions=False)


def test_readme_show_path_examples_name_the_config_their_run_was_trained_with():
    """Each show_path.py example of the README in the config form has a launch_experiment.py command in the
    README with the same config file and --exp_name, so it finds the run and draws it as written."""
    import re

    readme = (ROOT / "README.md").read_text().replace("\\\n", " ")
    trained = set(re.findall(r"launch_experiment\.py (\S+\.json) .*?--exp_name (\S+)", readme))
    shown = re.findall(r"show_path\.py (\S+\.json) .*?--exp_name (\S+)", readme)
    assert shown and all(example in trained for example in shown), (shown, trained)


def test_z_picture_adds_tsne_when_scikit_learn_is_there(tmp_path, monkeypatch):
    """scikit-learn is optional: with it (here a stand-in TSNE), show_path also writes z_tsne.png."""
    import sys
    import types

    import matplotlib
    import numpy as np

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    calls = []

    class TSNE:
        def __init__(self, n_components, perplexity, random_state):
            calls.append((n_components, perplexity, random_state))

        def fit_transform(self, x):
            return np.asarray(x)[:, :2] * 2.0

    fake = types.ModuleType("sklearn.manifold")
    fake.TSNE = TSNE
    monkeypatch.setitem(sys.modules, "sklearn", types.ModuleType("sklearn"))
    monkeypatch.setitem(sys.modules, "sklearn.manifold", fake)
    setup = types.SimpleNamespace(
        test_tasks=[3, 7], cfg=types.SimpleNamespace(env_name="point-robot", algo_type="CSRO")
    )
    rng = np.random.default_rng(0)
    zs = {k: rng.normal(size=(2, 3, 4)) for k in ("offline", "np", "online")}
    written = show.draw_z(setup, zs, tmp_path, plt)
    assert [p.name for p in written] == ["z_pca.png", "z_tsne.png"] and calls == [(2, 17, 0)]
    assert all(p.stat().st_size > 10_000 for p in written)


@pytest.mark.slow
def test_show_path_repeats_the_meta_test_through_its_command_line(tiny_data, tmp_path, monkeypatch):
    """Without --runs the command runs each protocol with the run's num_evals jobs, in the Evaluator's order (the
    draws are shared by the jobs, so another count gives other episodes): on the point robot, whose resets draw
    nothing, each protocol's mean return is the one progress.csv holds for the snapshot's iteration. The dataset
    moved and named by --data_dir (config form) is read where it is now."""
    import shutil

    import pandas as pd

    import show_path
    from rlkit.logging.columns import PROTOCOL_BY_KEY

    common = ["--base_log_dir", str(tmp_path / "output"), "--num_iterations", "1", "--num_evals", "2"]
    cfg = load_config(TINY_CONFIG, parse_override_args(["--data_dir", str(tiny_data), *common, "--exp_name", "m"]))
    MetaTrainer(prepare(cfg, 3, torch.device("cpu")), show_progress=False).run()
    run = tmp_path / "output" / "point-robot" / "m" / "seed3"
    moved = tmp_path / "moved"
    shutil.move(str(tiny_data), moved)
    calls, real = [], show_path.record_protocol

    def recorded(setup, agent, protocol, runs, device, iteration):
        out = real(setup, agent, protocol, runs, device, iteration)
        calls.append((protocol, runs, float(out[2].mean())))
        return out

    monkeypatch.setattr(show_path, "record_protocol", recorded)
    try:
        args = [str(TINY_CONFIG), "--seed", "3", "--exp_name", "m", "--data_dir", str(moved), *common]
        result = CliRunner().invoke(show_path.main, args, catch_exceptions=False)
    finally:
        shutil.move(str(moved), tiny_data)  # the module's other tests read it there
    assert result.exit_code == 0, result.output
    assert [(p, r) for p, r, _ in calls] == [("offline", 2), ("online", 2), ("np", 2)]
    import rlkit.experiment  # another dataset under --data_dir (another fingerprint): refused, not drawn

    with monkeypatch.context() as m:
        m.setattr(rlkit.experiment, "run_data_print", lambda *a: {"digest": "another"})
        other = [str(TINY_CONFIG), "--seed", "3", "--exp_name", "m", "--data_dir", str(tiny_data), *common]
        result = CliRunner().invoke(show_path.main, other)
    assert result.exit_code != 0 and str(result.exception).startswith(f"--data_dir {str(tiny_data)!r} holds other data")
    assert str(result.exception).endswith("expected that dataset, moved")  # (where --data_dir named it)
    row = pd.read_csv(run / "progress.csv").iloc[-1]
    for protocol, _, mean in calls:
        assert mean == pytest.approx(row[PROTOCOL_BY_KEY[protocol].column], rel=1e-6), protocol

    # another snapshot's figures go beside the latest's, named by its iteration, not over them
    latest = (run / "paths.png").read_bytes()
    result = CliRunner().invoke(show_path.main, [str(run), "--itr", "0"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert all(f"wrote {run / f.replace('.png', '_itr0.png')}" in result.output for f in FILES)
    assert (run / "paths.png").read_bytes() == latest
    # a snapshot that is not one (a file saved by something else under its name): one line, not a KeyError
    torch.save({"trainer": {}}, run / "latest.pt")
    result = CliRunner().invoke(show_path.main, [str(run)])
    assert result.exit_code != 0 and "latest.pt' is not the state of a run (no trainer state and counters" in str(
        result.exception
    )


@pytest.mark.parametrize(
    "variant, args, said",
    [
        ('{"seed": 0}', ["--itr", "99"], r"snapshot '.*itr_99.pt' not found: expected one of \['itr_0.pt'\]$"),
        ("{}", [], r"variant.json' is an empty JSON object: expected the config a run of launch_experiment.py writes$"),
        # a damaged or hand-edited variant.json names itself (its complaint read as one about the command's arguments,
        # and a bad seed came after the device line)
        ('{"seed": 0, "foo": 1}', [], r"variant.json': unknown config key 'foo': expected one of "),
        (
            '{"seed": "x", "env_name": "point-robot"}',
            [],
            r"variant.json' records seed 'x': expected an integer in \[0, ",
        ),
    ],
)
def test_show_path_refuses_a_missing_snapshot_or_empty_config_before_its_first_line(
    tmp_path, monkeypatch, capsys, variant, args, said
):
    """`--itr 99`, or a run whose variant.json is `{}` (read as every default, it was "latest.pt not found"), is
    the command's one line, exit 2, before its device line ("show_path RUN: device cpu" came first); nothing is
    loaded (prepare is patched to fail the test if reached)."""
    import re

    import show_path
    from rlkit.cli import run_cli as run_command

    run = tmp_path / "seed0"
    (run / "snapshots").mkdir(parents=True)
    (run / "variant.json").write_text(variant)
    (run / "latest.pt").write_bytes(b"")
    (run / "snapshots" / "itr_0.pt").write_bytes(b"")
    monkeypatch.setattr(show, "prepare", lambda *a, **k: pytest.fail("the run was loaded"))
    with pytest.raises(SystemExit) as e:
        run_command(show_path.main, [str(run), *args])
    out, err = capsys.readouterr()
    assert (e.value.code, out, err.count("\n")) == (2, "", 1) and re.search(said, err.strip()), (out, err)


def test_show_path_refuses_a_seed_with_a_run_folder(tmp_path):
    """A run folder has its own seed: --seed beside it would be ignored, so it is refused."""
    import show_path

    run = tmp_path / "run"
    run.mkdir()
    result = CliRunner().invoke(show_path.main, [str(run), "--seed", "5"])
    assert result.exit_code != 0 and "['--seed 5']: expected either RUN_DIR alone (its seed is the folder's)" in str(
        result.exception
    )


def test_show_path_on_an_experiment_folder_names_its_runs(tmp_path):
    """`show_path.py output/ENV/EXP` (a seed short): the one line names the run folders inside it."""
    from rlkit.errors import UserError

    for seed in (0, 1):
        (tmp_path / "smoke" / f"seed{seed}").mkdir(parents=True)
        (tmp_path / "smoke" / f"seed{seed}" / "variant.json").write_text("{}")
    with pytest.raises(
        UserError,
        match=r"'.*smoke' has no variant.json: expected a run folder .* \(it holds the runs "
        r"seed0, seed1: name one, e.g. '.*smoke/seed0'\)$",
    ):
        show.load_run(tmp_path / "smoke", None, torch.device("cpu"))


def test_a_point_robot_panel_shows_every_goal_and_the_whole_path():
    """The panel's limits were fixed at point-robot's [-1.3, 1.3] x [-0.4, 1.3]: a family of farther goals, or a
    path below y = -0.4, was drawn off the axes without a word."""
    from rlkit.envs.point_robot import PointEnv, SparsePointEnv

    family = PointEnv(n_tasks=5)
    inside = np.array([[0.0, 0.0], [0.5, 0.5]])
    np.testing.assert_allclose(show._point_limits(family, [inside]), [(-1.3, 1.3), (-0.3, 1.3)], atol=1e-12)
    below = np.array([[0.0, 0.0], [0.2, -1.0]])
    np.testing.assert_allclose(show._point_limits(family, [inside, below])[1], (-1.3, 1.3), atol=1e-12)
    far = PointEnv(n_tasks=5)
    far.tasks = [{"goal": [2 * x for x in t["goal"]]} for t in far.tasks]  # a family of goals at radius 2
    np.testing.assert_allclose(show._point_limits(far, [inside]), [(-2.3, 2.3), (-0.3, 2.3)], atol=1e-12)
    sparse = SparsePointEnv(n_tasks=5, goal_radius=0.5)  # its goals' circles in view too
    np.testing.assert_allclose(show._point_limits(sparse, [inside]), [(-1.55, 1.55), (-0.55, 1.55)], atol=1e-12)


# ---------------------------------------------------------------------------------------- show.py / show_path.py
def test_show_path_draws_each_protocols_first_runs_into_its_own_figure(tmp_path, monkeypatch):
    """show_path.py writes each protocol's episodes into that protocol's figure (Np's into paths.png), drawing the
    first run of each held-out task (jobs are task-major: task i's runs are jobs i*runs ... i*runs+runs-1), and
    hands draw_z each protocol's z as [task, run, L] in that same job order."""
    from click.testing import CliRunner

    import show_path
    from rlkit.logging import PROTOCOL_BY_KEY

    tasks, runs = [3, 7, 9], 2
    setup = SimpleNamespace(test_tasks=tasks, seed=0, cfg=SimpleNamespace(algo_params=SimpleNamespace(num_evals=runs)))
    monkeypatch.setattr(
        show_path, "load_run", lambda run, itr, device, data_dir: (setup, SimpleNamespace(agent=None), 4)
    )
    cfg = load_config(TINY_CONFIG)
    monkeypatch.setattr(show_path, "find_snapshot", lambda run, itr: (0, cfg, run))  # no files to check
    monkeypatch.setattr(show_path, "seed_meta_test_z", lambda agent, seed, iteration: None)
    jobs = [(t, r) for t in tasks for r in range(runs)]
    zs_of = {}

    def record(setup_, agent, protocol, runs_, device, iteration):
        assert runs_ == runs
        envs = [f"{protocol}:{t}:{r}" for t, r in jobs]
        z = np.array([[list(PROTOCOL_BY_KEY).index(protocol), t, r] for t, r in jobs], dtype=float)
        zs_of[protocol] = z
        return envs, [[("scored", e)] for e in envs], np.arange(len(jobs), dtype=float), z

    drawn = {}

    def draw(setup_, protocol, envs, episodes, last_return, path, plt):
        drawn[protocol] = (list(envs), [e[0][1] for e in episodes], np.asarray(last_return).tolist(), Path(path).name)
        return path

    given = {}
    monkeypatch.setattr(show_path, "record_protocol", record)
    monkeypatch.setattr(show_path, "draw_paths", draw)
    monkeypatch.setattr(
        show_path, "offline_z", lambda setup_, agent, per_task, device: np.zeros((len(tasks), per_task, 3))
    )
    monkeypatch.setattr(show_path, "draw_z", lambda setup_, zs, out_dir, plt, tag="": given.update(zs) or [])
    run = tmp_path / "run"
    run.mkdir()
    result = CliRunner().invoke(show_path.main, [str(run), "--gpu", "-1"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert set(drawn) == set(PROTOCOL_BY_KEY)
    for protocol, (envs, episodes, last_return, name) in drawn.items():
        assert name == PROTOCOL_BY_KEY[protocol].paths_file
        assert envs == episodes == [f"{protocol}:{t}:0" for t in tasks]
        assert last_return == [float(i * runs) for i in range(len(tasks))]
    assert drawn["np"][3] == "paths.png"
    for protocol in PROTOCOL_BY_KEY:
        if protocol == "offline":
            continue
        z = given[protocol]
        assert z.shape == (len(tasks), runs, 3)
        for i in range(len(tasks)):
            for r in range(runs):
                assert z[i, r].tolist() == zs_of[protocol][i * runs + r].tolist()


def _point_panel(episodes):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rlkit.envs.point_robot import PointEnv
    from rlkit.show import draw_task

    env = PointEnv(n_tasks=3)
    env.reset_task(1)
    fig, ax = plt.subplots()
    draw_task(ax, env, episodes, -1.25, 1, plt)
    blue = [line for line in ax.lines if line.get_color() == "tab:blue"]
    plt.close(fig)
    return blue


def test_a_panel_draws_the_last_scored_episode_as_x_y():
    """A point-robot panel draws the last scored episode (the one whose return the legend gives) in blue, its x
    along the horizontal axis and its y along the vertical one."""
    first = np.array([[0.0, 0.0], [0.1, 0.05], [0.2, 0.1]])
    last = np.array([[0.0, 0.0], [-0.3, 0.6], [-0.5, 0.9]])
    context = np.array([[0.0, 0.0], [0.4, 0.2], [0.6, 0.3]])
    (blue,) = _point_panel([("context", context), ("scored", first), ("scored", last)])
    np.testing.assert_array_equal(blue.get_xdata(), last[:, 0])
    np.testing.assert_array_equal(blue.get_ydata(), last[:, 1])
    assert blue.get_label() == "return -1.25"


def _draw_z_recording(monkeypatch, record):
    """`rlkit.show.draw_z` and pyplot on the Agg backend, PCA only (no sklearn), every `Axes.scatter` call handing its
    x, y and colours to `record` before it draws."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes

    from rlkit.show import draw_z

    monkeypatch.setitem(sys.modules, "sklearn.manifold", None)
    real = Axes.scatter

    def scatter(self, x, y, c=None, **kw):
        record(x, y, c)
        return real(self, x, y, c=c, **kw)

    monkeypatch.setattr(Axes, "scatter", scatter)
    return draw_z, plt


def test_the_z_picture_colours_each_point_by_its_task(tmp_path, monkeypatch):
    """draw_z colours each z by its held-out task: the zs of a source are [task, run, L], so the colours of a panel's
    points run task by task (task 0's runs, then task 1's ...)."""
    colours = []
    draw_z, plt = _draw_z_recording(monkeypatch, lambda x, y, c: colours.append(np.asarray(c)))
    setup = SimpleNamespace(test_tasks=[3, 7, 9], cfg=SimpleNamespace(env_name="point-robot", algo_type="CSRO"))
    rng = np.random.default_rng(0)
    zs = {"offline": rng.normal(size=(3, 2, 4)), "np": rng.normal(size=(3, 2, 4))}
    written = draw_z(setup, zs, tmp_path, plt)
    assert [p.name for p in written] == ["z_pca.png"] and len(colours) == 2
    for c in colours:
        np.testing.assert_allclose(c, np.array([0, 0, 1, 1, 2, 2]) / 2)


def test_load_run_gives_the_iteration_whose_meta_test_the_snapshot_holds(tmp_path):
    """load_run returns the iteration a snapshot was saved after, counted as the Evaluator counts it (the first
    iteration is 0): show_path.py repeats that iteration's meta-test streams (EvalStreams.of(seed, iteration)), so one
    off draws another meta-test than the one progress.csv reports for the snapshot."""
    from rlkit.config import load_config
    from rlkit.experiment import MetaTrainer, prepare
    from rlkit.show import load_run
    from tests.conftest import TINY_CONFIG

    data = tmp_path / "data"
    behaviour = load_sac_config("tiny_point", ["save_networks=false"])
    train_task_group(
        Stage1Spec(
            "point-robot",
            {"n_tasks": 6, "max_episode_steps": 20},
            behaviour.schedule,
            behaviour.sac,
            data,
            torch.device("cpu"),
        ),
        list(range(6)),
        "off",
    )
    overrides = {
        "algo_params": {"data_dir": str(data), "num_iterations": 2},
        "util_params": {"exp_name": "it", "base_log_dir": str(tmp_path / "output")},
    }
    MetaTrainer(prepare(load_config(TINY_CONFIG, overrides), 0, torch.device("cpu")), show_progress=False).run()
    run = tmp_path / "output" / "point-robot" / "it" / "seed0"
    assert load_run(run, None, torch.device("cpu"))[2] == 1  # latest.pt: after iterations 0 and 1
    assert load_run(run, 0, torch.device("cpu"))[2] == 0  # snapshots/itr_0.pt: after iteration 0


def test_show_paths_figure_has_a_panel_for_every_held_out_task(tmp_path, monkeypatch):
    """paths.png lays the held-out tasks out 5 to a row; 7 tasks need 2 rows (5 + 2), and each of the 7 tasks gets its
    panel: with 1 row the last 2 tasks were left out of the figure without a word."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import rlkit.show as show

    tasks = [0, 5, 10, 15, 20, 25, 30]
    drawn = []
    monkeypatch.setattr(show, "draw_task", lambda ax, env, episodes, ret, task, plt: drawn.append(task))
    setup = SimpleNamespace(test_tasks=tasks, cfg=SimpleNamespace(env_name="point-robot", algo_type="csro"))
    n = len(tasks)
    show.draw_paths(setup, "np", [None] * n, [[]] * n, [0.0] * n, tmp_path / "paths.png", plt)
    assert drawn == tasks and (tmp_path / "paths.png").is_file()


def test_record_protocol_repeats_the_meta_test_of_its_iteration_on_the_held_out_tasks(monkeypatch):
    """record_protocol draws the streams of the meta-test of the iteration the snapshot holds
    (EvalStreams.of(seed, iteration)), not iteration 0's (EvalStreams.of(seed, 0)) whatever iteration the snapshot
    holds: with iteration 0's, show_path.py drew episodes of another meta-test than the one progress.csv reports for the
    snapshot. Its jobs are the held-out tasks', task-major, each env set to its task and dividing its observations by
    the run's observation scale (a dataset's normalizer, as the meta-test's envs do: without it, show_path's episodes
    on such data would not be the meta-test's)."""
    import rlkit.show as show
    from rlkit.eval import EvalStreams

    cfg = load_config(TINY_CONFIG)
    scale = np.array([2.0, 4.0])
    setup = SimpleNamespace(cfg=cfg, test_tasks=[2, 3], train_tasks=[0, 1, 4, 5], seed=3, obs_scale=scale,
                            data_dir=None, eval_buffer=None)  # fmt: skip
    got = {}

    def fake_run_protocol(protocol, agent, envs, tasks, setting, streams, *args, **kwargs):
        got.update(protocol=protocol, tasks=tasks, envs=envs, streams=streams)
        return SimpleNamespace(z=None)

    monkeypatch.setattr(show, "run_protocol", fake_run_protocol)
    show.record_protocol(setup, SimpleNamespace(recurrent=False), "np", 2, torch.device("cpu"), 4)
    assert got["protocol"] == "np" and got["tasks"] == [2, 2, 3, 3]
    assert [env.unwrapped.task_idx for env in got["envs"]] == [2, 2, 3, 3]
    for env in got["envs"]:
        env.reset()
        obs = env.step(np.array([0.5, 1.0]))[0]
        assert np.abs(env.unwrapped.position()).min() > 0.01
        np.testing.assert_allclose(obs * scale, env.unwrapped.position())  # (the point robot observes its position)
    want, other = EvalStreams.of(3, 4, torch.device("cpu")), EvalStreams.of(3, 0, torch.device("cpu"))
    streams = got["streams"]
    assert torch.equal(streams.offline_context.get_state(), want.offline_context.get_state())
    assert torch.equal(streams.np_policy.get_state(), want.np_policy.get_state())
    assert streams.np_random.random() == want.np_random.random()
    assert not torch.equal(want.np_policy.get_state(), other.np_policy.get_state())


class _Paths:
    """What record_protocol's `on_paths` reads of a batch of episodes: per job its length and scored return."""

    def __init__(self, lengths):
        self.lengths = list(lengths)

    def returns(self, reward_fn):
        return np.zeros(len(self.lengths))


def _walk(env, steps: int) -> None:
    env.reset()
    for _ in range(steps):
        env.step(np.full(env.action_space.shape, 0.5))


def _np_drawn(monkeypatch, batches) -> list[tuple[str, np.ndarray]]:
    """What record_protocol keeps to draw of Np on the tiny config's held-out task 4, its protocol faked: each
    (kind, steps, length) of `batches` walks the env `steps` steps, then reports an episode of `length` steps."""
    import rlkit.show as show

    setup = SimpleNamespace(cfg=load_config(TINY_CONFIG), test_tasks=[4], train_tasks=[0, 1, 2, 3], seed=0,
                            obs_scale=None, data_dir=None, eval_buffer=None)  # fmt: skip

    def fake_run_protocol(protocol, agent, envs, tasks, setting, streams, reward_fn, device, buffer, belief, on_paths):
        for kind, steps, length in batches:
            _walk(envs[0], steps)
            on_paths(kind, _Paths([length]))
        return SimpleNamespace(z=None)

    monkeypatch.setattr(show, "run_protocol", fake_run_protocol)
    _, episodes, _, _ = show.record_protocol(setup, SimpleNamespace(recurrent=False), "np", 1, torch.device("cpu"), 0)
    return episodes[0]


def test_nps_drawing_splits_each_context_episode_at_its_random_steps(monkeypatch):
    """paths.png draws an Np context episode's first np_random_steps steps gray (random) and the rest orange (the
    policy's); those steps are ceil(N / 2 - the job's scored steps so far). Not counting the scored steps drew a whole
    10-step context episode as random after 15 scored steps of N = 40 (5 random); blanking the random part from point k
    dropped its last step. Points 0 .. k are the random part's."""
    assert load_config(TINY_CONFIG).algo_params.num_steps_per_eval == 40
    # 15 scored steps so far, then a context episode of 10: ceil(40 / 2 - 15) = 5 random steps
    (kinds, parts) = zip(*_np_drawn(monkeypatch, [("scored", 3, 15), ("context", 10, 10)]))
    assert kinds == ("scored", "context-random", "context")
    random_part, policy_part = parts[1], parts[2]
    assert np.isfinite(random_part[:, 0]).tolist() == [True] * 6 + [False] * 5
    assert np.isfinite(policy_part[:, 0]).tolist() == [False] * 5 + [True] * 6
    # after 11 scored steps, 9 of 10 are random: the policy's part is its last step, points 9 and 10
    (kinds, parts) = zip(*_np_drawn(monkeypatch, [("scored", 3, 11), ("context", 10, 10)]))
    assert kinds == ("scored", "context-random", "context")
    assert np.isfinite(parts[2][:, 0]).tolist() == [False] * 9 + [True] * 2


def test_an_np_context_episode_random_throughout_is_drawn_gray_only(monkeypatch):
    """Before any scored step, N = 40 gives 20 random steps: a 10-step context episode is random throughout, drawn
    gray whole, with no orange part (a lone last point drawn as the policy's was the slip this catches)."""
    drawn = _np_drawn(monkeypatch, [("context", 10, 10)])
    assert [kind for kind, _ in drawn] == ["context-random"]
    assert np.isfinite(drawn[0][1][:, 0]).all() and len(drawn[0][1]) == 11


def test_an_np_context_episode_past_half_the_steps_is_drawn_as_the_policys_only(monkeypatch):
    """After 25 scored steps of N = 40, ceil(40 / 2 - 25) = -5 steps are random: none, so the context episode is drawn
    orange whole, its first point too (not a gray first step)."""
    drawn = _np_drawn(monkeypatch, [("scored", 3, 25), ("context", 10, 10)])
    assert [kind for kind, _ in drawn] == ["scored", "context"]
    assert np.isfinite(drawn[1][1][:, 0]).all() and len(drawn[1][1]) == 11


def test_record_protocol_scores_a_sparse_run_on_its_sparse_reward(monkeypatch):
    """record_protocol hands the protocol the sparse reward map on a run of `sparse_rewards`, not no reward map (the
    dense reward): with none, show_path.py's legends gave the dense returns of a run its progress.csv scores sparse."""
    import rlkit.show as show
    from rlkit.tasks import make_env

    cfg = load_config(
        TINY_CONFIG,
        {"env_name": "sparse-point-robot", "env_params": {"goal_radius": 0.2}, "algo_params": {"sparse_rewards": 1}},
    )
    setup = SimpleNamespace(cfg=cfg, test_tasks=[4, 5], train_tasks=[0, 1, 2, 3], seed=0, obs_scale=None,
                            data_dir=None, eval_buffer=None)  # fmt: skip
    got = {}

    def fake_run_protocol(protocol, agent, envs, tasks, setting, streams, reward_fn, *args, **kwargs):
        got["reward_fn"] = reward_fn
        return SimpleNamespace(z=None)

    monkeypatch.setattr(show, "run_protocol", fake_run_protocol)
    show.record_protocol(setup, SimpleNamespace(recurrent=False), "online", 1, torch.device("cpu"), 0)
    want = make_env("sparse-point-robot", n_tasks=6, goal_radius=0.2).sparse_reward_fn()
    assert got["reward_fn"] is not None
    rewards = np.array([-1.0, -0.5, -0.1, -0.05])
    np.testing.assert_array_equal(got["reward_fn"](rewards), want(rewards))


def test_offline_z_draws_the_held_out_tasks_contexts_from_the_runs_stream():
    """show_path.py's z picture infers z from contexts of each held-out task's offline data drawn by stream show_path_z
    of the run's seed, with s' where the run's encoder reads it. Seeding it with 0 whatever the run's seed drew the same
    contexts for every seed; drawing them from the training tasks pictured the latents of other tasks under the held-out
    tasks' colours; contexts without s' are not what an encoder of `use_next_obs_in_context` reads."""
    from rlkit.seeding import torch_generator
    from rlkit.show import offline_z

    calls = []

    def sample_context(tasks, n, gen, use_next_obs):
        calls.append((tasks.tolist(), n, gen.get_state().clone(), use_next_obs))
        torch.rand(1, generator=gen)
        return torch.zeros(len(tasks), n, 5)

    cfg = load_config(TINY_CONFIG, {"algo_params": {"use_next_obs_in_context": True, "club_use_sa": True}})
    setup = SimpleNamespace(cfg=cfg, test_tasks=[4, 5], train_tasks=[0, 1, 2, 3], seed=3,
                            eval_buffer=SimpleNamespace(sample_context=sample_context))  # fmt: skip
    agent = SimpleNamespace(recurrent=False, infer_z=lambda context: torch.ones(context.shape[0], 3))
    z = offline_z(setup, agent, 2, torch.device("cpu"))
    assert z.shape == (2, 2, 3)
    assert [c[0] for c in calls] == [[4, 5], [4, 5]] and calls[0][1] == cfg.algo_params.max_path_length
    assert torch.equal(calls[0][2], torch_generator(3, "show_path_z").get_state())
    assert [c[3] for c in calls] == [True, True]  # (the contexts the run's encoder was trained on: with s')


class _Prepared(Exception):
    pass


def test_load_run_prepares_the_run_with_its_own_seed(tmp_path, monkeypatch):
    """load_run prepares the run with the seed variant.json records, not seed 0 whatever it records: with seed 0,
    show_path.py on seed 3's run repeated its meta-test with seed 0's streams (env resets, Np's draws, the offline
    contexts), not the ones progress.csv reports."""
    import json

    import rlkit.show as show

    run = tmp_path / "seed3"
    run.mkdir()
    (run / "variant.json").write_text(json.dumps(dict(load_config(TINY_CONFIG).to_dict(), seed=3)))
    (run / "latest.pt").write_bytes(b"")
    seeds = []

    def prepare(cfg, seed, device, data_dir=None):
        seeds.append(seed)
        raise _Prepared

    monkeypatch.setattr(show, "prepare", prepare)
    with pytest.raises(_Prepared):
        show.load_run(run, None, torch.device("cpu"))
    assert seeds == [3]


def test_each_paths_panel_gives_its_own_tasks_last_return(tmp_path, monkeypatch):
    """draw_paths hands each panel its own task's last return, not the first task's: with the first task's, each
    held-out task's legend in paths.png showed task 0's return, so a task solved and one failed read alike."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import rlkit.show as show

    tasks, returns = [3, 7, 9], [-1.5, -7.25, -20.0]
    drawn = []
    monkeypatch.setattr(show, "draw_task", lambda ax, env, episodes, ret, task, plt: drawn.append((task, ret)))
    setup = SimpleNamespace(test_tasks=tasks, cfg=SimpleNamespace(env_name="point-robot", algo_type="CSRO"))
    show.draw_paths(setup, "np", [None] * 3, [[]] * 3, np.array(returns), tmp_path / "paths.png", plt)
    assert drawn == list(zip(tasks, returns))


def test_the_z_picture_projects_each_source_onto_the_two_main_axes(tmp_path, monkeypatch):
    """z_pca.png projects every source's z onto the first two principal axes of all of them together, a panel per
    source. Projecting onto the second and third axes drew the picture along the directions of least spread; slicing
    every panel from the first source's points drew the offline data's z in every panel under the other protocols'
    titles. Here z varies along its first entry most (+-4 and +-2), along its second less (+-1, +-0.5), not at all along
    the others: the panels' x and y are those two entries."""
    drawn = []
    draw_z, plt = _draw_z_recording(monkeypatch, lambda x, y, c: drawn.append((np.asarray(x), np.asarray(y))))

    centre = np.array([30.0, -20.0, 10.0, 5.0])  # (the axes are those of the spread about the mean, not of z itself)

    def source(a, b):  # [task, run, L]: task 0 at +a, task 1 at -a; runs at +-b; all about `centre`
        return centre + np.array([[[s * a, r * b, 0.0, 0.0] for r in (1, -1)] for s in (1, -1)])

    zs = {"offline": source(4.0, 1.0), "np": source(2.0, 0.5)}
    setup = SimpleNamespace(test_tasks=[3, 7], cfg=SimpleNamespace(env_name="point-robot", algo_type="CSRO"))
    draw_z(setup, zs, tmp_path, plt)
    assert len(drawn) == 2
    for (x, y), z in zip(drawn, zs.values()):
        np.testing.assert_allclose(np.abs(x), np.abs(z[..., 0] - centre[0]).ravel(), atol=1e-9)
        np.testing.assert_allclose(np.abs(y), np.abs(z[..., 1] - centre[1]).ravel(), atol=1e-9)


def test_borels_offline_z_is_the_belief_after_the_whole_episode(monkeypatch):
    """BOREL's z from offline data is its belief mean after one whole offline episode of the task, the GRU's output at
    the episode's length (its mask's sum); taking the output before any step (index 0) pictured the prior belief, the
    same for every task."""
    import rlkit.show as show

    lengths = torch.tensor([3, 5])
    batch = SimpleNamespace(actions=torch.zeros(2, 5, 1), rewards=torch.zeros(2, 5, 1), next_obs=torch.zeros(2, 5, 2),
                            mask=torch.arange(5)[None, :] < lengths[:, None])  # fmt: skip
    episodes = SimpleNamespace(sample_ids=lambda tasks, n, gen: torch.zeros(len(tasks), n, dtype=torch.long),
                               batch=lambda ids: batch)  # fmt: skip
    monkeypatch.setattr(show, "Belief", SimpleNamespace(of=lambda cfg, buffer: SimpleNamespace(episodes=episodes)))
    mu = torch.arange(2 * 6 * 3, dtype=torch.float32).reshape(2, 6, 3)  # [episode, step 0 .. 5, L]
    agent = SimpleNamespace(recurrent=True, gru=lambda a, r, o: (mu, None))
    setup = SimpleNamespace(cfg=load_config(TINY_CONFIG), test_tasks=[4, 5], seed=0, eval_buffer=None)
    z = show.offline_z(setup, agent, 2, torch.device("cpu"))
    assert z.shape == (2, 2, 3)
    for i in range(2):
        for r in range(2):
            np.testing.assert_array_equal(z[i, r], mu[i, lengths[i]].numpy())


def test_record_protocol_gives_a_recurrent_agent_its_belief(monkeypatch):
    """record_protocol hands a recurrent agent (BOREL's) its Belief, as the Evaluator hands them
    (`Belief.of(cfg, eval_buffer)`): the protocols read the test data's whole episodes and the carried-over context
    episodes from it, so with no Belief show_path.py repeated another meta-test than the run's, or none."""
    import rlkit.show as show

    cfg = load_config(TINY_CONFIG)
    belief = object()
    monkeypatch.setattr(
        show, "Belief", SimpleNamespace(of=lambda cfg_, buffer: belief if buffer == "test data" else None)
    )
    setup = SimpleNamespace(cfg=cfg, test_tasks=[4], train_tasks=[0, 1, 2, 3], seed=0, obs_scale=None,
                            data_dir=None, eval_buffer="test data")  # fmt: skip
    got = {}

    def fake_run_protocol(protocol, agent, envs, tasks, setting, streams, reward_fn, device, buffer, belief_, **kw):
        got.update(buffer=buffer, belief=belief_)
        return SimpleNamespace(z=None)

    monkeypatch.setattr(show, "run_protocol", fake_run_protocol)
    show.record_protocol(setup, SimpleNamespace(recurrent=True), "offline", 1, torch.device("cpu"), 0)
    assert got == {"buffer": "test data", "belief": belief}
    show.record_protocol(setup, SimpleNamespace(recurrent=False), "offline", 1, torch.device("cpu"), 0)
    assert got == {"buffer": "test data", "belief": None}


def _show_path_faked(monkeypatch, tmp_path, args, tasks=(3, 7, 9), runs=2, iteration=4, run_config=None, seed=0):
    """show_path.main on a run folder tmp_path/run (or the config form) with the run's loading, the protocols and the
    drawing replaced by recorders (as in test_show_path_draws_each_protocols_first_runs_into_its_own_figure):
    (click result, what each stage was handed). `run_config`: the overrides of the tiny config the run was made with.
    """

    import show_path

    seen = {"paths": {}, "z": {}}
    setup = SimpleNamespace(
        test_tasks=list(tasks), seed=seed, cfg=SimpleNamespace(algo_params=SimpleNamespace(num_evals=runs))
    )

    def load_run(run, itr, device, data_dir):
        seen.update(run=run, itr=itr, device=device, data_dir=data_dir)
        return setup, SimpleNamespace(agent="agent"), iteration

    def record(setup_, agent, protocol, runs_, device, iteration_):
        seen.setdefault("runs", []).append(runs_)
        n = len(tasks) * runs_
        return [protocol] * n, [[("scored", protocol)]] * n, np.zeros(n), np.zeros((n, 5))

    def draw(setup_, protocol, envs, episodes, last_return, path, plt):
        seen["paths"][protocol] = path

    def draw_z(setup_, zs, out_dir, plt, tag=""):
        seen["z"] = {"zs": {k: v.shape for k, v in zs.items()}, "out_dir": out_dir, "tag": tag}
        return []

    monkeypatch.setattr(show_path, "load_run", load_run)
    cfg = load_config(TINY_CONFIG, run_config or {})
    monkeypatch.setattr(show_path, "find_snapshot", lambda run, itr: (0, cfg, run))
    monkeypatch.setattr(
        show_path, "seed_meta_test_z", lambda agent, seed, it: seen.update(meta_test_z=(agent, seed, it))
    )
    monkeypatch.setattr(show_path, "record_protocol", record)
    monkeypatch.setattr(show_path, "draw_paths", draw)
    monkeypatch.setattr(
        show_path, "offline_z", lambda setup_, agent, per_task, device: np.zeros((len(tasks), per_task, 5))
    )
    monkeypatch.setattr(show_path, "draw_z", draw_z)
    (tmp_path / "run").mkdir(exist_ok=True)
    return CliRunner().invoke(show_path.main, args), seen


def test_show_path_refuses_seed_0_with_a_run_folder(tmp_path, monkeypatch):
    """The run-folder form's check of --seed tests its presence, not its truth (`if seed`): `show_path.py RUN --seed 0`
    must be refused like any --seed there (a run folder has its own seed, which may be 3: --seed 0 would be silently
    ignored and the user would believe they drew seed 0)."""
    result, seen = _show_path_faked(monkeypatch, tmp_path, [str(tmp_path / "run"), "--seed", "0"])
    assert result.exit_code != 0 and "['--seed 0']: expected either RUN_DIR alone" in str(result.exception)
    assert "run" not in seen


def test_show_path_refuses_an_exp_name_with_a_run_folder(tmp_path, monkeypatch):
    """--exp_name is part of the run-folder form's check, not left out of it. `show_path.py RUN --exp_name other` names
    another run than the folder: it must be refused in one line, not draw RUN while the user asked for `other`."""
    result, seen = _show_path_faked(monkeypatch, tmp_path, [str(tmp_path / "run"), "--exp_name", "other"])
    assert result.exit_code != 0 and "['--exp_name other']: expected either RUN_DIR alone" in str(result.exception)
    assert "run" not in seen


def test_show_path_config_form_finds_the_run_of_its_seed_and_reads_a_moved_dataset(tmp_path, monkeypatch):
    """The config form looks for the run of the seed --seed gives and hands `--data_dir` to the run's loading.
    `CONFIG --seed 2 --exp_name m --data_dir D` must draw output/ENV/m/seed2 and read its dataset from D (the module
    doc: `--data_dir` reads a dataset that has moved since). This guards against looking for seed 0's run whatever
    --seed says (`find_run(target, 0, ...)`), or not handing `--data_dir` to the run's loading (read from another key):
    with those slips it draws seed 0's run, or fails on the dataset's old place."""
    import show_path

    found = []

    def find_run(target, seed, overrides):
        found.append((target, seed, overrides["util_params"]["exp_name"]))
        return tmp_path / "run"

    monkeypatch.setattr(show_path, "find_run", find_run)
    moved = tmp_path / "moved"
    args = [str(TINY_CONFIG), "--seed", "2", "--exp_name", "m", "--data_dir", str(moved), "--gpu", "-1"]
    result, seen = _show_path_faked(monkeypatch, tmp_path, args)
    assert result.exit_code == 0, result.output
    assert found == [(str(TINY_CONFIG), 2, "m")]
    assert seen["run"] == tmp_path / "run" and seen["data_dir"] == moved


def test_show_path_out_with_itr_writes_its_figures_under_the_names_given(tmp_path, monkeypatch):
    """With `--out` the `_itrN` tag is not added (`itr is None or out is not None`); this guards against that condition
    cut to `itr is None`, which added the tag with `--out` too. The module doc: with `--itr N` and no `--out` each name
    ends `_itrN`; with `--out` the figures go where the user says: the Np figure at --out, the others beside it under
    their own names (paths_offline.png, z_pca.png...)."""
    out = tmp_path / "figs" / "mine.png"
    (tmp_path / "figs").mkdir()
    result, seen = _show_path_faked(monkeypatch, tmp_path, [str(tmp_path / "run"), "--itr", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert seen["itr"] == 3
    assert {p: _file_name(v) for p, v in seen["paths"].items()} == {
        "offline": "paths_offline.png",
        "online": "paths_online_prior.png",
        "np": "mine.png",
    }
    assert seen["z"]["tag"] == "" and seen["z"]["out_dir"] == tmp_path / "figs"
    # without --out: the run folder, each name ending _itr3 (the z figures' too)
    result, seen = _show_path_faked(monkeypatch, tmp_path, [str(tmp_path / "run"), "--itr", "3"])
    assert result.exit_code == 0, result.output
    assert seen["paths"] == {
        "offline": tmp_path / "run" / "paths_offline_itr3.png",
        "online": tmp_path / "run" / "paths_online_prior_itr3.png",
        "np": tmp_path / "run" / "paths_itr3.png",
    }
    assert seen["z"]["tag"] == "_itr3" and seen["z"]["out_dir"] == tmp_path / "run"


def _file_name(p) -> str:

    return Path(p).name


def test_show_path_out_without_a_suffix_is_written_as_png(tmp_path, monkeypatch):
    """An `--out` without a suffix gets .png (`if not np_out.suffix:`; the slip this catches inverted that suffix test).
    `--out figs/mine` (no suffix, which the --out check accepts) must write figs/mine.png, the others beside it; with
    the slip the Np figure is a file without a suffix (no viewer opens it as a picture)."""
    (tmp_path / "figs").mkdir()
    result, seen = _show_path_faked(
        monkeypatch, tmp_path, [str(tmp_path / "run"), "--out", str(tmp_path / "figs/mine")]
    )
    assert result.exit_code == 0, result.output
    assert seen["paths"]["np"] == tmp_path / "figs" / "mine.png"
    assert seen["paths"]["offline"] == tmp_path / "figs" / "paths_offline.png"


def test_show_path_seeds_the_sampled_z_of_the_snapshots_iteration(tmp_path, monkeypatch):
    """show_path seeds OFFPEARL's sampled test z as the snapshot's iteration's, not as iteration 0's
    (`seed_meta_test_z(agent, seed, 0)`). The module doc: each protocol runs the meta-test of the snapshot's iteration
    again, OFFPEARL's sampled z too (its stream is keyed by the iteration); with the slip a snapshot of iteration 4 is
    drawn with iteration 0's z, not the episodes whose returns progress.csv holds; and with the run's seed (3 here),
    not seed 0's."""
    result, seen = _show_path_faked(monkeypatch, tmp_path, [str(tmp_path / "run")], iteration=4, seed=3)
    assert result.exit_code == 0, result.output
    assert seen["meta_test_z"] == ("agent", 3, 4)


def test_show_path_gpu_reaches_the_runs_loading(tmp_path, monkeypatch):
    """show_path hands --gpu to the run's loading, not ignoring it (`select_device(None)`). On a machine of two GPUs
    `--gpu 1` must load and roll the run out on cuda:1 (and `--gpu -1` on the CPU), not on cuda:0 beside another job.
    (The CUDA calls are mocked as in tests/test_graphs.py.)"""
    from tests.test_graphs import _mock_cuda

    _mock_cuda(monkeypatch, 2)
    result, seen = _show_path_faked(monkeypatch, tmp_path, [str(tmp_path / "run"), "--gpu", "1"])
    assert result.exit_code == 0, result.output
    assert seen["device"] == torch.device("cuda:1")
    result, seen = _show_path_faked(monkeypatch, tmp_path, [str(tmp_path / "run"), "--gpu", "-1"])
    assert seen["device"] == torch.device("cpu")


@pytest.mark.parametrize(
    "run_config, expected",
    [
        ({}, "cuda:0"),
        ({"util_params": {"use_gpu": False}}, "cpu"),  # a run of a CPU profile (the demo's): its meta-test's device
        ({"util_params": {"gpu_id": 1}}, "cuda:1"),
    ],
)
def test_show_path_without_gpu_runs_where_the_run_ran(tmp_path, monkeypatch, run_config, expected):
    """Without --gpu, show_path repeats the run's meta-test on the run's own device (its use_gpu and gpu_id, as
    launch_experiment.py chose it), not on CUDA whatever the run said: the demo's runs say use_gpu 0 (the CPU).
    (The CUDA calls are mocked as in tests/test_graphs.py: two devices.)"""
    from tests.test_graphs import _mock_cuda

    _mock_cuda(monkeypatch, 2)
    result, seen = _show_path_faked(monkeypatch, tmp_path, [str(tmp_path / "run")], run_config=run_config)
    assert result.exit_code == 0, result.output
    assert seen["device"] == torch.device(expected)


def test_show_path_infers_as_many_offline_z_per_task_as_runs(tmp_path, monkeypatch):
    """The offline z is inferred once per run of each task, not once per task (`offline_z(setup, agent, 1, device)`).
    The z picture compares offline-context z with the online protocols' z, every run of each task (module doc): with
    `--runs 3` each source holds 3 per task; with the slip the offline cloud holds one point per task against three of
    each online protocol, so the picture of context shift understates the offline spread."""
    result, seen = _show_path_faked(monkeypatch, tmp_path, [str(tmp_path / "run"), "--runs", "3"], runs=2)
    assert result.exit_code == 0, result.output
    assert seen["runs"] == [3, 3, 3]
    assert seen["z"]["zs"] == {"offline": (3, 3, 5), "online": (3, 3, 5), "np": (3, 3, 5)}


def test_find_run_of_a_missing_seed_names_the_experiment_folder_it_looked_in(tmp_path):
    """The config form's refusal of a seed without a run lists the experiment folder's runs and names that folder
    (output/ENV/EXP), not the env folder above it; without the experiment folder, the env folder and its
    experiments."""
    from rlkit.errors import UserError

    exp = tmp_path / "output" / "point-robot" / "x"
    (exp / "seed1").mkdir(parents=True)
    (exp / "seed1" / "variant.json").write_text("{}")
    overrides = {"util_params": {"exp_name": "x", "base_log_dir": str(tmp_path / "output")}}
    with pytest.raises(UserError) as e:
        show.find_run(str(TINY_CONFIG), 0, overrides)
    assert str(e.value).endswith(f"(found ['seed1'] in {str(exp)!r})")
    overrides["util_params"]["exp_name"] = "y"
    with pytest.raises(UserError) as e:
        show.find_run(str(TINY_CONFIG), 0, overrides)
    assert str(e.value).endswith(f"(found ['x'] in {str(exp.parent)!r})")


def test_a_panels_title_names_its_task_and_its_goal_to_two_decimals():
    """A point-robot panel's title gives its task and its goal rounded to two decimals (the goals of nearby tasks
    differ in the second)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rlkit.envs.point_robot import PointEnv
    from rlkit.show import draw_task

    env = PointEnv(n_tasks=7)
    env.reset_task(1)
    fig, ax = plt.subplots()
    draw_task(ax, env, [("scored", np.zeros((3, 2)))], 0.0, 1, plt)
    title = ax.get_title()
    plt.close(fig)
    assert title == f"task 1, goal {np.round(env.unwrapped.goal, 2).tolist()}"
    assert any(round(float(g), 2) != round(float(g), 1) for g in env.unwrapped.goal)  # (two decimals tell)


@pytest.mark.parametrize("n, pixels", [(7, (636, 1800)), (6, (636, 1800)), (5, (348, 1800))])
def test_show_paths_figure_lays_seven_tasks_out_five_to_a_row(tmp_path, monkeypatch, n, pixels):
    """paths.png holds 5 panels to a row, each 3 inches wide and 2.4 high (at 120 dpi): 7 held-out tasks make a figure
    of 2 rows of 5, 1800 x 636 pixels, as 6 do; 5 tasks one row, 1800 x 348."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.image
    import matplotlib.pyplot as plt

    tasks = list(range(0, 5 * n, 5))
    monkeypatch.setattr(show, "draw_task", lambda ax, env, episodes, ret, task, plt: None)
    setup = SimpleNamespace(test_tasks=tasks, cfg=SimpleNamespace(env_name="point-robot", algo_type="csro"))
    show.draw_paths(setup, "np", [None] * n, [[]] * n, [0.0] * n, tmp_path / "paths.png", plt)
    assert matplotlib.image.imread(tmp_path / "paths.png").shape[:2] == pixels


def test_each_paths_figures_title_says_what_its_colours_are_under_its_protocol(tmp_path, monkeypatch):
    """Np's figure draws its context episodes (gray random steps, orange posterior-sampled ones) beside the scored
    episode; the offline and online ones only the scored episode, their context said in the title."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rlkit.logging import PROTOCOL_BY_KEY

    titles = {}
    monkeypatch.setattr(show, "draw_task", lambda ax, env, episodes, ret, task, plt: None)
    monkeypatch.setattr(show, "atomic_savefig", lambda fig, path, **kw: titles.update({path.name: fig._suptitle}))
    setup = SimpleNamespace(test_tasks=[3], cfg=SimpleNamespace(env_name="point-robot", algo_type="CSRO"))
    for protocol in PROTOCOL_BY_KEY:
        show.draw_paths(setup, protocol, [None], [[]], [0.0], tmp_path / f"{protocol}.png", plt)
    legends = {name: title.get_text().split("\n")[1] for name, title in titles.items()}
    assert legends == {
        "np.png": "gray = random context, orange = posterior-sampled context, blue = last scored episode",
        "offline.png": "blue = last scored episode (context: offline data)",
        "online.png": "blue = last scored episode (context: its own earlier episodes, from the prior z)",
    }


def test_the_z_pictures_title_counts_its_held_out_tasks_in_the_singular_and_plural(tmp_path, monkeypatch):
    """The z picture's title says 'the 1 held-out task' for one task and 'the 3 held-out tasks' for three."""
    titles = []
    draw_z, plt = _draw_z_recording(monkeypatch, lambda x, y, c: None)
    real_savefig = show.atomic_savefig
    monkeypatch.setattr(
        show,
        "atomic_savefig",
        lambda fig, path, **kw: titles.append(fig._suptitle.get_text()) or real_savefig(fig, path, **kw),
    )
    rng = np.random.default_rng(0)
    for tasks in ([3], [3, 7, 9]):
        setup = SimpleNamespace(test_tasks=tasks, cfg=SimpleNamespace(env_name="point-robot", algo_type="CSRO"))
        draw_z(setup, {"offline": rng.normal(size=(len(tasks), 3, 4))}, tmp_path, plt)
    assert [t.split(": ", 1)[1].split(" (colour")[0] for t in titles] == [
        "task latents of the 1 held-out task",
        "task latents of the 3 held-out tasks",
    ]


def test_show_path_refuses_a_device_override_in_the_config_form(tmp_path, monkeypatch):
    """`--use_gpu true` or `--gpu_id 3` in the config form compared with nothing (devices are no config difference)
    and changed nothing (the drawing's device is the run's or --gpu's): refused in one line naming --gpu."""
    for extra in (["--use_gpu", "true"], ["--gpu_id", "3"]):
        args = [str(TINY_CONFIG), "--exp_name", "m", *extra]
        result, seen = _show_path_faked(monkeypatch, tmp_path, args)
        assert result.exit_code != 0 and "given: show_path draws on the device" in str(result.exception), extra
        assert "run" not in seen


def test_show_path_refuses_an_out_named_as_another_figure_or_under_a_file_before_drawing(tmp_path, monkeypatch):
    """`--out DIR/z_pca.png` would be written as the Np figure, then overwritten by the z figure (two "wrote" lines,
    one figure lost); `--out FILE/x.png` failed after the protocols had run. Both are one line before them."""
    (tmp_path / "figs").mkdir()
    (tmp_path / "f.txt").write_text("")
    for out, said in [
        (tmp_path / "figs" / "z_pca.png", "is the name of another of the figures written beside it"),
        (tmp_path / "figs" / "paths_offline.png", "is the name of another of the figures written beside it"),
        (tmp_path / "f.txt" / "x.png", "f.txt' is a file: expected a folder to write the figures in"),
    ]:
        result, seen = _show_path_faked(monkeypatch, tmp_path, [str(tmp_path / "run"), "--out", str(out)])
        assert result.exit_code != 0 and said in str(result.exception), (out, result.output)
        assert "runs" not in seen and seen["paths"] == {}  # no protocol ran


def test_the_config_form_takes_the_file_a_run_recorded_relative_to_where_it_ran_as_that_file(tmp_path, monkeypatch):
    """A run launched from tmp_path with `cfg/tiny.json --batch_size 16` records config_file 'cfg/tiny.json'; drawn from
    another folder with the file's absolute path, that is the file it was trained from, so its own keys (batch_size
    32) are not held against the run's (it was refused as "trained with another config")."""
    (tmp_path / "cfg").mkdir()
    config = tmp_path / "cfg" / "tiny.json"
    config.write_text(TINY_CONFIG.read_text())
    monkeypatch.chdir(tmp_path)
    variant = dict(load_config("cfg/tiny.json", {"algo_params": {"batch_size": 16}}).to_dict(), seed=0)
    assert variant["util_params"]["config_file"] == "cfg/tiny.json"
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    resolved = dict(load_config(str(config)).to_dict(), seed=0)
    assert show.run_contradictions(variant, resolved, {}, str(config)) == []
    other = tmp_path / "other.json"  # another file's own keys still are
    other.write_text(TINY_CONFIG.read_text())
    assert show.run_contradictions(variant, resolved, {}, str(other)) == ["algo_params.batch_size: 16 -> 32"]


@pytest.mark.slow
def test_load_run_refuses_another_runs_snapshot_and_data_changed_since_in_one_line(tiny_data, tmp_path):
    """A snapshot of another config copied into a run's snapshots (the latent size differs) was a RuntimeError
    traceback; data regenerated in place since the run was trained was drawn from without a word (only a --data_dir
    was checked against the run's dataset.json): both are one line."""
    import shutil

    from rlkit.data.dataset import task_dir
    from rlkit.data.npz import read_checkpoint, write_checkpoint
    from rlkit.errors import UserError

    data = tmp_path / "data"
    shutil.copytree(tiny_data, data)

    def train(name, *extra):
        args = ["--data_dir", str(data), "--base_log_dir", str(tmp_path / "out"), "--exp_name", name]
        cfg = load_config(TINY_CONFIG, parse_override_args([*args, "--num_iterations", "1", *extra]))
        MetaTrainer(prepare(cfg, 0, torch.device("cpu")), show_progress=False).run()
        return tmp_path / "out" / "point-robot" / name / "seed0"

    run, other = train("a"), train("b", "--latent_size", "6")
    shutil.copy(other / "snapshots" / "itr_0.pt", run / "snapshots" / "itr_7.pt")
    with pytest.raises(UserError, match=r"itr_7.pt' does not fit the networks of .* \(.*size mismatch"):
        show.load_run(run, 7, torch.device("cpu"))
    held_out = task_dir(data, 5)  # the tiny config's test tasks include 5: its eval checkpoint's rewards change
    t = read_checkpoint(held_out, 200, "sample")
    write_checkpoint(held_out, 200, {"sample": t.__class__(**{**t.__dict__, "rewards": t.rewards + 1.0})})
    with pytest.raises(
        UserError, match=r"data' holds other data than .* \(regenerated since\? moved: give --data_dir\)"
    ):
        show.load_run(run, None, torch.device("cpu"))


def _panel_lines(env, episodes, task=0):
    """draw_task of `episodes` on `env`: the panel's lines (colour, label, x, y), and its title."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    show.draw_task(ax, env, episodes, 0.0, task, plt)
    lines = [(line.get_color(), line.get_label(), line.get_xdata(), line.get_ydata()) for line in ax.lines]
    title = ax.get_title()
    plt.close(fig)
    return lines, title


def test_nps_random_context_steps_are_gray_and_its_policys_orange():
    """The module's colours: Np's random context steps gray, the posterior-sampled ones orange, the last scored
    episode blue, each drawn from its own part of the episode (and the goal a red point). The parts' NaN steps (the
    steps the other part draws) leave the panel's limits alone: with them, a context episode split between random
    and policy steps (N = 60: after 20 scored steps, 10 random ones) made the limits NaN and show_path failed."""
    from rlkit.envs.point_robot import PointEnv

    env = PointEnv(n_tasks=3)
    env.reset_task(1)
    random_part = np.array([[0.0, 0.0], [0.1, 0.0], [np.nan, np.nan]])
    policy_part = np.array([[np.nan, np.nan], [0.1, 0.0], [0.2, 0.3]])
    scored = np.array([[0.0, 0.0], [-0.2, 0.4]])
    lines, _ = _panel_lines(env, [("context-random", random_part), ("context", policy_part), ("scored", scored)])
    by_colour = {colour: (x, y) for colour, _, x, y in lines if colour in ("tab:gray", "tab:orange", "tab:blue")}
    np.testing.assert_array_equal(by_colour["tab:gray"][1], random_part[:, 1])
    np.testing.assert_array_equal(by_colour["tab:orange"][1], policy_part[:, 1])
    np.testing.assert_array_equal(by_colour["tab:blue"][0], scored[:, 0])
    (goal,) = [(x, y) for colour, label, x, y in lines if label == "goal"]
    np.testing.assert_allclose(np.ravel(goal), env.goal)
    np.testing.assert_allclose(show._point_limits(env, [random_part, policy_part, scored]), [(-1.3, 1.3), (-0.3, 1.3)])


def test_a_mujoco_panel_draws_its_tasks_target():
    """cheetah-vel: the target velocity's path, x = x0 + v * dt * t from the scored episode's start; ant-dir: a ray
    from the origin along the task's direction angle (cos, sin); ant-goal: the goal position."""
    from rlkit.tasks import make_env

    cheetah = make_env("cheetah-vel", n_tasks=4, max_episode_steps=200).unwrapped
    cheetah.reset_task(2)
    scored = np.array([[0.3], [0.4], [0.6], [0.7]])
    lines, title = _panel_lines(cheetah, [("scored", scored)], task=2)
    (target,) = [(x, y) for _, label, x, y in lines if label == "target velocity"]
    np.testing.assert_allclose(target[1], 0.3 + cheetah.goal * cheetah.dt * np.arange(4))
    assert title == f"task 2, goal {np.round(cheetah.goal, 2).tolist()}"

    ant = make_env("ant-dir", n_tasks=6, max_episode_steps=200).unwrapped
    ant.reset_task(1)
    assert abs(np.cos(ant.goal) - np.sin(ant.goal)) > 0.3  # (pi / 3: swapped, they would tell)
    lines, _ = _panel_lines(ant, [("scored", np.array([[0.0, 0.0], [0.5, 1.5]]))])
    (ray,) = [(x, y) for _, label, x, y in lines if label == "direction"]
    reach = 1.5
    np.testing.assert_allclose(ray, [[0, reach * np.cos(ant.goal)], [0, reach * np.sin(ant.goal)]])

    goal_env = make_env("ant-goal", n_tasks=4, max_episode_steps=200).unwrapped
    goal_env.reset_task(3)
    lines, _ = _panel_lines(goal_env, [("scored", np.zeros((2, 2)))])
    (goal,) = [(x, y) for _, label, x, y in lines if label == "goal"]
    np.testing.assert_allclose(np.ravel(goal), goal_env.goal)


def test_each_paths_panel_is_drawn_with_its_own_tasks_env(tmp_path, monkeypatch):
    """draw_paths hands panel i the env of job i (its task's goal, for the marker and the title), not the first
    job's: with envs[0] every panel showed task 0's goal."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    drawn = []
    monkeypatch.setattr(show, "draw_task", lambda ax, env, episodes, ret, task, plt: drawn.append((task, env)))
    envs = ["env of task 2", "env of task 6", "env of task 9"]
    setup = SimpleNamespace(test_tasks=[2, 6, 9], cfg=SimpleNamespace(env_name="point-robot", algo_type="csro"))
    show.draw_paths(setup, "np", envs, [[]] * 3, [0.0] * 3, tmp_path / "paths.png", plt)
    assert drawn == [(2, "env of task 2"), (6, "env of task 6"), (9, "env of task 9")]


def test_the_recorded_path_holds_the_start_and_the_position_after_every_step():
    """PositionRecorder keeps [T + 1] positions: the reset position, then the position each step leads to (the
    point robot's state after the action), so the drawn path ends where the episode ended."""
    from rlkit.tasks import make_env

    env = show.PositionRecorder(make_env("point-robot", n_tasks=3, max_episode_steps=20))
    env.reset_task(1)
    env.reset(seed=0)
    for action in ([0.1, 0.0], [0.0, 0.05], [-0.05, 0.1]):
        env.step(np.array(action))
    np.testing.assert_allclose(env.episode, [[0.0, 0.0], [0.1, 0.0], [0.1, 0.05], [0.05, 0.15]], atol=1e-12)
