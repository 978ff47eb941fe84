"""Stage 2 + 3: offline meta-training with a meta-test after every iteration.

`prepare(cfg, ...)` does everything that can fail on bad input (env, task split, data) before
anything is written; `MetaTrainer(setup).run()` trains, evaluates and logs, resuming from `latest.pt`.
"""

from __future__ import annotations

import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from rlkit.config import Config
from rlkit.data.buffer import MultiTaskBuffer, sample_step
from rlkit.data.load import load_task_data, read_normalizer
from rlkit.data.sequences import SequenceIndex
from rlkit.envs import NormalizedBoxEnv
from rlkit.errors import DivergedError, UserError
from rlkit.eval import EvalResult, Evaluator
from rlkit.fileio import TORCH_LOAD_ERRORS, atomic_write, atomic_write_text, error_kind, make_folder
from rlkit.logging import (
    LOSS_COLUMNS,
    RETURN_COLUMNS,
    SPREAD_COLUMNS,
    STAT_COLUMNS,
    VAE_COLUMNS,
    RunLogger,
    collapse_warning,
    meta_test_columns,
    progress_row,
)
from rlkit.run_folder import (
    DATA_PRINT_FILE,
    RunLock,
    check_seeding,
    code_entries,
    iterations_done,
    load_trainer_state,
    read_run_state,
    record_code,
    restore_snapshot,
    run_data_print,
    saved_vae_steps,
    snapshot_due,
    unsaved_from,
)
from rlkit.seeding import SEEDING_VERSION, portable_generator_state, torch_generator
from rlkit.tasks import env_class, make_wrapped_env, scored_reward_fn, train_eval_split
from rlkit.torch import graphs
from rlkit.torch.csro import borel
from rlkit.torch.csro.trainer import CSROTrainer, LossRecord, TrainerSettings, belief_spread


@dataclass
class RunSetup:
    """Everything a run needs, loaded and checked by `prepare` before anything is written."""

    cfg: Config
    seed: int
    device: torch.device
    out_dir: Path
    train_tasks: list[int]
    test_tasks: list[int]
    train_buffer: MultiTaskBuffer
    eval_buffer: MultiTaskBuffer
    obs_scale: np.ndarray | None
    obs_dim: int
    action_dim: int
    data_dir: Path  # where the dataset is read from on this machine (the config's data_dir unless moved)
    data_print: dict | None = None  # what the run reads of the dataset, by content (`rlkit.data.fingerprint`)
    sequences: SequenceIndex | None = None  # BOREL: the training data's ordered sequences (`rlkit.data.sequences`)


def experiment_name(cfg: Config) -> str:
    """EXP of output/ENV/EXP/seed{S}: the config's exp_name, or the time now where it is empty (the reference's)."""
    return cfg.util_params.exp_name or time.strftime("%Y_%m_%d_%H_%M_%S")


def output_dir(cfg: Config, seed: int) -> Path:
    exp = experiment_name(cfg)
    return Path(cfg.util_params.base_log_dir) / cfg.env_name / exp / f"seed{seed}"


def load_buffers(
    cfg: Config,
    train: list[int],
    test: list[int],
    device: torch.device,
    obs_dim: int,
    action_dim: int,
    obs_scale,
    reward_fn,
    env_tasks: list[dict],
    data_dir: Path,
) -> tuple[MultiTaskBuffer, MultiTaskBuffer]:
    a = cfg.algo_params
    kind = a.data_kind

    def load(tasks, epochs):
        # one task at a time: each is made into the buffer's rows before the next is read (the split's files whole,
        # next observations included, held about twice the rows)
        data = (
            (
                t,
                load_task_data(
                    data_dir,
                    t,
                    range(*epochs),
                    kind,
                    a.n_trj,
                    cfg.env_name,
                    obs_dim,
                    action_dim,
                    expected_task=env_tasks[t],
                    physics_version=env_class(cfg.env_name).physics_version,
                ),
            )
            for t in tasks
        )
        return MultiTaskBuffer(
            data,
            obs_dim,
            action_dim,
            device,
            a.terminal_at_traj_end,
            obs_scale,
            context_reward_fn=reward_fn,
            capacity=a.replay_buffer_size,
        )

    return load(train, a.train_epoch), load(test, a.eval_epoch)


