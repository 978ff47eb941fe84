"""`make test-fast` (`pytest -m "not slow"`) skips the slow tests; this keeps the mark honest.

A test is slow when it starts a subprocess or Ray: directly, through a helper of its module or of
conftest.py, or through a fixture that does (the suite's generated data, `tiny_data`). Every such
test must carry `@pytest.mark.slow` (or its module `pytestmark`), so the quick target stays quick
and a new subprocess test cannot slip into it unnoticed.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _called_name(call: ast.Call) -> tuple[str | None, str | None]:
    """(function name, module it is an attribute of) of a call: `run_cli(...)` -> ("run_cli", None),
    `subprocess.run(...)` -> ("run", "subprocess")."""
    f = call.func
    if isinstance(f, ast.Name):
        return f.id, None
    if isinstance(f, ast.Attribute):
        return f.attr, f.value.id if isinstance(f.value, ast.Name) else None
    return None, None


def _starts_process(node: ast.AST, slow: set[str]) -> bool:
    """Does this function call the suite's `run_cli`, `subprocess`, Ray or a helper known to do so, or import
    subprocess or ray in its body? (`subprocess.CompletedProcess(...)` builds a record and starts nothing: what
    `run_here` returns for a command it ran in the test's process.)"""
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            name, module = _called_name(n)
            if (module, name) == ("subprocess", "CompletedProcess"):
                continue
            if name == "run_cli" or name in slow or module in ("subprocess", "ray"):
                return True
        elif isinstance(n, ast.Import | ast.ImportFrom):
            names = [a.name for a in n.names] + [getattr(n, "module", None) or ""]
            if any(m.split(".")[0] in ("subprocess", "ray") for m in names):
                return True
    return False


def _is_fixture(fn: ast.FunctionDef) -> bool:
    return any("fixture" in ast.unparse(d) for d in fn.decorator_list)


def _slow_functions(tree: ast.Module, slow: set[str], slow_fixtures: set[str]) -> None:
    """Grow `slow` (and `slow_fixtures`) with the module-level functions of `tree` that start a process,
    until nothing changes (a helper calling a slow helper is slow)."""
    funcs = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    changed = True
    while changed:
        changed = False
        for fn in funcs:
            if fn.name in slow:
                continue
            if _starts_process(fn, slow) or {a.arg for a in fn.args.args} & slow_fixtures:
                slow.add(fn.name)
                changed = True
                if _is_fixture(fn):
                    slow_fixtures.add(fn.name)


def _marked_slow(fn: ast.FunctionDef, tree: ast.Module) -> bool:
    module_mark = any(
        isinstance(n, ast.Assign)
        and any(getattr(t, "id", "") == "pytestmark" for t in n.targets)
        and "slow" in ast.unparse(n.value)
        for n in tree.body
    )
    return module_mark or any("mark.slow" in ast.unparse(d) for d in fn.decorator_list)


def unmarked_slow_tests(tests: Path = TESTS) -> list[str]:
    conftest = ast.parse((tests / "conftest.py").read_text())
    base, base_fixtures = set(), set()
    _slow_functions(conftest, base, base_fixtures)
    out = []
    for path in sorted(tests.glob("test_*.py")):
        tree = ast.parse(path.read_text())
        slow, fixtures = set(base), set(base_fixtures)
        _slow_functions(tree, slow, fixtures)
        out += [
            f"{path.name}::{fn.name}"
            for fn in tree.body
            if isinstance(fn, ast.FunctionDef)
            and fn.name.startswith("test")
            and fn.name in slow
            and not _marked_slow(fn, tree)
        ]
    return out


def test_every_test_that_starts_a_process_is_marked_slow():
    assert unmarked_slow_tests() == []


def test_the_check_sees_a_subprocess_test_without_the_mark(tmp_path):
    (tmp_path / "conftest.py").write_text(
        "import subprocess\ndef run_cli(args):\n    return subprocess.run(args)\n"
        "def run_here(args):\n    return subprocess.CompletedProcess(args, 0, '', '')\n"
    )
    (tmp_path / "test_a.py").write_text(
        "import pytest\n"
        "def _helper():\n    return run_cli(['x'])\n"
        "def test_direct():\n    run_cli(['x'])\n"
        "def test_through_helper():\n    _helper()\n"
        "@pytest.mark.slow\ndef test_marked():\n    run_cli(['x'])\n"
        "def test_quick():\n    assert 1\n"
        "def test_in_process():\n    run_here(['x'])\n"
    )
    assert unmarked_slow_tests(tmp_path) == ["test_a.py::test_direct", "test_a.py::test_through_helper"]
