"""Does the test suite catch a change to the algorithm? Apply mutations, each to a fresh copy of the
repository, and run the tests that guard the training step on it.

    python scripts/mutation_check.py [--tests tests/test_golden.py ...]

Each mutation is a plausible slip (a discount, the order of two updates, a loss weight, a target
rate). It patches functions, not source lines: its code is appended to the trainer's module in the
copy and rebinds names there, so every process that imports the trainer (the golden runs' fresh
process included) trains with the slip, and no exact source text is needed. The three wrong values
come in through the trainer's one documented hook for them, `TrainerSettings` (what the constructor
is given); the swapped order patches the two `_update_*` methods. Before the tests run, the mutated
module must import (a patch naming something that no longer exists fails there, with its name).
A mutation the tests do not fail on is reported as MISSED and the script exits 1. The unmutated
copy is run first and must pass.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from rlkit.cli import argument_parser, child_env

ROOT = Path(__file__).resolve().parents[1]
TRAINER = "rlkit/torch/csro/trainer.py"
TRAINER_MODULE = "rlkit.torch.csro.trainer"


def wrong_setting(field: str, factor: float) -> str:
    """A patch under which every `CSROTrainer` reads `settings.<field>` x `factor`."""
    return f"""
        import dataclasses as _dataclasses
        _unmutated_init = CSROTrainer.__init__

        def _mutated_init(self, settings, *args, **kwargs):
            settings = _dataclasses.replace(settings, {field}={factor!r} * settings.{field})
            _unmutated_init(self, settings, *args, **kwargs)

        CSROTrainer.__init__ = _mutated_init
        """


# The critic update is deferred into the value update, which runs it after its own step; the critic's
# logged loss and Q predictions are filled in then (train_step has already put them in its record).
VALUE_BEFORE_CRITIC = """
    _unmutated_critics, _unmutated_value = CSROTrainer._update_critics, CSROTrainer._update_value

    def _deferred_critics(self, batch, z_rows, target_v):
        loss, q_pred = batch.obs.new_zeros(()), batch.obs.new_zeros(batch.obs.shape[0], 1)
        self._mutation_deferred = (batch, z_rows, target_v, loss, q_pred)
        return loss, q_pred

    def _value_then_critics(self, obs, z_rows, pi):
        out = _unmutated_value(self, obs, z_rows, pi)
        batch, critic_z, target_v, loss, q_pred = self._mutation_deferred
        real_loss, real_q = _unmutated_critics(self, batch, critic_z, target_v)
        loss.copy_(real_loss)
        q_pred.copy_(real_q)
        return out

    CSROTrainer._update_critics, CSROTrainer._update_value = _deferred_critics, _value_then_critics
    """

# name -> the patch appended to the trainer's module
MUTATIONS = {
    "discount x 0.99 in the critic target": wrong_setting("discount", 0.99),
    "value step before the critic step": VALUE_BEFORE_CRITIC,
    "CLUB loss weight x 1.1": wrong_setting("club_loss_weight", 1.1),
    "target-network rate x 2": wrong_setting("soft_target_tau", 2),
}
DEFAULT_TESTS = ["tests/test_golden.py", "tests/test_losses.py", "tests/test_gradient_flow.py", "tests/test_smoke.py"]


def copy_repo(dst: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for f in files:
        if (ROOT / f).is_file():
            (dst / f).parent.mkdir(parents=True, exist_ok=True)
            (dst / f).write_bytes((ROOT / f).read_bytes())


def apply(repo: Path, name: str, patch: str) -> None:
    """Append `patch` to the copy's trainer module and check that the module still imports."""
    path = repo / TRAINER
    path.write_text(
        path.read_text() + f"\n\n# ---- mutation {name!r} (scripts/mutation_check.py)\n" + textwrap.dedent(patch)
    )
    proc = subprocess.run(
        [sys.executable, "-c", f"import {TRAINER_MODULE}"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=child_env(repo),
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        raise SystemExit(f"mutation {name!r} does not apply to {TRAINER}: {last}")


def run_tests(repo: Path, tests: list[str]) -> tuple[int, list[str]]:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rfE", *tests],
        cwd=repo,
        env=child_env(repo),
        capture_output=True,
        text=True,
    )
    failed = sorted(set(re.findall(r"^(?:FAILED|ERROR) (\S+)", proc.stdout, flags=re.M)))
    return proc.returncode, failed


def repo_relative(parser: argparse.ArgumentParser, tests: list[str]) -> list[str]:
    """Each --tests entry (a path, with an optional ::test) as a path inside the repository, where the mutated
    copies hold it: an absolute one ran the tests of this checkout, not the copy's (every mutation MISSED)."""
    out = []
    for entry in tests:
        path, sep, rest = entry.partition("::")
        full = (ROOT / path).resolve() if not Path(path).is_absolute() else Path(path).resolve()
        if not full.exists() or not full.is_relative_to(ROOT):
            parser.error(f"--tests {entry!r}: expected a test file or folder of this repository ({ROOT})")
        out.append(str(full.relative_to(ROOT)) + sep + rest)
    return out


def main() -> None:
    parser = argument_parser(__doc__.splitlines()[0])
    parser.add_argument("--tests", nargs="+", default=DEFAULT_TESTS)
    args = parser.parse_args()
    args.tests = repo_relative(parser, args.tests)
    missed = []
    for name, mutation in [("none (the code as it is)", None), *MUTATIONS.items()]:
        with tempfile.TemporaryDirectory() as tmp:
            repo = Path(tmp)
            copy_repo(repo)
            if mutation:
                apply(repo, name, mutation)
            rc, failed = run_tests(repo, args.tests)
        if mutation is None:
            print(f"{name}: {'passes' if rc == 0 else 'FAILS: ' + ', '.join(failed)}", flush=True)
            if rc != 0:
                raise SystemExit("the unmutated code must pass first")
            continue
        caught = rc != 0
        if not caught:
            missed.append(name)
        print(
            f"{name}: {'caught by ' + str(len(failed)) + ' test(s): ' + ', '.join(failed) if caught else 'MISSED'}",
            flush=True,
        )
    raise SystemExit(1 if missed else 0)


if __name__ == "__main__":
    main()
