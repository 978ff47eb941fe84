"""The benchmarks: their command lines (a count of 0 timed nothing and divided by zero; now refused up front), and what
they compute and print (ratios, ms per step, shares, memory growth, counts), their clocks, probes, steps and children
stand-ins."""

import io
import json
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import click
import numpy as np
import pytest
import torch

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
    assert "expected a whole number from 1 to 2147483647" in err[-1] or "is not a whole number" in err[-1]


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


def test_an_argparse_count_is_a_whole_number_from_one_to_a_configs_largest():
    """`positive_int`'s bounds, each side (a count past them would start the benchmark: not run here)."""
    import argparse

    from rlkit.cli import positive_int
    from rlkit.config import MAX_INT

    assert positive_int("1") == 1 and positive_int(str(MAX_INT)) == MAX_INT
    for text in ("0", str(MAX_INT + 1), str(2**70)):
        with pytest.raises(argparse.ArgumentTypeError, match=rf"^{text}: expected a whole number from 1 to {MAX_INT}$"):
            positive_int(text)


@pytest.mark.parametrize(
    "name,option",
    [("behaviour_sac_speed", "--tasks"), ("regenerate_memory", "--networks")],
)
def test_click_benchmarks_refuse_a_list_entry_past_a_configs_largest_count(name, option, tmp_path, monkeypatch):
    """Group sizes and network counts of 2**40 ran until stopped (building networks or files for each). What the
    benchmark does next is stood in for by an error, so that a missing check fails here instead of running on."""
    import rlkit.torch.cpu_kernels

    module = _module(name)

    def started(*args, **kwargs):
        raise AssertionError(f"{name} started with {option} past its largest value")

    monkeypatch.setattr(rlkit.torch.cpu_kernels, "keep_freed_memory", started)  # (behaviour_sac_speed's next step)
    monkeypatch.setattr(module, "synthesize", started, raising=False)  # (regenerate_memory's)
    args = [option, "1,2147483648"] + (["--work", str(tmp_path / "work")] if name == "regenerate_memory" else [])
    with pytest.raises(UserError, match=r"2147483648 is above 2147483647; expected comma-separated integers from 1 to"):
        module.main.main(args=args, standalone_mode=False)
    assert not (tmp_path / "work").exists()


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
    crashed = (
        "import sys; print('{\"ms\": 3.1}'); sys.exit('crashed after measuring')"  # a failed child's JSON: no result
    )
    with pytest.raises(UserError, match=r"^the probe failed \(exit 1\): crashed after measuring$"):
        child_json(["-c", crashed], "the probe")


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
    """peak_rss_mb reads VmHWM (kB) from /proc/self/status and divides by 1024 (MiB), not 1000."""
    import rlkit.cli as cli

    status = "Name:\tpython\nVmPeak:\t 9999 kB\nVmHWM:\t    3072 kB\nVmRSS:\t    1000 kB\n"

    def fake_open(path, *args, **kwargs):
        assert path == "/proc/self/status"
        return io.StringIO(status)

    monkeypatch.setattr(cli, "open", fake_open, raising=False)
    assert cli.peak_rss_mb() == 3.0  # 3072 kB = 3 MiB


@pytest.mark.parametrize("platform, maxrss", [("darwin", 3 * 2**20), ("freebsd13", 3072)])
def test_peak_memory_without_proc_is_getrusages_in_its_platforms_unit(monkeypatch, platform, maxrss):
    """Without /proc/self/status, ru_maxrss: bytes on macOS, KiB elsewhere; 3 MiB either way."""
    import resource

    import rlkit.cli as cli

    def no_proc(path, *args, **kwargs):
        raise FileNotFoundError(2, "No such file or directory", path)

    monkeypatch.setattr(cli, "open", no_proc, raising=False)
    monkeypatch.setattr(cli.sys, "platform", platform)
    monkeypatch.setattr(resource, "getrusage", lambda who: SimpleNamespace(ru_maxrss=maxrss))
    assert cli.peak_rss_mb() == 3.0


def test_a_measurement_child_is_read_by_its_exit_code_its_last_stdout_line_and_its_last_stderr_line(monkeypatch):
    """child_json takes the JSON object of the last line of a child that exited 0, and a child that failed is a
    UserError with its exit code and the last line of its stderr (the error, not a warning), though it printed a JSON
    line before failing. (The child is faked: the slow test runs real ones.)"""
    import rlkit.cli as cli

    outputs = {
        "ok": (0, '{"first": 1}\nwarming up\n{"ms": 3.1}\n', "a warning\n"),
        "failing": (4, '{"ms": 1.0}\n', "a warning\nanother\nthe error\n"),
    }

    def run(cmd, **kwargs):
        assert cmd[0] == sys.executable and kwargs["capture_output"] and kwargs["text"]
        code, out, err = outputs[cmd[-1]]
        return SimpleNamespace(returncode=code, stdout=out, stderr=err)

    monkeypatch.setattr("rlkit.cli.subprocess.run", run)
    assert cli.child_json(["probe.py", "ok"], "the probe") == {"ms": 3.1}
    with pytest.raises(UserError, match=r"^the probe failed \(exit 4\): the error$"):
        cli.child_json(["probe.py", "failing"], "the probe")


# ---- what the benchmarks compute and print (their heavy parts stand-ins) ---------------------------------------
class Clock:
    """A fake `time` module: `perf_counter` reads `now`, which the fakes advance."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Probe:
    """A fake MatmulProbe answering `values` in turn."""

    def __init__(self, values):
        self.values = iter(values)

    def __call__(self, *a):
        return next(self.values)


def _fake_measurement(monkeypatch, bench, durations, probes, flops):
    """run_variant's / time_group's collaborators faked: a step whose calls take `durations` in turn (then 9 s),
    probes answering `probes`, and `flops` FLOPs a step."""
    import rlkit.torch.flops as fl

    clock = Clock()
    monkeypatch.setattr(bench, "time", clock)
    left = iter(durations)

    def step(*a, **k):
        clock.advance(next(left, 9.0))

    values = iter(probes)
    monkeypatch.setattr(fl, "MatmulProbe", lambda: Probe(values))
    monkeypatch.setattr(fl, "count_flops", lambda fn: flops)
    return step


# ---------------------------------------------------------------------------------------------- meta_train_speed


def test_meta_train_run_variant_reports_the_median_min_and_drift_corrected_share_of_its_timed_steps(monkeypatch):
    """run_variant times `steps` steps in blocks (each after an untimed one), and each step's FLOP/s is divided by the
    mean of the two probes around its block."""
    import rlkit.cli as cli
    import rlkit.torch.cpu_kernels as ck
    from rlkit.torch.csro import losses

    bench = _module("meta_train_speed")
    monkeypatch.setattr(losses, "club_upper_bound", losses.club_upper_bound)
    monkeypatch.setattr(ck, "use_cpu_kernels", lambda on: None)
    monkeypatch.setattr(cli, "peak_rss_mb", lambda: 2048.0)
    # 3 warm-up calls, an untimed call, 4 timed, (probe), an untimed call, 2 timed, (probe)
    step = _fake_measurement(monkeypatch, bench, [9, 9, 9, 9, 1, 2, 3, 4, 9, 5, 6], [10.0, 50.0, 30.0], 120.0)
    monkeypatch.setattr(bench, "build", lambda *a: step)
    r = bench.run_variant("ours", 6, 8, 4, 2, block=4)
    # shares: block 1 against (10 + 50) / 2 = 30: 120 / t / 30 = 4, 2, 1.33, 1; block 2 against 40: 0.6, 0.5
    # medians of the six: (3 + 4) / 2 s (not the upper middle value, 4) and (1 + 4 / 3) / 2
    assert r["median_s"] == 3.5 and r["min_s"] == 1
    assert r["median_share"] == pytest.approx(7 / 6)
    assert r["peak_rss_gb"] == 2.0 and r["flops"] == 120.0
    assert r["peak_flops"] == 50.0 and r["median_peak_flops"] == 30.0


def test_meta_train_run_variant_switches_the_club_bound_and_the_cpu_kernels_by_variant(monkeypatch):
    """Only naive-club takes the pairwise CLUB bound, and only plain runs without the CPU kernels."""
    import rlkit.cli as cli
    import rlkit.torch.cpu_kernels as ck
    from rlkit.torch.csro import losses

    bench = _module("meta_train_speed")
    exact = losses.club_upper_bound
    monkeypatch.setattr(losses, "club_upper_bound", exact)
    kernels = []
    monkeypatch.setattr(ck, "use_cpu_kernels", kernels.append)
    monkeypatch.setattr(cli, "peak_rss_mb", lambda: 1.0)
    seen = {}
    for variant in ("ours", "plain", "naive-club"):
        step = _fake_measurement(monkeypatch, bench, [1.0] * 10, [1.0] * 5, 1.0)
        monkeypatch.setattr(bench, "build", lambda *a, s=step: s)
        bench.run_variant(variant, 1, 8, 4, 2)
        seen[variant] = losses.club_upper_bound
    assert kernels == [True, False, True]
    assert seen["ours"] is exact and seen["plain"] is exact
    assert seen["naive-club"] is losses.club_upper_bound_pairwise


def test_meta_train_time_steps_is_seconds_per_timed_call_without_the_warm_up_calls(monkeypatch):
    """time_steps divides the timed calls' time by their number (the 5 warm-up calls untimed)."""
    bench = _module("meta_train_speed")
    clock = Clock()
    monkeypatch.setattr(bench, "time", clock)
    calls = []

    def step():
        calls.append(1)
        clock.advance(100.0 if len(calls) <= 5 else 0.5)

    assert bench.time_steps(step, 4, torch.device("cpu")) == 0.5 and len(calls) == 9


