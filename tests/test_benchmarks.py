"""The benchmarks' own command lines: a count of 0 timed nothing and divided by zero; now refused up front."""

import io
import sys
from types import SimpleNamespace

import click
import pytest

from rlkit.errors import UserError
from tests.conftest import load_file


def _module(name: str):
    return load_file(f"benchmarks/{name}.py", f"bench_{name}")


@pytest.mark.parametrize(
    "name,args",
    [
        ("meta_train_speed", ["--steps", "0"]),
        ("meta_train_speed", ["--batch", "x"]),
        ("meta_train_speed", ["--naive_steps", "-1"]),
        ("scale_out", ["--rounds", "0"]),
        ("scale_out", ["--tasks", "0"]),
    ],
)
def test_argparse_benchmarks_refuse_counts_below_one(name, args, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", [f"{name}.py", *args])
    with pytest.raises(SystemExit) as exit_:
        _module(name).main()
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and len(err) == 1 and err[0].startswith(f"error: argument {args[0]}: "), err
    assert "expected >= 1" in err[-1] or "is not a whole number" in err[-1]


@pytest.mark.parametrize(
    "name,option",
    [
        ("behaviour_sac_speed", "--updates"),
        ("behaviour_sac_speed", "--threads"),
        ("env_speed", "--steps"),
        ("env_speed", "--rounds"),
        ("paper_cost", "--reps"),
        ("dataset_load", "--rounds"),
        ("stage2_load_memory", "--rounds"),
        ("stage2_load_memory", "--train"),
    ],
)
def test_click_benchmarks_refuse_counts_below_one(name, option):
    command = _module(name).main
    with pytest.raises(click.BadParameter, match="0 is not in the range"):
        command.main(args=[option, "0"], standalone_mode=False)


def test_argparse_benchmarks_refuse_an_option_given_twice(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["meta_train_speed.py", "--steps", "3", "--batch", "8", "--steps=4"])
    with pytest.raises(SystemExit) as exit_:
        _module("meta_train_speed").main()
    assert (
        exit_.value.code == 2 and capsys.readouterr().err == "error: argument --steps: given twice: expected it once\n"
    )


def test_paper_cost_refuses_an_empty_env_list_and_an_unwritable_table_before_measuring(tmp_path, monkeypatch):
    """`--envs ''` measured every env (an hour); a --markdown under a file was refused only after the measurements."""
    from rlkit.errors import UserError

    bench = _module("paper_cost")
    monkeypatch.setattr(bench, "env_cost", lambda *a: pytest.fail("measured before the arguments were checked"))
    with pytest.raises(UserError, match=r"^--envs '': the list is empty"):
        bench.main.main(args=["--envs", ""], standalone_mode=False)
    with pytest.raises(UserError, match=r"^--markdown '': expected a file path"):
        bench.main.main(args=["--envs", "point-robot", "--markdown", ""], standalone_mode=False)
    (tmp_path / "f").write_text("")
    with pytest.raises(UserError, match=r"^--markdown '.*f' is a file: expected a folder"):
        bench.main.main(
            args=["--envs", "point-robot", "--markdown", str(tmp_path / "f" / "t.md")], standalone_mode=False
        )


@pytest.mark.parametrize("family", ["hopper-rand-params", "cheetah-vel"])
def test_env_speed_steps_the_same_physics_and_its_check_can_see_a_difference(family):
    """The plain env runs at our timestep (gymnasium's Hopper steps at 0.002 s, the reference's at 0.004 s), so after
    the same actions both hold the same state; the compared state is the last action's, not a fresh reset's."""
    import numpy as np

    bench = _module("env_speed")
    ours = bench.ours(family)
    plain = bench.plain(family, ours.unwrapped.model.opt.timestep)
    actions = np.random.default_rng(0).uniform(-1, 1, size=(200, ours.action_space.shape[0]))
    low, high = plain.action_space.low, plain.action_space.high
    _, q_ours = bench.steps_per_second(ours, actions)
    _, q_plain = bench.steps_per_second(plain, low + (actions + 1) * 0.5 * (high - low))
    np.testing.assert_allclose(q_ours, q_plain, rtol=1e-6, atol=1e-8)
    _, q_other = bench.steps_per_second(plain, low + (actions[::-1] + 1) * 0.5 * (high - low))
    assert not np.allclose(q_ours, q_other, rtol=1e-6, atol=1e-8)


@pytest.mark.slow
def test_a_measurement_child_returns_its_json_or_one_line_naming_its_failure():
    from rlkit.cli import child_json
    from rlkit.errors import UserError

    assert child_json(["-c", "print('warming up'); print('{\"ms\": 3.1}')"], "the probe") == {"ms": 3.1}
    failing = "import sys; print('a warning', file=sys.stderr); sys.exit('holds no saved behaviour networks')"
    with pytest.raises(UserError, match=r"^the probe failed \(exit 1\): holds no saved behaviour networks$"):
        child_json(["-c", failing], "the probe")
    with pytest.raises(UserError, match=r"^the probe failed \(exit 0\): no error message, and no JSON object"):
        child_json(["-c", "print('done')"], "the probe")


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="VmHWM is Linux's")
def test_a_childs_peak_memory_is_its_own_not_its_parents():
    """getrusage's ru_maxrss survives fork and exec: a child of a parent that peaked higher reported the parent's
    peak as its own (benchmarks/regenerate_memory.py). `peak_rss_mb` reads the child's own."""
    import numpy as np

    from rlkit.cli import child_json, peak_rss_mb

    ballast = np.ones(400 * 2**20 // 8)  # 400 MiB touched in this process
    parent = peak_rss_mb()
    code = "import json; from rlkit.cli import peak_rss_mb; print(json.dumps({'peak': peak_rss_mb()}))"
    child = child_json(["-c", code], "the child")["peak"]
    del ballast
    assert parent > 400 and child < parent - 300, (parent, child)


def test_a_failed_capture_variant_fails_the_benchmark_after_the_others_print(monkeypatch, capsys):
    """A variant that failed printed 'failed' and the benchmark still exited 0: a device call's summary counted the
    benchmark as passed."""
    import argparse
    import json

    bench = _module("meta_train_speed")

    def run(cmd, **kw):  # (no child: each variant's answer as its subprocess would give it)
        variant = cmd[cmd.index("--variant") + 1]
        if variant == "captured":
            return SimpleNamespace(returncode=1, stdout="", stderr="RuntimeError: CUDA error")
        return SimpleNamespace(returncode=0, stdout=json.dumps({"variant": variant, "ms": 3.0, "graphed": True}))

    monkeypatch.setattr(bench.subprocess, "run", run)
    args = argparse.Namespace(device="cuda", steps=1, context=8, batch=4, meta_batch=2)
    with pytest.raises(SystemExit) as e:
        bench.capture_main(args)
    out, err = capsys.readouterr()
    assert e.value.code == 1 and "captured: failed" in out and "captured-fused" in out
    assert err.strip() == "error: variants ['captured'] failed: expected every variant to run (their errors above)"


def test_the_load_memory_benchmark_loads_chained_data_into_one_row_per_transition_and_an_end_row(tmp_path, capsys):
    """stage2_load_memory's data is stage 1's shape (chained episodes), so its buffers hold one row per transition
    and one per episode end, the layout whose memory docs/paper-cost.md estimates; its estimate is the docs' rule
    on the arrays the loader really holds."""
    import json

    from rlkit.data.load import load_task_data

    bench = _module("stage2_load_memory")
    bench.synthesize("point-robot", tmp_path, 2)
    bench.child("point-robot", str(tmp_path), 1, 1)
    m = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    cfg = bench._config("point-robot")
    a = cfg.algo_params
    episodes = len(range(*a.train_epoch)) * a.n_trj  # of each task (one window each)
    length, mib = cfg.env_params.max_episode_steps, 2**20
    assert m["transitions"] == 2 * episodes * length
    buffers = [episodes * (length + 1) * (2 + 2 + 3) * 4 + episodes * length * 4] * 2  # rows + end rows, int32 index
    assert m["buffers_mb"] * mib == sum(buffers)
    read = [
        load_task_data(tmp_path, t, range(*w), a.data_kind, a.n_trj, "point-robot", 2, 2)
        for t, w in ((0, a.train_epoch), (1, a.eval_epoch))
    ]
    arrays = [sum(getattr(d, f).nbytes for f in ("obs", "actions", "rewards", "next_obs", "terminals")) for d in read]
    assert m["files_mb"] * mib == sum(arrays)
    assert m["estimate_mb"] * mib == sum(buffers) + 2 * arrays[0]  # (one training task's arrays, twice)


def test_the_load_memory_benchmark_refuses_more_tasks_than_the_env_has_before_writing(tmp_path):
    from rlkit.errors import UserError

    command = _module("stage2_load_memory").main
    args = ["--env", "point-robot", "--train", "39", "--test", "2", "--work", str(tmp_path)]
    with pytest.raises(UserError, match=r"^--train 39 \+ --test 2 = 41 tasks: expected at most 40, point-robot's"):
        command.main(args=args, standalone_mode=False)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_the_load_memory_benchmark_runs_and_reuses_its_dataset(tmp_path, capsys):
    """The command end to end (a child process per round) on point-robot, twice: the second run loads the dataset
    the first synthesised."""
    command = _module("stage2_load_memory").main
    args = ["--env", "point-robot", "--train", "1", "--test", "1", "--work", str(tmp_path), "--rounds", "1"]
    for synthesised in (True, False):
        command.main(args=args, standalone_mode=False)
        out = capsys.readouterr().out
        assert ("synthesising 2 point-robot tasks" in out) == synthesised
        assert "round 0: " in out and "MiB peak RSS during the load" in out and "measured / rule " in out


def test_a_childs_python_path_puts_the_checkout_first_and_keeps_the_rest(monkeypatch, tmp_path):
    """The benchmarks' children were given PYTHONPATH=ROOT alone: on the GPU machine, where PYTHONPATH also holds the
    carried wheels (scripts/gpu/check.sh), a child could not import gymnasium."""
    import os

    from rlkit.cli import child_env

    monkeypatch.setenv("PYTHONPATH", "/site")
    env = child_env(tmp_path, OMP_NUM_THREADS="1")
    assert env["PYTHONPATH"] == os.pathsep.join([str(tmp_path), "/site"]) and env["OMP_NUM_THREADS"] == "1"
    monkeypatch.delenv("PYTHONPATH")
    assert child_env(tmp_path)["PYTHONPATH"] == str(tmp_path)


def test_peak_memory_is_linuxs_vmhwm_in_mebibytes(monkeypatch):
    """Mutation Z17: peak_rss_mb reads VmHWM (kB) from /proc/self/status and divides by 1024 (MiB), not 1000."""
    import rlkit.cli as cli

    status = "Name:\tpython\nVmPeak:\t 9999 kB\nVmHWM:\t    3072 kB\nVmRSS:\t    1000 kB\n"

    def fake_open(path, *args, **kwargs):
        assert path == "/proc/self/status"
        return io.StringIO(status)

    monkeypatch.setattr(cli, "open", fake_open, raising=False)
    assert cli.peak_rss_mb() == 3.0  # 3072 kB = 3 MiB


def test_a_measurement_child_is_read_by_its_exit_code_its_last_stdout_line_and_its_last_stderr_line(monkeypatch):
    """Mutations Z19, Z20, Z21: child_json takes the JSON object of the last line of a child that exited 0, and a
    child that failed is a UserError with its exit code and the last line of its stderr (the error, not a warning),
    though it printed a JSON line before failing. (The child is faked: the slow test runs real ones.)"""
    import rlkit.cli as cli

    outputs = {
        "ok": (0, '{"first": 1}\n{"ms": 3.1}\n', "a warning\n"),
        "failing": (4, '{"ms": 1.0}\n', "a warning\nthe error\n"),
    }

    def run(cmd, **kwargs):
        assert cmd[0] == sys.executable and kwargs["capture_output"] and kwargs["text"]
        code, out, err = outputs[cmd[-1]]
        return SimpleNamespace(returncode=code, stdout=out, stderr=err)

    monkeypatch.setattr("rlkit.cli.subprocess.run", run)
    assert cli.child_json(["probe.py", "ok"], "the probe") == {"ms": 3.1}
    with pytest.raises(UserError, match=r"^the probe failed \(exit 4\): the error$"):
        cli.child_json(["probe.py", "failing"], "the probe")
