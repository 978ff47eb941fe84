"""Task split (docs/algorithm.md, "Task split") and device selection."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from rlkit.cli import select_device
from rlkit.config import load_config
from rlkit.data import meta
from rlkit.tasks import train_eval_split
from tests.conftest import ROOT


def split(**overrides):
    return train_eval_split(load_config(ROOT / "configs" / "point-robot.json", overrides))


def test_interpolation_split_of_the_reference():
    train, test = split()
    assert test == list(range(2, 40, 4))
    assert len(train) == 30 and not set(train) & set(test)


def test_plain_split_takes_the_last_tasks():
    train, test = split(interpolation=False)
    assert train == list(range(30)) and test == list(range(30, 40))


def test_randomized_split_is_seeded_and_disjoint():
    a, b = split(randomize_tasks=True), split(randomize_tasks=True)
    assert a == b and len(a[0]) == 30 and len(a[1]) == 10 and not set(a[0]) & set(a[1])


def test_splits_of_fewer_tasks_than_n_tasks_by_hand():
    """20 train + 5 test of 40 tasks (30 + 10 hides these): the plain split tests the last 5 (35-39, not 20-24);
    the randomised one trains on RandomState(1337)'s 20 and tests on the first 5 of the rest (not all 20)."""
    assert split(n_train_tasks=20, n_eval_tasks=5, interpolation=False) == (list(range(20)), list(range(35, 40)))
    train = sorted(np.random.RandomState(1337).choice(40, 20, replace=False).tolist())
    rest = [t for t in range(40) if t not in train]
    assert split(n_train_tasks=20, n_eval_tasks=5, randomize_tasks=True) == (train, rest[:5])


def test_gpu_request_without_cuda_falls_back_with_a_note(capsys):
    device = select_device(0)
    if not torch.cuda.is_available():
        assert device == torch.device("cpu") and "not available" in capsys.readouterr().err
        assert select_device(None) == torch.device("cpu")  # the default: CUDA when available, silently the CPU here
    assert select_device(-1) == torch.device("cpu")


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc settings")
def test_keep_freed_memory_takes_effect_on_glibc():
    """The entry points' malloc setting is accepted (run in a child: it is process-wide)."""
    code = "import sys; from rlkit.torch.cpu_kernels import keep_freed_memory as k; sys.exit(0 if k() else 3)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def test_a_key_added_since_a_run_was_written_counts_as_its_default():
    from rlkit.run_folder import config_differences

    new = load_config(None).to_dict()
    old = json.loads(json.dumps(new))
    del old["algo_params"]["use_hvar"], old["algo_params"]["z_strategy"]  # written before the keys existed
    assert config_differences(old, new) == []
    new["algo_params"]["z_strategy"] = "poe"
    assert config_differences(old, new) == ['algo_params.z_strategy: "mean" -> "poe"']


def test_a_run_written_when_the_bottleneck_default_was_false_still_resumes():
    """use_information_bottleneck's default became null (OFFPEARL's bottleneck on); false means the same outside
    OFFPEARL, so those runs resume, while an OFFPEARL run of the old false (no bottleneck) is another config."""
    from rlkit.run_folder import config_differences

    for algo, same in (("CSRO", True), ("FOCAL", True), ("OFFPEARL", False)):
        new = load_config(None, {"algo_type": algo}).to_dict()
        old = json.loads(json.dumps(new))
        old["algo_params"]["use_information_bottleneck"] = False
        assert (config_differences(old, new) == []) == same, algo


def test_a_run_folder_records_each_code_that_trains_it(tmp_path, monkeypatch):
    """code.json lists what trained a run from which iteration: a resume on the same code and device adds nothing,
    other package versions or another device add an entry, a run started anew starts the list."""
    import rlkit.run_folder as rf
    from rlkit.errors import UserError

    versions = {"torch": "2.13.0", "numpy": "2.0"}
    monkeypatch.setattr(rf, "running_versions", lambda: dict(versions))
    monkeypatch.setattr(rf, "source_revision", lambda: "abc+modified")

    def listed():
        return [(e["from_iteration"], e["device"], e["versions"]["torch"]) for e in rf.read_code_record(tmp_path)]

    assert rf.read_code_record(tmp_path) == []
    rf.record_code(tmp_path, 0, "cpu, eager", resumed=False)
    rf.record_code(tmp_path, 3, "cpu, eager", resumed=True)
    assert listed() == [(0, "cpu, eager", "2.13.0")]
    assert rf.read_code_record(tmp_path)[0]["revision"] == "abc+modified"
    versions["torch"] = "2.14.0"
    rf.record_code(tmp_path, 5, "cpu, eager", resumed=True)
    rf.record_code(tmp_path, 7, "cuda:0 (H200), captured", resumed=True)
    assert listed() == [
        (0, "cpu, eager", "2.13.0"),
        (5, "cpu, eager", "2.14.0"),
        (7, "cuda:0 (H200), captured", "2.14.0"),
    ]
    rf.record_code(tmp_path, 0, "cpu, eager", resumed=False)  # a run replaced in the folder
    assert listed() == [(0, "cpu, eager", "2.14.0")]
    versions["torch"] = "2.15.0"  # resumed in BOREL's VAE stage: where, besides iteration 0
    assert (
        rf.record_code(tmp_path, 0, "cpu, eager", resumed=True, stage="VAE step 1200")["from_stage"] == "VAE step 1200"
    )
    assert rf.read_code_record(tmp_path)[-1]["from_stage"] == "VAE step 1200"
    (tmp_path / "code.json").write_text('{"trained_with": 3}')
    with pytest.raises(UserError, match=r"code.json'.*'trained_with' is not a list"):
        rf.record_code(tmp_path, 1, "cpu, eager", resumed=True)


