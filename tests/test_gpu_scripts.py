"""scripts/gpu: which carried wheels install_wheels.py installs, check.sh's phases (its dry run), rehearse.sh's
missing Python."""

import re
import subprocess
import tarfile
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, load_file

install_wheels = load_file("scripts/gpu/install_wheels.py", "install_wheels")


def test_wheel_names_are_canonical():
    assert install_wheels.wheel_name(Path("hydra_core-1.3.8-py3-none-any.whl")) == ("hydra-core", "1.3.8")
    assert install_wheels.wheel_name(Path("PyOpenGL-3.1.10-py3-none-any.whl")) == ("pyopengl", "3.1.10")


def test_the_project_requirements_come_from_pyproject():
    req = install_wheels.project_requirements()
    assert req["pandas"] == ">=2.1,<3"
    assert req["gymnasium"] == ">=1.0"  # the extra dropped
    assert req["rliable"] == ">=1.2"


def test_missing_or_refused_packages_install_and_the_rest_stay():
    wheels = [
        Path(f)
        for f in (
            "pandas-2.3.3-cp312-cp312-manylinux_2_28_x86_64.whl",
            "tzdata-2026.6-py2.py3-none-any.whl",
            "rliable-1.2.0-py3-none-any.whl",
            "mujoco-4.0.1-py3-none-any.whl",
        )
    ]
    machine = {"pandas": "3.1.1", "tzdata": "2025.1", "mujoco": "3.2.0"}
    picked = dict(install_wheels.choose(wheels, {"pandas": ">=2.1,<3", "mujoco": ">=3.1"}, machine.get))
    assert {w.name.split("-")[0] for w in picked} == {"pandas", "rliable"}
    assert picked[wheels[0]] == "pandas 3.1.1 here, the project needs >=2.1,<3"
    assert picked[wheels[2]] == "missing here"


def test_two_versions_or_a_wheel_for_another_python_are_refused_before_installing():
    here, needs = Path("glfw-2.11.0-py2.py3-none-manylinux2014_x86_64.whl"), {"pandas": ">=2.1,<3"}
    assert install_wheels.refusal([here, Path("rliable-1.2.0-py3-none-any.whl")], needs) is None
    two = install_wheels.refusal([Path("pandas-2.3.3-py3-none-any.whl"), Path("pandas-2.3.0-py3-none-any.whl")], needs)
    assert two == (
        "two wheels of pandas: pandas-2.3.3-py3-none-any.whl and pandas-2.3.0-py3-none-any.whl: "
        "expected one version of each"
    )
    other = Path("arch-7.2.0-cp27-cp27mu-manylinux1_x86_64.whl")
    assert install_wheels.refusal([here, other], needs).startswith(f"{other.name} does not install on this Python")


def test_a_wheel_the_project_refuses_or_a_name_no_wheel_has_is_refused_before_installing():
    """A wheel fetched without the project's pins (pandas 3, which the project refuses) was installed "to replace"
    the machine's pandas 3; a file named like no wheel was a traceback."""
    needs = {"pandas": ">=2.1,<3"}
    three = install_wheels.refusal([Path("pandas-3.1.1-cp312-cp312-manylinux_2_28_x86_64.whl")], needs)
    assert three.startswith("pandas-3.1.1-cp312-cp312-manylinux_2_28_x86_64.whl: the project needs pandas >=2.1,<3:")
    for name in ("notawheel.whl", "foo-1.0.whl"):
        line = install_wheels.refusal([Path(name)], needs)
        assert line.startswith(f"{name} is not a wheel's file name (") and "expected NAME-VERSION" in line


@pytest.mark.slow
@pytest.mark.parametrize("venv", ["none", "empty"])
def test_fetch_wheels_without_the_venvs_versions_fetches_nothing(tmp_path, venv):
    """Without the venv (or a package in it) the newest of each was fetched, unpinned: a set the suite never passed
    with (hydra-core's parser runtime failed to import in a rehearsal of the GPU machine)."""
    python = str(tmp_path / venv)
    if venv == "empty":  # a Python whose pip freezes nothing (or has no pip)
        Path(python).write_text("#!/bin/sh\nexit 1\n")
        Path(python).chmod(0o755)
    proc = gpu_script("fetch_wheels.sh", str(tmp_path / "wheels"), tmp_path=tmp_path, VENV_PYTHON=python, PIP="false")
    err = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(err) == 1 and err[0].startswith("error: ") and python in err[0], proc.stderr
    assert not (tmp_path / "wheels").exists()


