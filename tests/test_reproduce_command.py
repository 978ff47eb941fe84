"""What `python -m rlkit.reproduce` plans to train, in which order, and what its report says made it.

The command runs in-process with its heavy parts stood in for: stage 1 (`generate_dataset`), the cost lines, training
(`train_all`, which records the runs it is given) and the report (`write_report`, which records the command line);
each run's folder state comes from a table (iterations done of 10)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

import rlkit.behaviour
import rlkit.budget
import rlkit.reproduce.__main__ as entry
import rlkit.torch.graphs
from rlkit.cli import run_cli as run_command

N = 10  # iterations of every run here


def _reproduce(
    monkeypatch,
    tmp_path,
    args: list[str],
    done: dict | None = None,
    profile: tuple = ("--profile", "tiny"),
    places: list[str] | None = None,
) -> dict:
    """Run the command on point-robot (`profile`: its tiny profile; () for none given); `done`: iterations done per
    (method, seed), default 0; `places`: the --out and --results options (default: folders under `tmp_path`). Returns
    the runs handed to training (`todo`), the report's command line and profile."""
    seen: dict = {}
    done = done or {}
    monkeypatch.setattr(
        entry, "iterations_of", lambda spec, as_made=False: (done.get((spec.method, spec.seed), 0), N, False)
    )
    monkeypatch.setattr(entry, "budget_lines", lambda *a, **k: [])
    monkeypatch.setattr(rlkit.behaviour, "generate_dataset", lambda *a, **k: None)
    monkeypatch.setattr(
        entry, "train_all", lambda todo, jobs: seen.setdefault("todo", [(s.method, s.seed) for s in todo]) and []
    )
    monkeypatch.setattr(
        entry,
        "write_report",
        lambda env, prof, specs, results, command: seen.update(command=command, profile=prof) or results / "r.md",
    )
    threads = torch.get_num_threads()
    try:
        run_command(
            entry.main,
            [
                "point-robot",
                *profile,
                "--gpu",
                "-1",
                "--threads",
                "1",
                *(
                    places
                    if places is not None
                    else ["--out", str(tmp_path / "runs"), "--results", str(tmp_path / "results")]
                ),
                *args,
            ],
        )
    finally:
        torch.set_num_threads(threads)
    return seen


def test_stopped_runs_are_resumed_and_the_runs_go_seed_by_seed(monkeypatch, tmp_path):
    """Every run that is not finished is trained, stopped runs included: training only runs in state "new"
    (`state == "new"` for `!= "finished"`) left a reproduction stopped part-way with its stopped runs never finished,
    and the report written without them. The order is seed-major, not method-major: the command's comment and README
    promise seed-major, so that a reproduction stopped part-way has every method on its first seeds (a comparable
    table), not some methods on every seed. By hand: CSRO precedes FOCAL in the METHODS table; seeds go 0, 1 whatever
    order --seeds gives them in."""
    done = {("CSRO", 0): N, ("FOCAL", 0): 4, ("CSRO", 1): 7, ("FOCAL", 1): 0}
    seen = _reproduce(monkeypatch, tmp_path, ["--seeds", "1,0", "--methods", "FOCAL,CSRO"], done)
    assert seen["todo"] == [("FOCAL", 0), ("CSRO", 1), ("FOCAL", 1)]


def test_a_seed_given_twice_is_one_run(monkeypatch, tmp_path):
    """`--seeds 0,0,1` plans each seed once. Keeping the repeated seed would plan CSRO seed 0 twice: one run folder
    trained by two runs (two jobs racing for its lock) and its returns counted twice in the report's mean and spread."""
    seen = _reproduce(monkeypatch, tmp_path, ["--seeds", "0,0,1", "--methods", "CSRO"])
    assert seen["todo"] == [("CSRO", 0), ("CSRO", 1)]


def test_the_reports_command_line_names_the_data_the_runs_trained_on(monkeypatch, tmp_path):
    """The report's "Made by" command names --data_dir: every option that says where things are (--out, --results,
    --data_dir) must be in it. With --data_dir left out, the command rerun from the report trains on the profile's
    default data, not the data the report's numbers came from."""
    data = tmp_path / "my_data"
    seen = _reproduce(monkeypatch, tmp_path, ["--seeds", "0", "--methods", "CSRO", "--data_dir", str(data)])
    command = seen["command"]
    assert command.startswith("python -m rlkit.reproduce point-robot --profile tiny --seeds 0 --methods CSRO")
    for option, value in [("--out", tmp_path / "runs"), ("--results", tmp_path / "results"), ("--data_dir", data)]:
        assert f" {option} {value}" in command, command