def _fake_trainer_parts(monkeypatch, recorded):
    """synthetic_parts and StepRunner faked; `recorded` gets each variant's fuse and capture."""
    import rlkit.budget as budget
    from rlkit.torch import graphs

    def parts(cfg, n, transitions, device=None, fuse=False, **k):
        recorded.setdefault("fuse", []).append(fuse)
        name = len(recorded["fuse"])
        trainer = SimpleNamespace(generator=None, optimizers=lambda: {}, train_step=None)
        return (lambda: name), trainer

    class Runner:
        def __init__(self, step, device, capture, generators=(), optimizers=()):
            recorded.setdefault("capture", []).append(capture)
            self.graphs, self.optimizers, self.prepared = {}, list(optimizers), False
            self.call = recorded.get("call")

        def __call__(self, sample):
            if self.call:
                self.call(sample)

    monkeypatch.setattr(budget, "synthetic_parts", parts)
    monkeypatch.setattr(graphs, "StepRunner", Runner)
    monkeypatch.setattr(graphs, "make_capturable", lambda *a, **k: None)


def test_meta_train_capture_variants_capture_all_but_the_eager_ones_and_fuse_only_captured_fused(monkeypatch):
    """Of the --device variants, eager and eager-plain-adam run uncaptured, the captured-* ones captured, and only
    captured-fused compiles its losses; its ms is 1000 x time_steps' seconds."""
    from rlkit.torch.csro import losses

    bench = _module("meta_train_speed")
    monkeypatch.setattr(losses, "club_upper_bound", losses.club_upper_bound)
    monkeypatch.setattr(bench, "time_steps", lambda step, steps, device: 0.0025)
    recorded = {}
    _fake_trainer_parts(monkeypatch, recorded)
    variants = ["eager", "eager-plain-adam", "captured", "captured-fused", "captured-pairwise-club"]
    outs = [bench.capture_variant(v, "cpu", 3, 8, 4, 2) for v in variants]
    assert recorded["capture"] == [False, False, True, True, True]
    assert recorded["fuse"] == [False, False, False, True, False]
    assert [o["ms"] for o in outs] == [2.5] * 5


def test_meta_train_alternating_cpu_times_all_but_two_steps_of_each_and_captures_only_captured(monkeypatch):
    """Eager, captured and fused run in turn; only `captured` is captured, only `fused` compiled, and each one's first
    two steps are untimed (median ms/step of the rest)."""
    import rlkit.torch.cpu_kernels as ck

    bench = _module("meta_train_speed")
    monkeypatch.setattr(ck, "keep_freed_memory", lambda: None)
    clock = Clock()
    monkeypatch.setattr(bench, "time", clock)
    durations = {
        1: [0.1, 0.1, 0.001, 0.002, 0.009],
        2: [0.1, 0.1, 0.002, 0.004, 0.018],
        3: [0.1, 0.1, 3e-3, 6e-3, 0.03],
    }
    recorded = {"call": lambda name: clock.advance(durations[name].pop(0))}
    _fake_trainer_parts(monkeypatch, recorded)
    r = bench.alternating_cpu(3, 8, 4, 2)
    assert recorded["capture"] == [False, True, False] and recorded["fuse"] == [False, False, True]
    assert r == pytest.approx({"eager": 2.0, "captured": 4.0, "fused": 6.0})


def test_meta_train_capture_main_on_the_cpu_runs_four_variants_and_prints_their_ratios(monkeypatch, capsys):
    """On the CPU the variants are eager, captured, captured-fused, captured-pairwise-club (no eager-plain-adam, a
    CUDA-only one), and the ratios printed are captured / eager, captured-fused / captured."""
    import argparse

    bench = _module("meta_train_speed")
    monkeypatch.setattr(bench, "alternating_cpu", lambda *a: {"eager": 2.0, "captured": 3.0, "fused": 4.0})
    ms = {"eager": 4.0, "captured": 2.0, "captured-fused": 1.5, "captured-pairwise-club": 9.0}
    ran = []

    def run(cmd, **kw):
        variant = cmd[cmd.index("--variant") + 1]
        ran.append(variant)
        return SimpleNamespace(returncode=0, stdout=json.dumps({"variant": variant, "ms": ms[variant], "graphed": 0}))

    monkeypatch.setattr(bench.subprocess, "run", run)
    bench.capture_main(argparse.Namespace(device="cpu", steps=1, context=8, batch=4, meta_batch=2))
    out = capsys.readouterr().out
    assert ran == ["eager", "captured", "captured-fused", "captured-pairwise-club"]
    assert "ratios captured / eager 1.500, fused / eager 2.000" in out
    assert "ratio captured / eager: 0.500 " in out and "ratio captured-fused / captured: 0.750" in out


def _meta_train_results():
    return {
        "ours": {
            "variant": "ours",
            "median_s": 0.5,
            "min_s": 0.4,
            "peak_rss_gb": 1.0,
            "median_share": 0.4,
            "flops": 2e9,
            "threads": 2,
            "peak_flops": 8e9,
            "median_peak_flops": 1e10,
        },
        "plain": {
            "variant": "plain",
            "median_s": 1.5,
            "min_s": 1.0,
            "peak_rss_gb": 1.0,
            "median_share": 0.1,
            "flops": 2e9,
            "threads": 2,
            "peak_flops": 8e9,
            "median_peak_flops": 1e10,
        },
        "naive-club": {
            "variant": "naive-club",
            "median_s": 10.0,
            "min_s": 9.0,
            "peak_rss_gb": 2.0,
            "median_share": 0.02,
            "flops": 3e9,
            "threads": 2,
            "peak_flops": 8e9,
            "median_peak_flops": 1e10,
        },
    }


def test_meta_train_main_prints_the_speed_ups_over_plain_and_naive_and_the_share_of_the_best_probe(monkeypatch, capsys):
    """The benchmark prints plain / ours median s/step, ours / plain share, naive / ours s/step, and ours' FLOP/s at its
    median step over the run's best probe."""
    import rlkit.cli as cli

    bench = _module("meta_train_speed")
    results = _meta_train_results()
    monkeypatch.setattr(cli, "child_json", lambda args, what, env=None: results[args[args.index("--variant") + 1]])
    monkeypatch.setattr(sys, "argv", ["meta_train_speed.py", "--steps", "2"])
    bench.main()
    out = capsys.readouterr().out
    assert "speed-up of the CPU kernels   : 3.00x (median s/step), 4.00x (share" in out
    assert "speed-up over naive CLUB step : 20.0x" in out
    assert "4 GFLOP/s = 50% of the run's best probe" in out


