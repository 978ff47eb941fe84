"""Imports run one way, down the data flow: a module imports only modules of its own layer or lower."""

import ast
import re

import pytest

from tests.conftest import ROOT

# module prefix -> layer; the longest matching prefix decides
LAYERS = {
    "rlkit": 0,
    "rlkit.errors": 0,
    "rlkit.fileio": 0,
    "rlkit.stats": 0,
    "rlkit.seeding": 0,
    "rlkit.switch": 0,
    "rlkit.config": 1,
    "configs": 1,
    "rlkit.cli": 1,
    "rlkit.envs": 2,
    "rand_param_envs": 3,  # builds on rlkit.envs.mujoco_env
    "rlkit.data": 4,
    "rlkit.logging": 4,
    "rlkit.tasks": 5,  # the env registry, over rlkit.envs and rand_param_envs
    "rlkit.torch": 6,
    "rlkit.behaviour": 7,
    "rlkit.eval": 7,
    "rlkit.run_folder": 7,  # a run folder's config, data print and lock, below the loop that writes it
    "rlkit.experiment": 8,
    "rlkit.budget": 9,
    "rlkit.report": 9,
    "rlkit.plot": 9,
    "rlkit.show": 9,  # show_path.py's library, over a run's setup and trainer
    "rlkit.reproduce": 9,
    "rlkit.cluster": 9,
    "rlkit.data.__main__": 10,  # `python -m rlkit.data`: an entry point
    "rlkit.reproduce.__main__": 10,  # `python -m rlkit.reproduce`: an entry point
    "policy_train": 10,
    "launch_experiment": 10,
    "show_path": 10,
    "benchmarks": 10,
    "scripts": 10,
}
OURS = tuple(dict.fromkeys(name.split(".")[0] for name in LAYERS))  # every top-level name a layer is given
# inside a package split by concern, its rooms run one way too: module -> rank within its package
ROOMS = {
    "rlkit.data": {
        "dataset": 0,  # the layout's names and Trajectories
        "npz": 1,
        "networks": 1,
        "meta": 1,  # one kind of file each
        "load": 2,
        "fingerprint": 2,  # a run's data
        "check": 3,
        "legacy": 3,
        "buffer": 3,
        "rollout": 3,
        "sequences": 4,  # ordered episodes of a buffer
        "__main__": 4,
    },
    "rlkit.reproduce": {"plan": 0, "tables": 1, "prose": 2, "figures": 2, "document": 3, "__main__": 4},
}


def layer(module: str) -> int:
    best = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len, default=None)
    if best is None:
        raise KeyError(f"{module} has no layer in tests/test_layers.py: add it")
    return LAYERS[best]


def module_name(path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports(path) -> list[str]:
    """Every module it imports, at the top or inside a function."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level > 0:  # (unchecked by the layers: none are used)
            raise AssertionError(
                f"{path}: a relative import (from {'.' * node.level}{node.module or ''}): write it whole"
            )
        elif isinstance(node, ast.ImportFrom) and node.module:
            out += [node.module] + [f"{node.module}.{a.name}" for a in node.names]
    return [m for m in out if m.split(".")[0] in OURS]


SOURCES = sorted(
    p for d in ("rlkit", "configs", "rand_param_envs", "benchmarks", "scripts") for p in (ROOT / d).rglob("*.py")
) + [ROOT / f for f in ("policy_train.py", "launch_experiment.py", "show_path.py")]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_run_down_the_layers(path):
    me = module_name(path)
    upward = []
    for m in imports(path):
        target = layer(m)
        if target > layer(me):
            upward.append(f"{m} (layer {target})")
    assert not upward, f"{me} (layer {layer(me)}) imports upward: {upward}"


def room(module: str) -> tuple[str, int] | None:
    """(package, rank) of a module of a package in ROOMS, None for any other module."""
    package, _, name = module.rpartition(".")
    if package not in ROOMS:
        return None
    if name not in ROOMS[package]:
        raise KeyError(f"{module} has no room in tests/test_layers.py's ROOMS: add it")
    return package, ROOMS[package][name]


@pytest.mark.parametrize(
    "path", [p for p in SOURCES if module_name(p).rpartition(".")[0] in ROOMS], ids=lambda p: str(p.relative_to(ROOT))
)
def test_rooms_of_a_split_package_import_one_way(path):
    package, rank = room(module_name(path))
    later = [m for m in imports(path) if (r := room(m)) and r[0] == package and r[1] > rank]
    assert not later, f"{module_name(path)} (room {rank} of {package}) imports a later room: {later}"


def test_every_module_has_a_layer():
    for path in SOURCES:
        layer(module_name(path))
        room(module_name(path))


def test_readme_layout_names_every_room():
    """The README's layout section lists every package and top-level module of rlkit."""
    text = (ROOT / "README.md").read_text()
    block = text[text.index("## Layout") : text.index("\n## ", text.index("## Layout") + 1)]
    rlkit = ROOT / "rlkit"
    missing = [
        f"rlkit/{p.name}/" for p in rlkit.iterdir() if (p / "__init__.py").is_file() and f"rlkit/{p.name}/" not in block
    ]
    # (a module's file name as a word of its own, or after rlkit/: `train.py` is not named by `policy_train.py`)
    missing += [
        p.name
        for p in rlkit.glob("*.py")
        if p.stem not in ("__init__", "__main__")
        and not re.search(rf"(?:(?<![\w/.-])|(?<=rlkit/)){re.escape(p.name)}", block)
    ]
    missing += [
        f"rlkit/torch/{p.name}/"
        for p in (rlkit / "torch").iterdir()
        if (p / "__init__.py").is_file() and f"rlkit/torch/{p.name}/" not in block
    ]
    assert not missing, f"README.md's layout section does not mention {missing}"


def test_no_package_hides_one_of_its_modules_behind_a_name_it_imports():
    """`import rlkit.x.y as m` gives the module y: no package of rlkit binds the name of one of its own modules to
    something else (a re-exported function of the same name would shadow it for that import and for
    `monkeypatch.setattr("rlkit.x.y.f", ...)`). Each package is imported, then each of its modules."""
    import importlib
    import inspect
    import pkgutil

    hidden = []
    for pkg in [p for p in pkgutil.walk_packages([str(ROOT / "rlkit")], "rlkit.") if p.ispkg] + [None]:
        package = importlib.import_module(pkg.name if pkg else "rlkit")
        for info in pkgutil.iter_modules(package.__path__):
            if info.name == "__main__":
                continue
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            if getattr(package, info.name) is not module or not inspect.ismodule(module):
                hidden.append(f"{package.__name__}.{info.name}")
    assert not hidden