@pytest.mark.parametrize("jobs", ["0", "-2"])
def test_jobs_below_one_is_one_line_and_trains_nothing(monkeypatch, tmp_path, capsys, jobs):
    """A count of runs trained at once is >= 1: --jobs 0 (or below) is refused in one line, exit 2, before anything
    runs. With `jobs < 0` for `jobs < 1`, --jobs 0 went on (stage 1 generated, then a traceback: the cores divided by
    zero jobs, or the process pool's own ValueError with --threads)."""
    with pytest.raises(SystemExit) as exit_:
        _reproduce(monkeypatch, tmp_path, ["--seeds", "0", "--methods", "CSRO", "--jobs", jobs])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and err == [f"error: --jobs {jobs}: expected >= 1"]


def test_jobs_beyond_the_process_count_cap_is_one_line_and_trains_nothing(monkeypatch, tmp_path, capsys):
    """--jobs 2**70 went on to stage 1 and then failed in the process pool with an OverflowError traceback."""
    with pytest.raises(SystemExit) as exit_:
        _reproduce(monkeypatch, tmp_path, ["--seeds", "0", "--methods", "CSRO", "--jobs", str(2**70)])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and err == [
        f"error: --jobs {2**70}: expected at most 1024 (runs trained at once, a process each)"
    ]
    from rlkit.cli import MAX_THREADS
    from rlkit.errors import UserError

    # the cap itself is let through, one more is not
    assert entry.checked_arguments("point-robot", "tiny", "0", "CSRO", MAX_THREADS, "o", "r", None)[0] == "tiny"
    with pytest.raises(UserError, match=r"^--jobs 1025: expected at most 1024 \(runs trained at once"):
        entry.checked_arguments("point-robot", "tiny", "0", "CSRO", MAX_THREADS + 1, "o", "r", None)


def test_without_seeds_the_command_runs_seeds_0_1_2(monkeypatch, tmp_path):
    """`--seeds` defaults to 0,1,2 (its help: "[default: 0,1,2]"; the README's "3 seeds each"): the README's
    `python -m rlkit.reproduce cheetah-vel --profile paper`, without --seeds, trains three seeds of each method. The
    committed reports all pass --seeds, so nothing else reads the default."""
    seen = _reproduce(monkeypatch, tmp_path, ["--methods", "CSRO,FOCAL"])
    assert sorted(seen["todo"]) == [(m, s) for m in ("CSRO", "FOCAL") for s in (0, 1, 2)]


def test_without_profile_the_command_runs_the_envs_default_profile(monkeypatch, tmp_path, capsys):
    """Without --profile the command runs the env's default profile: `python -m rlkit.reproduce point-robot` plans
    point-robot's CPU-sized `demo` results profile (what `--profile`'s help promises: "default: its CPU-sized results
    profile where it has one, else paper"; the help text itself is not checked here). The profile is the one the
    command line names, the first line says and `write_report` is given (the report's name, ENV-PROFILE.md, is made
    from it there). With the command's default profile fixed to `paper`, it would plan the reference's full-length
    runs instead."""
    seen = _reproduce(monkeypatch, tmp_path, ["--seeds", "0", "--methods", "CSRO"], profile=())
    assert seen["profile"] == "demo" and "--profile demo" in seen["command"]
    assert "reproduce point-robot --profile demo:" in capsys.readouterr().out