@pytest.mark.slow
def test_fetch_wheels_drops_an_earlier_fetchs_wheels(tmp_path):
    """A wheels/ folder fetched before the venv's pins changed kept its old wheels beside the new ones: two versions
    of a package, which install_wheels.py refuses on the GPU machine, failing that call's every check. The folder's
    wheels are removed first (its other files stay)."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "hydra_core-1.0.0-py3-none-any.whl").write_bytes(b"old")
    (wheels / "notes.txt").write_text("mine")
    venv = tmp_path / "python"  # a venv Python whose pip freezes every package the script pins, at version 1
    names = "hydra-core omegaconf antlr4-python3-runtime mujoco mujoco-core mujoco-studio mujoco-studio-wasm " + (
        "websockets glfw pyopengl gymnasium farama-notifications rliable arch pandas pytz tzdata"
    )
    venv.write_text("#!/bin/sh\nfor n in " + names + "; do echo $n==1; done\n")
    venv.chmod(0o755)
    proc = gpu_script("fetch_wheels.sh", str(wheels), tmp_path=tmp_path, VENV_PYTHON=str(venv), PIP="true")
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in wheels.iterdir()) == ["notes.txt"]


def test_no_wheels_is_one_line_and_exit_2(tmp_path, capsys):
    assert install_wheels.main([str(tmp_path), str(tmp_path / "site")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(tmp_path) in err[0]


def gpu_script(name: str, *args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """scripts/gpu/NAME run from the repository root with a bare PATH, TMPDIR in `tmp_path`, and `env`."""
    env = {"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp_path), **env}
    return subprocess.run(
        ["bash", f"scripts/gpu/{name}", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def check_sh(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """check.sh without wheels (no install step, whether or not this checkout has wheels/)."""
    return gpu_script("check.sh", *args, tmp_path=tmp_path, OUT=str(tmp_path / "out"), WHEELS="no-such", **env)


def timeouts(out: subprocess.CompletedProcess) -> dict[str, int]:
    """The steps a dry run lists, with their timeouts."""
    lines = [x for x in out.stdout.splitlines() if x.startswith("[dry-run] ")]
    return {x.split()[1]: int(x.split("(timeout ")[1].split("s)")[0]) for x in lines}


@pytest.mark.slow
def test_check_sh_dry_run_lists_the_phases_asked_for(tmp_path):
    every = check_sh("--dry-run", tmp_path=tmp_path)
    assert every.returncode == 0, every.stderr
    names = [line.split()[1] for line in every.stdout.splitlines() if line.startswith("[dry-run]")]
    assert names == [
        "environment",
        "imports",
        "cuda-tests",
        "suite",
        "bench-meta-train",
        "bench-behaviour-sac",
        "bench-behaviour-sac-demo",
        "reproduce-paper",
    ]
    assert "no no-such/ folder" in every.stdout
    only = check_sh("--dry-run", "reproduce", tmp_path=tmp_path)
    names = [line.split()[1] for line in only.stdout.splitlines() if line.startswith("[dry-run]")]
    assert names == ["environment", "imports", "reproduce-paper"]


@pytest.mark.slow
@pytest.mark.parametrize(
    "env, seconds",
    [
        ({}, {80}),
        ({"REPRODUCE_SECONDS": "300"}, {300}),
        ({"CALL_SECONDS": "200"}, {144, 145}),
        ({"CALL_SECONDS": "200", "REPRODUCE_SECONDS": "500"}, {144, 145}),
    ],
    ids=["default", "asked", "what-the-call-left", "capped-by-the-call"],
)
def test_check_sh_gives_the_reproduction_its_limit(tmp_path, env, seconds):
    """The reproduction's limit: 80 s, REPRODUCE_SECONDS, or with CALL_SECONDS what the steps before it left of
    the call (the setup's 20 + 20 s, as a dry run counts them; 10 s kept for packing and 5 for a timeout's kill; a
    second may tick), never more than that."""
    out = check_sh("--dry-run", "reproduce", tmp_path=tmp_path, **env)
    assert timeouts(out)["reproduce-paper"] in seconds, out.stdout


@pytest.mark.slow
@pytest.mark.parametrize("var, value", [("CALL_SECONDS", "10m"), ("REPRODUCE_SECONDS", "0"), ("CALL_SECONDS", "x")])
def test_check_sh_refuses_a_limit_that_is_not_a_number_of_seconds(tmp_path, var, value):
    out = gpu_script("check.sh", "--dry-run", tmp_path=tmp_path, OUT=str(tmp_path / "o"), **{var: value})
    assert out.returncode == 2
    assert out.stdout.strip().splitlines() == [
        f"error: {var}='{value}': expected a whole number of seconds, at least 1"
    ]


@pytest.mark.slow
def test_check_sh_cuts_every_step_to_the_calls_time_and_skips_past_it(tmp_path):
    """With CALL_SECONDS every step's timeout is at most what is left of the call (the CUDA tests' 240 s cut to
    about 45 of 100, after the setup's 40), and a step with under 5 s left is skipped with a line, so that the logs
    are packed in time."""
    out = check_sh("--dry-run", "tests", tmp_path=tmp_path, CALL_SECONDS="100")
    assert timeouts(out)["cuda-tests"] in {44, 45}, out.stdout
    spent = check_sh("--dry-run", "tests", tmp_path=tmp_path, CALL_SECONDS="12")
    assert "cuda-tests: skipped, CALL_SECONDS=12 spent" in spent.stdout and "[dry-run] cuda-tests" not in spent.stdout


@pytest.mark.slow
@pytest.mark.parametrize("call", [290, 572])
def test_check_sh_dry_run_counts_the_calls_time_down_as_a_real_run_does(tmp_path, call):
    """A dry run's steps take no time, yet it lists the timeouts a real run would set if each step ran to its
    timeout: together they fit in the call (less 10 s for packing and 5 for a timeout's kill), the step that meets
    the end gets what is left, and the steps after it are skipped. (Not a call of 300: after the setup's 40 s and
    the CUDA tests' full 240 exactly the 5 s a step needs are left, so a second ticking during the dry run decided
    whether the suite step was listed with 5 s or skipped, and the test failed whenever one ticked.)"""
    out = check_sh("--dry-run", tmp_path=tmp_path, CALL_SECONDS=str(call))
    listed = timeouts(out)
    assert sum(listed.values()) <= call - 15, out.stdout
    *before, last = listed.values()
    assert last < 240 and call - 15 - sum(before) - last in {0, 1}, out.stdout  # (a second may tick)
    assert "reproduce-paper: skipped" in out.stdout


def fake_python(tmp_path: Path, body: str) -> str:
    """An executable that stands in for the GPU machine's python3 (`$*`: its arguments)."""
    path = tmp_path / "python3"
    path.write_text(f"#!/bin/bash\n{body}\n")
    path.chmod(0o755)
    return str(path)


@pytest.mark.slow
@pytest.mark.parametrize("rc", [0, 3])
def test_check_sh_exits_1_when_a_step_failed_after_writing_what_comes_back(tmp_path, rc):
    """A device call's exit status says whether its checks passed (1, never a step's 124 or 137, which the device
    tool reads as the call's own timeout); summary.txt, with each step's status, and logs.tar.gz are written first."""
    out = check_sh("setup", tmp_path=tmp_path, PYTHON=fake_python(tmp_path, f"echo ran $*; exit {rc}"))
    assert out.returncode == (rc != 0), out.stdout + out.stderr
    summary = (tmp_path / "out" / "summary.txt").read_text()
    assert f"environment: exit {rc} after " in summary and f"imports: exit {rc} after " in summary
    with tarfile.open(tmp_path / "out" / "logs.tar.gz") as logs:
        assert {"./environment.log", "./imports.log"} <= set(logs.getnames())


@pytest.mark.slow
def test_check_sh_counts_the_reproductions_cut_off_as_planned(tmp_path):
    """The reproduction is meant to end at its limit (124): the call still exits 0 when the rest passed."""
    python = fake_python(tmp_path, 'case "$*" in *rlkit.reproduce*) sleep 30 ;; esac')
    out = check_sh("reproduce", tmp_path=tmp_path, PYTHON=python, REPRODUCE_SECONDS="1")
    assert out.returncode == 0, out.stdout + out.stderr
    assert re.search(r"reproduce-paper: exit 124 after \d+ s \(cut off at its limit, as planned\)", out.stdout)


def test_every_test_that_needs_cuda_takes_the_cuda_mark():
    """check.sh runs the tests that need CUDA first, by their `cuda` mark (`-m cuda`): a test skipped without CUDA
    by a skip of its own, not conftest's `cuda_only` / `CUDA_ONLY`, would run later, in the suite's step, if at all."""
    skips = re.compile(r"skip(?:if)?\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)", re.S)  # a call, 2 levels of (...)
    own = [
        f"{path.name}: {call.group(0)[:60]}"
        for path in sorted((ROOT / "tests").glob("*.py"))
        if path.name != "conftest.py"
        for call in skips.finditer(path.read_text())
        if any(word in call.group(0).lower() for word in ("cuda", "gpu"))  # its condition, or its reason alone
    ]
    assert own == []
    assert "pytest.mark.cuda" in (ROOT / "tests" / "conftest.py").read_text()


@pytest.mark.slow
def test_check_sh_kills_a_step_that_ignores_its_timeout(tmp_path):
    """A step that ignores timeout's SIGTERM is killed 5 s later (exit 137), not waited for past the call's end:
    the imports step gets 21 - 15 = 6 s, a step that would hang for 40 s is gone after 11, and the call exits 1."""
    python = fake_python(tmp_path, "case \"$*\" in *hydra*) trap '' TERM; sleep 40 ;; esac")
    t0 = time.monotonic()
    out = check_sh("setup", tmp_path=tmp_path, PYTHON=python, CALL_SECONDS="21")
    assert time.monotonic() - t0 < 25, out.stdout
    assert out.returncode == 1, out.stdout + out.stderr
    assert "imports: exit 137 after " in out.stdout


@pytest.mark.slow
@pytest.mark.parametrize("bad", ["benchmarks", "--fast"])
def test_check_sh_refuses_an_unknown_phase(tmp_path, bad):
    out = check_sh("--dry-run", bad, tmp_path=tmp_path)
    assert out.returncode == 2
    assert out.stdout.strip().splitlines() == [
        f"error: unknown argument '{bad}': expected --dry-run or phases from setup, tests, bench, reproduce"
    ]


@pytest.mark.slow
def test_rehearse_sh_without_python_3_12_is_one_line_and_exit_2(tmp_path):
    missing = tmp_path / "python3.12"
    out = gpu_script("rehearse.sh", tmp_path=tmp_path, PYTHON312=str(missing))
    assert out.returncode == 2
    assert out.stdout.strip().splitlines() == [
        f"error: no Python 3.12 ('{missing}'): expected python3.12 on PATH, a pyenv 3.12 or "
        "PYTHON312=/path/to/python3.12"
    ]
    assert not (tmp_path / "csro-image-venv").exists()


def _wheel_dir(tmp_path: Path, *names: str) -> Path:
    d = tmp_path / "wheels"
    d.mkdir()
    for name in names:
        (d / name).write_bytes(b"")
    return d


def _main_with_pip(install_wheels, monkeypatch, argv, requirements, pip_rc=0):
    """install_wheels.main(argv) with the project's requirements `requirements` and pip stubbed: (rc, pip calls)."""
    calls = []

    def call(cmd):
        calls.append(cmd)
        return pip_rc

    monkeypatch.setattr(install_wheels, "project_requirements", lambda: requirements)
    monkeypatch.setattr(install_wheels.subprocess, "call", call)
    return install_wheels.main(argv), calls


def test_requirement_names_with_capitals_dots_or_underscores_meet_their_wheels(tmp_path):
    """pyproject's PyYAML, ruamel.yaml and Hydra_Core are keyed by their canonical names (PEP 503: runs of - _ . to
    one -, lower case), so a wheel of a refused version of each is refused, not taken as unpinned."""
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "x"\ndependencies = ["PyYAML>=6", "ruamel.yaml>=0.18", "Hydra_Core[extra]>=1.3"]\n'
    )
    req = install_wheels.project_requirements(pyproject)
    assert req == {"pyyaml": ">=6", "ruamel-yaml": ">=0.18", "hydra-core": ">=1.3"}
    for wheel in (
        "PyYAML-5.4-py3-none-any.whl",
        "ruamel.yaml-0.17.0-py3-none-any.whl",
        "hydra_core-1.2.0-py3-none-any.whl",
    ):
        assert install_wheels.refusal([Path(wheel)], req).startswith(f"{wheel}: the project needs "), wheel


