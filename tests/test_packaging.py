"""environment.yaml must install what pyproject.toml declares (pyproject is the source of truth)."""

import re
import tomllib

import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from tests.conftest import ROOT


def test_environment_yaml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yaml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    declared = set(project["dependencies"]) | set(project["optional-dependencies"]["test"])
    torch_range = next(d for d in declared if d.startswith("torch"))
    # environment.yaml pins the torch of the range that the Makefile installs and the tests ran on
    makefile_torch = re.search(r"pip install --quiet (torch==[\d.]+)", (ROOT / "Makefile").read_text()).group(1)
    assert Version(makefile_torch.split("==")[1]) in SpecifierSet(torch_range[len("torch") :].split(";")[0])
    assert (declared - {torch_range}) | {makefile_torch} == {p for p in pip if not p.startswith("-e")}
    assert "python=3.11" in env["dependencies"] and project["requires-python"] == ">=3.11"


def test_ray_is_an_optional_extra_only():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not any(d.startswith("ray") for d in project["dependencies"])
    assert any(d.startswith("ray>=") for d in project["optional-dependencies"]["ray"])


def test_the_makefile_installs_what_make_test_runs():
    """`make install` puts the project in with its test extra (pytest, pytest-xdist and ruff, which `make test` runs
    from the virtualenv), and `make test` adds the ray extra first (the cluster tests); the default PYTHON is a
    version that requires-python admits. A bare `-e .` would leave `make test` with no pytest in its virtualenv."""
    makefile = (ROOT / "Makefile").read_text()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [set(e.split(",")) for e in re.findall(r"pip install --quiet -e '\.\[([\w,]+)\]'", makefile)]
    assert extras == [{"test"}, {"test", "ray"}]
    assert set().union(*extras) <= set(project["optional-dependencies"])
    assert re.search(r"^test: \$\(VENV\)/\.installed-ray\b", makefile, re.M)
    python = re.search(r"^PYTHON \?= python(\d+\.\d+)$", makefile, re.M).group(1)
    assert Version(python) in SpecifierSet(project["requires-python"])
