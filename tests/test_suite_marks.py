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


PROCESS_MODULES = ("subprocess", "ray", "multiprocessing")
PROCESS_CALLS = {("os", n) for n in ("system", "popen", "fork", "execv", "execvp", "spawnv", "posix_spawn")}
Function = ast.FunctionDef | ast.AsyncFunctionDef


def _process_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """(the names a module binds to the process modules, `import subprocess as sp`: {"sp"}; the functions it imports
    from them, `from subprocess import run`: {"run"}), at its top level."""
    modules, functions = set(PROCESS_MODULES), set()
    for n in tree.body:
        if isinstance(n, ast.Import):
            modules |= {a.asname for a in n.names if a.asname and a.name.split(".")[0] in PROCESS_MODULES}
        elif isinstance(n, ast.ImportFrom) and (n.module or "").split(".")[0] in PROCESS_MODULES:
            functions |= {a.asname or a.name for a in n.names}
    return modules, functions


def _starts_process(node: ast.AST, slow: set[str], names: tuple[set[str], set[str]]) -> bool:
    """Does this function call the suite's `run_cli`, `subprocess`, Ray, multiprocessing, `os.system` and its kin or
    a helper known to do so (under any name its module imported them as), or import one of those modules in its body?
    (`subprocess.CompletedProcess(...)` builds a record and starts nothing: what `run_here` returns for a command it
    ran in the test's process.)"""
    modules, functions = names
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            name, module = _called_name(n)
            if name == "CompletedProcess":
                continue
            if name == "run_cli" or name in slow or module in modules or (module, name) in PROCESS_CALLS:
                return True
            if module is None and name in functions:
                return True
        elif isinstance(n, ast.Import | ast.ImportFrom):
            imported = [a.name for a in n.names] + [getattr(n, "module", None) or ""]
            if any(m.split(".")[0] in PROCESS_MODULES for m in imported):
                return True
    return False


def _is_fixture(fn: Function) -> bool:
    return any("fixture" in ast.unparse(d) for d in fn.decorator_list)


def _fixtures_used(fn: Function) -> set[str]:
    """The fixtures a function asks for: its arguments and the names of its `usefixtures` marks."""
    used = {a.arg for a in fn.args.args}
    for d in fn.decorator_list:
        if isinstance(d, ast.Call) and "usefixtures" in ast.unparse(d.func):
            used |= {a.value for a in d.args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
    return used


def _functions(tree: ast.Module) -> list[tuple[str, Function, list[ast.expr]]]:
    """(name, function, the marks of its class) of the module's functions and its test classes' methods."""
    out = []
    for n in tree.body:
        if isinstance(n, Function):
            out.append((n.name, n, []))
        elif isinstance(n, ast.ClassDef):
            out += [(f"{n.name}::{m.name}", m, n.decorator_list) for m in n.body if isinstance(m, Function)]
    return out


def _slow_functions(tree: ast.Module, slow: set[str], slow_fixtures: set[str]) -> None:
    """Grow `slow` (and `slow_fixtures`) with the functions of `tree` that start a process, until nothing changes
    (a helper calling a slow helper is slow)."""
    names, funcs = _process_names(tree), _functions(tree)
    changed = True
    while changed:
        changed = False
        for name, fn, _ in funcs:
            if name in slow:
                continue
            if _starts_process(fn, slow, names) or _fixtures_used(fn) & slow_fixtures:
                slow.add(name)
                changed = True
                if _is_fixture(fn):
                    slow_fixtures.add(fn.name)


def _marked_slow(fn: Function, class_marks: list[ast.expr], tree: ast.Module) -> bool:
    module_mark = any(
        isinstance(n, ast.Assign)
        and any(getattr(t, "id", "") == "pytestmark" for t in n.targets)
        and "mark.slow" in ast.unparse(n.value)
        for n in tree.body
    )
    return module_mark or any("mark.slow" in ast.unparse(d) for d in [*fn.decorator_list, *class_marks])


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
            f"{path.name}::{name}"
            for name, fn, class_marks in _functions(tree)
            if fn.name.startswith("test") and name in slow and not _marked_slow(fn, class_marks, tree)
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


def test_the_check_sees_processes_under_other_names_and_places(tmp_path):
    """The forms a subprocess test also takes: `subprocess` imported under another name or its function imported
    alone, `os.system`, a test method of a class, an async test, the data fixture asked for by `usefixtures`; and a
    module mark that merely says "slow" in a reason is not the slow mark. A class marked slow covers its methods."""
    (tmp_path / "conftest.py").write_text(
        "import subprocess\nimport pytest\n@pytest.fixture\ndef tiny_data():\n    subprocess.run(['x'])\n"
    )
    (tmp_path / "test_b.py").write_text(
        "import os\nimport subprocess as sp\nfrom subprocess import check_output\nimport pytest\n"
        "pytestmark = pytest.mark.skipif(False, reason='slow on some hosts')\n"
        "def test_alias():\n    sp.run(['x'])\n"
        "def test_function_alone():\n    check_output(['x'])\n"
        "def test_os_system():\n    os.system('x')\n"
        "async def test_async():\n    sp.run(['x'])\n"
        "@pytest.mark.usefixtures('tiny_data')\ndef test_uses_the_data():\n    pass\n"
        "class TestCli:\n    def test_method(self):\n        sp.run(['x'])\n"
        "@pytest.mark.slow\nclass TestMarked:\n    def test_method(self):\n        sp.run(['x'])\n"
        "def test_quick():\n    assert os.sep\n"
    )
    assert unmarked_slow_tests(tmp_path) == [
        f"test_b.py::{name}"
        for name in (
            "test_alias",
            "test_function_alone",
            "test_os_system",
            "test_async",
            "test_uses_the_data",
            "TestCli::test_method",
        )
    ]
