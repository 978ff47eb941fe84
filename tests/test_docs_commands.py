"""Every command line that README.md and docs/ show parses with the command it names.

A researcher copies these lines; an option renamed in the code but not in the docs, a value the option no longer
takes, or an override key that the config lost, would fail only in their shell. Each line is parsed, not run: the
click command's own parser (options, their types, the arguments given), the experiment config's overrides through
`load_config` where the line names a shipped config, the SAC overrides through `load_sac_config`, a command's own
checks of its values where it has them apart (`rlkit.reproduce`'s `checked_arguments`: env, profile, methods), and
argparse's parser for the benchmarks and scripts that use one. Placeholders (`N`, `DIR`, `CONFIG`, `[--itr N]`,
`...`) are filled with values of their kind; a path need not exist; a line that names a command without its
arguments (a mention in prose) is held only to the options it shows.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import importlib.util
import inspect
import itertools
import re
import shlex
import sys
from pathlib import Path

import click
import pytest

from rlkit.behaviour import default_sac_config, load_sac_config
from rlkit.config import load_config, parse_override_args
from tests.conftest import ENTRY_FILES, ROOT, click_commands, load_file

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
EXTERNAL = ("viskit/",)  # commands of other projects the docs point to
SHIPPED = ("configs/", "scripts/", "benchmarks/")  # a path under these names a file of the repository (it must exist)

# what a placeholder of the docs stands for, by its kind
PLACEHOLDERS = {
    "N": "2",
    "K": "0",
    "G": "0",
    "S": "1",
    "$k": "0",
    "$SLURM_ARRAY_TASK_ID": "0",
    "ADDRESS": "auto",
    "C": "configs/point-robot.json",
    "CONFIG": "configs/point-robot.json",
    "PROBE.json": "configs/point-robot.json",
    "ENV": "point-robot",
    "NAME": "demo",  # (a name: a profile, an experiment)
    **{n: "some/folder" for n in ("DIR", "DATA_DIR", "SRC", "DST", "RUNS", "RUNS_DIR", "FILE", "EXP")},
}
ELLIPSES = {"...", "KEY=VALUE", "--KEY", "VALUE"}  # a synopsis' "any override": nothing to check
# an inline code span that runs python or make, or names a script with options (`policy_train.py --regenerate`,
# read as `python policy_train.py --regenerate`)
INLINE = re.compile(r"`((?:CUDA_VISIBLE_DEVICES=\S+ )?python [^`]+|make [\w-]+|[\w/]+\.py --[^`]*)`")


def _inline(text: str) -> list[tuple[str, bool]]:
    """The inline code spans of `text` that INLINE matches, as commands (never whole: a span is often a fragment)."""
    spans = [" ".join(span.split()) for span in INLINE.findall(text)]
    return [
        (span if re.match(r"(CUDA_VISIBLE_DEVICES=\S+ )?python |make ", span) else "python " + span, False)
        for span in spans
    ]


def _shell_lines(text: str) -> list[str]:
    """The lines of a fenced block that run python or make, continuation lines joined and comments dropped."""
    lines, pending = [], ""
    for line in text.splitlines():
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        full, pending = re.sub(r"\s+#.*$", "", (pending + line).strip()), ""
        if re.match(r"(for .*; do )?(CUDA_VISIBLE_DEVICES=\S+ )?(python|make)\b", full):
            lines.append(full)
    return lines


def doc_commands(path: Path) -> list[tuple[str, bool]]:
    """(command line, whether it is a whole command: a fenced block's line) for every python or make command
    that the markdown file shows in a fenced block or in an inline code span (`_inline`)."""
    fenced, prose, inside = [], [], False
    for line in path.read_text().splitlines():
        if line.strip().startswith("```"):
            inside = not inside
        elif inside:
            fenced.append(line)
        else:
            prose.append(line)
    whole = [(line, True) for line in _shell_lines("\n".join(fenced))]
    return whole + _inline("\n".join(prose))


def docstring_commands(path: Path) -> list[tuple[str, bool]]:
    """The same for a module docstring: its lines that start with `python ` (a synopsis, continued while a bracket
    is open), whole commands, and its inline code spans."""
    text = ast.get_docstring(ast.parse(path.read_text())) or ""
    lines, found = text.splitlines(), []
    for i, line in enumerate(lines):
        if line.strip().startswith("python "):
            command = line.strip()
            while command.count("[") > command.count("]") and i + 1 < len(lines):
                i += 1
                command += " " + lines[i].strip()
            found.append((re.sub(r"\s+\(.*\)$", "", command), True))  # (a remark after it, in brackets)
    return found + _inline(text)


def _words(line: str) -> list[list[str]]:
    """The line's commands (`check DIR | curves DIR`: two), each as its words from `python` on, its placeholders
    filled, once for each of its alternatives (`--device cuda|cpu`: twice, every value the synopsis offers) and the
    shell around it dropped."""
    line = re.sub(r"^for .*?; do ", "", line)
    line = re.sub(r"\s*(&\s*done.*|&|; done.*|; wait)\s*$", "", line)  # (`CMD & done; wait`: CMD)
    first, *others = line.split(" | ")
    head = first.split()[: 3 if first.split()[1] == "-m" else 2]  # (`python -m rlkit.data`: the others' start)
    commands = [first, *(" ".join(head + other.split()) for other in others)]
    words = [shlex.split(c.replace("[", " ").replace("]", " ")) for c in commands]
    filled = [
        [PLACEHOLDERS.get(w, w) for w in ws if w not in ELLIPSES]
        for ws in [[w for w in ws if not w.startswith("CUDA_VISIBLE_DEVICES=")] for ws in words]
    ]
    return [list(choice) for ws in filled for choice in itertools.product(*(w.split("|") for w in ws))]


# the docs, then the entry files' module docstrings, whose synopses readers of `--help` and of the code see
SOURCES = [(path, doc_commands(path)) for path in DOCS] + [(path, docstring_commands(path)) for path in ENTRY_FILES]
CASES = [
    pytest.param(words, whole, id=" ".join(f"{path.relative_to(ROOT)}: {line}".split())[:150])
    for path, commands in SOURCES
    for line, whole in commands
    if not any(x in line for x in EXTERNAL)
    for words in _words(line)
]


class _Parsed(Exception):
    """Raised by the patched argparse once the arguments are parsed: nothing of the script runs after it."""


def _target(words: list[str]):
    """(the module the command runs, its arguments) for `python X.py ARGS` or `python -m MODULE ARGS`."""
    assert words[0] == "python", words
    if words[1] == "-m":
        spec = importlib.util.find_spec(words[2])
        assert spec is not None, f"{words[2]}: the docs name a module that does not exist"
        package = spec.submodule_search_locations is not None  # (`-m rlkit.data` runs rlkit/data/__main__.py)
        return importlib.import_module(f"{words[2]}.__main__" if package else words[2]), words[3:]
    assert (ROOT / words[1]).is_file(), f"{words[1]}: the docs name a script that does not exist"
    return load_file(words[1], f"_docs_{Path(words[1]).stem}"), words[2:]


def _parse_click(command: click.Command, args: list[str], whole: bool) -> click.Context | None:
    """The context of the command parsed on `args`, or None after `--help` or where a mention in prose leaves out
    the command's arguments (its options parsed)."""
    if isinstance(command, click.Group):  # (`rlkit.data check DIR`: the subcommand parses the rest; no group options)
        assert args, f"{command.name}: no subcommand given, expected one of {sorted(command.commands)}"
        assert args[0] in command.commands, (
            f"{args[0]!r}: no such subcommand, expected one of {sorted(command.commands)}"
        )
        return _parse_click(command.commands[args[0]], args[1:], whole)
    try:
        return command.make_context(command.name or "command", list(args))
    except click.exceptions.Exit as e:  # (`--help` prints the help and exits 0)
        assert e.exit_code == 0 and "--help" in args, args
        return None
    except click.MissingParameter:
        if whole:
            raise
        return None


def _check_overrides(ctx: click.Context) -> None:
    """The overrides the line gives a shipped config: stage 1's SAC `KEY=VALUE` (`policy_train.py`), else the
    experiment config's `--KEY VALUE` (`launch_experiment.py`, `show_path.py`'s config form, `rlkit.budget`)."""
    if "config_opt" in ctx.params:  # policy_train.py: --config CONFIG (or CONFIG) and SAC overrides
        given = ctx.params["args"]
        # (its unknown options come through as arguments, which main refuses: one config path at most, no option)
        positional = [a for a in given if "=" not in a]
        assert not [a for a in positional if a.startswith("-")], f"{positional}: options policy_train.py does not have"
        assert len(positional) <= (0 if ctx.params["config_opt"] else 1), f"{positional}: more than one config"
        config = ctx.params["config_opt"] or next((a for a in given if "=" not in a), None)
        if config and (ROOT / config).is_file():
            name = ctx.params["sac_config"] or default_sac_config(load_config(str(ROOT / config)).env_name)
            load_sac_config(name, [a for a in given if "=" in a])
        return
    config = ctx.params.get("config") or ctx.params.get("target")
    if config and config.endswith(".json") and (ROOT / config).is_file():
        load_config(str(ROOT / config), parse_override_args(list(ctx.args)))


@pytest.mark.parametrize("words, whole", CASES)
def test_a_command_of_the_docs_parses(words: list[str], whole: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """The line's command exists and takes what the line gives it: a renamed option, a value of the wrong kind, an
    unknown config key or a missing script fails here, with the line in the test's id."""
    monkeypatch.chdir(ROOT)
    if words[0] == "make":
        targets = re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.M)
        assert words[1] in targets, f"make {words[1]}: no such target in the Makefile ({targets})"
        return
    shipped = [w for w in words if w.startswith(SHIPPED) and not (ROOT / w).exists()]
    assert not shipped, f"{shipped}: the line names files of the repository that are not there"
    module, args = _target(words)
    main = getattr(module, "main", None)
    if isinstance(main, click.Command):
        ctx = _parse_click(main, args, whole)
        if ctx is not None:
            _check_overrides(ctx)
            check = getattr(module, "checked_arguments", None)  # (a command's checks of its values: rlkit.reproduce)
            if check is not None:
                check(**{name: ctx.params[name] for name in inspect.signature(check).parameters})
        return
    if "argparse" not in Path(module.__file__).read_text():  # (a script reading sys.argv itself: it exists)
        return
    assert callable(main), f"{words[1]}: no main() to parse its arguments"
    original = argparse.ArgumentParser.parse_args

    def parse_then_stop(self, args=None, namespace=None):
        raise _Parsed(original(self, args, namespace))

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_then_stop)
    monkeypatch.setattr(sys, "argv", [words[1], *args])
    with pytest.raises(_Parsed):
        main()


