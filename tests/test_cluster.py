"""Scale-out (rlkit.cluster): --seeds/--sweep, and both stages on a local Ray instance, with a worker
killed mid-task: the results must equal the single-machine ones."""

import importlib.util
import io
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import click
import pandas as pd
import pytest
import torch
from click.testing import CliRunner

import rlkit.cluster.engine as engine
from rlkit.cluster.engine import (
    Chain,
    ClusterOptions,
    JobRecord,
    SegmentResult,
    WorkerContext,
    capacity,
    drive,
    finish,
    summary_table,
    task_resources,
    task_slots,
)
from rlkit.cluster.options import cluster_options, ray_options
from rlkit.cluster.runs import load_sweep, parse_seeds, plan_runs, run_sequential
from rlkit.config import load_config, parse_override_args
from rlkit.data.dataset import task_dir
from rlkit.errors import RunFailedError, UserError
from rlkit.fileio import read_tree, remove_orphans, scratch_prefix, write_tree
from rlkit.run_folder import RunLock
from tests.conftest import ROOT, TINY_CONFIG, python_path, run_cli, run_here

# the tests that start Ray (`make test` installs the extra; a plain `pytest` without it skips them, not fails)
needs_ray = pytest.mark.skipif(
    importlib.util.find_spec("ray") is None, reason="needs the ray extra (pip install -e '.[ray]')"
)

TIMING = ["Train Time (s)", "(Previous) Eval Time (s)", "Epoch Time (s)", "Total Train Time (s)"]


# ---- small pieces ---------------------------------------------------------------------------------
def _dead_pid() -> int:
    """An id no process of this host has: pid_max itself (ids run below it)."""
    return int(Path("/proc/sys/kernel/pid_max").read_text())


def test_the_workers_get_the_drivers_speed_switches(monkeypatch):
    """Workers on other nodes do not inherit the driver's environment: `--capture` and the CSRO_* switches travel
    with the job as its runtime environment, each as the driver has it."""
    from rlkit.torch import cpu_kernels, graphs

    calls = []
    fake = SimpleNamespace(is_initialized=lambda: False, init=lambda **kw: calls.append(kw))
    monkeypatch.setattr(engine, "require_ray", lambda: fake)
    monkeypatch.delenv(graphs.ENV_VAR, raising=False)
    try:
        graphs.use_capture(None)  # unset: left out, each worker decides for its own device
        engine.connect(ClusterOptions(address="local"))
        assert graphs.ENV_VAR not in calls[-1]["runtime_env"]["env_vars"]
        graphs.use_capture(True)  # as `--capture` sets it
        cpu_kernels.use_cpu_kernels(False)
        engine.connect(ClusterOptions(address="local"))
    finally:
        graphs.use_capture(None)
        cpu_kernels.use_cpu_kernels(None)
    env = calls[-1]["runtime_env"]["env_vars"]
    assert env[graphs.ENV_VAR] == "1" and env[cpu_kernels.ENV_VAR] == "0" and env[graphs.FUSE_ENV_VAR] in "01"


def test_rays_init_leaves_the_commands_sigterm_handler_in_place(monkeypatch):
    """Ray's init installs a SIGTERM handler of its own (a sys.exit, checked on ray 2): under `--ray` a SIGTERM then
    ended the command without its line and exit 143. The command's handler is put back after the init."""
    import threading

    from rlkit.cli import sigterm_unwinds

    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signal handlers are set from the main thread only")

    def init(**kw):  # as ray.init does
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(signum))

    monkeypatch.setattr(engine, "require_ray", lambda: SimpleNamespace(is_initialized=lambda: False, init=init))
    with sigterm_unwinds():
        ours = signal.getsignal(signal.SIGTERM)
        engine.connect(ClusterOptions(address="local"))
        assert signal.getsignal(signal.SIGTERM) is ours


def test_scratch_of_killed_processes_is_removed_and_a_live_ones_stays(tmp_path):

    dead = _dead_pid()
    for name in [f"csro-run-{dead}-abc", f"csro-run-{os.getpid()}-def", f"other-{dead}-x", "csro-run-old"]:
        (tmp_path / name).mkdir()
        (tmp_path / name / "latest.pt").write_bytes(b"x")
    (tmp_path / f"csro-run-{dead}-file").write_bytes(b"y")
    assert sorted(p.name for p in remove_orphans(tmp_path, "csro-run-")) == [
        f"csro-run-{dead}-abc",
        f"csro-run-{dead}-file",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"csro-run-{os.getpid()}-def",
        "csro-run-old",
        f"other-{dead}-x",
    ]


def test_scratch_of_another_containers_process_stays_and_an_earlier_boots_goes(tmp_path):
    """A scratch name (`scratch_prefix`) carries the process space (host, boot and pid namespace) of its process.
    Where containers or hosts share /tmp, /dev/shm or TMPDIR, a pid of another namespace or host names another
    process here: its scratch stays though no process here has that pid (a live worker's folder was removed so),
    until nothing in it changed for `FOREIGN_SCRATCH_S` (a container killed and started anew leaves it behind). One
    of an earlier boot of this host goes, though this boot has a process of its pid; in this process space the pid
    decides, as for an untagged name."""
    import rlkit.fileio as fileio

    if not fileio.process_identity(os.getpid()):  # (not `process_space() == "s0"`, which would hide a wrong "s0")
        pytest.skip("no /proc here to tell process spaces apart")
    mine = fileio.process_space()

    def other(i):  # `mine` with its i-th digest replaced
        return (
            mine[: 1 + 6 * i] + ("abcdef" if mine[1 + 6 * i : 7 + 6 * i] != "abcdef" else "fedcba") + mine[7 + 6 * i :]
        )

    dead, live = _dead_pid(), os.getpid()
    assert fileio.scratch_prefix("csro-run-") == f"csro-run-{live}-{mine}-" and len(mine) == 19
    names = {
        f"csro-run-{dead}-{other(2)}-a": True,  # another container of this boot
        f"csro-run-{dead}-{other(0)}-b": True,  # another host
        f"csro-run-{live}-{other(1)}-c": False,  # an earlier boot of this host
        f"csro-run-{dead}-{mine}-d": False,
        f"csro-run-{live}-{mine}-e": True,
        f"csro-run-{dead}-f": False,  # (a name without the space: the pid decides)
        f"csro-run-{dead}-{other(2)}-g": False,  # another container's, untouched for longer than the limit
        f"csro-run-{dead}-{other(0)}-h": True,  # another host's, its folder old but a file in it new
    }
    old = time.time() - fileio.FOREIGN_SCRATCH_S - 60
    for name in names:
        (tmp_path / name / "sub").mkdir(parents=True)
        (tmp_path / name / "sub" / "latest.pt").write_bytes(b"x")
        if name.endswith(("-g", "-h")):
            for p in [tmp_path / name, *(tmp_path / name).rglob("*")]:
                if not (name.endswith("-h") and p.name == "latest.pt"):
                    os.utime(p, (old, old))
    removed = fileio.remove_orphans(tmp_path, "csro-run-")
    assert sorted(p.name for p in removed) == sorted(n for n, stays in names.items() if not stays)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(n for n, stays in names.items() if stays)


def test_a_nodes_dataset_cache_is_a_folder_of_the_user_and_its_copying_is_named_by_its_process(tmp_path, monkeypatch):
    """By default each user of a node has a dataset cache of their own (TMPDIR/csro-ray-data-UID): in a shared one,
    the second user's segments could neither write a dataset into the first user's folder nor mark a copy there
    used. A copy under way is named by `scratch_prefix`, so that a worker of another container leaves it alone."""
    import rlkit.cluster.runs as runs

    seen = []
    real_write_tree = runs.write_tree
    monkeypatch.setattr(runs, "write_tree", lambda path, files: seen.append(path.name) or real_write_tree(path, files))
    monkeypatch.setitem(sys.modules, "ray", SimpleNamespace(get=lambda ref: ref))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    root = runs.local_dataset("k1", [{"goal_idx0/task.json": b"{}"}])
    assert root == tmp_path / f"csro-ray-data-{os.getuid()}" / "k1" and (root / "goal_idx0" / "task.json").is_file()
    assert seen == [f"{scratch_prefix('.part-')}k1"]


def test_the_cache_all_users_shared_before_loses_its_unused_copies_too(tmp_path, monkeypatch):
    """Since each user has a cache of their own, nothing uses the copies in the folder all users shared before
    (TMPDIR/csro-ray-data): a new copy in the default cache removes those unused for a day and the killed workers'
    half copies there too, as in its own folder; a recent one (an older version's worker still on it) stays."""
    import rlkit.cluster.runs as runs

    monkeypatch.setitem(sys.modules, "ray", SimpleNamespace(get=lambda ref: ref))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    shared = tmp_path / runs.SHARED_DATA_CACHE
    (shared / f".part-{_dead_pid()}-k0").mkdir(parents=True)
    (shared / "old").mkdir()
    os.utime(shared / "old", (time.time() - runs.DATA_CACHE_IDLE_S - 60,) * 2)
    (shared / "recent").mkdir()
    runs.local_dataset("k1", [{"goal_idx0/task.json": b"{}"}])
    assert sorted(p.name for p in shared.iterdir()) == ["recent"]
    (shared / "old").mkdir()
    os.utime(shared / "old", (time.time() - runs.DATA_CACHE_IDLE_S - 60,) * 2)
    runs.local_dataset("k2", [{"goal_idx0/task.json": b"{}"}], tmp_path / "cache")  # a cache named: only its own
    assert sorted(p.name for p in shared.iterdir()) == ["old", "recent"]


def test_a_nodes_dataset_copy_is_whole_and_the_cache_drops_what_is_unused(tmp_path, monkeypatch):
    """A worker's copy of a dataset: written whole or not at all (a failed fetch leaves nothing, a killed worker's
    half copy is removed by the next), reused while used, and copies no segment used for a day are removed."""
    import rlkit.cluster.runs as runs

    files = {"goal_idx0/task.json": b"{}", "goal_idx0/step100.npz": b"x"}
    fetched = []
    monkeypatch.setitem(sys.modules, "ray", SimpleNamespace(get=lambda ref: fetched.append(ref) or ref))
    cache = tmp_path / "cache"
    (cache / f".part-{_dead_pid()}-k0").mkdir(parents=True)  # a killed worker's half copy
    (cache / "old").mkdir()
    os.utime(cache / "old", (time.time() - runs.DATA_CACHE_IDLE_S - 60,) * 2)
    (cache / "recent").mkdir()
    root = runs.local_dataset("k1", [files], cache)
    assert root == cache / "k1" and read_tree(root) == files and len(fetched) == 1
    assert sorted(p.name for p in cache.iterdir()) == ["k1", "recent"]
    os.utime(root, (0, 0))
    assert runs.local_dataset("k1", [files], cache) == root and len(fetched) == 1  # reused, not fetched again
    assert time.time() - root.stat().st_mtime < 60  # and marked used

    def refused(ref):
        raise OSError(28, "No space left on device")

    monkeypatch.setitem(sys.modules, "ray", SimpleNamespace(get=refused))
    with pytest.raises(OSError, match="No space"):
        runs.local_dataset("k2", [files], cache)
    assert sorted(p.name for p in cache.iterdir()) == ["k1", "recent"]


def test_a_nodes_dataset_copy_is_taken_up_and_the_unused_removed_one_worker_at_a_time(tmp_path, monkeypatch):
    """A worker marks its copy used (`local_dataset` finding it there) and a worker fetching another dataset removes
    the unused copies under one flock of the cache folder: without it, a copy idle for a day and taken up again could
    be judged idle by the other worker in the same instant, and removed under the first as it read it. Here the lock
    is held by the test: neither worker goes on until it is released, then each does its part (the copy taken up is
    marked used, so it stays)."""
    import threading

    import rlkit.cluster.runs as runs
    from rlkit.fileio import folder_flock

    files = {"goal_idx0/task.json": b"{}"}
    monkeypatch.setitem(sys.modules, "ray", SimpleNamespace(get=lambda ref: ref))
    cache = tmp_path / "cache"
    runs.local_dataset("k1", [files], cache)
    os.utime(cache / "k1", (time.time() - runs.DATA_CACHE_IDLE_S - 60,) * 2)  # idle for a day
    done = []
    with folder_flock(cache):
        workers = [
            threading.Thread(target=lambda k=k: done.append(runs.local_dataset(k, [files], cache).name))
            for k in ("k1", "k2")
        ]
        for w in workers:
            w.start()
        time.sleep(0.3)
        assert done == []  # both wait for the lock
        assert time.time() - (cache / "k1").stat().st_mtime > runs.DATA_CACHE_IDLE_S
    for w in workers:
        w.join(timeout=30)
    assert sorted(done) == ["k1", "k2"]
    # k1 stays: if k2's worker went first, it removed k1 before k1's worker fetched it again (whole, marked new)
    assert sorted(p.name for p in cache.iterdir()) == ["k1", "k2"] and read_tree(cache / "k1") == files
    assert time.time() - (cache / "k1").stat().st_mtime < 60


def test_a_datasets_key_on_the_nodes_changes_with_any_file_it_sends(tmp_path):
    """The key that names a node's copy of a dataset (`dataset_files`) differs for datasets that differ in what stage 2
    reads: a byte of a file, the same files under other task folders, a byte moved across two files or between a
    file's name and its bytes; the behaviour networks, which are not sent, change nothing. A key shared by two
    datasets would train a worker on the other one."""
    from rlkit.cluster.runs import dataset_files

    def key(files: dict[str, bytes]) -> str:
        root = tmp_path / f"d{len(list(tmp_path.iterdir()))}"
        write_tree(root, files)
        digest, sent = dataset_files(root)
        assert sent == {k: v for k, v in files.items() if "/networks/" not in k}
        return digest

    base = {"goal_idx0/step100.npz": b"ab", "goal_idx0/step200.npz": b"c"}
    keys = [
        key(base),
        key({**base, "goal_idx0/step200.npz": b"d"}),
        key({"goal_idx1/step100.npz": b"ab", "goal_idx1/step200.npz": b"c"}),
        key({"goal_idx0/step100.npz": b"a", "goal_idx0/step200.npz": b"bc"}),
        key({"goal_idx0/step100.npza": b"b", "goal_idx0/step200.npz": b"c"}),
    ]
    assert len(set(keys)) == len(keys)
    assert key({**base, "goal_idx0/networks/step100.pt": b"weights"}) == keys[0]


@pytest.mark.slow
def test_a_segment_reads_path_to_weights_from_the_bytes_the_driver_sent(tiny_data, tmp_path, monkeypatch):
    """A worker need not see the driver's files: a run's path_to_weights reaches it as bytes, as the dataset does
    (here no file is at that path on the "worker"); the networks it starts from are that file's."""

    import rlkit.cluster.runs as runs
    from rlkit.config import load_config
    from rlkit.experiment import MetaTrainer, prepare

    monkeypatch.chdir(tiny_data.parent.parent)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))  # the node's dataset cache
    (tmp_path / "tmp").mkdir()
    monkeypatch.setitem(sys.modules, "ray", SimpleNamespace(get=lambda ref: ref))
    worker = WorkerContext(1, torch.device("cpu"), "node", "host")
    monkeypatch.setattr(runs, "begin_segment", lambda cpus: worker)
    base = {"util_params": {"base_log_dir": str(tmp_path)}, "algo_params": {"num_iterations": 1}}
    first = load_config(TINY_CONFIG, base, {"util_params": {"exp_name": "first"}})
    MetaTrainer(prepare(first, 0, torch.device("cpu")), show_progress=False).run()
    weights = (tmp_path / "point-robot" / "first" / "seed0" / "latest.pt").read_bytes()
    cfg = load_config(TINY_CONFIG, base, {"util_params": {"exp_name": "w"}, "path_to_weights": "/driver/only.pt"})
    digest, files = runs.dataset_files(Path(cfg.algo_params.data_dir))
    seen = []
    real = MetaTrainer._load_weights

    def load(self, path, copy=None):  # (the copy is read before the segment's scratch folder goes)
        seen.append((path, copy.read_bytes() if copy is not None else None))
        real(self, path, copy)

    monkeypatch.setattr(MetaTrainer, "_load_weights", load)
    result = runs.training_segment(1.0, cfg.to_dict(), 0, {}, digest, [files], [weights])
    assert result.state is None and "progress.csv" in result.files  # its one iteration trained
    assert seen[0] == ("/driver/only.pt", weights)  # the config's path named, the driver's bytes read
    with pytest.raises(UserError, match=r"path_to_weights '/driver/only.pt' cannot be read"):  # without the bytes
        runs.training_segment(1.0, cfg.to_dict(), 0, {}, digest, [files])