def test_meta_train_a_naive_club_child_runs_naive_steps_and_the_others_steps(monkeypatch, capsys):
    """The naive-club variant's process times --naive_steps steps (it is slow), the others --steps."""
    bench = _module("meta_train_speed")
    got = []
    monkeypatch.setattr(bench, "run_variant", lambda v, steps, *a: got.append((v, steps)) or {})
    for variant in ("naive-club", "ours"):
        monkeypatch.setattr(sys, "argv", ["m.py", "--variant", variant, "--steps", "7", "--naive_steps", "2"])
        bench.main()
    assert got == [("naive-club", 2), ("ours", 7)]


# ------------------------------------------------------------------------------------------- behaviour_sac_speed


def _fake_vector_sac(monkeypatch, update):
    import rlkit.torch.sac.vector_sac as vs

    class Agent:
        def __init__(self, *a):
            self.actor_opt = self.critic_opt = self.alpha_opt = None

        def update(self, batch, step, gens):
            update()

    class Gens:
        def __init__(self, n, seed, device):
            self.n, self.gens = n, []

        def randint(self, high, *shape):
            return torch.randint(high, (self.n, *shape))

    monkeypatch.setattr(vs, "VectorSAC", Agent)
    monkeypatch.setattr(vs, "TaskGenerators", Gens)


def test_behaviour_sac_time_group_reports_median_min_and_the_probes_median_and_best(monkeypatch):
    """time_group times `updates` updates in blocks; min is the fastest, the probes' best their maximum (not the
    last)."""
    bench = _module("behaviour_sac_speed")
    step = _fake_measurement(monkeypatch, bench, [9, 9, 9, 9, 1, 2, 3, 4, 9, 5, 6], [10.0, 50.0, 30.0], 7.0)
    _fake_vector_sac(monkeypatch, step)
    r = bench.time_group(2, 6, block=4)
    assert r == {"n": 2, "median_s": 3.5, "min_s": 1, "flops": 7.0, "median_peak": 30.0, "best_peak": 50.0}


def test_behaviour_sac_cuda_matmul_probe_counts_two_flops_a_multiply_add(monkeypatch):
    """cuda_matmul_probe counts [n, s, s] @ [n, s, s] as 2 n s^3 FLOPs and reports reps of them over the timed
    seconds."""
    bench = _module("behaviour_sac_speed")
    monkeypatch.setattr(torch.cuda, "synchronize", lambda *a: None)
    times = iter([0.0, 2.0])
    monkeypatch.setattr(bench, "time", SimpleNamespace(perf_counter=lambda: next(times)))
    assert bench.cuda_matmul_probe(torch.device("cpu"), n=2, size=4, reps=3) == 2 * 2 * 4**3 * 3 / 2.0


def test_behaviour_sac_eager_vs_captured_reports_updates_per_second_of_each(monkeypatch):
    """eager_vs_captured's answer is updates / seconds, under the right name each."""
    from rlkit.torch import graphs

    bench = _module("behaviour_sac_speed")
    clock = Clock()
    monkeypatch.setattr(bench, "time", clock)
    _fake_vector_sac(monkeypatch, lambda: None)

    class Runner:
        def __init__(self, step, device, capture, generators=(), optimizers=()):
            self.dt = 0.25 if capture else 0.5

        def __call__(self, batch, key):
            clock.advance(self.dt)

    monkeypatch.setattr(graphs, "StepRunner", Runner)
    r = bench.eager_vs_captured(1, 8, torch.device("cpu"), "demo_point")
    assert r == {"eager": 2.0, "captured": 4.0}


def test_behaviour_sac_main_prints_per_task_figures_of_the_median_update(monkeypatch, capsys):
    """A row is ms/update, ms per task, GFLOP per task, GFLOP/s at the median, the median probe, the share, and ms/task
    at the best probe."""
    import rlkit.torch.cpu_kernels as ck

    bench = _module("behaviour_sac_speed")
    monkeypatch.setattr(ck, "keep_freed_memory", lambda: None)
    r = {"n": 2, "median_s": 0.1, "min_s": 0.05, "flops": 4e9, "median_peak": 1e11, "best_peak": 2e11}
    monkeypatch.setattr(bench, "time_group", lambda n, updates, sac_config: r)
    bench.main.main(args=["--tasks", "2", "--updates", "1"], standalone_mode=False)
    row = capsys.readouterr().out.splitlines()[2].split()
    assert row == ["2", "100.0", "50.0", "2.0", "40", "100", "GF", "40%", "10.0"]


def test_behaviour_sac_main_sets_the_threads_asked_for(monkeypatch, capsys):
    """--threads sets torch's threads before timing: the (faked) timing sees the count asked for."""
    import rlkit.torch.cpu_kernels as ck

    bench = _module("behaviour_sac_speed")
    monkeypatch.setattr(ck, "keep_freed_memory", lambda: None)
    r = {"n": 1, "median_s": 0.1, "min_s": 0.05, "flops": 4e9, "median_peak": 1e11, "best_peak": 2e11}
    threads_when_timed = []

    def time_group(n, updates, sac_config):
        threads_when_timed.append(torch.get_num_threads())
        return r

    monkeypatch.setattr(bench, "time_group", time_group)
    before = torch.get_num_threads()
    try:
        bench.main.main(args=["--threads", str(before + 1), "--tasks", "1"], standalone_mode=False)
        assert threads_when_timed == [before + 1]
        assert torch.get_num_threads() == before + 1
    finally:
        torch.set_num_threads(before)
    assert f", {before + 1} threads, CPU" in capsys.readouterr().out


def test_behaviour_sac_device_mode_prints_captured_over_eager(monkeypatch, capsys):
    """--device's ratio is captured / eager updates per second."""
    import rlkit.torch.cpu_kernels as ck

    bench = _module("behaviour_sac_speed")
    monkeypatch.setattr(ck, "keep_freed_memory", lambda: None)
    monkeypatch.setattr(bench, "eager_vs_captured", lambda *a: {"eager": 2.0, "captured": 3.0})
    bench.main.main(args=["--device", "cpu", "--tasks", "4"], standalone_mode=False)
    assert "eager 2.00 updates/s, captured 3.00 updates/s, ratio 1.50x" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------------- paper_cost


def _cost(bench, **kw):
    fields = dict(
        env="e",
        tasks=2,
        stage1_updates=10,
        stage1_env_steps=20,
        stage1_flops_per_update=1e12,
        stage2_steps=100,
        stage2_flops_per_step=1e9,
        t_update_s=0.5,
        t_env_s=0.1,
        t_step2_s=2.0,
    )
    return bench.EnvCost(**(fields | kw))


def test_paper_cost_flops_and_cpu_hours_count_every_task_update_env_step_and_stage2_step():
    """Stage-1 FLOPs are tasks x updates x FLOPs; CPU hours are tasks x (updates x s/update + env steps x s/step) and
    stage-2 steps x s/step, in hours."""
    bench = _module("paper_cost")
    c = _cost(bench)
    assert c.stage1_flops == 2 * 10 * 1e12 and c.stage2_flops == 100 * 1e9
    assert c.cpu_hours == pytest.approx((2 * (10 * 0.5 + 20 * 0.1) / 3600, 100 * 2.0 / 3600))