def prepare(
    cfg: Config, seed: int, device: torch.device, data_dir: Path | None = None, out_dir: Path | None = None
) -> RunSetup:
    """Load and check everything a run needs. `data_dir` and `out_dir` place the dataset and the run
    folder elsewhere on this machine than the config says (a cluster worker's local copies); like the
    device, they are not part of the config, so variant.json does not change with them."""
    data_dir = Path(cfg.algo_params.data_dir if data_dir is None else data_dir)
    env = make_wrapped_env(cfg, None, data_dir)
    obs_scale = read_normalizer(data_dir, env.observation_space.shape[0], f"the observation size of {cfg.env_name!r}")
    env = NormalizedBoxEnv(env.env, obs_scale=obs_scale)  # the same env, its observations divided by the scale
    obs_dim, action_dim = env.observation_space.shape[0], env.action_space.shape[0]
    train, test = train_eval_split(cfg)
    reward_fn = scored_reward_fn(cfg, env)
    train_buf, eval_buf = load_buffers(
        cfg, train, test, device, obs_dim, action_dim, obs_scale, reward_fn, env.unwrapped.tasks, data_dir
    )
    sequences = None
    if cfg.algo_type == "BOREL":  # whole episodes in order: the files' episode boundaries must cut them
        a, limit = cfg.algo_params, cfg.env_params.max_episode_steps
        sequences = SequenceIndex(train_buf, a.borel_episodes, a.n_trj, limit)
        SequenceIndex(eval_buf, 1, a.n_trj, limit)  # the offline-context protocol's episodes (checked here)
    return RunSetup(
        cfg,
        seed,
        device,
        output_dir(cfg, seed) if out_dir is None else Path(out_dir),
        train,
        test,
        train_buf,
        eval_buf,
        obs_scale,
        obs_dim,
        action_dim,
        data_dir,
        run_data_print(cfg, data_dir),
        sequences,
    )