def _command(
    monkeypatch,
    tmp_path,
    args: list[str],
    done: dict | None = None,
    cores: int = 4,
    profile: str = "tiny",
    gpu: str | None = "-1",
) -> dict:
    """`python -m rlkit.reproduce point-robot --profile PROFILE [--gpu GPU] --out RUNS --results RESULTS ARGS` in this
    process, its heavy parts stood in for (as tests/test_reproduce_command.py does), on a machine of `cores` usable
    cores; `done`: iterations done of 10 per (method, seed). Returns what each part was given."""
    import rlkit.reproduce.__main__ as entry

    seen: dict = {"as_made": set()}
    done = done or {}

    def iterations_of(spec, as_made=False):
        seen["as_made"].add(as_made)
        return done.get((spec.method, spec.seed), 0), 10, False

    def generate(env_name, env_params, data_dir, tasks, sac_name, sac_cfg, device):
        seen["generate"] = dict(
            data_dir=data_dir, tasks=tasks, sac=sac_name, threads=torch.get_num_threads(), device=device
        )

    def train_all(todo, jobs):
        seen["todo"] = [(s.method, s.seed) for s in todo]
        return []

    def write_report(env, prof, specs, results, command):
        seen["specs"] = specs
        return results / "r.md"

    def request_capture(on):  # (recorded only: the real one would set this process's switch for later tests)
        seen["capture"] = on

    monkeypatch.setattr(rlkit.torch.graphs, "request_capture", request_capture)
    monkeypatch.setattr(rlkit.budget, "usable_cores", lambda: cores)
    monkeypatch.setattr(entry, "iterations_of", iterations_of)
    monkeypatch.setattr(
        entry, "budget_lines", lambda specs, todo, jobs, device, done: seen.update(budget_done=done) or []
    )
    monkeypatch.setattr(rlkit.behaviour, "generate_dataset", generate)
    monkeypatch.setattr(entry, "train_all", train_all)
    monkeypatch.setattr(entry, "write_report", write_report)
    threads = torch.get_num_threads()
    try:
        run_command(
            entry.main,
            ["point-robot", "--profile", profile, *(["--gpu", gpu] if gpu is not None else []),
             "--out", str(tmp_path / "runs"), "--results", str(tmp_path / "results"), *args],
        )  # fmt: skip
    finally:
        torch.set_num_threads(threads)
    return seen


def test_the_report_lists_each_methods_seeds_in_order_whatever_order_seeds_gives(monkeypatch, tmp_path):
    """`--seeds 2,0,1` plans seeds 0, 1, 2: the report's per-seed columns and lines go by seed (its tables pair methods
    seed by seed), not in the order the option listed them."""
    seen = _command(monkeypatch, tmp_path, ["--seeds", "2,0,1", "--methods", "CSRO,FOCAL"])
    assert [(s.method, s.seed) for s in seen["specs"]] == [
        ("CSRO", 0), ("CSRO", 1), ("CSRO", 2), ("FOCAL", 0), ("FOCAL", 1), ("FOCAL", 2)
    ]  # fmt: skip


def test_a_method_given_twice_is_planned_once(monkeypatch, tmp_path):
    """`--methods CSRO,FOCAL,CSRO` plans CSRO's runs once. Planned twice, one folder would be trained by two runs at
    once and its returns counted twice in the report's tables."""
    seen = _command(monkeypatch, tmp_path, ["--seeds", "0", "--methods", "CSRO,FOCAL,CSRO"])
    assert seen["todo"] == [("CSRO", 0), ("FOCAL", 0)]
    assert [s.method for s in seen["specs"]] == ["CSRO", "FOCAL"]