def test_paper_cost_gpu_hours_take_the_slower_of_the_flops_and_the_measured_floors():
    """A GPU update of all tasks takes at least 1/749 s (launch-bound) or its FLOPs at 1381 GFLOP x 25.9/s; a stage-2
    step at least 3.34 ms or its FLOPs at 38.9 GFLOP per 86% of 3.34 ms; the env steps of every task on the CPU."""
    bench = _module("paper_cost")
    s1_flops_per_s, s2_flops_per_s = 1381e9 * 25.9, 38.9e9 / (0.86 * 3.34e-3)
    big = _cost(bench, stage2_flops_per_step=1e12)  # compute-bound both stages
    s1 = 10 * (2 * 1e12 / s1_flops_per_s) + 2 * 20 * 0.1
    assert big.gpu_hours == pytest.approx((s1 / 3600, 100 * (1e12 / s2_flops_per_s) / 3600))
    small = _cost(bench, stage1_flops_per_update=1e6, stage2_flops_per_step=1e6)  # at the floors
    assert small.gpu_hours == pytest.approx(((10 / 749 + 2 * 20 * 0.1) / 3600, 100 * 3.34e-3 / 3600))


def test_paper_cost_median_time_is_the_median_of_the_timed_calls_after_one_warm_up(monkeypatch):
    """_median_time is the median, not the fastest."""
    bench = _module("paper_cost")
    clock = Clock()
    monkeypatch.setattr(bench, "time", clock)
    left = iter([100.0, 1.0, 5.0, 2.0])
    assert bench._median_time(lambda: clock.advance(next(left)), 3) == 2.0


def test_paper_cost_stage1_counts_the_trained_updates_and_every_env_step_of_training_and_rollouts(monkeypatch):
    """Updates per task are the steps after the seed steps; env steps are the training steps plus, per checkpoint, the
    stochastic and deterministic episodes of `horizon` steps."""
    import rlkit.torch.flops as fl
    from rlkit.behaviour import load_sac_config
    from rlkit.tasks import make_env

    bench = _module("paper_cost")
    _fake_vector_sac(monkeypatch, lambda: None)
    monkeypatch.setattr(fl, "count_flops", lambda fn: 7)
    monkeypatch.setattr(bench, "_median_time", lambda fn, reps: 0.25)
    monkeypatch.setattr(bench, "_env_step_time", lambda env: 0.125)
    env = make_env("point-robot", n_tasks=2, max_episode_steps=20)
    updates, env_steps, flops, t_update, t_env = bench.stage1_cost("point-robot", env, 20, 1)
    s = load_sac_config("train_point", []).schedule
    checkpoints = len(s.expected_checkpoints(20))
    assert checkpoints > 0 and s.num_eval_episodes > 0 and s.num_eval_sample_episodes > 0 and s.num_seed_steps > 0
    assert updates == s.num_train_steps - s.num_seed_steps
    assert env_steps == s.num_train_steps + checkpoints * (s.num_eval_episodes + s.num_eval_sample_episodes) * 20
    assert (flops, t_update, t_env) == (7, 0.25, 0.125)


def test_paper_cost_env_cost_takes_the_envs_tasks_and_every_stage2_step(monkeypatch):
    """An env's cost counts its n_tasks tasks and num_iterations x num_train_steps_per_itr stage-2 steps."""
    import rlkit.budget as budget
    import rlkit.torch.flops as fl
    from rlkit.config import load_config

    bench = _module("paper_cost")
    monkeypatch.setattr(bench, "stage1_cost", lambda *a: (11, 22, 33, 0.4, 0.5))
    monkeypatch.setattr(budget, "synthetic_step", lambda cfg, n_tasks, transitions: lambda: None)
    monkeypatch.setattr(fl, "count_flops", lambda fn: 44)
    monkeypatch.setattr(bench, "_median_time", lambda fn, reps: 0.6)
    path = bench.ROOT / "configs" / "point-robot.json"
    cfg = load_config(path)
    a = cfg.algo_params
    c = bench.env_cost(path, 1)
    assert cfg.env_params.n_tasks != a.meta_batch and a.num_train_steps_per_itr > 1
    assert c == bench.EnvCost(
        "point-robot",
        cfg.env_params.n_tasks,
        11,
        22,
        33,
        a.num_iterations * a.num_train_steps_per_itr,
        44,
        0.4,
        0.5,
        0.6,
    )


def test_paper_cost_table_row_holds_the_cpu_then_the_gpu_hours_and_microseconds_an_env_step():
    """The table's CPU hours column is cpu_hours (summed), the GPU one gpu_hours; the env step in microseconds."""
    bench = _module("paper_cost")
    c = _cost(
        bench,
        tasks=1,
        stage1_updates=36000,
        stage1_env_steps=0,
        t_update_s=1.0,
        t_env_s=2.5e-5,
        stage2_steps=72000,
        t_step2_s=1.0,
        stage1_flops_per_update=1e6,
        stage2_flops_per_step=1e6,
    )
    # CPU: 36000 s + 72000 s = 10 h + 20 h; GPU: 36000 / 749 s = 0.01 h, 72000 x 3.34 ms = 0.07 h
    row = bench.table([c], 1e9).splitlines()[2]
    assert row == "| e | 1 | 0.0 | 0.0 | 1.000 | 25 | 1.000 | 10 + 20 = 30 | 0.0 + 0.1 = 0.1 |"


# -------------------------------------------------------------------------------------------------- dataset_load


def test_dataset_load_rss_is_statms_resident_pages_in_mebibytes(monkeypatch):
    """rss_mb reads /proc/self/statm's second field (resident pages), not the first (virtual size)."""
    bench = _module("dataset_load")
    monkeypatch.setattr(bench, "open", lambda path: io.StringIO("9999 256 3 4 5 6 7\n"), raising=False)
    assert bench.rss_mb() == 256 * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_dataset_load_ours_counts_the_rows_of_both_splits(monkeypatch):
    """load_ours reports the train and the test buffers' rows together."""
    import rlkit.experiment as ex

    bench = _module("dataset_load")
    monkeypatch.setattr(ex, "load_buffers", lambda *a: ([0] * 3, [0] * 5))
    assert bench.load_ours(Path("/nowhere"))[1] == 8


def test_dataset_load_reference_loader_reads_each_splits_own_tasks_and_counts_both(monkeypatch, tmp_path):
    """The reference's loader reads the train tasks' files of train_epoch and the eval tasks' of eval_epoch, and counts
    the transitions of both."""
    import rlkit.config as config

    bench = _module("dataset_load")
    real = config.load_config
    small = {
        "n_train_tasks": 2,
        "n_eval_tasks": 1,
        "env_params": {"n_tasks": 3},
        "algo_params": {"train_epoch": [0, 2, 1], "eval_epoch": [0, 1, 1], "n_trj": 2, "meta_batch": 2},
    }
    monkeypatch.setattr(config, "load_config", lambda path, overrides=None: real(path, small))
    for i in range(3):
        (tmp_path / f"goal_idx{i}").mkdir()
        for j in range(2):
            for k in range(2):
                rows = np.empty((4, 4), dtype=object)
                for r in range(4):
                    rows[r] = [np.zeros(2), np.zeros(2), 0.0, np.zeros(2)]
                np.save(tmp_path / f"goal_idx{i}" / f"trj_evalsample{k}_step{j}.npy", rows, allow_pickle=True)
    # train: tasks 0, 1 x checkpoints 0, 1 x 2 episodes x 4 rows; eval: task 2 x checkpoint 0 x 2 x 4
    assert bench.load_reference(tmp_path)[1] == 2 * 2 * 2 * 4 + 1 * 1 * 2 * 4


def test_dataset_load_child_measures_growth_from_the_larger_of_the_rss_and_the_peak_so_far(monkeypatch, capsys):
    """The growth's base is max(current RSS, peak so far)."""
    import rlkit.cli as cli

    bench = _module("dataset_load")
    monkeypatch.setattr(bench, "rss_mb", lambda: 100.0)
    peaks = iter([150.0, 400.0])
    monkeypatch.setattr(cli, "peak_rss_mb", lambda: next(peaks))
    monkeypatch.setattr(bench, "load_ours", lambda path: (1.0, 10))
    bench.child("ours", "/nowhere")
    m = json.loads(capsys.readouterr().out)
    assert m == {"seconds": 1.0, "rows": 10, "peak_rss_mb": 400.0, "rss_before_mb": 150.0}