def test_the_machines_prerelease_or_local_build_of_a_package_counts_as_meeting_the_pin():
    """A GPU image's own torch 2.7.0a0+gitabc (an NVIDIA build) meets torch>=2.6,<3 and is kept, not shadowed by the
    carried wheel; a prerelease wheel is accepted too."""
    assert install_wheels.accepts(">=2.6,<3", "2.7.0a0+gitabc")
    assert install_wheels.accepts(">=2.6,<3", "2.8.0rc1")
    assert not install_wheels.accepts(">=2.6,<3", "2.5.1")
    wheel = Path("torch-2.13.0-cp311-cp311-manylinux_2_28_x86_64.whl")
    assert install_wheels.choose([wheel], {"torch": ">=2.6,<3"}, {"torch": "2.7.0a0+gitabc"}.get) == []
    assert install_wheels.refusal([Path("torch-2.8.0rc1-py3-none-any.whl")], {"torch": ">=2.6,<3"}) is None


def test_install_wheels_takes_exactly_two_arguments(tmp_path, monkeypatch, capsys):
    """A third argument is the usage line and exit 2, before anything is read or installed."""
    d = _wheel_dir(tmp_path, "nosuchdist-absent-1.0-py3-none-any.whl")
    rc, calls = _main_with_pip(install_wheels, monkeypatch, [str(d), str(tmp_path / "t"), "extra"], {})
    assert (rc, calls) == (2, [])
    assert capsys.readouterr().err.strip() == "usage: install_wheels.py WHEEL_DIR TARGET"