class MetaTrainer:
    """The iteration loop: sample, `train_step`, evaluate, log, snapshot; resumable from latest.pt."""

    def __init__(
        self, setup: RunSetup, show_progress: bool = True, capture: bool | None = None, weights_file: Path | None = None
    ):
        """`capture`: run the step through a CUDA graph (`rlkit.torch.graphs`; None: its switch, whose default is
        on for a CUDA device and off on the CPU). `weights_file`: where to read `path_to_weights`'s networks from,
        where that path is not on this machine (a Ray worker's copy of the driver's file)."""
        self.setup, self.cfg, self.show_progress = setup, setup.cfg, show_progress
        dev = setup.device
        settings = TrainerSettings.from_config(setup.cfg, setup.train_tasks)
        self.fused = graphs.fusion_on()
        self.trainer = CSROTrainer(settings, setup.obs_dim, setup.action_dim, dev, setup.seed, fuse=self.fused)
        if settings.corro is not None and settings.corro.standardize:  # CORRO's E1 reads standardised rows
            self.trainer.agent.encoder.set_input_stats(
                *setup.train_buffer.context_stats(settings.use_next_obs_in_context)
            )
        if setup.cfg.path_to_weights and not (setup.out_dir / "latest.pt").is_file():  # (a resume replaces them all)
            self._load_weights(setup.cfg.path_to_weights, weights_file)
        self.sample_gen = torch_generator(setup.seed, "batch_sampling", device=dev)
        setup.train_buffer.require(setup.train_tasks, "training tasks")
        self.train_tasks = torch.as_tensor(setup.train_tasks, device=dev)
        self.evaluator = Evaluator(
            setup.cfg, setup.test_tasks, setup.eval_buffer, setup.obs_scale, setup.seed, dev, setup.data_dir
        )
        self.counters = {"iteration": 0, "train_steps": 0, "env_steps": 0, "rollouts": 0, "train_time": 0.0}
        self.capture = graphs.capture_on(dev) if capture is None else capture
        self.sums = graphs.DeviceSums(LossRecord.SCALARS, dev)  # the iteration's losses, on the device
        self.runner = graphs.StepRunner(  # (its keys, CORRO's stages, follow one another: a finished one's graph goes)
            self._train_and_sum,
            dev,
            self.capture,
            [self.trainer.generator],
            list(self.trainer.optimizers().values()),
            keys_return=False,
        )
        # BOREL: its VAE stage's draws, the means of its last steps (`VAE_COLUMNS`), and the relabelled data
        self.borel = self.trainer.settings.borel
        self.vae_gen = torch_generator(setup.seed, "borel_vae", device=dev) if self.borel is not None else None
        self.vae_means = dict.fromkeys(VAE_COLUMNS, float("nan"))
        self.hyper_buffer: MultiTaskBuffer | None = None

    def sample(self):
        """One step's draw (`sample_step`), on the device; BOREL's from its hyper-state rows, without a context."""
        if self.borel is not None:
            return sample_step(self.hyper_buffer, self.train_tasks, self.cfg.algo_params, self.sample_gen, False)
        return sample_step(self.setup.train_buffer, self.train_tasks, self.cfg.algo_params, self.sample_gen)

    def step(self, at: int | None = None) -> LossRecord:
        """One training step on a fresh draw, eager or captured (`self.runner`); its losses join `self.sums`.
        With capture the record's tensors are the graph's static outputs: read them before the next step.
        `at`: the training step this is (`trainer.steps_taken` + i), which pins the step's branch (CORRO's stage)
        and keys its graph; None: unpinned, one key."""
        return self.runner(self.sample(), self.trainer.branch(at))

    def _train_and_sum(self, s, key=None) -> LossRecord:
        record = self.trainer.train_step(s.tasks, s.context, s.batch, s.extra)
        self.sums.add(record)
        return record

    # ---- persistence -------------------------------------------------------------------------
    def _state(self) -> dict:
        return {
            "trainer": self.trainer.state_dict(),
            "sample_gen": self.sample_gen.get_state(),
            "counters": dict(self.counters),
            "eval_env_rng": self.evaluator.rng_states(),
            "seeding": SEEDING_VERSION,
            "test_z_by_iteration": True,  # stream test_z keyed by the iteration (since 2026-12-04)
            "ran_on": graphs.describe(self.capture, self.setup.device, named=True, fused=self.fused),
        } | ({"borel": {"vae_gen": self.vae_gen.get_state(), "vae_means": dict(self.vae_means)}} if self.borel else {})

    def save(self) -> None:
        """latest.pt always, then the snapshot due (`snapshot_due`): latest.pt first, so that a kill between the two
        leaves the state to resume from, and the resume writes the missing snapshot from it (`restore_snapshot`)."""
        state = self._state()
        atomic_write(self.setup.out_dir / "latest.pt", lambda f: torch.save(state, f))
        snapshot = snapshot_due(self.setup.out_dir, self.cfg, self.counters["iteration"])
        if snapshot is not None:
            atomic_write(snapshot, lambda f: torch.save(state, f))

    def _load_weights(self, path: str, copy: Path | None = None) -> None:
        """Start from the networks of `path_to_weights` (a run's latest.pt, or its trainer state; read from `copy`
        if given), read without pickle; a file that cannot be read or does not fit this config's networks is one line
        naming it."""
        wanted = "expected a run's latest.pt (or its trainer state) of the same env, algo_type and network sizes"
        try:
            state = torch.load(copy or path, map_location=self.setup.device, weights_only=True)
        except TORCH_LOAD_ERRORS as e:
            raise UserError(f"path_to_weights {path!r} cannot be read ({error_kind(e)}): {wanted}") from None
        if isinstance(state, dict) and "trainer" in state:
            state = state["trainer"]
        refusal = f"path_to_weights {path!r} does not fit this run's networks"
        load_trainer_state(self.trainer, state, refusal, wanted, with_optimizers=False)

    def try_resume(self, logger: RunLogger, restore_snapshots: bool = True) -> bool:
        """Continue from latest.pt, if there is one (`restore_snapshots`: and write the snapshot of its iteration if a
        kill left it unwritten; False in a Ray segment, whose scratch folder holds no snapshots: the driver restores
        them)."""
        path = self.setup.out_dir / "latest.pt"
        if not path.is_file():
            return False
        # on the CPU: the generators' states must be CPU tensors, and each load below moves its tensors to the
        # device of what it loads into (modules, optimisers, alpha)
        state = read_run_state(
            path,
            "the state the run saved (copy its last snapshots/itr_N.pt over it to resume from that iteration, "
            "remove the run folder, or use another --exp_name)",
        )
        if state["counters"]["iteration"] < self.cfg.algo_params.num_iterations:  # a finished run resumes nothing
            check_seeding(state, path)
            if self.trainer.agent.test_z_generator is not None and not state.get("test_z_by_iteration"):
                raise UserError(  # its meta-tests' sampled z so far came from one stream run on: a run of neither
                    f"{str(path)!r} was saved by a sample_z_at_test run whose meta-test z came from one stream run "
                    "on across meta-tests (before 2026-12-04; now one per iteration): expected a run started by "
                    "this version; finish it with the version that started it, or choose another --exp_name"
                )
        reseeded = self._fit_generator_states(state)
        own = "expected the state this run saved (or one of its own snapshots/itr_N.pt copied over it)"
        load_trainer_state(  # (another run's state copied over it, say: one line)
            self.trainer, state["trainer"], f"{str(path)!r} does not fit this run's networks", own
        )
        self.sample_gen.set_state(state["sample_gen"])
        if "eval_env_rng" in state:  # absent in runs saved before it was kept
            try:  # (another run's, of other meta-test jobs: num_evals, test tasks)
                self.evaluator.set_rng_states(state["eval_env_rng"])
            except (ValueError, KeyError, TypeError) as e:
                raise UserError(f"{str(path)!r} does not fit this run's meta-test ({e}): {own}") from None
        self.counters = state["counters"]
        if "borel" in state:
            self.vae_gen.set_state(state["borel"]["vae_gen"])
            self.vae_means = dict(state["borel"]["vae_means"])
        self.runner.reset()  # the optimisers' state tensors and the generators were replaced: capture anew
        now = graphs.describe(self.capture, self.setup.device, named=True, fused=self.fused)
        if state.get("ran_on", now) != now or reseeded:  # another device or capture setting: fine, but say so
            line = f"resuming a run trained on {state.get('ran_on', 'another device')} on {now}"
            if reseeded:
                line += f" (torch generators {', '.join(reseeded)} reseeded: their saved states are another device's)"
            logger.info(line)
            print(line)
        logger.load_rows(self.counters["iteration"])
        if restore_snapshots:  # (a Ray segment's scratch: a killed segment's files never come back; the driver
            # purges the run folder's events as a chain starts from it: `rlkit.cluster.runs.purge_unsaved_events`)
            logger.resume_at(*unsaved_from(state))
            restore_snapshot(self.setup.out_dir, self.cfg, self.counters["iteration"])
        return True

    def _fit_generator_states(self, state: dict) -> list[str]:
        """Each torch generator state in `state` as `set_state` on this run's device takes it: the saved one, or
        for a run saved on the other device type one of stream `device_change` (`portable_generator_state`) at the
        run's step: its iterations, and for BOREL its VAE steps too (its VAE stage runs at iteration 0: keyed by the
        iteration alone, a VAE stage moved between device types twice drew its streams again). Returns the streams
        so reseeded."""
        trainer, reseeded = state["trainer"], []
        step = state["counters"]["iteration"] + (saved_vae_steps(state) or 0)
        slots = [
            (trainer, "generator", self.trainer.generator, "train_noise"),
            (state, "sample_gen", self.sample_gen, "batch_sampling"),
        ]
        if "test_z_generator" in trainer and self.trainer.agent.test_z_generator is not None:
            slots.append((trainer, "test_z_generator", self.trainer.agent.test_z_generator, "test_z"))
        if "borel" in state:
            slots.append((state["borel"], "vae_gen", self.vae_gen, "borel_vae"))
        for holder, key, gen, stream in slots:
            holder[key], fits = portable_generator_state(gen, holder[key], self.setup.seed, stream, step)
            if not fits:
                reseeded.append(stream)
        return reseeded

    # ---- the loop ----------------------------------------------------------------------------------
    def run(self, max_iterations: int | None = None, restore_snapshots: bool = True) -> RunLogger:
        """Train to `num_iterations`, resuming from latest.pt; with `max_iterations`, stop after that many
        iterations of this call (a cluster worker runs one at a time, with `restore_snapshots` False: see
        `try_resume`)."""
        setup = self.setup
        variant = dict(setup.cfg.to_dict(), seed=setup.seed)
        make_folder(setup.out_dir)
        with RunLock(setup.out_dir):
            self._check_resumable(variant)
            logger = RunLogger(setup.out_dir)
            logger.info(f"config {json.dumps(variant, sort_keys=True)}")
            logger.info(
                f"device {setup.device} ({graphs.describe(self.capture, setup.device, fused=self.fused)}), "
                f"torch threads "
                f"{torch.get_num_threads()}; {len(setup.train_tasks)} train tasks {setup.train_tasks}, "
                f"{len(setup.train_buffer)} transitions; {len(setup.test_tasks)} test tasks "
                f"{setup.test_tasks}, {len(setup.eval_buffer)} transitions"
            )
            try:  # (the log file and TensorBoard writer closed on every way out: runs of one process follow)
                self._train(logger, variant, max_iterations, restore_snapshots)
            finally:
                logger.close()
        return logger

    def _train(self, logger: RunLogger, variant: dict, max_iterations: int | None, restore_snapshots: bool) -> None:
        a, setup = self.cfg.algo_params, self.setup
        resumed = self.try_resume(logger, restore_snapshots)
        training = self.counters["iteration"] < a.num_iterations
        # written once the resume has read what it continues (a damaged progress.csv, a state of other seed streams
        # is refused before): a refused resume leaves the folder's config as the run it holds was trained with, and
        # so does a finished one run again (another --gpu, say: it trains nothing)
        if training:
            logger.write_variant(variant)
        self._record_data(logger, resumed)
        if resumed:
            done = self.counters["iteration"]
            logger.info(f"resumed at iteration {done}")
            logger.cut_rows()  # (a kill after a row, or events, that latest.pt does not account for: dropped now, as a
            logger.write_purges()  # run that stops before its next row, or a finished one, writes none over them)
            if done >= a.num_iterations:
                print(
                    f"{setup.out_dir} is already complete ({done}/{a.num_iterations} iterations): nothing to train "
                    "(raise --num_iterations to continue it)"
                )
            else:
                print(f"resuming {setup.out_dir} at iteration {done}")
        if training:  # (a finished run trains nothing: no code to record)
            self._record_code(logger, resumed)
        if self.borel is not None:
            self.vae_stage(logger)
            self.relabel(logger)
        stop = (
            a.num_iterations
            if max_iterations is None
            else min(a.num_iterations, self.counters["iteration"] + max_iterations)
        )
        while self.counters["iteration"] < stop:
            row = self.iteration(logger)
            logger.record(row, unmeasured=() if a.allow_eval else meta_test_columns(row))
            summary = self.summary(row)
            logger.info(summary)
            print(summary)
            self.save()

    def _record_code(self, logger: RunLogger, resumed: bool) -> None:
        """code.json's entry for what trains the run from here (`record_code`; a BOREL run resumed inside its VAE
        stage says at which VAE step), and its line in debug.log."""
        vae_steps = int(self.trainer.agent.encoder.steps) if self.borel is not None else None
        in_vae = resumed and vae_steps is not None and vae_steps < self.borel.vae_steps
        device = graphs.describe(self.capture, self.setup.device, named=True, fused=self.fused)
        stage = f"VAE step {vae_steps}" if in_vae else None
        code = record_code(self.setup.out_dir, self.counters["iteration"], device, resumed, stage)
        revision = code["revision"] or "unknown (not a git checkout, or git could not say)"
        logger.info(f"code {revision}, versions {json.dumps(code['versions'])}")

    # ---- BOREL's stage before the iterations -------------------------------------------------------------
    def vae_stage(self, logger: RunLogger) -> None:
        """Train BOREL's belief VAE to `borel_vae_steps` steps (none if it has them: a resumed run), in blocks of
        `num_train_steps_per_itr` steps, each ended by a line in debug.log, TensorBoard scalars and latest.pt (a run
        stopped in the stage resumes at its last block). A step draws `borel_vae_tasks` distinct training tasks and
        `borel_vae_sequences` ordered sequences of each (stream `borel_vae`)."""
        vae, b, dev = self.trainer.agent.encoder, self.borel, self.setup.device
        n_tasks = len(self.train_tasks)
        if int(vae.steps) < b.vae_steps:
            self._check_vae_memory()
        while (done := int(vae.steps)) < b.vae_steps:
            n, t0 = min(self.cfg.algo_params.num_train_steps_per_itr, b.vae_steps - done), time.time()
            sums = torch.zeros(4, device=dev)
            for _ in range(n):
                pick = torch.randperm(n_tasks, generator=self.vae_gen, device=dev)[: b.vae_tasks]
                batch = self.setup.sequences.sample(self.train_tasks[pick], b.vae_sequences, self.vae_gen)
                t = self.trainer.vae_step(batch)
                sums += torch.stack([t.loss, t.reward, t.state, t.kl])
            means = (sums / n).tolist()
            if not np.isfinite(means).all():
                raise DivergedError(
                    f"BOREL's VAE diverged at its step {done + n}: a loss is not finite ({means}); lower context_lr "
                    "(its learning rate) or borel_kl_weight; the stage's last good state is in "
                    f"{str(self.setup.out_dir)!r}"
                )
            self.vae_means = {"steps": float(done + n), **dict(zip(("loss", "reward", "state", "kl"), means))}
            line = (
                f"vae {done + n}/{b.vae_steps}: loss {means[0]:.4g} (reward {means[1]:.4g}, state {means[2]:.4g}, "
                f"kl {means[3]:.4g}) in {time.time() - t0:.1f}s"
            )
            logger.info(line)
            if self.show_progress:
                print(line)
            logger.scalars({f"VAE/{VAE_COLUMNS[k]}": v for k, v in self.vae_means.items() if k != "steps"}, done + n)
            atomic_write(self.setup.out_dir / "latest.pt", lambda f: torch.save(self._state(), f))

    def _check_vae_memory(self) -> None:
        """A UserError where a VAE step's decodes would need more memory than the device has free
        (`borel.vae_step_bytes`; sequences of 2000 steps without `borel_elbo_terms` ran the CPU out of memory, a kill
        without a word): one line with the sizes and what to lower."""
        b, index = self.borel, self.setup.sequences
        n = min(b.vae_tasks, len(self.train_tasks)) * b.vae_sequences
        steps = int(index.lengths.max())
        beliefs = steps + 1 if b.elbo_terms is None else min(b.elbo_terms, steps + 1)
        need, free = (
            borel.vae_step_bytes(n, steps, beliefs, self.setup.obs_dim, b.decode_state),
            borel.free_bytes(self.setup.device),
        )
        if free is not None and need > free:
            raise UserError(
                f"BOREL's VAE step decodes {n} sequences x {beliefs} beliefs x {steps} steps, about "
                f"{need / 2**20:,.0f} MiB, more than the {free / 2**20:,.0f} MiB free on {self.setup.device}: expected "
                "a step that fits; set algo_params.borel_elbo_terms (beliefs decoded per sequence, e.g. 50), or lower "
                "borel_vae_sequences, borel_vae_tasks or borel_episodes"
            )

    def relabel(self, logger: RunLogger) -> None:
        """BOREL: relabel every training row as hyper-states (s, mu, logvar) and (s', mu', logvar') by the frozen VAE,
        once per process (`borel.hyper_state_columns`; the same numbers from the same VAE when a run resumes), and
        measure its collapse guard on the beliefs after whole sequences (`belief_spread`)."""
        index = self.setup.sequences
        before, after, final = borel.hyper_state_columns(self.trainer.agent.gru, index)
        self.hyper_buffer = borel.hyper_state_buffer(self.setup.train_buffer, index, before, after)
        self.trainer.borel_spread = belief_spread(final, index.task)
        across, ratio = (float(x) for x in self.trainer.borel_spread)
        logger.info(
            f"relabelled {len(self.hyper_buffer)} rows ({len(index)} sequences) as hyper-states; belief after a "
            f"sequence: across-task std {across:.3g}, spread ratio {ratio:.3g}"
        )

    def _check_resumable(self, variant: dict) -> None:
        """See `iterations_done`; a snapshot's code.json is read here too, so that a damaged one is refused before
        anything in the folder is written."""
        iterations_done(
            self.setup.out_dir,
            variant,
            self.cfg.algo_params.num_iterations,
            "choose another --exp_name",
            self.setup.data_print,
        )
        if (self.setup.out_dir / "latest.pt").is_file():
            code_entries(self.setup.out_dir)

    def _record_data(self, logger: RunLogger, resumed: bool) -> None:
        """Write `dataset.json` (the data's fingerprint and where it was read) unless the run resumes one that has
        it, which `_check_resumable` has compared; a run written before it was kept gets the data it resumes on. A
        folder without a snapshot holds a run that is replaced, so the fingerprint of its first start is too."""
        path = self.setup.out_dir / DATA_PRINT_FILE
        if self.setup.data_print is None or (resumed and path.is_file()):
            return
        if resumed:
            logger.info(
                f"{DATA_PRINT_FILE} is missing (a run written before it was kept): recording the data it resumes on"
            )
        # the config's data_dir: where the data is, not a cluster worker's copy of it (`prepare`'s data_dir)
        doc = dict(self.setup.data_print, data_dir=str(self.cfg.algo_params.data_dir))
        atomic_write_text(path, json.dumps(doc, indent=1, sort_keys=True) + "\n")

    def iteration(self, logger: RunLogger) -> dict[str, float]:
        a = self.cfg.algo_params
        it = self.counters["iteration"]
        t0 = time.time()
        self.sums.zero_()
        bar = tqdm(
            range(a.num_train_steps_per_itr),
            desc=f"itr {it}",
            leave=False,
            disable=not (self.show_progress and sys.stderr.isatty()),  # (into a file it leaves "\r" residue)
            mininterval=2.0,
        )
        record = None
        first = self.trainer.steps_taken()  # CORRO's stages: read once here, not in each step
        try:
            for i in bar:
                record = self.step(None if first is None else first + i)
        finally:
            self.trainer.branch(None)
        sums = self.sums.values
        self.check_finite(sums, it)  # the iteration's one host sync: on a GPU its queued steps end here
        train_time = time.time() - t0
        self.counters["train_steps"] += a.num_train_steps_per_itr
        self.counters["train_time"] += train_time
        t1 = time.time()
        result = self.evaluator(self.trainer.agent, it) if a.allow_eval else EvalResult()
        eval_time = time.time() - t1
        self.counters["rollouts"] += result.rollouts
        self.counters["env_steps"] += result.env_steps
        self.counters["iteration"] = it + 1
        z_train = record.z_mean[0].cpu().numpy()
        row = progress_row(
            self.counters,
            {"train": train_time, "eval": eval_time, "epoch": time.time() - t0},
            result.mean_returns(),
            z_train,
            float(record.z_std),
            result.final_z if result.final_z is not None else np.full_like(z_train, np.nan),
            result.final_z_std,
            {k: float(v) / a.num_train_steps_per_itr for k, v in sums.items()},
            {field: getattr(record, field) for field in STAT_COLUMNS.values()},
            z_spread=(float(record.z_across), float(record.z_spread_ratio)),
        )
        if self.borel is not None:  # its VAE stage's columns, after every other one
            row.update({VAE_COLUMNS[k]: float(v) for k, v in self.vae_means.items()})
        if a.dump_eval_paths:
            atomic_write_text(self.setup.out_dir / f"eval_returns_itr_{it}.json", json.dumps(result.returns))
        return row

    def check_finite(self, sums: dict[str, torch.Tensor], iteration: int) -> None:
        """Once per iteration, before the meta-test and before anything is written: every loss of the
        iteration and every parameter must be finite. One host sync; the last good snapshot stays."""
        names = list(sums)
        params = [(name, p) for name, m in self.trainer.modules().items() for p in m.parameters()]
        flags = (
            torch.stack(
                [torch.isfinite(torch.as_tensor(sums[k])).all() for k in names]
                + [torch.isfinite(p).all() for _, p in params]
            )
            .cpu()
            .numpy()
        )
        if flags.all():
            return
        first = int(np.flatnonzero(~flags)[0])
        what = (
            f"loss {LOSS_COLUMNS[names[first]]!r}"
            if first < len(names)
            else f"a parameter of {params[first - len(names)][0]!r}"
        )
        raise DivergedError(
            f"training diverged at iteration {iteration}: {what} is not finite; the rows and snapshots "
            f"of iterations before it are kept in {str(self.setup.out_dir)!r} (lower the learning rates "
            "or reward_scale)"
        )

    @staticmethod
    def summary(row: dict[str, float]) -> str:
        ret = {k: row[c] for k, c in RETURN_COLUMNS.items()}
        ratio = row.get(SPREAD_COLUMNS[1], float("nan"))  # absent in rows written before the collapse guard
        warning = collapse_warning(row)
        returns = (
            "no meta-test (allow_eval false)"
            if all(math.isnan(r) for r in ret.values())
            else f"offline {ret['offline']:.2f}  online {ret['online']:.2f}  np {ret['np']:.2f}"
        )
        return (
            f"itr {int(row['Epoch'])}: {returns}"
            f"  | qf {row['QF Loss']:.3g} club {row['Club Loss']:.3g} z {row['Z Loss']:.3g} spread {ratio:.3g}"
            f" | train {row['Train Time (s)']:.1f}s eval {row['(Previous) Eval Time (s)']:.1f}s"
            + (f"  !! {warning}" if warning else "")
        )