def test_read_and_write_tree_round_trip_and_order(tmp_path):
    files = {"a/task.json": b"{}", "a/step100.npz": b"x", "b.txt": b"y"}
    write_tree(tmp_path / "t", files, last=("task.json",))
    assert read_tree(tmp_path / "t") == files
    assert read_tree(tmp_path / "t", skip=("a",)) == {"b.txt": b"y"}
    (tmp_path / "t" / ".b.txt.123.tmp").write_bytes(b"half")  # an unfinished atomic write is not a file of the tree
    assert ".b.txt.123.tmp" not in read_tree(tmp_path / "t")
    with pytest.raises(ValueError, match="not a path inside"):
        write_tree(tmp_path / "t", {"../escape": b""})
    assert not (tmp_path / "escape").exists()


def test_write_tree_writes_the_marker_file_last(tmp_path, monkeypatch):
    import rlkit.fileio as fileio

    order = []
    real = fileio.atomic_write
    monkeypatch.setattr(fileio, "atomic_write", lambda path, fn: (order.append(Path(path).name), real(path, fn)))
    write_tree(tmp_path, {"task.json": b"{}", "z.npz": b"", "a.npz": b""}, last=("task.json",))
    assert order[-1] == "task.json" and sorted(order[:-1]) == ["a.npz", "z.npz"]
    # a run's segment: its row and events, then latest.pt, then the snapshot (MetaTrainer.save's order)
    order.clear()
    files = {"snapshots/itr_3.pt": b"s", "latest.pt": b"l", "progress.csv": b"p", "tb/events": b"e"}
    write_tree(tmp_path / "run", files, last=("latest.pt", "snapshots/*"))
    assert order[-2:] == ["latest.pt", "itr_3.pt"] and sorted(order[:2]) == ["events", "progress.csv"]


@pytest.mark.parametrize("text", ["", "a", "0,0", "-1", "1,x", "0,,1", "0,", "4294967296"])
def test_bad_seeds_are_refused(text):
    with pytest.raises(UserError, match="--seeds"):
        parse_seeds(text)


def test_sweep_keys_nest_as_command_line_overrides(tmp_path):
    """A sweep file's {KEY: VALUE} and the command line's --KEY VALUE name keys alike (one `set_override`)."""
    overrides = {"use_club": False, "algo_params.num_iterations": 3, "env_params.randomize_tasks": 1}
    sweep = tmp_path / "sweep.json"
    sweep.write_text(json.dumps([{"exp_name": "a", "overrides": overrides}]))
    flags = [x for k, v in overrides.items() for x in (f"--{k}", json.dumps(v))]
    assert load_sweep(sweep) == [("a", parse_override_args(flags))]


def test_seeds_and_sweep_files(tmp_path):
    assert parse_seeds("2,0, 1") == [2, 0, 1]
    sweep = tmp_path / "sweep.json"
    sweep.write_text(
        json.dumps(
            [{"exp_name": "a", "overrides": {"use_club": False, "algo_params.num_iterations": 3}}, {"exp_name": "b"}]
        )
    )
    assert load_sweep(sweep) == [("a", {"algo_params": {"use_club": False, "num_iterations": 3}}), ("b", {})]
    for bad, match in [
        ([], "non-empty"),
        ([{"name": "a"}], "entry 0"),
        ([{"exp_name": "a"}, {"exp_name": "a"}], "repeat"),
        ([{"exp_name": "a", "overrides": {"randomize_tasks": 1}}], "ambiguous"),
        ([{"exp_name": "a", "overrides": {"use_club": False, "algo_params.use_club": True}}], "a second time"),
    ]:
        sweep.write_text(json.dumps(bad))
        with pytest.raises(UserError, match=match):
            load_sweep(sweep)
    with pytest.raises(UserError, match="not found"):
        load_sweep(tmp_path / "nope.json")
    sweep.write_text('[{"exp_name": "a", "exp_name": "b"}]')
    with pytest.raises(UserError, match=r"sweep.json' sets the key 'exp_name' twice: expected each key once"):
        load_sweep(sweep)
    sweep.write_text(json.dumps([{"exp_name": "a"}, {"exp_name": "b", "overrides": {"randomize_tasks": 1}}]))
    with pytest.raises(UserError, match=r"entry 1 \('b'\): override --randomize_tasks is ambiguous"):
        load_sweep(sweep)


def test_a_sweep_entry_of_bad_values_is_named():
    sweep = [("ok", {}), ("bad", {"algo_params": {"discount": 2}})]
    with pytest.raises(UserError, match=r"^--sweep entry 1 \('bad'\): algo_params.discount 2.0: expected a value in"):
        plan_runs(str(TINY_CONFIG), {}, [0], sweep)


@pytest.mark.parametrize("command", ["launch_experiment", "policy_train"])
def test_gpu_with_ray_is_one_line_from_both_entry_points(command, capsys):
    """One check (`cluster_options`), so both commands refuse --gpu with --ray in the same words."""
    import importlib

    from rlkit.cli import run_cli as run_command

    config = ["--config", str(TINY_CONFIG)] if command == "policy_train" else [str(TINY_CONFIG)]
    with pytest.raises(SystemExit) as exit_:
        run_command(importlib.import_module(command).main, [*config, "--gpu", "0", "--ray", "auto"])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and err[-1] == (
        "error: --gpu 0 with --ray: expected --gpus-per-task instead (Ray gives each task its GPU)"
    ), err


def test_cluster_options_are_checked(monkeypatch):
    # the options alone, with or without the extra (a missing Ray is its own test, below)
    monkeypatch.setattr("rlkit.cluster.options.require_ray", lambda: None)
    assert cluster_options(None, None, None, None) is None
    with pytest.raises(UserError, match="--gpus-per-task applies to --ray only"):
        cluster_options(None, None, 0.5, None)
    assert cluster_options("auto", 2, 0.5, 1) == ClusterOptions("auto", 2, 0.5, 1)
    with pytest.raises(UserError, match=r"^--gpu 0 with --ray: expected --gpus-per-task instead"):
        cluster_options("auto", None, None, None, gpu=0)
    with pytest.raises(UserError, match=r"^--threads 2 with --ray: expected --cpus-per-task instead"):
        cluster_options("local", None, None, None, threads=2)
    for address in ("10.0.0.1:6379", "ray://head:10001", "local"):
        ClusterOptions(address)
    for kwargs, match in [
        ({"address": "num_train_steps=400"}, "expected nothing"),
        ({"gpus_per_task": -1}, ">= 0"),
        ({"address": "head:99999"}, "port is not in 1..65535"),
        ({"address": "head:0"}, "1..65535"),
        ({"address": "ray://head"}, "expected nothing"),  # was int('//head'): a ValueError traceback
        ({"address": "ray://head:abc"}, "expected nothing"),
        ({"address": "ray://"}, "expected nothing"),
        ({"address": ":6379"}, "expected nothing"),
        ({"address": "ray://head:70000"}, "port is not in 1..65535"),
        ({"cpus_per_task": 0}, r"^--cpus-per-task 0: expected a positive number of CPUs \(fractions allowed, from"),
        ({"cpus_per_task": 0.00001}, r"^--cpus-per-task 1e-05: expected a positive number of CPUs \(fractions"),
        ({"cpus_per_task": -1}, r"^--cpus-per-task -1: expected a positive number of CPUs"),  # (not "a number >= 0")
        ({"address": "head:²"}, "expected nothing"),  # ('²'.isdigit(): was int('²'), a ValueError traceback)
        ({"gpus_per_task": 0.00005}, r"--gpus-per-task 5e-05: expected 0 or at least 0.0001"),
        ({"max_retries": -1}, r"^--max-retries -1: expected an integer from 0 to 1000$"),
        ({"max_retries": 2**31}, r"^--max-retries 2147483648: expected an integer from 0 to 1000$"),  # (was Ray's
        # OverflowError traceback at submission)
    ]:
        with pytest.raises(UserError, match=match):
            ClusterOptions(**kwargs)
    assert ClusterOptions(max_retries=1000).max_retries == 1000 and ClusterOptions(max_retries=0).max_retries == 0


def _cluster(*nodes: dict[str, float], **resources):
    """A stand-in for the `ray` module as far as resources go: a cluster of these nodes' resources (or of one node
    with `resources`), and a dead node that holds everything (Ray lists nodes that left, not alive)."""
    nodes = nodes or (resources,)
    dead = {"Alive": False, "Resources": {"CPU": 1000.0, "GPU": 1000.0}}
    totals = {k: sum(n.get(k, 0) for n in nodes) for k in ("CPU", "GPU") if any(k in n for n in nodes)}
    return SimpleNamespace(
        cluster_resources=lambda: totals, nodes=lambda: [*({"Alive": True, "Resources": n} for n in nodes), dead]
    )


def test_resources_per_task_and_how_many_run_at_once():
    cpu_only, gpus = _cluster(CPU=16), _cluster(CPU=16, GPU=4)
    assert task_resources(cpu_only, ClusterOptions()) == {"num_cpus": 1.0, "num_gpus": 0.0}
    assert capacity(cpu_only, task_resources(cpu_only, ClusterOptions(cpus_per_task=3))) == 5
    # with GPUs a task asks for one by default; fractions share a GPU (two point-robot SACs per GPU)
    assert task_resources(gpus, ClusterOptions()) == {"num_cpus": 1.0, "num_gpus": 1.0}
    assert capacity(gpus, task_resources(gpus, ClusterOptions())) == 4
    assert capacity(gpus, task_resources(gpus, ClusterOptions(gpus_per_task=0.5))) == 8
    assert capacity(gpus, task_resources(gpus, ClusterOptions(cpus_per_task=4, gpus_per_task=0.5))) == 4  # CPUs bind
    assert task_resources(gpus, ClusterOptions(gpus_per_task=0)) == {"num_cpus": 1.0, "num_gpus": 0.0}
    # a config that runs on the CPU (SAC device: cpu, use_gpu: 0) asks for no GPU, unless --gpus-per-task says so
    assert task_resources(gpus, ClusterOptions(), on_cpu=True) == {"num_cpus": 1.0, "num_gpus": 0.0}
    assert task_resources(gpus, ClusterOptions(gpus_per_task=0.5), on_cpu=True)["num_gpus"] == 0.5
    with pytest.raises(UserError, match="--gpus-per-task 1: the Ray cluster has no GPUs"):
        task_resources(cpu_only, ClusterOptions(gpus_per_task=1))
    # a task runs on one node: two nodes of 3 CPUs hold one task of 2 CPUs each, not 3
    assert capacity(_cluster({"CPU": 3.0}, {"CPU": 3.0}), {"num_cpus": 2.0, "num_gpus": 0.0}) == 2
    assert capacity(_cluster({"CPU": 8.0}, {"CPU": 8.0, "GPU": 1.0}), {"num_cpus": 1.0, "num_gpus": 1.0}) == 1


def test_a_task_no_node_holds_is_refused_on_a_local_instance_and_said_on_a_cluster():
    """Ray would wait forever for it: on the local instance a one-line error, on a cluster (an autoscaler may add
    such a node) a line, and one slot."""
    small, asked = _cluster(CPU=2.0), {"num_cpus": 3.0, "num_gpus": 0.0}
    assert capacity(small, asked) == 0
    with pytest.raises(
        UserError,
        match=r"--cpus-per-task 3 and --gpus-per-task 0: no node of the local Ray instance holds one task \(its "
        r"largest node has 2 CPUs and 0 GPUs\): expected at most that",
    ):
        task_slots(small, asked, ClusterOptions())
    said = []
    assert task_slots(small, asked, ClusterOptions("auto"), out=said.append) == 1
    assert said == [
        "--cpus-per-task 3 and --gpus-per-task 0: no node of the Ray cluster holds one task now (its largest node has "
        "2 CPUs and 0 GPUs); the tasks wait until such a node joins"
    ]
    assert task_slots(small, {"num_cpus": 1.0, "num_gpus": 0.0}, ClusterOptions()) == 2


def test_a_plain_runs_saved_group_state_of_tasks_ray_would_train_is_refused(tmp_path):
    """Ray trains each task from its start; a plain run's state left beside its finished data would make the next
    plain run train those tasks again, so the user decides first (finish with the plain command, or remove it)."""
    from rlkit.cluster.behaviour import refuse_saved_groups

    saved = tmp_path / "stage1_resume" / "tasks0-5.pt"
    saved.parent.mkdir()
    saved.write_bytes(b"")
    refuse_saved_groups(tmp_path, [6, 7])  # other tasks: nothing in the way
    with pytest.raises(UserError, match=r"tasks0-5.pt' holds an interrupted plain run's state of tasks \[4, 5\]"):
        refuse_saved_groups(tmp_path, [4, 5, 6])
    refuse_saved_groups(tmp_path / "none", [0])  # no saved states at all


class _FakeRay:
    """Enough of Ray for `drive`: a submitted segment is a ref whose result is ready at once; `wait` hands back the
    oldest ref still pending, so the order is fixed and every step of the driver can be followed."""

    def __init__(self):
        self.pending: list[object] = []  # refs in the order they were submitted
        self.results: dict[object, object] = {}
        self.most_in_flight = 0
        self.log: list[str] = []

    def submit(self, result_or_error) -> object:
        ref = object()
        self.pending.append(ref)
        self.results[ref] = result_or_error
        self.most_in_flight = max(self.most_in_flight, len(self.pending))
        return ref

    def wait(self, refs, num_returns):
        assert num_returns == 1 and set(refs) == set(self.pending)
        return [self.pending[0]], self.pending[1:]

    def get(self, ref):
        self.pending.remove(ref)
        result = self.results.pop(ref)
        if isinstance(result, Exception):
            raise result
        return result

    def nodes(self):
        return [
            {"NodeID": "n1" * 8, "NodeManagerAddress": "10.0.0.1"},
            {"NodeID": "n2" * 8, "NodeManagerAddress": "10.0.0.2"},
        ]


class _ScriptedChain(Chain):
    """A job of `len(script)` segments; `script[k]`: (node, attempt) of segment k, or an exception it fails with."""

    def __init__(self, ray: _FakeRay, name: str, script: list):
        self.ray, self.name, self.script = ray, name, script

    def submit(self, state):
        k = 0 if state is None else state
        step = self.script[k]
        self.ray.log.append(f"submit {self.name} {k}")
        if isinstance(step, Exception):
            return self.ray.submit(step)
        node, attempt = step
        info = {"attempt": attempt, "node_id": node * 8, "host": f"host-{node}", "seconds": 1.5}
        state = k + 1 if k + 1 < len(self.script) else None
        return self.ray.submit(SegmentResult({f"seg{k}": b""}, state, info))

    def apply(self, result, record):
        self.ray.log.append(f"write {self.name} {sorted(result.files)[0][3:]}")


def test_the_ray_driver_keeps_one_job_more_than_the_slots_under_way_and_sums_each_jobs_segments():
    """`drive` on a stand-in for Ray: with 2 slots, 3 jobs are under way and a fourth starts only when one ends; a
    job's next segment is submitted before the last one's files are written; a failed job ends alone, the others
    finish; each record sums its segments' time, counts Ray's retries (attempt 2 is one retry) and names each node
    once; the records come back in the jobs' order, not the order they finished."""
    ray = _FakeRay()
    chains = [
        _ScriptedChain(ray, "a", [("n1", 1), ("n2", 2), ("n1", 1)]),
        _ScriptedChain(ray, "b", [RuntimeError("worker died\nfor good")]),
        _ScriptedChain(ray, "c", [("n2", 1)]),
        _ScriptedChain(ray, "d", [("n1", 3), ("n1", 1)]),
    ]
    lines = []
    records = drive(ray, chains, slots=2, out=lines.append)
    assert ray.most_in_flight == 3 and not ray.pending
    # d waits for a place: a's next segment takes the one a's first left, and b's failure frees one
    assert ray.log[:6] == ["submit a 0", "submit b 0", "submit c 0", "submit a 1", "write a 0", "submit d 0"]
    assert [r.name for r in records] == ["a", "b", "c", "d"]
    a, b, c, d = records
    assert (a.status, a.segments, a.seconds, a.retries) == ("done", 3, 4.5, 1)
    assert a.nodes == ["host-n1 (10.0.0.1)", "host-n2 (10.0.0.2)"]
    assert b.status == "failed: RuntimeError: for good" and b.segments == 0
    assert (c.status, c.segments, c.nodes) == ("done", 1, ["host-n2 (10.0.0.2)"])
    assert (d.status, d.segments, d.retries) == ("done", 2, 2)
    assert "d: segment 1 finished on attempt 3 (Ray retried it after its worker was lost)" in lines
    assert lines[-1] == "d: done in 3.0 s on host-n1 (10.0.0.1), 2 retries [4/4]"
    assert sum("FAILED" in line for line in lines) == 1


