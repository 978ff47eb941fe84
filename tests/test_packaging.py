"""environment.yaml must install what pyproject.toml declares (pyproject is the source of truth)."""
import tomllib

import yaml

from tests.conftest import ROOT


def test_environment_yaml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((ROOT / "environment.yaml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    declared = set(project["dependencies"]) | set(project["optional-dependencies"]["test"])
    assert declared == {p for p in pip if not p.startswith("-e")}
    assert "python=3.11" in env["dependencies"] and "torch==2.13.0" in project["dependencies"]