def test_the_report_the_command_would_replace_is_checked_before_anything_trains(monkeypatch, tmp_path, capsys):
    """The command writes RESULTS/ENV-PROFILE.md; a report of other methods already there is refused before stage 1 or
    any run, so that it is not replaced (a check of another file name let it through)."""
    results = tmp_path / "results"
    results.mkdir()
    (results / "point-robot-tiny.md").write_text("Methods CSRO, FOCAL; seeds [0, 1, 2]\n")
    with pytest.raises(SystemExit) as exit_:
        _command(monkeypatch, tmp_path, ["--seeds", "0", "--methods", "CSRO"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "point-robot-tiny.md' is a report of methods ['CSRO', 'FOCAL']" in err, err


def test_eager_and_capture_reach_the_cuda_graph_switch(monkeypatch, tmp_path):
    """--eager / --capture are handed to `graphs.request_capture` (False / True); without either the default (None:
    CSRO_CAPTURE, else capture on CUDA only)."""
    for flag, want in (("--eager", False), ("--capture", True), (None, None)):
        seen = _command(
            monkeypatch, tmp_path / str(flag), ["--seeds", "0", "--methods", "CSRO", *([flag] if flag else [])]
        )
        assert seen["capture"] is want, flag


def test_runs_share_the_cores_between_the_jobs_and_stage_1_takes_them_all(monkeypatch, tmp_path):
    """Without --threads each run gets cores // jobs threads (4 cores, 2 jobs: 2 each; every run of 4 threads would
    oversubscribe the cores twice over), and stage 1, which runs alone before them, every core (4); with --threads 3
    both take 3."""
    seen = _command(monkeypatch, tmp_path / "a", ["--seeds", "0,1", "--methods", "CSRO", "--jobs", "2"], cores=4)
    assert [s.threads for s in seen["specs"]] == [2, 2] and seen["generate"]["threads"] == 4
    seen = _command(monkeypatch, tmp_path / "b", ["--seeds", "0", "--methods", "CSRO", "--threads", "3"], cores=4)
    assert [s.threads for s in seen["specs"]] == [3] and seen["generate"]["threads"] == 3


def test_data_dir_is_where_stage_1_writes_and_every_run_reads(monkeypatch, tmp_path):
    """--data_dir is the folder stage 1 generates every task of the config into (the tiny point-robot's 6 tasks: 0 .. 5)
    and the runs train on."""
    data = tmp_path / "my_data"
    seen = _command(monkeypatch, tmp_path, ["--seeds", "0", "--methods", "CSRO,FOCAL", "--data_dir", str(data)])
    assert seen["generate"]["data_dir"] == data and seen["generate"]["tasks"] == [0, 1, 2, 3, 4, 5]
    assert [s.load_config().algo_params.data_dir for s in seen["specs"]] == [str(data)] * 2


def test_report_only_reads_the_folders_as_they_were_made(monkeypatch, tmp_path):
    """--report-only checks the finished folders `as_made` (a report of archived runs of an older profile names their
    differences), training checks them against today's profile."""
    done = {("CSRO", 0): 10}
    seen = _command(monkeypatch, tmp_path / "a", ["--seeds", "0", "--methods", "CSRO", "--report-only"], done)
    assert seen["as_made"] == {True} and "todo" not in seen and [s.seed for s in seen["specs"]] == [0]
    seen = _command(monkeypatch, tmp_path / "b", ["--seeds", "0", "--methods", "CSRO"], done)
    assert seen["as_made"] == {False}


def test_the_cost_estimate_is_given_the_iterations_each_run_to_train_has_done(monkeypatch, tmp_path):
    """The estimate counts what the runs to train have left: CSRO seed 0 has done 4 of 10 iterations, FOCAL seed 0 none
    (CSRO seed 1, finished, is not trained), in the order they train (seed-major)."""
    done = {("CSRO", 0): 4, ("CSRO", 1): 10}
    seen = _command(monkeypatch, tmp_path, ["--seeds", "0,1", "--methods", "CSRO,FOCAL"], done)
    assert seen["todo"] == [("CSRO", 0), ("FOCAL", 0), ("FOCAL", 1)]
    assert seen["budget_done"] == [4, 0, 0]


def test_stage_1_generates_the_data_on_the_device_the_runs_train_on(monkeypatch, tmp_path):
    """Stage 1 (the behaviour SACs) runs on the device --gpu gives (cuda:0 here, CUDA mocked: nothing runs on it), as
    the runs do, not on the CPU."""
    from tests.test_graphs import _mock_cuda

    _mock_cuda(monkeypatch, 1)
    seen = _command(monkeypatch, tmp_path, ["--seeds", "0", "--methods", "CSRO"], gpu="0")
    assert seen["generate"]["device"] == torch.device("cuda", 0)
    assert seen["generate"]["sac"] == "tiny_point"


@pytest.mark.parametrize(
    "profile, gpu, expected",
    [
        ("demo", None, "cpu"),  # a CPU profile: its SAC config and its experiment config both say the CPU
        ("paper", None, "cuda:0"),  # the reference's: CUDA when available, both stages
        ("demo", "1", "cuda:1"),  # --gpu G: both stages, whatever the configs say
        ("paper", "-1", "cpu"),
    ],
)
def test_stage_1_and_the_runs_train_where_the_profiles_configs_say_unless_gpu_says(
    monkeypatch, tmp_path, capsys, profile, gpu, expected
):
    """The device of a reproduction's stage 1 and of each run (CUDA mocked, two devices): as policy_train.py and
    launch_experiment.py choose, --gpu G where given, else each stage's own config. Before, the command ignored the
    configs (the demo and cpu profiles say `use_gpu: 0`) and trained on CUDA, while each run's variant.json said
    use_gpu false; now variant.json says where the run trained, and the first line names the one device."""
    import rlkit.experiment
    from rlkit.reproduce.plan import train_one
    from tests.test_graphs import _mock_cuda

    _mock_cuda(monkeypatch, 2)
    seen = _command(monkeypatch, tmp_path, ["--seeds", "0", "--methods", "CSRO"], profile=profile, gpu=gpu)
    assert seen["generate"]["device"] == torch.device(expected)
    (spec,) = seen["specs"]
    util = spec.load_config().util_params
    assert ("cuda" if util.use_gpu else "cpu") == torch.device(expected).type and util.gpu_id == (
        1 if gpu == "1" else 0
    )
    ran_on = []
    monkeypatch.setattr(rlkit.experiment, "prepare", lambda cfg, seed, device: ran_on.append(device))
    monkeypatch.setattr(rlkit.experiment, "MetaTrainer", lambda setup, show_progress: SimpleNamespace(run=lambda: 0))
    train_one(spec)  # (it sets the run's threads, 4 here: conftest sets them back after the test)
    assert ran_on == [torch.device(expected)]
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith(f"reproduce point-robot --profile {profile}: device {expected} ("), first


def test_each_profiles_two_stages_ask_for_one_device(tmp_path):
    """Every env's every profile: its stage-1 SAC config's `device` and its experiment config's `use_gpu` agree (cuda
    and 1, or cpu and 0), so that a reproduction without --gpu runs both stages on one device."""
    from rlkit.behaviour import load_sac_config
    from rlkit.reproduce.plan import ENVS, profiles, run_specs

    seen = set()
    for env in ENVS:
        for name, p in profiles(env).items():
            cfg = run_specs(env, name, ["CSRO"], [0], tmp_path, 1, None, None)[0].load_config()
            stages = (load_sac_config(p.sac_config, []).device, "cuda" if cfg.util_params.use_gpu else "cpu")
            assert stages[0] == stages[1], (env, name, stages)
            seen.add(stages[0])
    assert seen == {"cpu", "cuda"}  # (both kinds of profile are shipped)


def test_the_reports_command_line_leaves_out_the_options_at_their_defaults(monkeypatch, tmp_path):
    """The report's "Made by" command gives --out, --results and --data_dir only where they are not the defaults:
    `--out output/reproduce --results docs/results`, the defaults spelt out, make the plain command."""
    monkeypatch.chdir(tmp_path)
    places = ["--out", "output/reproduce", "--results", "docs/results"]
    seen = _reproduce(monkeypatch, tmp_path, ["--seeds", "0", "--methods", "CSRO"], places=places)
    assert seen["command"] == "python -m rlkit.reproduce point-robot --profile tiny --seeds 0 --methods CSRO"


def test_the_reports_command_line_is_quoted_as_a_shell_reads_it(monkeypatch, tmp_path):
    """The "Made by" command reruns as printed: a seed list with a space and a folder with a space in its name are
    quoted (pasted raw, `--seeds 0, 1` and `--data_dir /a b` split into other arguments)."""
    import shlex

    data = tmp_path / "my data"
    seen = _reproduce(monkeypatch, tmp_path, ["--seeds", "0, 1", "--methods", "CSRO", "--data_dir", str(data)])
    args = shlex.split(seen["command"])
    said = "python -m rlkit.reproduce point-robot --profile tiny --seeds".split() + ["0, 1", "--methods", "CSRO"]
    assert args[:10] == said
    assert args[args.index("--data_dir") + 1] == str(data)


def test_the_command_counts_the_runs_finished_to_resume_and_new(monkeypatch, tmp_path, capsys):
    """Before training, one line counts the runs by their folders' state: CSRO seed 0 holds all its iterations, seeds 1
    and 2 some of them, seed 3 none."""
    done = {("CSRO", 0): N, ("CSRO", 1): 4, ("CSRO", 2): 7}
    seen = _reproduce(monkeypatch, tmp_path, ["--seeds", "0,1,2,3", "--methods", "CSRO"], done)
    assert seen["todo"] == [("CSRO", 1), ("CSRO", 2), ("CSRO", 3)]
    assert "4 runs: 1 finished, 2 to resume, 1 new" in capsys.readouterr().out.splitlines()


def test_more_jobs_than_cores_give_each_run_one_thread(monkeypatch, tmp_path):
    """Without --threads each run gets cores // jobs threads, at least one: 4 jobs on 2 cores are 1 thread each, not
    0 (which torch refuses when the run starts, after stage 1 and the other runs)."""
    seen = _command(monkeypatch, tmp_path, ["--seeds", "0,1,2,3", "--methods", "CSRO", "--jobs", "4"], cores=2)
    assert [s.threads for s in seen["specs"]] == [1, 1, 1, 1]