def test_summary_table():
    table = summary_table(
        [
            JobRecord("goal_idx0", ["n1 (10.0.0.1)"], 12.34, 1, 3, "done"),
            JobRecord("goal_idx1", [], 0.0, 0, 0, "failed: boom"),
        ],
        "task",
    )
    lines = table.splitlines()
    assert lines[0].split() == ["task", "node", "wall", "(s)", "retries", "segments", "status"]
    assert lines[2].split() == ["goal_idx0", "n1", "(10.0.0.1)", "12.3", "1", "3", "done"]
    assert lines[3].split()[-2:] == ["failed:", "boom"] and all(line == line.rstrip() for line in lines)


def _without_ray(script: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run an entry point as if the ray extra were not installed (`import ray` fails)."""
    code = (
        f"import sys, runpy; sys.modules['ray'] = None; sys.argv = [{script!r}] + {args!r}; "
        f"runpy.run_path({script!r}, run_name='__main__')"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, PYTHONPATH=python_path()),
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "script,args",
    [
        ("policy_train.py", ["--config", str(TINY_CONFIG), "--sac_config", "tiny_point", "--ray"]),
        ("launch_experiment.py", [str(TINY_CONFIG), "--seeds", "0,1", "--ray", "auto"]),
    ],
)
def test_ray_without_the_extra_is_one_line_exit_2(tmp_path, script, args):
    proc = _without_ray(str(ROOT / script), args, tmp_path)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert lines[0] == "error: --ray needs Ray, which is not installed here: expected `pip install -e '.[ray]'` first"
    assert not list(tmp_path.iterdir())  # nothing written


def _closed_port() -> int:
    """A TCP port of this machine on which nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
@pytest.mark.parametrize(
    "script,address",
    [
        ("policy_train.py", "127.0.0.1:{port}"),
        ("launch_experiment.py", "bogus:1"),
        ("launch_experiment.py", "ray://bogus.invalid:10001"),
    ],
)
@needs_ray
def test_an_address_where_no_cluster_answers_is_one_line_exit_2(tiny_data, script, address):
    """Ray itself would wait many minutes for such an address; the probe answers in seconds."""
    address = address.format(port=_closed_port())
    args = (
        ["--config", str(TINY_CONFIG), "--sac_config", "tiny_point"]
        if script == "policy_train.py"
        else [str(TINY_CONFIG), "--seeds", "0,1"]
    )
    proc = subprocess.run(
        [sys.executable, str(ROOT / script), *args, "--ray", address],
        cwd=tiny_data.parent.parent,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ, PYTHONPATH=python_path()),
    )
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    head = address.removeprefix("ray://")
    assert (
        lines[0].startswith(f"error: --ray {address}: could not connect to {head} (")
        and "expected a running" in lines[0]
    )


# ---- --seeds and --sweep without Ray --------------------------------------------------------------
@pytest.mark.slow
def test_sweep_runs_every_entry_and_seed_and_skips_finished_ones(tiny_data, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tiny_data.parent.parent)
    sweep = [("csro", {"algo_params": {"num_iterations": 1}}), ("focal", {"algo_type": "FOCAL"})]
    base = {
        "util_params": {"base_log_dir": str(tmp_path), "use_gpu": False},
        "algo_params": {"num_train_steps_per_itr": 5},
    }
    plans = plan_runs(str(TINY_CONFIG), base, [0, 3], sweep)
    assert [p.name for p in plans] == [
        "point-robot/csro/seed0",
        "point-robot/csro/seed3",
        "point-robot/focal/seed0",
        "point-robot/focal/seed3",
    ]
    records = run_sequential(plans[:3], show_progress=False)
    assert [r.status for r in records] == ["done"] * 3
    assert len(pd.read_csv(tmp_path / "point-robot" / "csro" / "seed3" / "progress.csv")) == 1
    variant = json.loads((tmp_path / "point-robot" / "focal" / "seed0" / "variant.json").read_text())
    assert variant["algo_type"] == "FOCAL" and variant["seed"] == 0 and variant["algo_params"]["num_iterations"] == 2
    capsys.readouterr()
    run_sequential(plans, show_progress=False)
    assert "4 runs: 3 finished, 1 to train" in capsys.readouterr().out


@pytest.mark.slow
def test_a_failed_run_of_a_sweep_leaves_the_others_to_train_then_fails_the_command(tiny_data, tmp_path, monkeypatch):
    """As on Ray: a run that fails on our side is marked, the next ones train, and the command fails after the
    table, naming the run."""

    monkeypatch.chdir(tiny_data.parent.parent)
    sweep = [("bad", {"path_to_weights": str(tmp_path / "missing.pt")}), ("good", {})]
    base = {"util_params": {"base_log_dir": str(tmp_path), "use_gpu": False}, "algo_params": {"num_iterations": 1}}
    said = []
    with pytest.raises(RunFailedError, match=r"1 of 2 runs failed \(point-robot/bad/seed0 failed: path_to_weights"):
        run_sequential(plan_runs(str(TINY_CONFIG), base, [0], sweep), show_progress=False, out=said.append)
    assert len(pd.read_csv(tmp_path / "point-robot" / "good" / "seed0" / "progress.csv")) == 1
    assert any(line.startswith("point-robot/bad/seed0: FAILED (path_to_weights") for line in said)
    assert said[-1].split()[-2:] == ["1", "done"] and "failed: path_to_weights" in said[-1].splitlines()[2]
    with pytest.raises(RunFailedError, match=r"^1 of 1 runs failed") as raised:  # (every run failed alike: exit 2)
        run_sequential(plan_runs(str(TINY_CONFIG), base, [0], sweep[:1]), show_progress=False, out=said.append)
    assert raised.value.exit_code == 2


@pytest.mark.slow
def test_a_finished_run_whose_last_snapshot_a_kill_left_unwritten_gets_it(tiny_data, tmp_path, monkeypatch):
    """No resume touches a finished run again (nor a Ray worker's scratch copy of a run to continue), so the check
    before training writes a snapshot from latest.pt (the same state) when a kill came between the two."""
    from rlkit.cluster.runs import check_plans

    monkeypatch.chdir(tiny_data.parent.parent)
    base = {"util_params": {"base_log_dir": str(tmp_path), "use_gpu": False}, "algo_params": {"num_iterations": 1}}
    plans = plan_runs(str(TINY_CONFIG), base, [0], [("done", {})])
    run_sequential(plans, show_progress=False)
    snapshot = plans[0].out_dir / "snapshots" / "itr_0.pt"
    snapshot.unlink()
    assert check_plans(plans) == []  # finished: nothing to train
    assert snapshot.read_bytes() == (plans[0].out_dir / "latest.pt").read_bytes()
    # a run to continue gets it too, before a Ray worker (whose scratch folder holds no snapshots) continues it
    snapshot.unlink()
    longer = plan_runs(str(TINY_CONFIG), base, [0], [("done", {"algo_params": {"num_iterations": 2}})])
    assert [(p.name, done) for p, done in check_plans(longer)] == [(longer[0].name, 1)]
    assert snapshot.read_bytes() == (plans[0].out_dir / "latest.pt").read_bytes()


@pytest.mark.parametrize(
    "entry, said",
    [
        (
            {"env_params": {"goal_radius": 0.5}, "algo_params": {"sparse_rewards": True}},
            r"^point-robot/bad/seed0: env_params.goal_radius for 'point-robot': expected only keys it takes",
        ),
        (
            {"algo_params": {"sparse_rewards": True}},
            r"^point-robot/bad/seed0: algo_params.sparse_rewards is set but 'point-robot' has no sparse",
        ),
    ],
)
def test_a_sweep_entry_its_env_cannot_run_is_refused_before_any_run(tmp_path, entry, said):
    """A sweep of several runs: an entry whose env settings cannot be built is one line before the first run trains
    (on Ray it surfaced in a worker, after the others had started)."""
    from rlkit.cluster.runs import check_plans

    base = {"util_params": {"base_log_dir": str(tmp_path), "use_gpu": False}}
    plans = plan_runs(str(TINY_CONFIG), base, [0], [("good", {}), ("bad", entry)])
    with pytest.raises(UserError, match=said):
        check_plans(plans)
    assert not any(tmp_path.iterdir())


def test_a_sweeps_env_settings_are_checked_once_each(tmp_path, monkeypatch):
    """`check_plans` checks each env setting of a sweep once: entries that differ in other keys only share one check,
    an entry whose env_params differ has its own (a check keyed by the env's name and sparse_rewards alone left it
    to a worker, after the other runs had started)."""
    import rlkit.cluster.runs as runs

    checked = []
    monkeypatch.setattr(runs, "check_env_settings", lambda cfg: checked.append(cfg.env_params.kwargs()))
    base = {"util_params": {"base_log_dir": str(tmp_path), "use_gpu": False}}
    entries = [("a", {}), ("longer", {"algo_params": {"num_iterations": 3}}), ("b", {"env_params": {"n_tasks": 7}})]
    runs.check_plans(plan_runs(str(TINY_CONFIG), base, [0, 1], entries))
    assert [c["n_tasks"] for c in checked] == [6, 7]


def test_a_sweep_path_that_is_a_folder_says_so(tmp_path):
    with pytest.raises(UserError, match=r"^--sweep '.*' is a folder: expected a JSON file listing runs"):
        load_sweep(tmp_path)


@pytest.mark.parametrize("overrides", [{"util_params": 1}, {"algo_params": 1, "num_iterations": 2}])
def test_a_sweep_entry_setting_a_section_to_a_value_is_one_line(tmp_path, overrides):
    """A section of keys given a number in a sweep entry is named with the entry (was a TypeError traceback when the
    entry's exp_name check looked inside util_params)."""
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps([{"exp_name": "a", "overrides": overrides}]))
    section = next(iter(overrides))
    with pytest.raises(UserError, match=rf"^--sweep .* entry 0 \('a'\): config key '{section}' must be an object of"):
        load_sweep(path)


def test_a_sweep_entry_naming_exp_name_among_its_overrides_is_refused(tmp_path):
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps([{"exp_name": "a", "overrides": {"exp_name": "zzz"}}]))
    with pytest.raises(UserError, match=r"entry 0 \('a'\): exp_name among its overrides: expected it only as"):
        load_sweep(path)


@pytest.mark.parametrize("name", ["", "  "])
def test_a_sweep_entry_of_a_blank_exp_name_is_refused(tmp_path, name):
    """An entry's exp_name "" stamped each seed's run with a time of its own (and again when it was prepared): the
    folders checked and printed were not those trained into, and no rerun found them. Refused in one line, as
    `--exp_name ''` is."""
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps([{"exp_name": "a", "overrides": {}}, {"exp_name": name, "overrides": {}}]))
    with pytest.raises(UserError, match=r"entry 1: exp_name '\s*': expected a folder name, one for the entry's runs"):
        load_sweep(path)


def test_runs_one_after_another_are_prepared_into_the_folders_their_plans_checked(tmp_path, monkeypatch):
    """`run_sequential` prepares each run into its plan's folder (the one `check_plans` checked and the line names),
    not one the config names again (a timestamp taken later names another)."""
    import rlkit.cluster.runs as runs

    seen = []

    def prepare(cfg, seed, device, data_dir=None, out_dir=None):
        seen.append(out_dir)
        raise UserError("stop here")

    plans = plan_runs(str(TINY_CONFIG), {"util_params": {"base_log_dir": str(tmp_path)}}, [0, 1], None)
    monkeypatch.setattr(runs, "prepare", prepare)
    with pytest.raises(UserError, match="2 of 2 runs failed"):  # (each failed where prepare stopped it)
        runs.run_sequential(plans, show_progress=False, out=lambda line: None)
    assert seen == [p.out_dir for p in plans]


def test_one_timestamp_names_all_seeds_of_a_run_without_exp_name():
    plans = plan_runs(str(TINY_CONFIG), {}, [0, 1, 2], None)
    assert len({p.out_dir.parent for p in plans}) == 1


def test_a_sweep_entry_does_not_hide_a_bad_command_line_override():
    """The command line's overrides, then the entry's, go into the config through load_config's one merge and
    its checks: `--num_iterations two` is refused even where an entry sets another key under algo_params. (A section
    given a value, `--algo_params 5`, is refused sooner, where the command line is read: test_config.py.)"""
    overrides = parse_override_args(["--num_iterations", "two"])
    with pytest.raises(UserError, match=r"^--sweep entry 0 \('short'\): config key 'algo_params.num_iterations' must"):
        plan_runs(str(TINY_CONFIG), overrides, [0], [("short", {"algo_params": {"batch_size": 16}})])


def test_seeds_go_where_one_seed_goes_when_the_config_names_the_experiment():
    """The config file's exp_name names the folder of `--seeds` runs as it does a `--seed` run's (one rule,
    `rlkit.experiment.experiment_name`), not a timestamp; only an empty one becomes the time."""
    from rlkit.config import load_config
    from rlkit.experiment import output_dir

    config = ROOT / "configs" / "cheetah-vel.json"  # util_params.exp_name: "CSRO"
    plans = plan_runs(str(config), {}, [0, 1], None)
    assert [p.out_dir for p in plans] == [output_dir(load_config(config), s) for s in (0, 1)]
    assert [p.name for p in plans] == ["cheetah-vel/CSRO/seed0", "cheetah-vel/CSRO/seed1"]


# ---- on a local Ray instance, a worker killed mid-task ---------------------------------------------
def _kill_one_segment(proc: subprocess.Popen, title: str, timeout: float = 300) -> int:
    """SIGKILL the first Ray worker seen executing `title` (Ray names the process `ray::FUNCTION`)."""
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if cmdline.startswith(f"ray::{title}"):
                os.kill(int(entry.name), signal.SIGKILL)
                return int(entry.name)
        time.sleep(0.02)
    raise AssertionError(f"no Ray worker running {title} was seen")


def _run_with_a_kill(args: list[str], cwd: Path, title: str) -> str:
    proc = subprocess.Popen(
        [sys.executable, *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=python_path()),
    )
    try:
        _kill_one_segment(proc, title)
        out, err = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, f"{out}\n{err}"
    return out


def _dataset_files(data_dir: Path) -> dict[str, object]:
    files = read_tree(data_dir)
    for rel in [r for r in files if r.endswith("task.json")]:
        meta = json.loads(files[rel])
        meta.pop("written")  # the one value that is not the same: when it was written
        files[rel] = meta
    return files


@pytest.mark.slow
@needs_ray
def test_stage1_on_ray_survives_a_killed_worker_and_equals_the_plain_run(tiny_data, tmp_path):
    out = _run_with_a_kill(
        [str(ROOT / "policy_train.py"), "--config", str(TINY_CONFIG), "--sac_config", "tiny_point", "--ray"],
        tmp_path,
        "behaviour_segment",
    )
    ray_data = tmp_path / "offline_dataset" / "point-robot-tiny"
    assert "(Ray retried it after its worker was lost)" in out, out
    table = out[out.index("task  ") :].splitlines()
    assert len(table) == 2 + 6 and sum(int(line.split()[-3]) for line in table[2:]) == 1, out  # retries column
    check = run_here(["-m", "rlkit.data", "check", str(ray_data)], cwd=ROOT)
    assert check.stdout.count("complete") == 6
    assert _dataset_files(ray_data) == _dataset_files(tiny_data)  # file for file, bytes for bytes