@pytest.mark.slow
def test_the_source_revision_is_the_checkouts_commit_or_none(monkeypatch):

    meta.source_revision.cache_clear()
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
        if head.returncode == 0:
            assert meta.source_revision().removesuffix("+modified") == head.stdout.strip()
        meta.source_revision.cache_clear()

        def no_git(*args, **kwargs):
            raise FileNotFoundError("git")

        monkeypatch.setattr(meta.subprocess, "run", no_git)
        assert meta.source_revision() is None  # no git: unknown, not an error
    finally:
        meta.source_revision.cache_clear()


def test_the_source_revision_by_hand(tmp_path, monkeypatch):
    """What git says, read as `source_revision` documents, on a stand-in checkout (tmp_path, git's answers given):
    HEAD's commit, "+modified" where tracked files differ, None where either git call fails (git refusing the folder)
    and, without asking git, where the tree is not a checkout."""
    calls = []

    def fake_git(head_rc=0, status_rc=0, status_out=""):
        def run(args, **kwargs):
            calls.append(args[3])
            rc, out = (head_rc, "abc123\n") if args[3] == "rev-parse" else (status_rc, status_out)
            return subprocess.CompletedProcess(args, rc, out, "")

        monkeypatch.setattr(meta.subprocess, "run", run)
        meta.source_revision.cache_clear()
        return meta.source_revision()

    monkeypatch.setattr(meta, "__file__", str(tmp_path / "rlkit" / "data" / "meta.py"))
    try:
        assert fake_git() is None and calls == []  # not a checkout: git is not asked
        (tmp_path / ".git").mkdir()
        assert fake_git() == "abc123" and calls == ["rev-parse", "status"]
        assert fake_git(status_out=" M rlkit/tasks.py\n") == "abc123+modified"
        assert fake_git(head_rc=128) is None
        assert fake_git(status_rc=128) is None
    finally:
        meta.source_revision.cache_clear()


def test_the_interpolation_split_of_fewer_tasks_trains_on_n_train_tasks_by_hand():
    """docs/algorithm.md, "Task split": with interpolation, train = the first `n_train_tasks` of the tasks that are not
    test tasks. 20 train + 5 test of point-robot's 40 tasks: gap int(20 / 5) + 1 = 5, test tasks 2, 7, 12, 17, 22; train
    the first 20 of the other 35 (not all 35: a run would train on more tasks than asked)."""

    config = load_config(ROOT / "configs" / "point-robot.json", {"n_train_tasks": 20, "n_eval_tasks": 5})
    train, test = train_eval_split(config)
    assert test == [2, 7, 12, 17, 22]
    assert train == [0, 1, 3, 4, 5, 6, 8, 9, 10, 11, 13, 14, 15, 16, 18, 19, 20, 21, 23, 24]


@pytest.mark.slow  # (it runs git)
def test_the_source_revision_says_modified_for_changed_tracked_files_only(tmp_path, monkeypatch):
    """The revision is the checkout's commit, with "+modified" once a tracked file differs from it (an untracked file
    does not count). A throw-away git checkout stands in for the source tree."""
    root = tmp_path / "src"
    (root / "rlkit" / "data").mkdir(parents=True)
    tracked = root / "rlkit" / "data" / "meta.py"
    tracked.write_text("x = 1\n")

    who = {"GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@b", "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@b"}

    def git(*args: str) -> str:
        out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, env={**os.environ, **who})
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "one")
    head = git("rev-parse", "HEAD")
    monkeypatch.setattr(meta, "__file__", str(tracked))
    revision = meta.source_revision.__wrapped__  # (the cached one is this process's own checkout)
    assert revision() == head
    (root / "untracked.txt").write_text("new\n")
    assert revision() == head
    tracked.write_text("x = 2\n")
    assert revision() == head + "+modified"
