"""scripts/competent_fraction.py: the fraction of the way from random to competent, by hand on two tasks."""

import json

import pytest

from rlkit.errors import UserError
from tests.conftest import load_file

competent_fraction = load_file("scripts/competent_fraction.py", "competent_fraction")


def write_task(root, idx: int, env: str, task: dict, returns: list[tuple[float, float]]) -> None:
    d = root / f"goal_idx{idx}"
    d.mkdir(parents=True)
    (d / "task.json").write_text(json.dumps({"env_name": env, "task_idx": idx, "task": task}))
    lines = ["checkpoint,stochastic_return,deterministic_return"]
    lines += [f"{5000 * (i + 1)},{s},{det}" for i, (s, det) in enumerate(returns)]
    (d / "returns.csv").write_text("\n".join(lines) + "\n")


def test_fractions_by_hand(tmp_path, capsys):
    # v* = 1: R_comp = -30; deterministic -210 -> -48 is (162 / 180) = 0.9; stochastic -230 -> -30 is 1.0
    write_task(tmp_path, 0, "cheetah-vel", {"velocity": 1.0}, [(-230.0, -210.0), (-100.0, -90.0), (-30.0, -48.0)])
    # v* = 3: R_comp = -50; deterministic -610 -> -330 is (280 / 560) = 0.5; stochastic -650 -> -350 is 0.5
    write_task(tmp_path, 1, "cheetah-vel", {"velocity": 3.0}, [(-650.0, -610.0), (-350.0, -330.0)])
    idx, _, out = competent_fraction.task_fractions(tmp_path / "goal_idx0")
    assert idx == 0
    assert out["deterministic"] == pytest.approx((-210.0, -48.0, 0.9))
    assert out["stochastic"] == pytest.approx((-230.0, -30.0, 1.0))
    competent_fraction.main([str(tmp_path)])
    printed = capsys.readouterr().out
    assert "deterministic: mean 0.700, worst 0.50 over 2 tasks" in printed
    assert "stochastic: mean 0.750, worst 0.50 over 2 tasks" in printed
    # each task's row: first and last deterministic returns, its fraction; the last stochastic return, its fraction
    assert "  -210   -48  0.90; -30 1.00" in printed and "  -610  -330  0.50; -350 0.50" in printed


def test_ant_goal_by_hand(tmp_path):
    # goal (2, 0): L1_0 = 2, R_comp = -(50 + 80) = -130; deterministic -430 -> -280 is 150 / 300 = 0.5
    write_task(tmp_path, 0, "ant-goal", {"goal": [2.0, 0.0]}, [(-500.0, -430.0), (-300.0, -280.0)])
    # goal (sqrt 2, -sqrt 2): L1_0 = 2 sqrt 2, R_comp = -(50 sqrt 2 + 80); stochastic -600 -> R_comp is 1.0
    comp = -(50.0 * 2**0.5 + 80.0)
    write_task(tmp_path, 1, "ant-goal", {"goal": [2**0.5, -(2**0.5)]}, [(-600.0, -500.0), (comp, -400.0)])
    assert competent_fraction.task_fractions(tmp_path / "goal_idx0")[2]["deterministic"][2] == pytest.approx(0.5)
    assert competent_fraction.task_fractions(tmp_path / "goal_idx1")[2]["stochastic"][2] == pytest.approx(1.0)


def test_refuses_an_env_without_an_estimate_before_printing(tmp_path, capsys):
    write_task(tmp_path, 0, "cheetah-vel", {"velocity": 1.0}, [(-230.0, -210.0), (-30.0, -48.0)])
    write_task(tmp_path, 1, "humanoid-dir", {"direction": 0.5}, [(-600.0, -450.0), (-350.0, -300.0)])
    with pytest.raises(UserError, match="env 'humanoid-dir'.*expected one of \\['ant-goal', 'cheetah-vel'\\]"):
        competent_fraction.main([str(tmp_path)])
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("setup", ["missing", "empty", "one checkpoint"])
def test_bad_input_is_one_line(tmp_path, setup):
    if setup == "one checkpoint":
        write_task(tmp_path, 0, "cheetah-vel", {"velocity": 1.0}, [(-230.0, -210.0)])
    target = tmp_path / "nope" if setup == "missing" else tmp_path
    with pytest.raises(UserError) as err:
        competent_fraction.main([str(target)])
    assert "\n" not in str(err.value) and ("expected" in str(err.value))


def test_bad_input_exits_2_and_help_prints_the_usage(tmp_path, capsys):
    """It exited 1 (a SystemExit of its message), and took --help for a folder."""
    from rlkit.cli import run_cli as run_command  # (in this process: no child)

    with pytest.raises(SystemExit) as exit_info:
        run_command(lambda: competent_fraction.main([str(tmp_path / "nope")]))
    assert exit_info.value.code == 2 and capsys.readouterr().err.startswith("error: arguments [")
    competent_fraction.main(["--help"])
    assert "python scripts/competent_fraction.py offline_dataset/" in capsys.readouterr().out