@pytest.mark.slow
@needs_ray
def test_seeds_on_ray_survive_a_killed_worker_and_equal_the_sequential_runs(tiny_data, tmp_path, monkeypatch):
    work = tiny_data.parent.parent
    common = [str(TINY_CONFIG), "--seeds", "0,1", "--no-progress"]
    out = _run_with_a_kill(  # (a Ray task's threads are its --cpus-per-task, default 1)
        [str(ROOT / "launch_experiment.py"), *common, "--exp_name", "ray", "--base_log_dir", str(tmp_path), "--ray"],
        work,
        "training_segment",
    )
    assert "(Ray retried it after its worker was lost)" in out and out.count(" itr ") == 4, out
    run_cli(
        [str(ROOT / "launch_experiment.py"), *common, "--threads", "1", "--exp_name", "seq", "--base_log_dir"]
        + [str(tmp_path)],
        cwd=work,
    )
    for seed in (0, 1):
        ray_run, seq_run = (tmp_path / "point-robot" / name / f"seed{seed}" for name in ("ray", "seq"))
        pd.testing.assert_frame_equal(
            pd.read_csv(ray_run / "progress.csv").drop(columns=TIMING),
            pd.read_csv(seq_run / "progress.csv").drop(columns=TIMING),
        )
        variants = [json.loads((r / "variant.json").read_text()) for r in (ray_run, seq_run)]
        assert [v["util_params"].pop("exp_name") for v in variants] == ["ray", "seq"] and variants[0] == variants[1]
        for itr in (0, 1):
            a, b = (torch.load(r / "snapshots" / f"itr_{itr}.pt", weights_only=True) for r in (ray_run, seq_run))
            assert a["counters"].pop("train_time") >= 0 and b["counters"].pop("train_time") >= 0
            _assert_same(a, b)
        assert list((ray_run / "tb").glob("events.*")) and not (ray_run / ".lock").exists()


def _assert_same(a, b, path="state"):
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), path
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for k in a:
            _assert_same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{path}[{i}]")
    else:
        assert a == b, path


# ------------------------------------------------------------------- cluster/options.py and cluster/behaviour.py
def test_max_retries_without_ray_is_refused():
    """--max-retries, like --cpus-per-task and --gpus-per-task, applies to --ray only: given without it, the command
    says so rather than running plainly with the option silently ignored."""

    assert cluster_options(None, None, None, None) is None  # not given
    with pytest.raises(UserError, match=r"^--max-retries applies to --ray only: expected --ray with it$"):
        cluster_options(None, None, None, 5)


def test_the_ray_driver_writes_a_segments_task_json_after_its_other_files(tmp_path, monkeypatch):
    """The driver writes a segment's files into goal_idx{i}/ with task.json last: killed in between, the folder
    never holds a task.json listing a checkpoint whose episodes or networks are not there yet. A segment without a
    checkpoint (the last, which marks the task complete) prints no "checkpoint None written" line."""
    import rlkit.fileio as fileio
    from rlkit.cluster.behaviour import TaskChain
    from rlkit.cluster.engine import JobRecord, SegmentResult

    order, real = [], fileio.atomic_write
    monkeypatch.setattr(fileio, "atomic_write", lambda path, fn: (order.append(Path(path).name), real(path, fn)))
    files = {"task.json": b"{}", "returns.csv": b"c\n", "step100.npz": b"n", "networks/step100.pt": b"p"}
    out = []
    chain = TaskChain(4, tmp_path, None, out.append)
    result = SegmentResult(files, None, {"checkpoint": 100, "mean_return": -3.0, "node": "n1", "seconds": 1.0})
    chain.apply(result, JobRecord("goal_idx4"))
    assert order[-1] == "task.json" and sorted(order) == sorted(Path(f).name for f in files)
    assert (task_dir(tmp_path, 4) / "networks" / "step100.pt").read_bytes() == b"p"
    assert out == ["goal_idx4: checkpoint 100 written, mean return -3 (n1, 1.0 s)"]
    # a last segment that took no checkpoint (it marked the task complete): its files written, no checkpoint line
    done = SegmentResult({"task.json": b'{"complete": true}'}, None, {"checkpoint": None, "mean_return": math.nan})
    chain.apply(done, JobRecord("goal_idx4"))
    assert (task_dir(tmp_path, 4) / "task.json").read_bytes() == b'{"complete": true}' and len(out) == 1


def test_the_ray_driver_writes_a_runs_latest_pt_then_its_snapshot_after_the_iterations_other_files(
    tmp_path, monkeypatch
):
    """A run's segment is written as `MetaTrainer.save` writes an iteration: its row, events and eval returns, then
    latest.pt, then the snapshot. Killed in between, the folder never holds a latest.pt (which a resume continues
    from) or a snapshot ahead of the progress.csv row of its iteration."""
    import rlkit.fileio as fileio
    from rlkit.cluster.runs import RunChain, RunPlan

    order, real = [], fileio.atomic_write
    monkeypatch.setattr(fileio, "atomic_write", lambda path, fn: (order.append(Path(path).name), real(path, fn)))
    files = {
        "snapshots/itr_3.pt": b"s",
        "latest.pt": b"l",
        "progress.csv": b"Epoch\n3\n",
        "eval_returns_itr_3.json": b"{}",
        "tb/events.out.tfevents.1.host": b"e",
    }
    out = []
    chain = RunChain(RunPlan("point-robot/x/seed0", None, 0, tmp_path), None, out.append)
    before = int(time.time())
    chain.apply(SegmentResult(files, None, {"summary": "iteration 3", "node": "n1", "seconds": 2.0}), JobRecord("x"))
    (events,) = [k for k in read_tree(tmp_path) if k.startswith("tb/")]
    # (named by the driver's clock, `event_name_now`: a second from the one before apply to the one after)
    assert events.startswith("tb/events.out.tfevents.") and events.endswith(".host")
    assert before <= int(events.split(".")[3]) <= int(time.time())
    written = {**{k: v for k, v in files.items() if not k.startswith("tb/")}, events: b"e"}
    assert order[-2:] == ["latest.pt", "itr_3.pt"] and sorted(order) == sorted(Path(f).name for f in written)
    assert read_tree(tmp_path) == written
    assert out == ["point-robot/x/seed0 iteration 3 (n1, 2.0 s)"]


@pytest.mark.slow
def test_a_worker_fingerprints_the_copy_it_reads_where_the_configs_data_dir_is_not_on_its_node(
    tiny_data, tmp_path, monkeypatch
):
    """`prepare` fingerprints the data it reads (`data_dir`, a worker's local copy). The slip it guards against
    fingerprinted the config's data_dir instead: on a node without that folder the fingerprint is None, so the worker
    neither records dataset.json nor compares the data a resumed segment trains on with the data the run began on."""
    import shutil

    from rlkit.config import load_config
    from rlkit.experiment import prepare

    monkeypatch.chdir(tiny_data.parent.parent)
    shutil.copytree(tiny_data, tmp_path / "node-copy")
    on_driver = prepare(load_config(TINY_CONFIG), 0, torch.device("cpu"), out_dir=tmp_path / "driver")
    cfg = load_config(TINY_CONFIG, {"algo_params": {"data_dir": str(tmp_path / "only-on-the-driver")}})
    on_worker = prepare(cfg, 0, torch.device("cpu"), data_dir=tmp_path / "node-copy", out_dir=tmp_path / "worker")
    assert on_worker.data_print is not None
    assert on_worker.data_print["digest"] == on_driver.data_print["digest"]


# ---- resources ------------------------------------------------------------------------------------
def test_a_fraction_of_a_gpu_on_a_cluster_without_gpus_is_refused():
    """`task_resources` refuses any `--gpus-per-task` above 0 on a cluster without GPUs, a fraction of one too, not
    only 1 or more. With the slip, a researcher asking for half a GPU per task (two SACs per card) on a CPU-only
    cluster got no error: every task asked Ray for a GPU no node has, and the command waited forever instead of
    saying so."""
    cpu_only = _cluster(CPU=16)
    for gpus in (0.5, 0.0001):
        with pytest.raises(UserError, match=rf"--gpus-per-task {gpus}: the Ray cluster has no GPUs"):
            task_resources(cpu_only, ClusterOptions(gpus_per_task=gpus))


def test_a_task_no_node_holds_waits_on_a_cluster_given_by_its_address():
    """`task_slots` does not refuse a task no node holds on a cluster given by its address: not on every address but
    'auto' (`!= "auto"` for `== "local"`). A cluster joined as HOST:PORT or ray://HOST:PORT, whose autoscaler adds the
    node such a task needs, would otherwise be refused as if it were the local instance: each of the three addresses
    gets one line and one slot. (That the local instance, whose nodes are all there, refuses is checked by
    test_a_task_no_node_holds_is_refused_on_a_local_instance_and_said_on_a_cluster.)"""
    small, asked = _cluster(CPU=2.0), {"num_cpus": 3.0, "num_gpus": 0.0}
    for address in ("10.0.0.1:6379", "ray://head:10001", "auto"):
        said = []
        assert task_slots(small, asked, ClusterOptions(address), out=said.append) == 1
        assert len(said) == 1 and "the tasks wait until such a node joins" in said[0]


class _RemoteRecorder:
    """Enough of `ray` for `engine.remote`: records the options a task is given."""

    def __init__(self):
        self.options = None

    def remote(self, fn):
        return SimpleNamespace(options=lambda **kw: setattr(self, "options", kw) or ("task", fn, kw))


@pytest.mark.parametrize("retries", [0, 1, 7])
def test_a_segment_is_retried_as_often_as_max_retries_says_and_never_for_our_own_errors(retries):
    """`remote` gives Ray the `max_retries` of `--max-retries` and `retry_exceptions=False`. It guards against two
    slips: a fixed `max_retries=3`, or `retry_exceptions=True`. With the first, `--max-retries` is ignored (0, to see
    a flaky node fail at once, still retries; 7 on a preemptible cluster gives up after 3); with the second, an error
    of our own code (bad input, a divergence) is rerun `max_retries` times on the cluster before the job is marked
    failed."""
    ray = _RemoteRecorder()
    resources = {"num_cpus": 2.0, "num_gpus": 0.5}
    engine.remote(ray, len, resources, ClusterOptions(max_retries=retries))
    assert ray.options == {"num_cpus": 2.0, "num_gpus": 0.5, "max_retries": retries, "retry_exceptions": False}


def test_max_retries_zero_is_accepted():
    """`ClusterOptions` accepts `--max-retries 0`: it refuses `< 0`, not `<= 0`. With `<= 0`, a researcher who wants a
    lost worker to fail its job at once (no retries) was refused a valid setting."""
    assert ClusterOptions(max_retries=0).max_retries == 0


# ---- worker side ----------------------------------------------------------------------------------
def _fake_ray_module(monkeypatch, gpu_ids=(), attempt_number=None):
    """`ray` as `begin_segment` and `current_attempt` see it inside a task: its core worker's attempt number (None:
    a Ray version without it), the GPU ids Ray assigned, the node id."""
    core = None if attempt_number is None else SimpleNamespace(get_current_task_attempt_number=lambda: attempt_number)
    fake = SimpleNamespace(
        _private=SimpleNamespace(worker=SimpleNamespace(global_worker=SimpleNamespace(core_worker=core))),
        get_gpu_ids=lambda: list(gpu_ids),
        get_runtime_context=lambda: SimpleNamespace(get_node_id=lambda: "node-1"),
    )
    monkeypatch.setitem(sys.modules, "ray", fake)
    return fake


@pytest.mark.parametrize("ray_number, attempt", [(0, 1), (1, 2), (3, 4), (None, 1)])
def test_a_segments_attempt_counts_from_one(monkeypatch, ray_number, attempt):
    """`current_attempt` counts from one: it does not return Ray's 0-based attempt number as it is. Returned as it
    is, the first attempt of every segment counted as attempt 0: the summary table showed -1 retries per segment (and
    a real retry as none), so a researcher could not see which jobs lost workers."""
    _fake_ray_module(monkeypatch, attempt_number=ray_number)
    assert engine.current_attempt() == attempt


@pytest.mark.parametrize("cpus, threads", [(0.5, 1), (1.0, 1), (3.0, 3), (2.5, 2), (1.5, 1), (3.5, 3)])
def test_a_segment_uses_the_cpus_it_asked_for_and_a_fraction_of_one_runs_on_one_thread(monkeypatch, cpus, threads):
    """`begin_segment` sets `torch.set_num_threads(int(cpus))` with its floor of 1. Without the floor, with
    `--cpus-per-task 0.5` (two tasks per core) every segment failed at its start (set_num_threads(0) raises), so
    every job of the command was marked failed. Rounded instead of floored, 1.5 CPUs ran 2 threads (2.5 alone does
    not tell: Python rounds halves to even), more than the task reserved."""
    _fake_ray_module(monkeypatch, attempt_number=0)
    monkeypatch.setattr(engine, "keep_freed_memory", lambda: False)  # (process-wide: not this test's business)
    before = torch.get_num_threads()
    try:
        worker = engine.begin_segment(cpus)
        assert torch.get_num_threads() == threads
    finally:
        torch.set_num_threads(before)
    assert (worker.attempt, worker.node_id, worker.device) == (1, "node-1", torch.device("cpu"))