def test_install_wheels_installs_only_the_missing_wheels_into_the_target_offline_and_passes_pips_status(
    tmp_path, monkeypatch, capsys
):
    """Of a folder with a kept package's wheel (pytest, present here), a missing one's and a file that is no wheel,
    pip is run once, offline (--no-index, --no-deps) into TARGET with the missing wheel alone, and main returns pip's
    exit status."""
    missing = "nosuchdist_absent-1.0-py3-none-any.whl"
    d = _wheel_dir(tmp_path, missing, "pytest-1.0-py3-none-any.whl", "README.txt")
    target = tmp_path / "site"
    rc, calls = _main_with_pip(install_wheels, monkeypatch, [str(d), str(target)], {}, pip_rc=3)
    assert rc == 3
    assert calls == [
        [
            *(install_wheels.sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-compile"),
            *("--upgrade", "--target", str(target), str(d / missing)),
        ]
    ]
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "nosuchdist-absent 1.0: install (missing here)",
        f"pytest 1.0: keep the machine's {install_wheels.installed_version('pytest')}",
    ]


def test_install_wheels_refuses_a_set_with_two_versions_before_running_pip(tmp_path, monkeypatch, capsys):
    """Two versions of one missing package are one error line and exit 2, and pip never runs."""
    d = _wheel_dir(tmp_path, "nosuchdist_absent-1.0-py3-none-any.whl", "nosuchdist_absent-2.0-py3-none-any.whl")
    rc, calls = _main_with_pip(install_wheels, monkeypatch, [str(d), str(tmp_path / "t")], {})
    assert (rc, calls) == (2, [])
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: two wheels of nosuchdist-absent: "), err