def test_competent_fraction_refuses_a_second_folder(tmp_path):
    """`competent_fraction` takes one folder, the dataset, and refuses `DATA_A DATA_B` with a UserError: a check of
    `len(argv) < 1` took `DATA_A DATA_B` and printed DATA_A's table alone, and the researcher comparing two datasets
    read one of them twice."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with pytest.raises(UserError, match=r"^arguments \[.*\]: expected one folder, the dataset"):
        competent_fraction.main([str(tmp_path / "a"), str(tmp_path / "b")])


def test_first_and_last_go_by_checkpoint_not_by_the_order_of_the_rows(tmp_path):
    """The first and last returns are those of the first and last checkpoints, sorted by checkpoint, not the first and
    last rows: without the sort, a returns.csv whose rows are not in checkpoint order (joined by hand from two runs,
    say) gave its first row as the random level and its last row as the final return."""
    write_task(tmp_path, 0, "cheetah-vel", {"velocity": 1.0}, [(-230.0, -210.0), (-100.0, -90.0), (-30.0, -48.0)])
    path = tmp_path / "goal_idx0" / "returns.csv"
    header, *rows = path.read_text().splitlines()
    path.write_text("\n".join([header, rows[2], rows[0], rows[1]]) + "\n")  # checkpoints 15000, 5000, 10000
    out = competent_fraction.task_fractions(tmp_path / "goal_idx0")[2]
    assert out["deterministic"] == pytest.approx((-210.0, -48.0, 0.9))
    assert out["stochastic"] == pytest.approx((-230.0, -30.0, 1.0))


def test_a_task_of_one_checkpoint_is_refused_naming_its_count(tmp_path):
    write_task(tmp_path, 0, "cheetah-vel", {"velocity": 1.0}, [(-230.0, -210.0)])
    with pytest.raises(UserError, match=r"returns.csv has 1 checkpoints: expected at least 2$"):
        competent_fraction.main([str(tmp_path)])


@pytest.mark.parametrize("order", ["nan first", "nan last"])
def test_a_task_without_returns_of_a_kind_is_left_out_of_the_mean_and_worst_whatever_the_order(tmp_path, order, capsys):
    """A checkpoint without deterministic episodes has a NaN return (`read_returns`): the mean was NaN, and the worst
    NaN or 0.50 by the folders' order (min over NaN keeps whichever comes first). Left out now, and said so."""
    tasks = [
        ({"velocity": 1.0}, [(-230.0, -210.0), (-30.0, float("nan"))]),
        ({"velocity": 3.0}, [(-650, -610), (-350, -330)]),
    ]
    for i, (task, returns) in enumerate(tasks if order == "nan first" else tasks[::-1]):
        write_task(tmp_path, i, "cheetah-vel", task, returns)
    competent_fraction.main([str(tmp_path)])
    printed = capsys.readouterr().out
    assert (
        "deterministic: mean 0.500, worst 0.50 over 1 tasks (1 without deterministic returns at the first or last "
        "checkpoint left out)" in printed
    )
    assert "stochastic: mean 0.750, worst 0.50 over 2 tasks\n" in printed


@pytest.mark.parametrize(
    "task,message",
    [
        ({}, r"holds task None: expected cheetah-vel's \{\"velocity\": v\}"),
        ({"velocity": "fast"}, r"holds task \{'velocity': 'fast'\}: expected cheetah-vel's"),
        ({"velocity": [1.0]}, r"holds task \{'velocity': \[1.0\]\}: expected cheetah-vel's"),
    ],
)
def test_a_task_json_of_another_form_is_one_line(tmp_path, task, message):
    """A task.json without "task" (a KeyError), or with a velocity of text or a list (ValueError, TypeError), was a
    traceback."""
    write_task(tmp_path, 0, "cheetah-vel", {"velocity": 1.0}, [(-230.0, -210.0), (-30.0, -48.0)])
    meta_path = tmp_path / "goal_idx0" / "task.json"
    meta = json.loads(meta_path.read_text())
    meta.pop("task")
    meta_path.write_text(json.dumps({**meta, **({"task": task} if task else {})}))
    with pytest.raises(UserError, match=message):
        competent_fraction.main([str(tmp_path)])


def test_a_folder_holding_another_tasks_record_is_refused_not_paired_with_its_returns(tmp_path):
    """Rows were chosen by task.json's task_idx, the table by folder: goal_idx0 saying task 1 scored task 1's
    competent level against goal_idx1's returns (velocity 3's), exit 0. The folder's own index is the task's."""
    write_task(tmp_path, 0, "cheetah-vel", {"velocity": 1.0}, [(-230.0, -210.0), (-30.0, -48.0)])
    write_task(tmp_path, 1, "cheetah-vel", {"velocity": 3.0}, [(-650.0, -610.0), (-350.0, -330.0)])
    meta_path = tmp_path / "goal_idx0" / "task.json"
    meta_path.write_text(json.dumps({**json.loads(meta_path.read_text()), "task_idx": 1}))
    with pytest.raises(UserError, match=r"goal_idx0/task.json' describes task 1: expected task 0, its folder's index"):
        competent_fraction.main([str(tmp_path)])


def test_a_first_return_at_the_competent_level_is_one_line_not_a_division_by_zero(tmp_path):
    write_task(tmp_path, 0, "cheetah-vel", {"velocity": 1.0}, [(-230.0, -30.0), (-30.0, -20.0)])  # R_comp = -30
    with pytest.raises(UserError, match=r"first checkpoint's deterministic return -30 is not below the competent"):
        competent_fraction.main([str(tmp_path)])


def test_a_kind_no_task_has_returns_of_is_said_and_the_other_kind_summarised(tmp_path, capsys):
    """Every task without deterministic returns at its last checkpoint: that kind's line says so (its mean over no
    task was a ZeroDivisionError without the branch), the stochastic one is summarised."""
    write_task(tmp_path, 0, "cheetah-vel", {"velocity": 1.0}, [(-230.0, -210.0), (-30.0, float("nan"))])
    competent_fraction.main([str(tmp_path)])
    printed = capsys.readouterr().out
    assert "deterministic: no task has deterministic returns at its first and last checkpoints" in printed
    assert "deterministic: mean" not in printed and "stochastic: mean 1.000, worst 1.00 over 1 tasks" in printed