@pytest.mark.parametrize("gpu_ids, device", [((), "cpu"), ((3,), "cuda:0")])
def test_a_segment_runs_on_a_gpu_only_when_ray_gave_it_one(monkeypatch, gpu_ids, device):
    """`begin_segment` picks cuda:0 only when Ray assigned the task a GPU, not whenever CUDA is available. With the
    slip, a task asked with `--gpus-per-task 0` (or a config on the CPU) on a GPU node trained on a card Ray had
    given to another task: two jobs on one GPU, out of memory or slowed, against what was asked."""
    _fake_ray_module(monkeypatch, gpu_ids=gpu_ids, attempt_number=0)
    monkeypatch.setattr(engine, "keep_freed_memory", lambda: False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    before = torch.get_num_threads()
    try:
        assert engine.begin_segment(1.0).device == torch.device(device)
    finally:
        torch.set_num_threads(before)


def test_a_segments_info_reports_its_own_attempt_and_its_wall_time(monkeypatch):
    """`WorkerContext.info` reports the time since the segment began and the segment's own attempt. It guards
    against two slips: the clock's time reported instead, or attempt 1 always. The summary table's wall seconds then
    were the epoch time (about 1.8e9 per segment), or it showed 0 retries for jobs whose workers Ray had lost and
    rerun."""
    worker = engine.WorkerContext(3, torch.device("cpu"), "node-1", "host-a", started=1000.0)
    with monkeypatch.context() as m:
        m.setattr(engine.time, "time", lambda: 1012.5)
        info = worker.info(checkpoint=100)
    assert info["seconds"] == 12.5 and info["attempt"] == 3
    assert (info["node_id"], info["host"], info["pid"], info["checkpoint"]) == ("node-1", "host-a", os.getpid(), 100)


def test_a_new_scratch_folder_removes_the_scratch_of_killed_workers(tmp_path, monkeypatch):
    """`scratch_dir` calls `remove_orphans`. A worker killed mid-segment (what Ray's retries are for) never removes
    its scratch folder, which lives in /dev/shm: memory the node never gets back, until a long command's nodes run
    out of it. The next segment on the node removes it; a live process's scratch stays."""
    monkeypatch.setattr(engine.os, "access", lambda path, mode: False)  # no /dev/shm to write: the temp folder
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead, live = tmp_path / f"csro-seg-{_dead_pid()}-abc", tmp_path / f"csro-seg-{os.getpid()}-def"
    for folder in (dead, live):
        folder.mkdir()
        (folder / "latest.pt").write_bytes(b"x")
    with engine.scratch_dir("csro-seg-") as scratch:
        assert os.path.basename(scratch).startswith(scratch_prefix("csro-seg-"))  # (its pid and process space)
        assert not dead.exists() and live.exists()


# ---- the driver -----------------------------------------------------------------------------------
def test_the_ray_driver_says_a_retry_only_for_a_segment_ray_reran():
    """`drive` prints "Ray retried it after its worker was lost" only for a segment on an attempt above 1 (`> 1`),
    not for every segment (`>= 1`). With the slip, a researcher reading the progress lines would believe every
    segment lost its worker."""
    ray = _FakeRay()
    chains = [_ScriptedChain(ray, "a", [("n1", 1), ("n2", 2), ("n1", 1)]), _ScriptedChain(ray, "b", [("n1", 1)])]
    lines = []
    drive(ray, chains, slots=1, out=lines.append)
    assert [line for line in lines if "retried" in line] == [
        "a: segment 2 finished on attempt 2 (Ray retried it after its worker was lost)"
    ]


class _WorkerCrashed(Exception):
    """As Ray's own errors are (ray.exceptions.RayError and its WorkerCrashedError, ObjectLostError, ...): an
    Exception that is not a RuntimeError."""


def test_any_error_of_a_segment_ends_its_job_and_the_others_finish():
    """`drive` catches any error from `ray.get`, not only RuntimeError. Ray's own errors for a segment that ran out
    of retries (WorkerCrashedError, ObjectLostError, a task's ValueError) are not RuntimeErrors: caught only as
    RuntimeError, the first one ended the whole driver with a traceback, and the other jobs' segments under way were
    lost, with no summary table."""
    ray = _FakeRay()
    chains = [
        _ScriptedChain(ray, "a", [("n1", 1), _WorkerCrashed("the worker died 4 times")]),
        _ScriptedChain(ray, "b", [ValueError("bad value")]),
        _ScriptedChain(ray, "c", [("n2", 1), ("n2", 1)]),
    ]
    lines = []
    records = drive(ray, chains, slots=1, out=lines.append)
    a, b, c = records
    assert a.status == "failed: _WorkerCrashed: the worker died 4 times" and a.segments == 1
    assert b.status == "failed: ValueError: bad value"
    assert (c.status, c.segments) == ("done", 2) and lines[-1].endswith("[3/3]")


class _TaskError(Exception):
    """As Ray's RayTaskError is: its text is the worker's traceback, `cause` the task's own exception."""

    def __init__(self, cause: BaseException):
        super().__init__(f"ray::segment() (pid=1, ip=10.0.0.2)\nTraceback (most recent call last):\n  ...\n{cause!r}")
        self.cause = cause


def test_a_failed_segments_line_names_its_own_error():
    """`_one_line` names the task's own exception (`cause`) and prints a UserError's message as it is. It guards
    against two slips: ignoring `cause`, or not printing a UserError's message as it is. A job that failed on bad
    input then showed "UserError: ..." or Ray's wrapper type and the last line of a traceback instead of the
    one-line message the plain command prints."""
    ray = _FakeRay()
    chains = [
        _ScriptedChain(ray, "a", [_TaskError(UserError("path_to_weights 'x.pt' cannot be read: expected a file"))]),
        _ScriptedChain(ray, "b", [_TaskError(ValueError("loss is nan\nat iteration 3"))]),
    ]
    lines = []
    a, b = drive(ray, chains, slots=1, out=lines.append)
    assert a.status == "failed: path_to_weights 'x.pt' cannot be read: expected a file"
    assert b.status == "failed: ValueError: at iteration 3"
    assert lines[0] == "a: FAILED (path_to_weights 'x.pt' cannot be read: expected a file) [1/2]"
    assert (a.exit_code, b.exit_code) == (2, 1)  # (the UserError's code, for `finish`; an error in our code: 1)


def test_the_ray_driver_labels_a_node_that_joined_after_the_first_segment():
    """`drive` looks the nodes' addresses up again for a node it does not know yet, not only once
    (`if not addresses`). Looked up only once, a node that joined the cluster later (an autoscaler's, a replaced
    preempted one) was labelled by a piece of its id, not its address, in the progress lines and the summary
    table."""

    class GrowingCluster(_FakeRay):
        def nodes(self):  # node n3 joins once the first segment's files are written
            first = super().nodes()[:1]
            joined = [{"NodeID": "n3" * 8, "NodeManagerAddress": "10.0.0.3"}] if "write a 0" in self.log else []
            return first + joined

    ray = GrowingCluster()
    (record,) = drive(ray, [_ScriptedChain(ray, "a", [("n1", 1), ("n3", 1)])], slots=1, out=lambda line: None)
    assert record.nodes == ["host-n1 (10.0.0.1)", "host-n3 (10.0.0.3)"]


# ---- the summary and the command's end ------------------------------------------------------------
def test_one_failed_job_fails_the_command_naming_it():
    """`finish` fails the command when any job failed, naming the first failed job. It guards against two slips:
    failing the command only when more than one job failed, or naming the first job instead of the first failed
    one. With one task or seed failed the command then exited 0 after its table (a script or a cluster scheduler
    then took the results as complete); or its error named a job that had finished."""
    records = [
        JobRecord("goal_idx0", ["n1"], 1.0, 0, 2, "done"),
        JobRecord("goal_idx1", ["n1"], 1.0, 0, 1, "failed: ValueError: boom"),
        JobRecord("goal_idx2", ["n2"], 1.0, 0, 2, "done"),
    ]
    said = []
    with pytest.raises(RunFailedError, match=r"^1 of 3 tasks failed \(goal_idx1 failed: ValueError: boom\)"):
        finish(records, "task", out=said.append)
    assert said == [summary_table(records, "task")]
    finish([records[0], records[2]], "task", out=said.append)  # all done: no error


@pytest.mark.parametrize(
    "codes, jobs, code",
    [([2, 2], 2, 2), ([3, 3, 3], 3, 3), ([2], 3, 1), ([2, 3], 2, 1), ([1, 1], 2, 1), ([], 0, 1), (None, 0, 1)],
    ids=["all-bad-input", "all-diverged", "some-finished", "mixed", "ray-lost", "none", "not-given"],
)
def test_a_command_whose_every_job_failed_alike_exits_as_one_job_would(codes, jobs, code):
    """A reproduction over damaged data failed every run with the data's UserError and exited 1 ("runs failed"), where
    one run alone exits 2: every job failed with one exit code -> that code; some finished or different codes -> 1."""
    assert RunFailedError("m", codes, jobs).exit_code == code


def test_finish_exits_with_the_failures_own_code_when_every_job_failed_alike():
    """`finish` passes each failed job's exit code (its UserError's) on: two tasks of damaged data exit 2, not 1."""
    records = [JobRecord(f"goal_idx{i}", ["n1"], 1.0, 0, 1, "failed: damaged", exit_code=2) for i in range(2)]
    with pytest.raises(RunFailedError) as raised:
        finish(records, "task", out=lambda line: None)
    assert raised.value.exit_code == 2
    with pytest.raises(RunFailedError) as raised:
        finish([*records, JobRecord("goal_idx2", [], 1.0, 0, 1, "done")], "task", out=lambda line: None)
    assert raised.value.exit_code == 1


def test_the_summary_tables_columns_line_up():
    """`summary_table` sizes each column by its widest entry, not by its header only. Sized by the header, a long job
    name or node list pushed the rest of its row to the right, so a researcher reading the table saw wall times
    under the retries header."""
    records = [
        JobRecord("point-robot/a-long-experiment/seed0", ["host-a (10.0.0.1)", "host-b (10.0.0.2)"], 1234.5, 2, 30),
        JobRecord("x", [], 1.0, 0, 1, "done"),
    ]
    lines = summary_table(records, "run").splitlines()
    starts = [lines[0].index(h) for h in ("node", "wall (s)", "retries", "segments", "status")]
    for line, row in zip(lines[2:], records):
        for start, value in zip(starts, [", ".join(row.nodes) or "-", f"{row.seconds:.1f}", str(row.retries)]):
            assert line[start:].startswith(value), (line, value)


# ---- connecting -----------------------------------------------------------------------------------
def _fake_ray(monkeypatch, initialized=False, error=None):
    calls = []

    def init(**kw):
        calls.append(kw)
        if error is not None:
            raise error

    monkeypatch.setattr(engine, "require_ray", lambda: SimpleNamespace(is_initialized=lambda: initialized, init=init))
    return calls


def test_a_process_already_connected_to_ray_keeps_its_connection(monkeypatch):
    """`connect` does not say it started the connection a process already had. Saying so, the stage then shut Ray
    down at its end (`if started: ray.shutdown()`), under the caller that had connected it (a notebook, a script
    running both stages): its next Ray call failed."""
    calls = _fake_ray(monkeypatch, initialized=True)
    ray, started = engine.connect(ClusterOptions("local"))
    assert started is False and calls == []


def test_a_local_instance_is_a_new_one_whatever_ray_address_says(monkeypatch):
    """`connect` calls `ray.init()` with `address="local"` for `--ray` alone. Without it Ray joins the cluster
    RAY_ADDRESS names, or the one `ray start` left running: the jobs ran there, on resources not counted for them,
    instead of on a new instance on this machine."""
    calls = _fake_ray(monkeypatch)
    assert engine.connect(ClusterOptions("local"))[1] is True
    assert calls[0]["address"] == "local"
    # (and quiet: no dashboard server started beside a local run, no worker output poured into the command's)
    assert calls[0]["include_dashboard"] is False and calls[0]["log_to_driver"] is False


def test_an_address_where_nothing_listens_is_refused_before_ray_waits_for_it(monkeypatch):
    """`connect` probes the head whenever its address is known (`is not None`), not only when it is unknown
    (`is None`). Ray itself waits many minutes for an address where nothing answers: with the slip the command hung
    instead of one line."""
    calls = _fake_ray(monkeypatch)
    port = _closed_port()
    for address in (f"127.0.0.1:{port}", f"ray://127.0.0.1:{port}"):
        head = address.removeprefix("ray://")
        # (the system's words for the refusal, not Python's "[Errno 111] ..." form of them)
        with pytest.raises(UserError, match=rf"^--ray {address}: could not connect to {head} \(Connection refused\): "):
            engine.connect(ClusterOptions(address))
    assert calls == []


def test_a_ray_client_address_is_probed_at_its_host_and_port(monkeypatch):
    """`_head_address` drops the ray:// prefix. Keeping it, the probe looked for a host named 'ray://HOST': every
    ray://HOST:PORT address, of a cluster that answers, was refused as unreachable."""
    calls = _fake_ray(monkeypatch)
    with socket.socket() as head:
        head.bind(("127.0.0.1", 0))
        head.listen()
        address = f"ray://127.0.0.1:{head.getsockname()[1]}"
        assert engine.connect(ClusterOptions(address))[1] is True
    assert calls[0]["address"] == address


def test_a_connection_error_from_ray_is_one_line(monkeypatch):
    """`connect` catches ConnectionError. Ray raises it for 'auto' where this machine is part of no cluster: not
    caught, the command ended with Ray's traceback instead of a line saying what is expected. Under --ray local the
    error comes from a faked `ray.init`; under 'auto' from the lookup of the cluster's head (`_head_address`: a
    stand-in for Ray's `canonicalize_bootstrap_address` that finds none, as on a machine of no cluster), not from
    probing 'auto' as if it were a HOST:PORT."""
    error = ConnectionError("Could not find any running Ray instance.\nPlease specify one.")

    def finds_none(address):
        raise error

    services = SimpleNamespace(canonicalize_bootstrap_address=finds_none)
    monkeypatch.setitem(sys.modules, "ray", SimpleNamespace(_private=SimpleNamespace(services=services)))
    monkeypatch.setitem(sys.modules, "ray._private", sys.modules["ray"]._private)
    for address in ("local", "auto"):
        _fake_ray(monkeypatch, error=error)
        said = rf"^--ray {address}: could not connect \(Could not find any running Ray instance\.\): expected a running"
        with pytest.raises(UserError, match=said):
            engine.connect(ClusterOptions(address))


# ---- cluster/options.py ---------------------------------------------------------------------------
def _parsed_ray_options(args: list[str]) -> dict:
    """The values a command decorated with `ray_options` receives for `args` (as launch_experiment.py's and
    policy_train.py's `main` receive them)."""
    from rlkit.cluster.options import ray_options

    got = {}

    @click.command()
    @ray_options
    def command(**kwargs):
        got.update(kwargs)

    result = CliRunner().invoke(command, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return got


def test_ray_options_parse_as_their_help_says(monkeypatch):
    """`--ray` alone is a local instance (not 'auto', which needs a running cluster), the retries are None when not
    given (so a plain run passes `cluster_options`) and 3 on Ray then, and --gpus-per-task takes a fraction of a
    GPU."""
    monkeypatch.setattr("rlkit.cluster.options.require_ray", lambda: None)
    names = ("ray_address", "cpus_per_task", "gpus_per_task", "max_retries")
    plain = _parsed_ray_options([])
    assert plain == {"ray_address": None, "cpus_per_task": None, "gpus_per_task": None, "max_retries": None}
    assert cluster_options(*(plain[k] for k in names)) is None
    on_ray = _parsed_ray_options(["--ray"])
    assert cluster_options(*(on_ray[k] for k in names)) == ClusterOptions("local", None, None, 3)
    assert cluster_options(*(_parsed_ray_options(["--max-retries", "0", "--ray"])[k] for k in names)).max_retries == 0
    assert _parsed_ray_options(["--ray"])["ray_address"] == "local"
    assert _parsed_ray_options(["--ray", "auto"])["ray_address"] == "auto"
    assert _parsed_ray_options(["--ray", "--gpus-per-task", "0.5"])["gpus_per_task"] == 0.5
    assert _parsed_ray_options(["--ray", "--cpus-per-task", "1.5"])["cpus_per_task"] == 1.5


def test_any_max_retries_given_without_ray_is_refused_even_the_default():
    """--max-retries 0 (or 1, 2, or 3, Ray's default, given) without --ray is refused like --max-retries 5; accepting
    some values ran the command plainly with the option silently ignored."""
    for retries in (0, 1, 2, 3, 5):
        with pytest.raises(UserError, match=r"^--max-retries applies to --ray only: expected --ray with it$"):
            cluster_options(None, None, None, retries)


def test_a_zero_cpus_or_gpus_per_task_without_ray_is_refused():
    """`--gpus-per-task 0` (a CPU-only Ray run) or `--cpus-per-task 0` given without --ray is refused as any other
    value is: 0 is given, not left out."""
    with pytest.raises(UserError, match=r"^--gpus-per-task applies to --ray only"):
        cluster_options(None, None, 0.0, None)
    with pytest.raises(UserError, match=r"^--cpus-per-task, --gpus-per-task apply to --ray only"):
        cluster_options(None, 0.0, 0.0, None)


# ---- cluster/runs.py: sweep files and plans ---------------------------------------------------------
def test_a_sweep_entry_with_a_key_besides_exp_name_and_overrides_is_refused(tmp_path):
    """An entry's misspelt "overrides" ("overide") is refused, naming the entry; accepted, the run trained with none
    of the overrides its author meant, under the entry's name."""
    sweep = tmp_path / "sweep.json"
    sweep.write_text(json.dumps([{"exp_name": "a", "overide": {"use_club": False}}]))
    with pytest.raises(UserError, match=r"entry 0 .*expected \{\"exp_name\": NAME, \"overrides\": \{KEY: VALUE\}\}$"):
        load_sweep(sweep)


def test_a_sweep_entry_whose_overrides_are_not_an_object_is_one_line(tmp_path):
    """An entry's "overrides" given as a list (of flags, say) is a one-line UserError naming the entry, not an
    AttributeError traceback from reading it as a dict."""
    sweep = tmp_path / "sweep.json"
    sweep.write_text(json.dumps([{"exp_name": "a", "overrides": ["--use_club", "false"]}]))
    with pytest.raises(UserError, match=r"entry 0 .*expected \{\"exp_name\": NAME"):
        load_sweep(sweep)


def test_a_sweep_entrys_overrides_win_over_the_command_lines():
    """The command line's overrides apply to every entry first, then the entry's own, so an entry that sets a key the
    command line set too trains with the entry's value. (A slip in this order was caught before only by a slow
    test.)"""
    overrides = {"algo_params": {"num_iterations": 5, "snapshot_gap": 2}}
    plans = plan_runs(str(TINY_CONFIG), overrides, [0], [("short", {"algo_params": {"num_iterations": 1}})])
    assert plans[0].cfg.algo_params.num_iterations == 1 and plans[0].cfg.algo_params.snapshot_gap == 2


def _trained_run_folder(plan, iterations: int, digest: str | None = None) -> None:
    """`plan`'s run folder as a run of its config leaves it after `iterations` iterations (variant.json, a latest.pt
    holding the counters and a trainer state; dataset.json of `digest` if given), without training anything."""
    plan.out_dir.mkdir(parents=True)
    (plan.out_dir / "variant.json").write_text(json.dumps(dict(plan.cfg.to_dict(), seed=plan.seed)))
    torch.save({"counters": {"iteration": iterations}, "trainer": {}}, plan.out_dir / "latest.pt")
    if digest is not None:
        (plan.out_dir / "dataset.json").write_text(json.dumps({"digest": digest, "data_dir": "then", "tasks": {}}))


def test_the_check_before_a_sweep_trains_refuses_a_run_folder_trained_on_other_data(tmp_path, monkeypatch):
    """`check_plans` compares each run folder's dataset.json with the data its config reads now, so a sweep whose
    data changed under a half-trained run stops before anything trains (on Ray: before a worker finds it, after the
    other runs started). Without the comparison, the run was only refused later, by its own segment."""
    import rlkit.run_folder as rf
    from rlkit.cluster.runs import check_plans

    monkeypatch.setattr(rf, "dataset_fingerprint", lambda data_dir, steps, reads: {"digest": "now", "tasks": {}})
    base = {"util_params": {"base_log_dir": str(tmp_path), "use_gpu": False}, "algo_params": {"num_iterations": 3}}
    plans = plan_runs(str(TINY_CONFIG), base, [0], [("same", {}), ("other", {"algo_params": {"snapshot_gap": 2}})])
    _trained_run_folder(plans[0], 1, digest="now")
    assert [(p.name, done) for p, done in check_plans(plans)] == [(plans[0].name, 1), (plans[1].name, 0)]
    _trained_run_folder(plans[1], 1, digest="then")
    with pytest.raises(UserError, match=r"seed0' was trained on other data than .*expected the same data to resume"):
        check_plans(plans)


def test_runs_one_after_another_train_on_the_gpu_each_config_names(tmp_path, monkeypatch, capsys):
    """`--seeds`/`--sweep` without Ray trains each run on its config's device, CUDA device `gpu_id` (a sweep entry
    may put a run on another card), as a `--seed` run does; not always cuda:0. (CUDA is faked present, with 4
    devices; `prepare` stops each run once it has the device.)"""
    import rlkit.cluster.runs as runs

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 4)
    devices = []

    def prepare(cfg, seed, device, **kwargs):
        devices.append(str(device))
        raise UserError("stopped here")

    monkeypatch.setattr(runs, "prepare", prepare)
    base = {"util_params": {"base_log_dir": str(tmp_path), "use_gpu": True}}
    sweep = [
        ("a", {"util_params": {"gpu_id": 2}}),
        ("b", {"util_params": {"gpu_id": 0}}),
        ("c", {"util_params": {"use_gpu": False, "gpu_id": 3}}),
    ]
    with pytest.raises(RunFailedError, match="3 of 3 runs failed"):
        runs.run_sequential(runs.plan_runs(str(TINY_CONFIG), base, [0], sweep), show_progress=False, out=lambda s: None)
    assert devices == ["cuda:2", "cuda:0", "cpu"]


# ---- cluster/runs.py: the Ray driver ----------------------------------------------------------------
def test_a_runs_first_segment_gets_the_run_folders_resume_files_only(tmp_path):
    """A run's first Ray segment receives the files a resume reads (latest.pt, progress.csv, variant.json,
    debug.log, ...), not its snapshots and TensorBoard files (the largest, which no worker needs) nor the driver's
    `.lock` (which, written into the worker's scratch folder, names a live process of the driver's host: the
    segment's own lock refused the run as "being trained by another process")."""
    from rlkit.cluster.runs import RunChain, RunPlan

    state = io.BytesIO()
    torch.save({"counters": {"iteration": 1}, "trainer": {}}, state)
    resume = {
        "latest.pt": state.getvalue(),
        "progress.csv": b"Epoch\n0\n",
        "variant.json": b"{}",
        "debug.log": b"d",
        "dataset.json": b"{}",
        "code.json": b"{}",
    }
    write_tree(tmp_path, {**resume, "snapshots/itr_0.pt": b"s", "tb/events.out.tfevents.1.host": b"e"})
    (tmp_path / ".lock").write_text(f"{os.getpid()} host")
    sent = []
    plan = RunPlan("point-robot/x/seed0", SimpleNamespace(algo_type="CSRO"), 0, tmp_path)
    chain = RunChain(plan, lambda plan, files: sent.append(files), print)
    chain.submit(None)
    assert sent == [resume]
    chain.submit({"latest.pt": b"the last segment's"})  # later links: the files the last segment returned
    assert sent[-1] == {"latest.pt": b"the last segment's"}


def _fake_ray_driver(monkeypatch, tmp_path, *, gpus: float = 0, started: bool = True):
    """`run_on_ray`'s Ray replaced: a cluster of 8 CPUs and `gpus` GPUs that `connect` joins (`started`: as a new
    connection), whose tasks are recorded, not run; `drive` submits each chain's first segment and reports it done.
    Returns what happened: calls to connect/shutdown, the resources asked per task, the segments submitted, the values
    put in the object store (`put` returns ("ref", k) for the k-th, from 1)."""
    import rlkit.cluster.runs as runs

    seen = {"connect": 0, "shutdown": 0, "resources": None, "segments": [], "puts": []}
    totals = {"CPU": 8.0, **({"GPU": gpus} if gpus else {})}
    ray = SimpleNamespace(
        cluster_resources=lambda: totals,
        nodes=lambda: [{"Alive": True, "Resources": totals}],
        put=lambda value: (seen["puts"].append(value), ("ref", len(seen["puts"])))[1],
        shutdown=lambda: seen.__setitem__("shutdown", seen["shutdown"] + 1),
    )

    def connect(opts):
        seen["connect"] += 1
        return ray, started

    def remote(ray_, fn, resources, opts):
        seen["resources"] = resources
        return SimpleNamespace(remote=lambda *args: seen["segments"].append(args))

    def drive(ray_, chains, slots, out):
        for chain in chains:
            chain.submit(None)
        return [JobRecord(c.name, status="done") for c in chains]

    monkeypatch.setattr(runs, "connect", connect)
    monkeypatch.setattr(runs, "remote", remote)
    monkeypatch.setattr(runs, "drive", drive)
    data = tmp_path / "data"
    (data / "goal_idx0").mkdir(parents=True)
    (data / "goal_idx0" / "step100.npz").write_bytes(b"x")
    return seen, data


def test_bad_input_of_a_ray_sweep_is_one_line_before_ray_is_joined(tmp_path, monkeypatch):
    """The Ray driver prepares each distinct config once before it joins Ray, so that a run whose data is missing
    fails the command at once, naming the run, instead of in a worker after the other runs
    have started."""
    from rlkit.cluster.runs import run_on_ray

    seen, data = _fake_ray_driver(monkeypatch, tmp_path)
    monkeypatch.chdir(tmp_path)  # (the tiny config's data_dir is relative: nothing there)
    base = {"util_params": {"base_log_dir": str(tmp_path / "out"), "use_gpu": False}}
    sweep = [("missing", {})]
    with pytest.raises(UserError, match=r"^point-robot/missing/seed0: missing dataset folder"):
        run_on_ray(plan_runs(str(TINY_CONFIG), base, [0], sweep), ClusterOptions("local"), out=lambda s: None)
    assert seen["connect"] == 0 and seen["segments"] == []


def test_a_ray_sweep_asks_a_gpu_per_task_when_any_of_its_runs_trains_on_one(tmp_path, monkeypatch):
    """One resource request serves every run of the command, so a sweep with a run of `use_gpu: true` asks a GPU per
    task even beside CPU runs (asking none, the GPU run trained on a worker Ray gave no GPU: on the CPU); a sweep of
    CPU runs only asks none on a GPU cluster."""
    import rlkit.cluster.runs as runs

    seen, data = _fake_ray_driver(monkeypatch, tmp_path, gpus=2)
    monkeypatch.setattr(runs, "prepare", lambda cfg, seed, device, **kw: None)
    base = {"util_params": {"base_log_dir": str(tmp_path / "out")}, "algo_params": {"data_dir": str(data)}}
    mixed = [("gpu", {"util_params": {"use_gpu": True}}), ("cpu", {"util_params": {"use_gpu": False}})]
    records = runs.run_on_ray(runs.plan_runs(str(TINY_CONFIG), base, [0], mixed), ClusterOptions("local"), out=print)
    assert [r.status for r in records] == ["done", "done"] and len(seen["segments"]) == 2
    assert seen["resources"] == {"num_cpus": 1.0, "num_gpus": 1.0}
    cpu_only = [("cpu2", {"util_params": {"use_gpu": False}})]
    runs.run_on_ray(runs.plan_runs(str(TINY_CONFIG), base, [0], cpu_only), ClusterOptions("local"), out=print)
    assert seen["resources"] == {"num_cpus": 1.0, "num_gpus": 0.0}


def test_the_ray_driver_shuts_down_only_a_ray_it_started(tmp_path, monkeypatch):
    """A Ray instance the command started is shut down at its end; one the process was already connected to (a
    notebook, a script running both stages) is left running for its next call."""
    import rlkit.cluster.runs as runs

    base = {"util_params": {"base_log_dir": str(tmp_path / "out"), "use_gpu": False}}
    for started, shutdowns in ((True, 1), (False, 0)):
        seen, data = _fake_ray_driver(monkeypatch, tmp_path / str(started), started=started)
        monkeypatch.setattr(runs, "prepare", lambda cfg, seed, device, **kw: None)
        sweep = [(f"s{started}", {"algo_params": {"data_dir": str(data)}})]
        runs.run_on_ray(runs.plan_runs(str(TINY_CONFIG), base, [0], sweep), ClusterOptions("local"), out=lambda s: None)
        assert seen["shutdown"] == shutdowns, started


def test_exp_name_with_a_sweep_is_refused(tmp_path, monkeypatch):
    """`--exp_name` (an override of util_params.exp_name) together with `--sweep` is refused, since each entry's
    exp_name names its folder; looked up at the top level of the nested overrides, it never matched, so the given
    --exp_name was silently ignored."""
    from rlkit.cluster.runs import run_many

    monkeypatch.chdir(tmp_path)  # (no data here: a run the slip let through fails at once, training nothing)
    sweep = tmp_path / "sweep.json"
    sweep.write_text(json.dumps([{"exp_name": "a"}]))
    with pytest.raises(UserError, match=r"^--exp_name and --sweep together: expected the sweep file's entries"):
        run_many(str(TINY_CONFIG), {"util_params": {"exp_name": "mine"}}, [0], str(sweep), None)
    # --exp_name with --seeds alone names the seeds' runs (not refused as if a sweep were given)
    import rlkit.cluster.runs as runs

    monkeypatch.setattr(runs, "run_sequential", lambda plans, show_progress: [p.name for p in plans])
    assert run_many(str(TINY_CONFIG), {"util_params": {"exp_name": "mine"}}, [0, 1], None, None) == [
        "point-robot/mine/seed0",
        "point-robot/mine/seed1",
    ]


def test_a_nodes_dataset_cache_leaves_a_live_workers_copy_in_progress_alone(tmp_path, monkeypatch):
    """The cache removes a dataset copy no segment used for a day and the half copies of killed workers, but never a
    live worker's half copy (`.part-PID-KEY`, however old its folder's time): removed under it, that worker's copy
    failed midway."""
    import rlkit.cluster.runs as runs

    monkeypatch.setitem(sys.modules, "ray", SimpleNamespace(get=lambda ref: ref))
    cache = tmp_path / "cache"
    live = cache / f".part-{os.getpid()}-k0"  # another thread of this (live) process copying dataset k0
    (live / "goal_idx0").mkdir(parents=True)
    long_ago = time.time() - 2 * runs.DATA_CACHE_IDLE_S
    os.utime(live, (long_ago, long_ago))
    runs.local_dataset("k1", [{"goal_idx0/step100.npz": b"x"}], cache)
    assert sorted(p.name for p in cache.iterdir()) == [live.name, "k1"]


def test_a_nodes_dataset_copy_that_fails_midway_leaves_no_half_copy(tmp_path, monkeypatch):
    """A copy that fails after its first files are written (a full disk: an OSError; Ctrl-C or a cancelled task: a
    BaseException) removes its half-written `.part-` folder before the error goes on; left, it stayed on the node's
    disk for as long as its process lived (a Ray worker serves many segments)."""
    import rlkit.cluster.runs as runs

    class FailsAtTheSecondFile(dict):
        def __init__(self, error):
            super().__init__({"goal_idx0/step100.npz": b"a", "goal_idx0/step200.npz": b"b"})
            self.error = error

        def __getitem__(self, key):
            if key == "goal_idx0/step200.npz":
                raise self.error
            return super().__getitem__(key)

    monkeypatch.setitem(sys.modules, "ray", SimpleNamespace(get=lambda ref: ref))
    cache = tmp_path / "cache"
    with pytest.raises(OSError, match="No space"):
        runs.local_dataset("k1", [FailsAtTheSecondFile(OSError(28, "No space left on device"))], cache)
    assert list(cache.iterdir()) == []
    with pytest.raises(KeyboardInterrupt):
        runs.local_dataset("k1", [FailsAtTheSecondFile(KeyboardInterrupt())], cache)
    assert list(cache.iterdir()) == []


def test_an_unnamed_experiment_is_named_by_the_time_to_the_second():
    """The name of a run without exp_name is the time to the second (`%Y_%m_%d_%H_%M_%S`); the slip it guards against
    cut it to the minute (`%Y_%m_%d_%H_%M`). The reference names such a run output/ENV/YYYY_MM_DD_HH_MM_SS/seed{S};
    to the minute, two runs of one config and seed started within the same minute (a quick retry, a script's loop)
    share a folder, and the second resumes or is refused by the first. (tests/test_cluster.py, beside the exp_name
    test of `experiment_name`.)"""
    import re

    from rlkit.config import load_config
    from rlkit.experiment import experiment_name

    cfg = load_config(TINY_CONFIG, {"util_params": {"exp_name": "", "base_log_dir": "out"}})
    before = time.strftime("%Y_%m_%d_%H_%M_%S")
    name = experiment_name(cfg)
    after = time.strftime("%Y_%m_%d_%H_%M_%S")
    assert re.fullmatch(r"\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d", name) and before <= name <= after


def test_an_unfinished_atomic_write_is_a_dotted_tmp_file_that_read_tree_leaves_out(tmp_path):
    """atomic_write's temporary file is `.NAME.XXXX.tmp` beside the file, the form read_tree leaves out and
    FolderLock removes as a killed writer's; without the leading dot a tree read (a run folder copied to the
    cluster's storage) during a write, or after a kill, would hold the half-written file under a name of its own."""
    import rlkit.fileio as fileio

    (tmp_path / "done.txt").write_text("whole")
    seen = {}

    def write(f):
        seen["tree"] = sorted(fileio.read_tree(tmp_path))
        seen["names"] = sorted(p.name for p in tmp_path.iterdir())
        f.write(b"new")

    fileio.atomic_write(tmp_path / "x.bin", write)
    assert seen["tree"] == ["done.txt"]
    (temporary,) = [n for n in seen["names"] if n != "done.txt"]
    assert temporary.startswith(".x.bin.") and temporary.endswith(".tmp")
    assert sorted(fileio.read_tree(tmp_path)) == ["done.txt", "x.bin"]


def test_read_tree_lists_the_files_in_sorted_order_whatever_the_folders_order(tmp_path):
    """read_tree walks the folder sorted, so the dataset digest the cluster keys its node copies by (`dataset_files`,
    which hashes the files in read_tree's order) is the same for the same files in any folder, whatever order the
    file system lists them in."""
    names = [f"{c}{i}.bin" for i in range(8) for c in "zyxab"]
    for name in names:  # made in an order that is not sorted, some in a subfolder
        (tmp_path / ("sub" if name.startswith("y") else "") / name).parent.mkdir(exist_ok=True)
        (tmp_path / ("sub" if name.startswith("y") else "") / name).write_bytes(name.encode())
    expected = sorted(f"sub/{n}" if n.startswith("y") else n for n in names)
    assert list(read_tree(tmp_path)) == expected


def test_the_scratch_of_a_killed_process_that_is_a_link_to_a_folder_is_removed_and_its_target_kept(tmp_path):
    """remove_orphans removes a dead process's scratch that is a symbolic link as a file (the link itself): rmtree
    refuses a link, silently under ignore_errors, and the link would stay though reported removed."""
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "keep.txt").write_text("x")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    link = scratch / f"csro-run-{_dead_pid()}-abc"
    link.symlink_to(target, target_is_directory=True)
    assert remove_orphans(scratch, "csro-run-") == [link]
    assert list(scratch.iterdir()) == [] and (target / "keep.txt").read_text() == "x"


