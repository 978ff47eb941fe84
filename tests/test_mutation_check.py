"""scripts/mutation_check.py's mutations still apply to the trainer as it is, and each changes a step.

The script itself runs the slow suite once per mutation; this checks in a second that no patch names
something that has gone and that none has become a no-op (a renamed setting, an update no longer called)."""

import re
import sys
import textwrap
import types

import pytest
import torch

from rlkit.config import load_config, parse_override_args
from rlkit.tasks import train_eval_split
from tests.conftest import ROOT, load_file
from tests.test_gradient_flow import make_inputs

mutation_check = load_file("scripts/mutation_check.py", "mutation_check")


def trainer_module(patch: str) -> types.ModuleType:
    """A fresh copy of the trainer's module with `patch` appended, as the script writes it."""
    name = "mutated_trainer"
    module = sys.modules[name] = types.ModuleType(name)  # dataclasses look their module up
    try:
        source = (ROOT / mutation_check.TRAINER).read_text() + textwrap.dedent(patch)
        exec(compile(source, mutation_check.TRAINER, "exec"), module.__dict__)
    finally:
        del sys.modules[name]
    return module


def one_step(module: types.ModuleType) -> dict[str, list[torch.Tensor]]:
    """Every network's parameters after one step of a fresh trainer built from `module`."""
    cfg = load_config(None, parse_override_args(["--latent_size", "4", "--net_size", "16"]))
    settings = module.TrainerSettings.from_config(cfg, train_eval_split(cfg)[0])
    tr = module.CSROTrainer(settings, 2, 2, torch.device("cpu"), seed=0)
    tr.train_step(*make_inputs())
    return {k: [p.detach().clone() for p in m.parameters()] for k, m in tr.modules().items()}


@pytest.mark.parametrize("name", list(mutation_check.MUTATIONS))
def test_each_mutation_applies_and_changes_one_step(name):
    plain, mutated = one_step(trainer_module("")), one_step(trainer_module(mutation_check.MUTATIONS[name]))
    assert any(not torch.equal(p, q) for k in plain for p, q in zip(plain[k], mutated[k])), name


def test_tests_given_by_absolute_path_run_in_the_mutated_copy_and_a_bad_one_is_named(capsys):
    """`--tests /abs/tests/x.py` ran this checkout's tests, not the mutated copy's: every mutation MISSED."""
    import argparse

    parser = argparse.ArgumentParser()
    given = [str(ROOT / "tests" / "test_losses.py") + "::test_x", "tests/test_gradient_flow.py"]
    assert mutation_check.repo_relative(parser, given) == [
        "tests/test_losses.py::test_x",
        "tests/test_gradient_flow.py",
    ]
    for bad in ("tests/no_such.py", "/tmp"):
        with pytest.raises(SystemExit) as e:
            mutation_check.repo_relative(parser, [bad])
        assert e.value.code == 2 and f"--tests {bad!r}: expected a test file or folder" in capsys.readouterr().err


@pytest.mark.parametrize("name", list(mutation_check.EDITS))
def test_each_edit_applies_once_and_names_tests_that_exist(name, tmp_path):
    edit = mutation_check.EDITS[name]
    (tmp_path / edit.path).parent.mkdir(parents=True, exist_ok=True)  # (show_path.py: the root itself)
    (tmp_path / edit.path).write_text((ROOT / edit.path).read_text())
    mutation_check.apply_edit(tmp_path, name, edit)
    assert (tmp_path / edit.path).read_text() != (ROOT / edit.path).read_text() and edit.new != edit.old
    path, _, function = edit.test.partition("::")
    function = function.split("[")[0]  # (a parametrized test's case: its function)
    # a test pytest collects (a helper of the file is not one: pytest finds nothing and the run would not count)
    assert function.startswith("test") and " " not in edit.test, edit.test
    assert (ROOT / path).is_file() and re.search(rf"^def {function}\(", (ROOT / path).read_text(), re.M), edit.test


def test_an_edit_whose_text_has_gone_is_named(tmp_path):
    """An edit's text found twice, or not at all (the code moved on), stops the run naming the edit: applied anyway,
    a text gone would leave the copy as it was and its test passing, a MISSED mutation that was never made."""
    edit = mutation_check.Edit("a.py", "x = 1", "x = 2", "tests/test_a.py::test_a")
    for text, times in (("x = 1\nx = 1\n", 2), ("x = 3\n", 0)):
        (tmp_path / "a.py").write_text(text)
        said = rf"edit 'e' does not apply: 'x = 1' occurs {times} times in a.py: expected it once"
        with pytest.raises(SystemExit, match=said):
            mutation_check.apply_edit(tmp_path, "e", edit)
