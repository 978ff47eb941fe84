"""A run folder as a run about to write into it sees it: may it continue what the folder holds?

`iterations_done` says how many iterations a folder's run has done, refusing a folder of another config
(`config_differences`) or, by content, other data (`dataset.json`, `run_data_print`); `RunLock` keeps a second
process out of a folder while one trains it. Used by `rlkit.experiment`, `rlkit.reproduce` and `rlkit.cluster`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from rlkit.config import (
    REFERENCE_ONLY,
    Config,
    borel_decode_state_of,
    corro_negatives_kind,
    default_dict,
    forced_keys,
    parent_of,
    switched_off,
)
from rlkit.data.fingerprint import dataset_fingerprint, differing_tasks
from rlkit.data.meta import cpu_numerics, running_versions, source_revision
from rlkit.errors import UserError
from rlkit.fileio import FolderLock, ascii_digits, atomic_write, atomic_write_text, read_json_object, read_state
from rlkit.seeding import SEEDING_VERSION
from rlkit.tasks import train_eval_split

# Keys that say where and on what a run executes, not what it computes: a run may be resumed from
# another working directory, with an absolute path, or on another device; its data is compared by
# content (`DATA_PRINT_FILE`), not by the path it lies under. The reference-only keys compute nothing
# either (a variant.json written before they left the config holds them).
NOT_COMPARED = {
    "algo_params.num_iterations",
    "algo_params.data_dir",
    "util_params.base_log_dir",
    "util_params.use_gpu",
    "util_params.gpu_id",
    "util_params.config_file",
    *REFERENCE_ONLY,
}


def config_differences(old: dict, new: dict) -> list[str]:
    """'dotted.key: old -> new' for every leaf in which two variants differ, `NOT_COMPARED` aside
    (`num_iterations` may grow; paths and devices may change). A key the old variant lacks counts as
    its default: runs written before a key existed still resume when the key keeps its default. Values are
    compared as `_same_meaning` writes them and shown as the variants hold them; `algo_type` first. A key of the
    same value that a switch which differs leaves unread on one side is named on the switch's line, not a line of
    its own (a run resumed without its --use_brac true listed BRAC's nine settings before the switch itself)."""
    out: list[tuple[str, str]] = []  # (dotted key, its line)
    unread = {key: switch for side in (old, new) for switch, key in switched_off(side)}
    follows: dict[str, list[str]] = {}  # switch -> the keys of equal values it alone makes differ

    def walk(a, b, a_raw, b_raw, defaults, prefix):
        for k in sorted(set(a) | set(b), key=lambda k: (k != "algo_type", k)):
            name = f"{prefix}{k}"
            x, y = a.get(k, defaults.get(k)), b.get(k, defaults.get(k))
            x_raw, y_raw = a_raw.get(k, defaults.get(k)), b_raw.get(k, defaults.get(k))
            if isinstance(x, dict) and isinstance(y, dict):
                walk(x, y, x_raw or {}, y_raw or {}, defaults.get(k, {}), name + ".")
            elif x != y and name not in NOT_COMPARED:
                shown = f"{json.dumps(x_raw)} -> {json.dumps(y_raw)}"
                if x_raw == y_raw:  # the same value read otherwise (unread on one side, capped by the task count)
                    shown += f" (read as {json.dumps(x)} -> {json.dumps(y)})"
                    if None in (x, y) and name in unread:
                        follows.setdefault(unread[name], []).append(name)
                out.append((name, f"{name}: {shown}"))

    walk(_same_meaning(old), _same_meaning(new), old, new, default_dict(), "")
    shown = {name for name, _ in out}
    switches = {f"algo_params.{switch}": keys for switch, keys in follows.items() if f"algo_params.{switch}" in shown}
    folded = {key for keys in switches.values() for key in keys}

    def unread_note(keys: list[str]) -> str:
        names = ", ".join(k.removeprefix("algo_params.") for k in keys)
        return f" (so {names} {'is' if len(keys) == 1 else 'are'} read on one side only)"

    return [
        line + (unread_note(switches[name]) if name in switches else "") for name, line in out if name not in folded
    ]


def _same_meaning(variant: dict) -> dict:
    """A JSON copy of `variant` with values that mean the same written alike: `use_information_bottleneck`
    false outside OFFPEARL is null (a deterministic z either way; runs written when its default was false); the
    keys a method sets itself hold what it sets (`rlkit.config.forced_keys`: variants written before 2026-12-04
    recorded their defaults, which the run did not use); the keys a switch left unread are null
    (`rlkit.config.switched_off`: before 2026-12-04 an override of one was accepted, and ignored); BOREL's
    borel_vae_tasks is at most n_train_tasks, the tasks a VAE step can draw (its MuJoCo default went from 8 to 4 on
    2026-12-04: a run of fewer training tasks drew them all either way); CORRO's corro_negatives 'auto' and BOREL's
    borel_decode_state null are what the family made of them (recorded so before 2026-12-04)."""
    out = json.loads(json.dumps(variant))
    algo = out.setdefault("algo_params", {})
    algo_type = out.get("algo_type", "CSRO")
    if algo_type != "OFFPEARL" and algo.get("use_information_bottleneck") is False:
        algo["use_information_bottleneck"] = None
    algo.update(forced_keys(algo_type, algo.get("use_information_bottleneck")))
    if algo_type == "CORRO" and algo.get("corro_negatives", "auto") == "auto":  # (recorded so before 2026-12-04)
        algo["corro_negatives"] = corro_negatives_kind(out)
    if algo_type == "BOREL" and algo.get("borel_decode_state") is None:
        algo["borel_decode_state"] = borel_decode_state_of(out.get("env_name", Config().env_name), None)
    if algo_type == "BOREL" and isinstance(algo.get("borel_vae_tasks"), int):  # as many tasks as there are, at most
        algo["borel_vae_tasks"] = min(algo["borel_vae_tasks"], out.get("n_train_tasks", Config().n_train_tasks))
    for _, key in switched_off(out):  # read by nothing: any value means the same (runs made before the refusal)
        node, leaf = parent_of(out, key, create=True)
        node[leaf] = None
    return out


DATA_PRINT_FILE = "dataset.json"  # in a run folder: the fingerprint of the data it was trained on


def run_data_print(cfg: Config, data_dir: Path | None = None) -> dict | None:
    """The fingerprint of what a run of `cfg` reads from `data_dir` (default: the config's): the train tasks'
    checkpoints of `train_epoch`, the test tasks' of `eval_epoch`; None where the data is missing."""
    train, test = train_eval_split(cfg)
    a = cfg.algo_params
    steps = {t: range(*a.train_epoch) for t in train} | {t: range(*a.eval_epoch) for t in test}
    return dataset_fingerprint(Path(a.data_dir if data_dir is None else data_dir), steps, (a.data_kind, a.n_trj))


def recorded_data_print(out_dir: Path, cfg: Config) -> dict | None:
    """`run_data_print(cfg)` where `out_dir` has a fingerprint to compare it with (else None: nothing to read)."""
    return run_data_print(cfg) if (out_dir / DATA_PRINT_FILE).is_file() else None


def read_data_print(path: Path, hint: str = "") -> dict:
    """A run folder's recorded fingerprint (`DATA_PRINT_FILE`): a JSON object with a string 'digest' and, if any, its
    'tasks' an object of task numbers (what `differing_tasks` reads where the digests differ); else a UserError naming
    the file and ending in `hint`."""
    expected = "the data fingerprint a run writes, with a 'digest'" + (f"; {hint}" if hint else "")
    doc = read_json_object(path, expected)
    if not isinstance(doc.get("digest"), str):
        raise UserError(f"{str(path)!r} holds no data digest: expected {expected}")
    tasks = doc.get("tasks", {})
    if not isinstance(tasks, dict) or not all(ascii_digits(k) for k in tasks):
        shown = sorted(tasks)[:3] if isinstance(tasks, dict) else type(tasks).__name__
        raise UserError(f"{str(path)!r} holds tasks {shown}: expected an object of task numbers, {expected}")
    return doc


CODE_FILE = "code.json"  # in a run folder: the code, packages and device that trained it, from which iteration
_NUMERICS = ("threads", "cpu")  # `cpu_numerics`'s keys


def _trained_with(out_dir: Path) -> Any:
    """`CODE_FILE`'s "trained_with" value as written ([] without the file); a file that is not JSON is a UserError."""
    path = out_dir / CODE_FILE
    if not path.is_file():
        return []
    return read_json_object(path, "the record of the code that trained this run").get("trained_with", [])


def code_entries(out_dir: Path) -> list:
    """`CODE_FILE`'s list "trained_with" as written, which a resumed run adds to; one that is not a list is a
    UserError naming the file."""
    kept = _trained_with(out_dir)
    if not isinstance(kept, list):
        raise UserError(
            f"{str(out_dir / CODE_FILE)!r}: 'trained_with' is not a list: expected the list {CODE_FILE} keeps"
        )
    return kept


def record_code(out_dir: Path, iteration: int, device: str, resumed: bool, stage: str | None = None) -> dict:
    """Add what trains the run from `iteration` on (git commit of the source, package versions, `device`, torch's
    thread count and CPU capability: `cpu_numerics`) to `CODE_FILE`'s list "trained_with" where it differs from the
    list's last entry (a resumed run on the same code, device, threads and CPU adds nothing; a run started anew in
    the folder, not `resumed`, starts the list); `stage`: where in a stage before the iterations it resumes
    (BOREL's "VAE step 1200"). Returns that entry."""
    path = out_dir / CODE_FILE
    entry = {
        "from_iteration": iteration,
        "revision": source_revision(),
        "versions": running_versions(),
        "device": device,
        **cpu_numerics(),
    }
    if stage is not None:
        entry["from_stage"] = stage
    kept = code_entries(out_dir) if resumed else []
    same = {k: v for k, v in entry.items() if k not in ("from_iteration", "from_stage")}
    last = kept[-1] if kept and isinstance(kept[-1], dict) else None
    # (an entry written before the thread count and CPU were recorded, 2026-12-06, is compared on the rest)
    if last is not None and all(last.get(k) == v for k, v in same.items() if k in last or k not in _NUMERICS):
        return entry
    doc = {"trained_with": [*kept, entry]}
    atomic_write_text(path, json.dumps(doc, indent=1, sort_keys=True) + "\n")
    return entry


def read_code_record(out_dir: Path) -> list[dict]:
    """`CODE_FILE`'s "trained_with" entries that are objects ([] for a run written before it was kept), for the
    readers of a run (the report); a file that is not JSON is a UserError naming it."""
    kept = _trained_with(out_dir)
    return [e for e in kept if isinstance(e, dict)] if isinstance(kept, list) else []


def check_seeding(state: dict, path: Path) -> None:
    """A UserError unless the saved run `state` (read from `path`) derived its random streams as this code does
    (`rlkit.seeding.SEEDING_VERSION`; states without the record predate it, version 1): resuming one would go
    on with restored generators beside re-derived ones of another derivation, a run of neither."""
    version = int(state.get("seeding", 1))
    if version != SEEDING_VERSION:
        raise UserError(
            f"{str(path)!r} was saved by a run whose random streams are derived another way (seeding "
            f"version {version}, this code's {SEEDING_VERSION}): expected a run started by this version; "
            "finish it with the version that started it, or choose another --exp_name"
        )


def iterations_done(
    out_dir: Path, variant: dict, num_iterations: int, hint: str, data_print: dict | None = None
) -> int:
    """Iterations a run folder holds that a run of `variant` would continue from (0: nothing to continue).
    It may only be continued with the same config (`config_differences`) and, given `data_print`, the same
    data by content (`dataset.json`); `num_iterations` may only grow past the iterations it has done;
    otherwise a UserError ending in `hint`. A folder without a snapshot (a run that failed before its
    first iteration ended) holds nothing to continue, so a new run replaces it; one whose resume files were lost
    (trained iterations without latest.pt, or latest.pt without the variant.json that says its config) is
    refused rather than replaced or continued unchecked."""
    path, latest = out_dir / "variant.json", out_dir / "latest.pt"
    if latest.exists() and not latest.is_file():
        raise UserError(f"{str(latest)!r} is not a file: expected the state the run saved, or nothing there; {hint}")
    if latest.is_file() and not path.is_file():
        raise UserError(
            f"{str(out_dir)!r} holds latest.pt but no variant.json, so its config cannot be checked: expected both "
            f"to resume; {hint}"
        )
    if not latest.is_file():
        snapshots = snapshot_names(out_dir)
        if snapshots:
            raise UserError(
                f"{str(out_dir)!r} holds trained iterations ({', '.join(snapshots[-3:])}) but no latest.pt: expected "
                f"latest.pt to resume them, not a new run over them; {hint}"
            )
        return 0
    recorded = read_json_object(path, f"the config the run wrote; {hint}")
    diff = config_differences(_named_as(recorded, variant), variant)
    if diff:
        raise UserError(
            f"{str(out_dir)!r} holds a run of another config ({'; '.join(diff)}): expected the same "
            f"config to resume; {hint}"
        )
    recorded = out_dir / DATA_PRINT_FILE
    if data_print is not None and recorded.is_file():
        old = read_data_print(recorded, hint)
        if old.get("digest") != data_print["digest"]:
            tasks = differing_tasks(old, data_print)
            raise UserError(
                f"{str(out_dir)!r} was trained on other data than {variant['algo_params']['data_dir']!r} "
                f"holds now ({f'tasks {tasks} differ' if tasks else 'the normalizer differs'}; it was read "
                f"from {old.get('data_dir')!r}): expected the same data to resume; {hint}"
            )
    done = read_run_state(latest, f"the state the run saved; {hint}")["counters"]["iteration"]
    if done > num_iterations:
        raise UserError(
            f"{str(out_dir)!r} has done {done} iterations: expected num_iterations >= {done} "
            f"to continue it (got {num_iterations}); {hint}"
        )
    return done


def _named_as(recorded: dict, variant: dict) -> dict:
    """`recorded` with `variant`'s exp_name: the folder's path holds the name that resumes it (a timestamped run
    recorded "" before 2026-12-07; a renamed folder, its old name), so it is not a config difference there."""
    name = (variant.get("util_params") or {}).get("exp_name")
    if not isinstance(recorded.get("util_params"), dict) or name is None:
        return recorded
    return dict(recorded, util_params=dict(recorded["util_params"], exp_name=name))


def load_trainer_state(trainer, state: Any, refusal: str, expected: str, with_optimizers: bool = True) -> None:
    """`trainer.load_state_dict(state, with_optimizers=...)`; a state of other networks (another config's run, a
    foreign file: a tensor, a list, a dict of other things) is the one line `refusal (its error's last line): expected`,
    not load_state_dict's traceback."""
    if not isinstance(state, dict):
        raise UserError(f"{refusal} (it holds a {type(state).__name__}, not a trainer's state): {expected}")
    try:
        trainer.load_state_dict(state, with_optimizers=with_optimizers)
    except (KeyError, TypeError, RuntimeError, ValueError) as e:
        first = str(e).strip().splitlines()[-1].strip() if str(e).strip() else type(e).__name__
        raise UserError(f"{refusal} ({first}): {expected}") from None


def read_run_state(path: Path, expected: str, map_location: Any = "cpu") -> dict[str, Any]:
    """A run's saved state (latest.pt, snapshots/itr_N.pt), read by `read_state`; a torch file of something else
    (a stage-1 state, a bare state_dict copied there) is a one-line UserError naming it and what was `expected`,
    where indexing it would have raised a KeyError."""
    state = read_state(path, expected, map_location=map_location)
    counters = state.get("counters") if isinstance(state, dict) else None
    if not isinstance(counters, dict) or type(counters.get("iteration")) is not int or "trainer" not in state:
        raise UserError(
            f"{str(path)!r} is not the state of a run (no trainer state and counters.iteration, which "
            f"launch_experiment.py saves): expected {expected}"
        )
    return state


def unsaved_from(state: dict[str, Any]) -> tuple[int, int | None]:
    """Where what a run logged past its saved `state` begins (`RunLogger.resume_at`'s arguments): the iteration it
    saved, and for a BOREL run (a state with "borel") the VAE step after the saved one, since a VAE block's scalars are
    logged and then latest.pt saved, so the point at the saved step stays; None for the other algorithms."""
    steps = saved_vae_steps(state)
    return int(state["counters"]["iteration"]), None if steps is None else steps + 1


def saved_vae_steps(state: dict[str, Any]) -> int | None:
    """The VAE steps a BOREL run's saved `state` (a state with "borel") has done; None for the other algorithms."""
    return int(state["trainer"]["modules"]["agent"]["encoder.steps"]) if "borel" in state else None


def snapshot_due(out_dir: Path, cfg: Config, iteration: int, last: int | None = None) -> Path | None:
    """snapshots/itr_{n}.pt, due once a run has done `iteration` iterations (after the progress row with `Epoch`
    n = `iteration` - 1) when n is a multiple of snapshot_gap or the run's last (the reference's numbering; `last`:
    another iteration count that was the run's last); None when none is due."""
    epoch, a = iteration - 1, cfg.algo_params
    if epoch >= 0 and (epoch % a.snapshot_gap == 0 or iteration in (a.num_iterations, last)):
        return out_dir / "snapshots" / f"itr_{epoch}.pt"
    return None


def restore_snapshot(out_dir: Path, cfg: Config, iteration: int) -> None:
    """Write the snapshot due at latest.pt's `iteration` if it is missing: a run writes latest.pt before that
    snapshot (so that a kill between the two leaves the state to resume from), and the snapshot is the same state,
    so a copy of latest.pt."""
    snapshot = snapshot_due(out_dir, cfg, iteration, _recorded_last(out_dir))
    if snapshot is not None and not snapshot.is_file():
        with (out_dir / "latest.pt").open("rb") as src:
            atomic_write(snapshot, lambda f: shutil.copyfileobj(src, f))


def _recorded_last(out_dir: Path) -> int | None:
    """The num_iterations of the run variant.json records (the one that wrote latest.pt, before a resume records its
    own): its last snapshot is due even where a resume asks for more iterations; None where it records none."""
    try:
        last = json.loads((out_dir / "variant.json").read_text())["algo_params"]["num_iterations"]
    except (OSError, ValueError, KeyError, TypeError):  # (read and refused by `iterations_done` before any resume)
        return None
    return last if type(last) is int else None


def restore_missing_snapshot(out_dir: Path, cfg: Config, done: int) -> None:
    """`restore_snapshot` for a run folder whose latest.pt has done `done` iterations, checked before anything trains
    (a finished run no resume touches again; a Ray segment's worker holds no snapshots to restore), under the run's
    lock, where the folder can be written."""
    snapshot = snapshot_due(out_dir, cfg, done, _recorded_last(out_dir))
    if snapshot is not None and not snapshot.is_file() and (out_dir / "latest.pt").is_file():
        try:
            with RunLock(out_dir):
                restore_snapshot(out_dir, cfg, done)
        except OSError:  # a read-only archive of runs (`--report-only` reads such): left as it is
            pass


def snapshot_names(out_dir: Path) -> list[str]:
    """The names of a run folder's snapshots/*.pt, itr_{n}.pt in the order of n (itr_2 before itr_10), any other
    name after them."""

    def order(path: Path) -> tuple[int, str]:
        n = path.stem.removeprefix("itr_")
        return (int(n), "") if path.stem.startswith("itr_") and ascii_digits(n) else (1 << 62, path.name)

    return [p.name for p in sorted((out_dir / "snapshots").glob("*.pt"), key=order)]


class RunLock(FolderLock):
    """`OUT_DIR/.lock`: one process trains a run folder at a time (`rlkit.fileio.FolderLock`)."""

    def __init__(self, out_dir: Path):
        super().__init__(
            out_dir,
            "{folder!r} is being trained by another process (pid {pid}): expected one process "
            "per run; wait for it or choose another --exp_name",
        )