def test_an_ipv6_head_address_in_brackets_is_accepted():
    """`ClusterOptions` splits HOST:PORT at the last colon, not at the first (`partition`). Split at the first, an
    IPv6 head, written `[::1]:6379` or `ray://[fe80::1]:10001`, was refused as not HOST:PORT."""
    for address in ("[::1]:6379", "ray://[fe80::1]:10001", "[2001:db8::7]:6379"):
        assert ClusterOptions(address).address == address


def test_an_ipv6_head_is_probed_at_its_address_without_brackets(monkeypatch):
    """`probe_head` drops the brackets of `[::1]` (socket's resolver knows no host '[::1]') and splits HOST:PORT at
    the last colon; it guards against keeping the brackets, or splitting at the first colon. The probe of an IPv6
    cluster's head must connect to ('::1', 6379)."""
    seen = []

    class Connection:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def create_connection(address, timeout):
        seen.append((address, timeout))
        return Connection()

    monkeypatch.setattr(engine.socket, "create_connection", create_connection)
    engine.probe_head("[::1]:6379", "[::1]:6379", timeout=2.0)
    engine.probe_head("ray://[fe80::1]:10001", "[fe80::1]:10001", timeout=2.0)
    assert seen == [(("::1", 6379), 2.0), (("fe80::1", 10001), 2.0)]