def test_dataset_load_layout_source_changes_when_a_file_is_written_again_at_the_same_size(tmp_path):
    """The exported layout's marker digests the files' modification times too."""
    bench = _module("dataset_load")
    (tmp_path / "goal_idx0").mkdir()
    f = tmp_path / "goal_idx0" / "step2000.npz"
    f.write_bytes(b"abcd")
    first = bench.layout_source(tmp_path)
    assert bench.layout_source(tmp_path) == first
    f.write_bytes(b"wxyz")
    os.utime(f, ns=(10**18, 10**18))
    assert bench.layout_source(tmp_path) != first


def test_dataset_load_main_exports_once_per_dataset_and_prints_the_medians_ratios(monkeypatch, tmp_path, capsys):
    """The reference layout is exported when it has no marker or another dataset's, not again for the same one; the
    speed-up is reference / ours median seconds, the memory ratio reference / ours median growth."""
    import rlkit.data.legacy as legacy

    bench = _module("dataset_load")

    def synthesize(ours):
        (ours / "goal_idx39").mkdir(parents=True)
        (ours / "goal_idx39" / "task.json").write_text("{}")

    exports = []

    def export(src, dst):
        exports.append(src)
        (dst / "goal_idx0").mkdir(parents=True)
        (dst / "goal_idx0" / "trj_evalsample0_step2200.npy").write_text("")

    seconds = {"reference": [4.0, 6.0], "ours": [0.1, 0.3]}
    peaks = {"reference": [300.0, 500.0], "ours": [120.0, 140.0]}

    def measure(which, path):
        return {"seconds": seconds[which].pop(0), "rows": 1, "peak_rss_mb": peaks[which].pop(0), "rss_before_mb": 100}

    monkeypatch.setattr(bench, "synthesize", synthesize)
    monkeypatch.setattr(legacy, "export_legacy", export)
    monkeypatch.setattr(bench, "measure", measure)
    bench.main.main(args=["--work", str(tmp_path), "--rounds", "2"], standalone_mode=False)
    out = capsys.readouterr().out
    assert "speed-up (reference / ours): 25.0x (target >= 20x); memory ratio: 10.0x" in out
    assert len(exports) == 1
    seconds, peaks = {"reference": [1.0], "ours": [1.0]}, {"reference": [101.0], "ours": [101.0]}
    bench.main.main(args=["--work", str(tmp_path), "--rounds", "1"], standalone_mode=False)
    assert len(exports) == 1  # the same dataset: its export kept


def test_dataset_load_synthesises_40_tasks_of_checkpoints_2000_to_4800(monkeypatch, tmp_path):
    """synthesize writes the faithful shape: 40 tasks, checkpoints 2000..4800 every 200, 50 stochastic + 1 deterministic
    episodes of 20 steps a checkpoint."""
    import rlkit.data.meta as meta
    import rlkit.data.npz as npz

    bench = _module("dataset_load")
    written, metas = [], []
    monkeypatch.setattr(npz, "write_checkpoint", lambda d, c, parts: written.append((d.name, c, parts)))
    monkeypatch.setattr(meta, "write_task_meta", lambda d, m: metas.append(m))
    bench.synthesize(tmp_path)
    steps = [2000 + 200 * i for i in range(15)]
    assert [(d, c) for d, c, _ in written] == [(f"goal_idx{t}", c) for t in range(40) for c in steps]
    assert all(m["checkpoints"] == steps for m in metas) and len(metas) == 40
    parts = written[0][2]
    assert parts["sample"].n_traj == 50 and parts["eval"].n_traj == 1 and len(parts["sample"].obs) == 50 * 20


# ------------------------------------------------------------------------------------------- stage2_load_memory


def test_the_load_memory_child_estimates_with_one_training_tasks_arrays_and_grows_from_the_larger_base(
    tmp_path, capsys, monkeypatch
):
    """With 2 training tasks, the rule adds twice ONE training task's arrays (the training split's over n_train), and
    the growth is measured from max(VmRSS, peak so far)."""
    import rlkit.cli as cli
    from rlkit.data.load import load_task_data

    bench = _module("stage2_load_memory")
    bench.synthesize("point-robot", tmp_path, 3)
    monkeypatch.setattr(bench, "open", lambda path: io.StringIO("VmHWM:\t 1 kB\nVmRSS:\t  102400 kB\n"), raising=False)
    peaks = iter([150.0, 400.0])
    monkeypatch.setattr(cli, "peak_rss_mb", lambda: next(peaks))
    bench.child("point-robot", str(tmp_path), 2, 1)
    m = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert m["rss_before_mb"] == 150.0 and m["growth_mb"] == 250.0
    a = bench._config("point-robot").algo_params
    one = load_task_data(tmp_path, 0, range(*a.train_epoch), a.data_kind, a.n_trj, "point-robot", 2, 2)
    one_bytes = sum(getattr(one, f).nbytes for f in ("obs", "actions", "rewards", "next_obs", "terminals"))
    assert m["estimate_mb"] * 2**20 == pytest.approx(m["buffers_mb"] * 2**20 + 2 * one_bytes)


def test_the_load_memory_benchmark_takes_all_the_envs_tasks_reuses_its_data_and_prints_growth_over_rule(
    monkeypatch, tmp_path, capsys
):
    """--train + --test may be exactly the env's task count; an existing dataset of that many tasks is reused; the ratio
    is the median growth over the first round's estimate."""
    import rlkit.cli as cli

    bench = _module("stage2_load_memory")
    task = tmp_path / "point-robot-40-tasks" / "goal_idx39"
    task.mkdir(parents=True)
    (task / "task.json").write_text("{}")
    monkeypatch.setattr(bench, "synthesize", lambda *a: pytest.fail("synthesised again"))
    rounds = iter(
        [
            {
                "seconds": 1,
                "transitions": 1,
                "files_mb": 1,
                "growth_mb": 100.0,
                "rss_before_mb": 1,
                "buffers_mb": 50.0,
                "estimate_mb": 80.0,
            },
            {
                "seconds": 1,
                "transitions": 1,
                "files_mb": 1,
                "growth_mb": 300.0,
                "rss_before_mb": 1,
                "buffers_mb": 50.0,
                "estimate_mb": 90.0,
            },
        ]
    )
    monkeypatch.setattr(cli, "child_json", lambda args, what, env=None: next(rounds))
    args = ["--env", "point-robot", "--train", "38", "--test", "2", "--work", str(tmp_path), "--rounds", "2"]
    bench.main.main(args=args, standalone_mode=False)
    out = capsys.readouterr().out
    assert "median growth 200 MiB; the docs' rule before its 1.0x: 80 MiB; measured / rule 2.50x" in out


# --------------------------------------------------------------------------------------------- regenerate_memory


def test_regenerate_memory_peak_is_vmhwm_in_mebibytes(monkeypatch):
    """The benchmark's own peak_rss_mb reads VmHWM (the peak), not VmRSS."""
    bench = _module("regenerate_memory")
    status = "Name:\tpython\nVmHWM:\t    3072 kB\nVmRSS:\t    1024 kB\n"
    monkeypatch.setattr(bench, "open", lambda path: io.StringIO(status), raising=False)
    assert bench.peak_rss_mb() == 3.0