def test_install_wheels_runs_no_pip_when_the_machine_has_every_package(tmp_path, monkeypatch, capsys):
    """When every wheel's package is here at an accepted version, main returns 0 without running pip (an install of
    no wheel)."""
    d = _wheel_dir(tmp_path, "pytest-1.0-py3-none-any.whl")
    rc, calls = _main_with_pip(install_wheels, monkeypatch, [str(d), str(tmp_path / "t")], {}, pip_rc=1)
    assert (rc, calls) == (0, [])


@pytest.mark.slow
def test_check_sh_skips_a_step_left_fewer_than_5_seconds(tmp_path):
    """CALL_SECONDS=58: after the setup's 40 s and the 15 kept for packing and a kill, the CUDA tests would have 3 s
    (2 if a second ticks): under the 5 s a step needs, so they are skipped with a line, not run for 3 s."""
    out = check_sh("--dry-run", "tests", tmp_path=tmp_path, CALL_SECONDS="58")
    assert "cuda-tests: skipped, CALL_SECONDS=58 spent" in out.stdout and "[dry-run] cuda-tests" not in out.stdout


@pytest.mark.slow
def test_check_sh_counts_a_reproduction_killed_at_its_limit_as_planned(tmp_path):
    """The reproduction's cut-off may end in 137 (killed after ignoring the timeout's SIGTERM) as well as 124: both
    are its planned end, and the call exits 0 when the rest passed."""
    python = fake_python(tmp_path, 'case "$*" in *rlkit.reproduce*) exit 137 ;; esac')
    out = check_sh("reproduce", tmp_path=tmp_path, PYTHON=python, REPRODUCE_SECONDS="5")
    assert out.returncode == 0, out.stdout + out.stderr
    assert re.search(r"reproduce-paper: exit 137 after \d+ s \(cut off at its limit, as planned\)", out.stdout)