def test_port_65536_is_refused_and_65535_accepted():
    """`ClusterOptions` refuses port 65536; the slip it guards against allowed it (`<= 65536`). No TCP port is above
    65535: the address is refused at once rather than by Ray's connection attempt."""
    ClusterOptions("head:65535")
    ClusterOptions("ray://head:1")
    with pytest.raises(UserError, match=r"^--ray head:65536: the port is not in 1\.\.65535"):
        ClusterOptions("head:65536")


@pytest.mark.parametrize("name", ["cpus_per_task", "gpus_per_task"])
def test_an_infinite_number_of_cpus_or_gpus_per_task_is_refused(name):
    """`ClusterOptions` refuses an infinite or NaN `--cpus-per-task` or `--gpus-per-task` (its `>= 0` test refuses a
    NaN, its `math.isfinite` check an infinity): without the check, `--cpus-per-task inf` passed the `>= 0` test and
    reached Ray, whose own error came as a traceback at the first submission."""
    expected = "a positive number of CPUs" if name == "cpus_per_task" else "a number >= 0"
    for value in (float("inf"), float("nan")):
        with pytest.raises(UserError, match=rf"^--{name.replace('_', '-')} {value}: expected {expected}"):
            ClusterOptions(**{name: value})


def test_fractional_tasks_per_node_are_counted_despite_rounding():
    """`capacity` counts the tasks per node with a 1e-9 tolerance. 7 GPUs hold exactly 50 tasks of 0.14 GPU and 33
    CPUs 30 of 1.1 CPUs, but in floating point 7 / 0.14 is 49.999... and 33 / 1.1 is 29.999...: truncated without
    the tolerance, a slot was lost."""
    node = _cluster({"CPU": 64.0, "GPU": 7.0})
    assert capacity(node, {"num_cpus": 1.0, "num_gpus": 0.14}) == 50
    assert capacity(_cluster({"CPU": 33.0}), {"num_cpus": 1.1, "num_gpus": 0.0}) == 30


def test_the_largest_node_a_refusal_names_is_the_one_with_the_most_gpus():
    """`task_slots` ranks the nodes by GPUs first, not by CPUs first. Ranked by CPUs first, a task that asks 2 GPUs
    on a cluster of a 64-CPU node without GPUs and a 4-CPU node with one GPU was told the largest node has 0 GPUs,
    hiding the node that comes closest to holding it."""
    cluster = _cluster({"CPU": 64.0}, {"CPU": 4.0, "GPU": 1.0})
    with pytest.raises(UserError, match=r"\(its largest node has 4 CPUs and 1 GPUs\): expected at most that"):
        task_slots(cluster, {"num_cpus": 1.0, "num_gpus": 2.0}, ClusterOptions())


def test_a_segment_keeps_the_memory_it_frees_as_the_entry_points_do(monkeypatch):
    """`begin_segment` calls `keep_freed_memory()`. A Ray worker process runs many segments; without the malloc
    settings each training step page-faults its activations afresh, as a plain run does not."""
    _fake_ray_module(monkeypatch, attempt_number=0)
    calls = []
    monkeypatch.setattr(engine, "keep_freed_memory", lambda: calls.append(1) or True)
    before = torch.get_num_threads()
    try:
        engine.begin_segment(1.0)
    finally:
        torch.set_num_threads(before)
    assert calls == [1]


@pytest.mark.parametrize("entry", [{"overrides": {}}, {"exp_name": 5}, {"exp_name": None, "overrides": {}}])
def test_a_sweep_entry_without_a_string_exp_name_is_one_line_naming_it(tmp_path, entry):
    """`load_sweep` checks that an entry's exp_name is a string. Without the check, an entry that forgot it ended in
    a KeyError traceback; one of `"exp_name": 5` trained into a folder named `5`."""
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps([{"exp_name": "a"}, entry]))
    with pytest.raises(UserError, match=r"sweep.json' entry 1 \(.*\): expected \{\"exp_name\": NAME, \"overrides\""):
        load_sweep(path)


def test_seeds_without_a_sweep_go_to_the_folder_the_command_lines_exp_name_names():
    """`plan_runs` names a run of `--seeds` without `--sweep` by the command line's `--exp_name`, not from the config
    alone. Named from the config alone, `--exp_name mine --seeds 0,1` trained into a timestamp folder (the tiny
    config names no experiment), not `mine/seed0` and `mine/seed1` where a `--seed` run of the same command goes."""
    plans = plan_runs(str(TINY_CONFIG), {"util_params": {"exp_name": "mine"}}, [0, 1], None)
    assert [p.name for p in plans] == ["point-robot/mine/seed0", "point-robot/mine/seed1"]
    assert [p.out_dir.parts[-2:] for p in plans] == [("mine", "seed0"), ("mine", "seed1")]


def test_runs_one_after_another_show_progress_only_when_asked(tmp_path, monkeypatch):
    """`run_sequential` trains every run with the `show_progress` it is given, not always `show_progress=True`. With
    the slip, `--seeds ... --no-progress` (a log file, a batch job) still drew the progress bars of each run."""
    import rlkit.cluster.runs as runs

    shown = []

    class Trainer:
        def __init__(self, setup, show_progress):
            shown.append(show_progress)

        def run(self):
            return None

    setup = SimpleNamespace(train_tasks=[0], test_tasks=[1])
    monkeypatch.setattr(runs, "prepare", lambda cfg, seed, device, **kw: setup)
    monkeypatch.setattr(runs, "MetaTrainer", Trainer)
    base = {"util_params": {"base_log_dir": str(tmp_path), "use_gpu": False}}
    for show in (False, True):
        plans = runs.plan_runs(str(TINY_CONFIG), base, [0], [(f"show{show}", {})])
        records = runs.run_sequential(plans, show_progress=show, out=lambda s: None)
        assert [r.status for r in records] == ["done"]
    assert shown == [False, True]


def test_runs_one_after_another_keep_the_memory_they_free(tmp_path, monkeypatch):
    """`run_many` calls `keep_freed_memory()` before the runs of `--seeds`/`--sweep` train in this process, as a
    single run's entry point does (without it each training step page-faults its activations afresh)."""
    import rlkit.cluster.runs as runs

    calls = []
    monkeypatch.setattr(runs, "keep_freed_memory", lambda: calls.append("keep") or True)
    monkeypatch.setattr(runs, "run_sequential", lambda plans, show_progress: calls.append("train") or [])
    base = {"util_params": {"base_log_dir": str(tmp_path), "use_gpu": False}}
    assert runs.run_many(str(TINY_CONFIG), base, [0, 1], None, None) == []
    assert calls == ["keep", "train"]


def test_a_nodes_dataset_copy_unused_for_hours_but_not_a_day_is_kept(tmp_path, monkeypatch):
    """The node cache's idle limit is a day (`24 * 3600`); the slip it guards against cut it to an hour. A copy a
    long run's segments last touched two hours ago (one iteration of a faithful run takes longer) was then removed
    by a segment of another dataset, and fetched again by the next segment; only copies unused for over a day go."""
    import rlkit.cluster.runs as runs

    monkeypatch.setitem(sys.modules, "ray", SimpleNamespace(get=lambda ref: ref))
    cache = tmp_path / "cache"
    for name, age_h in (("two_hours", 2), ("twenty_hours", 20), ("two_days", 48)):
        (cache / name).mkdir(parents=True)
        os.utime(cache / name, (time.time() - age_h * 3600,) * 2)
    runs.local_dataset("new", [{"goal_idx0/task.json": b"{}"}], cache)
    assert sorted(p.name for p in cache.iterdir()) == ["new", "twenty_hours", "two_hours"]


def _weighted_base(tmp_path, data, weights: str) -> dict:
    """The overrides of a Ray driver test's runs: outputs under tmp_path/out on the CPU, the stand-in `data`, and
    `weights` as path_to_weights."""
    return {
        "util_params": {"base_log_dir": str(tmp_path / "out"), "use_gpu": False},
        "algo_params": {"data_dir": str(data)},
        "path_to_weights": weights,
    }


def test_a_ray_runs_segments_get_its_own_seed_and_its_path_to_weights_bytes(tmp_path, monkeypatch):
    """The Ray driver submits each run's segment with the run's own seed and ships a run's path_to_weights file
    (`w not in weights`). It guards against two slips: every run's segment submitted with seed 0, or the weights
    never shipped (`w in weights` for `w not in weights`). `--seeds 0,3 --ray` then trained seed 3 as seed 0 into
    seed3's folder, and a run starting from weights failed on every worker ("cannot be read")."""
    import rlkit.cluster.runs as runs

    seen, data = _fake_ray_driver(monkeypatch, tmp_path)
    monkeypatch.setattr(runs, "prepare", lambda cfg, seed, device, **kw: None)
    monkeypatch.setattr(runs, "MetaTrainer", lambda setup, show_progress: None)  # (reads path_to_weights)
    weights = tmp_path / "start.pt"
    weights.write_bytes(b"the weights")
    base = _weighted_base(tmp_path, data, str(weights))
    plans = runs.plan_runs(str(TINY_CONFIG), base, [0, 3], [("w", {})])
    runs.run_on_ray(plans, ClusterOptions("local", cpus_per_task=3), out=lambda s: None)
    # segment.remote(cpus, cfg_dict, seed, run_files, data_key, data_ref, weights_ref)
    assert [args[2] for args in seen["segments"]] == [0, 3]
    # the dataset's files and the weights' bytes each put in Ray's object store once, for both runs (put once per
    # run, a sweep held a copy of its dataset per run in the driver's memory and the store; the values the
    # references held compared equal either way)
    assert len(seen["puts"]) == 2 and seen["puts"][1] == b"the weights"
    assert [(args[5], args[6]) for args in seen["segments"]] == [([("ref", 1)], [("ref", 2)])] * 2
    assert [args[0] for args in seen["segments"]] == [3.0, 3.0]  # the CPUs Ray reserves, which the segment uses


def test_a_ray_resume_reads_no_path_to_weights_and_a_new_seed_beside_it_has_its_file_checked(tmp_path, monkeypatch):
    """path_to_weights is a new run's start: a resumed run continues from its latest.pt (as a plain resume does), so the
    Ray driver neither reads nor ships the file for it. Seed 0 resumed (2 iterations done) beside a new seed 1, with
    the file gone: the command fails at once naming seed 1's file (one line, before Ray is joined), where the driver
    checked the config once, for the resumed seed, and then read the file to ship it (a FileNotFoundError
    traceback); with seed 0 alone, it resumes without the file. (The trainer is a stand-in that reads the file as the
    real one does: for a run without latest.pt.)"""
    import rlkit.cluster.runs as runs

    seen, data = _fake_ray_driver(monkeypatch, tmp_path)
    monkeypatch.setattr(runs, "prepare", lambda cfg, seed, device, **kw: SimpleNamespace(cfg=cfg, seed=seed))
    read = []

    def trainer(setup, show_progress):
        if setup.seed != 0:  # (seed 0 holds its latest.pt)
            read.append(setup.seed)
            raise UserError(f"path_to_weights {setup.cfg.path_to_weights!r} cannot be read: expected a file")

    monkeypatch.setattr(runs, "MetaTrainer", trainer)
    base = _weighted_base(tmp_path, data, str(tmp_path / "gone.pt"))
    plans = runs.plan_runs(str(TINY_CONFIG), base, [0, 1], [("w", {})])
    monkeypatch.setattr(runs, "check_plans", lambda plans: [(p, 2 if p.seed == 0 else 0) for p in plans])
    with pytest.raises(UserError, match=r"^point-robot/w/seed1: path_to_weights .*gone.pt' cannot be read"):
        runs.run_on_ray(plans, ClusterOptions("local"), out=lambda s: None)
    assert read == [1] and seen["connect"] == 0
    runs.run_on_ray(plans[:1], ClusterOptions("local"), out=lambda s: None)
    # segment.remote(cpus, cfg_dict, seed, run_files, data_key, data_ref, weights_ref): only the dataset put, no weights
    assert len(seen["puts"]) == 1 and [(args[2], args[6]) for args in seen["segments"]] == [(0, None)]


def _segment_worker(monkeypatch, tmp_path):
    """`training_segment`'s worker stood in for in this process: Ray's get, the worker's context (1 CPU), the dataset's
    copy on the node and `prepare` (its setup: the config and the scratch run folder). Returns the tiny config of 3
    iterations that the segments are given."""
    import rlkit.cluster.runs as runs

    monkeypatch.setitem(sys.modules, "ray", SimpleNamespace(get=lambda ref: ref))
    monkeypatch.setattr(runs, "begin_segment", lambda cpus: WorkerContext(1, torch.device("cpu"), "node", "host"))
    monkeypatch.setattr(runs, "local_dataset", lambda key, ref: tmp_path / "data")
    monkeypatch.setattr(
        runs, "prepare", lambda cfg, seed, device, out_dir=None, **kw: SimpleNamespace(cfg=cfg, out_dir=out_dir)
    )
    return load_config(TINY_CONFIG, {"algo_params": {"num_iterations": 3}})


def test_a_path_to_weights_that_does_not_fit_is_refused_before_ray_is_joined(tmp_path, monkeypatch):
    """The driver reads path_to_weights into a trainer of the run's config before it joins Ray, as it prepares each
    config, so a file that cannot be read or does not fit fails the command at once in one line. Without that, a
    missing file was a FileNotFoundError traceback after Ray had started, and a file of other networks failed every
    run on its worker. (The trainer is a stand-in that refuses the file as the real one does.)"""
    import rlkit.cluster.runs as runs

    seen, data = _fake_ray_driver(monkeypatch, tmp_path)
    monkeypatch.setattr(runs, "prepare", lambda cfg, seed, device, **kw: SimpleNamespace(cfg=cfg))
    read = []

    def trainer(setup, show_progress):
        read.append(setup.cfg.path_to_weights)
        raise UserError(f"path_to_weights {setup.cfg.path_to_weights!r} does not fit this run's networks")

    monkeypatch.setattr(runs, "MetaTrainer", trainer)
    base = _weighted_base(tmp_path, data, str(tmp_path / "other.pt"))
    with pytest.raises(UserError, match=r"^point-robot/w/seed0: path_to_weights .*other.pt' does not fit"):
        runs.run_on_ray(runs.plan_runs(str(TINY_CONFIG), base, [0], [("w", {})]), ClusterOptions("local"), print)
    assert read == [str(tmp_path / "other.pt")] and seen["connect"] == 0 and seen["segments"] == []


def test_a_training_segment_returns_what_its_iteration_changed_and_a_resume_state_without_outputs(
    tmp_path, monkeypatch
):
    """A segment sends back the files its iteration wrote or changed (the new latest.pt, its snapshot, its event file),
    not the resume files it was given unchanged, and continues the chain from the resume files only: no snapshot or
    TensorBoard file (RESUME_SKIP). With every file in the state, each segment carried all earlier snapshots and
    events on to the next, through the object store, growing with every iteration. (The trainer is a stand-in that
    writes what an iteration writes.)"""
    import rlkit.cluster.runs as runs

    cfg = _segment_worker(monkeypatch, tmp_path)

    class Trainer:
        summary = staticmethod(lambda row: "s")

        def __init__(self, setup, show_progress, weights_file):
            self.counters, self.out = {"iteration": 2}, setup.out_dir

        def run(self, **kwargs):
            write_tree(
                self.out, {"latest.pt": b"new", "snapshots/itr_1.pt": b"snap", "tb/events.out.tfevents.1.h": b"e"}
            )
            return SimpleNamespace(rows=[{"itr": 1}])

    monkeypatch.setattr(runs, "MetaTrainer", Trainer)
    given = {"latest.pt": b"old", "variant.json": b"{}"}
    result = runs.training_segment(1.0, cfg.to_dict(), 0, given, "key", ["ref"])
    assert result.files == {"latest.pt": b"new", "snapshots/itr_1.pt": b"snap", "tb/events.out.tfevents.1.h": b"e"}
    assert result.state == {"latest.pt": b"new", "variant.json": b"{}"}


