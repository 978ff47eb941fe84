"""Write configs/default.py, the listing of every experiment config key that the reference's users know,
from the one place keys are declared (the dataclass fields of rlkit/config.py and its REFERENCE_ONLY set).

    python scripts/write_default_config.py

Run it after adding or changing a key: tests/test_config.py fails while the file and the declarations differ.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rlkit.config import REFERENCE_ONLY, Config, ReferenceOnly, type_hints  # noqa: E402
from rlkit.fileio import atomic_write_text  # noqa: E402

DEFAULT_CONFIG_PATH = ROOT / "configs" / "default.py"
WIDTH = 120
HEADER = '''"""Default CSRO experiment settings: every key, its default, its meaning and the valid range of each number.

Written by `python scripts/write_default_config.py` from rlkit/config.py, where each key is declared
once (edit it there; a test fails while this file differs). An experiment JSON (configs/<env>.json)
overrides only what it needs, then CLI overrides (`--algo_params.num_iterations 2`) apply; an unknown
key, a value of the wrong type or out of its range is an error naming it. The reference-only keys at
the end of each section are accepted so that the reference's configs load, with the one value shown
(docs/reference-differences.md, "Reference-only config keys").
"""

default_config = dict(
'''


def _value(v) -> str:
    """Python source of a default: JSON's double-quoted strings, Python's True/False/None."""
    return json.dumps(v) if isinstance(v, str) else repr(v)


def _entry(indent: str, name: str, value: str, comment: str) -> list[str]:
    """`name=value,  # comment`, the comment moved above the key (wrapped) where the line would be too long."""
    line = f"{indent}{name}={value},  # {comment}"
    if len(line) <= WIDTH:
        return [line]
    wrapped = textwrap.wrap(comment, WIDTH - len(indent) - 2)
    return [f"{indent}# {part}" for part in wrapped] + [f"{indent}{name}={value},"]


def _reference_only_comment(ref: ReferenceOnly) -> str:
    if ref.accepted:
        return f"{ref.accepted}: {ref.why}"
    if ref.any_value:
        return f"any value: {ref.why}"
    return f"only {'= ' + ref.equals if ref.equals else _value(ref.default)}: {ref.why}"


def _section(cls: type, prefix: str, depth: int) -> list[str]:
    """The lines of one dataclass's keys, then its reference-only keys."""
    indent = "    " * depth
    hints, lines = type_hints(cls), []
    for f in dataclasses.fields(cls):
        if dataclasses.is_dataclass(hints[f.name]):
            lines += [
                f"{indent}{f.name}=dict(  # {f.metadata['doc']}",
                *_section(hints[f.name], f"{prefix}{f.name}.", depth + 1),
                f"{indent}),",
            ]
            continue
        default = f.default_factory() if f.default is dataclasses.MISSING else f.default
        doc, spec = f.metadata["doc"], f.metadata["range"]
        lines += _entry(indent, f.name, _value(default), f"{spec}; {doc}" if spec else doc)
    ours = {
        name[len(prefix) :]: ref
        for name, ref in REFERENCE_ONLY.items()
        if name.startswith(prefix) and "." not in name[len(prefix) :]
    }
    if ours:
        lines.append(f"{indent}# reference-only:")
    for name, ref in ours.items():
        lines += _entry(indent, name, _value(ref.default), _reference_only_comment(ref))
    return lines


def listing() -> str:
    """The text configs/default.py should hold."""
    return HEADER + "\n".join(_section(Config, "", 1)) + "\n)\n"


if __name__ == "__main__":
    usage = f"usage: python scripts/write_default_config.py (rewrites {DEFAULT_CONFIG_PATH.name}; no arguments)"
    if sys.argv[1:] in (["-h"], ["--help"]):
        print(usage)
        raise SystemExit(0)
    if sys.argv[1:]:  # (it takes none: `--help` or a stray word wrote the file all the same)
        print(f"error: arguments {sys.argv[1:]}: expected none ({usage})", file=sys.stderr)
        raise SystemExit(2)
    atomic_write_text(DEFAULT_CONFIG_PATH, listing())
    print(f"wrote {DEFAULT_CONFIG_PATH.relative_to(ROOT)}")