def test_regenerate_memory_synthesises_checkpoints_100_to_100n(monkeypatch, tmp_path):
    """synthesize writes N network files at checkpoints 100, 200, ..., 100 N (none at step 0)."""
    import rlkit.data.meta as meta
    import rlkit.data.networks as networks

    bench = _module("regenerate_memory")
    steps, metas = [], []
    monkeypatch.setattr(networks, "write_networks", lambda tdir, c, state, extra: steps.append(c))
    monkeypatch.setattr(meta, "write_task_meta", lambda tdir, m: metas.append(m))
    _fake_vector_sac(monkeypatch, lambda: None)  # (no full-size networks: their files are not written)
    vs = sys.modules["rlkit.torch.sac.vector_sac"]
    monkeypatch.setattr(vs.VectorSAC, "task_state", lambda self, i: {}, raising=False)
    bench.synthesize(tmp_path, 3)
    assert steps == [100, 200, 300] and metas[0]["checkpoints"] == [100, 200, 300]


def test_regenerate_memory_measure_runs_the_child_on_the_codes_rlkit_and_checks_it(monkeypatch, tmp_path):
    """The child's PYTHONPATH starts with --code's checkout, and an answer from another rlkit is refused."""
    import rlkit.cli as cli
    from rlkit.errors import UserError

    bench = _module("regenerate_memory")
    (tmp_path / "rlkit").mkdir()
    envs, answers = [], [str(tmp_path / "rlkit"), "/elsewhere/rlkit"]
    monkeypatch.setattr(cli, "child_json", lambda args, what, env: envs.append(env) or {"rlkit": answers.pop(0)})
    assert bench.measure(tmp_path / "data", tmp_path)["rlkit"] == str(tmp_path / "rlkit")
    assert envs[0]["PYTHONPATH"].split(os.pathsep)[0] == str(tmp_path) and envs[0]["OMP_NUM_THREADS"] == "1"
    with pytest.raises(UserError, match="not from that checkout"):
        bench.measure(tmp_path / "data", tmp_path)


def test_regenerate_memory_main_clears_earlier_extras_checks_the_count_and_prints_the_growth(
    monkeypatch, tmp_path, capsys
):
    """A rerun's step*_extra.npz are removed first, fewer files than networks are refused, and the growth printed is the
    peak minus the peak after imports."""
    from rlkit.errors import UserError

    bench = _module("regenerate_memory")

    def synthesize(data_dir, n):
        (data_dir / "goal_idx0").mkdir(parents=True)
        (data_dir / "goal_idx0" / "task.json").write_text("{}")
        (data_dir / "goal_idx0" / "step100_extra.npz").write_text("old")

    files = [2, 1]
    stale = []

    def measure(data_dir, code):
        stale.append(sorted(p.name for p in (data_dir / "goal_idx0").glob("step*_extra.npz")))
        return {"files": files.pop(0), "peak_rss_mb": 500.0, "peak_rss_after_imports_mb": 200.0}

    monkeypatch.setattr(bench, "synthesize", synthesize)
    monkeypatch.setattr(bench, "measure", measure)
    bench.main.main(args=["--work", str(tmp_path), "--networks", "2"], standalone_mode=False)
    assert stale == [[]]
    assert "2 networks (2 files written): peak RSS 500 MB, +300 MB over the peak after imports (200 MB)" in (
        capsys.readouterr().out
    )
    with pytest.raises(UserError, match="1 files regenerated, expected 2"):
        bench.main.main(args=["--work", str(tmp_path), "--networks", "2"], standalone_mode=False)


# ------------------------------------------------------------------------------------------------------ scale_out


class FakeRay:
    """Ray's module as the scale-out benchmark uses it, in this process: `init` tells `on_init` its CPUs, a remote
    call returns the next pid, `get` hands the refs back."""

    def __init__(self, on_init):
        self.on_init, self.pids = on_init, iter(range(100))

    def init(self, num_cpus, **kw):
        self.on_init(num_cpus)

    def remote(self, num_cpus):
        return lambda fn: SimpleNamespace(remote=lambda: next(self.pids))

    def get(self, refs):
        return refs

    def shutdown(self):
        pass


def test_scale_out_reports_two_workers_speed_up_and_rays_overhead_from_the_timed_generation(
    monkeypatch, tmp_path, capsys
):
    """Ray starts with as many CPUs as workers, its start-up is left out of the timing; speed-up = 1 worker / 2 workers,
    overhead = 1 worker / plain - 1; each round's datasets are compared with that round's plain one."""
    import rlkit.behaviour as behaviour
    import rlkit.cluster.behaviour as cb
    import rlkit.cluster.engine as engine

    bench = _module("scale_out")
    clock = Clock()
    monkeypatch.setattr(bench, "time", clock)
    monkeypatch.setattr(bench.tempfile, "mkdtemp", lambda prefix: str(tmp_path))
    monkeypatch.setattr(bench, "_warm_up", lambda: 0)
    inits = []

    def write(data_dir):  # the same data within a round, another in each round
        (data_dir / "goal_idx0").mkdir(parents=True)
        round_ = data_dir.name.rsplit("_", 1)[1]
        (data_dir / "goal_idx0" / "task.json").write_text(json.dumps({"written": data_dir.name, "round": round_}))

    def started(num_cpus):
        inits.append(num_cpus)
        clock.advance(3.0)

    def generate(env_name, env_params, data_dir, tasks, sac_config, b, device, capture):
        clock.advance(10.0 if b.tasks_per_group == 1 else 5.0)
        write(data_dir)

    def on_ray(env_name, env_params, data_dir, tasks, sac_config, b, opts, out):
        clock.advance(11.0 if inits[-1] == 1 else 6.0)
        write(data_dir)
        return [SimpleNamespace(seconds=1.0)]

    monkeypatch.setattr(engine, "require_ray", lambda what: FakeRay(started))
    monkeypatch.setattr(behaviour, "generate_dataset", generate)
    monkeypatch.setattr(cb, "generate_on_ray", on_ray)
    monkeypatch.setattr(sys, "argv", ["scale_out.py", "--tasks", "2", "--steps", "200", "--rounds", "2"])
    threads = torch.get_num_threads()
    try:
        bench.main()
    finally:
        torch.set_num_threads(threads)
    out = capsys.readouterr().out
    assert sorted(inits) == [1, 1, 2, 2]
    assert "speed-up, 2 Ray workers over 1:          1.83x" in out
    assert "Ray overhead at 1 worker over plain:     +10.0%" in out
    assert "(workers busy 1.0 s; +3.0 s to start Ray and its workers, once)" in out  # (each figure in its place)


def test_scale_out_warm_up_trains_its_throwaway_task_to_the_end(monkeypatch):
    """_warm_up runs segments until the task is done (a segment's state None), passing each on."""
    import rlkit.behaviour.generate as gen

    bench = _module("scale_out")
    states = []

    def segment(spec, task, state):
        states.append(state)
        return SimpleNamespace(state=None if len(states) == 3 else f"s{len(states)}")

    monkeypatch.setattr(gen, "train_segment", segment)
    threads = torch.get_num_threads()
    try:
        assert bench._warm_up() == os.getpid()
    finally:
        torch.set_num_threads(threads)
    assert states == [None, "s1", "s2"]


# ------------------------------------------------------------------------------------------------------ env_speed


class _Space:
    def __init__(self, low, high, dim):
        self.low, self.high, self.shape = np.full(dim, low), np.full(dim, high), (dim,)


def test_env_speed_steps_per_second_is_actions_over_seconds(monkeypatch):
    """The rate is steps per second, not seconds per step."""
    bench = _module("env_speed")
    clock = Clock()
    monkeypatch.setattr(bench, "time", clock)
    env = SimpleNamespace(
        reset=lambda **k: None,
        step=lambda a: clock.advance(0.01),
        unwrapped=SimpleNamespace(data=SimpleNamespace(qpos=np.zeros(2))),
    )
    rate, _ = bench.steps_per_second(env, np.zeros((50, 2)))
    assert rate == pytest.approx(100.0)
    resets = []  # every 200 steps, not after the last: the first reset, then after steps 200 and 400 of 450
    env.reset = lambda **k: resets.append(k)
    bench.steps_per_second(env, np.zeros((450, 2)))
    assert resets == [{"seed": 0}, {}, {}]


