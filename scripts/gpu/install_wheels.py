"""Install, from carried wheels, only what this Python lacks or holds at a version the project refuses.

    python3 scripts/gpu/install_wheels.py WHEEL_DIR TARGET      (then PYTHONPATH=TARGET)

A GPU image's python3 may itself be a virtualenv holding torch (the one this is written for is), so a venv made
from it with --system-site-packages would see the base interpreter's packages, not torch: the wheels go into a
plain folder put first on PYTHONPATH instead. A wheel is installed when its distribution is missing here, or when
the installed version fails pyproject.toml's requirement for it (pandas 3 against `pandas<3`, say); otherwise the
machine's own copy is kept, so that nothing already built against its numpy and torch is shadowed. One line per
wheel says which, and why. Refused, each in one line and exit 2, before anything is installed: no wheel in
WHEEL_DIR, a file name that is not a wheel's, two versions of one package, a wheel of a version the project refuses
(one fetched without this project's pins), a wheel built for another Python or platform (a fallback `pip wheel` of
fetch_wheels.sh run with the wrong Python, say), which pip would refuse with the whole install.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_name(path: Path) -> tuple[str, str]:
    """(distribution, version) from a wheel's file name (PEP 427: NAME-VERSION[-BUILD]-PY-ABI-PLATFORM.whl); a
    ValueError for a name that is not a wheel's."""
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    try:
        name, version = parse_wheel_filename(path.name)[:2]
    except InvalidWheelFilename as e:
        raise ValueError(f"{path.name} is not a wheel's file name ({e})") from None
    return canonical(name), str(version)


def fits_here(path: Path) -> bool:
    """Whether this interpreter can install the wheel (one of its tags among the interpreter's)."""
    from packaging.tags import sys_tags
    from packaging.utils import parse_wheel_filename

    return not parse_wheel_filename(path.name)[3].isdisjoint(sys_tags())


def refusal(wheels: list[Path], requirements: dict[str, str], fits=fits_here) -> str | None:
    """Why this set of wheels cannot be installed as a whole, or None: a file name that is not a wheel's, two
    versions of one package, a wheel of a version the project refuses, or one for another Python."""
    seen: dict[str, Path] = {}
    for wheel in wheels:
        try:
            dist, version = wheel_name(wheel)
        except ValueError as e:
            return f"{e}: expected NAME-VERSION-PYTHON-ABI-PLATFORM.whl (PEP 427)"
        if not accepts(requirements.get(dist, ""), version):
            return (
                f"{wheel.name}: the project needs {dist} {requirements[dist]}: expected wheels fetched by "
                "fetch_wheels.sh from a venv of this project (the versions the suite passes with)"
            )
        if dist in seen:
            return f"two wheels of {dist}: {seen[dist].name} and {wheel.name}: expected one version of each"
        seen[dist] = wheel
        if not fits(wheel):
            return (
                f"{wheel.name} does not install on this Python ({sys.version.split()[0]}): expected wheels fetched "
                "for it (fetch_wheels.sh's PY_VERSION)"
            )
    return None


def project_requirements(pyproject: Path = ROOT / "pyproject.toml") -> dict[str, str]:
    """The project's dependencies as {distribution: specifier}, extras dropped."""
    deps = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    out = {}
    for dep in deps:
        m = re.match(r"\s*([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*(.*)", dep)
        out[canonical(m.group(1))] = m.group(3).strip()
    return out


def installed_version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def accepts(specifier: str, version: str) -> bool:
    """Whether `version` meets `specifier` (packaging's SpecifierSet; an empty specifier accepts anything)."""
    if not specifier:
        return True
    from packaging.specifiers import SpecifierSet

    return SpecifierSet(specifier).contains(version, prereleases=True)


def choose(wheels: list[Path], requirements: dict[str, str], installed=installed_version) -> list[tuple[Path, str]]:
    """(wheel, why) for each wheel to install, and a line for each kept copy printed by the caller."""
    picked = []
    for wheel in sorted(wheels):
        dist, _ = wheel_name(wheel)
        have = installed(dist)
        spec = requirements.get(dist, "")
        if have is None:
            picked.append((wheel, "missing here"))
        elif not accepts(spec, have):
            picked.append((wheel, f"{dist} {have} here, the project needs {spec}"))
    return picked


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: install_wheels.py WHEEL_DIR TARGET", file=sys.stderr)
        return 2
    wheel_dir, target = Path(argv[0]), Path(argv[1])
    wheels = sorted(wheel_dir.glob("*.whl"))
    if not wheels:
        print(f"error: no wheel in {wheel_dir}: expected scripts/gpu/fetch_wheels.sh's output", file=sys.stderr)
        return 2
    requirements = project_requirements()
    why_not = refusal(wheels, requirements)
    if why_not:
        print(f"error: {why_not}", file=sys.stderr)
        return 2
    picked = choose(wheels, requirements)
    chosen = {w for w, _ in picked}
    for wheel in wheels:
        dist, version = wheel_name(wheel)
        why = dict(picked).get(wheel)
        print(f"{dist} {version}: " + (f"install ({why})" if why else f"keep the machine's {installed_version(dist)}"))
    if not chosen:
        return 0
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-compile", "--upgrade"]
    return subprocess.call([*cmd, "--target", str(target), *map(str, sorted(chosen))])


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