@pytest.mark.slow
def test_check_sh_drops_the_logs_of_an_earlier_call(tmp_path):
    """A second call on a warm machine: the first call's benchmark log must not pass for this one's, in summary.txt
    or in logs.tar.gz."""
    work = tmp_path / "csro-gpu-work"
    work.mkdir()
    (work / "bench-meta-train.log").write_text("ratio captured / eager: 0.500\n")
    out = check_sh("setup", tmp_path=tmp_path, PYTHON=fake_python(tmp_path, "exit 0"))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "ratio" not in (tmp_path / "out" / "summary.txt").read_text()
    with tarfile.open(tmp_path / "out" / "logs.tar.gz") as logs:
        assert "./bench-meta-train.log" not in logs.getnames()


@pytest.mark.slow
def test_check_sh_keeps_each_finished_steps_figures_when_the_call_is_cut_off_from_outside(tmp_path):
    """A call the device tool kills (the session's device time spent: SIGKILL to every process of the call) during
    the reproduction keeps what the steps before it measured: each step's figures go to summary.txt, and the logs into
    logs.tar.gz, as it ends. They were written once, at the end, so such a call brought back only "exit 0" lines."""
    import os
    import signal

    python = fake_python(
        tmp_path,
        'case "$*" in *meta_train_speed*) echo "captured: 3.10 ms/step" ;; *rlkit.reproduce*) sleep 60 ;; esac',
    )
    env = {"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp_path), "OUT": str(tmp_path / "out"), "WHEELS": "no-such"}
    proc = subprocess.Popen(
        ["bash", "scripts/gpu/check.sh", "bench", "reproduce"],
        cwd=ROOT,
        env={**env, "PYTHON": python},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    summary = tmp_path / "out" / "summary.txt"
    try:
        deadline = time.monotonic() + 30
        while "bench-behaviour-sac-demo: exit" not in (summary.read_text() if summary.exists() else ""):
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.1)
        time.sleep(0.5)  # (the reproduction under way)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert "captured: 3.10 ms/step" in summary.read_text()
    with tarfile.open(tmp_path / "out" / "logs.tar.gz") as logs:
        assert "./bench-meta-train.log" in logs.getnames()