def test_the_docs_show_commands() -> None:
    """The extraction above finds the docs' commands (a change of the docs' format would leave nothing to check)."""
    lines = [" ".join(words) for words, _ in (case.values for case in CASES)]
    assert len(lines) > 60
    assert "python launch_experiment.py configs/test/point-robot-tiny.json --seed 0 --exp_name smoke" in lines
    assert "python -m rlkit.report some/folder --last 3 --against docs/results/point-robot-demo-seeds.json" in lines
    assert "make demo" in lines and "make test-fast" in lines  # (inline `make X` spans too)
    # (and inline spans naming a script with options, without `python `: data-format.md's synopsis)
    assert "python policy_train.py --regenerate --n_trj 2 --checkpoints --seed 1 --overwrite" in lines
    only = "python scripts/mutation_check.py --tests tests/test_golden.py --only"
    assert {f"{only} patches", f"{only} edits"} <= set(lines)  # (each alternative of a synopsis: patches|edits)


def test_each_make_target_depends_on_targets_and_files_that_are_there() -> None:
    """A prerequisite of a Makefile rule is another target, a `$(VENV)` stamp or a file of the repository: `make test`
    needs `lint`, and a target renamed without its dependants would fail only in the reader's shell (the docs'
    `make X` lines are checked to name targets, not what those targets need)."""
    rules = re.findall(r"^([\w-]+):(?!=)([^\n]*)$", (ROOT / "Makefile").read_text(), re.M)
    targets = {name for name, _ in rules}
    missing = [
        f"{name}: {dep}"
        for name, deps in rules
        for dep in deps.split()
        if not dep.startswith("$(") and dep not in targets and not (ROOT / dep).exists()
    ]
    assert {"test", "lint", "demo"} <= targets and not missing, missing


