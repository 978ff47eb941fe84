"""Does the test suite catch a change to the algorithm? Apply one-line mutations, each to a fresh
copy of the repository, and run the tests that guard the training step on it.

    python scripts/mutation_check.py [--tests tests/test_golden.py ...]

Each mutation is a plausible slip (a discount, the order of two updates, a loss weight, a target
rate); a mutation the tests do not fail on is reported as MISSED and the script exits 1. The
unmutated copy is run first and must pass.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRAINER = "rlkit/torch/csro/trainer.py"

# name -> (file, text, replacement): text must occur exactly once
MUTATIONS = {
    "discount x 0.99 in the critic target": (
        TRAINER, "self.algo_params.reward_scale, self.algo_params.discount)",
        "self.algo_params.reward_scale, 0.99 * self.algo_params.discount)"),
    "value step before the critic step": (
        TRAINER, "        qf_loss, q_pred = self._update_critics(flat, z_q, target_v)\n"
                 "        vf_loss, v_pred, min_q_new = self._update_value(flat.obs, z_rows, pi)\n",
        "        vf_loss, v_pred, min_q_new = self._update_value(flat.obs, z_rows, pi)\n"
        "        qf_loss, q_pred = self._update_critics(flat, z_q, target_v)\n"),
    "CLUB loss weight x 1.1": (
        TRAINER, "club = self.algo_params.club_loss_weight * losses.club_upper_bound",
        "club = 1.1 * self.algo_params.club_loss_weight * losses.club_upper_bound"),
    "target-network rate x 2": (
        TRAINER, "tp.lerp_(p, self.algo_params.soft_target_tau)", "tp.lerp_(p, 2 * self.algo_params.soft_target_tau)"),
}
DEFAULT_TESTS = ["tests/test_golden.py", "tests/test_losses.py", "tests/test_gradient_flow.py", "tests/test_smoke.py"]


def copy_repo(dst: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    for f in files:
        if (ROOT / f).is_file():
            (dst / f).parent.mkdir(parents=True, exist_ok=True)
            (dst / f).write_bytes((ROOT / f).read_bytes())


def run_tests(repo: Path, tests: list[str]) -> tuple[int, list[str]]:
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rf", *tests], cwd=repo,
                          env=dict(os.environ, PYTHONPATH=str(repo)), capture_output=True, text=True)
    failed = sorted(set(re.findall(r"^FAILED (\S+)", proc.stdout, flags=re.M)))
    return proc.returncode, failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tests", nargs="+", default=DEFAULT_TESTS)
    args = parser.parse_args()
    missed = []
    for name, mutation in [("none (the code as it is)", None), *MUTATIONS.items()]:
        with tempfile.TemporaryDirectory() as tmp:
            repo = Path(tmp)
            copy_repo(repo)
            if mutation:
                path, old, new = mutation
                text = (repo / path).read_text()
                if text.count(old) != 1:
                    raise SystemExit(f"mutation {name!r}: expected its text exactly once in {path}, found {text.count(old)}")
                (repo / path).write_text(text.replace(old, new))
            rc, failed = run_tests(repo, args.tests)
        if mutation is None:
            print(f"{name}: {'passes' if rc == 0 else 'FAILS: ' + ', '.join(failed)}", flush=True)
            if rc != 0:
                raise SystemExit("the unmutated code must pass first")
            continue
        caught = rc != 0
        if not caught:
            missed.append(name)
        print(f"{name}: {'caught by ' + str(len(failed)) + ' test(s): ' + ', '.join(failed) if caught else 'MISSED'}",
              flush=True)
    raise SystemExit(1 if missed else 0)


if __name__ == "__main__":
    main()