def test_the_ray_driver_holds_each_run_folders_lock_while_its_segments_run(tmp_path, monkeypatch):
    """`run_on_ray` holds a `RunLock` on each run folder while its segments run. Without it, a second command
    training the same folder (the same --exp_name, or a plain resume) was not refused while the Ray driver wrote the
    folder's segments."""
    import rlkit.cluster.runs as runs

    seen, data = _fake_ray_driver(monkeypatch, tmp_path)
    monkeypatch.setattr(runs, "prepare", lambda cfg, seed, device, **kw: None)
    refused = []

    def drive(ray_, chains, slots, out):
        for chain in chains:
            try:
                with RunLock(chain.plan.out_dir):  # as another process's driver or resume takes it
                    pass
            except UserError as e:
                refused.append(str(e))
        return [engine.JobRecord(c.name, status="done") for c in chains]

    monkeypatch.setattr(runs, "drive", drive)
    base = {"util_params": {"base_log_dir": str(tmp_path / "out"), "use_gpu": False}}
    plans = runs.plan_runs(str(TINY_CONFIG), base, [0, 1], [("locked", {"algo_params": {"data_dir": str(data)}})])
    runs.run_on_ray(plans, ClusterOptions("local"), out=lambda s: None)
    assert len(refused) == 2 and all("is being trained by another process" in e for e in refused)
    assert not any((p.out_dir / ".lock").exists() for p in plans)  # released at the end


def test_max_retries_is_a_whole_number_of_retries(monkeypatch):
    """`--max-retries` is parsed as an integer, not a float. Parsed as a float, `--max-retries 1.5` was accepted and
    reached Ray (whose own error is a traceback at the first submission), and `--max-retries 2` became 2.0; a count
    of retries is an integer, refused otherwise by the option itself."""

    monkeypatch.setattr("rlkit.cluster.options.require_ray", lambda: None)
    parsed = _parsed_ray_options(["--ray", "--max-retries", "2"])["max_retries"]
    assert parsed == 2 and type(parsed) is int

    @click.command()
    @ray_options
    def command(**kwargs):
        pass

    result = CliRunner().invoke(command, ["--ray", "--max-retries", "1.5"])
    assert result.exit_code == 2 and "'1.5' is not a valid integer" in result.output


def test_a_training_segment_reports_its_own_iteration_and_leaves_snapshots_to_the_driver(tmp_path, monkeypatch):
    """`training_segment` runs the resumed trainer with `restore_snapshots=False` and prints the summary of the
    logger's last row, this segment's. It guards against two slips: letting the resumed trainer restore snapshots
    in the worker's scratch folder (`restore_snapshots` left at True: each segment then sent back a copy of the last
    snapshot, which the driver already holds, through the object store), or printing the summary of the logger's
    first row. A resumed logger holds every earlier row, so the Ray driver's per-iteration line showed iteration 0's
    returns for every iteration. (The trainer is a stand-in: its logger holds the rows of iterations 0 and 1, the
    second one this segment's.)"""
    import rlkit.cluster.runs as runs

    cfg = _segment_worker(monkeypatch, tmp_path)
    calls = []

    class Trainer:
        summary = staticmethod(lambda row: f"itr {row['itr']}")

        def __init__(self, setup, show_progress, weights_file):
            self.counters = {"iteration": 2}

        def run(self, **kwargs):
            calls.append(kwargs)
            return SimpleNamespace(rows=[{"itr": 0}, {"itr": 1}])

    monkeypatch.setattr(runs, "MetaTrainer", Trainer)
    result = runs.training_segment(1.0, cfg.to_dict(), 0, {"latest.pt": b"l"}, "key", ["ref"])
    assert calls == [{"max_iterations": 1, "restore_snapshots": False}]
    assert result.info["summary"] == "itr 1"
    assert result.state == {"latest.pt": b"l"}  # iteration 2 of 3: the run goes on from its resume files


def test_the_ray_drivers_first_line_counts_the_finished_runs(tmp_path, monkeypatch):
    """The Ray driver's opening line gives the number of finished runs as the finished ones, not the number of runs
    to train. With that slip, rerun after one of its two runs finished, `--seeds 0,1 --ray` said "2 runs: 1 finished,
    1 to train" only by luck of the numbers; with three runs of which one finished it said "2 finished"."""
    import rlkit.cluster.runs as runs
    import rlkit.run_folder as rf

    seen, data = _fake_ray_driver(monkeypatch, tmp_path)
    monkeypatch.setattr(runs, "prepare", lambda cfg, seed, device, **kw: None)
    monkeypatch.setattr(rf, "dataset_fingerprint", lambda data_dir, steps, reads: {"digest": "now", "tasks": {}})
    base = {
        "util_params": {"base_log_dir": str(tmp_path / "out"), "use_gpu": False},
        "algo_params": {"data_dir": str(data), "num_iterations": 2},
    }
    plans = runs.plan_runs(str(TINY_CONFIG), base, [0, 1, 2], [("some", {})])
    _trained_run_folder(plans[1], 2, digest="now")  # seed 1 finished
    said = []
    runs.run_on_ray(plans, ClusterOptions("local"), out=said.append)
    assert said[0].startswith("3 runs: 1 finished, 2 to train on Ray: ")
    assert len(seen["segments"]) == 2


def test_the_head_probe_waits_ten_seconds_and_says_so_in_seconds(monkeypatch):
    """A head that does not answer: the probe gives it `CONNECT_TIMEOUT_S` (10 s, a head answers in milliseconds;
    far less would refuse a cluster across a slow link) and the line says how long it waited, in seconds."""
    asked = []

    def no_answer(address, timeout):
        asked.append((address, timeout))
        raise TimeoutError("timed out")

    monkeypatch.setattr(engine.socket, "create_connection", no_answer)
    with pytest.raises(
        UserError, match=r"^--ray 10\.0\.0\.9:6379: could not connect to 10\.0\.0\.9:6379 \(no answer within 10 s\)"
    ):
        engine.probe_head("10.0.0.9:6379", "10.0.0.9:6379")
    assert asked == [(("10.0.0.9", 6379), 10.0)]


def test_a_local_instance_whose_node_holds_exactly_one_task_runs_it():
    """A capacity of one task is a slot, not none: the local instance runs it, with no refusal and no line."""
    said = []
    assert task_slots(_cluster(CPU=2.0), {"num_cpus": 2.0, "num_gpus": 0.0}, ClusterOptions(), out=said.append) == 1
    assert said == []


def test_a_training_segment_that_ends_the_runs_last_iteration_sends_no_state(tmp_path, monkeypatch):
    """The segment that trains a run's last iteration (3 of 3) ends its chain: it returns no state, so the driver
    submits no further segment and marks the run done."""
    import rlkit.cluster.runs as runs

    cfg = _segment_worker(monkeypatch, tmp_path)

    class Trainer:
        summary = staticmethod(lambda row: f"itr {row['itr']}")

        def __init__(self, setup, show_progress, weights_file):
            self.counters = {"iteration": 3}

        def run(self, **kwargs):
            return SimpleNamespace(rows=[{"itr": 2}])

    monkeypatch.setattr(runs, "MetaTrainer", Trainer)
    result = runs.training_segment(1.0, cfg.to_dict(), 0, {"latest.pt": b"l"}, "key", ["ref"])
    assert result.state is None and result.info["summary"] == "itr 2"


def test_runs_one_after_another_count_their_lines_from_one_and_time_each_run(tmp_path, monkeypatch):
    """`run_sequential`'s lines: the first counts the finished runs and those to train; a failed run's line says
    which of the runs it was, from [1/2]; the table's wall time is each run's own (clock stand-in: 2.5 s each)."""
    import rlkit.cluster.runs as runs

    class Trainer:
        def __init__(self, setup, show_progress):
            self.setup = setup

        def run(self):
            if self.setup.seed == 0:
                raise UserError("boom")

    monkeypatch.setattr(
        runs, "prepare", lambda cfg, seed, device, **kw: SimpleNamespace(train_tasks=[0], test_tasks=[1], seed=seed)
    )
    monkeypatch.setattr(runs, "MetaTrainer", Trainer)
    monkeypatch.setattr(runs, "time", SimpleNamespace(time=iter([100.0, 102.5, 200.0, 202.5]).__next__))
    base = {"util_params": {"base_log_dir": str(tmp_path), "use_gpu": False}}
    plans = runs.plan_runs(str(TINY_CONFIG), base, [0, 1], [("timed", {})])
    lines = []
    with pytest.raises(RunFailedError, match=r"^1 of 2 runs failed"):
        runs.run_sequential(plans, show_progress=False, out=lines.append)
    assert lines[0] == "2 runs: 0 finished, 2 to train, one after another"
    assert any(line.endswith(": FAILED (boom) [1/2]") for line in lines), lines
    rows = [line.split() for line in lines[-1].splitlines()[2:]]
    assert rows[0][-2:] == ["failed:", "boom"] and rows[1][-1] == "done"
    assert [row[3] for row in rows] == ["2.5", "2.5"], rows


def test_stage1_on_ray_counts_the_complete_tasks_and_prints_no_table_when_none_is_left(tmp_path, monkeypatch):
    """`policy_train.py --ray`'s first line says how many of the part's tasks are complete and how many train; when
    every task is complete nothing is submitted and no (empty) summary table is printed. Ray's tasks never resume
    a plain run's saved state, so the complete tasks are found with `resumes=False`. (Ray and the dataset's task
    states replaced: tasks 0 and 2 of 0..2 complete, then all three.)"""
    import rlkit.cluster.behaviour as beh
    from rlkit.behaviour.settings import load_sac_config

    behaviour = load_sac_config("tiny_point", [])
    pending, asked = [[1], []], []

    def pending_tasks(data_dir, tasks, settings, resumes=True):
        asked.append(resumes)
        return pending.pop(0)

    ray = SimpleNamespace(
        cluster_resources=lambda: {"CPU": 4.0}, nodes=lambda: [{"Alive": True, "Resources": {"CPU": 4.0}}]
    )
    submitted = []
    monkeypatch.setattr(beh, "pending_tasks", pending_tasks)
    monkeypatch.setattr(beh, "connect", lambda opts: (ray, False))
    monkeypatch.setattr(beh, "remote", lambda ray_, fn, resources, opts: SimpleNamespace(remote=lambda *a: None))

    def drive(ray_, chains, slots, out):
        submitted.extend(c.name for c in chains)
        return [JobRecord(c.name, status="done") for c in chains]

    monkeypatch.setattr(beh, "drive", drive)
    for expect_table in (True, False):
        lines = []
        beh.generate_on_ray(
            "point-robot", {}, tmp_path, [0, 1, 2], "tiny_point", behaviour, ClusterOptions("local"), out=lines.append
        )
        first = "point-robot: tasks 0..2 of this part, " + (
            "2 already complete, 1 to train" if expect_table else "3 already complete, 0 to train"
        )
        assert lines[0].startswith(first), lines
        assert any(line.startswith("task  ") for line in lines) == expect_table, lines
    assert submitted == ["goal_idx1"] and asked == [False, False]


def test_scratch_whose_name_holds_no_pid_after_the_prefix_is_left_alone(tmp_path):
    """remove_orphans reads a pid after the prefix; a name with something else there (another tool's
    `csro-run-old-copy`, or `csro-run-²-abc`: '²'.isdigit(), but not int('²')) is neither removed nor a ValueError
    traceback out of the segment that cleans the folder."""
    dead = _dead_pid()
    for name in ("csro-run-old-copy", f"csro-run-{dead}-abc", "csro-run-²-abc"):
        (tmp_path / name).mkdir()
    assert [p.name for p in remove_orphans(tmp_path, "csro-run-")] == [f"csro-run-{dead}-abc"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["csro-run-old-copy", "csro-run-²-abc"]


def test_a_retried_segments_iteration_is_read_once_in_tensorboard(tmp_path):
    """A driver killed after a segment's row and events came back, before its latest.pt did: the retried segment
    logged that iteration again, beside the first attempt's file, so TensorBoard showed it twice. The driver now
    purges past latest.pt as a chain starts from the folder, and names a segment's event files by its own clock,
    after the files before them in tb/ (here a worker's clock 30 years behind, which would have sorted its file first,
    on a host whose name sorts before the driver's: a file of the same second as the driver's last is read first)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from rlkit.cluster.engine import SegmentResult
    from rlkit.cluster.runs import RunChain
    from rlkit.logging import RETURN_COLUMNS
    from rlkit.logging.logger import RunLogger
    from tests.test_logging import make_row

    tag = RETURN_COLUMNS["offline"].replace(" ", "_")
    run = tmp_path / "run"
    log = RunLogger(run)
    for it, v in ((1, -5.0), (2, -4.0), (3, -3.0)):  # Epochs 0-2 logged; latest.pt says 2 iterations
        log.record(make_row(it, offline=v))
    log.close()
    torch.save({"counters": {"iteration": 2}, "trainer": {}}, run / "latest.pt")
    plan = SimpleNamespace(out_dir=run, cfg=SimpleNamespace(algo_type="CSRO"), name="r")
    chain = RunChain(plan, lambda plan, state: sorted(state), out=lambda line: None)
    assert chain.submit(None) == ["debug.log", "latest.pt", "progress.csv"]  # the chain's start, from the folder
    scratch = tmp_path / "scratch"  # the retried segment: Epoch 2 again, in a file named by the worker's clock
    seg = RunLogger(scratch)
    seg.record(make_row(3, offline=-1.0))
    seg.close()
    (written,) = (scratch / "tb").glob("events.out.tfevents.*")
    behind = "events.out.tfevents.800000000.aaa-worker.1.0"
    files = {f"tb/{behind}": written.read_bytes()}
    chain.apply(SegmentResult(files, None, {"summary": "", "node": "n", "seconds": 0.0}), None)
    assert not (run / "tb" / behind).exists()
    acc = EventAccumulator(str(run / "tb"))
    acc.Reload()
    assert [(e.step, e.value) for e in acc.Scalars(tag)] == [(0, -5.0), (1, -4.0), (2, -1.0)]


def test_a_retried_borel_segments_vae_steps_are_read_once_in_tensorboard(tmp_path):
    """BOREL's VAE scalars, on their own step scale in tb/vae/, are purged from the first VAE step latest.pt has not
    (its encoder's `steps` + 1), as a plain resume purges them."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from rlkit.cluster.engine import SegmentResult
    from rlkit.cluster.runs import RunChain
    from rlkit.logging.logger import RunLogger

    run = tmp_path / "run"
    log = RunLogger(run)
    log.scalars({"VAE/loss": 1.0}, 100)
    log.scalars({"VAE/loss": 0.5}, 200)  # logged, then the kill before its latest.pt
    log.close()
    steps = torch.tensor(100)
    torch.save(
        {"counters": {"iteration": 0}, "trainer": {"modules": {"agent": {"encoder.steps": steps}}}, "borel": {}},
        run / "latest.pt",
    )
    plan = SimpleNamespace(out_dir=run, cfg=SimpleNamespace(algo_type="BOREL"), name="r")
    chain = RunChain(plan, lambda plan, state: None, out=lambda line: None)
    chain.submit(None)
    seg = RunLogger(tmp_path / "scratch")
    seg.scalars({"VAE/loss": 0.7}, 200)
    seg.close()
    (written,) = (tmp_path / "scratch" / "tb" / "vae").glob("events.out.tfevents.*")
    files = {f"tb/vae/{written.name}": written.read_bytes()}
    chain.apply(SegmentResult(files, None, {"summary": "", "node": "n", "seconds": 0.0}), None)
    vae = EventAccumulator(str(run / "tb" / "vae"))
    vae.Reload()
    assert [(e.step, e.value) for e in vae.Scalars("VAE/loss")] == [(100, 1.0), (200, pytest.approx(0.7))]