def test_every_option_of_every_command_says_what_it_does() -> None:
    """`--help` is where a researcher looks first: each visible option of each click command has its help text (the
    argparse scripts' options are not looked at)."""
    commands = click_commands()
    assert {"policy_train.py", "launch_experiment.py", "show_path.py", "rlkit/data/__main__.py check"} <= {
        name for name, _ in commands
    }
    silent = [
        f"{name} {param.opts[0]}"
        for name, command in commands
        for param in command.params
        if isinstance(param, click.Option) and not param.hidden and not (param.help or "").strip()
    ]
    assert not silent, f"options without help text: {silent}"


def test_every_relative_link_of_the_docs_points_to_a_file() -> None:
    """A markdown link to a file of the repository (`[...](docs/results/point-robot-gpu.md)`, a figure) resolves from
    the page that holds it: a moved or renamed page or figure fails here, not on the reader's click."""
    links = [
        (path, target)
        for path in DOCS
        for target in re.findall(r"\]\(([^)\s]+)\)", path.read_text())
        if not target.startswith(("http://", "https://", "#", "mailto:"))
    ]
    assert len(links) > 20  # (the README's figures and result pages)
    broken = [
        f"{path.relative_to(ROOT)}: {target}"
        for path, target in links
        if not (path.parent / target.split("#")[0]).exists()
    ]
    assert not broken, f"links to nothing: {broken}"