def test_env_speed_main_prints_the_best_rates_time_ratio_the_physics_check_and_the_worst_ratio(monkeypatch, capsys):
    """The plain env gets the actions rescaled to its bounds; the ratio is the best plain rate over the best of ours
    (time per step, ours / gymnasium); 'same physics' compares the two final states; the summary is the worst (largest)
    ratio."""
    bench = _module("env_speed")
    monkeypatch.setattr(bench, "BODIES", {"fam-a": ("A-v5", "a.xml"), "fam-b": ("B-v5", "b.xml")})
    unwrapped = SimpleNamespace(model=SimpleNamespace(opt=SimpleNamespace(timestep=0.01)), frame_skip=5)
    ours_env = SimpleNamespace(kind="ours", action_space=_Space(-1, 1, 2), unwrapped=unwrapped)
    plain_env = SimpleNamespace(kind="plain", action_space=_Space(-2, 4, 2), unwrapped=unwrapped)
    monkeypatch.setattr(bench, "ours", lambda name: ours_env)
    monkeypatch.setattr(bench, "plain", lambda name, timestep: plain_env)
    rates = {
        ("fam-a", "ours"): [80, 100],
        ("fam-a", "plain"): [110, 120],
        ("fam-b", "ours"): [50, 40],
        ("fam-b", "plain"): [50, 45],
    }
    family, actions = iter(["fam-a"] * 4 + ["fam-b"] * 4), {}

    def sps(env, acts):
        f = next(family)
        actions[env.kind] = acts
        q = np.zeros(2) if env.kind == "ours" or f == "fam-a" else np.ones(2)
        return rates[(f, env.kind)].pop(0), q

    monkeypatch.setattr(bench, "steps_per_second", sps)
    bench.main.main(args=["--steps", "3", "--rounds", "2"], standalone_mode=False)
    lines = capsys.readouterr().out.splitlines()
    np.testing.assert_allclose(actions["plain"], -2 + (actions["ours"] + 1) * 3)
    assert lines[1].split()[-2:] == ["1.200", "True"] and lines[2].split()[-2:] == ["1.000", "False"]
    assert lines[3] == "worst time ratio (ours / gymnasium): 1.200  (target <= 1.10)"


# ------------------------------ more checks of the benchmarks above (refusals, atomic writes, what they print)


def test_env_speed_same_physics_is_false_for_a_state_off_by_a_thousandth(monkeypatch, capsys):
    """'same physics' is the strict check (rtol 1e-6, atol 1e-8): final states 1e-3 apart are not the same."""
    bench = _module("env_speed")
    monkeypatch.setattr(bench, "BODIES", {"fam-a": ("A-v5", "a.xml")})
    unwrapped = SimpleNamespace(model=SimpleNamespace(opt=SimpleNamespace(timestep=0.01)), frame_skip=5)
    ours_env = SimpleNamespace(kind="ours", action_space=_Space(-1, 1, 2), unwrapped=unwrapped)
    plain_env = SimpleNamespace(kind="plain", action_space=_Space(-1, 1, 2), unwrapped=unwrapped)
    monkeypatch.setattr(bench, "ours", lambda name: ours_env)
    monkeypatch.setattr(bench, "plain", lambda name, timestep: plain_env)
    monkeypatch.setattr(
        bench, "steps_per_second", lambda env, acts: (100, np.zeros(2) if env.kind == "ours" else np.full(2, 1e-3))
    )
    bench.main.main(args=["--steps", "3", "--rounds", "1"], standalone_mode=False)
    assert capsys.readouterr().out.splitlines()[1].split()[-1] == "False"


def test_the_load_memory_child_loads_the_tasks_after_the_training_ones_as_its_test_split(tmp_path, monkeypatch, capsys):
    """--train 2 --test 1 loads tasks 0, 1 for training and task 2 (not task 0 again) for the test split."""
    import rlkit.experiment as experiment

    bench = _module("stage2_load_memory")
    splits = []

    def load_buffers(cfg, train, test, *rest):
        splits.append((list(train), list(test)))
        raise SystemExit(0)

    monkeypatch.setattr(experiment, "load_buffers", load_buffers)
    with pytest.raises(SystemExit):
        bench.child("point-robot", str(tmp_path), 2, 1)
    assert splits == [([0, 1], [2])]


def _regenerate_main(monkeypatch, tmp_path, files: int, networks: str = "2", code=None):
    bench = _module("regenerate_memory")

    def synthesize(data_dir, n):
        (data_dir / "goal_idx0").mkdir(parents=True)
        (data_dir / "goal_idx0" / "task.json").write_text("{}")

    monkeypatch.setattr(bench, "synthesize", synthesize)
    monkeypatch.setattr(
        bench, "measure", lambda d, c: {"files": files, "peak_rss_mb": 5.0, "peak_rss_after_imports_mb": 2.0}
    )
    args = ["--work", str(tmp_path / "work"), "--networks", networks] + (["--code", str(code)] if code else [])
    bench.main.main(args=args, standalone_mode=False)


def test_regenerate_memory_refuses_more_files_than_networks(monkeypatch, tmp_path):
    """The count must be exactly one file per network: 3 files from 2 networks is refused, not printed."""
    with pytest.raises(UserError, match=r"3 files regenerated, expected 2 \(one per network\)"):
        _regenerate_main(monkeypatch, tmp_path, files=3)


def test_regenerate_memory_refuses_a_code_folder_without_rlkit_before_synthesising(monkeypatch, tmp_path):
    (tmp_path / "other").mkdir()
    with pytest.raises(UserError, match=r"^--code '.*other' has no rlkit/__init__.py: expected a checkout"):
        _regenerate_main(monkeypatch, tmp_path, files=2, code=tmp_path / "other")
    assert not (tmp_path / "work").exists()


def test_regenerate_memory_refuses_zero_networks(monkeypatch, tmp_path):
    with pytest.raises(UserError, match=r"^--networks '0': 0 is below 1"):
        _regenerate_main(monkeypatch, tmp_path, files=0, networks="0")
    assert not (tmp_path / "work").exists()


def test_regenerate_memory_child_rolls_out_one_episode_per_checkpoint_over_every_saved_one(monkeypatch, capsys):
    """The measurement the docstring states: one episode (n_trj=1) per checkpoint, every checkpoint, --overwrite."""
    import rlkit.behaviour.regenerate as regen

    bench = _module("regenerate_memory")
    calls = []
    monkeypatch.setattr(regen, "regenerate", lambda *a, **k: calls.append(k) or ["a", "b"])
    bench.child("/nowhere")
    assert json.loads(capsys.readouterr().out)["files"] == 2
    assert {k: calls[0][k] for k in ("n_trj", "checkpoints", "seed", "overwrite")} == {
        "n_trj": 1,
        "checkpoints": None,
        "seed": 0,
        "overwrite": True,
    }


def test_dataset_load_refuses_a_data_dir_without_40_tasks_and_writes_nothing_into_it(tmp_path, monkeypatch):
    """--data_dir is the user's dataset: one without goal_idx39/task.json is refused, not synthesised into."""
    bench = _module("dataset_load")
    monkeypatch.setattr(bench, "synthesize", lambda ours: pytest.fail(f"synthesised into {ours}"))
    given = tmp_path / "mine"
    given.mkdir()
    with pytest.raises(UserError, match=r"^--data_dir '.*mine' has no goal_idx39/task.json: expected a 40-task"):
        bench.main.main(args=["--work", str(tmp_path / "work"), "--data_dir", str(given)], standalone_mode=False)
    assert list(given.iterdir()) == []


def _dataset_load_main(monkeypatch, tmp_path, written=None):
    import rlkit.data.legacy as legacy
    import rlkit.fileio as fileio

    bench = _module("dataset_load")
    ours = tmp_path / "ours-chained" / "goal_idx39"
    ours.mkdir(parents=True)
    (ours / "task.json").write_text("{}")

    def export(src, dst):
        (dst / "goal_idx0").mkdir(parents=True, exist_ok=True)
        (dst / "goal_idx0" / "trj_evalsample0_step2200.npy").write_text("")

    monkeypatch.setattr(legacy, "export_legacy", export)
    if written is not None:
        monkeypatch.setattr(fileio, "atomic_write_text", lambda path, text: written.append((Path(path), text)))
    monkeypatch.setattr(
        bench, "measure", lambda which, path: {"seconds": 1.0, "rows": 1, "peak_rss_mb": 2.0, "rss_before_mb": 1.0}
    )
    bench.main.main(args=["--work", str(tmp_path), "--rounds", "1"], standalone_mode=False)
    return bench


def test_dataset_load_writes_its_export_marker_atomically(monkeypatch, tmp_path, capsys):
    """The marker says which dataset the reference layout is of: written in place, a kill halfway leaves a marker
    that is not JSON, and the next run fails reading it."""
    written = []
    bench = _dataset_load_main(monkeypatch, tmp_path, written)
    marker = tmp_path / "reference-layout" / "exported-from.json"
    assert written == [(marker, json.dumps(bench.layout_source(tmp_path / "ours-chained")) + "\n")]


def test_dataset_load_clears_another_datasets_export_before_exporting(monkeypatch, tmp_path, capsys):
    """A reference layout exported from another dataset is removed first: its files would be counted (and read)."""
    stale = tmp_path / "reference-layout" / "goal_idx7"
    stale.mkdir(parents=True)
    (stale / "trj_evalsample0_step2200.npy").write_text("")
    (tmp_path / "reference-layout" / "exported-from.json").write_text('{"source": "elsewhere"}\n')
    _dataset_load_main(monkeypatch, tmp_path)
    assert not stale.exists()
    assert "reference layout: 1 stochastic-episode files" in capsys.readouterr().out


def test_behaviour_sac_device_cuda_without_cuda_is_refused(monkeypatch):
    bench = _module("behaviour_sac_speed")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(bench, "eager_vs_captured", lambda *a: pytest.fail("timed without CUDA"))
    with pytest.raises(UserError, match=r"^--device cuda, but this torch \(.*\) sees no CUDA device"):
        bench.main.main(args=["--device", "cuda", "--tasks", "1"], standalone_mode=False)


def test_behaviour_sac_refuses_a_group_of_zero_tasks_before_timing(monkeypatch):
    bench = _module("behaviour_sac_speed")
    monkeypatch.setattr(bench, "time_group", lambda *a, **k: pytest.fail("timed a group of 0 tasks"))
    with pytest.raises(UserError, match=r"^--tasks '1,0': 0 is below 1"):
        bench.main.main(args=["--tasks", "1,0"], standalone_mode=False)


@pytest.mark.parametrize("sac_config,target", [("train_point", True), ("demo_point", False)])
def test_behaviour_sac_prints_the_70_ms_target_for_train_point_only(monkeypatch, capsys, sac_config, target):
    """The target (and the reference's 141 ms) are train_point's: another config's figures are not compared."""
    import rlkit.torch.cpu_kernels as ck

    bench = _module("behaviour_sac_speed")
    monkeypatch.setattr(ck, "keep_freed_memory", lambda: None)
    r = {"n": 1, "median_s": 0.1, "min_s": 0.05, "flops": 4e9, "median_peak": 1e11, "best_peak": 2e11}
    monkeypatch.setattr(bench, "time_group", lambda n, updates, sac_config: r)
    bench.main.main(args=["--tasks", "1", "--sac_config", sac_config], standalone_mode=False)
    assert ("target: <= 70 ms per update per task" in capsys.readouterr().out) == target


def test_meta_train_device_cuda_without_cuda_is_one_line_and_exit_2(monkeypatch, capsys):
    bench = _module("meta_train_speed")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(sys, "argv", ["meta_train_speed.py", "--device", "cuda"])
    monkeypatch.setattr(bench, "capture_main", lambda args: pytest.fail("ran without CUDA"))
    with pytest.raises(SystemExit) as exit_:
        bench.main()
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and len(err) == 1 and err[0].startswith("error: --device cuda, but this torch")


def test_paper_cost_env_step_time_is_seconds_per_step(monkeypatch):
    """t_env_s is one env step's time (the table's 'us / env step'), not the 300 steps' total."""
    bench = _module("paper_cost")
    clock = Clock()
    monkeypatch.setattr(bench, "time", clock)
    env = SimpleNamespace(
        reset=lambda **k: None,
        step=lambda a: clock.advance(0.002) or (None, 0.0, False, False, {}),
        action_space=SimpleNamespace(low=np.full(2, -1.0), high=np.full(2, 1.0), shape=(2,), dtype=np.float32),
    )
    assert bench._env_step_time(env, steps=300) == pytest.approx(0.002)


def test_paper_cost_writes_its_markdown_table_atomically(monkeypatch, tmp_path, capsys):
    """--markdown's table goes through atomic_write_text: an hour of measurements is not left half-written."""
    import rlkit.fileio as fileio
    import rlkit.torch.flops as fl

    bench = _module("paper_cost")
    written = []
    monkeypatch.setattr(fileio, "atomic_write_text", lambda path, text: written.append((Path(path), text)))
    monkeypatch.setattr(bench, "env_cost", lambda path, reps: _cost(bench))
    monkeypatch.setattr(fl, "MatmulProbe", lambda: Probe([1e11]))
    target = tmp_path / "t.md"
    bench.main.main(args=["--envs", "point-robot", "--markdown", str(target)], standalone_mode=False)
    assert written == [(target, bench.table([_cost(bench)], 1e11) + "\n")] and not target.exists()


def test_paper_cost_measures_an_env_given_twice_once(monkeypatch, capsys):
    """`--envs point-robot,point-robot` is point-robot's row once (the repeat dropped), not a refusal."""
    import rlkit.torch.flops as fl

    bench = _module("paper_cost")
    measured = []
    monkeypatch.setattr(bench, "env_cost", lambda path, reps: measured.append(path.name) or _cost(bench))
    monkeypatch.setattr(fl, "MatmulProbe", lambda: Probe([1e11]))
    bench.main.main(args=["--envs", "point-robot,point-robot"], standalone_mode=False)
    assert len(measured) == 1


def test_scale_out_refuses_a_ray_dataset_that_differs_from_the_plain_one(monkeypatch, tmp_path, capsys):
    """The timings compare like with like only where every dataset equals the plain command's: one that differs
    (here Ray's 2 workers') stops the benchmark naming the variant, before the ratios are printed."""
    import rlkit.behaviour as behaviour
    import rlkit.cluster.behaviour as cb
    import rlkit.cluster.engine as engine

    bench = _module("scale_out")
    monkeypatch.setattr(bench.tempfile, "mkdtemp", lambda prefix: str(tmp_path))
    monkeypatch.setattr(bench, "_warm_up", lambda: 0)
    workers = []

    def write(data_dir, value):
        (data_dir / "goal_idx0").mkdir(parents=True)
        (data_dir / "goal_idx0" / "task.json").write_text(json.dumps({"written": 0, "value": value}))

    def on_ray(env_name, env_params, data_dir, tasks, sac_config, b, opts, out):
        write(data_dir, workers[-1])  # 2 workers write other data than the plain command
        return [SimpleNamespace(seconds=1.0)]

    monkeypatch.setattr(engine, "require_ray", lambda what: FakeRay(workers.append))
    monkeypatch.setattr(behaviour, "generate_dataset", lambda e, p, data_dir, *a: write(data_dir, 1))
    monkeypatch.setattr(cb, "generate_on_ray", on_ray)
    monkeypatch.setattr(sys, "argv", ["scale_out.py", "--tasks", "2", "--steps", "200", "--rounds", "1"])
    threads = torch.get_num_threads()
    try:
        with pytest.raises(SystemExit, match=r"^Ray, 2 workers: the dataset differs from the plain command's$"):
            bench.main()
    finally:
        torch.set_num_threads(threads)
    assert "speed-up" not in capsys.readouterr().out
