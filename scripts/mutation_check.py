"""Does the test suite catch a change to the algorithm? Apply mutations, each to a fresh copy of the
repository, and run the tests that guard the training step on it.

    python scripts/mutation_check.py [--tests tests/test_golden.py ...] [--only patches|edits]

Each mutation is a plausible slip (a discount, the order of two updates, a loss weight, a target
rate). It patches functions, not source lines: its code is appended to the trainer's module in the
copy and rebinds names there, so every process that imports the trainer (the golden runs' fresh
process included) trains with the slip, and no exact source text is needed. The three wrong values
come in through the trainer's one documented hook for them, `TrainerSettings` (what the constructor
is given); the swapped order patches the two `_update_*` methods. Before the tests run, the mutated
module must import (a patch naming something that no longer exists fails there, with its name).
A mutation the tests do not fail on is reported as MISSED and the script exits 1. The unmutated
copy is run first and must pass.

The edits (`EDITS`) are slips that once passed every test, found by hand audits of the losses, the envs (their task
lists, resets and healthy ranges), the data and meta-test paths (the sparse reward each protocol scores, BOREL's
belief), the encoders, stage 1's replay and outputs, the report's numbers and figure, the dataset's checks, the run
folders and resume, the config's checks, the reproduction plan and command, the budget, the device a run gets, the
capture boundary, the CPU kernels, the command-line helpers, show_path, the file helpers and the Ray driver: each
replaces one piece of source text (found exactly once, else the script stops naming it) and runs only the tests
written to catch it, so a test weakened later is found here. `--only patches` or `--only edits` runs one kind (the
patches on `--tests`, each edit on its own tests). A mutation counts as caught only by a failing test: tests that do
not import or collect under it stop the script.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Edit:
    """`old`, found once in `path`, replaced by `new`; `test` (a file::test) must fail on it."""

    path: str
    old: str
    new: str
    test: str


LOSSES, TRAINER_PY, CORRO = "rlkit/torch/csro/losses.py", TRAINER, "rlkit/torch/csro/corro.py"
CORRO_CONTRASTIVE_TEST = (
    "tests/test_baselines.py::test_corro_contrastive_loss_pairs_each_query_with_its_positive_and_its_own_negatives"
)
ENVS_TESTS, MUJOCO_TESTS = "tests/test_envs.py", "tests/test_mujoco_envs.py"
GENERATE = "rlkit/behaviour/generate.py"
REPORT, TABLES, PROSE, DOCUMENT, FIGURES = (
    "rlkit/report.py",
    "rlkit/reproduce/tables.py",
    "rlkit/reproduce/prose.py",
    "rlkit/reproduce/document.py",
    "rlkit/reproduce/figures.py",
)
BUDGET_TESTS, REPORT_TESTS, REPRODUCE_TESTS = (
    "tests/test_budget_stats.py",
    "tests/test_report_plot.py",
    "tests/test_reproduce.py",
)
AGAINST_TEST = f"{REPORT_TESTS}::test_a_run_above_or_below_the_reference_seeds_is_outside_their_spread"
TABLE1_TEST = f"{REPRODUCE_TESTS}::test_table1s_scores_are_the_mean_of_the_seeds_and_the_iqm_is_of_scores"
FIG3_TEST = f"{REPRODUCE_TESTS}::test_fig3s_panels_plot_their_own_protocol_with_a_95_percent_t_band"
LEARNED_TEST = f"{REPRODUCE_TESTS}::test_the_learned_verdict_at_its_boundaries"
BOREL_EXTRAS_TEST = "tests/test_borel.py::test_borel_extra_dual_critic_steps_read_the_extra_batches_rows_and_beliefs"
REPORT_FLAGS_TEST = (
    f"{REPRODUCE_TESTS}::test_the_reports_collapse_flags_go_by_seed_and_its_finals_by_the_profiles_window"
)
STAGE1_TEST = (
    "tests/test_sac.py::test_stage1_bootstraps_through_time_limits_samples_written_rows_and_updates_from_the_seed_steps"
)
DATA_CHECK, FINGERPRINT, LEGACY, NPZ, LOAD, DATASET, DATA_MAIN = (
    "rlkit/data/check.py",
    "rlkit/data/fingerprint.py",
    "rlkit/data/legacy.py",
    "rlkit/data/npz.py",
    "rlkit/data/load.py",
    "rlkit/data/dataset.py",
    "rlkit/data/__main__.py",
)
DATASET_TESTS = "tests/test_dataset.py::"
BEHAVIOUR_SETTINGS, REGENERATE, CURVES, TASKS = (
    "rlkit/behaviour/settings.py",
    "rlkit/behaviour/regenerate.py",
    "rlkit/behaviour/curves.py",
    "rlkit/tasks.py",
)
SHOW, SHOW_PATH, CLUSTER_OPTIONS, CLUSTER_BEHAVIOUR, CLUSTER_ENGINE, CLUSTER_RUNS = (
    "rlkit/show.py",
    "show_path.py",
    "rlkit/cluster/options.py",
    "rlkit/cluster/behaviour.py",
    "rlkit/cluster/engine.py",
    "rlkit/cluster/runs.py",
)
BEHAVIOUR_TESTS, SHOW_TESTS, CLUSTER_TESTS = (
    "tests/test_behaviour_outputs.py::",
    "tests/test_show_path.py::",
    "tests/test_cluster.py::",
)
FILEIO, RUN_FOLDER, LOGGER, EXPERIMENT, SWITCH = (
    "rlkit/fileio.py",
    "rlkit/run_folder.py",
    "rlkit/logging/logger.py",
    "rlkit/experiment.py",
    "rlkit/switch.py",
)
RUN_FOLDER_TESTS = "tests/test_run_folder.py::"
EVALUATOR, RECURRENT, AGENT, UNICORN = (
    "rlkit/eval/evaluator.py",
    "rlkit/eval/recurrent.py",
    "rlkit/torch/csro/agent.py",
    "rlkit/torch/csro/unicorn.py",
)
NETWORKS, HALF_CHEETAH, ANT, HOPPER, WALKER, RAND_PARAMS, DATA_META = (
    "rlkit/torch/networks.py",
    "rlkit/envs/half_cheetah.py",
    "rlkit/envs/ant.py",
    "rand_param_envs/hopper_rand_params.py",
    "rand_param_envs/walker2d_rand_params.py",
    "rand_param_envs/base.py",
    "rlkit/data/meta.py",
)
BOREL_PY, SEQUENCES, ROLLOUT = "rlkit/torch/csro/borel.py", "rlkit/data/sequences.py", "rlkit/data/rollout.py"
BUFFER = "rlkit/data/buffer.py"
CLI, GRAPHS, REPRODUCE_MAIN, PLOT, PROGRESS = (
    "rlkit/cli.py",
    "rlkit/torch/graphs.py",
    "rlkit/reproduce/__main__.py",
    "rlkit/plot.py",
    "rlkit/behaviour/progress.py",
)
FLOPS = "rlkit/torch/flops.py"
VECTOR_SAC = "rlkit/torch/sac/vector_sac.py"
EVAL_PROTOCOLS, POINT_ROBOT, WRAPPERS, MUJOCO_ENV, HUMANOID = (
    "rlkit/eval/protocols.py",
    "rlkit/envs/point_robot.py",
    "rlkit/envs/wrappers.py",
    "rlkit/envs/mujoco_env.py",
    "rlkit/envs/humanoid.py",
)
POLICY_TRAIN = "policy_train.py"
LAUNCH = "launch_experiment.py"
CPU_KERNELS = "rlkit/torch/cpu_kernels.py"
COMPETENT = "scripts/competent_fraction.py"
UPDATE_GOLDEN = "scripts/update_golden.py"
WRITE_DEFAULT_CONFIG = "scripts/write_default_config.py"
REREAD_PROSE = "scripts/reread_report_prose.py"
STATS = "rlkit/stats.py"
SEEDING = "rlkit/seeding.py"
CONFIG_PY, PLAN, BUDGET, COLUMNS = (
    "rlkit/config.py",
    "rlkit/reproduce/plan.py",
    "rlkit/budget.py",
    "rlkit/logging/columns.py",
)
CONFIG_TESTS, PLAN_TESTS, BUDGET_CASES, LOGGING_TESTS, META_TRAINER_TESTS = (
    "tests/test_config.py::",
    f"{REPRODUCE_TESTS}::",
    f"{BUDGET_TESTS}::",
    "tests/test_logging.py::",
    "tests/test_meta_trainer.py::",
)
EDITS = {
    "BRAC's gradient penalty from the batch mean of c (each row's dc/da scaled by 1/N)": Edit(
        TRAINER_PY,
        "torch.autograd.grad(c_int.sum(), a_int",
        "torch.autograd.grad(c_int.mean(), a_int",
        "tests/test_losses.py::test_the_gradient_penalty_reads_each_rows_own_dc_da",
    ),
    "the interpolation penalty's norm as a mean over the columns": Edit(
        LOSSES,
        "slope = torch.sqrt(1e-8 + (values**2).sum(-1))",
        "slope = torch.sqrt(1e-8 + (values**2).mean(-1))",
        "tests/test_losses.py::test_kl_dual_estimate_and_penalties",
    ),
    "alpha's update without alpha_lr": Edit(
        LOSSES,
        "return alpha + alpha_lr * (div_mean - target_divergence)",
        "return alpha + (div_mean - target_divergence)",
        "tests/test_losses.py::test_alpha_update",
    ),
    "CLUB's estimator NLL summed, not averaged": Edit(
        LOSSES,
        "return ((e - mu) ** 2 / (2 * var) + 0.5 * torch.log(var)).mean()",
        "return ((e - mu) ** 2 / (2 * var) + 0.5 * torch.log(var)).sum()",
        "tests/test_losses.py::test_club_estimator_nll_by_hand",
    ),
    "CORRO's positives are the queries themselves": Edit(
        CORRO,
        "e[:, n : 2 * n].reshape(T * n, -1)",
        "e[:, :n].reshape(T * n, -1)",
        CORRO_CONTRASTIVE_TEST,
    ),
    "CORRO's negatives built from the positives' (s, a)": Edit(
        CORRO,
        "rows = context[:, :n].reshape(T * n, C)",
        "rows = context[:, n : 2 * n].reshape(T * n, C)",
        CORRO_CONTRASTIVE_TEST,
    ),
    "CORRO's InfoNCE at temperature 1": Edit(
        CORRO,
        "return infonce_loss(q, k, encoder(neg_rows), TEMPERATURE)",
        "return infonce_loss(q, k, encoder(neg_rows), 1.0)",
        CORRO_CONTRASTIVE_TEST,
    ),
    "the CVAE's w drawn with the variance for the std": Edit(
        CORRO,
        "w = mean + (0.5 * logvar).exp() * torch.randn(",
        "w = mean + logvar.exp() * torch.randn(",
        "tests/test_baselines.py::test_corro_cvae_loss_reads_its_targets_from_the_rows_and_draws_w_by_reparameterisation",
    ),
    "BOReL's reward decoder reads s where it reads s'": Edit(
        BOREL_PY,
        "reward_pred = self.reward_decoder(zz, s2[:, None], s[:, None], a[:, None])",
        "reward_pred = self.reward_decoder(zz, s[:, None], s2[:, None], a[:, None])",
        "tests/test_borel.py::test_every_belief_decodes_every_step_from_s_and_a_and_predicts_s_prime",
    ),
    "CLASSIFIER's hvar noise scaled by the variance, not the std": Edit(
        TRAINER_PY,
        "else lat.e + lat.e_var.sqrt() * torch.randn(",
        "else lat.e + lat.e_var * torch.randn(",
        "tests/test_variants.py::test_classifier_with_hvar_classifies_embeddings_with_noise_of_their_own_std",
    ),
    "the spread's second half overlaps the first": Edit(
        TRAINER_PY,
        "for part in (slice(0, h), slice(h, 2 * h))",
        "for part in (slice(0, h), slice(h - 1, 2 * h - 1))",
        "tests/test_collapse.py::test_the_step_spread_compares_the_disjoint_halves_of_each_context",
    ),
    "Np explores at random for floor(N / 2) steps": Edit(
        EVAL_PROTOCOLS,
        "return np.ceil(num_steps_per_eval / 2 - scored)",
        "return np.floor(num_steps_per_eval / 2 - scored)",
        "tests/test_eval.py::test_np_explores_at_random_while_fewer_than_half_the_steps_are_scored",
    ),
    "randomised point-robot goals permuted by another seed": Edit(
        POINT_ROBOT,
        "RandomState(1337).permutation(n_tasks)",
        "RandomState(1334).permutation(n_tasks)",
        f"{ENVS_TESTS}::test_goals_on_upper_half_circle_deterministic",
    ),
    "point-robot-wind's oracle adds the wind instead of cancelling it": Edit(
        POINT_ROBOT,
        "self.goal - obs - self.wind,",
        "self.goal - obs + self.wind,",
        f"{ENVS_TESTS}::test_point_robot_wind_formulas",
    ),
    "humanoid's impact cost capped at 1, not 10": Edit(
        HUMANOID,
        "float(np.sum(np.square(self.data.cfrc_ext))), 10.0)",
        "float(np.sum(np.square(self.data.cfrc_ext))), 1.0)",
        f"{MUJOCO_TESTS}::test_humanoid_dir_reward_and_termination",
    ),
    "an unstable step returns MuJoCo's reset state, not the last valid observation": Edit(
        MUJOCO_ENV,
        'return self._last_obs, 0.0, True, {"unstable": True}',
        'return obs, 0.0, True, {"unstable": True}',
        f"{MUJOCO_TESTS}::test_unstable_simulation_ends_the_episode_with_a_flag",
    ),
    "the wrapper's reset returns the unscaled observation": Edit(
        WRAPPERS,
        "return self._obs(obs), info",
        "return obs, info",
        f"{ENVS_TESTS}::test_normalized_box_env_scales_the_observations_of_reset_and_reset_task_too",
    ),
    "the wrapper's reset_task returns the unscaled observation": Edit(
        WRAPPERS,
        "return self._obs(self.env.unwrapped.reset_task(idx))",
        "return self.env.unwrapped.reset_task(idx)",
        f"{ENVS_TESTS}::test_normalized_box_env_scales_the_observations_of_reset_and_reset_task_too",
    ),
    "the plain split tests the tasks right after the training ones": Edit(
        TASKS,
        "list(range(n - n_eval, n))",
        "list(range(n_train, n_train + n_eval))",
        "tests/test_experiment.py::test_splits_of_fewer_tasks_than_n_tasks_by_hand",
    ),
    "the randomised split tests every task it does not train on": Edit(
        TASKS,
        "[t for t in range(n) if t not in train][:n_eval]",
        "[t for t in range(n) if t not in train]",
        "tests/test_experiment.py::test_splits_of_fewer_tasks_than_n_tasks_by_hand",
    ),
    "the zero-action reference repeats one start": Edit(
        TASKS,
        "env.reset(seed=seed + i)[0], lambda _: still",
        "env.reset(seed=seed)[0], lambda _: still",
        f"{ENVS_TESTS}::test_zero_action_return_by_hand",
    ),
    "rollouts mark a time limit as terminal": Edit(
        ROLLOUT,
        "P.terminals[i, t] = float(terminated)",
        "P.terminals[i, t] = float(terminated or truncated)",
        "tests/test_eval.py::test_rollouts_mark_terminations_not_time_limits_as_terminal",
    ),
    "flattened rollouts lose their terminal flags": Edit(
        ROLLOUT,
        "                self.terminals[i, :n],\n",
        "                np.zeros(n),\n",
        "tests/test_eval.py::test_rollouts_mark_terminations_not_time_limits_as_terminal",
    ),
    "the online protocol's context holds the dense reward on a sparse env": Edit(
        EVAL_PROTOCOLS,
        "paths):\n        ctx.add_paths(paths, setting.use_next_obs_in_context, reward_fn)",
        "paths):\n        ctx.add_paths(paths, setting.use_next_obs_in_context, None)",
        "tests/test_eval.py::test_sparse_env_scores_sparse_returns",
    ),
    "Np's context holds the dense reward on a sparse env": Edit(
        EVAL_PROTOCOLS,
        "ctx.add_paths(paths, setting.use_next_obs_in_context, reward_fn)\n            ctx.resample",
        "ctx.add_paths(paths, setting.use_next_obs_in_context, None)\n            ctx.resample",
        "tests/test_eval.py::test_sparse_env_scores_sparse_returns",
    ),
    "the offline protocol's context without s' when the config asks for it": Edit(
        EVAL_PROTOCOLS,
        "setting.max_path_length, generator, setting.use_next_obs_in_context)",
        "setting.max_path_length, generator, False)",
        "tests/test_eval.py::test_offline_context_holds_next_obs_with_use_next_obs_in_context",
    ),
    "BOREL never samples a task's last sequence": Edit(
        SEQUENCES,
        "(u * self.count[slot, None]).long()",
        "(u * (self.count[slot, None] - 1)).long()",
        "tests/test_borel.py::test_sequences_are_sampled_uniformly_each_of_a_tasks_last_included",
    ),
    "a checkpoint's mean return per row, not per episode": Edit(
        DATASET,
        "return float(trajs.rewards.sum()) / len(trajs.traj_lengths)",
        "return float(trajs.rewards.sum()) / len(trajs)",
        "tests/test_report_plot.py::test_mean_return_over_a_horizon_by_hand",
    ),
    "stage 1 marks a time limit as terminal": Edit(
        GENERATE, "0.0 if terminated else 1.0", "0.0 if terminated or truncated else 1.0", STAGE1_TEST
    ),
    "stage 1 samples its replay over the capacity, unwritten rows included": Edit(
        GENERATE, "gens.randint(self.size, batch_size)", "gens.randint(self.capacity, batch_size)", STAGE1_TEST
    ),
    "stage 1's updates start a step after num_seed_steps": Edit(
        GENERATE, "if step >= sched.num_seed_steps:", "if step > sched.num_seed_steps:", STAGE1_TEST
    ),
    # the report's numbers (rlkit.report, rlkit.reproduce, rlkit.stats, rlkit.budget)
    "a curve's line is the median of the runs": Edit(
        "rlkit/stats.py",
        "mean = vals.mean(axis=0)",
        "mean = np.median(vals, axis=0)",
        f"{BUDGET_TESTS}::test_a_curves_line_is_the_mean_of_three_runs_and_its_band_their_std",
    ),
    "BOREL's VAE counted as left until the run's second step": Edit(
        BUDGET,
        "0 if done_steps > 0 else",
        "0 if done_steps > 1 else",
        f"{BUDGET_TESTS}::test_what_is_left_of_a_budget_after_some_steps",
    ),
    "a spread ratio at the threshold flagged as collapsed": Edit(
        COLUMNS,
        "(ratio >= COLLAPSE_RATIO and",
        "(ratio > COLLAPSE_RATIO and",
        "tests/test_collapse.py::test_a_spread_ratio_at_the_threshold_is_alive",
    ),
    "rlkit.report's final return is the median of the last rows": Edit(
        REPORT,
        "{name: df[col].tail(last).mean() for",
        "{name: df[col].tail(last).median() for",
        f"{REPORT_TESTS}::test_final_returns_average_the_last_iterations_of_each_run",
    ),
    "rlkit.report's score column is the median of the runs' scores": Edit(
        REPORT,
        's = f"{ref.score(r).mean():8.3f}"',
        's = f"{np.median(ref.score(r)):8.3f}"',
        f"{REPORT_TESTS}::test_the_report_table_of_three_runs_by_hand",
    ),
    "rlkit.report prints no IQM lines for two runs": Edit(
        REPORT,
        "if ref and len(table) > 1:",
        "if ref and len(table) > 2:",
        f"{REPORT_TESTS}::test_the_report_table_of_three_runs_by_hand",
    ),
    "runs are 'inside the seeds' spread' when any one is": Edit(
        REPORT,
        "inside = all(scores.min() <= m <= scores.max() for m in mine)",
        "inside = any(scores.min() <= m <= scores.max() for m in mine)",
        AGAINST_TEST,
    ),
    "the per-seed bar read from mean_at_least": Edit(
        REPORT,
        'all(m >= bar["each_at_least"] for m in mine)',
        'all(m >= bar["mean_at_least"] for m in mine)',
        AGAINST_TEST,
    ),
    "a row missing one protocol's return averaged without it": Edit(
        REPORT,
        "[list(PROTOCOLS.values())].isna().any(axis=1)",
        "[list(PROTOCOLS.values())].isna().all(axis=1)",
        f"{REPORT_TESTS}::test_a_row_missing_one_protocols_return_is_refused_not_averaged",
    ),
    "the collapse flags read a run's first row": Edit(
        REPORT,
        "last = read_progress(run).iloc[-1].to_dict()",
        "last = read_progress(run).iloc[0].to_dict()",
        f"{REPORT_TESTS}::test_the_collapse_flags_read_a_runs_last_row",
    ),
    "Table 1's final return is the median of the last rows": Edit(
        TABLES, "f[col].tail(last).mean() for f in frames", "f[col].tail(last).median() for f in frames", TABLE1_TEST
    ),
    "Table 1's score is the median of the seeds'": Edit(
        TABLES, '"score": scores.mean(),', '"score": np.median(scores),', TABLE1_TEST
    ),
    "Table 1's IQM of the returns, not the scores": Edit(
        TABLES, "iqm, lo, hi = iqm_interval(scores)", "iqm, lo, hi = iqm_interval(finals)", TABLE1_TEST
    ),
    "every Fig. 3 panel plots the Np column": Edit(
        FIGURES, "col = RETURN_COLUMNS[key]", 'col = RETURN_COLUMNS["np"]', FIG3_TEST
    ),
    "Fig. 3's band is +- one std, not the 95% interval": Edit(
        FIGURES,
        "[f[col].to_numpy() for f in frames]\n",
        '[f[col].to_numpy() for f in frames], band="std"\n',
        FIG3_TEST,
    ),
    "a best score equal to doing nothing's counts as learned": Edit(
        PROSE, "still is not None and best <= still", "still is not None and best < still", LEARNED_TEST
    ),
    "a best score of exactly LEARNED_SCORE counts as not learned": Edit(
        PROSE, "if best >= LEARNED_SCORE and", "if best > LEARNED_SCORE and", LEARNED_TEST
    ),
    "a method flagged on one seed counts as collapsed on every seed": Edit(
        DOCUMENT, "if len(w) == sum(s.method == m for s in specs))", "if len(w) >= 1)", REPORT_FLAGS_TEST
    ),
    "the collapse flags given to the wrong seeds": Edit(
        DOCUMENT,
        "seeds = [s.seed for s in specs if s.method == method]",
        "seeds = sorted((s.seed for s in specs if s.method == method), reverse=True)",
        REPORT_FLAGS_TEST,
    ),
    "the reproduction's report ignores the profile's final window": Edit(
        DOCUMENT,
        "table = final_table(runs, p.final_iterations, ref)",
        "table = final_table(runs, 1, ref)",
        REPORT_FLAGS_TEST,
    ),
    # the training step's non-default switches (BRAC's alpha and extra batches, BOREL's learner, hvar, UNICORN_SS)
    "BRAC's alpha trained whenever BRAC is on, train_alpha false included": Edit(
        TRAINER_PY,
        "        if s.train_alpha:  # 8\n            self._update_alpha(d_hat)\n\n        return",
        "        if s.use_brac:  # 8\n            self._update_alpha(d_hat)\n\n        return",
        "tests/test_gradient_flow.py::test_brac_keeps_alpha_at_its_init_without_train_alpha",
    ),
    "BOREL's alpha trained whenever BRAC is on": Edit(
        TRAINER_PY,
        "        if s.train_alpha:  # 8\n            self._update_alpha(d_hat)\n        T, B",
        "        if s.use_brac:  # 8\n            self._update_alpha(d_hat)\n        T, B",
        "tests/test_borel.py::test_borel_brac_keeps_alpha_at_its_init_without_train_alpha",
    ),
    "the interpolation penalty cut from the dual critic's graph": Edit(
        TRAINER_PY,
        "self.loss.interpolation_penalty(c_int))",
        "self.loss.interpolation_penalty(c_int.detach()))",
        "tests/test_gradient_flow.py::test_the_interpolation_penalty_trains_the_dual_critic_by_hand",
    ),
    "the critic learns the context's (sparse) reward": Edit(
        TRAINER_PY,
        "target = self.loss.q_target(batch.rewards, batch.terminals",
        "target = self.loss.q_target(batch.context_reward, batch.terminals",
        "tests/test_gradient_flow.py::test_the_critic_learns_the_dense_reward_not_the_context_reward",
    ),
    "BOREL's critic learns the context's (sparse) reward": Edit(
        TRAINER_PY,
        "rows = RLBatch(obs, flat.actions, flat.rewards, next_obs, flat.terminals)",
        "rows = RLBatch(obs, flat.actions, flat.context_reward, next_obs, flat.terminals)",
        "tests/test_borel.py::test_borels_critic_learns_the_dense_reward_not_the_context_reward",
    ),
    "BOREL's extra dual-critic steps read the main batch's states and beliefs": Edit(
        TRAINER_PY,
        "extras = ((*self._hyper(e.obs), e.actions) for e in map(_flat, extra_c_batches))",
        "extras = ((obs, z, e.actions) for e in map(_flat, extra_c_batches))",
        BOREL_EXTRAS_TEST,
    ),
    "the extra dual-critic steps read the main batch's z": Edit(
        TRAINER_PY,
        "self._update_dual_critic(e_obs, a_extra, e_actions, e_z)",
        "self._update_dual_critic(e_obs, a_extra, e_actions, z)",
        BOREL_EXTRAS_TEST,
    ),
    "the extra BRAC batches are the batch again": Edit(
        BUFFER,
        "extra = [buf.sample(tasks, a.batch_size, generator) for _ in range(a.c_iter - 1)]",
        "extra = [batch for _ in range(a.c_iter - 1)]",
        "tests/test_buffer.py::test_a_step_draws_each_extra_brac_batch_after_the_batch",
    ),
    "sample_z_at_test without the bottleneck accepted under OFFPEARL": Edit(
        CONFIG_PY,
        "ib or not a.sample_z_at_test,",
        'cfg.algo_type == "OFFPEARL" or not a.sample_z_at_test,',
        "tests/test_offpearl.py::test_pearl_keys_are_refused_where_they_mean_nothing",
    ),
    "target_divergence accepted with train_alpha false": Edit(
        CONFIG_PY,
        '    "train_alpha": ("alpha_lr", "target_divergence"),\n',
        '    "train_alpha": ("alpha_lr",),\n',
        "tests/test_config.py::test_an_override_of_a_key_its_switch_leaves_unread_is_refused",
    ),
    "the spread's halves weighed with the first half's variances": Edit(
        TRAINER_PY,
        "None if var is None else var[:, part])",
        "None if var is None else var[:, slice(0, h)])",
        "tests/test_collapse.py::test_the_step_spread_weighs_each_half_by_its_own_variances_by_hand",
    ),
    "UNICORN_SS frees the encoder's graph before the critic's backward": Edit(
        TRAINER_PY,
        "retain_graph=s.allow_backward_z)\n        return loss.detach()",
        "retain_graph=False)\n        return loss.detach()",
        "tests/test_baselines.py::test_unicorn_ss_with_allow_backward_z_adds_the_critics_gradient_to_the_encoder",
    ),
    # the audit of the dataset code (session 23)
    "a replaced normalizer.npz outside the data fingerprint": Edit(
        FINGERPRINT,
        "    if normalizer.is_file():\n        _add_npz(h, normalizer)",
        "    if normalizer.is_dir():\n        _add_npz(h, normalizer)",
        DATASET_TESTS + "test_fingerprint_covers_the_normalizer",
    ),
    "NaN in next_obs or actions read as data": Edit(
        NPZ,
        "bad = [f for f in FIELDS[:5] if not np.isfinite(getattr(t, f)).all()]",
        "bad = [f for f in FIELDS[:3] if not np.isfinite(getattr(t, f)).all()]",
        DATASET_TESTS + "test_non_finite_values_in_any_field_are_refused_naming_it",
    ),
    "episode lengths covering fewer rows than the file's accepted": Edit(
        NPZ,
        "    if int(t.traj_lengths.sum()) != len(t):",
        "    if int(t.traj_lengths.sum()) > len(t):",
        DATASET_TESTS + "test_episode_lengths_that_sum_to_other_than_the_rows_are_one_line_naming_the_file",
    ),
    "a normalizer entry of 0 divided by as it is": Edit(
        LOAD,
        "    return abs_max + 1e-8",
        "    return abs_max",
        DATASET_TESTS + "test_a_normalizer_entry_of_zero_is_accepted_and_kept_off_zero",
    ),
    "a normalizer entry of 0 refused": Edit(
        LOAD,
        "if not np.isfinite(abs_max).all() or (abs_max < 0).any():",
        "if not np.isfinite(abs_max).all() or (abs_max <= 0).any():",
        DATASET_TESTS + "test_a_normalizer_entry_of_zero_is_accepted_and_kept_off_zero",
    ),
    "the family's last task not restored from its task file": Edit(
        LOAD,
        "    for i in range(len(env.tasks)):",
        "    for i in range(len(env.tasks) - 1):",
        DATASET_TESTS + "test_restore_dataset_tasks_restores_every_task_file",
    ),
    "export-legacy without the physics check": Edit(
        DATA_MAIN,
        "    problems = check_dataset(src, env_dims, physics_version).problems",
        "    problems = check_dataset(src, env_dims).problems",
        DATASET_TESTS + "test_export_legacy_cli_refuses_data_of_another_physics",
    ),
    "check without the physics check": Edit(
        DATA_MAIN,
        "    report = check_dataset(data_dir, env_dims, physics_version)",
        "    report = check_dataset(data_dir, env_dims)",
        DATASET_TESTS + "test_check_cli_refuses_data_of_another_physics",
    ),
    "check exiting 0 on problems beside a warning": Edit(
        DATA_MAIN,
        "    if report.problems:\n        raise SystemExit(1)",
        "    if report.problems and not report.warnings:\n        raise SystemExit(1)",
        DATASET_TESTS + "test_check_cli_exits_1_on_problems_even_with_warnings",
    ),
    "check reading step100_backup.npz as a step file": Edit(
        DATA_CHECK,
        'path.suffix == ".npz" and digits.isdigit() else None',
        'path.suffix == ".npz" else None',
        DATASET_TESTS + "test_check_leaves_a_stray_step_named_file_alone",
    ),
    "check skipping the extra episode files": Edit(
        DATA_CHECK,
        "if checkpoint_path(tdir, step, extra=True).is_file():",
        "if checkpoint_path(tdir, step, extra=True).is_dir():",
        DATASET_TESTS + "test_check_reads_a_damaged_extra_file",
    ),
    "check comparing only the observation size with the env's": Edit(
        DATA_CHECK,
        "    if dims == tuple(expected):",
        "    if dims[0] == expected[0]:",
        DATASET_TESTS + "test_check_flags_an_action_size_other_than_the_envs",
    ),
    "an eval run's fingerprint counting the stochastic episodes": Edit(
        FINGERPRINT,
        'lengths = f"{reads[0]}_traj_lengths"',
        'lengths = "sample_traj_lengths"',
        DATASET_TESTS + "test_fingerprint_of_an_eval_run_counts_the_eval_episodes",
    ),
    "import-legacy comparing only the observation size with the env's": Edit(
        LEGACY,
        "    if got == expected:\n        return None",
        "    if got[0] == expected[0]:\n        return None",
        DATASET_TESTS + "test_import_legacy_refuses_another_action_size_than_the_envs",
    ),
    "import-legacy recording the two sizes swapped": Edit(
        LEGACY,
        '"obs_dim": expected[0],\n                "action_dim": expected[1],',
        '"obs_dim": expected[1],\n                "action_dim": expected[0],',
        DATASET_TESTS + "test_import_legacy_records_observation_and_action_sizes_in_their_places",
    ),
    "a short episode's return summing the next episode's rewards": Edit(
        DATASET,
        "rewards[s : s + min(n, horizon)].sum()",
        "rewards[s : s + horizon].sum()",
        DATASET_TESTS + "test_mean_return_over_a_horizon_keeps_a_short_episode_to_its_own_rewards",
    ),
    "an interrupted task's returns.csv compared": Edit(
        DATA_CHECK,
        '    if returns is not None and meta.get("complete"):',
        "    if returns is not None:",
        DATASET_TESTS + "test_check_does_not_compare_an_interrupted_tasks_returns_csv",
    ),
    "returns.csv's nan beside episodes accepted": Edit(
        DATA_CHECK,
        "if not (math.isnan(said) and math.isnan(got)) and",
        "if not (math.isnan(said) and math.isnan(got)) or",
        DATASET_TESTS + "test_check_flags_a_returns_csv_that_says_nan_where_there_are_episodes",
    ),
    "the task description outside the fingerprint": Edit(
        FINGERPRINT, '"task": meta.get("task")}', "}", DATASET_TESTS + "test_fingerprint_covers_the_task_description"
    ),
    "a step file without the kind read as missing": Edit(
        NPZ,
        "            if missing_ok:\n                return None",
        "            if True:\n                return None",
        DATASET_TESTS + "test_a_step_file_without_the_kind_a_run_reads_is_one_line",
    ),
    "an extra file of another action size loaded": Edit(
        LOAD,
        "if t.obs.shape[1] != obs_dim or t.actions.shape[1] != action_dim:",
        "if t.obs.shape[1] != obs_dim:",
        DATASET_TESTS + "test_an_extra_file_of_another_action_size_is_one_line_for_loading",
    ),
    "a stale returns.csv one line per row": Edit(
        DATA_CHECK,
        "                return out  # (one line per file: a stale file differs everywhere)",
        "                pass",
        DATASET_TESTS + "test_check_names_a_stale_returns_csv_in_one_line",
    ),
    "the normalizer not checked at observation size 1": Edit(
        DATA_CHECK,
        "    if type(size) is int and size >= 1:",
        "    if type(size) is int and size > 1:",
        DATASET_TESTS + "test_check_compares_the_normalizer_with_an_observation_size_of_one",
    ),
    "a missing step file left out of the fingerprint": Edit(
        FINGERPRINT,
        "        if not path.is_file():\n            return None",
        "        if not path.is_file():\n            continue",
        DATASET_TESTS + "test_fingerprint_of_a_missing_step_file_is_none",
    ),
    "a damaged deflate stream a traceback": Edit(
        FINGERPRINT,
        "except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as e:",
        "except (OSError, EOFError, zipfile.BadZipFile) as e:",
        DATASET_TESTS + "test_a_damaged_deflate_stream_in_a_fingerprinted_file_is_one_line",
    ),
    "a missing task left out of the fingerprint": Edit(
        FINGERPRINT,
        "        if print_ is None:\n            return None",
        "        if print_ is None:\n            continue",
        DATASET_TESTS + "test_fingerprint_of_a_missing_task_is_none",
    ),
    "legacy rows of five entries read as four": Edit(
        LEGACY,
        "            if len(r) != 4:",
        "            if len(r) < 4:",
        DATASET_TESTS + "test_import_legacy_refuses_rows_of_five_entries",
    ),
    "an empty legacy file a traceback": Edit(
        LEGACY,
        '    if not n:\n        raise UserError(f"{str(path)!r} holds no rows',
        '    if False:\n        raise UserError(f"{str(path)!r} holds no rows',
        DATASET_TESTS + "test_import_legacy_refuses_an_empty_trajectory_file_in_one_line",
    ),
    "a legacy destination that is a file not refused first": Edit(
        LEGACY,
        "    if d.exists() and not d.is_dir():",
        "    if False:",
        DATASET_TESTS + "test_legacy_destination_that_is_a_file_is_refused_before_anything_is_built",
    ),
    "the swapped-in folder's parent not synced": Edit(
        LEGACY,
        "    fsync_folder(dst.parent)\n    if old is not None:",
        "    if old is not None:",
        DATASET_TESTS + "test_the_swapped_in_folder_is_made_durable_by_syncing_its_parent",
    ),
    "legacy observations of size 0 imported": Edit(
        LEGACY,
        'if sizes != ([1] if name == "rewards" else sizes[:1]) or sizes[0] < 1:',
        'if sizes != ([1] if name == "rewards" else sizes[:1]):',
        DATASET_TESTS + "test_import_legacy_refuses_observations_of_size_zero",
    ),
    "the normalizer held to the first of several observation sizes": Edit(
        DATA_CHECK,
        'next(iter(obs_sizes.items())) if len(obs_sizes) == 1 else (None, "")',
        'next(iter(obs_sizes.items())) if len(obs_sizes) >= 1 else (None, "")',
        DATASET_TESTS + "test_check_does_not_hold_the_normalizer_to_one_of_several_observation_sizes",
    ),
    # the audit of stage 1's outputs, the reference returns, show_path and the cluster options (session 23)
    "a checkpoint's mean return from its deterministic episodes": Edit(
        GENERATE,
        "self.last_return[i] = ret_sample if k_sample else ret_mean_action",
        "self.last_return[i] = ret_mean_action if k_sample else ret_sample",
        BEHAVIOUR_TESTS + "test_a_segments_mean_return_is_its_stochastic_episodes",
    ),
    "a checkpoint's rollouts all from one seeded start": Edit(
        GENERATE,
        'eval_seeds = [stream_seed(sched.seed, "behaviour_eval_envs", k) for k in range(n_roll)]',
        'eval_seeds = [stream_seed(sched.seed, "behaviour_eval_envs", 0) for k in range(n_roll)]',
        BEHAVIOUR_TESTS + "test_a_checkpoints_episodes_start_from_their_own_seeded_states",
    ),
    "stage 1's full replay buffer one row short": Edit(
        GENERATE,
        "self.size = min(self.size + 1, self.capacity)",
        "self.size = min(self.size + 1, self.capacity - 1)",
        BEHAVIOUR_TESTS + "test_a_full_replay_buffer_holds_and_samples_its_last_capacity_rows",
    ),
    "the actor's depth from the critic's": Edit(
        BEHAVIOUR_SETTINGS,
        "actor_hidden_depth=int(a.hidden_depth),",
        "actor_hidden_depth=int(c.hidden_depth),",
        BEHAVIOUR_TESTS + "test_each_sac_setting_reaches_its_own_field",
    ),
    "the temperature's betas from the actor's": Edit(
        BEHAVIOUR_SETTINGS,
        "alpha_betas=tuple(p.alpha_betas),",
        "alpha_betas=tuple(p.actor_betas),",
        BEHAVIOUR_TESTS + "test_each_sac_setting_reaches_its_own_field",
    ),
    "regeneration's default count the deterministic one": Edit(
        REGENERATE,
        'episodes = n_trj or int(meta.get("schedule", {}).get("num_eval_sample_episodes", 0)) or 1',
        'episodes = n_trj or int(meta.get("schedule", {}).get("num_eval_episodes", 0)) or 1',
        BEHAVIOUR_TESTS + "test_regeneration_without_n_trj_writes_as_many_episodes_as_a_checkpoint_holds",
    ),
    "regenerated episodes all from one seeded start": Edit(
        REGENERATE,
        '[stream_seed(seed, "regenerate_envs", k) for k in range(n)]',
        '[stream_seed(seed, "regenerate_envs", 0) for k in range(n)]',
        BEHAVIOUR_TESTS + "test_regenerated_episodes_start_from_their_own_seeded_states",
    ),
    "an interrupted task regenerated": Edit(
        REGENERATE,
        'if meta is None or not meta.get("complete"):',
        "if meta is None:",
        BEHAVIOUR_TESTS + "test_regeneration_refuses_a_task_that_is_not_complete",
    ),
    "regeneration under a config of other tasks": Edit(
        REGENERATE,
        'if meta.get("task") is not None and not same_task(meta["task"], env.unwrapped.get_task()):',
        'if meta.get("task") is None and not same_task(meta["task"], env.unwrapped.get_task()):',
        BEHAVIOUR_TESTS + "test_regeneration_refuses_a_config_whose_env_has_other_tasks",
    ),
    "the curves' panels one column off": Edit(
        CURVES,
        'zip(axes, COLUMNS[2:], ("stochastic policy", "deterministic policy"))',
        'zip(axes, COLUMNS[1:], ("stochastic policy", "deterministic policy"))',
        BEHAVIOUR_TESTS + "test_behaviour_curves_plot_each_tasks_own_returns_in_their_own_panel",
    ),
    "a curve's rows by the task's position, not its id": Edit(
        CURVES,
        'd = df[df["task"] == t]',
        'd = df[df["task"] == k]',
        BEHAVIOUR_TESTS + "test_behaviour_curves_plot_each_tasks_own_returns_in_their_own_panel",
    ),
    "every random-return episode seeded alike": Edit(
        TASKS,
        "_episode_return(env, env.reset(seed=seed if i == 0 else None)[0], act, reward_fn, horizon)",
        "_episode_return(env, env.reset(seed=seed)[0], act, reward_fn, horizon)",
        BEHAVIOUR_TESTS + "test_random_return_seeds_the_first_reset_only",
    ),
    "reference returns scored on the dense reward": Edit(
        TASKS,
        "total += float(reward_fn(r)) if reward_fn is not None else r",
        "total += r",
        BEHAVIOUR_TESTS + "test_reference_returns_score_the_reward_they_are_given",
    ),
    "show_path drawing the first jobs, not each task's first run": Edit(
        SHOW_PATH,
        "pick = np.arange(0, len(envs), runs)",
        "pick = np.arange(len(setup.test_tasks))",
        SHOW_TESTS + "test_show_path_draws_each_protocols_first_runs_into_its_own_figure",
    ),
    "a panel drawing the first scored episode": Edit(
        SHOW,
        'scored = [p for kind, p in episodes if kind == "scored"][-1]',
        'scored = [p for kind, p in episodes if kind == "scored"][0]',
        SHOW_TESTS + "test_a_panel_draws_the_last_scored_episode_as_x_y",
    ),
    "load_run's iteration one past the snapshot's": Edit(
        SHOW,
        "return setup, trainer, done - 1",
        "return setup, trainer, done",
        SHOW_TESTS + "test_load_run_gives_the_iteration_whose_meta_test_the_snapshot_holds",
    ),
    "the z picture's colours task-interleaved": Edit(
        SHOW,
        "labels = np.concatenate([np.repeat(np.arange(len(tasks)), z.shape[1]) for z in zs.values()])",
        "labels = np.concatenate([np.tile(np.arange(len(tasks)), z.shape[1]) for z in zs.values()])",
        SHOW_TESTS + "test_the_z_picture_colours_each_point_by_its_task",
    ),
    "show_path's z regrouped run-major": Edit(
        SHOW_PATH,
        "zs[protocol] = z.reshape(len(setup.test_tasks), runs, -1)",
        "zs[protocol] = z.reshape(runs, len(setup.test_tasks), -1).transpose(1, 0, 2)",
        SHOW_TESTS + "test_show_path_draws_each_protocols_first_runs_into_its_own_figure",
    ),
    "a panel's point robot drawn as (y, x)": Edit(
        SHOW,
        "xy = (np.arange(len(scored)), scored[:, 0]) if planar else (scored[:, 0], scored[:, 1])",
        "xy = (np.arange(len(scored)), scored[:, 0]) if planar else (scored[:, 1], scored[:, 0])",
        SHOW_TESTS + "test_a_panel_draws_the_last_scored_episode_as_x_y",
    ),
    "--max-retries without --ray ignored": Edit(
        CLUSTER_OPTIONS,
        ', ("--max-retries", retries))',
        ")",
        CLUSTER_TESTS + "test_max_retries_without_ray_is_refused",
    ),
    "the Ray driver writing task.json before a segment's other files": Edit(
        CLUSTER_BEHAVIOUR,
        'write_tree(task_dir(self.data_dir, self.task), result.files, last=("task.json",))',
        "write_tree(task_dir(self.data_dir, self.task), result.files)",
        CLUSTER_TESTS + "test_the_ray_driver_writes_a_segments_task_json_after_its_other_files",
    ),
    # the audit of run folders, their files, snapshots and resume (session 23)
    "read_tree dropping every dotted or .tmp file, not only unfinished writes": Edit(
        FILEIO,
        'and not (rel.name.startswith(".") and rel.name.endswith(".tmp"))',
        'and not (rel.name.startswith(".") or rel.name.endswith(".tmp"))',
        RUN_FOLDER_TESTS + "test_read_tree_drops_only_unfinished_atomic_writes",
    ),
    "an infinite progress.csv cell resumed": Edit(
        FILEIO,
        "if np.isinf(values[i, j]) or (whole and not values[i, j].is_integer()):",
        "if whole and not values[i, j].is_integer():",
        "tests/test_logging.py::test_resume_on_a_damaged_progress_csv_is_one_line",
    ),
    "a progress.csv row of too few cells resumed": Edit(
        FILEIO,
        "        if len(row) != len(header):",
        "        if len(row) > len(header):",
        "tests/test_logging.py::test_resume_on_a_damaged_progress_csv_is_one_line",
    ),
    "lock_holder naming a process that reuses the pid": Edit(
        FILEIO,
        'return f"pid {pid}" if identity_alive(pid, ident) else None',
        'return f"pid {pid}" if process_alive(pid) else None',
        RUN_FOLDER_TESTS + "test_lock_holder_does_not_name_a_process_that_only_reuses_the_pid",
    ),
    "snapshots due by the iteration count, not the Epoch": Edit(
        RUN_FOLDER,
        "epoch % a.snapshot_gap == 0",
        "iteration % a.snapshot_gap == 0",
        RUN_FOLDER_TESTS + "test_snapshots_are_due_every_snapshot_gap_epochs_from_epoch_0_and_at_the_last_iteration",
    ),
    "the last snapshot due one iteration late": Edit(
        RUN_FOLDER,
        "or iteration in (a.num_iterations, last))",
        "or epoch in (a.num_iterations, last))",
        RUN_FOLDER_TESTS + "test_snapshots_are_due_every_snapshot_gap_epochs_from_epoch_0_and_at_the_last_iteration",
    ),
    "a resume compared with code.json's first entry, not its last": Edit(
        RUN_FOLDER,
        "last = kept[-1] if kept and isinstance(kept[-1], dict) else None",
        "last = kept[0] if kept and isinstance(kept[0], dict) else None",
        RUN_FOLDER_TESTS + "test_code_json_records_a_return_to_an_earlier_device",
    ),
    "a run whose snapshot is there locked to check it": Edit(
        RUN_FOLDER,
        'if snapshot is not None and not snapshot.is_file() and (out_dir / "latest.pt").is_file():',
        'if snapshot is not None and (out_dir / "latest.pt").is_file():',
        RUN_FOLDER_TESTS + "test_a_run_whose_snapshot_is_there_is_not_locked_to_check_it",
    ),
    "snapshot names in text order": Edit(
        RUN_FOLDER,
        'return [p.name for p in sorted((out_dir / "snapshots").glob("*.pt"), key=order)]',
        'return [p.name for p in sorted((out_dir / "snapshots").glob("*.pt"))]',
        RUN_FOLDER_TESTS + "test_snapshot_names_are_in_iteration_order",
    ),
    "a resume on another GPU refused as another config": Edit(
        RUN_FOLDER,
        '    "util_params.gpu_id",\n',
        "",
        RUN_FOLDER_TESTS + "test_a_run_resumes_on_another_gpu_or_from_another_folder",
    ),
    "progress.csv rewritten in place": Edit(
        LOGGER,
        'atomic_write_text(self.dir / "progress.csv", buf.getvalue())',
        '(self.dir / "progress.csv").write_text(buf.getvalue())',
        RUN_FOLDER_TESTS + "test_progress_csv_is_replaced_whole_so_an_open_reader_sees_the_old_file",
    ),
    "a resumed progress.csv's columns forgotten": Edit(
        LOGGER,
        "        self.keys = list(table.columns)",
        "        self.keys = None",
        RUN_FOLDER_TESTS + "test_a_run_resumed_by_a_version_with_more_columns_keeps_its_values_and_resumes_again",
    ),
    "a resumed run's added columns one too many": Edit(
        LOGGER,
        "added = list(row)[len(self.keys) :]",
        "added = list(row)[len(self.keys) - 1 :]",
        RUN_FOLDER_TESTS + "test_a_run_resumed_by_a_version_with_more_columns_keeps_its_values_and_resumes_again",
    ),
    "a switch reading its variable at every use": Edit(
        SWITCH,
        "            self._read = True",
        "            pass",
        RUN_FOLDER_TESTS + "test_a_switch_reads_its_environment_variable_once",
    ),
    "generators reseeded alike at every resume across device types": Edit(
        EXPERIMENT,
        "holder[key], self.setup.seed, stream, iteration)",
        "holder[key], self.setup.seed, stream, 0)",
        RUN_FOLDER_TESTS + "test_generators_saved_on_the_other_device_type_are_reseeded_by_the_resume_iteration",
    ),
    "a segment's max_iterations counted from 0": Edit(
        EXPERIMENT,
        'else min(a.num_iterations, self.counters["iteration"] + max_iterations)',
        "else min(a.num_iterations, max_iterations)",
        RUN_FOLDER_TESTS + "test_a_segment_of_max_iterations_continues_from_where_the_run_stands",
    ),
    "a replaced run keeping the failed start's dataset.json": Edit(
        EXPERIMENT,
        "if self.setup.data_print is None or (resumed and path.is_file()):",
        "if self.setup.data_print is None or path.is_file():",
        RUN_FOLDER_TESTS + "test_a_new_run_in_a_folder_without_snapshot_records_the_data_it_reads_now",
    ),
    "latest.pt written in place": Edit(
        EXPERIMENT,
        'atomic_write(self.setup.out_dir / "latest.pt", lambda f: torch.save(state, f))',
        'torch.save(state, self.setup.out_dir / "latest.pt")',
        RUN_FOLDER_TESTS + "test_a_save_that_fails_midway_keeps_the_previous_latest_pt",
    ),
    "a finished run's rerun recording its code": Edit(
        EXPERIMENT,
        'training = self.counters["iteration"] < a.num_iterations',
        'training = self.counters["iteration"] <= a.num_iterations',
        RUN_FOLDER_TESTS + "test_a_finished_run_that_is_rerun_records_no_code",
    ),
    "the Ray driver keeping only as many jobs under way as the cluster runs at once": Edit(
        CLUSTER_ENGINE,
        "while queue and len(running) < slots + 1:",
        "while queue and len(running) < slots:",
        CLUSTER_TESTS + "test_the_ray_driver_keeps_one_job_more_than_the_slots_under_way_and_sums_each_jobs_segments",
    ),
    "the Ray driver counting a segment's first attempt as a retry": Edit(
        CLUSTER_ENGINE,
        'record.retries += info["attempt"] - 1',
        'record.retries += info["attempt"]',
        CLUSTER_TESTS + "test_the_ray_driver_keeps_one_job_more_than_the_slots_under_way_and_sums_each_jobs_segments",
    ),
    "a failed job freeing no place for a queued one": Edit(
        CLUSTER_ENGINE,
        'out(f"{chain.name}: FAILED ({record.status[8:]}) [{done}/{len(chains)}]")\n            start()',
        'out(f"{chain.name}: FAILED ({record.status[8:]}) [{done}/{len(chains)}]")',
        CLUSTER_TESTS + "test_the_ray_driver_keeps_one_job_more_than_the_slots_under_way_and_sums_each_jobs_segments",
    ),
    "a node's dataset key from the files' bytes alone (the same files under other tasks share it)": Edit(
        CLUSTER_RUNS,
        'h.update(rel.encode() + b"\\0" + len(data).to_bytes(8, "little") + data)',
        "h.update(data)",
        CLUSTER_TESTS + "test_a_datasets_key_on_the_nodes_changes_with_any_file_it_sends",
    ),
    "a node's dataset key without a mark between a file's name and its bytes": Edit(
        CLUSTER_RUNS,
        'h.update(rel.encode() + b"\\0" + len(data).to_bytes(8, "little") + data)',
        "h.update(rel.encode() + data)",
        CLUSTER_TESTS + "test_a_datasets_key_on_the_nodes_changes_with_any_file_it_sends",
    ),
    "the Ray driver writing a run's snapshot before its latest.pt": Edit(
        CLUSTER_RUNS,
        'last=("latest.pt", "snapshots/*")',
        'last=("snapshots/*", "latest.pt")',
        CLUSTER_TESTS
        + "test_the_ray_driver_writes_a_runs_latest_pt_then_its_snapshot_after_the_iterations_other_files",
    ),
    "the env-steps column holding the rollouts": Edit(
        COLUMNS,
        '"Number of env steps total": counters["env_steps"],',
        '"Number of env steps total": counters["rollouts"],',
        LOGGING_TESTS + "test_each_counter_and_timer_lands_in_its_own_column",
    ),
    "Epoch Time holding the training time": Edit(
        COLUMNS,
        'TIMING_COLUMNS[2]: times["epoch"],',
        'TIMING_COLUMNS[2]: times["train"],',
        LOGGING_TESTS + "test_each_counter_and_timer_lands_in_its_own_column",
    ),
    "a belief without a within-task estimate called collapsed": Edit(
        COLUMNS,
        "if math.isnan(across) or math.isnan(ratio) or (ratio",
        "if math.isnan(across) and math.isnan(ratio) or (ratio",
        LOGGING_TESTS + "test_a_belief_without_a_within_task_estimate_is_not_called_collapsed",
    ),
    "an unset switch without a default read again at each use": Edit(
        SWITCH,
        "        if not self._read:",
        "        if self._value is None:",
        RUN_FOLDER_TESTS + "test_a_switch_without_default_left_unset_stays_undecided_for_the_process",
    ),
    "the test tasks read from train_epoch's checkpoints": Edit(
        EXPERIMENT,
        "return load(train, a.train_epoch), load(test, a.eval_epoch)",
        "return load(train, a.train_epoch), load(test, a.train_epoch)",
        META_TRAINER_TESTS + "test_test_tasks_are_read_from_the_eval_epoch_checkpoints",
    ),
    "eval_returns_itr_N.json named one iteration late": Edit(
        EXPERIMENT,
        'self.setup.out_dir / f"eval_returns_itr_{it}.json"',
        'self.setup.out_dir / f"eval_returns_itr_{it + 1}.json"',
        META_TRAINER_TESTS + "test_an_iterations_eval_returns_file_is_named_by_its_progress_rows_epoch",
    ),
    "Epoch Time measured from the end of training": Edit(
        EXPERIMENT,
        '"epoch": time.time() - t0}',
        '"epoch": time.time() - t1}',
        META_TRAINER_TESTS + "test_an_iterations_epoch_time_covers_its_training_and_its_meta_test",
    ),
    "Total Train Time holding the last iteration's only": Edit(
        EXPERIMENT,
        'self.counters["train_time"] += train_time',
        'self.counters["train_time"] = train_time',
        META_TRAINER_TESTS + "test_total_train_time_adds_up_over_the_iterations",
    ),
    "BOREL's last VAE block averaged over a full block's steps": Edit(
        EXPERIMENT,
        "means = (sums / n).tolist()",
        "means = (sums / self.cfg.algo_params.num_train_steps_per_itr).tolist()",
        META_TRAINER_TESTS + "test_borels_vae_blocks_are_logged_at_the_vae_step_they_end_with_their_own_means",
    ),
    "BOREL's VAE blocks logged at the step they begin at": Edit(
        EXPERIMENT,
        'if k != "steps"}, done + n)',
        'if k != "steps"}, done)',
        META_TRAINER_TESTS + "test_borels_vae_blocks_are_logged_at_the_vae_step_they_end_with_their_own_means",
    ),
    "a resume not handing the meta-test's env generators back": Edit(
        EXPERIMENT,
        'if "eval_env_rng" in state:',
        'if "eval_env_rng" not in state:',
        META_TRAINER_TESTS + "test_a_resume_continues_the_meta_tests_env_generators",
    ),
    "a resume dropping TensorBoard's last saved iteration": Edit(
        EXPERIMENT,
        '            logger.resume_at(\n                self.counters["iteration"],',
        '            logger.resume_at(\n                self.counters["iteration"] - 1,',
        META_TRAINER_TESTS + "test_tensorboard_after_a_resume_keeps_the_last_saved_iteration_once",
    ),
    "a resume keeping the killed process's progress.csv row": Edit(
        EXPERIMENT,
        'logger.load_rows(self.counters["iteration"])',
        'logger.load_rows(self.counters["iteration"] + 1)',
        META_TRAINER_TESTS + "test_tensorboard_after_a_resume_keeps_the_last_saved_iteration_once",
    ),
    "the sampled test z reseeded on the policy noise's stream after a device change": Edit(
        EXPERIMENT,
        'self.trainer.agent.test_z_generator, "test_z"))',
        'self.trainer.agent.test_z_generator, "train_noise"))',
        META_TRAINER_TESTS + "test_generators_reseeded_after_a_device_change_draw_distinct_streams",
    ),
    "a worker fingerprinting the config's data_dir, not its copy": Edit(
        EXPERIMENT,
        "        run_data_print(cfg, data_dir),",
        "        run_data_print(cfg, Path(cfg.algo_params.data_dir)),",
        CLUSTER_TESTS + "test_a_worker_fingerprints_the_copy_it_reads_where_the_configs_data_dir_is_not_on_its_node",
    ),
    "a fractional count truncated": Edit(
        CONFIG_PY,
        "if type(value) is int or (type(value) is float and value.is_integer()):",
        "if type(value) is int or type(value) is float:",
        CONFIG_TESTS + "test_a_fractional_count_is_refused_not_truncated",
    ),
    "a checkpoint range from 0 refused": Edit(
        CONFIG_PY,
        "epochs[0] >= 0 and epochs[2] > 0",
        "epochs[0] > 0 and epochs[2] > 0",
        CONFIG_TESTS + "test_checkpoint_zero_may_start_the_range",
    ),
    "an empty checkpoint range accepted": Edit(
        CONFIG_PY,
        "epochs[2] > 0 and epochs[0] < epochs[1]",
        "epochs[2] > 0 and epochs[0] <= epochs[1]",
        CONFIG_TESTS + "test_an_empty_checkpoint_range_is_refused",
    ),
    "a meta-test of one scored episode refused": Edit(
        CONFIG_PY,
        "a.num_steps_per_eval >= a.max_path_length,",
        "a.num_steps_per_eval > a.max_path_length,",
        CONFIG_TESTS + "test_a_meta_test_of_one_scored_episode_with_online_inference_from_the_start_loads",
    ),
    "a config file's per-env key replaced by the method's default": Edit(
        CONFIG_PY,
        "_per_env_defaults(data, [doc if json_path is not None else {}, *(t or {} for t in overrides)])",
        "_per_env_defaults(data, [*(t or {} for t in overrides)])",
        CONFIG_TESTS + "test_a_value_the_config_file_sets_beats_the_methods_per_env_default",
    ),
    "None on the command line read as a string": Edit(
        CONFIG_PY,
        '{"True": True, "False": False, "None": None}.get(raw, raw)',
        '{"True": True, "False": False}.get(raw, raw)',
        CONFIG_TESTS + "test_python_style_none_on_the_command_line_is_null",
    ),
    "an explicit borel_decode_state false read as unset": Edit(
        CONFIG_PY,
        "return env_name in DYNAMICS_FAMILIES if given is None else given",
        "return env_name in DYNAMICS_FAMILIES if not given else given",
        CONFIG_TESTS + "test_borel_decode_state_false_on_a_dynamics_family_is_kept",
    ),
    "a config not recording its file": Edit(
        CONFIG_PY,
        '        data["util_params"]["config_file"] = str(path)\n',
        "",
        CONFIG_TESTS + "test_a_config_records_the_file_it_was_loaded_from",
    ),
    "the paper profile before an env's CPU-sized one": Edit(
        PLAN,
        "return {k: merged[k] for k in [*(k for k in extra if k not in base), *base]}",
        "return {k: merged[k] for k in [*base, *(k for k in extra if k not in base)]}",
        PLAN_TESTS + "test_the_default_profile_is_the_cpu_sized_results_profile_where_an_env_has_one",
    ),
    "point-robot's tiny profile replaced by the derived one": Edit(
        PLAN,
        "merged = base | extra",
        "merged = extra | base",
        PLAN_TESTS + "test_point_robots_tiny_profile_is_the_file_the_tests_data_comes_from",
    ),
    "two methods of one algo_type in one folder": Edit(
        PLAN,
        '"exp_name": f"{profile_name}-{m}"',
        '"exp_name": f"{profile_name}-{algo_type}"',
        PLAN_TESTS + "test_every_run_writes_into_the_folder_the_plan_checks_and_no_two_share_one",
    ),
    "a run stopped in its VAE stage counted as new": Edit(
        PLAN,
        '"resume" if done > 0 or started else "new"',
        '"resume" if done > 0 else "new"',
        PLAN_TESTS + "test_a_run_holding_all_its_iterations_is_finished_and_one_stopped_in_its_vae_stage_resumes",
    ),
    "a finished run trained again": Edit(
        PLAN,
        'return "finished" if done >= n else',
        'return "finished" if done > n else',
        PLAN_TESTS + "test_a_run_holding_all_its_iterations_is_finished_and_one_stopped_in_its_vae_stage_resumes",
    ),
    "runs of several threads counted one per core": Edit(
        PLAN,
        "slots = min(jobs, len(todo), max(1, cores // first.threads))",
        "slots = min(jobs, len(todo), max(1, cores))",
        PLAN_TESTS + "test_runs_of_several_threads_each_are_counted_as_the_cores_hold_them",
    ),
    "the point robots' profiles on the MuJoCo SAC settings": Edit(
        PLAN,
        "point = env in POINT_FAMILIES",
        "point = env not in POINT_FAMILIES",
        PLAN_TESTS + "test_every_profiles_behaviour_schedule_is_built_on_its_env_familys_sac_settings",
    ),
    "a run folder compared without its seed": Edit(
        PLAN,
        "variant = dict(cfg.to_dict(), seed=spec.seed)",
        "variant = cfg.to_dict()",
        PLAN_TESTS + "test_a_stopped_run_of_the_plans_config_and_seed_resumes_and_one_of_another_seed_is_refused",
    ),
    "CORRO's CVAE stage not cut at the run's end": Edit(
        BUDGET,
        "return min(c.cvae_steps, total), min",
        "return c.cvae_steps, min",
        BUDGET_CASES + "test_corros_stages_never_count_more_steps_than_the_run_has",
    ),
    "CORRO's pretraining not cut where the CVAE leaves off": Edit(
        BUDGET,
        "min(c.pretrain_steps, max(total - c.cvae_steps, 0))",
        "min(c.pretrain_steps, total)",
        BUDGET_CASES + "test_corros_stages_never_count_more_steps_than_the_run_has",
    ),
    "BOREL's VAE step priced on the meta-batch": Edit(
        BUDGET,
        "vae = synthetic_vae_step(cfg, n_tasks=cfg.n_train_tasks, transitions=max(2000, longest))",
        "vae = synthetic_vae_step(cfg, n_tasks=cfg.algo_params.meta_batch, transitions=max(2000, longest))",
        BUDGET_CASES + "test_borels_vae_step_is_counted_on_the_runs_training_tasks_not_its_meta_batch",
    ),
    "CORRO's pretraining priced as CVAE steps": Edit(
        BUDGET,
        'stages = (("CVAE", 0, cvae), ("E1 pretraining", cvae, pretrain))',
        'stages = (("CVAE", 0, cvae), ("E1 pretraining", 0, pretrain))',
        BUDGET_CASES + "test_corros_e1_pretraining_after_a_cvae_stage_is_priced_as_e1_steps",
    ),
    "a sparse run's meta-test scored with the dense reward": Edit(
        EVALUATOR,
        "self.reward_fn = scored_reward_fn(cfg, self.envs[0])",
        "self.reward_fn = None",
        "tests/test_evaluator.py::test_a_sparse_run_scores_every_protocol_with_the_sparse_reward",
    ),
    "the online protocol scoring the dense reward on a sparse run": Edit(
        EVALUATOR,
        "        return online_prior_context(agent, envs, setting, device, reward_fn, on_paths=on_paths)",
        "        return online_prior_context(agent, envs, setting, device, None, on_paths=on_paths)",
        "tests/test_evaluator.py::test_a_sparse_run_scores_every_protocol_with_the_sparse_reward",
    ),
    "the offline protocol scoring the dense reward on a sparse run": Edit(
        EVALUATOR,
        "return offline_context(agent, envs, tasks, buffer, setting, device, gen, reward_fn, on_paths=on_paths)",
        "return offline_context(agent, envs, tasks, buffer, setting, device, gen, None, on_paths=on_paths)",
        "tests/test_evaluator.py::test_a_sparse_run_scores_every_protocol_with_the_sparse_reward",
    ),
    "BOREL's offline protocol scoring the dense reward on a sparse run": Edit(
        EVALUATOR,
        "agent, envs, tasks, belief.episodes, setting, w, device, gen, reward_fn, on_paths=on_paths",
        "agent, envs, tasks, belief.episodes, setting, w, device, gen, None, on_paths=on_paths",
        "tests/test_evaluator.py::test_a_sparse_borel_run_scores_every_protocol_with_the_sparse_reward",
    ),
    "BOREL's online protocol scoring the dense reward on a sparse run": Edit(
        EVALUATOR,
        "return online_prior_context_recurrent(agent, envs, setting, w, device, reward_fn, on_paths=on_paths)",
        "return online_prior_context_recurrent(agent, envs, setting, w, device, None, on_paths=on_paths)",
        "tests/test_evaluator.py::test_a_sparse_borel_run_scores_every_protocol_with_the_sparse_reward",
    ),
    "BOREL's Np protocol scoring the dense reward on a sparse run": Edit(
        EVALUATOR,
        "w, device, streams.np_random, streams.np_policy, reward_fn, on_paths=on_paths",
        "w, device, streams.np_random, streams.np_policy, None, on_paths=on_paths",
        "tests/test_evaluator.py::test_a_sparse_borel_run_scores_every_protocol_with_the_sparse_reward",
    ),
    "BOREL's offline context of borel_episodes episodes, not one": Edit(
        EVALUATOR,
        "SequenceIndex(eval_buffer, 1, a.n_trj",
        "SequenceIndex(eval_buffer, a.borel_episodes, a.n_trj",
        "tests/test_evaluator.py::test_borels_offline_context_is_one_whole_offline_episode",
    ),
    "every meta-test drawing the same sampled z": Edit(
        EVALUATOR,
        'gen.manual_seed(stream_seed(seed, "test_z", iteration))',
        'gen.manual_seed(stream_seed(seed, "test_z", 0))',
        "tests/test_evaluator.py::test_each_meta_test_draws_its_own_sampled_z",
    ),
    "BOREL's online belief fed the last episode's dense rewards on a sparse run": Edit(
        RECURRENT,
        "            r = paths.rewards[i, :n] if self.reward_fn is None else self.reward_fn(paths.rewards[i, :n])",
        "            r = paths.rewards[i, :n]",
        "tests/test_borel.py::test_online_belief_reads_the_sparse_reward_in_its_steps_and_its_context",
    ),
    "BOREL's online belief fed each step's dense reward on a sparse run": Edit(
        RECURRENT,
        "        r = paths.rewards[jobs, t] if self.reward_fn is None else self.reward_fn(paths.rewards[jobs, t])",
        "        r = paths.rewards[jobs, t]",
        "tests/test_borel.py::test_online_belief_reads_the_sparse_reward_in_its_steps_and_its_context",
    ),
    "a short offline context episode fed with its padding": Edit(
        RECURRENT,
        "            belief.add(i, rows[i, : int(n[i])])",
        "            belief.add(i, rows[i])",
        "tests/test_borel.py::test_a_short_offline_episode_is_fed_without_its_padding",
    ),
    "BOREL's offline scored steps fed the dense reward on a sparse run": Edit(
        RECURRENT,
        'as the online protocols do.)"""\n    belief = _Belief(agent, len(envs), window, device, reward_fn)',
        'as the online protocols do.)"""\n    belief = _Belief(agent, len(envs), window, device)',
        "tests/test_borel.py::test_offline_scored_steps_read_the_sparse_reward_and_the_context_as_stored",
    ),
    "a recurrent protocol's z_std reported as the variance": Edit(
        RECURRENT,
        "return ProtocolResult(returns, mu.cpu().numpy().copy(), (0.5 * logvar).exp().mean(dim=1).cpu().numpy())",
        "return ProtocolResult(returns, mu.cpu().numpy().copy(), logvar.exp().mean(dim=1).cpu().numpy())",
        "tests/test_borel.py::test_a_recurrent_protocols_z_is_the_last_belief_mean_and_z_std_its_std",
    ),
    "a recurrent protocol's z and log-variance swapped": Edit(
        RECURRENT,
        "mu, logvar = self.z[:, :L], self.z[:, L:]",
        "mu, logvar = self.z[:, L:], self.z[:, :L]",
        "tests/test_borel.py::test_a_recurrent_protocols_z_is_the_last_belief_mean_and_z_std_its_std",
    ),
    "PEARL's sampled test z drawn around 0, not the posterior mean": Edit(
        AGENT,
        "        return z + post_var.sqrt() * torch.randn(",
        "        return post_var.sqrt() * torch.randn(",
        "tests/test_offpearl.py::test_pearls_sampled_meta_test_z_is_drawn_around_the_posterior_mean",
    ),
    "a batch of only empty contexts sent to the encoder's mean": Edit(
        AGENT,
        "        if len(lengths) == 1 and 0 not in lengths:",
        "        if len(lengths) == 1:",
        "tests/test_variants.py::test_infer_z_list_gives_each_context_its_own_mean_and_an_empty_one_the_prior",
    ),
    "a one-transition context given the prior": Edit(
        AGENT,
        "            if len(c):",
        "            if len(c) > 1:",
        "tests/test_variants.py::test_infer_z_list_gives_each_context_its_own_mean_and_an_empty_one_the_prior",
    ),
    "UNICORN's reward reconstruction summed over rows": Edit(
        UNICORN,
        "((reward_pred - rewards) ** 2).mean()",
        "((reward_pred - rewards) ** 2).sum()",
        "tests/test_baselines.py::test_decoder_loss_averages_over_rows_by_hand",
    ),
    "UNICORN's metric term detached from z": Edit(
        UNICORN,
        "return recon + beta * losses.focal_metric_loss(z, task_ids), recon.detach()",
        "return recon + beta * losses.focal_metric_loss(z.detach(), task_ids), recon.detach()",
        "tests/test_baselines.py::test_both_terms_of_the_loss_reach_z",
    ),
    "UNICORN's decoder reading a detached z": Edit(
        UNICORN,
        "out = self.net(torch.cat([z, obs, actions], dim=-1))",
        "out = self.net(torch.cat([z.detach(), obs, actions], dim=-1))",
        "tests/test_baselines.py::test_both_terms_of_the_loss_reach_z",
    ),
    "the policy's log-std floor at -2, not -20": Edit(
        NETWORKS,
        "LOG_STD_MIN, LOG_STD_MAX = -20.0, 0.0",
        "LOG_STD_MIN, LOG_STD_MAX = -2.0, 0.0",
        "tests/test_networks.py::test_policy_log_std_clamped_below_at_minus_20",
    ),
    "the policy's log-std without its floor": Edit(
        NETWORKS,
        "log_std = log_std.clamp(LOG_STD_MIN, LOG_STD_MAX)",
        "log_std = log_std.clamp(max=LOG_STD_MAX)",
        "tests/test_networks.py::test_policy_log_std_clamped_below_at_minus_20",
    ),
    "cheetah-dir's random directions in {-1, 0}": Edit(
        HALF_CHEETAH,
        "return 2 * np.random.RandomState(1337).binomial(1, 0.5, size=n_tasks) - 1",
        "return np.random.RandomState(1337).binomial(1, 0.5, size=n_tasks) - 1",
        "tests/test_mujoco_envs.py::test_random_cheetah_directions_are_plus_or_minus_one_coin_flips",
    ),
    "ant-dir's random directions of another seed": Edit(
        ANT,
        "random_directions(n_tasks, 1337)",
        "random_directions(n_tasks, 1334)",
        "tests/test_mujoco_envs.py::test_random_ant_directions_come_from_random_state_1337",
    ),
    "rand-params' log_scale_limit not passed on": Edit(
        RAND_PARAMS,
        "multipliers = sample_multipliers(shapes, n_tasks, log_scale_limit)",
        "multipliers = sample_multipliers(shapes, n_tasks)",
        "tests/test_mujoco_envs.py::test_rand_params_log_scale_limit_bounds_every_multiplier",
    ),
    "a rand-params task's masses without mj_setConst": Edit(
        RAND_PARAMS,
        "    mujoco.mj_setConst(model, data)",
        "    pass",
        "tests/test_mujoco_envs.py::test_a_tasks_derived_masses_are_its_own",
    ),
    "rand-params' reset velocities Gaussian": Edit(
        RAND_PARAMS,
        "    qvel_noise_uniform = True",
        "    qvel_noise_uniform = False",
        "tests/test_mujoco_envs.py::test_reset_noise_is_uniform_within_0_005",
    ),
    "rand-params' reset positions noised ten times more": Edit(
        RAND_PARAMS,
        "    qpos_noise = 0.005",
        "    qpos_noise = 0.05",
        "tests/test_mujoco_envs.py::test_reset_noise_is_uniform_within_0_005",
    ),
    "a hopper fallen backwards kept alive": Edit(
        HOPPER,
        "abs(angle) < 0.2",
        "angle < 0.2",
        "tests/test_mujoco_envs.py::test_hopper_ends_when_tilted_backwards_too",
    ),
    "the hopper ending at the walker's height": Edit(
        HOPPER,
        "and height > 0.7 and",
        "and height > 0.8 and",
        "tests/test_mujoco_envs.py::test_hopper_height_bound_is_0_7",
    ),
    "the hopper's state bound at 10, not 100": Edit(
        HOPPER,
        "(np.abs(s[2:]) < 100).all()",
        "(np.abs(s[2:]) < 10).all()",
        "tests/test_mujoco_envs.py::test_hopper_velocities_up_to_100_are_healthy",
    ),
    "a walker thrown above height 2 kept alive": Edit(
        WALKER,
        "return bool(0.8 < height < 2.0 and",
        "return bool(0.8 < height and",
        "tests/test_mujoco_envs.py::test_walker_healthy_range_is_open_on_both_sides",
    ),
    "a walker fallen backwards kept alive": Edit(
        WALKER,
        "and -1.0 < angle < 1.0)",
        "and angle < 1.0)",
        "tests/test_mujoco_envs.py::test_walker_healthy_range_is_open_on_both_sides",
    ),
    "the walker ending at the hopper's height": Edit(
        WALKER,
        "return bool(0.8 < height < 2.0 and",
        "return bool(0.7 < height < 2.0 and",
        "tests/test_mujoco_envs.py::test_walker_healthy_range_is_open_on_both_sides",
    ),
    "task.json's targets matched to 1 %": Edit(
        DATA_META,
        "return bool(np.isclose(a, b, rtol=1e-6, atol=1e-9))",
        "return bool(np.isclose(a, b, rtol=1e-2, atol=1e-9))",
        "tests/test_dataset.py::test_cheetah_targets_of_another_task_count_are_another_task",
    ),
    "task.json's lists matched on their common prefix": Edit(
        DATA_META,
        "return len(a) == len(b) and all(same_task(x, y) for x, y in zip(a, b))",
        "return all(same_task(x, y) for x, y in zip(a, b))",
        "tests/test_dataset.py::test_lists_of_other_lengths_and_dicts_of_other_keys_differ",
    ),
    "task.json's records matched without their keys": Edit(
        DATA_META,
        "return a.keys() == b.keys() and all(same_task(a[k], b[k]) for k in a)",
        "return all(same_task(a[k], b.get(k)) for k in a)",
        "tests/test_dataset.py::test_lists_of_other_lengths_and_dicts_of_other_keys_differ",
    ),
    "a short sequence's last row joined to its padding": Edit(
        BOREL_PY,
        "< index.lengths[:, None]  # step k + 1 is real",
        "<= index.lengths[:, None]  # step k + 1 is real",
        "tests/test_borel.py::test_a_shorter_sequences_last_row_keeps_its_own_next_state_and_its_terminal",
    ),
    "BOREL's join past a sequence's last real row": Edit(
        BOREL_PY,
        "join = inside & ends[cur]",
        "join = ends[cur]",
        "tests/test_borel.py::test_a_shorter_sequences_last_row_keeps_its_own_next_state_and_its_terminal",
    ),
    "BOREL's subsampled state term weighted by every real belief": Edit(
        BOREL_PY,
        "state = ((((state_pred - next_obs[:, None]) ** 2).sum(-1) * per_k[:, None]).sum(-1) * decoded).sum(-1)",
        "state = ((((state_pred - next_obs[:, None]) ** 2).sum(-1) * per_k[:, None]).sum(-1) * latent).sum(-1)",
        "tests/test_borel.py::test_subsampled_beliefs_weight_the_state_term_as_the_reward_term",
    ),
    "BOREL's ELBO counting the padding of short sequences": Edit(
        BOREL_PY,
        "batch.mask.reshape(-1, T), *_dims(batch))",
        "torch.ones_like(batch.mask.reshape(-1, T)), *_dims(batch))",
        "tests/test_borel.py::test_the_vaes_elbo_ignores_what_the_padding_of_a_short_sequence_holds",
    ),
    "BOREL's reward reconstruction not training the encoder": Edit(
        BOREL_PY,
        "reward_pred = self.reward_decoder(zz, s2[:, None]",
        "reward_pred = self.reward_decoder(zz.detach(), s2[:, None]",
        "tests/test_borel.py::test_the_reward_reconstruction_trains_the_belief_encoder",
    ),
    "BOREL's sequences reading the dense reward on a sparse run": Edit(
        SEQUENCES,
        "return self.rows[..., o + a : o + a + 1]",
        "return self.rows[..., -2:-1]",
        "tests/test_borel.py::test_the_vae_reads_the_context_reward_of_its_sequences_the_sparse_one_on_a_sparse_run",
    ),
    "on_step not shown the last step of an ending episode": Edit(
        ROLLOUT,
        "stepped = alive.copy()",
        "stepped = alive",
        "tests/test_eval.py::test_on_step_sees_the_last_step_of_an_episode_that_ends",
    ),
    "the policy acting on the reset observation all episode": Edit(
        ROLLOUT,
        "            obs[i] = nxt\n",
        "",
        "tests/test_eval.py::test_the_policy_acts_on_the_current_observation_and_episodes_chain",
    ),
    "an online context row's s' the step's own s": Edit(
        ROLLOUT,
        "parts.append(self.next_obs[i, :n])",
        "parts.append(self.obs[i, :n])",
        "tests/test_eval.py::test_an_online_context_row_is_s_a_r_s_prime_of_its_step",
    ),
    "--gpu 0 read as the CPU": Edit(
        CLI,
        "return None if gpu is None or gpu == -1 else gpu",
        "return None if gpu is None or gpu <= 0 else gpu",
        "tests/test_graphs.py::test_gpu_zero_is_the_first_cuda_device_not_the_cpu",
    ),
    "--gpu N on a machine of N GPUs given cuda:N": Edit(
        CLI,
        "if gpu is not None and gpu >= count:",
        "if gpu is not None and gpu > count:",
        "tests/test_graphs.py::test_a_gpu_number_equal_to_the_device_count_is_beyond_the_devices",
    ),
    "a config's use_gpu read as --gpu asked": Edit(
        CLI,
        "asked=gpu_flag is not None and gpu_flag != -1, quiet=quiet)",
        "asked=True, quiet=quiet)",
        "tests/test_graphs.py::test_a_configs_use_gpu_on_a_machine_without_cuda_says_nothing",
    ),
    "a command leaving SIG_DFL for the SIGTERM handler it found": Edit(
        CLI,
        "signal.SIG_DFL if previous is None else previous",
        "signal.SIG_DFL",
        "tests/test_cli.py::test_a_command_puts_back_the_sigterm_handler_it_found",
    ),
    "an output folder two levels below an existing one refused": Edit(
        CLI,
        "existing = missing[-1].parent if missing else path",
        "existing = missing[0].parent if missing else path",
        "tests/test_cli.py::test_a_folder_several_levels_below_an_existing_one_is_accepted",
    ),
    "a captured step captured without an eager warm-up": Edit(
        GRAPHS,
        "WARMUP_STEPS = 3",
        "WARMUP_STEPS = 0",
        "tests/test_graphs.py::test_a_captured_step_is_warmed_up_eagerly_before_its_first_capture_by_default",
    ),
    "the static buffers the caller's first tensors": Edit(
        GRAPHS,
        "self.static = _map(lambda t: t.detach().clone(), tree)",
        "self.static = _map(lambda t: t.detach(), tree)",
        "tests/test_graphs.py::test_static_buffers_are_their_own_memory_and_leave_the_callers_tensors_alone",
    ),
    "a step given fewer inputs than its buffers hold": Edit(
        GRAPHS,
        "if len(static) != len(tree):",
        "if len(static) < len(tree):",
        "tests/test_graphs.py::test_static_buffers_refuse_a_list_of_another_length",
    ),
    "an eager CUDA run's optimisers not capturable": Edit(
        GRAPHS,
        'make_capturable(self.optimizers, on=self.device.type == "cuda")',
        "make_capturable(self.optimizers, on=self.graphed)",
        "tests/test_graphs.py::test_an_eager_cuda_steps_optimisers_are_capturable_as_a_captured_steps_are",
    ),
    "a finished stage's graphs dropped while their replays may be queued": Edit(
        GRAPHS,
        "            if self.graphs:  # (once a stage",
        "            if False:  # (once a stage",
        "tests/test_graphs.py::test_a_finished_stages_graph_is_dropped_when_keys_do_not_return",
    ),
    "a reset after a load not setting the optimisers again": Edit(
        GRAPHS,
        "self.prepared = False  # make_capturable done since the last load",
        'self.prepared = getattr(self, "prepared", False)  # make_capturable done since the last load',
        "tests/test_graphs.py::test_a_load_after_steps_is_followed_by_setting_the_optimisers_for_the_device_again",
    ),
    "--jobs 0 accepted": Edit(
        REPRODUCE_MAIN,
        "    if jobs < 1:",
        "    if jobs < 0:",
        "tests/test_reproduce_command.py::test_jobs_below_one_is_one_line_and_trains_nothing",
    ),
    "a reproduction's runs method by method": Edit(
        REPRODUCE_MAIN,
        "key=lambda i: (specs[i].seed, METHODS.index(specs[i].method)),",
        "key=lambda i: (METHODS.index(specs[i].method), specs[i].seed),",
        "tests/test_reproduce_command.py::test_stopped_runs_are_resumed_and_the_runs_go_seed_by_seed",
    ),
    "a reproduction never resuming its stopped runs": Edit(
        REPRODUCE_MAIN,
        'if state != "finished"),',
        'if state == "new"),',
        "tests/test_reproduce_command.py::test_stopped_runs_are_resumed_and_the_runs_go_seed_by_seed",
    ),
    "the report's command without --data_dir": Edit(
        REPRODUCE_MAIN,
        '            ("--data_dir", data_dir, None),\n',
        "",
        "tests/test_reproduce_command.py::test_the_reports_command_line_names_the_data_the_runs_trained_on",
    ),
    "a seed given twice planned twice": Edit(
        REPRODUCE_MAIN,
        'parse_list("--seeds", seeds, minimum=0, duplicates="drop")',
        'parse_list("--seeds", seeds, minimum=0)',
        "tests/test_reproduce_command.py::test_a_seed_given_twice_is_one_run",
    ),
    "no --profile running the paper profile": Edit(
        REPRODUCE_MAIN,
        "else next(iter(profiles(env)))",
        'else "paper"',
        "tests/test_reproduce_command.py::test_without_profile_the_command_runs_the_envs_default_profile",
    ),
    "the figure without its oracle and random lines": Edit(
        PLOT,
        "    ref = reference_returns(runs[0])",
        "    ref = None",
        "tests/test_report_plot.py::test_the_figures_reference_lines_are_the_oracle_and_the_random_returns",
    ),
    "the random line drawn at the oracle's return": Edit(
        PLOT,
        'ax.axhline(ref.random, color="gray"',
        'ax.axhline(ref.oracle, color="gray"',
        "tests/test_report_plot.py::test_the_figures_reference_lines_are_the_oracle_and_the_random_returns",
    ),
    "a checkpoint line naming its task's place in the group": Edit(
        PROGRESS,
        "{TASK_DIR_PREFIX}{self.tasks[i]}: checkpoint",
        "{TASK_DIR_PREFIX}{i}: checkpoint",
        "tests/test_behaviour_outputs.py::test_a_checkpoint_line_names_its_own_task",
    ),
    "progress bars written into log files": Edit(
        PROGRESS,
        'self.mode = mode or ("bars" if sys.stderr.isatty() else "lines")',
        'self.mode = mode or "bars"',
        "tests/test_behaviour_outputs.py::test_progress_off_a_terminal_is_plain_lines",
    ),
    "a lock released though another process took it meanwhile": Edit(
        FILEIO,
        "held = self.path.read_text() == self._me",
        "held = self.path.exists()",
        "tests/test_run_folder.py::test_a_lock_taken_by_another_process_meanwhile_is_not_released_by_the_first",
    ),
    "a lock naming pid 0 held forever": Edit(
        FILEIO,
        "if pid <= 0:",
        "if pid < 0:",
        "tests/test_run_folder.py::test_a_lock_naming_pid_0_is_held_by_no_process",
    ),
    "a new lock holder removing another contender's lock file": Edit(
        FILEIO,
        'if not path.name.startswith(".lock.") and path.is_file():',
        "if path.is_file():",
        "tests/test_run_folder.py::test_taking_a_lock_leaves_other_contenders_half_taken_lock_files",
    ),
    "create_once not syncing the folder after its link": Edit(
        FILEIO,
        "        fsync_folder(path.parent)\n        return True",
        "        return True",
        "tests/test_run_folder.py::test_create_once_syncs_the_folder_after_linking_the_file",
    ),
    "a csv naming a column twice read": Edit(
        FILEIO,
        "if len(set(header)) < len(header):",
        "if len(set(header)) < len(header) - 1:",
        "tests/test_run_folder.py::test_a_csv_whose_header_names_a_column_twice_is_refused",
    ),
    "two tied protocols around another called a collapse": Edit(
        REPORT,
        "if all(r == returns[0] for r in returns[1:]):",
        "if all(r == returns[0] for r in returns[2:]):",
        "tests/test_report_plot.py::test_two_tied_protocols_around_a_different_one_are_not_a_collapse",
    ),
    "a run tying a reference seed called outside their spread": Edit(
        REPORT,
        "inside = all(scores.min() <= m <= scores.max() for m in mine)",
        "inside = all(scores.min() < m < scores.max() for m in mine)",
        "tests/test_report_plot.py::test_a_run_that_ties_the_worst_or_best_reference_seed_is_inside_their_spread",
    ),
    "--last below the seeds' window accepted with --against": Edit(
        REPORT,
        'if spread and spread["last"] != last:',
        'if spread and spread["last"] < last:',
        "tests/test_report_plot.py::test_report_against_seeds_refuses_a_last_below_theirs_too",
    ),
    "a dense run held to seeds scored on the sparse reward": Edit(
        REPORT,
        '    "algo_params.sparse_rewards",\n',
        "",
        "tests/test_report_plot.py::test_a_dense_run_is_not_held_to_seeds_scored_on_the_sparse_reward",
    ),
    "paths.png without its last row of tasks": Edit(
        SHOW,
        "rows = (len(tasks) + cols - 1) // cols",
        "rows = len(tasks) // cols",
        "tests/test_show_path.py::test_show_paths_figure_has_a_panel_for_every_held_out_task",
    ),
    "the interpolation split training on every non-test task": Edit(
        TASKS,
        "return [t for t in range(n) if t not in test][:n_train], test",
        "return [t for t in range(n) if t not in test], test",
        "tests/test_experiment.py::test_the_interpolation_split_of_fewer_tasks_trains_on_n_train_tasks_by_hand",
    ),
    "the matmul probe counting one FLOP per multiply-add": Edit(
        FLOPS,
        "best = max(best, 2 * a.shape[0] * a.shape[1] * b.shape[1]",
        "best = max(best, a.shape[0] * a.shape[1] * b.shape[1]",
        "tests/test_networks.py::test_the_matmul_probe_counts_two_flops_per_multiply_add",
    ),
    "BRAC's gradient penalty with dc/da outside the graph": Edit(
        TRAINER_PY,
        "(c_int,) = torch.autograd.grad(c_int.sum(), a_int, create_graph=True)",
        "(c_int,) = torch.autograd.grad(c_int.sum(), a_int, create_graph=False)",
        "tests/test_training_step.py::test_a_step_with_the_gradient_penalty_runs_and_moves_the_dual_critic",
    ),
    "BRAC's gradient penalty not training c": Edit(
        TRAINER_PY,
        "a_int, create_graph=True)\n",
        "a_int, create_graph=True)\n            c_int = c_int.detach()\n",
        "tests/test_training_step.py::test_the_gradient_penalty_trains_the_dual_critic",
    ),
    "the logged alpha the unclipped one": Edit(
        TRAINER_PY,
        "alpha=self.alpha.detach().reshape(1),",
        "alpha=self.alpha_var.detach().reshape(1),",
        "tests/test_training_step.py::test_the_logged_alpha_is_the_clipped_alpha_the_step_uses",
    ),
    "the CLUB net stepped at qf_lr": Edit(
        TRAINER_PY,
        "self.club_opt = adam(self.club_net.parameters(), lr=s.context_lr)",
        "self.club_opt = adam(self.club_net.parameters(), lr=s.qf_lr)",
        "tests/test_training_step.py::test_each_optimiser_steps_at_the_learning_rate_its_key_names",
    ),
    "CLASSIFIER's classes the task ids": Edit(
        TRAINER_PY,
        "self.classifier(noisy), self.class_of_task[task_ids]",
        "self.classifier(noisy), task_ids",
        "tests/test_training_step.py::test_classifiers_step_scores_each_embedding_against_its_tasks_class",
    ),
    "UNICORN_SS's decoder given s' for s": Edit(
        TRAINER_PY,
        "self.decoder, lat.z, task_ids, flat.obs, flat.actions, flat.context_reward, flat.next_obs, s.unicorn_beta",
        "self.decoder, lat.z, task_ids, flat.next_obs, flat.actions, flat.context_reward, flat.obs, s.unicorn_beta",
        "tests/test_training_step.py::test_unicorn_ss_step_decodes_s_prime_minus_s_from_the_rows_s_and_a",
    ),
    "CORRO's pretraining stepping on accumulated gradients": Edit(
        TRAINER_PY,
        "        self.encoder_opt.zero_grad(set_to_none=True)\n        loss.backward(inputs=list((enc.cvae",
        "        loss.backward(inputs=list((enc.cvae",
        "tests/test_training_step.py::test_corros_pretraining_steps_on_each_steps_own_infonce_gradient",
    ),
    "BOREL's VAE stepping on accumulated gradients": Edit(
        TRAINER_PY,
        "        self.encoder_opt.zero_grad(set_to_none=True)\n        terms.loss.backward(",
        "        terms.loss.backward(",
        "tests/test_training_step.py::test_borels_vae_steps_on_each_steps_own_elbo_gradient",
    ),
    "BOREL's spread halves unequal": Edit(
        TRAINER_PY,
        "z_a.append(f[:h].mean(0)), z_b.append(f[h : 2 * h].mean(0))",
        "z_a.append(f[:h].mean(0)), z_b.append(f[h:].mean(0))",
        "tests/test_training_step.py::test_belief_spread_compares_two_equal_halves_of_a_tasks_sequences",
    ),
    "BOREL's spread across tasks with the n - 1 std": Edit(
        TRAINER_PY,
        "return z.std(dim=0, correction=0).mean(), _nan(final.device)",
        "return z.std(dim=0).mean(), _nan(final.device)",
        "tests/test_training_step.py::test_belief_spread_with_one_sequence_a_task_is_the_population_std_across_tasks",
    ),
    "CORRO's attention score initialised at 1/L": Edit(
        CORRO,
        "MLP([latent_dim, 1], init_w=1 / math.sqrt(latent_dim), generator=generator)",
        "MLP([latent_dim, 1], init_w=1 / latent_dim, generator=generator)",
        "tests/test_training_step.py::test_corros_attention_score_starts_like_torchs_linear",
    ),
    "CORRO's negatives randomising the last action": Edit(
        TRAINER_PY,
        "self.agent.encoder, e, context, self.obs_dim + self.action_dim, self.settings.corro, self.generator",
        "self.agent.encoder, e, context, self.obs_dim + self.action_dim - 1, self.settings.corro, self.generator",
        "tests/test_baselines.py::test_corros_step_randomises_the_reward_column_of_its_negatives",
    ),
    "CORRO's pretraining logging the plain mean as z": Edit(
        TRAINER_PY,
        "z_mean=enc.aggregate(e).detach(),",
        "z_mean=e.detach().mean(dim=-2),",
        "tests/test_baselines.py::test_corros_encoder_only_stage_logs_the_z_its_aggregator_makes",
    ),
    "CORRO's pretraining logging z_std across tasks": Edit(
        TRAINER_PY,
        "z_std=rows_std(e.detach()[0]),",
        "z_std=rows_std(e.detach()[:, 0]),",
        "tests/test_baselines.py::test_corros_encoder_only_stage_logs_the_z_its_aggregator_makes",
    ),
    "CORRO's queries per task rounded down": Edit(
        CORRO,
        "return min(math.ceil(QUERIES / tasks), context_size // 2)",
        "return min(QUERIES // tasks, context_size // 2)",
        "tests/test_baselines.py::test_corro_draws_at_least_its_64_queries_a_step",
    ),
    "BOREL's D_hat reading the next row's belief": Edit(
        TRAINER_PY,
        "d_hat = self._d_hat(obs, pi.action, flat.actions, z)",
        "d_hat = self._d_hat(obs, pi.action, flat.actions, z_next)",
        "tests/test_borel.py::test_borels_dual_critic_and_d_hat_read_each_rows_own_belief",
    ),
    "BOREL's dual critic fitted on the next row's belief": Edit(
        TRAINER_PY,
        "c_loss = self._fit_dual_critic(obs, pi.action, flat.actions, z, extras)",
        "c_loss = self._fit_dual_critic(obs, pi.action, flat.actions, z_next, extras)",
        "tests/test_borel.py::test_borels_dual_critic_and_d_hat_read_each_rows_own_belief",
    ),
    "a finished job scored again while others go on": Edit(
        EVAL_PROTOCOLS,
        "        for i in np.flatnonzero(active):\n            returns[i].append(",
        "        for i in range(n_jobs):\n            returns[i].append(",
        "tests/test_eval.py::test_a_job_that_is_done_scores_no_further_episodes_while_others_go_on",
    ),
    "Np collecting context for jobs that have enough": Edit(
        EVAL_PROTOCOLS,
        "rollout(envs, explore, setting.max_path_length, need, device)",
        "rollout(envs, explore, setting.max_path_length, active, device)",
        "tests/test_eval.py::test_np_collects_context_only_for_the_jobs_that_still_need_it",
    ),
    "Np exploring at random for the whole batch": Edit(
        EVAL_PROTOCOLS,
        "if use_random.all():",
        "if use_random.any():",
        "tests/test_eval.py::test_np_decides_random_or_policy_per_job_not_for_the_whole_batch",
    ),
    "sparse-point-robot's goal radius widened": Edit(
        POINT_ROBOT,
        "        self.goal_radius = float(goal_radius)\n\n    def sparsify_rewards",
        "        self.goal_radius = float(goal_radius) + 0.1\n\n    def sparsify_rewards",
        "tests/test_envs.py::test_sparse_point_robots_default_goal_radius_is_0_2",
    ),
    "point-robot ignoring randomize_tasks": Edit(
        POINT_ROBOT,
        "goals = point_goals(n_tasks, bool(randomize_tasks))",
        "goals = point_goals(n_tasks, False)",
        "tests/test_envs.py::test_point_robots_randomize_tasks_permutes_the_goals_with_random_state_1337",
    ),
    "the wrapper not counting env steps": Edit(
        WRAPPERS,
        "self.total_steps += 1",
        "self.total_steps += 0",
        "tests/test_envs.py::test_the_wrapper_counts_every_env_step_it_takes",
    ),
    "the wrapper's step observations unscaled": Edit(
        WRAPPERS,
        "return self._obs(obs), r, terminated, truncated, info",
        "return obs, r, terminated, truncated, info",
        "tests/test_mujoco_envs.py::test_normalized_box_env_scales_the_observations_of_step",
    ),
    "MuJoCo reset noise on qpos one-sided": Edit(
        MUJOCO_ENV,
        "rng.uniform(-self.qpos_noise, self.qpos_noise, size=self.model.nq)",
        "rng.uniform(0.0, self.qpos_noise, size=self.model.nq)",
        "tests/test_mujoco_envs.py::test_cheetah_reset_noise_on_qpos_is_uniform_in_minus_to_plus_0_1",
    ),
    "MuJoCo reset noise on qvel uniform, not normal": Edit(
        MUJOCO_ENV,
        "self.qvel_noise * rng.standard_normal(self.model.nv)",
        "self.qvel_noise * rng.uniform(-1, 1, self.model.nv)",
        "tests/test_mujoco_envs.py::test_cheetah_reset_noise_on_qvel_is_normal_with_sd_0_1",
    ),
    "an unstable step returning the episode's first observation": Edit(
        MUJOCO_ENV,
        "        self._last_obs = obs\n",
        "",
        "tests/test_mujoco_envs.py::test_an_unstable_step_mid_episode_returns_the_previous_steps_observation",
    ),
    "humanoid-dir's reset noise ten times wider": Edit(
        HUMANOID,
        "    qpos_noise = 0.01",
        "    qpos_noise = 0.1",
        "tests/test_mujoco_envs.py::test_humanoid_reset_noise_is_uniform_within_0_01",
    ),
    "every group's resume state under one file": Edit(
        GENERATE,
        "g.resume_path = resume_file(data_dir, part)",
        "g.resume_path = resume_file(data_dir, tasks)",
        "tests/test_behaviour_runs.py::test_a_run_of_several_groups_interrupted_in_its_second_group_resumes_it",
    ),
    "a wrapped replay buffer resumed writing past its end": Edit(
        GENERATE,
        'self.size, self.ptr = int(state["size"]), int(state["ptr"])',
        'self.size, self.ptr = int(state["size"]), int(state["size"])',
        BEHAVIOUR_TESTS + "test_a_replay_buffer_that_has_wrapped_resumes_writing_over_its_oldest_row",
    ),
    "stage 1's update period the max of its frequencies, not their lcm": Edit(
        GENERATE,
        "self.update_period = math.lcm(",
        "self.update_period = max(",
        "tests/test_behaviour_runs.py::test_the_actor_updates_every_actor_update_frequency_steps_after_the_seed_steps",
    ),
    "every task.json listing the group's first task's checkpoints": Edit(
        GENERATE,
        '"checkpoints": self.checkpoints[i],',
        '"checkpoints": self.checkpoints[0],',
        "tests/test_behaviour_runs.py::test_each_tasks_json_lists_its_own_checkpoints_in_a_group_whose_episodes_end_early",
    ),
    "a rerun regrouping complete tasks": Edit(
        GENERATE,
        "parts = [todo[start : start + group] for start",
        "parts = [tasks[start : start + group] for start",
        "tests/test_behaviour_runs.py::test_a_rerun_trains_only_the_tasks_that_are_not_complete",
    ),
    "a checkpoint at the last random step": Edit(
        BEHAVIOUR_SETTINGS,
        "return self.num_seed_steps < steps < self.num_train_steps and",
        "return self.num_seed_steps <= steps < self.num_train_steps and",
        "tests/test_behaviour_runs.py::test_the_first_checkpoint_comes_only_after_more_than_the_seed_steps",
    ),
    "a seed= override of another value accepted beside an equal one": Edit(
        POLICY_TRAIN,
        "if any(g.strip() != str(seed) for g in given):",
        "if all(g.strip() != str(seed) for g in given):",
        "tests/test_behaviour_runs.py::test_a_seed_override_other_than_seed_is_refused_even_beside_an_equal_one",
    ),
    "--overwrite without --regenerate starting stage 1": Edit(
        POLICY_TRAIN,
        "if any(v is not None for v in (n_trj, checkpoints)) or overwrite:",
        "if any(v is not None for v in (n_trj, checkpoints)):",
        "tests/test_behaviour_runs.py::test_overwrite_without_regenerate_is_refused_before_training",
    ),
    "an unknown env_name refused after stage 1's first line": Edit(
        POLICY_TRAIN,
        "    env_class(cfg.env_name)  # an unknown env_name is refused before the run's first line\n",
        "",
        "tests/test_behaviour_runs.py::test_bad_arguments_are_refused_before_stage_1s_first_line",
    ),
    "show_path's snapshot looked for after its first line": Edit(
        SHOW_PATH,
        "    _, cfg, _ = find_snapshot(run, itr)  # a missing run or snapshot is refused before the first line\n",
        '    click.echo(f"show_path {run}")\n    _, cfg, _ = find_snapshot(run, itr)\n',  # (a first line before it)
        SHOW_TESTS + "test_show_path_refuses_a_missing_snapshot_or_empty_config_before_its_first_line",
    ),
    "an empty variant.json read as every default": Edit(
        SHOW,
        "    if not variant:  # (read as every default",
        "    if variant is None:  # (read as every default",
        SHOW_TESTS + "test_show_path_refuses_a_missing_snapshot_or_empty_config_before_its_first_line",
    ),
    "stage 1's device from the SAC config inverted": Edit(
        CLI,
        '(-1 if sac_device == "cpu" else None)',
        '(-1 if sac_device != "cpu" else None)',
        "tests/test_behaviour_runs.py::test_stage1_runs_on_cuda_by_default_and_on_the_cpu_when_the_sac_config_says_so",
    ),
    "stage 1 on Ray asking GPUs for CPU SACs": Edit(
        CLUSTER_BEHAVIOUR,
        'on_cpu=behaviour.device == "cpu"',
        'on_cpu=behaviour.device != "cpu"',
        "tests/test_behaviour_runs.py::test_stage1_on_ray_asks_a_gpu_per_task_only_for_a_sac_that_runs_on_one",
    ),
    "the oracle returns stopping at a task not begun": Edit(
        CURVES,
        "no task.json yet)\n            continue",
        "no task.json yet)\n            break",
        "tests/test_behaviour_runs.py::test_the_oracle_returns_go_on_past_a_task_that_has_not_begun",
    ),
    "--seed not reaching a single run": Edit(
        LAUNCH,
        "prepared = prepare(cfg, seed, device)",
        "prepared = prepare(cfg, 0, device)",
        "tests/test_launch_experiment.py::test_the_seed_option_is_the_seed_of_the_single_run",
    ),
    "a sweep's entries at seed 0": Edit(
        LAUNCH,
        "parse_seeds(seeds) if seeds is not None else [seed]",
        "parse_seeds(seeds) if seeds is not None else [0]",
        "tests/test_launch_experiment.py::test_a_sweep_without_seeds_runs_each_entry_at_the_seed_option",
    ),
    "--sweep alone one plain run": Edit(
        LAUNCH,
        "if seeds is not None or sweep is not None or cluster is not None:",
        "if seeds is not None or cluster is not None:",
        "tests/test_launch_experiment.py::test_a_sweep_without_seeds_runs_each_entry_at_the_seed_option",
    ),
    "--sweep not handed to run_many": Edit(
        LAUNCH,
        "            sweep,\n            cluster,",
        "            None,\n            cluster,",
        "tests/test_launch_experiment.py::test_a_sweep_without_seeds_runs_each_entry_at_the_seed_option",
    ),
    "--seed and --seeds check inverted": Edit(
        LAUNCH,
        'ctx.get_parameter_source("seed") != click',
        'ctx.get_parameter_source("seed") == click',
        "tests/test_launch_experiment.py::test_seeds_alone_run_each_seed_and_with_seed_are_refused",
    ),
    "--gpu G recorded and run as GPU 0": Edit(
        CLI,
        '"gpu_id": cuda}',
        '"gpu_id": 0}',
        "tests/test_launch_experiment.py::test_gpu_g_is_the_cuda_device_g_of_the_run_and_its_config",
    ),
    "--gpu without CUDA silently on the CPU": Edit(
        LAUNCH,
        "cfg.util_params.gpu_id, gpu)",
        "cfg.util_params.gpu_id, None)",
        "tests/test_launch_experiment.py::test_gpu_asked_for_where_there_is_no_cuda_says_so",
    ),
    "--threads ignored": Edit(
        LAUNCH,
        "    if threads:\n        torch.set_num_threads(threads)",
        "    if False:\n        torch.set_num_threads(threads)",
        "tests/test_launch_experiment.py::test_threads_option_sets_torchs_threads_before_the_run",
    ),
    "the env name outside the fingerprint": Edit(
        FINGERPRINT,
        '{"env_name": meta.get("env_name"), "task"',
        '{"task"',
        DATASET_TESTS + "test_the_same_episodes_under_another_env_are_other_data",
    ),
    "the step files outside the fingerprint": Edit(
        FINGERPRINT,
        "        _add_npz(h, path)\n",
        "\n",
        DATASET_TESTS + "test_one_reward_changed_in_a_step_file_changes_the_fingerprint",
    ),
    "the differing tasks those that agree": Edit(
        FINGERPRINT,
        'if a.get("tasks", {}).get(k) != b.get("tasks", {}).get(k)',
        'if a.get("tasks", {}).get(k) == b.get("tasks", {}).get(k)',
        DATASET_TESTS + "test_differing_tasks_names_changed_added_and_removed_tasks",
    ),
    "a task on one side only not differing": Edit(
        FINGERPRINT,
        'set(a.get("tasks", {})) | set(b.get("tasks", {}))',
        'set(a.get("tasks", {})) & set(b.get("tasks", {}))',
        DATASET_TESTS + "test_differing_tasks_names_changed_added_and_removed_tasks",
    ),
    "competent_fraction reading one of two folders": Edit(
        COMPETENT,
        "if len(argv) != 1 or not Path(argv[0]).is_dir():",
        "if len(argv) < 1 or not Path(argv[0]).is_dir():",
        "tests/test_competent_fraction.py::test_competent_fraction_refuses_a_second_folder",
    ),
    "update_golden's spread a mean of the differences": Edit(
        UPDATE_GOLDEN,
        "spread = np.maximum(spread, (f[name] - base[name]).abs().max())",
        "spread = np.maximum(spread, (f[name] - base[name]).abs().mean())",
        "tests/test_update_golden.py::test_update_golden_tolerance_is_margin_times_the_largest_variant_difference_and_at_least_the_floor",
    ),
    "update_golden's spread signed": Edit(
        UPDATE_GOLDEN,
        "spread = np.maximum(spread, (f[name] - base[name]).abs().max())",
        "spread = np.maximum(spread, (f[name] - base[name]).max())",
        "tests/test_update_golden.py::test_update_golden_tolerance_is_margin_times_the_largest_variant_difference_and_at_least_the_floor",
    ),
    "update_golden's base frame the last variant's": Edit(
        UPDATE_GOLDEN,
        'base = frames["default"]',
        "base = frames[list(frames)[-1]]",
        "tests/test_update_golden.py::test_update_golden_tolerance_is_margin_times_the_largest_variant_difference_and_at_least_the_floor",
    ),
    "update_golden's tolerance floor dropped": Edit(
        UPDATE_GOLDEN,
        "tol = np.maximum(args.margin * s, ABS_FLOOR + REL_FLOOR * g.abs().max())",
        "tol = args.margin * s",
        "tests/test_update_golden.py::test_update_golden_tolerance_is_margin_times_the_largest_variant_difference_and_at_least_the_floor",
    ),
    "update_golden running variants this CPU lacks": Edit(
        UPDATE_GOLDEN,
        'ran = {v: env for v, (env, flag) in VARIANTS.items() if flag is None or flag in h["_all"]}',
        "ran = {v: env for v, (env, flag) in VARIANTS.items()}",
        "tests/test_update_golden.py::test_update_golden_records_the_host_margin_floor_and_the_variants_run_and_skipped",
    ),
    "update_golden's golden file float32": Edit(
        UPDATE_GOLDEN,
        'golden, spread = spreads(Path(tmp), ran, "float64")',
        'golden, spread = spreads(Path(tmp), ran, "float32")',
        "tests/test_update_golden.py::test_update_golden_tolerance_is_margin_times_the_largest_variant_difference_and_at_least_the_floor",
    ),
    "update_golden writing a golden file in place": Edit(
        UPDATE_GOLDEN,
        "atomic_write_text(golden_path(name), g.to_csv(index=False))",
        "golden_path(name).write_text(g.to_csv(index=False))",
        "tests/test_update_golden.py::test_update_golden_writes_each_runs_default_kernel_float64_frame_whole_as_its_golden_file",
    ),
    "update_golden's tolerance the bare spread": Edit(
        UPDATE_GOLDEN,
        'doc["runs"][name] = {c: float(tol[c]) for c in g.columns}',
        'doc["runs"][name] = {c: float(s[c]) for c in g.columns}',
        "tests/test_update_golden.py::test_update_golden_tolerance_is_margin_times_the_largest_variant_difference_and_at_least_the_floor",
    ),
    "update_golden's runs not in the dtype asked": Edit(
        UPDATE_GOLDEN,
        "frames = {v: golden_runs(work / dtype / v, env, dtype) for v, env in variants.items()}",
        "frames = {v: golden_runs(work / dtype / v, env) for v, env in variants.items()}",
        "tests/test_update_golden.py::test_update_golden_tolerance_is_margin_times_the_largest_variant_difference_and_at_least_the_floor",
    ),
    "update_golden's golden file rounded": Edit(
        UPDATE_GOLDEN,
        "atomic_write_text(golden_path(name), g.to_csv(index=False))",
        'atomic_write_text(golden_path(name), g.to_csv(index=False, float_format="%.6g"))',
        "tests/test_update_golden.py::test_update_golden_writes_each_runs_default_kernel_float64_frame_whole_as_its_golden_file",
    ),
    "imported legacy episodes ending in a terminal": Edit(
        LEGACY,
        "            np.zeros(n, np.float32),  # the reference",
        "            np.eye(1, n, n - 1, dtype=np.float32)[0],  # the reference",
        DATASET_TESTS + "test_import_legacy_marks_no_terminal_not_even_at_an_episodes_end",
    ),
    "legacy episodes in file-name order": Edit(
        LEGACY,
        "                for _, path in sorted(files.get((kind, step), [])):",
        "                for _, path in sorted(files.get((kind, step), []), key=lambda kp: str(kp[1])):",
        DATASET_TESTS + "test_import_legacy_keeps_episodes_in_the_order_of_their_number_past_nine",
    ),
    "legacy export's episode starts from the first length": Edit(
        LEGACY,
        "    starts = np.concatenate([[0], np.cumsum(t.traj_lengths)[:-1]])",
        "    starts = np.cumsum(t.traj_lengths) - t.traj_lengths[0]",
        DATASET_TESTS + "test_export_legacy_splits_episodes_of_different_lengths_at_their_own_boundaries",
    ),
    "a legacy normalizer of the wrong size broadcast": Edit(
        LEGACY,
        "        if scale.shape != (obs.shape[1],):",
        "        if False:",
        DATASET_TESTS + "test_import_legacy_without_an_env_refuses_a_normalizer_of_another_size_than_the_observations",
    ),
    "legacy tasks of other sizes accepted without an env": Edit(
        LEGACY,
        "    for task, d in dirs:\n        files = found[task]",
        "    for task, d in dirs:\n        expected = env_dims\n        files = found[task]",
        DATASET_TESTS + "test_import_legacy_without_an_env_refuses_tasks_of_different_sizes",
    ),
    "a legacy dataset with a gap in a checkpoint's episodes imported": Edit(
        LEGACY,
        "            if missing < max(have, default=0) or not have:",
        "            if not have:",
        DATASET_TESTS + "test_import_legacy_refuses_a_dataset_missing_an_episode_file",
    ),
    "non-finite legacy actions imported": Edit(
        LEGACY,
        'bad = [f for f in ("obs", "actions", "rewards", "next_obs") if',
        'bad = [f for f in ("obs", "rewards", "next_obs") if',
        DATASET_TESTS + "test_import_legacy_refuses_non_finite_actions",
    ),
    "a legacy overwrite deleting the old folder first": Edit(
        LEGACY,
        "        os.replace(dst, old)  # onto the empty folder mkdtemp made",
        "        shutil.rmtree(dst)",
        DATASET_TESTS + "test_a_failed_swap_keeps_the_previous_folder_where_it_says",
    ),
    "imported tasks recorded as task 0": Edit(
        LEGACY,
        '                "task_idx": task,',
        '                "task_idx": 0,',
        DATASET_TESTS + "test_import_legacy_records_each_tasks_own_index",
    ),
    "legacy file names matched unanchored": Edit(
        LEGACY,
        '_PATTERN = re.compile(r"^trj_(evalsample|eval)(\\d+)_step(\\d+)\\.npy$")',
        '_PATTERN = re.compile(r"trj_(evalsample|eval)(\\d+)_step(\\d+)\\.npy")',
        DATASET_TESTS + "test_import_legacy_reads_only_files_named_exactly_as_the_reference_names_them",
    ),
    "configs/default.py written in place": Edit(
        WRITE_DEFAULT_CONFIG,
        "    atomic_write_text(DEFAULT_CONFIG_PATH, listing())",
        "    DEFAULT_CONFIG_PATH.write_text(listing())",
        "tests/test_scripts_input.py::test_write_default_config_writes_the_listing_atomically",
    ),
    "a method collapsed on some seeds read as collapsed": Edit(
        REREAD_PROSE,
        '        if m and len(m[2].split(",")) == n_seeds:',
        "        if m:",
        "tests/test_scripts_input.py::test_reread_counts_a_method_collapsed_only_where_every_seed_is",
    ),
    "a stale intervals sentence kept": Edit(
        REREAD_PROSE,
        "    for written in (OLD_INTERVALS, *WRITTEN_INTERVALS.findall(new[2])):",
        "    for written in (OLD_INTERVALS,):",
        "tests/test_scripts_input.py::test_reread_replaces_an_intervals_sentence_of_the_written_form",
    ),
    "the zero-action reference dropped from the re-read": Edit(
        REREAD_PROSE,
        "    still = next((float(r[2]) for r in refs if r[0] == STILL), None)",
        "    still = None",
        "tests/test_scripts_input.py::test_reread_reads_the_zero_action_reference_into_the_verdict",
    ),
    "a report without its Fig. 3 paragraph a traceback": Edit(
        REREAD_PROSE,
        "    except (UserError, ValueError, StopIteration, KeyError, IndexError) as e:",
        "    except (UserError, ValueError, KeyError, IndexError) as e:",
        "tests/test_scripts_input.py::test_reread_report_prose_refuses_a_report_without_its_fig3_paragraph_in_one_line",
    ),
    "reread_report_prose reading one of two reports": Edit(
        REREAD_PROSE,
        "    if len(args) != 1:",
        "    if len(args) < 1:",
        "tests/test_scripts_input.py::test_reread_report_prose_refuses_two_reports",
    ),
    "Table 1's finals from each run's first rows": Edit(
        TABLES,
        "finals = np.array([f[col].tail(last).mean() for f in frames])",
        "finals = np.array([f[col].head(last).mean() for f in frames])",
        "tests/test_reproduce.py::test_a_table_final_return_averages_the_last_rows_of_each_run_not_the_first",
    ),
    "Table 1's std with ddof 0": Edit(
        TABLES,
        "finals.std(ddof=1) if len(finals) > 1",
        "finals.std(ddof=0) if len(finals) > 1",
        "tests/test_reproduce.py::test_a_table_row_prints_the_mean_and_the_sample_std_of_three_seeds",
    ),
    "two seeds printed without a std": Edit(
        TABLES,
        "if len(finals) > 1 else math.nan",
        "if len(finals) > 2 else math.nan",
        "tests/test_reproduce.py::test_a_table_row_of_two_seeds_has_a_spread",
    ),
    "Table 1's mean the median": Edit(
        TABLES,
        '"mean": finals.mean(),',
        '"mean": np.median(finals),',
        "tests/test_reproduce.py::test_a_table_row_prints_the_mean_and_the_sample_std_of_three_seeds",
    ),
    "the IQM interval's upper bound the IQM": Edit(
        TABLES,
        '"iqm_hi": hi,',
        '"iqm_hi": iqm,',
        "tests/test_reproduce.py::test_a_table_iqm_interval_is_the_bootstraps_own_bounds",
    ),
    "Table 1's std to one decimal": Edit(
        TABLES,
        'return "n/a (1 seed)" if math.isnan(std) else f"{std:.2f}"',
        'return "n/a (1 seed)" if math.isnan(std) else f"{std:.1f}"',
        "tests/test_reproduce.py::test_a_table_row_prints_the_mean_and_the_sample_std_of_three_seeds",
    ),
    "Table 1's gap column sign flipped": Edit(
        TABLES,
        'f"{gap(table, method, key)[0]:.2f} {_fmt_ci',
        'f"{-gap(table, method, key)[0]:.2f} {_fmt_ci',
        "tests/test_reproduce.py::test_a_table_gap_column_is_offline_minus_the_protocol",
    ),
    "Table 1's score column the IQM": Edit(
        TABLES,
        '{c.score:.3f} | "\n',
        '{c.iqm:.3f} | "\n',
        "tests/test_reproduce.py::test_a_table_score_column_is_the_mean_score_beside_the_iqm",
    ),
    "the top reference row printing the random return": Edit(
        TABLES,
        'out.append(f"| {ref.top} | | {ref.oracle:.2f} | 1 | | |")',
        'out.append(f"| {ref.top} | | {ref.random:.2f} | 1 | | |")',
        "tests/test_reproduce.py::test_a_table_reference_rows_give_the_top_and_random_returns",
    ),
    "the ablation table's CLUB column by name CLUB": Edit(
        TABLES,
        'club = "on" if "CSRO" in name else "off"',
        'club = "on" if "CLUB" in name else "off"',
        "tests/test_reproduce.py::test_a_table_of_the_ablation_names_each_cells_club_term_and_collection",
    ),
    "the ablation table's collection column read off prior": Edit(
        TABLES,
        'coll = "Np" if "Np)" in name else "online prior"',
        'coll = "Np" if "prior)" in name else "online prior"',
        "tests/test_reproduce.py::test_a_table_of_the_ablation_names_each_cells_club_term_and_collection",
    ),
    "a zero gap read as a gain": Edit(
        PROSE,
        'return f"loses {gap:.2f}" if gap >= 0 else f"gains {-gap:.2f}"',
        'return f"loses {gap:.2f}" if gap > 0 else f"gains {-gap:.2f}"',
        "tests/test_reproduce.py::test_a_baseline_whose_online_return_equals_its_offline_one_loses_nothing",
    ),
    "context-blindness judged from two protocols": Edit(
        PROSE,
        "for f in finals[1:])",
        "for f in finals[2:])",
        "tests/test_reproduce.py::test_a_baseline_with_the_same_offline_and_np_returns_is_not_called_context_blind",
    ),
    "a zero-action score of exactly 1 read as meaningful": Edit(
        PROSE,
        "if still is not None and still >= 1:",
        "if still is not None and still > 1:",
        "tests/test_reproduce.py::test_doing_nothing_scoring_exactly_the_top_reference_makes_the_score_say_nothing",
    ),
    "a context-blind collapsed baseline called collapsed": Edit(
        PROSE,
        "if m in collapsed and m not in blind:",
        "if m in collapsed:",
        "tests/test_reproduce.py::test_a_context_blind_baseline_also_flagged_collapsed_is_said_to_be_context_blind",
    ),
    "an interval touching 0 said to exclude it": Edit(
        PROSE,
        "verdict = f\"the interval {'includes' if lo <= 0 <= hi else 'excludes'} 0",
        "verdict = f\"the interval {'includes' if lo < 0 < hi else 'excludes'} 0",
        "tests/test_reproduce.py::test_a_baseline_whose_online_return_equals_its_offline_one_loses_nothing",
    ),
    "CSRO below a baseline called no ranking": Edit(
        PROSE,
        'if not said["above"] and not said["below"]:',
        'if not said["above"]:',
        "tests/test_reproduce.py::test_csro_below_a_baseline_is_a_ranking_established_even_with_none_above",
    ),
    "Fig. 4's ordering held with both below one half": Edit(
        PROSE,
        'holds = s["neither"] < min(s["CLUB only"], s["Np only"]) and max(s["CLUB only"], s["Np only"]) < s["both"]',
        'holds = s["neither"] < min(s["CLUB only"], s["Np only"]) and min(s["CLUB only"], s["Np only"]) < s["both"]',
        "tests/test_reproduce.py::test_fig4_paragraph_is_not_the_papers_ordering_when_both_lies_below_one_half",
    ),
    "a report listing runs of their own seed as another config": Edit(
        DOCUMENT,
        'diff = "; ".join(config_differences(made, dict(s.load_config().to_dict(), seed=s.seed)))',
        'diff = "; ".join(config_differences(made, dict(s.load_config().to_dict())))',
        "tests/test_reproduce.py::test_a_report_names_the_runs_config_differences_but_not_their_own_seed",
    ),
    "the unmeasured runs counted at their first row": Edit(
        DOCUMENT,
        "unmeasured += sum(math.isnan(f.iloc[-1].get(SPREAD_COLUMNS[1], math.nan)) for f in frames)",
        "unmeasured += sum(math.isnan(f.iloc[0].get(SPREAD_COLUMNS[1], math.nan)) for f in frames)",
        "tests/test_reproduce.py::test_a_report_counts_the_unmeasured_runs_at_their_last_row",
    ),
    "the report's collapse flags from each run's first row": Edit(
        DOCUMENT,
        "flags = {seed: collapse_warning(f.iloc[-1].to_dict())",
        "flags = {seed: collapse_warning(f.iloc[0].to_dict())",
        "tests/test_reproduce.py::test_a_report_flags_collapse_at_each_runs_last_row",
    ),
    "the report's gradient steps from the first row": Edit(
        DOCUMENT,
        "steps = int(frames0[0][TRAIN_STEPS].iloc[-1])",
        "steps = int(frames0[0][TRAIN_STEPS].iloc[0])",
        "tests/test_reproduce.py::test_a_report_gives_the_gradient_steps_of_the_runs_last_row",
    ),
    "the collapse section counting methods as runs": Edit(
        DOCUMENT,
        "*collapse_section(warnings, unmeasured, len(specs)),",
        "*collapse_section(warnings, unmeasured, len(runs)),",
        "tests/test_reproduce.py::test_a_report_counts_the_unmeasured_runs_at_their_last_row",
    ),
    "the not-learned caveat without the zero-action score": Edit(
        DOCUMENT,
        "weak = caveat(not_learned_sentence(table, ref.still_score))",
        "weak = caveat(not_learned_sentence(table))",
        "tests/test_reproduce.py::test_a_reports_figure_paragraphs_end_in_the_caveat_when_nothing_beats_standing_still",
    ),
    "Table 1's verdict without the zero-action score": Edit(
        DOCUMENT,
        "table1_paragraph(table, PAPER_TABLE1.get(env, {}), collapsed, ref.still_score),",
        "table1_paragraph(table, PAPER_TABLE1.get(env, {}), collapsed, None),",
        "tests/test_reproduce.py::test_a_report_reads_table1s_verdict_against_the_zero_action_return",
    ),
    "per-seed returns sorted": Edit(
        DOCUMENT,
        '" | ".join(f"{v:.2f}" for v in r.finals)',
        '" | ".join(f"{v:.2f}" for v in sorted(r.finals))',
        "tests/test_reproduce.py::test_a_reports_per_seed_returns_stay_in_seed_order",
    ),
    "Fig. 3's paragraph without the caveat": Edit(
        DOCUMENT,
        "curves_paragraph(table, weak),",
        "curves_paragraph(table),",
        "tests/test_reproduce.py::test_a_reports_figure_paragraphs_end_in_the_caveat_when_nothing_beats_standing_still",
    ),
    "Fig. 4's paragraph without the caveat": Edit(
        DOCUMENT,
        "ablation_paragraph(cells, weak),",
        "ablation_paragraph(cells),",
        "tests/test_reproduce.py::test_a_reports_figure_paragraphs_end_in_the_caveat_when_nothing_beats_standing_still",
    ),
    "Fig. 3's legend counting methods as seeds": Edit(
        FIGURES,
        'label=f"{method} ({len(frames)} seeds)"',
        'label=f"{method} ({len(runs)} seeds)"',
        "tests/test_reproduce.py::test_fig3_panels_are_titled_by_their_protocol_and_its_legend_counts_each_methods_seeds",
    ),
    "Fig. 3's top reference line at 0.5": Edit(
        FIGURES,
        'ax.axhline(1.0, color="k", ls="--", lw=1)',
        'ax.axhline(0.5, color="k", ls="--", lw=1)',
        "tests/test_reproduce.py::test_fig3_curves_run_over_gradient_steps_with_the_top_reference_at_score_1",
    ),
    "Fig. 3's x axis in rows": Edit(
        FIGURES,
        "[f[TRAIN_STEPS].to_numpy() for f in frames]",
        "[f.index.to_numpy() for f in frames]",
        "tests/test_reproduce.py::test_fig3_curves_run_over_gradient_steps_with_the_top_reference_at_score_1",
    ),
    "every Fig. 3 panel titled Np": Edit(
        FIGURES,
        "ax.set_title(PROTOCOL_BY_KEY[key].label)",
        'ax.set_title(PROTOCOL_BY_KEY["np"].label)',
        "tests/test_reproduce.py::test_fig3_panels_are_titled_by_their_protocol_and_its_legend_counts_each_methods_seeds",
    ),
    "Fig. 3's y label with the scale reversed": Edit(
        FIGURES,
        "axes[0].set_ylabel(f\"normalised score\\n(random 0, {ref.top.split(' (')[0]} 1)\")",
        "axes[0].set_ylabel(f\"normalised score\\n(random 1, {ref.top.split(' (')[0]} 0)\")",
        "tests/test_reproduce.py::test_fig3_says_its_scale_and_band",
    ),
    "Fig. 3's title calling its band a std": Edit(
        FIGURES,
        'fig.suptitle(f"{title}: mean and 95% band over seeds")',
        'fig.suptitle(f"{title}: mean and std band over seeds")',
        "tests/test_reproduce.py::test_fig3_says_its_scale_and_band",
    ),
    "a run older than the spread columns read as measured": Edit(
        DOCUMENT,
        "f.iloc[-1].get(SPREAD_COLUMNS[1], math.nan)",
        "f.iloc[-1].get(SPREAD_COLUMNS[1], 0.0)",
        "tests/test_reproduce.py::test_a_report_of_runs_older_than_the_spread_columns_says_the_guard_measured_nothing",
    ),
    "a paired difference the median of the seeds": Edit(
        TABLES,
        "return float(np.mean(d)), lo, hi",
        "return float(np.median(d)), lo, hi",
        "tests/test_reproduce_prose.py::test_a_paired_difference_is_the_mean_of_the_seeds_not_their_median",
    ),
    "the paper's loss online minus offline": Edit(
        PROSE,
        "{paper[m][0] - paper[m][1]:.1f}",
        "{paper[m][1] - paper[m][0]:.1f}",
        "tests/test_reproduce_prose.py::test_the_papers_loss_is_its_offline_return_minus_its_online_one",
    ),
    "CSRO's Np loss taken off the online prior": Edit(
        PROSE,
        'np_gap, lo, hi = gap(table, "CSRO", "np")',
        'np_gap, lo, hi = gap(table, "CSRO", "online")',
        "tests/test_reproduce_prose.py::test_csros_np_loss_is_offline_minus_np_not_minus_online",
    ),
    "a loss interval's lower end deciding loses more": Edit(
        PROSE,
        "larger = [m for m, (_, _, hi) in diffs.items() if hi < 0]",
        "larger = [m for m, (_, lo, _) in diffs.items() if lo < 0]",
        "tests/test_reproduce_prose.py::test_an_interval_straddling_0_leaves_the_claim_open_not_reversed",
    ),
    "the baselines' loss taken off Np": Edit(
        PROSE,
        'diffs = {m: paired_difference(seed_difference(gap_per_seed(table, m, "online"), csro_loss)) for m in others}',
        'diffs = {m: paired_difference(seed_difference(gap_per_seed(table, m, "np"), csro_loss)) for m in others}',
        "tests/test_reproduce_prose.py::test_csros_claim_compares_each_baselines_online_loss_with_csros_np_loss",
    ),
    "CSRO called highest above any baseline": Edit(
        PROSE,
        "best = all(csro.score > np_cells[m].score for m in others)",
        "best = any(csro.score > np_cells[m].score for m in others)",
        "tests/test_reproduce_prose.py::test_csro_is_called_highest_only_above_every_baseline",
    ),
    "the baselines' own score taken off Np": Edit(
        PROSE,
        'own = {m: _cell(table, m, "online").score for m in others}',
        'own = {m: _cell(table, m, "np").score for m in others}',
        "tests/test_reproduce_prose.py::test_fig3_sets_csros_np_score_beside_the_baselines_own_online_score",
    ),
    "the paper's FOCAL returns swapped": Edit(
        PROSE,
        '"FOCAL": (-4.4, -14.9)',
        '"FOCAL": (-14.9, -4.4)',
        "tests/test_reproduce_prose.py::test_the_papers_loss_is_its_offline_return_minus_its_online_one",
    ),
    "a fraction of a GPU asked of a cluster without GPUs": Edit(
        CLUSTER_ENGINE,
        "if gpus > 0 and not total_gpus:",
        "if gpus >= 1 and not total_gpus:",
        "tests/test_cluster.py::test_a_fraction_of_a_gpu_on_a_cluster_without_gpus_is_refused",
    ),
    "a cluster given by its address refused like the local one": Edit(
        CLUSTER_ENGINE,
        'if opts.address == "local":\n        raise UserError',
        'if opts.address != "auto":\n        raise UserError',
        "tests/test_cluster.py::test_a_task_no_node_holds_waits_on_a_cluster_given_by_its_address",
    ),
    "Ray's retries not max_retries": Edit(
        CLUSTER_ENGINE,
        "max_retries=opts.max_retries, retry_exceptions=False",
        "max_retries=3, retry_exceptions=False",
        "tests/test_cluster.py::test_a_segment_is_retried_as_often_as_max_retries_says_and_never_for_our_own_errors",
    ),
    "our own errors retried by Ray": Edit(
        CLUSTER_ENGINE,
        "max_retries=opts.max_retries, retry_exceptions=False",
        "max_retries=opts.max_retries, retry_exceptions=True",
        "tests/test_cluster.py::test_a_segment_is_retried_as_often_as_max_retries_says_and_never_for_our_own_errors",
    ),
    "a segment not on the CPUs it asked for": Edit(
        CLUSTER_ENGINE,
        "torch.set_num_threads(max(1, int(cpus)))",
        "torch.set_num_threads(int(cpus))",
        "tests/test_cluster.py::test_a_segment_uses_the_cpus_it_asked_for_and_a_fraction_of_one_runs_on_one_thread",
    ),
    "a segment on a GPU Ray did not give it": Edit(
        CLUSTER_ENGINE,
        'device = torch.device("cuda:0") if gpus and torch.cuda.is_available() else torch.device("cpu")',
        'device = torch.device("cuda:0") if torch.cuda.is_available() else torch.device("cpu")',
        "tests/test_cluster.py::test_a_segment_runs_on_a_gpu_only_when_ray_gave_it_one",
    ),
    "a segment's attempt counted from zero": Edit(
        CLUSTER_ENGINE,
        "return int(get()) + 1 if get is not None else 1",
        "return int(get()) if get is not None else 1",
        "tests/test_cluster.py::test_a_segments_attempt_counts_from_one",
    ),
    "a segment's seconds the clock time": Edit(
        CLUSTER_ENGINE,
        '"seconds": time.time() - self.started,',
        '"seconds": time.time(),',
        "tests/test_cluster.py::test_a_segments_info_reports_its_own_attempt_and_its_wall_time",
    ),
    "every segment reported as attempt 1": Edit(
        CLUSTER_ENGINE,
        '"attempt": self.attempt,',
        '"attempt": 1,',
        "tests/test_cluster.py::test_a_segments_info_reports_its_own_attempt_and_its_wall_time",
    ),
    "every segment said to be a retry": Edit(
        CLUSTER_ENGINE,
        'if info["attempt"] > 1:',
        'if info["attempt"] >= 1:',
        "tests/test_cluster.py::test_the_ray_driver_says_a_retry_only_for_a_segment_ray_reran",
    ),
    "a segment's non-RuntimeError crashing the driver": Edit(
        CLUSTER_ENGINE,
        "except Exception as e:  # noqa: BLE001",
        "except RuntimeError as e:  # noqa: BLE001",
        "tests/test_cluster.py::test_any_error_of_a_segment_ends_its_job_and_the_others_finish",
    ),
    "a node that joined later not labelled": Edit(
        CLUSTER_ENGINE,
        'if info["node_id"] not in addresses:',
        "if not addresses:",
        "tests/test_cluster.py::test_the_ray_driver_labels_a_node_that_joined_after_the_first_segment",
    ),
    "a failed segment's UserError not its line": Edit(
        CLUSTER_ENGINE,
        "if isinstance(cause, UserError):\n        return str(cause)",
        "if isinstance(cause, UserError):\n        pass",
        "tests/test_cluster.py::test_a_failed_segments_line_names_its_own_error",
    ),
    "a failed segment's cause dropped": Edit(
        CLUSTER_ENGINE,
        'cause = getattr(e, "cause", None)',
        "cause = None",
        "tests/test_cluster.py::test_a_failed_segments_line_names_its_own_error",
    ),
    "one failed job not failing the command": Edit(
        CLUSTER_ENGINE,
        "    if failed:\n        raise RunFailedError",
        "    if len(failed) > 1:\n        raise RunFailedError",
        "tests/test_cluster.py::test_one_failed_job_fails_the_command_naming_it",
    ),
    "an existing Ray connection shut down": Edit(
        CLUSTER_ENGINE,
        "if ray.is_initialized():\n        return ray, False",
        "if ray.is_initialized():\n        return ray, True",
        "tests/test_cluster.py::test_a_process_already_connected_to_ray_keeps_its_connection",
    ),
    "--ray local joining RAY_ADDRESS's cluster": Edit(
        CLUSTER_ENGINE,
        'ray.init(address="local", **quiet)',
        "ray.init(**quiet)",
        "tests/test_cluster.py::test_a_local_instance_is_a_new_one_whatever_ray_address_says",
    ),
    "the head probed only without an address": Edit(
        CLUSTER_ENGINE,
        "if head is not None:\n                    probe_head(opts.address, head)",
        "if head is None:\n                    probe_head(opts.address, head)",
        "tests/test_cluster.py::test_an_address_where_nothing_listens_is_refused_before_ray_waits_for_it",
    ),
    "a ray:// address probed with its prefix": Edit(
        CLUSTER_ENGINE,
        'return address[len("ray://") :]',
        "return address",
        "tests/test_cluster.py::test_a_ray_client_address_is_probed_at_its_host_and_port",
    ),
    "a ConnectionError from Ray a traceback": Edit(
        CLUSTER_ENGINE,
        "except (ConnectionError, RuntimeError, ValueError) as e:",
        "except (RuntimeError, ValueError) as e:",
        "tests/test_cluster.py::test_a_connection_error_from_ray_is_one_line",
    ),
    "killed workers' scratch folders kept": Edit(
        CLUSTER_ENGINE,
        "    remove_orphans(parent, prefix)\n",
        "\n",
        "tests/test_cluster.py::test_a_new_scratch_folder_removes_the_scratch_of_killed_workers",
    ),
    "the summary table's columns as wide as their heads": Edit(
        CLUSTER_ENGINE,
        "widths = [max(len(x) for x in col) for col in zip(head, *rows)]",
        "widths = [len(col[0]) for col in zip(head, *rows)]",
        "tests/test_cluster.py::test_the_summary_tables_columns_line_up",
    ),
    "--max-retries 0 refused": Edit(
        CLUSTER_ENGINE,
        "if not 0 <= self.max_retries <= MAX_RETRIES:",
        "if not 0 < self.max_retries <= MAX_RETRIES:",
        "tests/test_cluster.py::test_max_retries_zero_is_accepted",
    ),
    "the failure message naming the first job": Edit(
        CLUSTER_ENGINE,
        'f"{len(failed)} of {len(records)} {what}s failed ({failed[0].name} {failed[0].status}); "',
        'f"{len(failed)} of {len(records)} {what}s failed ({records[0].name} {records[0].status}); "',
        "tests/test_cluster.py::test_one_failed_job_fails_the_command_naming_it",
    ),
    "float64 layers sent to oneDNN": Edit(
        CPU_KERNELS,
        "if _ONEDNN_LINEAR and x.dtype == torch.float32:",
        "if _ONEDNN_LINEAR:",
        "tests/test_networks.py::test_a_float64_hidden_layer_on_the_cpu_kernels_matches_plain_ops",
    ),
    "the glibc thresholds swapped": Edit(
        CPU_KERNELS,
        "(_M_MMAP_THRESHOLD, 256 << 20), (_M_TRIM_THRESHOLD, 1 << 30)",
        "(_M_TRIM_THRESHOLD, 256 << 20), (_M_MMAP_THRESHOLD, 1 << 30)",
        "tests/test_networks.py::test_keep_freed_memory_sets_glibcs_three_settings_each_to_its_value",
    ),
    "M_MMAP_MAX set for M_MMAP_THRESHOLD": Edit(
        CPU_KERNELS,
        "_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -3",
        "_M_TRIM_THRESHOLD, _M_TOP_PAD, _M_MMAP_THRESHOLD = -1, -2, -4",
        "tests/test_networks.py::test_keep_freed_memory_sets_glibcs_three_settings_each_to_its_value",
    ),
    "the glibc settings stopping at the first refusal": Edit(
        CPU_KERNELS,
        "return all([mallopt(key, value) == 1 for key, value in settings])",
        "return all(mallopt(key, value) == 1 for key, value in settings)",
        "tests/test_networks.py::test_keep_freed_memory_sets_glibcs_three_settings_each_to_its_value",
    ),
    "every point of a curve's t band the first iteration's": Edit(
        STATS,
        "t_interval(vals[:, i])",
        "t_interval(vals[:, 0])",
        "tests/test_budget_stats.py::test_a_curves_t_band_at_each_iteration_is_the_interval_of_that_iterations_runs",
    ),
    "the IQM bootstrap's resamples fixed": Edit(
        STATS,
        "reps=reps,",
        "reps=200,",
        "tests/test_budget_stats.py::test_an_iqm_interval_draws_as_many_bootstrap_resamples_as_asked",
    ),
    "a step's seconds the mean of its timed calls": Edit(
        BUDGET,
        "return float(np.median(times))",
        "return float(np.mean(times))",
        "tests/test_budget_stats.py::test_a_steps_seconds_are_the_median_of_its_timed_calls_after_the_warmup",
    ),
    "usable cores the machine's count": Edit(
        BUDGET,
        "return len(os.sched_getaffinity(0)) if",
        "return os.cpu_count() if",
        "tests/test_budget_stats.py::test_usable_cores_are_this_processs_affinity_not_the_machines_count",
    ),
    "a step timed without its warm-up calls": Edit(
        BUDGET,
        "    for _ in range(warmup):\n        step()\n",
        "    pass\n",
        "tests/test_budget_stats.py::test_a_steps_seconds_are_the_median_of_its_timed_calls_after_the_warmup",
    ),
    "check printing no line per task": Edit(
        DATA_MAIN,
        "    for line in report.lines:\n        click.echo(line)\n",
        "    pass\n",
        DATASET_TESTS + "test_check_cli_prints_a_line_per_task",
    ),
    "curves --config ignored": Edit(
        DATA_MAIN,
        "env_params = cfg.env_params.kwargs() if cfg is not None else None",
        "env_params = None",
        DATASET_TESTS + "test_curves_cli_takes_the_oracle_from_config_for_a_dataset_without_env_params",
    ),
    "curves --out ignored": Edit(
        DATA_MAIN,
        "write_curves(data_dir, Path(out) if out else None, env_params)",
        "write_curves(data_dir, None, env_params)",
        DATASET_TESTS + "test_curves_cli_writes_the_figure_where_out_says",
    ),
    "import-legacy unpickling without --allow-pickle": Edit(
        DATA_MAIN,
        "allow_pickle=allow_pickle, overwrite",
        "allow_pickle=True, overwrite",
        DATASET_TESTS + "test_import_legacy_cli_without_allow_pickle_is_refused_and_writes_nothing",
    ),
    "import-legacy overwriting without --overwrite": Edit(
        DATA_MAIN,
        "overwrite=overwrite, env_dims=env_dims(env_name)",
        "overwrite=True, env_dims=env_dims(env_name)",
        DATASET_TESTS + "test_legacy_clis_keep_a_non_empty_destination_without_overwrite",
    ),
    "import-legacy not checking the env's sizes": Edit(
        DATA_MAIN,
        "env_dims=env_dims(env_name))",
        "env_dims=None)",
        DATASET_TESTS + "test_import_legacy_cli_refuses_data_of_another_envs_sizes",
    ),
    "export-legacy overwriting without --overwrite": Edit(
        DATA_MAIN,
        "export_legacy(src, dst, overwrite=overwrite)",
        "export_legacy(src, dst, overwrite=True)",
        DATASET_TESTS + "test_legacy_clis_keep_a_non_empty_destination_without_overwrite",
    ),
    "the data CLI's env sizes swapped": Edit(
        DATA_MAIN,
        "return int(env.observation_space.shape[0]), int(env.action_space.shape[0])",
        "return int(env.action_space.shape[0]), int(env.observation_space.shape[0])",
        DATASET_TESTS + "test_the_data_clis_env_sizes_are_observation_then_action",
    ),
    "the data CLI's physics version always 1": Edit(
        DATA_MAIN,
        "return int(env_class(env_name).physics_version)",
        "return 1",
        DATASET_TESTS + "test_the_data_clis_physics_version_is_the_env_familys",
    ),
    "check not given the env's sizes": Edit(
        DATA_MAIN,
        "check_dataset(data_dir, env_dims, physics_version)",
        "check_dataset(data_dir, None, physics_version)",
        DATASET_TESTS + "test_check_cli_refuses_a_task_of_another_observation_size_than_its_envs",
    ),
    "curves' note on unfinished tasks inverted": Edit(
        DATA_MAIN,
        "    if unfinished:  #",
        "    if not unfinished:  #",
        DATASET_TESTS + "test_curves_cli_notes_the_tasks_still_being_written",
    ),
    "a CPU generator state fitting a CUDA generator": Edit(
        SEEDING,
        "if saved.numel() == gen.get_state().numel():",
        "if saved.numel() >= gen.get_state().numel():",
        "tests/test_seeding.py::test_a_cpu_state_does_not_fit_a_cuda_generator",
    ),
    "cheetah-dir built as the velocity family": Edit(
        TASKS,
        '"cheetah-dir": HalfCheetahDirEnv',
        '"cheetah-dir": HalfCheetahVelEnv',
        "tests/test_envs.py::test_each_env_name_builds_the_family_of_its_tasks",
    ),
    "a moved dataset's task files read from the config's folder": Edit(
        TASKS,
        "restore_dataset_tasks(env, cfg.algo_params.data_dir if data_dir is None else data_dir)",
        "restore_dataset_tasks(env, cfg.algo_params.data_dir)",
        "tests/test_envs.py::test_a_moved_datasets_task_files_are_restored_from_where_it_is_now",
    ),
    "the oracle return past the meta-test's horizon": Edit(
        TASKS,
        "return _episode_return(env, obs, env.oracle_action, reward_fn, horizon)",
        "return _episode_return(env, obs, env.oracle_action, reward_fn, None)",
        "tests/test_envs.py::test_the_oracle_return_is_cut_at_the_meta_tests_horizon",
    ),
    "one test task's interpolation split the plain one": Edit(
        TASKS,
        "if cfg.interpolation:",
        "if cfg.interpolation and n_eval > 1:",
        "tests/test_envs.py::test_the_interpolation_split_of_one_test_task_tests_the_middle_one",
    ),
    "ant-goal and ant-dir swapped": Edit(
        TASKS,
        '"ant-goal": AntGoalEnv,\n    "ant-dir": AntDirEnv,',
        '"ant-goal": AntDirEnv,\n    "ant-dir": AntGoalEnv,',
        "tests/test_envs.py::test_each_env_name_builds_the_family_of_its_tasks",
    ),
    "show_path re-running iteration 0's meta-test streams": Edit(
        SHOW,
        "streams = EvalStreams.of(setup.seed, iteration, device)",
        "streams = EvalStreams.of(setup.seed, 0, device)",
        "tests/test_show_path.py::test_record_protocol_repeats_the_meta_test_of_its_iteration_on_the_held_out_tasks",
    ),
    "show_path's z contexts seeded with 0": Edit(
        SHOW,
        'gen = torch_generator(setup.seed, "show_path_z", device=device)',
        'gen = torch_generator(0, "show_path_z", device=device)',
        "tests/test_show_path.py::test_offline_z_draws_the_held_out_tasks_contexts_from_the_runs_stream",
    ),
    "show_path loading a run with seed 0": Edit(
        SHOW,
        'return variant.get("seed", 0), config_from_variant(variant), snap',
        "return 0, config_from_variant(variant), snap",
        "tests/test_show_path.py::test_load_run_prepares_the_run_with_its_own_seed",
    ),
    "show_path scoring a sparse run on the dense reward": Edit(
        SHOW,
        "reward_fn = scored_reward_fn(cfg, envs[0])",
        "reward_fn = None",
        "tests/test_show_path.py::test_record_protocol_scores_a_sparse_run_on_its_sparse_reward",
    ),
    "show_path's Np split ignoring the steps scored": Edit(
        SHOW,
        "scored_steps[i] += paths.lengths[i]",
        "scored_steps[i] += 0",
        "tests/test_show_path.py::test_nps_drawing_splits_each_context_episode_at_its_random_steps",
    ),
    "every paths panel showing task 0's return": Edit(
        SHOW,
        "draw_task(ax, envs[i], episodes[i], last_return[i], t, plt)",
        "draw_task(ax, envs[i], episodes[i], last_return[0], t, plt)",
        "tests/test_show_path.py::test_each_paths_panel_gives_its_own_tasks_last_return",
    ),
    "the z picture's PCA onto the wrong axes": Edit(
        SHOW,
        "projections = {Z_FIGURES[0]: centred @ vt[:2].T}",
        "projections = {Z_FIGURES[0]: centred @ vt[1:3].T}",
        "tests/test_show_path.py::test_the_z_picture_projects_each_source_onto_the_two_main_axes",
    ),
    "every z panel drawing the first source's points": Edit(
        SHOW,
        "part, lab = xy[start : start + n], labels[start : start + n]",
        "part, lab = xy[:n], labels[start : start + n]",
        "tests/test_show_path.py::test_the_z_picture_projects_each_source_onto_the_two_main_axes",
    ),
    "show_path's z contexts without next observations": Edit(
        SHOW,
        "a.max_path_length, gen, a.use_next_obs_in_context))",
        "a.max_path_length, gen, False))",
        "tests/test_show_path.py::test_offline_z_draws_the_held_out_tasks_contexts_from_the_runs_stream",
    ),
    "BOREL's offline z the prior": Edit(
        SHOW,
        "out.append(mu[torch.arange(len(mu), device=device), b.mask.sum(1)])",
        "out.append(mu[:, 0])",
        "tests/test_show_path.py::test_borels_offline_z_is_the_belief_after_the_whole_episode",
    ),
    "show_path giving a recurrent agent no belief": Edit(
        SHOW,
        "belief = Belief.of(cfg, setup.eval_buffer) if agent.recurrent else None",
        "belief = None",
        "tests/test_show_path.py::test_record_protocol_gives_a_recurrent_agent_its_belief",
    ),
    "the learning curve drawn at its upper band": Edit(
        PLOT,
        "ax.plot(x, mean, label=name,",
        "ax.plot(x, hi, label=name,",
        "tests/test_report_plot.py::test_the_learning_curve_figure_by_hand",
    ),
    "the learning curve's band from its mean": Edit(
        PLOT,
        "ax.fill_between(x, lo, hi, alpha=0.2)",
        "ax.fill_between(x, lo, mean, alpha=0.2)",
        "tests/test_report_plot.py::test_the_learning_curve_figure_by_hand",
    ),
    "no band for two runs": Edit(
        PLOT,
        "if len(frames) > 1:",
        "if len(frames) > 2:",
        "tests/test_report_plot.py::test_the_learning_curve_figure_by_hand",
    ),
    "the learning curve's y label the training tasks": Edit(
        PLOT,
        'ax.set_ylabel("return on held-out tasks")',
        'ax.set_ylabel("return on training tasks")',
        "tests/test_report_plot.py::test_the_learning_curve_figure_by_hand",
    ),
    "the learning curve's title counting one run": Edit(
        PLOT,
        'ax.set_title(f"{runs[0].parent.parent.name}: {len(frames)} run(s)")',
        'ax.set_title(f"{runs[0].parent.parent.name}: 1 run(s)")',
        "tests/test_report_plot.py::test_the_learning_curve_figure_by_hand",
    ),
    "the oracle line labelled with the random return": Edit(
        PLOT,
        'label=f"oracle ({ref.oracle:.2f})"',
        'label=f"oracle ({ref.random:.2f})"',
        "tests/test_report_plot.py::test_the_learning_curve_figure_by_hand",
    ),
    "the learning curve's default file name": Edit(
        PLOT,
        'Path(runs_dir) / "learning_curve.png"',
        'Path(runs_dir) / "report.png"',
        "tests/test_report_plot.py::test_plot_writes_learning_curve_png_in_the_runs_folder_by_default",
    ),
    "the learning curve's x axis in iterations": Edit(
        PLOT,
        'ax.set_xlabel("gradient steps")',
        'ax.set_xlabel("iterations")',
        "tests/test_report_plot.py::test_the_learning_curve_figure_by_hand",
    ),
    "competent_fraction's first and last in the rows' order": Edit(
        COMPETENT,
        'rows = table[table.task == int(meta["task_idx"])].sort_values("checkpoint")',
        'rows = table[table.task == int(meta["task_idx"])]',
        "tests/test_competent_fraction.py::test_first_and_last_go_by_checkpoint_not_by_the_order_of_the_rows",
    ),
    "a sweep entry's unknown key accepted": Edit(
        CLUSTER_RUNS,
        '            or set(e) - {"exp_name", "overrides"}\n',
        "",
        CLUSTER_TESTS + "test_a_sweep_entry_with_a_key_besides_exp_name_and_overrides_is_refused",
    ),
    "a sweep entry's overrides not checked to be an object": Edit(
        CLUSTER_RUNS,
        '            or not isinstance(e.get("overrides", {}), dict)\n',
        "",
        CLUSTER_TESTS + "test_a_sweep_entry_whose_overrides_are_not_an_object_is_one_line",
    ),
    "the command line's overrides over a sweep entry's": Edit(
        CLUSTER_RUNS,
        'cfg = load_config(config, overrides, extra, {"util_params": {"exp_name": exp}})',
        'cfg = load_config(config, extra, overrides, {"util_params": {"exp_name": exp}})',
        CLUSTER_TESTS + "test_a_sweep_entrys_overrides_win_over_the_command_lines",
    ),
    "the sweep's check not comparing a run folder's data": Edit(
        CLUSTER_RUNS,
        "            recorded_data_print(p.out_dir, p.cfg),\n",
        "            None,\n",
        CLUSTER_TESTS + "test_the_check_before_a_sweep_trains_refuses_a_run_folder_trained_on_other_data",
    ),
    "runs one after another all on cuda:0": Edit(
        CLUSTER_RUNS,
        "device = config_device(p.cfg.util_params.use_gpu, p.cfg.util_params.gpu_id, None)",
        "device = config_device(p.cfg.util_params.use_gpu, 0, None)",
        CLUSTER_TESTS + "test_runs_one_after_another_train_on_the_gpu_each_config_names",
    ),
    "--exp_name with --sweep silently ignored": Edit(
        CLUSTER_RUNS,
        'if sweep_path is not None and overrides.get("util_params", {}).get("exp_name") is not None:',
        'if sweep_path is not None and overrides.get("exp_name") is not None:',
        CLUSTER_TESTS + "test_exp_name_with_a_sweep_is_refused",
    ),
    "the node's cache removing a live worker's half copy": Edit(
        CLUSTER_RUNS,
        '            if old.is_dir() and not old.name.startswith(".") and time.time()',
        "            if old.is_dir() and time.time()",
        CLUSTER_TESTS + "test_a_nodes_dataset_cache_leaves_a_live_workers_copy_in_progress_alone",
    ),
    "a node's failed dataset copy left half-written": Edit(
        CLUSTER_RUNS,
        "        except BaseException:\n            shutil.rmtree(tmp, ignore_errors=True)\n",
        "        except BaseException:\n",
        CLUSTER_TESTS + "test_a_nodes_dataset_copy_that_fails_midway_leaves_no_half_copy",
    ),
    "a node's failed dataset copy left before the rename check": Edit(
        CLUSTER_RUNS,
        "            shutil.rmtree(tmp, ignore_errors=True)\n            if not root.is_dir():",
        "            if not root.is_dir():",
        CLUSTER_TESTS + "test_a_nodes_dataset_copy_that_fails_midway_leaves_no_half_copy",
    ),
    "a run's first Ray segment sent its snapshots and lock": Edit(
        CLUSTER_RUNS,
        "            state = read_tree(self.plan.out_dir, skip=RESUME_SKIP)",
        "            state = read_tree(self.plan.out_dir)",
        CLUSTER_TESTS + "test_a_runs_first_segment_gets_the_run_folders_resume_files_only",
    ),
    "a Ray sweep's configs prepared only in its workers": Edit(
        CLUSTER_RUNS,
        "        if key not in checked:",
        "        if key in checked:",
        CLUSTER_TESTS + "test_bad_input_of_a_ray_sweep_is_one_line_before_ray_is_joined",
    ),
    "a mixed Ray sweep asking no GPU": Edit(
        CLUSTER_RUNS,
        "on_cpu=not any(p.cfg.util_params.use_gpu for p, _ in todo)",
        "on_cpu=not all(p.cfg.util_params.use_gpu for p, _ in todo)",
        CLUSTER_TESTS + "test_a_ray_sweep_asks_a_gpu_per_task_when_any_of_its_runs_trains_on_one",
    ),
    "the Ray driver shutting down a Ray it joined": Edit(
        CLUSTER_RUNS,
        "        if started:\n            ray.shutdown()",
        "        if not started:\n            ray.shutdown()",
        CLUSTER_TESTS + "test_the_ray_driver_shuts_down_only_a_ray_it_started",
    ),
    "--ray alone joining a running cluster": Edit(
        CLUSTER_OPTIONS,
        'flag_value="local",',
        'flag_value="auto",',
        CLUSTER_TESTS + "test_ray_options_parse_as_their_help_says",
    ),
    "--max-retries defaulting to 2": Edit(
        CLUSTER_OPTIONS,
        "ClusterOptions.max_retries if retries is None else retries",
        "2 if retries is None else retries",
        CLUSTER_TESTS + "test_ray_options_parse_as_their_help_says",
    ),
    "--gpus-per-task a whole number": Edit(
        CLUSTER_OPTIONS,
        '"--gpus-per-task",\n                type=float,',
        '"--gpus-per-task",\n                type=int,',
        CLUSTER_TESTS + "test_ray_options_parse_as_their_help_says",
    ),
    "--max-retries 3 given without --ray accepted": Edit(
        CLUSTER_OPTIONS,
        "given = [name for name, v in companions if v is not None]",
        "given = [name for name, v in companions if v is not None and v != 3]",
        CLUSTER_TESTS + "test_any_max_retries_given_without_ray_is_refused_even_the_default",
    ),
    "a zero --cpus/--gpus-per-task without --ray accepted": Edit(
        CLUSTER_OPTIONS,
        "given = [name for name, v in companions if v is not None]",
        "given = [name for name, v in companions if v]",
        CLUSTER_TESTS + "test_a_zero_cpus_or_gpus_per_task_without_ray_is_refused",
    ),
    "a resume refused for its config file's path": Edit(
        RUN_FOLDER,
        '    "util_params.config_file",\n',
        "",
        RUN_FOLDER_TESTS + "test_a_run_resumes_from_a_copy_of_its_config_file_elsewhere",
    ),
    "a variant without algo_type read as OFFPEARL": Edit(
        RUN_FOLDER,
        'algo_type = out.get("algo_type", "CSRO")',
        'algo_type = out.get("algo_type", "OFFPEARL")',
        RUN_FOLDER_TESTS + "test_a_variant_without_algo_type_is_read_as_a_csro_run",
    ),
    "a CORRO variant without corro_negatives refused": Edit(
        RUN_FOLDER,
        'if algo_type == "CORRO" and algo.get("corro_negatives", "auto") == "auto":',
        'if algo_type == "CORRO" and algo.get("corro_negatives") == "auto":',
        RUN_FOLDER_TESTS + "test_a_corro_run_written_before_corro_negatives_existed_resumes",
    ),
    "the test tasks fingerprinted at train_epoch": Edit(
        RUN_FOLDER,
        "{t: range(*a.eval_epoch) for t in test}",
        "{t: range(*a.train_epoch) for t in test}",
        RUN_FOLDER_TESTS + "test_a_runs_data_fingerprint_covers_the_test_tasks_at_the_eval_epoch_checkpoints",
    ),
    "a dataset.json digest of any type": Edit(
        RUN_FOLDER,
        '    if not isinstance(doc.get("digest"), str):',
        '    if doc.get("digest") is None:',
        RUN_FOLDER_TESTS + "test_a_dataset_json_whose_digest_is_not_a_string_is_one_line",
    ),
    "code.json's entries told apart by from_stage": Edit(
        RUN_FOLDER,
        'if k not in ("from_iteration", "from_stage")}',
        'if k not in ("from_iteration",)}',
        RUN_FOLDER_TESTS + "test_a_resume_in_the_same_stage_step_on_the_same_code_adds_no_code_entry",
    ),
    "code.json's damaged last entry compared": Edit(
        RUN_FOLDER,
        "    last = kept[-1] if kept and isinstance(kept[-1], dict) else None",
        "    last = kept[-1] if kept else None",
        RUN_FOLDER_TESTS + "test_a_code_json_whose_last_entry_is_damaged_gets_a_new_entry",
    ),
    "code.json written in place": Edit(
        RUN_FOLDER,
        '    atomic_write_text(path, json.dumps(doc, indent=1, sort_keys=True) + "\\n")',
        '    path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\\n")',
        RUN_FOLDER_TESTS + "test_code_json_is_replaced_whole_so_an_open_reader_sees_the_old_file",
    ),
    "read_code_record giving damaged entries": Edit(
        RUN_FOLDER,
        "return [e for e in kept if isinstance(e, dict)] if isinstance(kept, list) else []",
        "return kept if isinstance(kept, list) else []",
        RUN_FOLDER_TESTS + "test_read_code_record_lists_only_the_entries_that_are_objects",
    ),
    "a state without a seeding record taken as current": Edit(
        RUN_FOLDER,
        'version = int(state.get("seeding", 1))',
        'version = int(state.get("seeding", SEEDING_VERSION))',
        RUN_FOLDER_TESTS + "test_a_state_without_a_seeding_record_is_of_version_1_and_not_resumed",
    ),
    "a state of a newer seeding version resumed": Edit(
        RUN_FOLDER,
        "    if version != SEEDING_VERSION:",
        "    if version < SEEDING_VERSION:",
        RUN_FOLDER_TESTS + "test_a_state_saved_by_a_newer_seeding_version_is_not_resumed",
    ),
    "a latest.pt folder taken for no latest.pt": Edit(
        RUN_FOLDER,
        "    if latest.exists() and not latest.is_file():",
        "    if False:",
        RUN_FOLDER_TESTS + "test_a_latest_pt_that_is_a_folder_is_refused_not_replaced",
    ),
    "latest.pt without variant.json not named": Edit(
        RUN_FOLDER,
        "    if latest.is_file() and not path.is_file():",
        "    if latest.is_dir() and not path.is_file():",
        RUN_FOLDER_TESTS + "test_a_latest_pt_without_variant_json_is_refused_saying_so",
    ),
    "a folder without latest.pt naming its first snapshots": Edit(
        RUN_FOLDER,
        "', '.join(snapshots[-3:])",
        "', '.join(snapshots[:3])",
        RUN_FOLDER_TESTS + "test_a_folder_of_snapshots_without_latest_pt_names_its_last_three",
    ),
    "write_checkpoint writing an unknown kind": Edit(
        NPZ,
        "        if kind not in KINDS:\n",
        "        if False:\n",
        DATASET_TESTS + "test_a_checkpoint_of_an_unknown_kind_is_refused_and_not_written",
    ),
    "a truncated extra file's record a traceback": Edit(
        NPZ,
        "    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error):\n",
        "    except (OSError, ValueError, EOFError, KeyError, zlib.error):\n",
        DATASET_TESTS + "test_a_truncated_extra_file_is_one_line_for_regenerate",
    ),
    "an extra file's record read with pickle allowed": Edit(
        NPZ,
        "        z = np.load(path, allow_pickle=False)\n",
        "        z = np.load(path, allow_pickle=True)\n",
        DATASET_TESTS + "test_the_record_of_an_extra_file_is_read_without_unpickling",
    ),
    "the fast npz reader without its CRC-32 check": Edit(
        NPZ,
        "if zlib.crc32(member) != info.CRC:",
        "if False:",
        DATASET_TESTS + "test_a_flipped_byte_in_a_step_files_data_is_one_line_from_the_fast_reader",
    ),
    "a step file missing a field a KeyError traceback": Edit(
        NPZ,
        "    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as e:",
        "    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as e:",
        DATASET_TESTS + "test_a_step_file_missing_one_field_is_one_line_naming_it",
    ),
    "a step file of 0-d rewards a TypeError traceback": Edit(
        NPZ,
        "n = len(t.rewards) if t.rewards.ndim == 1 else 0",
        "n = len(t.rewards)",
        DATASET_TESTS + "test_a_step_file_of_0_d_rewards_is_one_line_naming_the_field",
    ),
    "next_obs narrower than obs accepted": Edit(
        NPZ,
        "if t.next_obs.shape[1] != t.obs.shape[1]:",
        "if t.next_obs.shape[1] > t.obs.shape[1]:",
        DATASET_TESTS + "test_next_observations_narrower_than_the_observations_are_one_line",
    ),
    "episode lengths of two dimensions accepted": Edit(
        NPZ,
        'if lengths.dtype.kind not in "iu" or lengths.ndim != 1:',
        'if lengths.dtype.kind not in "iu":',
        DATASET_TESTS + "test_episode_lengths_of_two_dimensions_are_one_line",
    ),
    "a terminal inside an episode named by its last row": Edit(
        NPZ,
        "row = int(np.flatnonzero(inside & (terminals != 0))[0])",
        "row = int(np.flatnonzero(inside & (terminals != 0))[-1])",
        DATASET_TESTS + "test_a_terminal_inside_an_episode_is_named_by_its_first_row",
    ),
    "a damaged deflate stream of a normalizer a traceback": Edit(
        LOAD,
        "zipfile.BadZipFile, zlib.error) as e:",
        "zipfile.BadZipFile) as e:",
        DATASET_TESTS + "test_a_compressed_normalizer_of_a_damaged_deflate_stream_is_one_line",
    ),
    "a normalizer of two dimensions accepted without a size": Edit(
        LOAD,
        "    if abs_max.ndim != 1 or (obs_dim is not None and abs_max.shape != (obs_dim,)):",
        "    if obs_dim is not None and abs_max.shape != (obs_dim,):",
        DATASET_TESTS + "test_a_normalizer_of_two_dimensions_is_refused_without_an_observation_size",
    ),
    "task.json's action size not compared": Edit(
        LOAD,
        '(meta.get("obs_dim"), meta.get("action_dim")) != (obs_dim, action_dim):',
        'meta.get("obs_dim") != obs_dim:',
        DATASET_TESTS + "test_loading_refuses_a_task_json_of_another_action_size_than_the_envs",
    ),
    "an extra file without the run's kind a traceback": Edit(
        LOAD,
        "more = read_checkpoint(tdir, step, kind, missing_ok=True, extra=True)",
        "more = read_checkpoint(tdir, step, kind, extra=True)",
        DATASET_TESTS + "test_an_extra_file_without_the_kind_a_run_reads_leaves_the_n_trj_line",
    ),
    "a checkpoint one episode short of n_trj accepted": Edit(
        LOAD,
        "        if t.n_traj < n_trj:\n            more_from",
        "        if t.n_traj < n_trj - 1:\n            more_from",
        DATASET_TESTS + "test_loading_refuses_a_checkpoint_one_episode_short_of_n_trj",
    ),
    "an empty epoch range a concatenate traceback": Edit(
        LOAD,
        "    if not parts:\n",
        "    if False:\n",
        DATASET_TESTS + "test_loading_an_empty_epoch_range_is_one_line",
    ),
    "an extra file read where the step file suffices": Edit(
        LOAD,
        "if t.n_traj < n_trj and checkpoint_path(tdir, step, extra=True).is_file():",
        "if checkpoint_path(tdir, step, extra=True).is_file():",
        DATASET_TESTS + "test_an_extra_file_is_not_read_when_the_step_file_holds_n_trj_episodes",
    ),
    "ten missing tasks cut short with an ellipsis": Edit(
        DATA_CHECK,
        'if len(missing) > 10 else ""',
        'if len(missing) >= 10 else ""',
        DATASET_TESTS + "test_check_shows_ten_missing_tasks_without_an_ellipsis",
    ),
    "check comparing settings the record does not hold": Edit(
        DATA_CHECK,
        "elif diff := setting_differences(first[1], {k: v for k, v in settings.items() if k in first[1]}):",
        "elif diff := setting_differences(first[1], settings):",
        DATASET_TESTS + "test_check_compares_only_the_settings_the_dataset_records",
    ),
    "check holding the normalizer to the action size": Edit(
        DATA_CHECK,
        'return env_dims(meta["env_name"])[0],',
        'return env_dims(meta["env_name"])[1],',
        DATASET_TESTS + "test_check_holds_the_normalizer_to_the_envs_observation_size_not_its_action_size",
    ),
    "check of an unknown env leaving the normalizer unchecked": Edit(
        DATA_CHECK,
        "        except UserError:\n            pass",
        "        except UserError:\n            return None",
        DATASET_TESTS + "test_check_of_an_unknown_env_names_it_and_holds_the_normalizer_to_task_json",
    ),
    "check comparing a task.json without sizes": Edit(
        DATA_CHECK,
        "if None not in dims and got != ((dims[0],), (dims[1],)):",
        "if got != ((dims[0],), (dims[1],)):",
        DATASET_TESTS + "test_check_accepts_a_task_json_without_sizes",
    ),
    "check accepting a returns.csv listing a checkpoint twice": Edit(
        DATA_CHECK,
        "    if sorted(listed) != sorted(steps):",
        "    if set(listed) != set(steps):",
        DATASET_TESTS + "test_check_flags_a_returns_csv_that_lists_a_checkpoint_twice",
    ),
    "check holding files to sizes task.json lacks": Edit(
        DATA_CHECK,
        '    if env_dims is None or "obs_dim" not in meta:',
        "    if env_dims is None:",
        DATASET_TESTS + "test_check_accepts_a_task_json_without_sizes",
    ),
    "check not naming an unknown env": Edit(
        DATA_CHECK,
        "        return f\"{str(tdir / 'task.json')!r} names env {meta.get('env_name')!r}: {e}\"",
        "        return None",
        DATASET_TESTS + "test_check_of_an_unknown_env_names_it_and_holds_the_normalizer_to_task_json",
    ),
    "check not naming an unlisted extra file": Edit(
        DATA_CHECK,
        "digits = path.stem[4:].removesuffix(EXTRA_SUFFIX)",
        "digits = path.stem[4:]",
        DATASET_TESTS + "test_check_names_an_extra_file_of_a_checkpoint_task_json_does_not_list",
    ),
    "mean_return of no episodes a ZeroDivisionError": Edit(
        DATASET,
        "if trajs is None or not len(trajs.traj_lengths):",
        "if trajs is None:",
        DATASET_TESTS + "test_mean_return_of_a_checkpoint_of_no_episodes_is_nan",
    ),
    "a top-level unknown key a KeyError traceback": Edit(
        CONFIG_PY,
        "        if key not in base:\n",
        "        if key not in base and prefix:\n",
        "tests/test_config.py::" + "test_a_misspelt_top_level_key_is_one_line_naming_the_key_it_likely_means",
    ),
    "an unknown top-level key without its likely dotted key": Edit(
        CONFIG_PY,
        'paths = [p for p in leaf_paths(default_dict()) if not section or p.rpartition(".")[0] == section]',
        'paths = [p for p in leaf_paths(default_dict()) if p.rpartition(".")[0] == section]',
        "tests/test_config.py::" + "test_a_misspelt_top_level_key_is_one_line_naming_the_key_it_likely_means",
    ),
    "the profile's kind of CORRO negatives over the method's": Edit(
        CONFIG_PY,
        'algo = {**overrides.get("algo_params", {}), **(method or {}).get("algo_params", {})}',
        'algo = {**(method or {}).get("algo_params", {}), **overrides.get("algo_params", {})}',
        "tests/test_config.py::" + "test_a_methods_own_kind_of_negatives_beats_the_profiles_in_what_reaches_corro",
    ),
    "CORRO's keys unread in other methods' runs": Edit(
        CONFIG_PY,
        "if kind not in (None, other)",
        "if kind != other",
        "tests/test_config.py::" + "test_corros_keys_in_another_methods_run_are_compared_like_any_other_methods_keys",
    ),
    "BOREL accepting train_z0_policy": Edit(
        CONFIG_PY,
        '        "algo_params.train_z0_policy",\n',
        "",
        "tests/test_borel.py::" + "test_borel_refuses_training_its_policy_with_a_zero_z_it_does_not_have",
    ),
    "a stage-1 seed past 32 bits accepted": Edit(
        BEHAVIOUR_SETTINGS,
        '"seed": "[0, 4294967295]",',
        '"seed": "[0, 4294967296]",',
        "tests/test_sac.py::" + "test_a_sac_discount_of_zero_adam_betas_of_one_and_a_seed_past_32_bits_are_refused",
    ),
    "an Adam beta of 1 accepted for the SAC temperature": Edit(
        BEHAVIOUR_SETTINGS,
        '"agent.params.alpha_betas": "[0, 1)",',
        '"agent.params.alpha_betas": "[0, 1]",',
        "tests/test_sac.py::" + "test_a_sac_discount_of_zero_adam_betas_of_one_and_a_seed_past_32_bits_are_refused",
    ),
    "a SAC discount of 0 accepted": Edit(
        BEHAVIOUR_SETTINGS,
        '"agent.params.discount": "(0, 1]",',
        '"agent.params.discount": "[0, 1]",',
        "tests/test_sac.py::" + "test_a_sac_discount_of_zero_adam_betas_of_one_and_a_seed_past_32_bits_are_refused",
    ),
    "equal log_std_bounds accepted": Edit(
        BEHAVIOUR_SETTINGS,
        "and bounds[0] < bounds[1]",
        "and bounds[0] <= bounds[1]",
        "tests/test_sac.py::" + "test_equal_log_std_bounds_are_refused",
    ),
    "an unknown key's listing not cut at 16": Edit(
        CONFIG_PY,
        'shown = keys if len(keys) <= 16 else [*keys[:16], "..."]',
        "shown = keys",
        "tests/test_config.py::" + "test_an_unknown_key_of_a_large_section_lists_only_its_first_keys",
    ),
    "sample_z_at_test accepted without a meta-test": Edit(
        CONFIG_PY,
        '        "sample_z_at_test",\n    ),',
        "    ),",
        "tests/test_config.py::" + "test_sampling_z_at_a_meta_test_that_does_not_run_is_refused",
    ),
    "policy_train taking a positional config beside --config": Edit(
        POLICY_TRAIN,
        "if len(positional) > 1 or (positional and config_opt):",
        "if len(positional) > 1:",
        "tests/test_behaviour_runs.py::" + "test_a_positional_config_beside_config_is_refused",
    ),
    "policy_train's --seed 0 dropped": Edit(
        POLICY_TRAIN,
        "        if seed is not None:\n            overrides = with_seed(overrides, seed)",
        "        if seed:\n            overrides = with_seed(overrides, seed)",
        "tests/test_behaviour_runs.py::" + "test_seed_0_beside_a_seed_override_of_another_value_is_refused",
    ),
    "--regenerate with --ray accepted": Edit(
        POLICY_TRAIN,
        "if ray_address is not None and regenerate:",
        "if ray_address is not None and not regenerate:",
        "tests/test_behaviour_runs.py::" + "test_regenerate_on_ray_is_refused",
    ),
    "policy_train's --gpu 0 taken as no --gpu": Edit(
        CLI,
        "return select_device(gpu if gpu is not None else (-1 if sac_device",
        "return select_device(gpu if gpu else (-1 if sac_device",
        "tests/test_graphs.py::" + "test_stage1_gpu_0_is_cuda_0_even_when_the_sac_config_says_cpu",
    ),
    "policy_train's --capture/--eager not handed to the switch": Edit(
        POLICY_TRAIN,
        "graphs.request_capture(capture)",
        "graphs.request_capture(None)",
        "tests/test_graphs.py::" + "test_stage1_eager_turns_capture_off_on_cuda",
    ),
    "policy_train ignoring --threads": Edit(
        POLICY_TRAIN,
        "        torch.set_num_threads(threads)",
        "        pass",
        "tests/test_behaviour_runs.py::" + "test_stage1_threads_sets_torchs_thread_count",
    ),
    "an empty --split part training anyway": Edit(
        POLICY_TRAIN,
        "    if not tasks:  # more parts",
        "    if tasks is None:  # more parts",
        "tests/test_behaviour_runs.py::" + "test_a_part_without_tasks_says_so_and_trains_nothing",
    ),
    "--checkpoints '' taken as every checkpoint": Edit(
        POLICY_TRAIN,
        "chosen = parse_checkpoints(checkpoints) if checkpoints is not None else None",
        "chosen = parse_checkpoints(checkpoints) if checkpoints else None",
        "tests/test_behaviour_runs.py::" + "test_regenerate_with_an_empty_checkpoint_list_is_refused",
    ),
    "--n_trj not reaching the regeneration": Edit(
        POLICY_TRAIN,
        "            n_trj=n_trj,",
        "            n_trj=None,",
        "tests/test_behaviour_runs.py::" + "test_regenerate_hands_its_options_to_the_regeneration",
    ),
    "--overwrite not reaching the regeneration": Edit(
        POLICY_TRAIN,
        "            overwrite=overwrite,",
        "            overwrite=False,",
        "tests/test_behaviour_runs.py::" + "test_regenerate_hands_its_options_to_the_regeneration",
    ),
    "--no-progress inverted": Edit(
        POLICY_TRAIN,
        '"off" if no_progress else None',
        'None if no_progress else "off"',
        "tests/test_behaviour_runs.py::" + "test_no_progress_turns_stage_1s_progress_off",
    ),
    "with_seed dropping the seed override": Edit(
        POLICY_TRAIN,
        'return [*overrides, f"seed={seed}"]',
        "return overrides",
        "tests/test_behaviour_runs.py::" + "test_a_seed_reaches_the_behaviour_sac",
    ),
    "show_path's run-folder form accepting --seed 0": Edit(
        SHOW_PATH,
        '+ ([f"--seed {seed}"] if seed is not None else [])',
        '+ ([f"--seed {seed}"] if seed else [])',
        "tests/test_show_path.py::" + "test_show_path_refuses_seed_0_with_a_run_folder",
    ),
    "show_path's run-folder form accepting --exp_name": Edit(
        SHOW_PATH,
        '+ ([f"--exp_name {exp_name}"] if exp_name else [])',
        "+ []",
        "tests/test_show_path.py::" + "test_show_path_refuses_an_exp_name_with_a_run_folder",
    ),
    "show_path's config form finding seed 0's run": Edit(
        SHOW_PATH,
        "run = find_run(target, seed or 0, overrides)",
        "run = find_run(target, 0, overrides)",
        "tests/test_show_path.py::" + "test_show_path_config_form_finds_the_run_of_its_seed_and_reads_a_moved_dataset",
    ),
    "show_path's config form ignoring a moved dataset": Edit(
        SHOW_PATH,
        'given_data = overrides.get("algo_params", {}).get("data_dir")',
        'given_data = overrides.get("util_params", {}).get("data_dir")',
        "tests/test_show_path.py::" + "test_show_path_config_form_finds_the_run_of_its_seed_and_reads_a_moved_dataset",
    ),
    "show_path tagging --out's names with _itrN": Edit(
        SHOW_PATH,
        'tag = "" if itr is None or out is not None else f"_itr{itr}"',
        'tag = "" if itr is None else f"_itr{itr}"',
        "tests/test_show_path.py::" + "test_show_path_out_with_itr_writes_its_figures_under_the_names_given",
    ),
    "show_path's --out without a suffix not made .png": Edit(
        SHOW_PATH,
        "if not np_out.suffix:",
        "if np_out.suffix:",
        "tests/test_show_path.py::" + "test_show_path_out_without_a_suffix_is_written_as_png",
    ),
    "show_path seeding the sampled z of iteration 0": Edit(
        SHOW_PATH,
        "seed_meta_test_z(agent, setup.seed, iteration)",
        "seed_meta_test_z(agent, setup.seed, 0)",
        "tests/test_show_path.py::" + "test_show_path_seeds_the_sampled_z_of_the_snapshots_iteration",
    ),
    "show_path ignoring --gpu": Edit(
        SHOW_PATH,
        "select_device(gpu) if gpu is not None else",
        "select_device(None) if gpu is not None else",
        "tests/test_show_path.py::" + "test_show_path_gpu_reaches_the_runs_loading",
    ),
    "show_path inferring one offline z per task": Edit(
        SHOW_PATH,
        'zs = {"offline": offline_z(setup, agent, runs, device), **zs}',
        'zs = {"offline": offline_z(setup, agent, 1, device), **zs}',
        "tests/test_show_path.py::" + "test_show_path_infers_as_many_offline_z_per_task_as_runs",
    ),
    "an unnamed run's name cut to the minute": Edit(
        EXPERIMENT,
        'return cfg.util_params.exp_name or time.strftime("%Y_%m_%d_%H_%M_%S")',
        'return cfg.util_params.exp_name or time.strftime("%Y_%m_%d_%H_%M")',
        "tests/test_cluster.py::" + "test_an_unnamed_experiment_is_named_by_the_time_to_the_second",
    ),
    "the reseeded-generators line missing on a device change": Edit(
        EXPERIMENT,
        'if state.get("ran_on", now) != now or reseeded:',
        'if state.get("ran_on", now) != now:',
        "tests/test_meta_trainer.py::"
        + "test_a_resume_of_a_state_saved_on_the_other_device_type_says_which_generators_were_reseeded",
    ),
    "the VAE curve purged at the saved step itself": Edit(
        EXPERIMENT,
        "int(self.trainer.agent.encoder.steps) + 1 if self.borel else None",
        "int(self.trainer.agent.encoder.steps) if self.borel else None",
        "tests/test_meta_trainer.py::" + "test_a_resume_inside_borels_vae_stage_keeps_the_last_saved_blocks_point",
    ),
    "a segment run always restoring snapshots": Edit(
        EXPERIMENT,
        "self._train(logger, variant, max_iterations, restore_snapshots)",
        "self._train(logger, variant, max_iterations, True)",
        "tests/test_run_folder.py::" + "test_a_segment_run_hands_its_no_snapshot_restoring_to_the_resume",
    ),
    "the meta-test's columns unmeasured in the wrong runs": Edit(
        EXPERIMENT,
        "unmeasured=() if a.allow_eval else meta_test_columns(row)",
        "unmeasured=meta_test_columns(row) if a.allow_eval else ()",
        "tests/test_run_folder.py::"
        + "test_a_run_without_meta_test_writes_its_rows_and_one_with_it_refuses_a_nan_return",
    ),
    "a new BOREL run marked as resumed in its VAE stage": Edit(
        EXPERIMENT,
        "in_vae = resumed and vae_steps is not None and",
        "in_vae = vae_steps is not None and",
        "tests/test_run_folder.py::" + "test_a_new_borel_run_records_no_vae_stage_in_its_code_record",
    ),
    "the VAE stage's divergence check of all losses": Edit(
        EXPERIMENT,
        "if not np.isfinite(means).all():",
        "if not np.isfinite(means).any():",
        "tests/test_meta_trainer.py::" + "test_borels_vae_stage_stops_at_a_block_with_any_loss_not_finite",
    ),
    "every step of an iteration pinned to its first": Edit(
        EXPERIMENT,
        "record = self.step(None if first is None else first + i)",
        "record = self.step(None if first is None else first)",
        "tests/test_meta_trainer.py::" + "test_each_step_of_an_iteration_is_pinned_to_its_own_training_step",
    ),
    "the train-step counter not adding up": Edit(
        EXPERIMENT,
        'self.counters["train_steps"] += a.num_train_steps_per_itr',
        'self.counters["train_steps"] = a.num_train_steps_per_itr',
        "tests/test_meta_trainer.py::" + "test_the_step_counters_add_up_over_the_iterations",
    ),
    "the env-step counter not adding up": Edit(
        EXPERIMENT,
        'self.counters["env_steps"] += result.env_steps',
        'self.counters["env_steps"] = result.env_steps',
        "tests/test_meta_trainer.py::" + "test_the_step_counters_add_up_over_the_iterations",
    ),
    "no meta-test's final z filled with zeros": Edit(
        EXPERIMENT,
        "else np.full_like(z_train, np.nan),",
        "else np.zeros_like(z_train),",
        "tests/test_meta_trainer.py::" + "test_an_iteration_without_meta_test_leaves_the_meta_tests_z_columns_nan",
    ),
    "check_finite's loss/parameter split off by one": Edit(
        EXPERIMENT,
        "if first < len(names)",
        "if first <= len(names)",
        "tests/test_meta_trainer.py::" + "test_a_diverged_parameter_under_finite_losses_is_one_line_naming_its_network",
    ),
    "the divergence line naming the last non-finite value": Edit(
        EXPERIMENT,
        "first = int(np.flatnonzero(~flags)[0])",
        "first = int(np.flatnonzero(~flags)[-1])",
        "tests/test_meta_trainer.py::" + "test_divergence_names_the_first_loss_that_is_not_finite",
    ),
    "BOREL's VAE drawing from the batch stream": Edit(
        EXPERIMENT,
        'self.vae_gen = torch_generator(setup.seed, "borel_vae", device=dev)',
        'self.vae_gen = torch_generator(setup.seed, "batch_sampling", device=dev)',
        "tests/test_borel.py::" + "test_borels_vae_draws_its_own_stream",
    ),
    "BOREL's VAE lines printed without progress": Edit(
        EXPERIMENT,
        "if self.show_progress:\n                print(line)",
        "if not self.show_progress:\n                print(line)",
        "tests/test_meta_trainer.py::" + "test_borels_vae_lines_are_printed_only_with_progress",
    ),
    "a rerun retraining a saved group from step 0": Edit(
        GENERATE,
        "            if g.resume_path.is_file():",
        "            if False:",
        "tests/test_behaviour_runs.py::"
        + "test_a_rerun_of_an_interrupted_group_continues_from_its_saved_step_not_from_step_0",
    ),
    "a state saved before the networks record taken as with networks": Edit(
        GENERATE,
        'theirs["save_networks"] = settings["save_networks"]',
        'theirs["save_networks"] = True',
        "tests/test_sac.py::" + "test_a_state_saved_before_the_networks_record_resumes_in_a_run_without_networks",
    ),
    "a finished segment still returning a state": Edit(
        GENERATE,
        "        group.state() if more else None,",
        "        group.state(),",
        "tests/test_sac.py::" + "test_a_chain_of_segments_ends_with_a_segment_that_returns_no_state",
    ),
    "networks gone non-finite before a checkpoint written": Edit(
        GENERATE,
        "                if not finite.all():",
        "                if False:",
        "tests/test_sac.py::" + "test_networks_that_turned_non_finite_just_before_a_checkpoint_are_not_written",
    ),
    "a finished segment's chain never ending": Edit(
        GENERATE,
        "        return self.step < sched.num_train_steps",
        "        return self.step <= sched.num_train_steps",
        "tests/test_sac.py::" + "test_a_chain_of_segments_ends_with_a_segment_that_returns_no_state",
    ),
    "a stage 1 of no deterministic episodes rolling them out": Edit(
        GENERATE,
        "            if sched.num_eval_episodes:",
        "            if True:",
        "tests/test_behaviour_outputs.py::"
        + "test_a_stage1_without_deterministic_episodes_writes_checkpoints_of_stochastic_ones_only",
    ),
    "the networks record's sizes swapped": Edit(
        GENERATE,
        '{"obs_dim": self.obs_dim, "action_dim": self.action_dim, "sac"',
        '{"obs_dim": self.action_dim, "action_dim": self.obs_dim, "sac"',
        "tests/test_behaviour_outputs.py::"
        + "test_a_tasks_json_and_networks_record_its_envs_observation_and_action_sizes",
    ),
    "task.json's observation and action sizes swapped": Edit(
        GENERATE,
        '            "obs_dim": self.obs_dim,\n            "action_dim": self.action_dim,\n            "checkpoints"',
        '            "obs_dim": self.action_dim,\n            "action_dim": self.obs_dim,\n            "checkpoints"',
        "tests/test_behaviour_outputs.py::"
        + "test_a_tasks_json_and_networks_record_its_envs_observation_and_action_sizes",
    ),
    "a parameter family's task_params.json not written": Edit(
        GENERATE,
        "            if self.envs[i].unwrapped.supports_task_files:",
        "            if False:",
        "tests/test_behaviour_outputs.py::" + "test_a_parameter_familys_task_folders_describe_their_own_tasks",
    ),
    "curves of no checkpoint an empty table": Edit(
        CURVES,
        "    if out.empty:",
        "    if False:",
        "tests/test_behaviour_outputs.py::"
        + "test_curves_of_a_stage1_that_has_not_written_its_first_checkpoint_are_one_line",
    ),
    "the oracle returns from --config's env_params over the task's": Edit(
        CURVES,
        'params = meta.get("env_params", env_params)',
        'params = env_params or meta.get("env_params")',
        "tests/test_behaviour_runs.py::"
        + "test_the_oracle_returns_use_the_env_params_a_task_recorded_over_the_ones_given",
    ),
    "the oracle line at the best task's return": Edit(
        CURVES,
        "                values.mean(),",
        "                values.max(),",
        "tests/test_behaviour_outputs.py::"
        + "test_behaviour_curves_draw_the_oracle_line_at_the_tasks_mean_oracle_return",
    ),
    "Ray segments always saving networks": Edit(
        CLUSTER_BEHAVIOUR,
        "env_name, env_params, task, sched, sac, behaviour.save_networks, state",
        "env_name, env_params, task, sched, sac, True, state",
        "tests/test_behaviour_runs.py::" + "test_stage1_on_ray_segments_save_networks_only_when_the_sac_config_says_so",
    ),
    "Ray retraining complete tasks": Edit(
        CLUSTER_BEHAVIOUR,
        "[TaskChain(t, data_dir, submit, out) for t in todo]",
        "[TaskChain(t, data_dir, submit, out) for t in tasks]",
        "tests/test_behaviour_runs.py::" + "test_stage1_on_ray_trains_only_the_tasks_that_are_not_complete",
    ),
    "a task of exactly replay_buffer_size transitions refused": Edit(
        BUFFER,
        "len(d) > capacity:",
        "len(d) >= capacity:",
        "tests/test_buffer.py::test_a_task_of_exactly_replay_buffer_size_transitions_fits_and_one_more_is_refused",
    ),
    "a widened next observation shared where any new column agrees": Edit(
        BUFFER,
        "return (a.view(as_int) == b.view(as_int)).all(dim=1)",
        "return (a.view(as_int) == b.view(as_int)).any(dim=1)",
        "tests/test_buffer.py::test_a_widened_next_obs_is_shared_only_where_every_new_column_agrees_not_just_one",
    ),
    "a step's meta-batch drawn among the task positions, not the training ids": Edit(
        BUFFER,
        "    tasks = task_ids[idx]\n",
        "    tasks = idx\n",
        "tests/test_buffer.py::test_a_step_draws_its_meta_batch_among_the_training_task_ids_not_their_positions",
    ),
    "BOREL's policy reading (z, s)": Edit(
        BOREL_PY,
        "return self.policy(torch.cat([obs, z], dim=-1)",
        "return self.policy(torch.cat([z, obs], dim=-1)",
        "tests/test_borel.py::test_borels_policy_reads_s_then_mu_then_logvar",
    ),
    "BOREL's policy with two hidden layers": Edit(
        BOREL_PY,
        "obs_dim + self.latent_dim, action_dim, [net_size] * 3,",
        "obs_dim + self.latent_dim, action_dim, [net_size] * 2,",
        "tests/test_borel.py::test_borels_policy_is_csros_three_hidden_layers_of_net_size_on_the_wider_input",
    ),
    "episode lengths not summing to a task's rows accepted": Edit(
        SEQUENCES,
        "if len(lengths) == 0 or int(lengths.sum()) != rows or",
        "if len(lengths) == 0 or",
        "tests/test_borel.py::test_episode_lengths_that_do_not_sum_to_a_tasks_rows_are_a_one_line_error",
    ),
    "BOREL's relabelling chunks reading the first sequences' rows": Edit(
        BOREL_PY,
        "        rows = index.rows[ids]\n",
        "        rows = index.rows[: len(ids)]\n",
        "tests/test_borel.py::test_the_relabelling_in_chunks_of_two_sequences_gives_each_row_its_own_belief",
    ),
    "a rollout resetting the inactive jobs' envs too": Edit(
        ROLLOUT,
        "first = [env.reset()[0] if active[i] else None for i, env in enumerate(envs)]",
        "first = [env.reset()[0] for i, env in enumerate(envs)]",
        "tests/test_eval.py::test_a_rollout_resets_only_the_active_jobs_envs",
    ),
    "a rollout asking for actions after every episode ended": Edit(
        ROLLOUT,
        "        if not alive.any():\n            break\n",
        "",
        "tests/test_eval.py::test_a_rollout_asks_for_no_actions_once_every_episode_has_ended",
    ),
    "belief_spread of one task with one sequence a spread of 0": Edit(
        TRAINER_PY,
        "if len(z) >= 2 and not z_a:",
        "if not z_a:",
        "tests/test_collapse.py::test_belief_spread_of_a_single_task_with_a_single_sequence_is_nan_not_zero",
    ),
    "weights loaded without optimizers taking the Adam moments and the noise stream too": Edit(
        TRAINER_PY,
        "if with_optimizers:  # resuming",
        "if True:  # resuming",
        "tests/test_gradient_flow.py::test_loading_weights_without_optimizers_keeps_the_fresh_optimisers_and_this_seeds_noise_stream",
    ),
    "CORRO's 15 negatives per positive": Edit(
        CORRO,
        "NEGATIVES = 16",
        "NEGATIVES = 15",
        "tests/test_baselines.py::test_corros_infonce_gives_each_query_16_negatives",
    ),
    "CORRO's CVAE encoder drawn from the global RNG": Edit(
        CORRO,
        "self.encoder = MLP([2 * obs_dim + action_dim + 1, CVAE_HIDDEN, 2 * CVAE_LATENT], generator=generator)",
        "self.encoder = MLP([2 * obs_dim + action_dim + 1, CVAE_HIDDEN, 2 * CVAE_LATENT])",
        "tests/test_baselines.py::test_corros_cvae_is_initialised_from_the_seeded_generator_not_the_global_rng",
    ),
    "the trainer's state saving the clipped alpha, not alpha_var": Edit(
        TRAINER_PY,
        '"alpha": self.alpha_var.detach().cpu(),',
        '"alpha": self.alpha.detach().cpu(),',
        "tests/test_gradient_flow.py::test_a_resume_continues_brac_alpha_from_its_unclipped_value",
    ),
    "BOREL's policy reading the next row's belief": Edit(
        TRAINER_PY,
        "pi = self.agent.policy_output(obs, z, generator=self.generator)",
        "pi = self.agent.policy_output(obs, z_next, generator=self.generator)",
        "tests/test_borel.py::test_borels_policy_and_critics_read_each_rows_own_belief_not_the_next_rows",
    ),
    "BOREL's critics reading the next row's belief": Edit(
        TRAINER_PY,
        "qf_loss, q_pred = self._update_critics(rows, z, target_v)  # 4",
        "qf_loss, q_pred = self._update_critics(rows, z_next, target_v)  # 4",
        "tests/test_borel.py::test_borels_policy_and_critics_read_each_rows_own_belief_not_the_next_rows",
    ),
    "a state without the encoder_output record read as tanh": Edit(
        TRAINER_PY,
        'saved = state.get("encoder_output", self.encoder_output)',
        'saved = state.get("encoder_output", "tanh")',
        "tests/test_offpearl.py::test_a_state_saved_before_the_encoder_output_record_loads_under_offpearl",
    ),
    "corro_standardize dropped from CORRO's settings": Edit(
        CORRO,
        "            a.corro_standardize,\n",
        "            False,\n",
        "tests/test_baselines.py::test_corro_standardize_from_the_config_reaches_the_trainers_encoder",
    ),
    "--capture/--eager after the switch was read ignored": Edit(
        GRAPHS,
        '        os.environ[ENV_VAR] = "1" if on else "0"\n        use_capture(on)',
        '        os.environ[ENV_VAR] = "1" if on else "0"',
        "tests/test_graphs.py::test_a_request_after_the_switch_was_read_turns_capture_on_and_off_here",
    ),
    "the host-read guard letting torch.equal through": Edit(
        GRAPHS,
        "    _aten.equal.default,\n",
        "",
        "tests/test_graphs.py::test_the_guard_raises_on_equal_masked_select_and_unique",
    ),
    "the host-read guard letting masked_select through": Edit(
        GRAPHS,
        "    _aten.masked_select.default,\n",
        "",
        "tests/test_graphs.py::test_the_guard_raises_on_equal_masked_select_and_unique",
    ),
    "the host-read guard letting unique through": Edit(
        GRAPHS,
        "    _aten._unique2.default,\n",
        "",
        "tests/test_graphs.py::test_the_guard_raises_on_equal_masked_select_and_unique",
    ),
    "the host-read guard letting a boolean mask assignment through": Edit(
        GRAPHS,
        "        _aten.index_put_.default,\n",
        "",
        "tests/test_graphs.py::test_the_guard_raises_on_a_boolean_mask_assignment",
    ),
    "the host-read guard failing on integer indexing of a later dimension": Edit(
        GRAPHS,
        "return any(i is not None and i.dtype in",
        "return any(i.dtype in",
        "tests/test_graphs.py::test_the_guard_lets_integer_indexing_of_a_later_dimension_through",
    ),
    "host step counters taking counters on another device": Edit(
        GRAPHS,
        'if isinstance(s.get("step"), torch.Tensor) and s["step"].device.type == "cpu"',
        'if isinstance(s.get("step"), torch.Tensor)',
        "tests/test_graphs.py::test_host_step_counters_leave_out_counters_on_another_device",
    ),
    "a dataclass's static buffers aliasing the first batch": Edit(
        GRAPHS,
        "**{f.name: _map(fn, getattr(tree, f.name)) for f in",
        "**{f.name: getattr(tree, f.name) for f in",
        "tests/test_graphs.py::test_static_buffers_of_a_dataclass_are_refilled_in_place_and_leave_the_callers_tensors_alone",
    ),
    "a dataclass's static buffers rebound, not refilled": Edit(
        GRAPHS,
        "            _copy_into(getattr(static, f.name), getattr(tree, f.name))",
        "            setattr(static, f.name, getattr(tree, f.name))",
        "tests/test_graphs.py::test_static_buffers_of_a_dataclass_are_refilled_in_place_and_leave_the_callers_tensors_alone",
    ),
    "a dict's static buffers rebound, not refilled": Edit(
        GRAPHS,
        "        for k in static:\n            _copy_into(static[k], tree[k])",
        "        static.update(tree)",
        "tests/test_graphs.py::test_static_buffers_of_a_dict_are_refilled_in_place",
    ),
    "make_capturable leaving a step counter on another device": Edit(
        GRAPHS,
        'if isinstance(state.get("step"), torch.Tensor) and state["step"].device != p.device:',
        'if isinstance(state.get("step"), torch.Tensor) and state["step"].device == p.device:',
        "tests/test_graphs.py::test_make_capturable_moves_each_step_counter_to_its_parameters_device",
    ),
    "capture on the CPU stepping on the fresh inputs, not the static buffers": Edit(
        GRAPHS,
        "        if not self.graphed:\n            return self.step_fn(static, key)",
        "        if not self.graphed:\n            return self.step_fn(inputs, key)",
        "tests/test_graphs.py::test_capture_on_the_cpu_runs_the_step_on_the_static_buffers",
    ),
    "a warm-up not waited for by the current stream": Edit(
        GRAPHS,
        "        current.wait_stream(side)\n",
        "",
        "tests/test_graphs.py::test_a_warm_up_on_the_side_stream_waits_for_the_current_stream_and_is_waited_for",
    ),
    "a warm-up not waiting for the current stream": Edit(
        GRAPHS,
        "        side.wait_stream(current)\n",
        "",
        "tests/test_graphs.py::test_a_warm_up_on_the_side_stream_waits_for_the_current_stream_and_is_waited_for",
    ),
    "stage 1's noise drawn from the init stream": Edit(
        VECTOR_SAC,
        'torch_generator(seed, "behaviour_noise", device=device)',
        'torch_generator(seed, "behaviour_init", device=device)',
        "tests/test_sac.py::test_stage1_noise_is_each_tasks_own_behaviour_noise_stream_of_the_seed",
    ),
    "SACParams read back from json with lists": Edit(
        VECTOR_SAC,
        "return SACParams(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})",
        "return SACParams(**d)",
        "tests/test_sac.py::test_sac_params_go_to_json_and_back_unchanged",
    ),
    "SACParams written with tuples": Edit(
        VECTOR_SAC,
        "return {k: list(v) if isinstance(v, tuple) else v for k, v in self.__dict__.items()}",
        "return dict(self.__dict__)",
        "tests/test_sac.py::test_sac_params_go_to_json_and_back_unchanged",
    ),
    "stage 1's actor depth from the critic's": Edit(
        VECTOR_SAC,
        "actor_hidden = [params.actor_hidden_dim] * params.actor_hidden_depth",
        "actor_hidden = [params.actor_hidden_dim] * params.critic_hidden_depth",
        "tests/test_sac.py::test_stage1_actor_and_critic_take_their_own_hidden_sizes",
    ),
    "stage 1's critic width from the actor's": Edit(
        VECTOR_SAC,
        "critic_hidden = [params.critic_hidden_dim] * params.critic_hidden_depth",
        "critic_hidden = [params.actor_hidden_dim] * params.critic_hidden_depth",
        "tests/test_sac.py::test_stage1_actor_and_critic_take_their_own_hidden_sizes",
    ),
    "stage 1's orthogonal init of the [in, out] matrix": Edit(
        NETWORKS,
        "wt, bm = w.data[m].T, b.data[m, 0]",
        "wt, bm = w.data[m], b.data[m, 0]",
        "tests/test_sac.py::test_stage1_actor_weights_are_pytorch_sacs_orthogonal_draws_of_the_out_in_matrices",
    ),
    "an MLP's last layer in +-1e-3": Edit(
        NETWORKS,
        "        init_w: float = 3e-3,\n        generator: torch.Generator | None = None,",
        "        init_w: float = 1e-3,\n        generator: torch.Generator | None = None,",
        "tests/test_networks.py::test_an_mlps_and_an_ensembles_last_layer_default_to_the_references_3e_3",
    ),
    "an ensemble's last layer in +-1e-3": Edit(
        NETWORKS,
        "        init_w: float = 3e-3,\n        generators:",
        "        init_w: float = 1e-3,\n        generators:",
        "tests/test_networks.py::test_an_mlps_and_an_ensembles_last_layer_default_to_the_references_3e_3",
    ),
    "an ensemble's last layer given the hidden layers' init": Edit(
        NETWORKS,
        "        elif k < last:",
        "        elif k <= last:",
        "tests/test_networks.py::test_an_mlps_and_an_ensembles_last_layer_default_to_the_references_3e_3",
    ),
    "an ensemble of an unknown init accepted": Edit(
        NETWORKS,
        '        if init not in ("rlkit", "orthogonal"):\n            raise ValueError',
        '        if init not in ("rlkit", "orthogonal") and False:\n            raise ValueError',
        "tests/test_networks.py::test_an_ensemble_of_an_unknown_init_is_refused",
    ),
    "a dataset not recording gymnasium's version": Edit(
        DATA_META,
        'VERSIONED = ("torch", "mujoco", "gymnasium", "numpy")',
        'VERSIONED = ("torch", "mujoco", "numpy")',
        "tests/test_dataset.py::test_a_dataset_records_the_version_of_every_package_that_can_change_its_data",
    ),
    "running_versions handing out its cached dict": Edit(
        DATA_META,
        "    return dict(_versions())",
        "    return _versions()",
        "tests/test_dataset.py::test_running_versions_is_a_fresh_dict_each_call",
    ),
    "a task.json without complete taken as finished": Edit(
        DATA_META,
        '    if not meta.get("complete"):',
        '    if meta.get("complete") is False:',
        "tests/test_dataset.py::test_a_task_json_without_complete_is_an_incomplete_task",
    ),
    "a task.json without a task checked against the env's task": Edit(
        DATA_META,
        'if expected_task is not None and meta.get("task") is not None and not same_task(meta["task"], expected_task):',
        'if expected_task is not None and not same_task(meta.get("task"), expected_task):',
        "tests/test_dataset.py::test_a_task_json_without_a_task_is_not_checked_against_the_envs_task",
    ),
    "a task.json without checkpoints a crash": Edit(
        DATA_META,
        '    steps = meta.get("checkpoints", [])',
        '    steps = meta.get("checkpoints")',
        "tests/test_dataset.py::test_a_task_json_listing_no_checkpoints_has_none_and_no_problem",
    ),
    "a nested setting difference named from its parent on": Edit(
        DATA_META,
        'out += setting_differences(was, v, f"{prefix}{k}.")',
        'out += setting_differences(was, v, f"{k}.")',
        "tests/test_dataset.py::test_nested_setting_differences_are_named_by_their_whole_dotted_path",
    ),
    "the source revision never saying +modified": Edit(
        DATA_META,
        'return head.stdout.strip() + ("+modified" if status.stdout.strip() else "")',
        "return head.stdout.strip()",
        "tests/test_experiment.py::test_the_source_revision_says_modified_for_changed_tracked_files_only",
    ),
    "a task.json with env_name null accepted": Edit(
        DATA_META,
        'if "env_name" in meta and not isinstance(meta["env_name"], str):',
        'if "env_name" in meta and not isinstance(meta["env_name"], (str, type(None))):',
        "tests/test_dataset.py::test_a_task_json_whose_env_name_is_null_is_a_problem",
    ),
    "same_task comparing a tuple and a list as different": Edit(
        DATA_META,
        "    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):",
        "    if isinstance(a, list) and isinstance(b, list):",
        "tests/test_dataset.py::test_same_task_compares_tuples_and_lists_element_by_element",
    ),
    "the host-read guard letting allclose through": Edit(
        GRAPHS,
        "    _aten.allclose.default,  # (a Python bool)\n",
        "",
        "tests/test_graphs.py::test_the_guard_raises_on_allclose_and_bincount",
    ),
    "the host-read guard letting bincount through": Edit(
        GRAPHS,
        "    _aten.bincount.default,  # (as long as the largest value)\n",
        "",
        "tests/test_graphs.py::test_the_guard_raises_on_allclose_and_bincount",
    ),
    "run_cli exiting 2 for a diverged run": Edit(
        CLI,
        "        sys.exit(e.exit_code)",
        "        sys.exit(2)",
        "tests/test_cli.py::test_a_diverged_run_exits_3_not_2",
    ),
    "a list's entries not stripped": Edit(
        CLI,
        'items = [s.strip() for s in text.split(",")]',
        'items = text.split(",")',
        "tests/test_cli.py::test_a_list_of_names_with_spaces_after_its_commas_is_read_as_the_names",
    ),
    "peak memory in units of 1000 kB": Edit(
        CLI,
        "return int(line.split()[1]) / 1024",
        "return int(line.split()[1]) / 1000",
        "tests/test_benchmarks.py::test_peak_memory_is_linuxs_vmhwm_in_mebibytes",
    ),
    "a failed measurement child read by its JSON line": Edit(
        CLI,
        "if out.returncode == 0 and lines:",
        "if lines:",
        "tests/test_benchmarks.py::test_a_measurement_child_is_read_by_its_exit_code_its_last_stdout_line_and_its_last_stderr_line",
    ),
    "a measurement child's first stdout line read": Edit(
        CLI,
        "result = json.loads(lines[-1])",
        "result = json.loads(lines[0])",
        "tests/test_benchmarks.py::test_a_measurement_child_is_read_by_its_exit_code_its_last_stdout_line_and_its_last_stderr_line",
    ),
    "a failed measurement child's first stderr line named": Edit(
        CLI,
        "why = said[-1] if said",
        "why = said[0] if said",
        "tests/test_benchmarks.py::test_a_measurement_child_is_read_by_its_exit_code_its_last_stdout_line_and_its_last_stderr_line",
    ),
    "argparse options after -- counted as given twice": Edit(
        CLI,
        'for token in args[: args.index("--")] if "--" in args else args:',
        "for token in args:",
        "tests/test_cli.py::test_an_argparse_option_after_the_double_dash_is_an_argument_not_the_option_given_again",
    ),
    "stop_workers killing the workers that ended": Edit(
        CLI,
        "        if process.is_alive():",
        "        if not process.is_alive():",
        "tests/test_cli.py::test_stop_workers_kills_only_the_workers_still_alive_after_the_grace",
    ),
    "pool workers taking Ctrl-C": Edit(
        CLI,
        "    signal.signal(signal.SIGINT, signal.SIG_IGN)\n    signal.signal(signal.SIGTERM, _worker_sigterm)",
        "    signal.signal(signal.SIGTERM, _worker_sigterm)",
        "tests/test_cli.py::test_a_pool_worker_ignores_ctrl_c_and_takes_sigterm_as_the_word_to_stop",
    ),
    "an atomic write syncing before it flushes": Edit(
        FILEIO,
        "            f.flush()\n",
        "",
        "tests/test_run_folder.py::test_an_atomic_write_syncs_every_byte_written_not_only_what_left_the_buffer",
    ),
    "a temporary file's fourth failure not raised": Edit(
        FILEIO,
        "            if attempt == 3:\n                raise CannotCreate(errno.ENOENT, e.strerror, str(path))",
        "            if attempt == 4:\n                raise CannotCreate(errno.ENOENT, e.strerror, str(path))",
        "tests/test_run_folder.py::test_a_folder_removed_four_times_under_a_write_is_the_file_not_found_error_after_four_tries",
    ),
    "a temporary file without its leading dot": Edit(
        FILEIO,
        'prefix=f".{path.name}.", suffix=".tmp"',
        'prefix=f"{path.name}.", suffix=".tmp"',
        "tests/test_cluster.py::test_an_unfinished_atomic_write_is_a_dotted_tmp_file_that_read_tree_leaves_out",
    ),
    "error_chain stopping at raise-from-None": Edit(
        FILEIO,
        "(None if e.__suppress_context__ and not suppressed else e.__context__)",
        "(None if e.__suppress_context__ else e.__context__)",
        "tests/test_run_folder.py::test_error_chain_walks_past_a_raise_from_none_unless_told_not_to",
    ),
    "a figure's suffix read case-sensitively": Edit(
        FILEIO,
        'kind = path.suffix[1:].lower() or "png"',
        'kind = path.suffix[1:] or "png"',
        "tests/test_report_plot.py::test_a_figure_is_written_in_the_format_its_suffix_names_in_any_case",
    ),
    "a figure saved in matplotlib's default format": Edit(
        FILEIO,
        "fig.savefig(buf, format=kind, **kwargs)",
        "fig.savefig(buf, **kwargs)",
        "tests/test_report_plot.py::test_a_figure_is_written_in_the_format_its_suffix_names_in_any_case",
    ),
    "a malformed state's TypeError as a traceback": Edit(
        FILEIO,
        "    TypeError,\n    struct.error,\n",
        "    struct.error,\n",
        "tests/test_smoke.py::test_a_damaged_or_code_carrying_state_file_is_one_line_and_runs_nothing",
    ),
    "a state file read with code allowed": Edit(
        FILEIO,
        "weights_only=True",
        "weights_only=False",
        "tests/test_smoke.py::test_a_damaged_or_code_carrying_state_file_is_one_line_and_runs_nothing",
    ),
    "a csv's byte order mark kept": Edit(
        FILEIO,
        'decode("utf-8-sig")',
        'decode("utf-8")',
        "tests/test_logging.py::test_a_csv_with_a_byte_order_mark_and_blank_lines_is_read_as_its_table",
    ),
    "a csv's blank lines kept as rows": Edit(
        FILEIO,
        "for row in reader if row]",
        "for row in reader]",
        "tests/test_logging.py::test_a_csv_with_a_byte_order_mark_and_blank_lines_is_read_as_its_table",
    ),
    "read_tree in the folder's listing order": Edit(
        FILEIO,
        'for path in sorted(root.rglob("*")):',
        'for path in root.rglob("*"):',
        "tests/test_cluster.py::test_read_tree_lists_the_files_in_sorted_order_whatever_the_folders_order",
    ),
    "another host's identity-less lock taken as this host's": Edit(
        FILEIO,
        "here = host == socket.gethostname() and same_process_space(ident)",
        "here = same_process_space(ident)",
        "tests/test_run_folder.py::test_a_lock_of_another_host_without_an_identity_is_refused_though_its_pid_is_free_here",
    ),
    "a pid-only lock read as host ''": Edit(
        FILEIO,
        'return host or socket.gethostname(), int(pid or "-1"), ident',
        'return host, int(pid or "-1"), ident',
        "tests/test_run_folder.py::test_a_lock_file_holding_only_a_pid_is_this_hosts",
    ),
    "a process identity from its memory size, not its start time": Edit(
        FILEIO,
        '.rsplit(")", 1)[1].split()[19]',
        '.rsplit(")", 1)[1].split()[21]',
        "tests/test_run_folder.py::test_a_process_identity_holds_its_start_time_which_does_not_change_as_it_runs",
    ),
    "a process this user may not signal taken as gone": Edit(
        FILEIO,
        "    except PermissionError:\n        return True",
        "    except PermissionError:\n        return False",
        "tests/test_run_folder.py::test_a_process_that_this_user_may_not_signal_is_alive",
    ),
    "lock_holder taking another host's lock as this host's": Edit(
        FILEIO,
        "    if host == socket.gethostname() and same_process_space(ident):",
        "    if same_process_space(ident):",
        "tests/test_run_folder.py::test_lock_holder_names_another_hosts_lock_though_its_pid_is_free_here",
    ),
    "a linked scratch folder of a killed process followed, not removed": Edit(
        FILEIO,
        "if path.is_dir() and not path.is_symlink():",
        "if path.is_dir():",
        "tests/test_cluster.py::test_the_scratch_of_a_killed_process_that_is_a_link_to_a_folder_is_removed_and_its_target_kept",
    ),
    "a state starting with pickle's float opcode as a traceback": Edit(
        FILEIO,
        "    struct.error,\n)",
        "\n)",
        "tests/test_smoke.py::test_a_damaged_or_code_carrying_state_file_is_one_line_and_runs_nothing",
    ),
    "a sampled z's redraw reading the newest context parts": Edit(
        EVAL_PROTOCOLS,
        "torch.cat(self.parts[i][:n]) if n else",
        "torch.cat(self.parts[i][-n:]) if n else",
        "tests/test_eval.py::test_a_sampled_z_redrawn_after_a_context_episode_reads_the_context_of_the_last_inference",
    ),
    "scored episodes rolled out to the meta-test's step budget, not its horizon": Edit(
        EVAL_PROTOCOLS,
        "rollout(envs, act_fn, setting.max_path_length, active",
        "rollout(envs, act_fn, setting.num_steps_per_eval, active",
        "tests/test_eval.py::test_a_scored_episode_is_cut_at_the_meta_tests_horizon_not_at_the_envs_time_limit",
    ),
    "a done job's z redrawn while others go on": Edit(
        EVAL_PROTOCOLS,
        "ctx.resample(np.flatnonzero(active & ~infer))",
        "ctx.resample(np.flatnonzero(~infer))",
        "tests/test_eval.py::test_a_job_that_is_done_is_neither_inferred_nor_redrawn_while_others_go_on",
    ),
    "a done job's z re-inferred while others go on": Edit(
        EVAL_PROTOCOLS,
        "infer = active & (scored >=",
        "infer = (scored >=",
        "tests/test_eval.py::test_a_job_that_is_done_is_neither_inferred_nor_redrawn_while_others_go_on",
    ),
    "Np redrawing z for jobs that already have their context": Edit(
        EVAL_PROTOCOLS,
        "ctx.resample(np.flatnonzero(need))",
        "ctx.resample(np.flatnonzero(active))",
        "tests/test_eval.py::test_np_redraws_no_z_for_a_job_with_its_context_while_a_batch_mate_collects_more",
    ),
    "the eval setting ignoring num_exp_traj_eval": Edit(
        EVAL_PROTOCOLS,
        "return cls(a.num_steps_per_eval, a.max_path_length, a.num_exp_traj_eval, a.use_next_obs_in_context)",
        "return cls(a.num_steps_per_eval, a.max_path_length, 1, a.use_next_obs_in_context)",
        "tests/test_eval.py::test_the_eval_setting_reads_each_of_its_keys_from_the_config",
    ),
    "a sampled z starting at 0, not a prior draw": Edit(
        EVAL_PROTOCOLS,
        "self.z = agent.prior_z(n_jobs).to(device)",
        "self.z = torch.zeros(n_jobs, agent.latent_dim, device=device)",
        "tests/test_eval.py::test_a_sampled_z_acts_in_the_first_episode_with_a_draw_from_the_prior",
    ),
    "the offline-context stream not keyed by the iteration": Edit(
        EVALUATOR,
        'torch_generator(seed, "eval_offline_context", iteration, device=device)',
        'torch_generator(seed, "eval_offline_context", 0, device=device)',
        "tests/test_evaluator.py::test_each_meta_tests_streams_are_keyed_by_its_iteration",
    ),
    "BOREL's offline episodes bounded by the meta-test horizon": Edit(
        EVALUATOR,
        "a.n_trj, cfg.env_params.max_episode_steps)",
        "a.n_trj, a.max_path_length)",
        "tests/test_evaluator.py::test_borels_offline_episodes_are_bounded_by_the_envs_time_limit_not_the_meta_tests_horizon",
    ),
    "an evaluator taking test data without its test tasks": Edit(
        EVALUATOR,
        '            eval_buffer.require(test_tasks, "test tasks")\n',
        "            pass\n",
        "tests/test_evaluator.py::test_an_evaluator_refuses_test_data_without_its_test_tasks",
    ),
    "an evaluator taking fewer env states than envs": Edit(
        EVALUATOR,
        "if len(states) != len(self.envs):",
        "if len(states) > len(self.envs):",
        "tests/test_evaluator.py::test_an_evaluator_refuses_fewer_env_states_than_it_has_job_envs",
    ),
    "the logged Np z std of the first job": Edit(
        EVALUATOR,
        "float(np_result.z_std[-1])",
        "float(np_result.z_std[0])",
        "tests/test_evaluator.py::test_the_meta_tests_logged_z_std_is_the_last_np_jobs",
    ),
    "the meta-test's rollouts counting jobs, not scored episodes": Edit(
        EVALUATOR,
        "return sum(len(r) for v in self.returns.values() for r in v)",
        "return sum(len(v) for v in self.returns.values())",
        "tests/test_evaluator.py::test_the_meta_tests_rollouts_count_every_scored_episode",
    ),
    "BOREL's Np giving idle jobs an empty episode": Edit(
        RECURRENT,
        "for i in np.flatnonzero(paths.lengths):",
        "for i in range(len(self.history)):",
        "tests/test_borel.py::test_borels_np_keeps_a_jobs_context_episode_while_a_batch_mate_collects_more",
    ),
    "BOREL's belief advanced for jobs that did not step": Edit(
        RECURRENT,
        "        jobs = np.flatnonzero(stepped)\n",
        "        jobs = np.arange(len(stepped))\n",
        "tests/test_borel.py::test_borels_belief_advances_only_for_the_jobs_that_stepped",
    ),
    "BOREL's belief restarted for done jobs": Edit(
        RECURRENT,
        "lambda active, scored: belief.start(np.flatnonzero(active))",
        "lambda active, scored: belief.start(np.arange(len(envs)))",
        "tests/test_borel.py::test_borels_belief_advances_only_for_the_jobs_that_stepped",
    ),
    "two loggers of one folder writing each debug line twice": Edit(
        LOGGER,
        "        if not self.log.handlers:\n",
        "        if True:\n",
        "tests/test_logging.py::test_two_loggers_of_one_run_folder_write_each_debug_line_once",
    ),
    "VAE scalars written with TensorBoard off": Edit(
        LOGGER,
        '        if self.use_tensorboard:\n            tb = self._tb("vae")',
        '        if True:\n            tb = self._tb("vae")',
        "tests/test_logging.py::test_a_run_without_tensorboard_writes_no_vae_scalars_either",
    ),
    "a resume's VAE purge one step late": Edit(
        LOGGER,
        'self._purge["vae"] = vae_step',
        'self._purge["vae"] = vae_step + 1',
        "tests/test_logging.py::test_a_resume_purges_a_vae_block_of_one_step_logged_after_the_saved_step",
    ),
    "closing a logger leaving its TensorBoard writers open": Edit(
        LOGGER,
        "        for tb in self._writers.values():\n            tb.close()\n",
        "",
        "tests/test_logging.py::test_closing_a_logger_stops_its_tensorboard_writers",
    ),
    "the dual critic's loss column misspelt": Edit(
        COLUMNS,
        '"dual_critic_loss": "Dual Critic Loss",',
        '"dual_critic_loss": "Dual critic Loss",',
        "tests/test_logging.py::test_each_loss_lands_in_the_column_of_its_reference_name",
    ),
    "the alpha column reading the divergence estimate": Edit(
        COLUMNS,
        '"alpha": "alpha",',
        '"alpha": "div_estimate",',
        "tests/test_logging.py::test_each_statistic_column_reads_its_own_field",
    ),
    "the collapse floor of the across-task std at 1e-3": Edit(
        COLUMNS,
        "COLLAPSE_RATIO, COLLAPSE_ACROSS = 1.5, 1e-4",
        "COLLAPSE_RATIO, COLLAPSE_ACROSS = 1.5, 1e-3",
        "tests/test_collapse.py::test_the_collapse_thresholds_are_the_documented_ratio_1_5_and_across_task_std_1e_4",
    ),
    "the collapse ratio at 1.2": Edit(
        COLUMNS,
        "COLLAPSE_RATIO, COLLAPSE_ACROSS = 1.5, 1e-4",
        "COLLAPSE_RATIO, COLLAPSE_ACROSS = 1.2, 1e-4",
        "tests/test_collapse.py::test_the_collapse_thresholds_are_the_documented_ratio_1_5_and_across_task_std_1e_4",
    ),
    "the collapse floor exclusive": Edit(
        COLUMNS,
        "and across >= COLLAPSE_ACROSS)",
        "and across > COLLAPSE_ACROSS)",
        "tests/test_collapse.py::test_the_collapse_thresholds_are_the_documented_ratio_1_5_and_across_task_std_1e_4",
    ),
    "the VAE reward and state loss columns swapped": Edit(
        COLUMNS,
        '"reward": "VAE Reward Loss",\n    "state": "VAE State Loss",',
        '"reward": "VAE State Loss",\n    "state": "VAE Reward Loss",',
        "tests/test_logging.py::test_each_vae_part_has_the_column_of_its_own_name",
    ),
    "one data folder by two spellings two experiments": Edit(
        REPORT,
        'return f"path {Path(cfg_data_dir).resolve()}"',
        'return f"path {cfg_data_dir}"',
        "tests/test_report_plot.py::test_runs_that_name_one_data_folder_by_different_spellings_are_one_experiment",
    ),
    "the oracle reference over the env's horizon, not the run's": Edit(
        REPORT,
        "float(np.mean([oracle_return(env, t, reward_fn, horizon=h) for t in test])),",
        "float(np.mean([oracle_return(env, t, reward_fn) for t in test])),",
        "tests/test_report_plot.py::test_the_references_are_the_held_out_tasks_own_returns_over_the_runs_meta_test_episodes",
    ),
    "the references of the training tasks": Edit(
        REPORT,
        "    _, test = train_eval_split(cfg)\n    return Reference(",
        "    test, _ = train_eval_split(cfg)\n    return Reference(",
        "tests/test_report_plot.py::test_the_references_are_the_held_out_tasks_own_returns_over_the_runs_meta_test_episodes",
    ),
    "a data reference's top the mean checkpoint, not the best": Edit(
        REPORT,
        "best.append(np.nanmax(returns))",
        "best.append(np.nanmean(returns))",
        "tests/test_report_plot.py::test_the_top_of_a_family_without_an_oracle_is_the_held_out_tasks_best_checkpoint_on_the_scored_reward",
    ),
    "a data reference's random bottom over at most 10 episodes": Edit(
        REPORT,
        "episodes = max(10, 4000 // env.max_episode_steps)",
        "episodes = min(10, 4000 // env.max_episode_steps)",
        "tests/test_report_plot.py::test_the_bottom_of_a_family_without_an_oracle_is_scored_on_the_bodies_the_data_was_written_with",
    ),
    "a data reference's top on the dense reward": Edit(
        REPORT,
        "trajs = dataclasses.replace(trajs, rewards=reward_fn(trajs.rewards))",
        "trajs = dataclasses.replace(trajs, rewards=trajs.rewards)",
        "tests/test_report_plot.py::test_the_top_of_a_family_without_an_oracle_is_the_held_out_tasks_best_checkpoint_on_the_scored_reward",
    ),
    "a data reference's top over whole episodes, not the run's horizon": Edit(
        REPORT,
        "returns.append(mean_return(trajs, cfg.algo_params.max_path_length))",
        "returns.append(mean_return(trajs))",
        "tests/test_report_plot.py::test_the_top_of_a_family_without_an_oracle_is_the_held_out_tasks_best_checkpoint_on_the_scored_reward",
    ),
    "a data reference of the training tasks": Edit(
        REPORT,
        "    _, test = train_eval_split(cfg)\n    dirs = dict(",
        "    test, _ = train_eval_split(cfg)\n    dirs = dict(",
        "tests/test_report_plot.py::test_the_top_of_a_family_without_an_oracle_is_the_held_out_tasks_best_checkpoint_on_the_scored_reward",
    ),
    "a data reference's bottom on the env's own bodies, not the data's": Edit(
        REPORT,
        "    restore_dataset_tasks(env, cfg.algo_params.data_dir)  #",
        "    None  #",
        "tests/test_report_plot.py::test_the_bottom_of_a_family_without_an_oracle_is_scored_on_the_bodies_the_data_was_written_with",
    ),
    "a seeds file's bar of no protocol accepted": Edit(
        REPORT,
        'if not seeds or bar["protocol"] not in PROTOCOLS or not isinstance(doc["config"], str):',
        'if not seeds or not isinstance(doc["config"], str):',
        "tests/test_report_plot.py::test_read_spread_refuses_a_bar_of_no_protocol_or_a_file_of_no_seeds",
    ),
    "a seeds file of no seeds accepted": Edit(
        REPORT,
        'if not seeds or bar["protocol"]',
        'if bar["protocol"]',
        "tests/test_report_plot.py::test_read_spread_refuses_a_bar_of_no_protocol_or_a_file_of_no_seeds",
    ),
    "a seeds file's non-finite bar accepted": Edit(
        REPORT,
        "not isinstance(value, (int, float)) or not math.isfinite(value):",
        "not isinstance(value, (int, float)):",
        "tests/test_report_plot.py::test_read_spread_refuses_a_bar_that_is_not_a_finite_number",
    ),
    "a run without config_file taken as of no config": Edit(
        REPORT,
        'recorded = variant.get("util_params", {}).get("config_file") or spread["config"]',
        'recorded = variant.get("util_params", {}).get("config_file") or ""',
        "tests/test_report_plot.py::test_a_run_older_than_config_file_is_taken_to_be_of_the_seeds_config",
    ),
    "each protocol's line against the seeds read from another protocol": Edit(
        REPORT,
        's = np.array([ref.score(r[protocol]) for r in spread["seeds"].values()])',
        's = np.array([ref.score(r[name]) for r in spread["seeds"].values()])',
        "tests/test_report_plot.py::test_each_protocols_line_against_the_seeds_gives_that_protocols_spread",
    ),
    "a finished run run again rewriting its variant.json": Edit(
        EXPERIMENT,
        "        if training:\n            logger.write_variant(variant)",
        "        logger.write_variant(variant)",
        "tests/test_graphs.py::test_a_finished_run_run_again_says_it_is_complete",
    ),
    "a damaged code.json read only after the resume has written": Edit(
        EXPERIMENT,
        '        if (self.setup.out_dir / "latest.pt").is_file():\n            code_entries(self.setup.out_dir)',
        "        if False:\n            code_entries(self.setup.out_dir)",
        "tests/test_graphs.py::test_a_finished_run_run_again_says_it_is_complete",
    ),
    "a complete task's cut-short step file counted complete": Edit(
        GENERATE,
        "if not path.is_file() or not zipfile.is_zipfile(path):",
        "if not path.is_file():",
        "tests/test_sac.py::test_a_complete_task_missing_a_checkpoint_file_or_with_one_cut_short_is_refused",
    ),
    "the report flagging only the first collapsed run": Edit(
        REPORT,
        "for line in length_lines(table) + collapse_lines(runs):",
        "for line in length_lines(table) + collapse_lines(runs[:1]):",
        "tests/test_report_plot.py::test_the_report_flags_every_collapsed_run_not_only_the_first",
    ),
    "runs ending at different train steps averaged without a word": Edit(
        REPORT,
        "    if len(steps) < 2:\n        return []",
        "    if len(steps) < 3:\n        return []",
        "tests/test_report_plot.py::test_report_table_known_numbers",
    ),
    "the IQM interval of 4 runs or fewer not said to be their range": Edit(
        REPORT,
        "    if len(table) <= 4:",
        "    if len(table) < 2:",
        "tests/test_report_plot.py::test_report_table_known_numbers",
    ),
    "several runs' mean not held to the mean bar": Edit(
        REPORT,
        'low_mean = len(mine) > 1 and mine.mean() < bar["mean_at_least"]',
        "low_mean = False",
        "tests/test_report_plot.py::test_a_run_above_or_below_the_reference_seeds_is_outside_their_spread",
    ),
    "--against seeds of another config not checked": Edit(
        REPORT,
        "    if spread:\n        check_against(groups, spread, against)",
        "    if spread:\n        pass",
        "tests/test_report_plot.py::test_against_seeds_of_another_config_is_refused_before_anything_is_printed",
    ),
    "UNICORN_SUP trained by UNICORN_SS's learner": Edit(
        PLAN,
        '"UNICORN_SUP": ("UNICORN_SUP", {}),',
        '"UNICORN_SUP": ("UNICORN_SS", {}),',
        "tests/test_reproduce.py::test_each_method_of_the_reproduction_trains_its_own_algo_type",
    ),
    "OFFPEARL trained as FOCAL": Edit(
        PLAN,
        '"OFFPEARL": ("OFFPEARL", {}),',
        '"OFFPEARL": ("FOCAL", {}),',
        "tests/test_reproduce.py::test_each_method_of_the_reproduction_trains_its_own_algo_type",
    ),
    "the tiny profile writing the paper's data folder": Edit(
        PLAN,
        '"data_dir": f"./offline_dataset/{env}-tiny",',
        '"data_dir": f"./offline_dataset/{env}",',
        "tests/test_reproduce.py::test_a_tiny_profile_writes_its_own_data_folder_not_the_papers",
    ),
    "the demo profile held to one seed": Edit(
        PLAN,
        '            "demo_point",\n            3,',
        '            "demo_point",\n            1,',
        "tests/test_reproduce.py::test_the_demo_profile_averages_as_many_iterations_as_the_seeds_it_is_held_to",
    ),
    "BOREL's cheetah CPU profile with 8 VAE tasks": Edit(
        PLAN,
        '"borel_vae_tasks": 4,',
        '"borel_vae_tasks": 8,',
        "tests/test_reproduce.py::test_borel_at_the_cheetah_cpu_profile_has_the_vae_sizes_the_profile_was_measured_at",
    ),
    "a profile's settings over the ones given": Edit(
        PLAN,
        "return load_config(self.config, self.profile_overrides, self.overrides)",
        "return load_config(self.config, self.overrides, self.profile_overrides)",
        "tests/test_reproduce.py::test_data_dir_given_to_the_reproduction_wins_over_the_profiles_own",
    ),
    "a method's overrides shared between plans": Edit(
        PLAN,
        '"algo_params": dict(extra.get("algo_params", {})),',
        '"algo_params": extra.get("algo_params", {}),',
        "tests/test_reproduce.py::test_one_plans_data_dir_does_not_leak_into_the_next_plan",
    ),
    "a plan's config read from the working folder": Edit(
        PLAN,
        "str(REPO_ROOT / p.config),",
        "str(p.config),",
        "tests/test_reproduce.py::test_a_plan_made_from_another_folder_loads_the_repositorys_config",
    ),
    "a finished folder's lost snapshot not restored": Edit(
        PLAN,
        "        restore_missing_snapshot(spec.out_dir, cfg, done)\n",
        "        pass\n",
        "tests/test_reproduce.py::test_a_finished_folder_that_lost_its_last_snapshot_gets_it_back_from_latest_pt",
    ),
    "a z0 share of 0 accepted": Edit(
        CONFIG_PY,
        '0.25, "that share: the first ceil(share * batch_size) rows of each task\'s batch", "(0, 1]"',
        '0.25, "that share: the first ceil(share * batch_size) rows of each task\'s batch", "[0, 1]"',
        "tests/test_variants.py::test_combinations_that_cannot_work_are_refused",
    ),
    "the twin critics' initial weights the same for every seed": Edit(
        TRAINER_PY,
        "generators=[init_gen, init_gen]",
        "generators=[torch.Generator().manual_seed(0), torch.Generator().manual_seed(0)]",
        "tests/test_gradient_flow.py::test_the_networks_initial_weights_follow_the_runs_seed",
    ),
    "the encoder's optimiser never stepped": Edit(
        TRAINER_PY,
        "        self.encoder_opt.step()  # 3 + 1 (+ 4 with allow_backward_z)",
        "        pass  # 3 + 1 (+ 4 with allow_backward_z)",
        "tests/test_collapse.py::test_every_method_keeps_a_context_dependent_z",
    ),
    "BOREL's belief VAE never stepped": Edit(
        TRAINER_PY,
        "terms.loss.backward(inputs=list(vae.parameters()))\n        self.encoder_opt.step()",
        "terms.loss.backward(inputs=list(vae.parameters()))",
        "tests/test_collapse.py::test_every_method_keeps_a_context_dependent_z",
    ),
    "BOREL's critic blind to terminals": Edit(
        TRAINER_PY,
        "rows = RLBatch(obs, flat.actions, flat.rewards, next_obs, flat.terminals)",
        "rows = RLBatch(obs, flat.actions, flat.rewards, next_obs, torch.zeros_like(flat.terminals))",
        "tests/test_borel.py::test_borels_learner_step_is_the_papers_losses_on_each_rows_belief",
    ),
    "BOREL's policy loss without BRAC's penalty": Edit(
        TRAINER_PY,
        "self._update_value(obs, z, pi)  # 5\n        pol_loss = self._update_policy(pi, min_q_new, d_hat)",
        "self._update_value(obs, z, pi)  # 5\n        pol_loss = self._update_policy(pi, min_q_new, None)",
        "tests/test_borel.py::test_borels_learner_step_is_the_papers_losses_on_each_rows_belief",
    ),
    "BOREL's V target at the row's own belief, not the next": Edit(
        TRAINER_PY,
        "target_v = self._target_v(next_obs, z_next, d_hat)",
        "target_v = self._target_v(next_obs, z, d_hat)",
        "tests/test_borel.py::test_borels_learner_step_is_the_papers_losses_on_each_rows_belief",
    ),
    "the critics' hidden layers drawn at fan-in": Edit(
        NETWORKS,
        "_init_hidden_(wt, bm, w.shape[2], gens[m])",
        "_init_hidden_(wt, bm, w.shape[1], gens[m])",
        "tests/test_networks.py::test_an_ensemble_of_one_holds_an_mlps_initial_values",
    ),
    "the policy's last layer drawn within 3e-3": Edit(
        NETWORKS,
        "init_w=1e-3, generator=generator)",
        "init_w=3e-3, generator=generator)",
        "tests/test_networks.py::test_the_policys_last_layer_is_drawn_within_1e_3",
    ),
    "stage 1's replay blind to terminations": Edit(
        GENERATE,
        "not_done.append(0.0 if terminated else 1.0)",
        "not_done.append(1.0)",
        "tests/test_sac.py::test_stage1_writes_each_termination_as_not_done_0",
    ),
    "CORRO's negatives at the default reward std whatever the config says": Edit(
        CORRO,
        "reward_randomized_negatives(rows, NEGATIVES, reward_col, settings.reward_std, generator)",
        "reward_randomized_negatives(rows, NEGATIVES, reward_col, 0.5, generator)",
        "tests/test_baselines.py::test_corros_step_randomises_the_reward_column_of_its_negatives",
    ),
    "CORRO's positives given no gradient": Edit(
        CORRO,
        "k = e[:, :n].reshape(T * n, -1), e[:, n : 2 * n].reshape(T * n, -1)",
        "k = e[:, :n].reshape(T * n, -1), e[:, n : 2 * n].reshape(T * n, -1).detach()",
        CORRO_CONTRASTIVE_TEST,
    ),
    "the zero-action reference on the dense reward of a sparse run": Edit(
        REPORT,
        "still=float(np.mean([zero_action_return(env, t, reward_fn=reward_fn, horizon=h) for t in test])),",
        "still=float(np.mean([zero_action_return(env, t, horizon=h) for t in test])),",
        "tests/test_report_plot.py::test_sparse_runs_are_referenced_on_the_sparse_reward",
    ),
    "the table's zero-action row printing the random return": Edit(
        REPORT,
        "{ref.still:8.2f}          {ref.still_score:8.3f}",
        "{ref.random:8.2f}          {ref.still_score:8.3f}",
        "tests/test_report_plot.py::test_report_table_known_numbers",
    ),
    "OFFPEARL's KL with the posterior's variance detached": Edit(
        TRAINER_PY,
        "self.loss.kl_to_standard_normal(lat.z, lat.z_var)",
        "self.loss.kl_to_standard_normal(lat.z, lat.z_var.detach())",
        "tests/test_offpearl.py::test_the_kl_moves_the_encoder_only",
    ),
    "a reproduction's run on CUDA whatever the profile's config": Edit(
        PLAN,
        "device = config_device(util.use_gpu, util.gpu_id, spec.gpu, quiet=True)",
        "device = config_device(True, 0, spec.gpu, quiet=True)",
        "tests/test_reproduce_command.py::test_stage_1_and_the_runs_train_where_the_profiles_configs_say_unless_gpu_says",
    ),
    "a reproduction's stage 1 on CUDA whatever its SAC config": Edit(
        PLAN,
        "stage1 = sac_config_device(sac_device, gpu, quiet=True)",
        'stage1 = sac_config_device("cuda", gpu, quiet=True)',
        "tests/test_reproduce_command.py::test_stage_1_and_the_runs_train_where_the_profiles_configs_say_unless_gpu_says",
    ),
    "a reproduction's first line naming CUDA whatever the profile's config": Edit(
        PLAN,
        "runs = config_device(cfg.util_params.use_gpu, cfg.util_params.gpu_id, gpu)",
        "runs = config_device(True, 0, gpu)",
        "tests/test_reproduce_command.py::test_stage_1_and_the_runs_train_where_the_profiles_configs_say_unless_gpu_says",
    ),
    "the demo's stage 1 on CUDA while its runs are on the CPU": Edit(
        "rlkit/behaviour/sac_config/demo_point.yaml",
        "device: cpu ",
        "device: cuda ",
        "tests/test_reproduce_command.py::test_each_profiles_two_stages_ask_for_one_device",
    ),
    "show_path on CUDA whatever the run's config": Edit(
        SHOW_PATH,
        "else config_device(cfg.util_params.use_gpu, cfg.util_params.gpu_id, None)",
        "else select_device(None)",
        SHOW_TESTS + "test_show_path_without_gpu_runs_where_the_run_ran",
    ),
    "a run's console.log overwritten": Edit(
        PLAN,
        'with open(spec.out_dir / "console.log", "a", buffering=1) as log:',
        'with open(spec.out_dir / "console.log", "w", buffering=1) as log:',
        "tests/test_reproduce.py::test_train_one_trains_its_runs_seed_on_its_device_and_threads_appending_to_its_console_log",
    ),
    "every run of a reproduction trained at seed 0": Edit(
        PLAN,
        "MetaTrainer(prepare(cfg, spec.seed, device), show_progress=False).run()",
        "MetaTrainer(prepare(cfg, 0, device), show_progress=False).run()",
        "tests/test_reproduce.py::test_train_one_trains_its_runs_seed_on_its_device_and_threads_appending_to_its_console_log",
    ),
    "the cost estimate leaving torch's threads changed": Edit(
        PLAN,
        "    finally:\n        torch.set_num_threads(threads)",
        "    finally:\n        pass",
        "tests/test_reproduce.py::test_the_cost_estimate_leaves_this_processs_torch_threads_as_they_were",
    ),
    "a run's threads not set": Edit(
        PLAN,
        "    torch.set_num_threads(spec.threads)\n",
        "    pass\n",
        "tests/test_reproduce.py::test_train_one_trains_its_runs_seed_on_its_device_and_threads_appending_to_its_console_log",
    ),
    "a run's --gpu ignored": Edit(
        PLAN,
        "**(gpu_overrides(gpu) if gpu is not None else {}),",
        "**({}),",
        "tests/test_reproduce.py::test_train_one_trains_its_runs_seed_on_its_device_and_threads_appending_to_its_console_log",
    ),
    "the report's seeds in the order given": Edit(
        REPRODUCE_MAIN,
        'seed_list = sorted(parse_list("--seeds", seeds, minimum=0, duplicates="drop"))',
        'seed_list = list(parse_list("--seeds", seeds, minimum=0, duplicates="drop"))',
        "tests/test_reproduce_command.py::test_the_report_lists_each_methods_seeds_in_order_whatever_order_seeds_gives",
    ),
    "a method given twice planned twice": Edit(
        REPRODUCE_MAIN,
        'method_list = parse_list("--methods", methods, choices=METHODS, duplicates="drop")',
        'method_list = parse_list("--methods", methods, choices=METHODS)',
        "tests/test_reproduce_command.py::test_a_method_given_twice_is_planned_once",
    ),
    "the report target checked under another name": Edit(
        REPRODUCE_MAIN,
        'check_report_target(Path(results) / f"{env}-{profile_name}.md", method_list, seed_list)',
        'check_report_target(Path(results) / f"{env}.md", method_list, seed_list)',
        "tests/test_reproduce_command.py::test_the_report_the_command_would_replace_is_checked_before_anything_trains",
    ),
    "--eager/--capture not reaching the switch": Edit(
        REPRODUCE_MAIN,
        "    graphs.request_capture(capture)",
        "    graphs.request_capture(None)",
        "tests/test_reproduce_command.py::test_eager_and_capture_reach_the_cuda_graph_switch",
    ),
    "every job given all the cores": Edit(
        REPRODUCE_MAIN,
        "threads = threads or max(1, usable_cores() // jobs)",
        "threads = threads or max(1, usable_cores())",
        "tests/test_reproduce_command.py::test_runs_share_the_cores_between_the_jobs_and_stage_1_takes_them_all",
    ),
    "stage 1 given one job's share of the cores": Edit(
        REPRODUCE_MAIN,
        "torch.set_num_threads(given_threads or usable_cores())",
        "torch.set_num_threads(threads or usable_cores())",
        "tests/test_reproduce_command.py::test_runs_share_the_cores_between_the_jobs_and_stage_1_takes_them_all",
    ),
    "--data_dir not reaching the runs": Edit(
        REPRODUCE_MAIN,
        "Path(out), threads, gpu, Path(data_dir) if data_dir else None",
        "Path(out), threads, gpu, None",
        "tests/test_reproduce_command.py::test_data_dir_is_where_stage_1_writes_and_every_run_reads",
    ),
    "--report-only reading the folders as resumed": Edit(
        REPRODUCE_MAIN,
        "progress = [iterations_of(s, as_made=report_only) for s in specs]",
        "progress = [iterations_of(s) for s in specs]",
        "tests/test_reproduce_command.py::test_report_only_reads_the_folders_as_they_were_made",
    ),
    "the cost estimate given the iterations to do, not done": Edit(
        REPRODUCE_MAIN,
        "todo, done = [specs[i] for i in order], [progress[i][0] for i in order]",
        "todo, done = [specs[i] for i in order], [progress[i][1] for i in order]",
        "tests/test_reproduce_command.py::test_the_cost_estimate_is_given_the_iterations_each_run_to_train_has_done",
    ),
    "stage 1 of one task fewer": Edit(
        REPRODUCE_MAIN,
        "            list(range(n)),",
        "            list(range(n - 1)),",
        "tests/test_reproduce_command.py::test_data_dir_is_where_stage_1_writes_and_every_run_reads",
    ),
    "a failed run not returned as a failure": Edit(
        REPRODUCE_MAIN,
        '        failed.append(FailedRun(f"{spec.method} seed {spec.seed}: {error}"))\n',
        "        pass\n",
        "tests/test_reproduce.py::test_a_run_that_fails_on_our_side_is_returned_as_a_failure_by_the_one_job_loop",
    ),
    "stage 1 of a reproduction on the CPU whatever the runs' device": Edit(
        REPRODUCE_MAIN,
        "            behaviour,\n            stage1_device,",
        '            behaviour,\n            "cpu",',
        "tests/test_reproduce_command.py::test_stage_1_generates_the_data_on_the_device_the_runs_train_on",
    ),
    "a held-out task without eval episodes a traceback or a nan top": Edit(
        REPORT,
        "        if not np.isfinite(returns).any():",
        "        if False:",
        "tests/test_report_plot.py::test_a_held_out_task_without_eval_episodes_is_one_line_for_the_data_reference",
    ),
    "rollout with no active job not refused": Edit(
        ROLLOUT,
        "    if len(active) != E or not np.any(active):\n",
        "    if len(active) != E:\n",
        "tests/test_eval.py::test_a_rollout_with_no_active_job_or_a_mask_of_another_length_is_refused_in_one_line",
    ),
    "struct.error named 'error' in a one-line message": Edit(
        FILEIO,
        '    return f"{type(e).__module__}.{kind}" if kind == "error" else kind\n',
        "    return kind\n",
        "tests/test_smoke.py::test_a_damaged_or_code_carrying_state_file_is_one_line_and_runs_nothing",
    ),
    "a BOREL belief carrying one context episode more than its window": Edit(
        RECURRENT,
        "[-self.window :]",
        "[-(self.window + 1) :]",
        "tests/test_borel.py::test_online_belief_reads_the_sparse_reward_in_its_steps_and_its_context",
    ),
    "a Ray head address split at its first colon (IPv6 refused)": Edit(
        CLUSTER_ENGINE,
        'host, _, port = a.removeprefix("ray://").rpartition(":")',
        'host, _, port = a.removeprefix("ray://").partition(":")',
        "tests/test_cluster.py::test_an_ipv6_head_address_in_brackets_is_accepted",
    ),
    "the head probe keeping an IPv6 address's brackets": Edit(
        CLUSTER_ENGINE,
        'with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):',
        "with socket.create_connection((host, int(port)), timeout=timeout):",
        "tests/test_cluster.py::test_an_ipv6_head_is_probed_at_its_address_without_brackets",
    ),
    "the head probe splitting HOST:PORT at the first colon": Edit(
        CLUSTER_ENGINE,
        'host, _, port = head.rpartition(":")',
        'host, _, port = head.partition(":")',
        "tests/test_cluster.py::test_an_ipv6_head_is_probed_at_its_address_without_brackets",
    ),
    "port 65536 accepted": Edit(
        CLUSTER_ENGINE,
        "not 0 < int(port) < 65536:",
        "not 0 < int(port) <= 65536:",
        "tests/test_cluster.py::test_port_65536_is_refused_and_65535_accepted",
    ),
    "an infinite --cpus-per-task accepted": Edit(
        CLUSTER_ENGINE,
        "not (value >= 0 and math.isfinite(value)):",
        "not (value >= 0):",
        "tests/test_cluster.py::test_an_infinite_number_of_cpus_or_gpus_per_task_is_refused",
    ),
    "a node's fractional task slots truncated by rounding": Edit(
        CLUSTER_ENGINE,
        "return int(min(per) + 1e-9)",
        "return int(min(per))",
        "tests/test_cluster.py::test_fractional_tasks_per_node_are_counted_despite_rounding",
    ),
    "the largest node ranked by CPUs before GPUs": Edit(
        CLUSTER_ENGINE,
        'big = max(nodes, key=lambda r: (r.get("GPU", 0), r.get("CPU", 0)), default={})',
        'big = max(nodes, key=lambda r: (r.get("CPU", 0), r.get("GPU", 0)), default={})',
        "tests/test_cluster.py::test_the_largest_node_a_refusal_names_is_the_one_with_the_most_gpus",
    ),
    "a Ray segment without keep_freed_memory": Edit(
        CLUSTER_ENGINE,
        "    keep_freed_memory()  # as the entry points do",
        "    pass  # as the entry points do",
        "tests/test_cluster.py::test_a_segment_keeps_the_memory_it_frees_as_the_entry_points_do",
    ),
    "a sweep entry without a string exp_name accepted": Edit(
        CLUSTER_RUNS,
        '            or not isinstance(e.get("exp_name"), str)\n',
        "",
        "tests/test_cluster.py::test_a_sweep_entry_without_a_string_exp_name_is_one_line_naming_it",
    ),
    "--seeds without --sweep ignoring the command line's exp_name": Edit(
        CLUSTER_RUNS,
        "sweep = [(experiment_name(load_config(config, overrides)), {})]",
        "sweep = [(experiment_name(load_config(config)), {})]",
        "tests/test_cluster.py::test_seeds_without_a_sweep_go_to_the_folder_the_command_lines_exp_name_names",
    ),
    "runs one after another always drawing progress bars": Edit(
        CLUSTER_RUNS,
        "MetaTrainer(setup, show_progress=show_progress).run()",
        "MetaTrainer(setup, show_progress=True).run()",
        "tests/test_cluster.py::test_runs_one_after_another_show_progress_only_when_asked",
    ),
    "runs one after another without keep_freed_memory": Edit(
        CLUSTER_RUNS,
        "    keep_freed_memory()\n    return run_sequential",
        "    return run_sequential",
        "tests/test_cluster.py::test_runs_one_after_another_keep_the_memory_they_free",
    ),
    "a node's dataset copy dropped after an hour unused, not a day": Edit(
        CLUSTER_RUNS,
        "DATA_CACHE_IDLE_S = 24 * 3600",
        "DATA_CACHE_IDLE_S = 3600",
        "tests/test_cluster.py::test_a_nodes_dataset_copy_unused_for_hours_but_not_a_day_is_kept",
    ),
    "a Ray training segment restoring snapshots in its scratch folder": Edit(
        CLUSTER_RUNS,
        "logger = trainer.run(max_iterations=1, restore_snapshots=False)",
        "logger = trainer.run(max_iterations=1)",
        "tests/test_cluster.py::test_a_training_segment_reports_its_own_iteration_and_leaves_snapshots_to_the_driver",
    ),
    "a Ray training segment's summary of the logger's first row": Edit(
        CLUSTER_RUNS,
        'summary=MetaTrainer.summary(logger.rows[-1]) if logger.rows else ""',
        'summary=MetaTrainer.summary(logger.rows[0]) if logger.rows else ""',
        "tests/test_cluster.py::test_a_training_segment_reports_its_own_iteration_and_leaves_snapshots_to_the_driver",
    ),
    "every Ray run's segments trained with seed 0": Edit(
        CLUSTER_RUNS,
        'return segment.remote(resources["num_cpus"], plan.cfg.to_dict(), plan.seed, run_files, digest, ref, w)',
        'return segment.remote(resources["num_cpus"], plan.cfg.to_dict(), 0, run_files, digest, ref, w)',
        "tests/test_cluster.py::test_a_ray_runs_segments_get_its_own_seed_and_its_path_to_weights_bytes",
    ),
    "a Ray run's path_to_weights bytes never shipped": Edit(
        CLUSTER_RUNS,
        "            if w and w not in weights:",
        "            if w and w in weights:",
        "tests/test_cluster.py::test_a_ray_runs_segments_get_its_own_seed_and_its_path_to_weights_bytes",
    ),
    "the Ray driver without each run folder's lock": Edit(
        CLUSTER_RUNS,
        "                locks.enter_context(RunLock(p.out_dir))\n",
        "",
        "tests/test_cluster.py::test_the_ray_driver_holds_each_run_folders_lock_while_its_segments_run",
    ),
    "the Ray driver's first line counting runs to train as finished": Edit(
        CLUSTER_RUNS,
        'f"{len(plans)} runs: {len(plans) - len(todo)} finished, {len(todo)} to train on Ray',
        'f"{len(plans)} runs: {len(todo)} finished, {len(todo)} to train on Ray',
        "tests/test_cluster.py::test_the_ray_drivers_first_line_counts_the_finished_runs",
    ),
    "--max-retries parsed as a float": Edit(
        CLUSTER_OPTIONS,
        '                "--max-retries",\n                type=int,',
        '                "--max-retries",\n                type=float,',
        "tests/test_cluster.py::test_max_retries_is_a_whole_number_of_retries",
    ),
    "regenerate taking n_trj 0 as not given": Edit(
        REGENERATE,
        "if n_trj is not None and n_trj < 1:",
        "if n_trj is not None and n_trj < 0:",
        "tests/test_behaviour_outputs.py::test_regenerating_zero_episodes_is_refused_before_anything_is_read",
    ),
    "regenerate taking no task locks": Edit(
        REGENERATE,
        "with lock_tasks(data_dir, existing):",
        "with lock_tasks(data_dir, []):",
        "tests/test_behaviour_outputs.py::test_regeneration_holds_its_tasks_locks_against_another_process",
    ),
    "regenerate rolling out every file on the CPU": Edit(
        REGENERATE,
        "return [regenerate_one(env_name, env_params, data_dir, job, device) for job in todo]",
        "return [regenerate_one(env_name, env_params, data_dir, job, CPU) for job in todo]",
        "tests/test_behaviour_outputs.py::test_regeneration_rolls_out_on_the_device_it_was_planned_for",
    ),
    "regenerate recording seed 0 whatever its seed": Edit(
        REGENERATE,
        '"seed": seed,',
        '"seed": 0,',
        "tests/test_behaviour_outputs.py::test_regenerated_episodes_are_the_seeds_own_and_overwrite_replaces_another_seeds_file",
    ),
    "regenerate planning without overwrite": Edit(
        REGENERATE,
        "already_written(checkpoint_path(tdir, c, extra=True), settings, overwrite)",
        "already_written(checkpoint_path(tdir, c, extra=True), settings, False)",
        "tests/test_behaviour_outputs.py::test_regenerated_episodes_are_the_seeds_own_and_overwrite_replaces_another_seeds_file",
    ),
    "regenerate's noise from torch's global generator": Edit(
        REGENERATE,
        "noise = torch.randn(1, len(envs), action_dim, generator=gen, device=device)",
        "noise = torch.randn(1, len(envs), action_dim, device=device)",
        "tests/test_behaviour_outputs.py::test_regenerated_episodes_are_the_seeds_own_and_overwrite_replaces_another_seeds_file",
    ),
    "check_networks without its obs/action dims check": Edit(
        REGENERATE,
        'if (doc.get("obs_dim"), doc.get("action_dim")) != dims:',
        'if (doc.get("obs_dim"), doc.get("action_dim")) == dims and False:',
        "tests/test_behaviour_outputs.py::test_a_network_file_of_other_env_dims_is_named_by_its_dims",
    ),
    "already_written naming only this run's settings' keys": Edit(
        REGENERATE,
        "differs = [k for k in keys if not recorded or recorded.get(k) != settings.get(k)]",
        "differs = [k for k in settings if not recorded or recorded.get(k) != settings.get(k)]",
        "tests/test_behaviour_outputs.py::test_an_extra_file_written_on_a_gpu_is_refused_on_the_cpu_naming_the_device",
    ),
    "a legacy file of plain numbers as a TypeError traceback": Edit(
        LEGACY,
        "    except (ValueError, TypeError, IndexError, KeyError) as e:",
        "    except (ValueError, IndexError, KeyError) as e:",
        "tests/test_dataset.py::test_import_legacy_refuses_a_plain_number_array_in_one_line",
    ),
    "a legacy command's destination parents not made": Edit(
        LEGACY,
        "    make_folder(dst.parent)\n    try:\n        new = Path(",
        "    try:\n        new = Path(",
        "tests/test_dataset.py::test_legacy_commands_make_a_destination_whose_parent_folders_do_not_exist",
    ),
    "a build stopped by Ctrl-C leaving its temporary folder": Edit(
        LEGACY,
        "    except BaseException:\n        shutil.rmtree(new, ignore_errors=True)",
        "    except Exception:\n        shutil.rmtree(new, ignore_errors=True)",
        "tests/test_dataset.py::test_an_interrupted_build_leaves_no_temporary_folder_and_the_destination_alone",
    ),
    "import-legacy's normalizer held to the action size": Edit(
        LEGACY,
        'scale = read_normalizer(src, env_dims[0], f"the observation size',
        'scale = read_normalizer(src, env_dims[1], f"the observation size',
        "tests/test_dataset.py::test_import_legacy_holds_the_normalizer_to_the_envs_observation_size_not_its_action_size",
    ),
    "a legacy task folder without trajectory files imported": Edit(
        LEGACY,
        "    if not files:\n        raise UserError",
        "    if False:\n        raise UserError",
        "tests/test_dataset.py::test_import_legacy_refuses_a_task_folder_without_trajectory_files",
    ),
    "export-legacy taking a task.json without complete as complete": Edit(
        LEGACY,
        '        if not meta.get("complete"):\n            raise UserError(',
        '        if meta.get("complete") is False:\n            raise UserError(',
        "tests/test_dataset.py::test_export_legacy_refuses_a_task_whose_task_json_does_not_say_complete",
    ),
    "export-legacy broadcasting a one-entry normalizer": Edit(
        LEGACY,
        "    if scale is not None and scale.shape != (t.obs.shape[1],):",
        "    if False:",
        "tests/test_dataset.py::test_export_legacy_refuses_a_normalizer_that_fits_no_tasks_observation_size",
    ),
    "export-legacy of a folder without task.json as a traceback": Edit(
        LEGACY,
        '    if meta is None:\n            raise UserError(f"{str(d)!r} has no task.json',
        '    if False:\n            raise UserError(f"{str(d)!r} has no task.json',
        "tests/test_dataset.py::test_export_legacy_refuses_a_task_folder_without_task_json_in_one_line",
    ),
    "check never naming goal_idx0 missing": Edit(
        DATA_CHECK,
        "missing = sorted(set(range(n)) - set(found))",
        "missing = sorted(set(range(1, n)) - set(found))",
        "tests/test_dataset.py::test_check_names_task_0_when_its_folder_is_the_one_missing",
    ),
    "check raising on an unknown env with the physics check": Edit(
        DATA_CHECK,
        "            version = None  # an unknown env",
        "            raise  # an unknown env",
        "tests/test_dataset.py::test_check_of_an_unknown_env_with_the_physics_check_is_a_problem_line_not_an_error",
    ),
    "check's returns.csv tolerance of 1.0": Edit(
        DATA_CHECK,
        "rel_tol=1e-4, abs_tol=1e-3)",
        "rel_tol=1e-4, abs_tol=1.0)",
        "tests/test_dataset.py::test_check_flags_a_returns_csv_a_hundredth_off_the_step_files_mean_return",
    ),
    "a damaged step file ending check's returns comparison": Edit(
        DATA_CHECK,
        "# a damaged step file, its own problem line\n            continue",
        "# a damaged step file, its own problem line\n            return out",
        "tests/test_dataset.py::test_check_compares_the_later_checkpoints_returns_past_a_damaged_step_file",
    ),
    "a task folder named with a superscript digit as a traceback": Edit(
        DATASET,
        "digits.isascii() and digits.isdigit()",
        "digits.isdigit()",
        "tests/test_dataset.py::test_a_folder_named_goal_idx_and_a_superscript_digit_is_not_a_task",
    ),
    "a folder without task folders taken as an empty dataset": Edit(
        DATASET,
        '    if not found:\n        raise UserError(f"no {TASK_DIR_PREFIX}',
        '    if False:\n        raise UserError(f"no {TASK_DIR_PREFIX}',
        "tests/test_dataset.py::test_a_folder_without_task_folders_is_refused_by_check_and_both_legacy_commands",
    ),
    "Trajectories.first taking the last terminals": Edit(
        DATASET,
        "            self.terminals[:n],",
        "            self.terminals[-n:],",
        "tests/test_dataset.py::test_the_first_episodes_keep_their_own_rows_of_every_field",
    ),
    "the fingerprint hashing the step file for its extra file": Edit(
        FINGERPRINT,
        "            _add_npz(h, extra)",
        "            _add_npz(h, path)",
        "tests/test_dataset.py::test_one_reward_changed_in_an_extra_file_a_run_reads_changes_its_fingerprint",
    ),
    "curves --out of blanks writing a PNG named blanks": Edit(
        DATA_MAIN,
        'type=PATH, help="PNG path (default: DATA_DIR',
        'help="PNG path (default: DATA_DIR',
        "tests/test_dataset.py::test_curves_out_of_only_spaces_is_one_line_before_anything_is_written",
    ),
    "the buffers built without the observation scale": Edit(
        EXPERIMENT,
        "            a.terminal_at_traj_end,\n            obs_scale,",
        "            a.terminal_at_traj_end,\n            None,",
        "tests/test_meta_trainer.py::test_load_buffers_gives_each_task_its_own_description_the_obs_scale_the_scored_reward_and_the_capacity",
    ),
    "the contexts built without the scored reward": Edit(
        EXPERIMENT,
        "context_reward_fn=reward_fn,",
        "context_reward_fn=None,",
        "tests/test_meta_trainer.py::test_load_buffers_gives_each_task_its_own_description_the_obs_scale_the_scored_reward_and_the_capacity",
    ),
    "the buffers built without replay_buffer_size's capacity": Edit(
        EXPERIMENT,
        "capacity=a.replay_buffer_size,",
        "capacity=None,",
        "tests/test_meta_trainer.py::test_load_buffers_gives_each_task_its_own_description_the_obs_scale_the_scored_reward_and_the_capacity",
    ),
    "prepare reading the config's data_dir, not the one given": Edit(
        EXPERIMENT,
        "data_dir = Path(cfg.algo_params.data_dir if data_dir is None else data_dir)",
        "data_dir = Path(cfg.algo_params.data_dir)",
        "tests/test_buffer.py::test_prepare_reads_the_data_where_it_is_given_and_divides_the_observations_by_its_normalizer",
    ),
    "BOREL's training sequences of one episode": Edit(
        EXPERIMENT,
        "sequences = SequenceIndex(train_buf, a.borel_episodes, a.n_trj, limit)",
        "sequences = SequenceIndex(train_buf, 1, a.n_trj, limit)",
        "tests/test_borel.py::test_a_borel_runs_training_sequences_are_borel_episodes_whole_episodes_of_each_checkpoint",
    ),
    "a BOREL step drawing a context too": Edit(
        EXPERIMENT,
        "self.cfg.algo_params, self.sample_gen, False)",
        "self.cfg.algo_params, self.sample_gen, True)",
        "tests/test_borel.py::test_a_borel_step_draws_its_batch_from_the_hyper_state_rows_without_a_context",
    ),
    "a step pinned to no training step": Edit(
        EXPERIMENT,
        "return self.runner(self.sample(), self.trainer.branch(at))",
        "return self.runner(self.sample(), self.trainer.branch(None))",
        "tests/test_meta_trainer.py::test_a_step_runs_under_the_branch_of_the_training_step_it_is_given",
    ),
    "path_to_weights taking the old run's optimisers and noise stream": Edit(
        EXPERIMENT,
        "self.trainer.load_state_dict(state, with_optimizers=False)",
        "self.trainer.load_state_dict(state, with_optimizers=True)",
        "tests/test_meta_trainer.py::test_path_to_weights_starts_from_the_networks_but_keeps_this_runs_own_noise_stream",
    ),
    "a resume in BOREL's VAE stage restarting its stream": Edit(
        EXPERIMENT,
        '            self.vae_gen.set_state(state["borel"]["vae_gen"])\n',
        "            pass\n",
        "tests/test_meta_trainer.py::test_a_resume_inside_borels_vae_stage_continues_the_vae_stream_and_its_last_means",
    ),
    "try_resume ignoring restore_snapshots": Edit(
        EXPERIMENT,
        "        if restore_snapshots:  # (a Ray segment's",
        "        if True:  # (a Ray segment's",
        "tests/test_meta_trainer.py::test_a_resume_without_snapshot_restoring_writes_no_snapshot_and_purges_no_tensorboard",
    ),
    "a run started anew appending to the replaced run's code record": Edit(
        EXPERIMENT,
        'code = record_code(self.setup.out_dir, self.counters["iteration"], device, resumed, stage)',
        'code = record_code(self.setup.out_dir, self.counters["iteration"], device, True, stage)',
        "tests/test_run_folder.py::test_a_run_started_anew_in_a_folder_begins_its_own_code_record",
    ),
    "BOREL's VAE step drawing vae_sequences tasks": Edit(
        EXPERIMENT,
        "generator=self.vae_gen, device=dev)[: b.vae_tasks]",
        "generator=self.vae_gen, device=dev)[: b.vae_sequences]",
        "tests/test_meta_trainer.py::test_a_vae_step_draws_vae_tasks_distinct_tasks_and_vae_sequences_of_each_and_logs_each_loss_under_its_name",
    ),
    "BOREL's VAE step drawing vae_tasks sequences": Edit(
        EXPERIMENT,
        "self.setup.sequences.sample(self.train_tasks[pick], b.vae_sequences, self.vae_gen)",
        "self.setup.sequences.sample(self.train_tasks[pick], b.vae_tasks, self.vae_gen)",
        "tests/test_meta_trainer.py::test_a_vae_step_draws_vae_tasks_distinct_tasks_and_vae_sequences_of_each_and_logs_each_loss_under_its_name",
    ),
    "BOREL's VAE reward and state losses swapped in the sums": Edit(
        EXPERIMENT,
        "sums += torch.stack([t.loss, t.reward, t.state, t.kl])",
        "sums += torch.stack([t.loss, t.state, t.reward, t.kl])",
        "tests/test_meta_trainer.py::test_a_vae_step_draws_vae_tasks_distinct_tasks_and_vae_sequences_of_each_and_logs_each_loss_under_its_name",
    ),
    "BOREL's relabelling with the beliefs before and after swapped": Edit(
        EXPERIMENT,
        "borel.hyper_state_buffer(self.setup.train_buffer, index, before, after)",
        "borel.hyper_state_buffer(self.setup.train_buffer, index, after, before)",
        "tests/test_borel.py::test_borels_relabelling_widens_obs_by_the_belief_before_each_row_and_next_obs_by_the_belief_after",
    ),
    "an iteration's loss sums not zeroed": Edit(
        EXPERIMENT,
        "        self.sums.zero_()\n",
        "        pass\n",
        "tests/test_meta_trainer.py::test_each_iterations_loss_columns_are_the_means_over_its_own_steps",
    ),
    "an iteration leaving the trainer pinned": Edit(
        EXPERIMENT,
        "        finally:\n            self.trainer.branch(None)",
        "        finally:\n            pass",
        "tests/test_meta_trainer.py::test_an_iteration_leaves_the_trainer_unpinned_when_it_ends",
    ),
    "Z variance eval from the training step": Edit(
        EXPERIMENT,
        "            result.final_z_std,\n",
        "            float(record.z_std),\n",
        "tests/test_meta_trainer.py::test_a_rows_z_columns_hold_the_meta_tests_z_std_and_the_steps_spread_each_in_its_own_column",
    ),
    "an iteration's loss columns the sums, not the means": Edit(
        EXPERIMENT,
        "{k: float(v) / a.num_train_steps_per_itr for k, v in sums.items()}",
        "{k: float(v) for k, v in sums.items()}",
        "tests/test_meta_trainer.py::test_each_iterations_loss_columns_are_the_means_over_its_own_steps",
    ),
    "the spread columns swapped": Edit(
        EXPERIMENT,
        "z_spread=(float(record.z_across), float(record.z_spread_ratio)),",
        "z_spread=(float(record.z_spread_ratio), float(record.z_across)),",
        "tests/test_meta_trainer.py::test_a_rows_z_columns_hold_the_meta_tests_z_std_and_the_steps_spread_each_in_its_own_column",
    ),
    "the summary's spread the across-task std": Edit(
        EXPERIMENT,
        'ratio = row.get(SPREAD_COLUMNS[1], float("nan"))',
        'ratio = row.get(SPREAD_COLUMNS[0], float("nan"))',
        "tests/test_collapse.py::test_the_iteration_summary_shows_the_spread_ratio_not_the_across_task_std",
    ),
    "config_differences recursing into a retired section": Edit(
        RUN_FOLDER,
        "if isinstance(x, dict) and isinstance(y, dict):",
        "if isinstance(x, dict):",
        "tests/test_config.py::test_a_variant_holding_a_retired_section_of_settings_is_one_difference_line",
    ),
    "a BOREL decode-state setting replaced by the default": Edit(
        RUN_FOLDER,
        'if algo_type == "BOREL" and algo.get("borel_decode_state") is None:',
        'if algo_type == "BOREL":',
        "tests/test_borel.py::test_a_borel_run_of_one_decode_state_setting_is_not_resumed_with_the_other",
    ),
    "a run folder without dataset.json fingerprinted": Edit(
        RUN_FOLDER,
        "return run_data_print(cfg) if (out_dir / DATA_PRINT_FILE).is_file() else None",
        "return run_data_print(cfg)",
        "tests/test_run_folder.py::test_a_run_folder_without_a_dataset_record_is_not_fingerprinted",
    ),
    "a resume's differences read backwards": Edit(
        RUN_FOLDER,
        "diff = config_differences(_named_as(recorded, variant), variant)",
        "diff = config_differences(variant, _named_as(recorded, variant))",
        "tests/test_run_folder.py::test_a_resume_of_another_config_names_each_difference_from_the_folders_value_to_the_new_one",
    ),
    "a state whose iteration count is not an int taken": Edit(
        RUN_FOLDER,
        'type(counters.get("iteration")) is not int',
        'counters.get("iteration") is None',
        "tests/test_run_folder.py::test_a_saved_state_whose_iteration_count_is_not_an_int_is_one_line",
    ),
    "restore_snapshot overwriting a snapshot that is there": Edit(
        RUN_FOLDER,
        "    if snapshot is not None and not snapshot.is_file():\n        with",
        "    if snapshot is not None:\n        with",
        "tests/test_run_folder.py::test_restore_snapshot_writes_only_a_missing_snapshot_and_leaves_one_that_is_there",
    ),
    "restore_missing_snapshot looking one iteration early": Edit(
        RUN_FOLDER,
        "    snapshot = snapshot_due(out_dir, cfg, done, _recorded_last(out_dir))\n",
        "    snapshot = snapshot_due(out_dir, cfg, done - 1, _recorded_last(out_dir))\n",
        "tests/test_run_folder.py::test_a_finished_runs_last_snapshot_that_a_kill_left_unwritten_is_restored_before_anything_trains",
    ),
    "a folder without dataset.json compared by data": Edit(
        RUN_FOLDER,
        "    if data_print is not None and recorded.is_file():",
        "    if data_print is not None:",
        "tests/test_run_folder.py::test_a_run_folder_written_before_dataset_json_was_kept_resumes_without_a_data_comparison",
    ),
    "a finished run refused at its own num_iterations": Edit(
        RUN_FOLDER,
        "    if done > num_iterations:",
        "    if done >= num_iterations:",
        "tests/test_run_folder.py::test_a_finished_run_may_be_checked_again_with_its_own_num_iterations",
    ),
    "a bool seed accepted": Edit(
        SEEDING,
        "if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:",
        "if not isinstance(seed, (int, np.integer)) or seed < 0:",
        "tests/test_seeding.py::test_a_seed_may_be_a_numpy_integer_but_not_a_bool",
    ),
    "a numpy integer seed refused": Edit(
        SEEDING,
        "not isinstance(seed, (int, np.integer))",
        "not isinstance(seed, int)",
        "tests/test_seeding.py::test_a_seed_may_be_a_numpy_integer_but_not_a_bool",
    ),
    "a stream's generator made on the CPU whatever the device": Edit(
        SEEDING,
        'return torch.Generator(device=device or "cpu").manual_seed',
        "return torch.Generator().manual_seed",
        "tests/test_seeding.py::test_a_streams_torch_generator_lives_on_the_device_asked_for",
    ),
    "a state reseeded for another device made on the CPU": Edit(
        SEEDING,
        "    fresh = torch.Generator(device=gen.device)",
        "    fresh = torch.Generator()",
        "tests/test_seeding.py::test_a_state_reseeded_for_another_device_type_is_made_on_the_generators_device",
    ),
    "the per-transition variance floored at 1e-2": Edit(
        AGENT,
        "MIN_VARIANCE = 1e-7",
        "MIN_VARIANCE = 1e-2",
        "tests/test_offpearl.py::test_the_per_transition_variance_is_floored_at_pearls_1e_7_only",
    ),
    "point-robot-wind's default goal_radius 0.3": Edit(
        POINT_ROBOT,
        (
            "        goal_radius: float = 0.2,\n"
            "        seed: int | None = None,\n"
            "    ):\n"
            "        super().__init__(n_tasks, randomize_tasks, max_episode_steps, seed)\n"
            "        self.goal_radius = float(goal_radius)\n"
            "        self._winds"
        ),
        (
            "        goal_radius: float = 0.3,\n"
            "        seed: int | None = None,\n"
            "    ):\n"
            "        super().__init__(n_tasks, randomize_tasks, max_episode_steps, seed)\n"
            "        self.goal_radius = float(goal_radius)\n"
            "        self._winds"
        ),
        "tests/test_envs.py::test_point_robot_winds_default_goal_radius_is_0_2",
    ),
    "point-robot-wind's radius boundary counted outside": Edit(
        POINT_ROBOT,
        "return np.where(r >= -self.goal_radius, r + 1.0, 0.0)",
        "return np.where(r > -self.goal_radius, r + 1.0, 0.0)",
        "tests/test_envs.py::test_point_robot_winds_info_sparse_reward_counts_a_point_on_the_radius_as_inside",
    ),
    "point-robot-wind's oracle clipped to the agent's box": Edit(
        POINT_ROBOT,
        "return np.clip(self.goal - obs - self.wind, self.action_space.low, self.action_space.high)",
        "return np.clip(self.goal - obs - self.wind, -1.0, 1.0)",
        "tests/test_envs.py::test_point_robot_winds_oracle_stays_inside_the_action_box",
    ),
    "an env's constructor seed shifted by one": Edit(
        "rlkit/envs/base.py",
        "seeding.np_random(int(seed))",
        "seeding.np_random(int(seed) + 1)",
        "tests/test_mujoco_envs.py::test_a_seed_given_to_the_constructor_is_a_first_reset_with_that_seed",
    ),
    "a huge finite action refused as non-finite": Edit(
        "rlkit/envs/base.py",
        "if not math.isfinite(action @ action) and not np.isfinite(action).all():",
        "if not math.isfinite(action @ action) or not np.isfinite(action).all():",
        "tests/test_envs.py::test_a_huge_but_finite_action_is_not_refused_as_non_finite",
    ),
    "the wrapper's clip without its lower side": Edit(
        WRAPPERS,
        "np.minimum(np.maximum(scaled, self._low), self._high)",
        "np.minimum(scaled, self._high)",
        "tests/test_envs.py::test_normalized_box_env_clips_below_the_box_too",
    ),
    "the cheetah model without mj_setTotalmass": Edit(
        MUJOCO_ENV,
        "    mujoco.mj_setTotalmass(model, float(match.group(1)))\n",
        "",
        "tests/test_mujoco_envs.py::test_the_cheetah_model_is_the_one_mujoco_compiles_from_its_asset_with_total_mass_14",
    ),
    "the cheetah model without mj_setConst": Edit(
        MUJOCO_ENV,
        "    mujoco.mj_setConst(model, mujoco.MjData(model))\n",
        "",
        "tests/test_mujoco_envs.py::test_the_cheetah_model_is_the_one_mujoco_compiles_from_its_asset_with_total_mass_14",
    ),
    "set_state without mj_forward": Edit(
        MUJOCO_ENV,
        "        mujoco.mj_forward(self.model, self.data)\n",
        "",
        "tests/test_mujoco_envs.py::test_the_first_observation_of_an_episode_has_the_bodys_positions_of_its_start_state",
    ),
    "a bad-acceleration warning not taken as unstable": Edit(
        MUJOCO_ENV,
        "return int(n[_UNSTABLE[0]] + n[_UNSTABLE[1]] + n[_UNSTABLE[2]])",
        "return int(n[_UNSTABLE[0]] + n[_UNSTABLE[1]])",
        "tests/test_mujoco_envs.py::test_a_diverging_acceleration_ends_the_episode_as_unstable",
    ),
    "an env's position a view of qpos": Edit(
        MUJOCO_ENV,
        "return self.data.qpos[: self.position_dims].copy()",
        "return self.data.qpos[: self.position_dims]",
        "tests/test_mujoco_envs.py::test_a_bodys_position_is_its_root_x_or_x_y_and_a_copy",
    ),
    "planar bodies' default position dims 2": Edit(
        MUJOCO_ENV,
        "    position_dims: int = 1",
        "    position_dims: int = 2",
        "tests/test_mujoco_envs.py::test_a_bodys_position_is_its_root_x_or_x_y_and_a_copy",
    ),
    "ant-dir's position dims 1": Edit(
        ANT,
        "    position_dims = 2",
        "    position_dims = 1",
        "tests/test_mujoco_envs.py::test_a_bodys_position_is_its_root_x_or_x_y_and_a_copy",
    ),
    "humanoid-dir's position dims 1": Edit(
        HUMANOID,
        "    position_dims = 2",
        "    position_dims = 1",
        "tests/test_mujoco_envs.py::test_a_bodys_position_is_its_root_x_or_x_y_and_a_copy",
    ),
    "ant-dir's lower height bound 0.3": Edit(
        ANT,
        "0.2 <= state[2] <= 1.0",
        "0.3 <= state[2] <= 1.0",
        "tests/test_mujoco_envs.py::test_ant_dir_is_healthy_down_to_a_torso_height_of_0_2",
    ),
    "cheetah-vel's reward -|v| - target": Edit(
        HALF_CHEETAH,
        "return -abs(forward_vel - self.goal)",
        "return -abs(forward_vel) - self.goal",
        "tests/test_mujoco_envs.py::test_cheetah_vel_reward_of_a_body_moving_forward",
    ),
    "cheetah-dir's reward without the direction": Edit(
        HALF_CHEETAH,
        "return self.goal * forward_vel",
        "return forward_vel",
        "tests/test_mujoco_envs.py::test_cheetah_dir_reward_on_a_backward_task",
    ),
    "humanoid-dir's random directions of another seed": Edit(
        HUMANOID,
        "random_directions(n_tasks, 1337)",
        "random_directions(n_tasks, 1334)",
        "tests/test_mujoco_envs.py::test_random_humanoid_directions_come_from_random_state_1337",
    ),
    "humanoid-dir without its upper height bound": Edit(
        HUMANOID,
        "bool(z < 1.0 or z > 2.0)",
        "bool(z < 1.0)",
        "tests/test_mujoco_envs.py::test_humanoid_ends_when_its_height_leaves_1_to_2_on_either_side",
    ),
    "humanoid-dir without contact forces": Edit(
        HUMANOID,
        "    contact_forces = True",
        "    contact_forces = False",
        "tests/test_mujoco_envs.py::test_humanoid_observes_and_pays_for_the_contact_forces_of_each_step",
    ),
    "the sparse walker's task files naming the dense walker": Edit(
        WALKER,
        '    env_name = "sparse-walker-rand-params"',
        '    env_name = "walker-rand-params"',
        "tests/test_mujoco_envs.py::test_a_sparse_walkers_task_file_names_its_own_family",
    ),
    "load_runs without check_meta_tested": Edit(
        TABLES,
        "        check_meta_tested(progress, s.out_dir)\n",
        "",
        "tests/test_reproduce.py::test_a_report_refuses_a_run_with_a_row_missing_a_meta_test_return",
    ),
    "Table 1's IQM interval at 2 decimals": Edit(
        TABLES,
        "{c.iqm:.3f} {_fmt_ci(c.iqm_lo, c.iqm_hi, 3)} | {g} |",
        "{c.iqm:.3f} {_fmt_ci(c.iqm_lo, c.iqm_hi)} | {g} |",
        "tests/test_reproduce_prose.py::test_table1s_iqm_interval_is_printed_to_three_decimals_like_its_point",
    ),
    "Table 1 dropping a zero-action return of 0.0": Edit(
        TABLES,
        "    if ref.still is not None:",
        "    if ref.still:",
        "tests/test_reproduce.py::test_table1_lists_a_zero_action_return_of_exactly_zero",
    ),
    "Table 2's brackets holding the mean score": Edit(
        TABLES,
        "return f\"{c['mean']:.2f} ({c.iqm:.3f} {_fmt_ci(",
        "return f\"{c['mean']:.2f} ({c.score:.3f} {_fmt_ci(",
        "tests/test_reproduce.py::test_table2s_brackets_hold_each_cells_iqm_score_not_its_mean_score",
    ),
    "the ablation built from CSRO or FOCAL alone": Edit(
        TABLES,
        'if not {"CSRO", "FOCAL"} <= set(table.method):',
        'if not {"CSRO", "FOCAL"} & set(table.method):',
        "tests/test_reproduce.py::test_the_ablation_needs_both_csro_and_focal_runs",
    ),
    "Fig. 4's score column printing the IQM": Edit(
        TABLES,
        '| {c.score:.3f} | {c.iqm:.3f} "',
        '| {c.iqm:.3f} | {c.iqm:.3f} "',
        "tests/test_reproduce.py::test_the_ablation_table_prints_the_mean_score_beside_the_iqm",
    ),
    "a best score of exactly 0.5 called below 0.5": Edit(
        PROSE,
        'if best < LEARNED_SCORE else f"{best:.3f}"',
        'if best <= LEARNED_SCORE else f"{best:.3f}"',
        "tests/test_reproduce_prose.py::test_a_best_score_of_exactly_one_half_is_not_called_below_one_half",
    ),
    "a weak policy said to be below doing nothing": Edit(
        PROSE,
        "    if below_still:\n",
        "    if still is not None:\n",
        "tests/test_reproduce_prose.py::test_a_weak_policy_above_doing_nothing_is_not_said_to_be_below_it",
    ),
    "Table 1's verdict taking lo >= 0 as excluding 0": Edit(
        PROSE,
        "        elif lo > 0:\n",
        "        elif lo >= 0:\n",
        "tests/test_reproduce_prose.py::test_a_learned_baseline_losing_exactly_nothing_on_every_seed_has_context_shift_not_established",
    ),
    "Table 1's verdict taking hi <= 0 as below 0": Edit(
        PROSE,
        '        elif hi < 0:\n            verdict = "the interval lies below 0',
        '        elif hi <= 0:\n            verdict = "the interval lies below 0',
        "tests/test_reproduce_prose.py::test_a_learned_baseline_losing_exactly_nothing_on_every_seed_has_context_shift_not_established",
    ),
    "CSRO's claim with a strict includes-0": Edit(
        PROSE,
        "unsettled = [m for m, (_, lo, hi) in diffs.items() if lo <= 0 <= hi]",
        "unsettled = [m for m, (_, lo, hi) in diffs.items() if lo < 0 < hi]",
        "tests/test_reproduce_prose.py::test_csros_claim_is_not_established_when_it_loses_exactly_what_the_baseline_loses",
    ),
    "Fig. 3's paragraph ranking CSRO alone": Edit(
        PROSE,
        'if "CSRO" not in methods or len(methods) < 2:',
        'if "CSRO" not in methods or len(methods) < 1:',
        "tests/test_reproduce_prose.py::test_the_curves_paragraph_of_csro_alone_gives_its_scores_and_no_ranking",
    ),
    "Fig. 3 calling a tie below": Edit(
        PROSE,
        '"below": [m for m, (_, _, hi) in diffs.items() if hi < 0],',
        '"below": [m for m, (_, _, hi) in diffs.items() if hi <= 0],',
        "tests/test_reproduce_prose.py::test_csro_tied_with_a_baseline_on_every_seed_is_neither_above_nor_below_it",
    ),
    "Fig. 3's not-established strict": Edit(
        PROSE,
        '"not established against": [m for m, (_, lo, hi) in diffs.items() if lo <= 0 <= hi],',
        '"not established against": [m for m, (_, lo, hi) in diffs.items() if lo < 0 < hi],',
        "tests/test_reproduce_prose.py::test_csro_tied_with_a_baseline_on_every_seed_is_neither_above_nor_below_it",
    ),
    "Fig. 4's not-firm only below 0": Edit(
        PROSE,
        "elif any(lo <= 0 for _, lo, _ in diffs.values()):",
        "elif any(lo < 0 for _, lo, _ in diffs.values()):",
        "tests/test_reproduce_prose.py::test_fig4_ordering_is_not_firm_when_both_ties_a_half_on_every_seed",
    ),
    "the report header's R_top the random return": Edit(
        DOCUMENT,
        "with R_top the {ref.top} ({ref.oracle:.2f})",
        "with R_top the {ref.top} ({ref.random:.2f})",
        "tests/test_reproduce.py::test_a_reports_header_gives_the_top_return_and_the_bootstrap_caveat_of_its_seed_count",
    ),
    "the bootstrap caveat counting runs, not seeds": Edit(
        DOCUMENT,
        'f"{intervals_sentence(len(seeds))}',
        'f"{intervals_sentence(len(specs))}',
        "tests/test_reproduce.py::test_a_reports_header_gives_the_top_return_and_the_bootstrap_caveat_of_its_seed_count",
    ),
    "the paper's row looked up by the profile": Edit(
        DOCUMENT,
        "            paper_row_sentence(env),",
        "            paper_row_sentence(profile_name),",
        "tests/test_reproduce.py::test_a_report_sets_the_papers_row_of_its_env_beside_table1",
    ),
    "write_report without its same-data check": Edit(
        DOCUMENT,
        "    same_data(specs)\n    runs",
        "    runs",
        "tests/test_reproduce.py::test_writing_a_report_refuses_runs_trained_on_different_data",
    ),
    "the per-seed table's separator one cell short": Edit(
        DOCUMENT,
        '"|---|---|" + "---|" * len(seeds),',
        '"|---|---|" + "---|" * (len(seeds) - 1),',
        "tests/test_reproduce.py::test_a_reports_per_seed_table_has_a_separator_cell_per_column",
    ),
    "t_interval's one-seed guard after the std": Edit(
        STATS,
        "    if len(x) < 2:\n        return math.nan, math.nan",
        "    if len(x) < 1:\n        return math.nan, math.nan",
        "tests/test_budget_stats.py::test_a_t_interval_of_one_seed_is_nan_without_numpy_warnings",
    ),
    "one run's band reaching down to 0": Edit(
        STATS,
        "        return x, mean, mean.copy(), mean.copy()",
        "        return x, mean, mean.copy() * 0, mean.copy()",
        "tests/test_budget_stats.py::test_a_curve_of_one_run_has_its_band_on_the_line",
    ),
    "UNICORN's decoder of another default width": Edit(
        UNICORN,
        "DECODER_HIDDEN = 64",
        "DECODER_HIDDEN = 128",
        "tests/test_baselines.py::test_unicorns_decoder_has_two_hidden_layers_of_64_by_default",
    ),
    "UNICORN's decoder of one hidden layer": Edit(
        UNICORN,
        "[latent_dim + obs_dim + action_dim, hidden, hidden, obs_dim + 1]",
        "[latent_dim + obs_dim + action_dim, hidden, obs_dim + 1]",
        "tests/test_baselines.py::test_unicorns_decoder_has_two_hidden_layers_of_64_by_default",
    ),
    "every task bar at terminal line 0": Edit(
        PROGRESS,
        "position=i, leave=True",
        "position=0, leave=True",
        "tests/test_sac.py::test_each_task_bar_has_its_own_terminal_line",
    ),
    "saved_network_steps without its digit filter": Edit(
        "rlkit/data/networks.py",
        "if p.stem[4:].isdigit())",
        ")",
        "tests/test_regenerate.py::test_saved_network_steps_lists_only_step_numbered_files_in_order",
    ),
    "read_networks taking a dict of another format": Edit(
        "rlkit/data/networks.py",
        'if not isinstance(doc, dict) or doc.get("format") != NETWORKS_FORMAT:',
        'if not isinstance(doc, dict) and doc.get("format") != NETWORKS_FORMAT:',
        "tests/test_regenerate.py::test_reading_a_torch_file_of_another_format_as_behaviour_networks_is_refused",
    ),
    "the matmul probe timing one product fewer": Edit(
        FLOPS,
        "            for _ in range(reps):",
        "            for _ in range(reps - 1):",
        "tests/test_networks.py::test_the_matmul_probe_divides_the_work_of_all_its_reps_by_their_time",
    ),
    "CLASSIFIER refusing club_model_loss_weight": Edit(
        CONFIG_PY,
        (
            '            "club_model_loss_weight",\n'
            '            "allow_backward_z",\n'
            "            *_ENCODER_VARIANTS,\n"
            "        }\n"
            "    ),\n"
            "    # its own"
        ),
        '            "allow_backward_z",\n            *_ENCODER_VARIANTS,\n        }\n    ),\n    # its own',
        "tests/test_baselines.py::test_the_classifier_takes_both_club_weights_and_focal_refuses_them_naming_csro_and_the_classifier",
    ),
    "corro_standardize read by every method": Edit(
        CONFIG_PY,
        '            "corro_standardize",\n',
        "",
        "tests/test_baselines.py::test_every_baselines_own_key_is_refused_under_csro_naming_only_its_method",
    ),
    "unicorn_decoder_hidden read by every method": Edit(
        CONFIG_PY,
        '"UNICORN_SS": frozenset({"unicorn_beta", "unicorn_decoder_hidden", "allow_backward_z", *_ENCODER_VARIANTS}),',
        '"UNICORN_SS": frozenset({"unicorn_beta", "allow_backward_z", *_ENCODER_VARIANTS}),',
        "tests/test_baselines.py::test_every_baselines_own_key_is_refused_under_csro_naming_only_its_method",
    ),
    "UNICORN_SS's sparse-walker beta the generic one": Edit(
        CONFIG_PY,
        '    "sparse-walker-rand-params": 0.7,\n',
        "",
        "tests/test_baselines.py::test_unicorn_ss_on_the_sparse_walker_takes_unicorns_walker_settings",
    ),
    "UNICORN_SS's sparse-walker decoder width the generic one": Edit(
        CONFIG_PY,
        '    "sparse-walker-rand-params": 128,\n',
        "",
        "tests/test_baselines.py::test_unicorn_ss_on_the_sparse_walker_takes_unicorns_walker_settings",
    ),
    "BOREL taking z0_policy_share where the file turns the z0 policy on": Edit(
        CONFIG_PY,
        '        "algo_params.z0_policy_share",\n',
        "",
        "tests/test_borel.py::test_borel_refuses_a_share_of_zero_z_rows_even_where_the_config_file_turns_the_zero_z_policy_on",
    ),
    "dump_eval_paths accepted with allow_eval false": Edit(
        CONFIG_PY,
        '        "dump_eval_paths",\n',
        "",
        "tests/test_config.py::test_every_meta_test_setting_is_refused_where_no_meta_test_runs",
    ),
    "checkpoint lists not coerced item by item": Edit(
        CONFIG_PY,
        'return [_coerce(f"{name}[{i}]", v, item) for i, v in enumerate(value)]',
        "return list(value)",
        "tests/test_config.py::test_each_checkpoint_number_is_checked_as_a_whole_number_and_kept_an_int",
    ),
    "an unknown key's hint naming one close key": Edit(
        CONFIG_PY,
        'near = difflib.get_close_matches(leaf, [p.rpartition(".")[2] for p in paths], n=2, cutoff=0.8)',
        'near = difflib.get_close_matches(leaf, [p.rpartition(".")[2] for p in paths], n=1, cutoff=0.8)',
        "tests/test_config.py::test_an_unknown_key_close_to_two_keys_names_both",
    ),
    "dual_critic_penalty not checked against its values": Edit(
        CONFIG_PY,
        "            a.dual_critic_penalty in DUAL_CRITIC_PENALTIES,",
        "            True,",
        "tests/test_variants.py::test_a_misspelt_kind_of_dual_critic_penalty_is_refused_not_run_as_the_value_penalty",
    ),
    "a one-dash override read as a key cut from it": Edit(
        CONFIG_PY,
        '        if not flag.startswith("--") or len(flag) < 3:',
        '        if not flag.startswith("-") or len(flag) < 3:',
        "tests/test_config.py::test_an_override_with_one_dash_is_named_as_given",
    ),
    "stage 1's num_seed_steps 0 accepted": Edit(
        BEHAVIOUR_SETTINGS,
        '    "num_seed_steps": ">= 1",',
        '    "num_seed_steps": ">= 0",',
        "tests/test_sac.py::test_sac_values_that_would_train_nothing_or_blow_up_are_refused_at_their_own_bounds",
    ),
    "stage 1's critic_tau 0 accepted": Edit(
        BEHAVIOUR_SETTINGS,
        '    "agent.params.critic_tau": "(0, 1]",',
        '    "agent.params.critic_tau": "[0, 1]",',
        "tests/test_sac.py::test_sac_values_that_would_train_nothing_or_blow_up_are_refused_at_their_own_bounds",
    ),
    "stage 1's init_temperature 0 accepted": Edit(
        BEHAVIOUR_SETTINGS,
        '    "agent.params.init_temperature": "> 0",',
        '    "agent.params.init_temperature": ">= 0",',
        "tests/test_sac.py::test_sac_values_that_would_train_nothing_or_blow_up_are_refused_at_their_own_bounds",
    ),
    "stage 1's num_eval_sample_episodes 0 accepted": Edit(
        BEHAVIOUR_SETTINGS,
        '    "num_eval_sample_episodes": ">= 1",',
        '    "num_eval_sample_episodes": ">= 0",',
        "tests/test_sac.py::test_sac_values_that_would_train_nothing_or_blow_up_are_refused_at_their_own_bounds",
    ),
    "stage 1's tasks_per_group 0 accepted": Edit(
        BEHAVIOUR_SETTINGS,
        '    "tasks_per_group": ">= 1",',
        '    "tasks_per_group": ">= 0",',
        "tests/test_sac.py::test_sac_values_that_would_train_nothing_or_blow_up_are_refused_at_their_own_bounds",
    ),
    "stage 1's actor_lr past 1 accepted": Edit(
        BEHAVIOUR_SETTINGS,
        '    "agent.params.actor_lr": "(0, 1]",',
        '    "agent.params.actor_lr": "> 0",',
        "tests/test_sac.py::test_sac_values_that_would_train_nothing_or_blow_up_are_refused_at_their_own_bounds",
    ),
    "a SAC config without device refused": Edit(
        BEHAVIOUR_SETTINGS,
        '    if device is not None and device not in ("cuda", "cpu"):',
        '    if device not in ("cuda", "cpu"):',
        "tests/test_sac.py::test_a_sac_config_without_a_device_runs_on_cuda_where_available",
    ),
    "save_networks false where a SAC config leaves it out": Edit(
        BEHAVIOUR_SETTINGS,
        "            True if save is None else bool(save),",
        "            False if save is None else bool(save),",
        "tests/test_sac.py::test_a_sac_config_without_save_networks_saves_the_networks",
    ),
    "a .yml SAC file looked up as a package name": Edit(
        BEHAVIOUR_SETTINGS,
        '    if not name.endswith((".yaml", ".yml")):',
        '    if not name.endswith(".yaml"):',
        "tests/test_sac.py::test_a_sac_config_file_of_ones_own_may_end_in_yml",
    ),
    "a SAC key given twice with hydra's prefixes accepted": Edit(
        BEHAVIOUR_SETTINGS,
        '        key = o.split("=", 1)[0].lstrip("+~")\n        if key in seen:',
        '        key = o.split("=", 1)[0]\n        if key in seen:',
        "tests/test_sac.py::test_a_sac_key_given_twice_with_hydras_prefixes_is_refused",
    ),
    "critic_tau read from alpha_lr": Edit(
        BEHAVIOUR_SETTINGS,
        "        critic_tau=float(p.critic_tau),",
        "        critic_tau=float(p.alpha_lr),",
        "tests/test_behaviour_outputs.py::test_every_sac_and_schedule_setting_reaches_stage_1_from_its_own_key",
    ),
    "a losses.csv row leaves its task's sums in place (the next row's mean spans two windows)": Edit(
        GENERATE,
        "        self.sums[i].zero_()\n",
        "",
        "tests/test_behaviour_outputs.py::test_a_tasks_losses_csv_holds_the_means_of_its_updates_since_its_checkpoint_before",
    ),
    "the actor records' means divided by the update count instead of the actor-update count": Edit(
        GENERATE,
        "*(actor[1:] / actor[0]).tolist()",
        "*(actor[1:] / every[0]).tolist()",
        "tests/test_behaviour_outputs.py::test_update_records_give_a_row_of_counts_and_means_per_task_then_start_again",
    ),
    "a resumed group's update sums start from zero (its next losses.csv row is not the uninterrupted run's)": Edit(
        GENERATE,
        '            self.records.sums.copy_(state["update_sums"])\n',
        "            pass\n",
        "tests/test_sac.py::test_a_group_stopped_mid_episode_resumes_exactly",
    ),
    "the logged critic loss of a task the mean of its twin critics' errors, not their sum (pytorch_sac's)": Edit(
        VECTOR_SAC,
        "critic_losses = ((q - target_q) ** 2).mean(dim=(2, 3)).sum(0)",
        "critic_losses = ((q - target_q) ** 2).mean(dim=(2, 3)).mean(0)",
        "tests/test_behaviour_reference.py::test_every_task_of_the_batched_update_moves_as_the_references_sac_on_its_own_batch",
    ),
    "the logged entropy the mean log-prob itself (its sign lost)": Edit(
        VECTOR_SAC,
        "entropy=-pi.log_prob.detach().mean(dim=(1, 2)),",
        "entropy=pi.log_prob.detach().mean(dim=(1, 2)),",
        "tests/test_behaviour_reference.py::test_every_task_of_the_batched_update_moves_as_the_references_sac_on_its_own_batch",
    ),
    "a task's update records not added to its sums (losses.csv of counts 0 and nan means)": Edit(
        GENERATE,
        "        self.records.add(out)\n",
        "",
        "tests/test_behaviour_outputs.py::test_a_tasks_losses_csv_holds_the_means_of_its_updates_since_its_checkpoint_before",
    ),
    "Fig. 3's paragraph of CSRO alone without the caveat that no method has learned": Edit(
        PROSE,
        "        return text.rstrip() + weak\n",
        "        return text\n",
        "tests/test_reproduce.py::test_the_prose_claims_only_what_its_numbers_say",
    ),
    "meta_train_speed: `for _ in range(min(block, steps - len(times))):` -> `for _ in range(block):`": Edit(
        "benchmarks/meta_train_speed.py",
        "for _ in range(min(block, steps - len(times))):",
        "for _ in range(block):",
        "tests/test_benchmarks.py::test_meta_train_run_variant_reports_the_median_min_and_drift_corrected_share_of_its_timed_steps",
    ),
    "meta_train_speed (AK01), against: meta train run variant switches the club bound and the cpu": Edit(
        "benchmarks/meta_train_speed.py",
        'if variant == "naive-club":\n        losses.club_upper_bound',
        'if variant != "naive-club":\n        losses.club_upper_bound',
        "tests/test_benchmarks.py::test_meta_train_run_variant_switches_the_club_bound_and_the_cpu_kernels_by_variant",
    ),
    "meta_train_speed (AK10), against: meta train time steps is seconds per timed call without the warm": Edit(
        "benchmarks/meta_train_speed.py",
        "return (time.perf_counter() - t) / steps",
        "return (time.perf_counter() - t) / (steps + 5)",
        "tests/test_benchmarks.py::test_meta_train_time_steps_is_seconds_per_timed_call_without_the_warm_up_calls",
    ),
    'meta_train_speed: `not variant.startswith("eager"),` -> `variant != "eager",`': Edit(
        "benchmarks/meta_train_speed.py",
        'not variant.startswith("eager"),',
        'variant != "eager",',
        "tests/test_benchmarks.py::test_meta_train_capture_variants_capture_all_but_the_eager_ones_and_fuse_only_captured_fused",
    ),
    'meta_train_speed: `variant == "captured", )` -> `variant != "eager", )`': Edit(
        "benchmarks/meta_train_speed.py",
        'variant == "captured",\n        )',
        'variant != "eager",\n        )',
        "tests/test_benchmarks.py::test_meta_train_alternating_cpu_times_all_but_two_steps_of_each_and_captures_only_captured",
    ),
    "meta_train_speed (AK15), against: meta train capture main on the cpu runs four variants and prints": Edit(
        "benchmarks/meta_train_speed.py",
        "{by['captured']['ms'] / by['eager']['ms']:.3f}",
        "{by['eager']['ms'] / by['captured']['ms']:.3f}",
        "tests/test_benchmarks.py::test_meta_train_capture_main_on_the_cpu_runs_four_variants_and_prints_their_ratios",
    ),
    "meta_train_speed (AK18), against: meta train main prints the speed ups over plain and naive and the": Edit(
        "benchmarks/meta_train_speed.py",
        "{plain['median_s'] / ours['median_s']:.2f}x",
        "{ours['median_s'] / plain['median_s']:.2f}x",
        "tests/test_benchmarks.py::test_meta_train_main_prints_the_speed_ups_over_plain_and_naive_and_the_share_of_the_best_probe",
    ),
    "meta_train_speed (AK17), against: meta train a naive club child runs naive steps and the others": Edit(
        "benchmarks/meta_train_speed.py",
        'steps = args.naive_steps if args.variant == "naive-club" else args.steps',
        'steps = args.naive_steps if args.variant != "naive-club" else args.steps',
        "tests/test_benchmarks.py::test_meta_train_a_naive_club_child_runs_naive_steps_and_the_others_steps",
    ),
    "behaviour_sac_speed: `for _ in range(min(block, updates - len(times))):` -> `for _ in range(block):`": Edit(
        "benchmarks/behaviour_sac_speed.py",
        "for _ in range(min(block, updates - len(times))):",
        "for _ in range(block):",
        "tests/test_benchmarks.py::test_behaviour_sac_time_group_reports_median_min_and_the_probes_median_and_best",
    ),
    "behaviour_sac_speed: `return 2 * n * size**3 * reps /` -> `return n * size**3 * reps /`": Edit(
        "benchmarks/behaviour_sac_speed.py",
        "return 2 * n * size**3 * reps /",
        "return n * size**3 * reps /",
        "tests/test_benchmarks.py::test_behaviour_sac_cuda_matmul_probe_counts_two_flops_a_multiply_add",
    ),
    "behaviour_sac_speed (AK26), against: behaviour sac eager vs captured reports updates per second of": Edit(
        "benchmarks/behaviour_sac_speed.py",
        'out["captured" if capture else "eager"]',
        'out["eager" if capture else "captured"]',
        "tests/test_benchmarks.py::test_behaviour_sac_eager_vs_captured_reports_updates_per_second_of_each",
    ),
    "behaviour_sac_speed: `{r['median_s'] * 1e3 / n:12.1f}` -> `{r['median_s'] * 1e3:12.1f}`": Edit(
        "benchmarks/behaviour_sac_speed.py",
        "{r['median_s'] * 1e3 / n:12.1f}",
        "{r['median_s'] * 1e3:12.1f}",
        "tests/test_benchmarks.py::test_behaviour_sac_main_prints_per_task_figures_of_the_median_update",
    ),
    "behaviour_sac_speed: `torch.set_num_threads(threads)` -> `pass`": Edit(
        "benchmarks/behaviour_sac_speed.py",
        "        torch.set_num_threads(threads)\n",
        "        pass\n",
        "tests/test_benchmarks.py::test_behaviour_sac_main_sets_the_threads_asked_for",
    ),
    "behaviour_sac_speed (AK28), against: behaviour sac device mode prints captured over eager": Edit(
        "benchmarks/behaviour_sac_speed.py",
        "ratio {r['captured'] / r['eager']:.2f}x",
        "ratio {r['eager'] / r['captured']:.2f}x",
        "tests/test_benchmarks.py::test_behaviour_sac_device_mode_prints_captured_over_eager",
    ),
    "paper_cost (AK34), against: paper cost flops and cpu hours count every task update env step and": Edit(
        "benchmarks/paper_cost.py",
        "return self.tasks * self.stage1_updates * self.stage1_flops_per_update",
        "return self.stage1_updates * self.stage1_flops_per_update",
        "tests/test_benchmarks.py::test_paper_cost_flops_and_cpu_hours_count_every_task_update_env_step_and_stage2_step",
    ),
    "paper_cost: `update = max(GPU_STEP1_LAUNCH_S,` -> `update = min(GPU_STEP1_LAUNCH_S,`": Edit(
        "benchmarks/paper_cost.py",
        "update = max(GPU_STEP1_LAUNCH_S,",
        "update = min(GPU_STEP1_LAUNCH_S,",
        "tests/test_benchmarks.py::test_paper_cost_gpu_hours_take_the_slower_of_the_flops_and_the_measured_floors",
    ),
    "paper_cost: `return statistics.median(times)` -> `return min(times)`": Edit(
        "benchmarks/paper_cost.py",
        "    return statistics.median(times)",
        "    return min(times)",
        "tests/test_benchmarks.py::test_paper_cost_median_time_is_the_median_of_the_timed_calls_after_one_warm_up",
    ),
    "paper_cost (AK43), against: paper cost stage1 counts the trained updates and every env step of": Edit(
        "benchmarks/paper_cost.py",
        "return sched.num_train_steps - sched.num_seed_steps, env_steps",
        "return sched.num_train_steps, env_steps",
        "tests/test_benchmarks.py::test_paper_cost_stage1_counts_the_trained_updates_and_every_env_step_of_training_and_rollouts",
    ),
    "paper_cost: `a.num_iterations * a.num_train_steps_per_itr,` -> `a.num_iterations,`": Edit(
        "benchmarks/paper_cost.py",
        "a.num_iterations * a.num_train_steps_per_itr,",
        "a.num_iterations,",
        "tests/test_benchmarks.py::test_paper_cost_env_cost_takes_the_envs_tasks_and_every_stage2_step",
    ),
    "paper_cost (AK47), against: paper cost table row holds the cpu then the gpu hours and microseconds": Edit(
        "benchmarks/paper_cost.py",
        "(c1, c2), (g1, g2) = c.cpu_hours, c.gpu_hours",
        "(c1, c2), (g1, g2) = c.gpu_hours, c.cpu_hours",
        "tests/test_benchmarks.py::test_paper_cost_table_row_holds_the_cpu_then_the_gpu_hours_and_microseconds_an_env_step",
    ),
    "dataset_load: `int(f.read().split()[1])` -> `int(f.read().split()[0])`": Edit(
        "benchmarks/dataset_load.py",
        "int(f.read().split()[1])",
        "int(f.read().split()[0])",
        "tests/test_benchmarks.py::test_dataset_load_rss_is_statms_resident_pages_in_mebibytes",
    ),
    "dataset_load (AK51), against: dataset load ours counts the rows of both splits": Edit(
        "benchmarks/dataset_load.py",
        "return time.perf_counter() - t0, len(a) + len(b)",
        "return time.perf_counter() - t0, len(a)",
        "tests/test_benchmarks.py::test_dataset_load_ours_counts_the_rows_of_both_splits",
    ),
    "dataset_load: `if i not in tasks:` -> `if i in tasks:`": Edit(
        "benchmarks/dataset_load.py",
        "            if i not in tasks:\n",
        "            if i in tasks:\n",
        "tests/test_benchmarks.py::test_dataset_load_reference_loader_reads_each_splits_own_tasks_and_counts_both",
    ),
    "dataset_load (AK54), against: dataset load child measures growth from the larger of the rss and the": Edit(
        "benchmarks/dataset_load.py",
        '"rss_before_mb": max(before, peak_before)',
        '"rss_before_mb": min(before, peak_before)',
        "tests/test_benchmarks.py::test_dataset_load_child_measures_growth_from_the_larger_of_the_rss_and_the_peak_so_far",
    ),
    "dataset_load (AK55), against: dataset load layout source changes when a file is written again at": Edit(
        "benchmarks/dataset_load.py",
        'f"{p.relative_to(data_dir)} {p.stat().st_size} {p.stat().st_mtime_ns}"',
        'f"{p.relative_to(data_dir)} {p.stat().st_size}"',
        "tests/test_benchmarks.py::test_dataset_load_layout_source_changes_when_a_file_is_written_again_at_the_same_size",
    ),
    "dataset_load (AK56), against: dataset load main exports once per dataset and prints the medians": Edit(
        "benchmarks/dataset_load.py",
        "if not marker.is_file() or json.loads(marker.read_text()) != source:",
        "if not marker.is_file() and json.loads(marker.read_text()) != source:",
        "tests/test_benchmarks.py::test_dataset_load_main_exports_once_per_dataset_and_prints_the_medians_ratios",
    ),
    "dataset_load: `steps = list(range(2000, 5000, 200))` -> `steps = list(range(2200, 5000, 200))`": Edit(
        "benchmarks/dataset_load.py",
        "steps = list(range(2000, 5000, 200))",
        "steps = list(range(2200, 5000, 200))",
        "tests/test_benchmarks.py::test_dataset_load_synthesises_40_tasks_of_checkpoints_2000_to_4800",
    ),
    "stage2_load_memory: `before = max(rss, peak_rss_mb())` -> `before = min(rss, peak_rss_mb())`": Edit(
        "benchmarks/stage2_load_memory.py",
        "before = max(rss, peak_rss_mb())",
        "before = min(rss, peak_rss_mb())",
        "tests/test_benchmarks.py::test_the_load_memory_child_estimates_with_one_training_tasks_arrays_and_grows_from_the_larger_base",
    ),
    "stage2_load_memory: `if n_train + n_test > n_tasks:` -> `if n_train + n_test >= n_tasks:`": Edit(
        "benchmarks/stage2_load_memory.py",
        "if n_train + n_test > n_tasks:",
        "if n_train + n_test >= n_tasks:",
        "tests/test_benchmarks.py::test_the_load_memory_benchmark_takes_all_the_envs_tasks_reuses_its_data_and_prints_growth_over_rule",
    ),
    'regenerate_memory: `if line.startswith("VmHWM:"))` -> `if line.startswith("VmRSS:"))`': Edit(
        "benchmarks/regenerate_memory.py",
        'if line.startswith("VmHWM:"))',
        'if line.startswith("VmRSS:"))',
        "tests/test_benchmarks.py::test_regenerate_memory_peak_is_vmhwm_in_mebibytes",
    ),
    "regenerate_memory (AK67), against: regenerate memory synthesises checkpoints 100 to 100n": Edit(
        "benchmarks/regenerate_memory.py",
        "steps = [100 * (k + 1) for k in range(n)]",
        "steps = [100 * k for k in range(n)]",
        "tests/test_benchmarks.py::test_regenerate_memory_synthesises_checkpoints_100_to_100n",
    ),
    "regenerate_memory (AK68), against: regenerate memory measure runs the child on the codes rlkit and": Edit(
        "benchmarks/regenerate_memory.py",
        'if Path(r["rlkit"]) != (code / "rlkit").resolve():',
        'if Path(r["rlkit"]) == (code / "rlkit").resolve():',
        "tests/test_benchmarks.py::test_regenerate_memory_measure_runs_the_child_on_the_codes_rlkit_and_checks_it",
    ),
    "regenerate_memory: `old.unlink()` -> `pass`": Edit(
        "benchmarks/regenerate_memory.py",
        "            old.unlink()\n",
        "            pass\n",
        "tests/test_benchmarks.py::test_regenerate_memory_main_clears_earlier_extras_checks_the_count_and_prints_the_growth",
    ),
    "scale_out (AK73), against: scale out reports two workers speed up and rays overhead from the timed": Edit(
        "benchmarks/scale_out.py",
        'speedup = median["Ray, 1 worker"] / median["Ray, 2 workers"]',
        'speedup = median["Ray, 2 workers"] / median["Ray, 1 worker"]',
        "tests/test_benchmarks.py::test_scale_out_reports_two_workers_speed_up_and_rays_overhead_from_the_timed_generation",
    ),
    "scale_out: `if state is None:` -> `if state is not None:`": Edit(
        "benchmarks/scale_out.py",
        "            if state is None:\n",
        "            if state is not None:\n",
        "tests/test_benchmarks.py::test_scale_out_warm_up_trains_its_throwaway_task_to_the_end",
    ),
    "env_speed (AK79), against: env speed steps per second is actions over seconds": Edit(
        "benchmarks/env_speed.py",
        "rate = len(actions) / (time.perf_counter() - start)",
        "rate = (time.perf_counter() - start) / len(actions)",
        "tests/test_benchmarks.py::test_env_speed_steps_per_second_is_actions_over_seconds",
    ),
    "env_speed: `ratio = max(b) / max(a)` -> `ratio = max(a) / max(b)`": Edit(
        "benchmarks/env_speed.py",
        "ratio = max(b) / max(a)",
        "ratio = max(a) / max(b)",
        "tests/test_benchmarks.py::test_env_speed_main_prints_the_best_rates_time_ratio_the_physics_check_and_the_worst_ratio",
    ),
    "borel (AJ42): the relabelling runs the belief GRU on (a, r, s), not on (a, r, s')": Edit(
        "rlkit/torch/csro/borel.py",
        "mu, logvar = encoder(b.actions, b.rewards, b.next_obs)  # [n, T+1, L]",
        "mu, logvar = encoder(b.actions, b.rewards, b.obs)  # [n, T+1, L]",
        "tests/test_borel.py::test_the_relabelling_runs_the_belief_on_each_steps_next_state_not_its_state",
    ),
    "borel (AJ35): the BAMDP join reads a task's episode ends by its id, not its place": Edit(
        "rlkit/torch/csro/borel.py",
        "ends[int(buf.offsets[slot]) +",
        "ends[int(buf.offsets[t]) +",
        "tests/test_borel.py::test_the_bamdp_join_finds_each_tasks_episode_ends_by_its_place_not_its_id",
    ),
    "borel (AJ30): the VAE's sizes swapped to (action_dim, obs_dim)": Edit(
        "rlkit/torch/csro/borel.py",
        "return batch.obs_dim, batch.action_dim",
        "return batch.action_dim, batch.obs_dim",
        "tests/test_borel.py::test_borels_vae_reads_s_a_r_s_prime_of_a_family_whose_obs_and_action_sizes_differ",
    ),
    "borel (AJ29): elbo_terms equal to the sequence length decodes every belief, no subsample": Edit(
        "rlkit/torch/csro/borel.py",
        "self.elbo_terms < T + 1:",
        "self.elbo_terms < T:",
        "tests/test_borel.py::test_borel_elbo_terms_equal_to_the_sequence_length_still_subsamples_the_beliefs",
    ),
    "borel (AJ32): the relabelling's coverage check by .all(): rows no sequence covers pass": Edit(
        "rlkit/torch/csro/borel.py",
        "if torch.isnan(before).any() or torch.isnan(after).any():",
        "if torch.isnan(before).all() or torch.isnan(after).all():",
        "tests/test_borel.py::test_the_relabelling_refuses_a_sequence_index_that_leaves_a_buffer_row_out",
    ),
    "borel (AJ04): from_config ignores the family for a null borel_decode_state": Edit(
        "rlkit/torch/csro/borel.py",
        "decode_state=borel_decode_state_of(cfg.env_name, a.borel_decode_state),",
        "decode_state=bool(a.borel_decode_state),",
        "tests/test_borel.py::test_borel_settings_resolve_a_null_decode_state_by_the_family_even_on_a_config_not_loaded_to_run",
    ),
    "borel (AJ43): the belief's log-variance clamped below at -10": Edit(
        "rlkit/torch/csro/borel.py",
        "return self.mu(h), self.logvar(h)",
        "return self.mu(h), self.logvar(h).clamp(min=-10.0)",
        "tests/test_borel.py::test_the_beliefs_log_variance_is_the_heads_output_unclamped",
    ),
    "corro_encoder_probe (AJ44): the probe ignores --standardize": Edit(
        "scripts/corro_encoder_probe.py",
        '"corro_standardize": args.standardize}',
        '"corro_standardize": False}',
        "tests/test_scripts_input.py::test_the_corro_probe_prints_each_blocks_mean_infonce_and_task_identification_as_documented",
    ),
    "corro_encoder_probe (AJ49): the probe's CVAE stage steps the transition model's parameters": Edit(
        "scripts/corro_encoder_probe.py",
        "opt = torch.optim.Adam(enc.cvae.parameters(), lr=lr)",
        "opt = torch.optim.Adam(enc.transition.parameters(), lr=lr)",
        "tests/test_scripts_input.py::test_the_corro_probe_trains_the_cvae_first_then_e1_with_generative_negatives",
    ),
    "corro_encoder_probe (AJ45): the probe's default seed 1": Edit(
        "scripts/corro_encoder_probe.py",
        'p.add_argument("--seed", type=int, default=0)',
        'p.add_argument("--seed", type=int, default=1)',
        "tests/test_scripts_input.py::test_the_corro_probe_takes_the_negatives_asked_for_and_seed_0_by_default",
    ),
    "install_wheels (AJ60): requirement names with dots not canonicalised": Edit(
        "scripts/gpu/install_wheels.py",
        'return re.sub(r"[-_.]+", "-", name).lower()',
        'return re.sub(r"[-_]+", "-", name).lower()',
        "tests/test_gpu_scripts.py::test_requirement_names_with_capitals_dots_or_underscores_meet_their_wheels",
    ),
    "install_wheels (AJ73): a prerelease or local build judged not to meet the pin": Edit(
        "scripts/gpu/install_wheels.py",
        "return SpecifierSet(specifier).contains(version, prereleases=True)",
        "return SpecifierSet(specifier).contains(version, prereleases=False)",
        "tests/test_gpu_scripts.py::test_the_machines_prerelease_or_local_build_of_a_package_counts_as_meeting_the_pin",
    ),
    "install_wheels (AJ63): a third argument accepted": Edit(
        "scripts/gpu/install_wheels.py",
        "if len(argv) != 2:",
        "if len(argv) < 2:",
        "tests/test_gpu_scripts.py::test_install_wheels_takes_exactly_two_arguments",
    ),
    "install_wheels (AJ64): every file of WHEEL_DIR read as a wheel": Edit(
        "scripts/gpu/install_wheels.py",
        'wheels = sorted(wheel_dir.glob("*.whl"))',
        'wheels = sorted(wheel_dir.glob("*"))',
        "tests/test_gpu_scripts.py::test_install_wheels_installs_only_the_missing_wheels_into_the_target_offline_and_passes_pips_status",
    ),
    "install_wheels (AJ65): a refused set of wheels installed anyway": Edit(
        "scripts/gpu/install_wheels.py",
        '        print(f"error: {why_not}", file=sys.stderr)\n        return 2',
        '        print(f"error: {why_not}", file=sys.stderr)',
        "tests/test_gpu_scripts.py::test_install_wheels_refuses_a_set_with_two_versions_before_running_pip",
    ),
    "install_wheels (AJ66): pip run with no wheel when the machine has every package": Edit(
        "scripts/gpu/install_wheels.py",
        "    if not chosen:\n        return 0\n",
        "",
        "tests/test_gpu_scripts.py::test_install_wheels_runs_no_pip_when_the_machine_has_every_package",
    ),
    "context_stats' zero-spread floor at 1e-3: a column of real but small spread left unscaled": Edit(
        "rlkit/data/buffer.py",
        "std = torch.where(std > 1e-6, std, torch.ones_like(std))",
        "std = torch.where(std > 1e-3, std, torch.ones_like(std))",
        "tests/test_buffer.py::test_a_context_column_of_small_but_real_spread_keeps_its_own_std",
    ),
    "context_stats rounds a float64 buffer's rows to float32": Edit(
        "rlkit/data/buffer.py",
        "rows[:, : o + a + 1] = self.data[: len(self), : o + a + 1]",
        "rows[:, : o + a + 1] = self.data[: len(self), : o + a + 1].float()",
        "tests/test_buffer.py::test_a_float64_buffers_context_stats_are_computed_from_its_float64_rows",
    ),
    "a task of two chained transitions stores its shared observation twice": Edit(
        "rlkit/data/buffer.py",
        "    if len(d) > 1 and d.obs.dtype == d.next_obs.dtype:",
        "    if len(d) > 2 and d.obs.dtype == d.next_obs.dtype:",
        "tests/test_buffer.py::test_a_task_of_two_chained_transitions_stores_the_shared_observation_once",
    ),
    "a step without BRAC draws c_iter - 1 unused extra batches": Edit(
        "rlkit/data/buffer.py",
        "for _ in range(a.c_iter - 1)] if a.use_brac else []",
        "for _ in range(a.c_iter - 1)] if a.c_iter > 1 else []",
        "tests/test_buffer.py::test_a_step_without_brac_draws_no_extra_batches_whatever_c_iter_is",
    ),
    "a SequenceIndex of block 0 accepted": Edit(
        "rlkit/data/sequences.py",
        "        if episodes < 1 or block < 1:",
        "        if episodes < 1:",
        "tests/test_borel.py::test_a_sequence_index_of_block_zero_is_refused_by_name",
    ),
    "with one episode per checkpoint a task's last episode in no sequence": Edit(
        "rlkit/data/sequences.py",
        "            for c in range(0, len(lengths), block):",
        "            for c in range(0, len(lengths) - 1, block):",
        "tests/test_borel.py::test_with_one_episode_per_checkpoint_every_episode_is_a_sequence_the_last_included",
    ),
    "the statistics of a numpy column computed in float32": Edit(
        "rlkit/logging/columns.py",
        "else np.asarray(values, np.float64)",
        "else np.asarray(values, np.float32)",
        "tests/test_logging.py::test_statistics_of_a_numpy_column_are_computed_in_float64",
    ),
    "a progress row built without a spread holds zeros there (called collapsed)": Edit(
        "rlkit/logging/columns.py",
        "    z_spread: tuple[float, float] = (math.nan, math.nan),",
        "    z_spread: tuple[float, float] = (0.0, 0.0),",
        "tests/test_logging.py::test_a_progress_row_built_without_a_spread_holds_nan_there_and_is_not_called_collapsed",
    ),
    "a switch's error marks the other value as its default": Edit(
        "rlkit/switch.py",
        'return f"{first[0]} ({first[1]}, the default) or {second[0]} ({second[1]})"',
        'return f"{first[0]} ({first[1]}) or {second[0]} ({second[1]}, the default)"',
        "tests/test_run_folder.py::test_a_switchs_error_marks_its_own_default_as_the_default",
    ),
    "a switch variable set to the empty string read as off": Edit(
        "rlkit/switch.py",
        '            elif value in ("0", "1"):',
        '            elif value in ("0", "1", ""):',
        "tests/test_run_folder.py::test_a_switch_set_to_the_empty_string_is_an_error_not_off",
    ),
    "a failed Ray run exits 2": Edit(
        "rlkit/errors.py",
        "    exit_code = 1\n",
        "    exit_code = 2\n",
        "tests/test_cli.py::test_a_failed_ray_run_exits_1_with_its_one_line",
    ),
    "a checkpoint zeroes every task's update sums, not only its due tasks'": Edit(
        GENERATE,
        "            self.bars.checkpoint(i, len(self.checkpoints[i]), self.last_return[i])\n",
        (
            "            self.bars.checkpoint(i, len(self.checkpoints[i]), self.last_return[i])\n"
            "        self.records.sums.zero_()\n"
        ),
        "tests/test_behaviour_outputs.py::test_each_tasks_losses_csv_windows_end_at_its_own_checkpoints_in_a_group",
    ),
    "a state saved before the update sums were kept resumes from zero sums (a short row written as whole)": Edit(
        GENERATE,
        "            self.records.forget()\n",
        "            pass\n",
        "tests/test_sac.py::test_a_state_saved_before_the_update_sums_were_kept_resumes_with_whole_windows_only",
    ),
    "a state's update sums the live tensor on the CPU, not a copy": Edit(
        GENERATE,
        '"update_sums": _to_cpu(self.records.sums),',
        '"update_sums": self.records.sums.cpu(),',
        "tests/test_sac.py::test_a_state_saved_before_the_update_sums_were_kept_resumes_with_whole_windows_only",
    ),
    "the trainer's reward scale a constant 1 instead of the config's reward_scale": Edit(
        TRAINER_PY,
        "reward_scale=hp.reward_scale,",
        "reward_scale=1.0,",
        "tests/test_variants.py::test_every_weight_rate_and_constant_of_the_config_reaches_the_trainer_settings_unchanged",
    ),
    "policy_mean_reg_weight read from policy_std_reg_weight": Edit(
        TRAINER_PY,
        "policy_mean_reg_weight=hp.policy_mean_reg_weight,",
        "policy_mean_reg_weight=hp.policy_std_reg_weight,",
        "tests/test_variants.py::test_every_weight_rate_and_constant_of_the_config_reaches_the_trainer_settings_unchanged",
    ),
    "CORRO's joint stage: InfoNCE on sg(e), E1 keeping only the negatives' gradient": Edit(
        TRAINER_PY,
        "loss = self._corro_loss(lat.e, context)",
        "loss = self._corro_loss(lat.e.detach(), context)",
        "tests/test_training_step.py::test_corros_joint_stage_steps_e1_on_the_whole_infonce_gradient_queries_included",
    ),
    "the policy loss given the log std for the mean and the mean for the log std": Edit(
        TRAINER_PY,
        "            pi.mean,\n            pi.log_std,\n",
        "            pi.log_std,\n            pi.mean,\n",
        "tests/test_reference_step.py::test_train_step_equals_the_reference_step[policy_regularisers_apart]",
    ),
    "the policy's mean regulariser weighted by policy_std_reg_weight": Edit(
        TRAINER_PY,
        "mean_reg=s.policy_mean_reg_weight,",
        "mean_reg=s.policy_std_reg_weight,",
        "tests/test_reference_step.py::test_train_step_equals_the_reference_step[policy_regularisers_apart]",
    ),
    "CORRO's pretraining collapse guard on the plain mean of e, not the attention z": Edit(
        TRAINER_PY,
        "**self._spread(Latents(e=e.detach(), e_var=None, z=enc.aggregate(e).detach(),",
        "**self._spread(Latents(e=e.detach(), e_var=None, z=e.detach().mean(dim=-2),",
        "tests/test_baselines.py::test_corros_encoder_only_stage_measures_the_collapse_guard_on_the_attention_z",
    ),
    "the networks' initialisation stream ignores the run's seed": Edit(
        TRAINER_PY,
        'init_gen = torch_generator(seed, "init")',
        'init_gen = torch_generator(0, "init")',
        "tests/test_gradient_flow.py::test_the_networks_initial_weights_follow_the_runs_seed",
    ),
    "the buffers built without terminal_at_traj_end, whatever the config says": Edit(
        EXPERIMENT,
        "            device,\n            a.terminal_at_traj_end,",
        "            device,\n            False,",
        "tests/test_meta_trainer.py::test_load_buffers_reads_each_tasks_files_with_the_envs_obs_and_action_sizes_and_marks_trajectory_ends",
    ),
    "prepare gives the run (action_dim, obs_dim)": Edit(
        EXPERIMENT,
        "obs_dim, action_dim = env.observation_space.shape[0], env.action_space.shape[0]",
        "action_dim, obs_dim = env.observation_space.shape[0], env.action_space.shape[0]",
        "tests/test_meta_trainer.py::test_prepare_gives_the_buffers_and_the_run_the_envs_observation_then_action_size",
    ),
    "the trainer's settings built from the test tasks (CLASSIFIER's classes)": Edit(
        EXPERIMENT,
        "settings = TrainerSettings.from_config(setup.cfg, setup.train_tasks)",
        "settings = TrainerSettings.from_config(setup.cfg, setup.test_tasks)",
        "tests/test_meta_trainer.py::test_a_classifier_runs_classes_are_its_training_tasks",
    ),
    "the stage-2 trainer seeded 0 whatever the run's seed": Edit(
        EXPERIMENT,
        "setup.obs_dim, setup.action_dim, dev, setup.seed, fuse=self.fused)",
        "setup.obs_dim, setup.action_dim, dev, 0, fuse=self.fused)",
        "tests/test_meta_trainer.py::test_a_meta_trainer_seeds_its_networks_noise_and_meta_test_by_the_runs_seed_and_scales_the_test_envs",
    ),
    "the meta-test's envs without the dataset's observation scale": Edit(
        EXPERIMENT,
        "setup.cfg, setup.test_tasks, setup.eval_buffer, setup.obs_scale, setup.seed, dev, setup.data_dir",
        "setup.cfg, setup.test_tasks, setup.eval_buffer, None, setup.seed, dev, setup.data_dir",
        "tests/test_meta_trainer.py::test_a_meta_trainer_seeds_its_networks_noise_and_meta_test_by_the_runs_seed_and_scales_the_test_envs",
    ),
    "BOREL's VAE means start at 0, not nan (a run of no VAE step reports zeros)": Edit(
        EXPERIMENT,
        'self.vae_means = dict.fromkeys(VAE_COLUMNS, float("nan"))',
        "self.vae_means = dict.fromkeys(VAE_COLUMNS, 0.0)",
        "tests/test_borel.py::test_a_borel_run_whose_vae_stage_trains_nothing_reports_its_vae_columns_unmeasured",
    ),
    "path_to_weights read with weights_only=False": Edit(
        EXPERIMENT,
        "state = torch.load(copy or path, map_location=self.setup.device, weights_only=True)",
        "state = torch.load(copy or path, map_location=self.setup.device, weights_only=False)",
        "tests/test_meta_trainer.py::test_path_to_weights_holding_an_object_outside_the_weights_only_classes_is_refused_not_unpickled",
    ),
    "BOREL's VAE generator reseeded on batch_sampling's stream after a device change": Edit(
        EXPERIMENT,
        'slots.append((state["borel"], "vae_gen", self.vae_gen, "borel_vae"))',
        'slots.append((state["borel"], "vae_gen", self.vae_gen, "batch_sampling"))',
        "tests/test_meta_trainer.py::test_borels_vae_generator_reseeded_after_a_device_change_gets_its_own_stream",
    ),
    "a resume after BOREL's VAE stage recorded as a VAE step in code.json": Edit(
        EXPERIMENT,
        "vae_steps is not None and vae_steps < self.borel.vae_steps",
        "vae_steps is not None and vae_steps <= self.borel.vae_steps",
        "tests/test_run_folder.py::test_a_borel_run_resumed_after_its_vae_stage_records_no_vae_stage_in_its_code_record",
    ),
    "the iteration summary's online and Np returns swapped": Edit(
        EXPERIMENT,
        "online {ret['online']:.2f}  np {ret['np']:.2f}",
        "online {ret['np']:.2f}  np {ret['online']:.2f}",
        "tests/test_meta_trainer.py::test_the_iteration_summary_names_each_protocols_return_and_the_rows_own_epoch",
    ),
    "BOREL's sequences bounded by the meta-test's horizon, not the env's time limit": Edit(
        EXPERIMENT,
        "a, limit = cfg.algo_params, cfg.env_params.max_episode_steps",
        "a, limit = cfg.algo_params, cfg.algo_params.max_path_length",
        "tests/test_borel.py::test_borels_training_sequences_may_be_as_long_as_the_envs_time_limit_not_the_meta_tests_horizon",
    ),
    "a saved stage-2 state without the meta-test's env generators": Edit(
        EXPERIMENT,
        '            "eval_env_rng": self.evaluator.rng_states(),\n',
        "",
        "tests/test_meta_trainer.py::test_a_saved_state_holds_the_batch_stream_the_meta_tests_env_generators_and_the_named_device",
    ),
    "a compiled loss without inductor's vector width pinned": Edit(
        GRAPHS,
        "torch.compile(fn, fullgraph=True, dynamic=False, options=options)",
        "torch.compile(fn, fullgraph=True, dynamic=False)",
        "tests/test_graphs.py::test_a_loss_compiled_on_the_cpu_at_one_vector_width_is_not_served_from_the_cache_at_another",
    ),
    "inductor's vector width pinned at the widest the CPU has": Edit(
        GRAPHS,
        'return {"cpp.simdlen": cpu_vec_isa.pick_vec_isa().bit_width()}',
        'return {"cpp.simdlen": cpu_vec_isa.valid_vec_isa_list()[0].bit_width()}',
        "tests/test_graphs.py::test_the_pinned_vector_width_is_the_one_inductor_picks",
    ),
    "task.json recording save_networks under the setting's own name": Edit(
        DATASET,
        'TASK_RECORD_NAMES = {"save_networks": "saved_networks"}',
        "TASK_RECORD_NAMES = {}",
        "tests/test_dataset.py::test_check_compares_every_task_with_the_settings_the_dataset_records",
    ),
    "rlkit.behaviour re-exporting its entry under its module's name": Edit(
        "rlkit/behaviour/__init__.py",
        "from rlkit.behaviour.generate import Stage1Spec, generate_dataset, split_tasks, train_task_group",
        (
            "from rlkit.behaviour.generate import Stage1Spec, generate_dataset, split_tasks, train_task_group\n"
            "from rlkit.behaviour.generate import generate_dataset as generate"
        ),
        "tests/test_layers.py::test_no_package_hides_one_of_its_modules_behind_a_name_it_imports",
    ),
    "a file system without hard links read as a refused write (EPERM)": Edit(
        FILEIO,
        "_NO_HARD_LINKS = (errno.EPERM, errno.ENOSYS, errno.EOPNOTSUPP)",
        "_NO_HARD_LINKS = (errno.ENOSYS, errno.EOPNOTSUPP)",
        "tests/test_run_folder.py::test_a_file_system_without_hard_links_is_one_line_naming_the_folder_and_leaves_nothing[EPERM]",
    ),
    "a lock refused for want of hard links leaving the folders it made": Edit(
        FILEIO,
        "                    mine.unlink(missing_ok=True)\n                    for folder in self._made:",
        "                    for folder in self._made:",
        "tests/test_run_folder.py::test_a_file_system_without_hard_links_is_one_line_naming_the_folder_and_leaves_nothing[ENOSYS]",
    ),
    "a live process's scratch of another container or host removed by its pid": Edit(
        FILEIO,
        "            gone = _untouched_for(path, FOREIGN_SCRATCH_S)",
        "            gone = not process_alive(int(pid))",
        "tests/test_cluster.py::test_scratch_of_another_containers_process_stays_and_an_earlier_boots_goes",
    ),
    "scratch of an earlier boot kept while a process here has its pid": Edit(
        FILEIO,
        "            gone = True  # (an earlier boot of this host)",
        "            gone = not process_alive(int(pid))",
        "tests/test_cluster.py::test_scratch_of_another_containers_process_stays_and_an_earlier_boots_goes",
    ),
    "another container's scratch judged by its folder's own time, not what it holds": Edit(
        FILEIO,
        'newest = max([newest, *(p.lstat().st_mtime for p in path.rglob("*"))])',
        "newest = max([newest])",
        "tests/test_cluster.py::test_scratch_of_another_containers_process_stays_and_an_earlier_boots_goes",
    ),
    "stage 1's dataset record compared under task.json's names only (save_networks unchecked)": Edit(
        GENERATE,
        "_recorded_differences(as_task_records(recorded), settings)",
        "_recorded_differences(recorded, settings)",
        "tests/test_sac.py::test_the_dataset_settings_are_created_once_and_whole",
    ),
    "a stage-1 state saved before the threads were recorded read as another machine's": Edit(
        GENERATE,
        'return recorded == now or (" thread" not in recorded and now.startswith(f"{recorded}, "))',
        "return recorded == now",
        "tests/test_sac.py::test_a_state_saved_with_another_capture_setting_resumes_and_says_so",
    ),
    "a code.json entry without threads read as another machine's": Edit(
        RUN_FOLDER,
        "for k, v in same.items() if k in last or k not in _NUMERICS)",
        "for k, v in same.items())",
        "tests/test_run_folder.py::test_code_json_records_the_thread_count_and_cpu_capability_and_a_resume_on_others",
    ),
    "a node's dataset cache shared by every user": Edit(
        CLUSTER_RUNS,
        'cache = cache or shared.with_name(f"{SHARED_DATA_CACHE}-{os.getuid()}")',
        "cache = cache or shared",
        "tests/test_cluster.py::test_a_nodes_dataset_cache_is_a_folder_of_the_user_and_its_copying_is_named_by_its_process",
    ),
    "a node's dataset copy named by its pid alone": Edit(
        CLUSTER_RUNS,
        "tmp = cache / f\"{scratch_prefix('.part-')}{key}\"",
        'tmp = cache / f".part-{os.getpid()}-{key}"',
        "tests/test_cluster.py::test_a_nodes_dataset_cache_is_a_folder_of_the_user_and_its_copying_is_named_by_its_process",
    ),
    "a segment's scratch named by its pid alone": Edit(
        CLUSTER_ENGINE,
        "return tempfile.TemporaryDirectory(prefix=scratch_prefix(prefix), dir=parent)",
        'return tempfile.TemporaryDirectory(prefix=f"{prefix}{os.getpid()}-", dir=parent)',
        "tests/test_cluster.py::test_a_new_scratch_folder_removes_the_scratch_of_killed_workers",
    ),
    "code.json without the thread count and CPU capability": Edit(
        RUN_FOLDER,
        "        **cpu_numerics(),\n",
        "",
        "tests/test_run_folder.py::test_code_json_records_the_thread_count_and_cpu_capability_and_a_resume_on_others",
    ),
    "a stage-1 state's device record without the thread count": Edit(
        GENERATE,
        (
            'return f"{graphs.describe(self.updater.capture, self.spec.device, named=True)}, '
            '{numerics_text(cpu_numerics())}"'
        ),
        "return graphs.describe(self.updater.capture, self.spec.device, named=True)",
        "tests/test_sac.py::test_task_json_records_each_device_and_capture_setting_the_task_trained_with",
    ),
    "the report's code sentence without the thread count and CPU": Edit(
        DOCUMENT,
        'numerics = f"; {numerics_text(e)}" if "threads" in e and "cpu" in e else ""',
        'numerics = ""',
        "tests/test_reproduce.py::test_the_report_says_which_code_trained_its_runs",
    ),
    "the belief's GRU left to cuDNN's TF32": Edit(
        BOREL_PY,
        "        with gru_in_full_float32():\n            out, _ = self.gru(x, h0[None].contiguous())",
        "        out, _ = self.gru(x, h0[None].contiguous())",
        "tests/test_borel.py::test_the_beliefs_gru_runs_in_full_float32_and_leaves_the_setting_as_it_was",
    ),
    "the GRU's precision not given back after the call": Edit(
        BOREL_PY,
        "    try:\n        yield\n    finally:\n        setattr(owner, flag, before)",
        "    yield",
        "tests/test_borel.py::test_the_beliefs_gru_runs_in_full_float32_and_leaves_the_setting_as_it_was",
    ),
    "task.json's time written without its offset from UTC": Edit(
        GENERATE,
        '"written": time.strftime("%Y-%m-%dT%H:%M:%S%z")',
        '"written": time.strftime("%Y-%m-%dT%H:%M:%S")',
        "tests/test_sac.py::test_segments_chained_through_their_states_write_the_same_files",
    ),
    "CSRO's plain context encoder one hidden layer short": Edit(
        AGENT,
        "[context_dim, *ENCODER_HIDDEN, latent_dim]",
        "[context_dim, *ENCODER_HIDDEN[1:], latent_dim]",
        "tests/test_networks.py::test_every_network_has_the_layer_sizes_of_the_papers_table",
    ),
    "the encoders' hidden layers 2 x 200, not 3 x 200": Edit(
        AGENT,
        "ENCODER_HIDDEN = (200, 200, 200)",
        "ENCODER_HIDDEN = (200, 200)",
        "tests/test_networks.py::test_every_network_has_the_layer_sizes_of_the_papers_table",
    ),
    "V of two hidden layers, not three": Edit(
        TRAINER,
        "[obs_dim + latent, hidden, hidden, hidden, 1]",
        "[obs_dim + latent, hidden, hidden, 1]",
        "tests/test_networks.py::test_every_network_has_the_layer_sizes_of_the_papers_table",
    ),
    "the CLUB net q_psi's output the mean only": Edit(
        TRAINER,
        "[obs_dim + action_dim, *ENCODER_HIDDEN, 2 * latent]",
        "[obs_dim + action_dim, *ENCODER_HIDDEN, latent]",
        "tests/test_networks.py::test_every_network_has_the_layer_sizes_of_the_papers_table",
    ),
    "stage 1's temperature starting at init_temperature, not its log": Edit(
        VECTOR_SAC,
        "float(torch.tensor(params.init_temperature).log())",
        "float(params.init_temperature)",
        "tests/test_sac.py::test_stage1_temperature_starts_at_init_temperature",
    ),
    "stage 1's target critics initialised on their own, not copied from the critics": Edit(
        VECTOR_SAC,
        "self.critic_target = copy.deepcopy(self.critic).requires_grad_(False)",
        "self.critic_target = EnsembleMLP(2 * n_tasks, [obs_dim + action_dim, *critic_hidden, 1], "
        'generators=init_gens + init_gens, init="orthogonal").requires_grad_(False)',
        "tests/test_sac.py::test_stage1_target_critics_start_as_copies_of_the_critics",
    ),
    "stage 1's seed actions drawn in [0, 1)": Edit(
        VECTOR_SAC,
        "for g in self.gens]) * 2 - 1",
        "for g in self.gens])",
        "tests/test_sac.py::test_stage1_seed_actions_are_uniform_in_minus_1_to_1_from_each_tasks_noise_stream",
    ),
    "BOREL's GRU of 64, not BOReL's 128": Edit(
        BOREL_PY, "GRU_HIDDEN = 128", "GRU_HIDDEN = 64", "tests/test_borel.py::test_borels_vae_has_borels_sizes"
    ),
    "BOREL's decoders of [64, 64], not BOReL's [32, 32]": Edit(
        BOREL_PY,
        "DECODER_HIDDEN = (32, 32)",
        "DECODER_HIDDEN = (64, 64)",
        "tests/test_borel.py::test_borels_vae_has_borels_sizes",
    ),
    "BOREL's state embedding of 16, not BOReL's 32": Edit(
        BOREL_PY,
        "STATE_EMBED, ACTION_EMBED, REWARD_EMBED = 32, 16, 16",
        "STATE_EMBED, ACTION_EMBED, REWARD_EMBED = 16, 16, 16",
        "tests/test_borel.py::test_borels_vae_has_borels_sizes",
    ),
    "CORRO's CVAE with hidden layers of 32, not CORRO's 64": Edit(
        CORRO, "CVAE_HIDDEN = 64", "CVAE_HIDDEN = 32", "tests/test_baselines.py::test_corros_cvae_has_corros_sizes"
    ),
    "BOREL's KL weight the default whatever borel_kl_weight says": Edit(
        BOREL_PY,
        "kl_weight=a.borel_kl_weight,",
        "kl_weight=0.05,",
        "tests/test_borel.py::test_every_borel_key_of_the_config_reaches_its_settings",
    ),
    "BOREL's latent size the default whatever borel_latent_size says": Edit(
        BOREL_PY,
        "latent=a.borel_latent_size,",
        "latent=5,",
        "tests/test_borel.py::test_every_borel_key_of_the_config_reaches_its_settings",
    ),
    "BOREL's settings with 2 episodes whatever borel_episodes says": Edit(
        BOREL_PY,
        "episodes=a.borel_episodes,",
        "episodes=2,",
        "tests/test_borel.py::test_every_borel_key_of_the_config_reaches_its_settings",
    ),
    "the trainer's discount 0.9 whatever the config's": Edit(
        TRAINER,
        "            discount=hp.discount,",
        "            discount=0.9,",
        "tests/test_config.py::test_every_setting_of_the_trainer_is_read_from_its_config_key",
    ),
    "BRAC's dual-critic learning rate the default whatever c_lr says": Edit(
        TRAINER,
        "            c_lr=hp.c_lr,",
        "            c_lr=1e-4,",
        "tests/test_config.py::test_every_setting_of_the_trainer_is_read_from_its_config_key",
    ),
    "the meta-test's env steps counted as the job envs' running totals": Edit(
        EVALUATOR,
        "sum(e.total_steps for e in self.envs) - steps_before,",
        "sum(e.total_steps for e in self.envs),",
        "tests/test_evaluator.py::test_a_meta_tests_env_steps_are_the_steps_of_that_meta_test_alone",
    ),
    "a protocol's logged return averaged over the last run only": Edit(
        EVALUATOR,
        "return {k: float(v.mean()) for k, v in self.scores.items()}",
        "return {k: float(v[:, -1].mean()) for k, v in self.scores.items()}",
        "tests/test_evaluator.py::test_a_protocols_logged_return_is_the_mean_over_every_task_and_run_of_its_last_episode",
    ),
    "the online protocol's context without s' when the config asks for it": Edit(
        EVAL_PROTOCOLS,
        "        ctx.add_paths(paths, setting.use_next_obs_in_context, reward_fn)\n        _reinfer",
        "        ctx.add_paths(paths, False, reward_fn)\n        _reinfer",
        "tests/test_eval.py::test_the_online_and_np_contexts_hold_next_obs_with_use_next_obs_in_context[online]",
    ),
    "Np's context without s' when the config asks for it": Edit(
        EVAL_PROTOCOLS,
        "            ctx.add_paths(paths, setting.use_next_obs_in_context, reward_fn)\n            ctx.resample",
        "            ctx.add_paths(paths, False, reward_fn)\n            ctx.resample",
        "tests/test_eval.py::test_the_online_and_np_contexts_hold_next_obs_with_use_next_obs_in_context[np]",
    ),
    "the meta-test's z inferred with autograd on": Edit(
        EVAL_PROTOCOLS,
        "    @torch.no_grad()\n    def infer(",
        "    def infer(",
        "tests/test_eval.py::test_inferring_z_builds_no_autograd_graph",
    ),
    "behaviour curves from step files with the stochastic and deterministic returns swapped": Edit(
        CURVES,
        (
            'mean_return(read_checkpoint(tdir, c, "sample", missing_ok=True)),\n'
            '                    mean_return(read_checkpoint(tdir, c, "eval", missing_ok=True)),'
        ),
        (
            'mean_return(read_checkpoint(tdir, c, "eval", missing_ok=True)),\n'
            '                    mean_return(read_checkpoint(tdir, c, "sample", missing_ok=True)),'
        ),
        "tests/test_dataset.py::"
        "test_curves_from_step_files_read_the_sample_episodes_as_stochastic_and_the_eval_ones_as_deterministic",
    ),
    "a group's deterministic-episode mask repeated per job, not tiled per task": Edit(
        GENERATE,
        "deterministic = np.tile(np.arange(k) >= k_sample, len(due))",
        "deterministic = np.repeat(np.arange(k) >= k_sample, len(due))",
        f"{BEHAVIOUR_TESTS}"
        "test_every_task_of_a_group_writes_its_deterministic_episodes_as_eval_and_its_stochastic_ones_as_sample",
    ),
    "stage 1's actions after the seed steps its actor's mean, not a sample": Edit(
        GENERATE,
        "action = self.agent.policy(o, self.gens.randn(1, self.action_dim)).action[:, 0]",
        "action = self.agent.policy(o, None).action[:, 0]",
        "tests/test_sac.py::test_stage1_acts_with_a_sample_of_its_policy_from_the_tasks_noise_stream_after_the_seed_steps",
    ),
    "stage 1's resume state saved before the ended episodes are reset": Edit(
        GENERATE,
        "            for i in np.flatnonzero(ended):\n                obs[i] = self._new_episode(i)\n"
        "            if due and self.resume_path is not None:\n"
        "                atomic_write(self.resume_path, lambda f: torch.save(self.state(), f))\n",
        "            if due and self.resume_path is not None:\n"
        "                atomic_write(self.resume_path, lambda f: torch.save(self.state(), f))\n"
        "            for i in np.flatnonzero(ended):\n                obs[i] = self._new_episode(i)\n",
        "tests/test_sac.py::test_the_state_saved_at_a_checkpoint_holds_the_episodes_begun_after_it",
    ),
    "a resume's device compared with the first trained_on entry, not the last": Edit(
        GENERATE,
        "_ran_alike(earlier[-1], now)",
        "_ran_alike(earlier[0], now)",
        "tests/test_sac.py::test_a_resume_where_the_tasks_trained_last_adds_no_entry_to_trained_on",
    ),
    "task.json's seed 0 whatever the seed": Edit(
        GENERATE,
        '"seed": self.spec.sched.seed,',
        '"seed": 0,',
        f"{BEHAVIOUR_TESTS}test_a_tasks_json_records_the_seed_its_task_trained_with",
    ),
    "a step timed by default without warmup": Edit(
        BUDGET,
        "repeats: int = 5, warmup: int = 3",
        "repeats: int = 5, warmup: int = 0",
        f"{BUDGET_CASES}test_a_steps_seconds_by_default_are_the_median_of_five_timed_calls_after_three_warmup_calls",
    ),
    "a step timed by default on one call": Edit(
        BUDGET,
        "repeats: int = 5, warmup: int = 3",
        "repeats: int = 1, warmup: int = 3",
        f"{BUDGET_CASES}test_a_steps_seconds_by_default_are_the_median_of_five_timed_calls_after_three_warmup_calls",
    ),
    "CORRO's learner step priced at the CVAE stage's end (inside pretraining)": Edit(
        BUDGET,
        "return _corro_step_at(cfg, sum(_corro_stage_steps(cfg)))",
        "return _corro_step_at(cfg, _corro_stage_steps(cfg)[0])",
        f"{BUDGET_CASES}test_corros_learner_steps_are_priced_past_its_stages",
    ),
    "the logged Q predictions Q2's, not Q1's": Edit(
        TRAINER,
        "return loss.detach(), q_pred[0].detach()",
        "return loss.detach(), q_pred[1].detach()",
        "tests/test_training_step.py::test_the_logged_statistics_are_the_steps_own_predictions_on_its_batch",
    ),
    "the logged V predictions V's target": Edit(
        TRAINER,
        "return loss.detach(), v_pred.detach(), min_q_new",
        "return loss.detach(), v_target, min_q_new",
        "tests/test_training_step.py::test_the_logged_statistics_are_the_steps_own_predictions_on_its_batch",
    ),
    "the logged policy log std the std": Edit(
        TRAINER,
        "policy_log_std=pi.log_std.detach(),",
        "policy_log_std=pi.log_std.exp().detach(),",
        "tests/test_training_step.py::test_the_logged_statistics_are_the_steps_own_predictions_on_its_batch",
    ),
    "the logged policy mu tanh(mean)": Edit(
        TRAINER,
        "policy_mu=pi.mean.detach(),",
        "policy_mu=pi.mean.tanh().detach(),",
        "tests/test_training_step.py::test_the_logged_statistics_are_the_steps_own_predictions_on_its_batch",
    ),
    "the logged log pis their batch mean": Edit(
        TRAINER,
        "log_pis=pi.log_prob.detach(),",
        "log_pis=pi.log_prob.mean().detach().reshape(1),",
        "tests/test_training_step.py::test_the_logged_statistics_are_the_steps_own_predictions_on_its_batch",
    ),
    "the logged div_estimate its batch mean": Edit(
        TRAINER,
        "div_estimate=d_hat.detach() if d_hat is not None",
        "div_estimate=d_hat.detach().mean().reshape(1) if d_hat is not None",
        "tests/test_training_step.py::test_the_logged_div_estimate_is_each_rows_d_hat_of_the_fitted_dual_critic",
    ),
    "a weights-only load leaving BRAC's alpha at its init": Edit(
        TRAINER,
        '        self.alpha_var.copy_(state["alpha"])  # in place',
        '        if with_optimizers:\n            self.alpha_var.copy_(state["alpha"])  # in place',
        "tests/test_gradient_flow.py::test_loading_weights_without_optimizers_still_takes_the_saved_brac_alpha",
    ),
    "npz episode lengths that sum past the rows taken as whole episodes": Edit(
        "rlkit/data/npz.py",
        "    if int(lengths.sum()) == n:",
        "    if int(lengths.sum()) >= n:",
        "tests/test_dataset.py::test_episode_lengths_that_sum_to_other_than_the_rows_are_one_line_naming_the_file",
    ),
    "the fingerprint leaves out member names (sample and eval alike)": Edit(
        "rlkit/data/fingerprint.py",
        '                h.update(name.encode() + b"\\0")\n',
        "                pass\n",
        "tests/test_dataset.py::test_the_same_episodes_under_another_kind_are_another_fingerprint",
    ),
    "the fingerprint hashes a json file's keys in their written order": Edit(
        "rlkit/data/fingerprint.py",
        'json.dumps(obj, sort_keys=True, separators=(",", ":"))',
        'json.dumps(obj, sort_keys=False, separators=(",", ":"))',
        "tests/test_dataset.py::test_the_fingerprint_does_not_depend_on_the_order_of_a_json_files_keys",
    ),
    "check holds the normalizer to the last task's observation size, not the first": Edit(
        "rlkit/data/check.py",
        "            obs_sizes.setdefault(*size)",
        "            obs_sizes.update([size])",
        "tests/test_dataset.py::test_check_names_the_first_task_whose_observation_size_the_normalizer_is_held_to",
    ),
    "check's shape message swaps task.json's observation and action sizes": Edit(
        "rlkit/data/check.py",
        "expected ({dims[0]},)/({dims[1]},), task.json",
        "expected ({dims[1]},)/({dims[0]},), task.json",
        "tests/test_dataset.py::test_check_names_task_jsons_sizes_where_a_files_shapes_differ",
    ),
    "check holds recorded mean returns to 1e-2 relative, not 1e-4": Edit(
        "rlkit/data/check.py",
        "rel_tol=1e-4, abs_tol=1e-3",
        "rel_tol=1e-2, abs_tol=1e-3",
        "tests/test_dataset.py::test_check_holds_a_large_mean_return_to_1e_4_relative",
    ),
    "task.json written with keys in insertion order": Edit(
        "rlkit/data/meta.py",
        "json.dumps(meta, indent=2, sort_keys=True)",
        "json.dumps(meta, indent=2, sort_keys=False)",
        "tests/test_dataset.py::test_task_json_is_written_with_sorted_keys",
    ),
    "task.json written in place, not atomically": Edit(
        "rlkit/data/meta.py",
        '    atomic_write_text(tdir / "task.json", json.dumps(',
        '    (tdir / "task.json").write_text(json.dumps(',
        "tests/test_dataset.py::test_a_refused_task_json_write_leaves_the_old_one_whole",
    ),
    "a task.json without task_idx refused as another task's": Edit(
        "rlkit/data/meta.py",
        'meta.get("task_idx", index) != index',
        'meta.get("task_idx") != index',
        "tests/test_dataset.py::test_a_task_json_without_task_idx_describes_its_folders_task",
    ),
    "a task.json listing checkpoint 0 refused": Edit(
        "rlkit/data/meta.py",
        "type(c) is not int or c < 0]",
        "type(c) is not int or c <= 0]",
        "tests/test_dataset.py::test_a_task_json_may_list_checkpoint_0",
    ),
    "same_task takes a flag True as equal to the number 1": Edit(
        "rlkit/data/meta.py",
        "isinstance(b, (int, float)) and not isinstance(a, bool)",
        "isinstance(b, (int, float))",
        "tests/test_dataset.py::test_same_task_compares_a_flag_exactly_not_as_a_number",
    ),
    "import-legacy tasks lose their source record (and so the physics check's exemption)": Edit(
        "rlkit/data/legacy.py",
        '                "source": f"import-legacy {src}",\n',
        "",
        "tests/test_dataset.py::test_import_legacy_marks_its_tasks_as_imported_and_out_of_the_physics_check",
    ),
    "import-legacy names a missing file by kind first, not by earliest checkpoint": Edit(
        "rlkit/data/legacy.py",
        "key=lambda key: (key[1], key[0]))",
        "key=lambda key: (key[0], key[1]))",
        "tests/test_dataset.py::test_import_legacy_names_the_missing_file_of_the_earliest_checkpoint_first",
    ),
    "a hidden layer whose bias alone learns sent through the oneDNN linear (no gradient)": Edit(
        "rlkit/torch/cpu_kernels.py",
        "x.requires_grad or weight.requires_grad or bias.requires_grad",
        "x.requires_grad or weight.requires_grad",
        "tests/test_networks.py::test_a_hidden_layer_whose_bias_alone_learns_gets_its_gradient",
    ),
    "a hidden layer masks an expanded gradient in place (its elements share memory)": Edit(
        "rlkit/torch/cpu_kernels.py",
        "if torch.is_grad_enabled() or not grad.is_contiguous():",
        "if torch.is_grad_enabled():",
        "tests/test_networks.py::test_a_hidden_layer_summed_directly_gets_autograds_gradients",
    ),
    "static buffers build a namedtuple from one iterable": Edit(
        "rlkit/torch/graphs.py",
        'type(tree)(*items) if hasattr(tree, "_fields") else type(tree)(items)',
        "type(tree)(items)",
        "tests/test_graphs.py::test_static_buffers_of_a_namedtuple_keep_its_type_and_are_refilled_in_place",
    ),
    "the host-read guard letting unique_consecutive through": Edit(
        "rlkit/torch/graphs.py",
        "    _aten.unique_consecutive.default,\n",
        "",
        "tests/test_graphs.py::test_the_guard_raises_on_unique_consecutive_unique_along_a_dimension_and_a_uint8_mask",
    ),
    "the host-read guard letting unique along a dimension through": Edit(
        "rlkit/torch/graphs.py",
        "    _aten.unique_dim.default,\n",
        "",
        "tests/test_graphs.py::test_the_guard_raises_on_unique_consecutive_unique_along_a_dimension_and_a_uint8_mask",
    ),
    "the host-read guard letting a uint8 mask through": Edit(
        "rlkit/torch/graphs.py",
        "(torch.bool, torch.uint8)",
        "(torch.bool,)",
        "tests/test_graphs.py::test_the_guard_raises_on_unique_consecutive_unique_along_a_dimension_and_a_uint8_mask",
    ),
    "static buffers taking a reshaped input of as many elements": Edit(
        "rlkit/torch/graphs.py",
        "        if static.shape != tree.shape:\n",
        "        if static.numel() != tree.numel():\n",
        "tests/test_graphs.py::test_static_buffers_refuse_a_reshaped_input_of_as_many_elements",
    ),
    "a captured step warmed up once by default, not three times": Edit(
        "rlkit/torch/graphs.py",
        "WARMUP_STEPS = 3",
        "WARMUP_STEPS = 1",
        "tests/test_graphs.py::test_a_runner_warms_up_three_times_by_default_and_again_after_a_reset",
    ),
    "a reset runner capturing at once without warming up again": Edit(
        "rlkit/torch/graphs.py",
        "        self.warm: dict[Hashable, int] = {}\n",
        "        self.warm: dict[Hashable, int] = getattr(self, 'warm', {})\n",
        "tests/test_graphs.py::test_a_runner_warms_up_three_times_by_default_and_again_after_a_reset",
    ),
    "the head probe's refusal saying ms for seconds": Edit(
        "rlkit/cluster/engine.py",
        'f"no answer within {timeout:g} s" if isinstance(e, TimeoutError)',
        'f"no answer within {timeout:g} ms" if isinstance(e, TimeoutError)',
        "tests/test_cluster.py::test_the_head_probe_waits_ten_seconds_and_says_so_in_seconds",
    ),
    "the head probe waiting 10 ms, not 10 s": Edit(
        "rlkit/cluster/engine.py",
        "CONNECT_TIMEOUT_S = 10.0",
        "CONNECT_TIMEOUT_S = 0.01",
        "tests/test_cluster.py::test_the_head_probe_waits_ten_seconds_and_says_so_in_seconds",
    ),
    "a node holding exactly one task treated as holding none": Edit(
        "rlkit/cluster/engine.py",
        "    n = capacity(ray, resources)\n    if n:\n        return n",
        "    n = capacity(ray, resources)\n    if n > 1:\n        return n",
        "tests/test_cluster.py::test_a_local_instance_whose_node_holds_exactly_one_task_runs_it",
    ),
    "a sequential run's FAILED line counted from 0": Edit(
        "rlkit/cluster/runs.py",
        'out(f"{p.name}: FAILED ({e}) [{i + 1}/{len(todo)}]")',
        'out(f"{p.name}: FAILED ({e}) [{i}/{len(todo)}]")',
        "tests/test_cluster.py::test_runs_one_after_another_count_their_lines_from_one_and_time_each_run",
    ),
    "a sequential run's wall time the clock time": Edit(
        "rlkit/cluster/runs.py",
        "record.seconds, record.segments = time.time() - t0, 1",
        "record.seconds, record.segments = time.time(), 1",
        "tests/test_cluster.py::test_runs_one_after_another_count_their_lines_from_one_and_time_each_run",
    ),
    "runs one after another counting the runs to train as finished": Edit(
        "rlkit/cluster/runs.py",
        "{len(plans) - len(todo)} finished, {len(todo)} to train, one after another",
        "{len(todo)} finished, {len(todo)} to train, one after another",
        "tests/test_cluster.py::test_runs_one_after_another_count_their_lines_from_one_and_time_each_run",
    ),
    "a run's last segment sending a state (one segment too many)": Edit(
        "rlkit/cluster/runs.py",
        'done = trainer.counters["iteration"] >= setup.cfg.algo_params.num_iterations',
        'done = trainer.counters["iteration"] > setup.cfg.algo_params.num_iterations',
        "tests/test_cluster.py::test_a_training_segment_that_ends_the_runs_last_iteration_sends_no_state",
    ),
    "stage 1 on Ray counting the tasks to train as complete": Edit(
        "rlkit/cluster/behaviour.py",
        "{len(tasks) - len(todo)} already complete",
        "{len(todo)} already complete",
        "tests/test_cluster.py::test_stage1_on_ray_counts_the_complete_tasks_and_prints_no_table_when_none_is_left",
    ),
    "stage 1 on Ray printing an empty table when every task is complete": Edit(
        "rlkit/cluster/behaviour.py",
        '        if records:\n            finish(records, "task", out)',
        '        finish(records, "task", out)',
        "tests/test_cluster.py::test_stage1_on_ray_counts_the_complete_tasks_and_prints_no_table_when_none_is_left",
    ),
    "stage 1 on Ray finding complete tasks as a resuming plain run does": Edit(
        "rlkit/cluster/behaviour.py",
        "todo = pending_tasks(data_dir, tasks, settings, resumes=False)",
        "todo = pending_tasks(data_dir, tasks, settings, resumes=True)",
        "tests/test_cluster.py::test_stage1_on_ray_counts_the_complete_tasks_and_prints_no_table_when_none_is_left",
    ),
    "a negative count too large for torch named by its range, not the torch limit": Edit(
        "rlkit/config.py",
        "if abs(value) > MAX_INT:",
        "if value > MAX_INT:",
        "tests/test_config.py::test_a_negative_count_too_large_for_torch_names_the_limit_not_the_range",
    ),
    "true accepted as a float key's 1.0": Edit(
        "rlkit/config.py",
        "if type(value) in (int, float) and math.isfinite(value):",
        "if isinstance(value, (int, float)) and math.isfinite(value):",
        "tests/test_config.py::test_true_is_not_a_number",
    ),
    "true accepted as an int key's 1": Edit(
        "rlkit/config.py",
        "if type(value) is int or (type(value) is float and value.is_integer()):",
        "if isinstance(value, int) or (type(value) is float and value.is_integer()):",
        "tests/test_config.py::test_true_is_not_a_number",
    ),
    "an integer past float's range given to a float key is a traceback (OverflowError)": Edit(
        "rlkit/config.py",
        "if type(value) is int and abs(value) > sys.float_info.max:",
        "if False:",
        "tests/test_config.py::test_wrong_types_are_one_line_errors",
    ),
    "a checkpoint range of four numbers accepted": Edit(
        "rlkit/config.py",
        "ok = len(epochs) == 3 and",
        "ok = len(epochs) >= 3 and",
        "tests/test_config.py::test_a_checkpoint_range_of_four_numbers_is_refused",
    ),
    "BOREL refused a meta-test shorter than the mean-pooled encoders' online check needs": Edit(
        "rlkit/config.py",
        'cfg.algo_type == "BOREL" or a.num_exp_traj_eval',
        "a.num_exp_traj_eval",
        "tests/test_config.py::test_borel_takes_a_meta_test_shorter_than_the_mean_pooled_encoders_need",
    ),
    "a scalar where a section of keys belongs is a traceback": Edit(
        "rlkit/config.py",
        "            if not isinstance(value, dict):\n",
        "            if False:\n",
        "tests/test_config.py::test_a_value_where_a_section_of_keys_belongs_is_one_line",
    ),
    "corro_negatives 'auto' resolved in every method's variant": Edit(
        "rlkit/config.py",
        '    if cfg.algo_type == "CORRO" and a.corro_negatives == "auto":',
        '    if a.corro_negatives == "auto":',
        "tests/test_config.py::test_corro_negatives_stay_auto_in_the_variant_of_another_method",
    ),
    "a switch written 0 (the reference configs' form) read as on": Edit(
        "rlkit/config.py",
        "if a.get(switch, getattr(default, switch)) not in (True, 1) and",
        "if a.get(switch, getattr(default, switch)) is False and",
        "tests/test_config.py::test_a_switch_written_0_as_the_reference_configs_do_is_off",
    ),
    "sample 1 reads the deterministic episodes": Edit(
        "rlkit/config.py",
        'return "sample" if self.sample else "eval"',
        'return "eval" if self.sample else "sample"',
        "tests/test_config.py::test_the_behaviour_episodes_a_run_reads_follow_sample",
    ),
    "a bare -- override taken as the key ''": Edit(
        "rlkit/config.py",
        '        if not flag.startswith("--") or len(flag) < 3:',
        '        if not flag.startswith("--") or len(flag) < 2:',
        "tests/test_config.py::test_a_bare_double_dash_override_is_named_as_given",
    ),
    "a write the system does not permit (EPERM) is a traceback": Edit(
        "rlkit/cli.py",
        '    errno.EPERM: "expected a path this user may write (and read)",\n',
        "",
        "tests/test_cli.py::test_a_write_the_system_does_not_permit_is_one_line_naming_the_path",
    ),
    "a refused write without a file name said as 'None'": Edit(
        "rlkit/cli.py",
        'where = f"{str(e.filename)!r}: " if e.filename else ""',
        'where = f"{str(e.filename)!r}: "',
        "tests/test_cli.py::test_a_refused_write_without_a_path_names_none",
    ),
    "a measurement child's last-line JSON list taken as the measurement": Edit(
        "rlkit/cli.py",
        "        if isinstance(result, dict):\n            return result",
        "        if result is not None:\n            return result",
        "tests/test_cli.py::test_a_measurement_child_whose_last_line_is_not_a_json_object_is_one_line",
    ),
    "--steps=3 --steps 4 not refused": Edit(
        "rlkit/cli.py",
        'action = self._option_string_actions.get(token.split("=", 1)[0] if token.startswith("--") else token)',
        "action = self._option_string_actions.get(token)",
        "tests/test_cli.py::test_an_argparse_option_given_twice_in_its_equals_form_is_refused",
    ),
    "--gpu -2 accepted by check_gpu": Edit(
        "rlkit/cli.py",
        "if gpu is not None and gpu < -1:",
        "if gpu is not None and gpu < -2:",
        "tests/test_cli.py::test_a_gpu_number_below_minus_one_is_refused",
    ),
    "select_device's no-CUDA note printed when quiet": Edit(
        "rlkit/cli.py",
        "        if gpu is not None and asked and not quiet:",
        "        if gpu is not None and asked:",
        "tests/test_cli.py::test_a_quiet_device_choice_says_nothing",
    ),
    "sac_config_device drops quiet": Edit(
        "rlkit/cli.py",
        '    return select_device(gpu if gpu is not None else (-1 if sac_device == "cpu" else None), quiet=quiet)',
        '    return select_device(gpu if gpu is not None else (-1 if sac_device == "cpu" else None))',
        "tests/test_cli.py::test_a_quiet_device_choice_says_nothing",
    ),
    "config_device drops quiet": Edit(
        "rlkit/cli.py",
        "asked=gpu_flag is not None and gpu_flag != -1, quiet=quiet)",
        "asked=gpu_flag is not None and gpu_flag != -1)",
        "tests/test_cli.py::test_a_quiet_device_choice_says_nothing",
    ),
    "stop_workers gives each worker the whole grace": Edit(
        "rlkit/cli.py",
        "process.join(max(0.0, deadline - time.monotonic()))",
        "process.join(grace)",
        "tests/test_cli.py::test_stop_workers_gives_all_the_workers_one_grace_together",
    ),
    "sigterm_kept restores a handler it did not own": Edit(
        "rlkit/cli.py",
        "if previous is _raise_terminated and threading.current_thread() is threading.main_thread():",
        "if threading.current_thread() is threading.main_thread():",
        "tests/test_cli.py::test_sigterm_kept_leaves_a_librarys_handler_where_this_process_did_not_raise_on_sigterm",
    ),
    "a group set apart by exactly 3 settings said to have '0 more'": Edit(
        "rlkit/report.py",
        'more = f", and {len(diffs) - shown} more" if len(diffs) > shown else ""',
        'more = f", and {len(diffs) - shown} more" if len(diffs) >= shown else ""',
        "tests/test_report_plot.py::test_a_group_of_exactly_three_config_differences_names_them_all_and_no_more",
    ),
    "the IQM of 4 runs not said to be their range": Edit(
        "rlkit/report.py",
        "    if len(table) <= 4:",
        "    if len(table) <= 3:",
        "tests/test_report_plot.py::test_the_iqm_lines_of_four_runs_or_fewer_say_the_interval_is_their_range",
    ),
    "the IQM of 3 runs called the mean of the middle two": Edit(
        "rlkit/report.py",
        'iqm = "their mean" if len(table) <= 3 else "the mean of the middle two"',
        'iqm = "their mean" if len(table) < 3 else "the mean of the middle two"',
        "tests/test_report_plot.py::test_the_iqm_lines_of_four_runs_or_fewer_say_the_interval_is_their_range",
    ),
    "the bootstrap of 4 seeds said to cover less than 95%, not far less": Edit(
        "rlkit/reproduce/document.py",
        'cover = "far less than 95%" if n_seeds <= 4 else "less than 95%"',
        'cover = "far less than 95%" if n_seeds <= 3 else "less than 95%"',
        "tests/test_reproduce_prose.py::test_the_bootstrap_of_four_seeds_or_fewer_is_said_to_cover_far_less_than_95_percent",
    ),
    "the seeds' config looked up from the working folder": Edit(
        "rlkit/report.py",
        "path = path if path.is_absolute() else REPO_ROOT / path",
        "path = path if path.is_absolute() else path",
        "tests/test_report_plot.py::test_runs_scored_otherwise_than_the_seeds_are_refused_from_any_working_folder",
    ),
    "a seeds file naming its config by an absolute path not held to it": Edit(
        "rlkit/report.py",
        "    if path.is_file():\n        seeds_cfg",
        '    if not Path(spread["config"]).is_absolute() and path.is_file():\n        seeds_cfg',
        "tests/test_report_plot.py::test_runs_scored_otherwise_than_the_seeds_are_refused_from_any_working_folder",
    ),
    "a run exactly at each_at_least called below the per-seed bar": Edit(
        "rlkit/report.py",
        '"" if all(m >= bar["each_at_least"] for m in mine)',
        '"" if all(m > bar["each_at_least"] for m in mine)',
        "tests/test_report_plot.py::test_runs_exactly_at_the_bars_are_not_called_below_them",
    ),
    "--last 0 accepted by rlkit.report": Edit(
        "rlkit/report.py",
        "    if last < 1:\n",
        "    if last < 0:\n",
        "tests/test_report_plot.py::test_last_zero_is_refused_before_any_run_is_read",
    ),
    "the report's experiments numbered from 0": Edit(
        "rlkit/report.py",
        'click.echo(f"\\n== experiment {k + 1}:',
        'click.echo(f"\\n== experiment {k}:',
        "tests/test_report_plot.py::test_two_experiments_are_announced_and_numbered_from_one",
    ),
    "a seeds file whose config is not a string accepted": Edit(
        "rlkit/report.py",
        'if not seeds or bar["protocol"] not in PROTOCOLS or not isinstance(doc["config"], str):',
        'if not seeds or bar["protocol"] not in PROTOCOLS:',
        "tests/test_report_plot.py::test_read_spread_refuses_a_config_that_is_not_a_string",
    ),
    "the seeds' mean printed as their median": Edit(
        "rlkit/report.py",
        '(mean {s.mean():.3f}); "',
        '(mean {np.median(s):.3f}); "',
        "tests/test_report_plot.py::test_the_line_against_three_seeds_gives_their_mean",
    ),
    "a worker's bug counted as a failed run": Edit(
        "rlkit/reproduce/__main__.py",
        "            raise error\n",
        "            pass\n",
        "tests/test_reproduce.py::test_a_bug_in_a_workers_run_is_raised_not_counted_as_a_failed_run",
    ),
    "the reproduction's report written in place, not atomically": Edit(
        "rlkit/reproduce/document.py",
        '    atomic_write_text(out, "\\n".join(lines) + "\\n")\n',
        '    out.write_text("\\n".join(lines) + "\\n")\n',
        "tests/test_reproduce.py::test_a_report_is_replaced_whole_so_an_open_reader_sees_the_old_one",
    ),
    "code.json versions listed in file order": Edit(
        "rlkit/reproduce/document.py",
        'versions = ", ".join(f"{k} {v}" for k, v in sorted(e.get("versions", {}).items()))',
        'versions = ", ".join(f"{k} {v}" for k, v in e.get("versions", {}).items())',
        "tests/test_reproduce.py::test_runs_of_the_same_versions_recorded_in_another_order_were_trained_by_one_code",
    ),
    "a cost estimate in hours from 60 minutes, not 90": Edit(
        "rlkit/reproduce/plan.py",
        'wall_text = f"{wall / 60:.0f} min" if wall < 5400',
        'wall_text = f"{wall / 60:.0f} min" if wall < 3600',
        "tests/test_reproduce.py::test_a_cost_estimate_under_an_hour_and_a_half_is_given_in_minutes",
    ),
    "profiles() of an unknown env a KeyError": Edit(
        "rlkit/reproduce/plan.py",
        "    if env not in ENV_CONFIGS:\n",
        "    if False:\n",
        "tests/test_reproduce.py::test_the_profiles_of_an_unknown_env_are_one_line_listing_the_envs",
    ),
    "the report's Made-by command naming options at their defaults": Edit(
        "rlkit/reproduce/__main__.py",
        "        if value != default\n",
        "        if value is not None\n",
        "tests/test_reproduce_command.py::test_the_reports_command_line_leaves_out_the_options_at_their_defaults",
    ),
    "the runs to resume counted as the new ones": Edit(
        "rlkit/reproduce/__main__.py",
        "{states.count('resume')} to resume",
        "{states.count('new')} to resume",
        "tests/test_reproduce_command.py::test_the_command_counts_the_runs_finished_to_resume_and_new",
    ),
    "more jobs than cores give runs 0 threads": Edit(
        "rlkit/reproduce/__main__.py",
        "threads = threads or max(1, usable_cores() // jobs)",
        "threads = threads or usable_cores() // jobs",
        "tests/test_reproduce_command.py::test_more_jobs_than_cores_give_each_run_one_thread",
    ),
    "error_chain does not follow raise-from (out_of_memory misses a wrapped OOM)": Edit(
        "rlkit/fileio.py",
        "e = e.__cause__ or (None",
        "e = (None",
        "tests/test_run_folder.py::test_error_chain_follows_the_error_a_raise_from_names_even_where_told_not_to_pass_hidden_ones",
    ),
    "read_csv_table does not check the first required column": Edit(
        "rlkit/fileio.py",
        "    for col in columns:\n        if col not in header:",
        "    for col in columns[1:]:\n        if col not in header:",
        "tests/test_logging.py::test_a_csv_lacking_the_first_column_asked_for_is_refused_naming_it",
    ),
    "read_tree skips a name only at the top level": Edit(
        "rlkit/fileio.py",
        "and not set(rel.parts) & set(skip)",
        "and rel.parts[0] not in skip",
        "tests/test_run_folder.py::test_read_tree_leaves_out_a_skipped_name_at_any_depth",
    ),
    "lock_holder checks a lock without a pid as a process (TypeError)": Edit(
        "rlkit/fileio.py",
        "    if pid is None:\n        return None\n    if host",
        "    if host",
        "tests/test_run_folder.py::test_lock_holder_of_a_lock_file_without_a_pid_names_nobody",
    ),
    "remove_orphans reads a non-numeric pid (ValueError)": Edit(
        "rlkit/fileio.py",
        "if not pid.isdigit():\n            continue",
        "if False:\n            continue",
        "tests/test_cluster.py::test_scratch_whose_name_holds_no_pid_after_the_prefix_is_left_alone",
    ),
    "config_differences does not put algo_type first": Edit(
        "rlkit/run_folder.py",
        'key=lambda k: (k != "algo_type", k)',
        "key=lambda k: k",
        "tests/test_run_folder.py::test_a_resume_of_another_method_names_algo_type_first",
    ),
    "BOREL's borel_vae_tasks capped with max, not min, of n_train_tasks": Edit(
        "rlkit/run_folder.py",
        'algo["borel_vae_tasks"] = min(',
        'algo["borel_vae_tasks"] = max(',
        "tests/test_run_folder.py::test_a_borel_run_of_fewer_training_tasks_than_its_vae_tasks_resumes_with_them_capped",
    ),
    "a code.json without trained_with read as None (refused)": Edit(
        "rlkit/run_folder.py",
        '.get("trained_with", [])',
        '.get("trained_with")',
        "tests/test_run_folder.py::test_a_code_json_without_its_list_is_an_empty_record_that_a_resume_adds_to",
    ),
    "restore_missing_snapshot raises a read-only folder's PermissionError": Edit(
        "rlkit/run_folder.py",
        "        except OSError:  # a read-only archive",
        "        except FileNotFoundError:  # a read-only archive",
        "tests/test_run_folder.py::test_a_missing_snapshot_of_a_run_in_a_folder_that_refuses_writes_is_left_missing",
    ),
    "the resume's device line names the two devices swapped": Edit(
        "rlkit/experiment.py",
        "f\"resuming a run trained on {state.get('ran_on', 'another device')} on {now}\"",
        "f\"resuming a run trained on {now} on {state.get('ran_on', 'another device')}\"",
        "tests/test_meta_trainer.py::test_a_resume_on_another_device_names_the_device_it_was_trained_on_then_this_one",
    ),
    "Number of rollouts total holds the last iteration's only": Edit(
        "rlkit/experiment.py",
        'self.counters["rollouts"] += result.rollouts',
        'self.counters["rollouts"] = result.rollouts',
        "tests/test_meta_trainer.py::test_the_rollout_counter_adds_up_and_z_mean_train_is_the_first_training_tasks",
    ),
    "Z mean train from the last training task, not the first": Edit(
        "rlkit/experiment.py",
        "z_train = record.z_mean[0].cpu().numpy()",
        "z_train = record.z_mean[-1].cpu().numpy()",
        "tests/test_meta_trainer.py::test_the_rollout_counter_adds_up_and_z_mean_train_is_the_first_training_tasks",
    ),
    "the iteration summary's train and eval times swapped": Edit(
        "rlkit/experiment.py",
        "train {row['Train Time (s)']:.1f}s eval {row['(Previous) Eval Time (s)']:.1f}s",
        "train {row['(Previous) Eval Time (s)']:.1f}s eval {row['Train Time (s)']:.1f}s",
        "tests/test_meta_trainer.py::test_the_iteration_summary_gives_the_training_and_the_meta_test_time_each_under_its_name",
    ),
    "find_run's refusal names the env folder, not the experiment folder": Edit(
        "rlkit/show.py",
        "{str(exp_root if exp_root.is_dir() else env_root)!r}",
        "{str(env_root)!r}",
        "tests/test_show_path.py::test_find_run_of_a_missing_seed_names_the_experiment_folder_it_looked_in",
    ),
    "a panel's goal rounded to one decimal": Edit(
        "rlkit/show.py",
        'f", goal {np.round(goal, 2).tolist()}"',
        'f", goal {np.round(goal, 1).tolist()}"',
        "tests/test_show_path.py::test_a_panels_title_names_its_task_and_its_goal_to_two_decimals",
    ),
    "paths.png lays 4 panels to a row, not 5": Edit(
        "rlkit/show.py",
        "cols = min(5, len(tasks))",
        "cols = min(4, len(tasks))",
        "tests/test_show_path.py::test_show_paths_figure_lays_seven_tasks_out_five_to_a_row",
    ),
    "the z picture's title task/tasks plural swapped": Edit(
        "rlkit/show.py",
        "task{'s' if len(tasks) != 1 else ''}",
        "task{'s' if len(tasks) == 1 else ''}",
        "tests/test_show_path.py::test_the_z_pictures_title_counts_its_held_out_tasks_in_the_singular_and_plural",
    ),
    "reproduce's --results folder check gone (the report fails after every run trained)": Edit(
        "rlkit/reproduce/__main__.py",
        '    writable_folder("--results", Path(results))\n',
        "    pass\n",
        "tests/test_reproduce.py::test_empty_options_and_unwritable_folders_are_refused_before_anything_runs",
    ),
    "point-robot's default horizon 200, not 20": Edit(
        "rlkit/envs/point_robot.py",
        "max_episode_steps: int = 20, seed: int | None = None\n    ):\n        goals",
        "max_episode_steps: int = 200, seed: int | None = None\n    ):\n        goals",
        "tests/test_envs.py::test_a_point_familys_default_episode_is_20_steps",
    ),
    "the task-index refusal names len(tasks) - 1 as the bound": Edit(
        "rlkit/envs/base.py",
        "expected 0 <= idx < {len(self.tasks)}",
        "expected 0 <= idx < {len(self.tasks) - 1}",
        "tests/test_envs.py::test_a_task_index_out_of_range_names_the_number_of_tasks",
    ),
    "ant-dir's lower height bound strict (0.2 < z)": Edit(
        "rlkit/envs/ant.py",
        "0.2 <= state[2] <= 1.0",
        "0.2 < state[2] <= 1.0",
        "tests/test_mujoco_envs.py::test_ant_dirs_healthy_height_range_includes_both_ends",
    ),
    "ant-dir's upper height bound strict (z < 1.0)": Edit(
        "rlkit/envs/ant.py",
        "0.2 <= state[2] <= 1.0",
        "0.2 <= state[2] < 1.0",
        "tests/test_mujoco_envs.py::test_ant_dirs_healthy_height_range_includes_both_ends",
    ),
    "humanoid-dir ends at z == 1.0 (z <= 1.0)": Edit(
        "rlkit/envs/humanoid.py",
        "bool(z < 1.0 or z > 2.0)",
        "bool(z <= 1.0 or z > 2.0)",
        "tests/test_mujoco_envs.py::test_humanoids_healthy_height_range_includes_both_ends",
    ),
    "humanoid-dir ends at z == 2.0 (z >= 2.0)": Edit(
        "rlkit/envs/humanoid.py",
        "bool(z < 1.0 or z > 2.0)",
        "bool(z < 1.0 or z >= 2.0)",
        "tests/test_mujoco_envs.py::test_humanoids_healthy_height_range_includes_both_ends",
    ),
    "a fractional task index taken as its whole part (reset_task(1.7) is task 1)": Edit(
        "rlkit/envs/base.py",
        "if isinstance(idx, bool) or not isinstance(idx, numbers.Integral):",
        "if False:",
        "tests/test_envs.py::test_a_task_index_that_is_not_a_whole_number_is_refused_not_truncated",
    ),
    "env_speed's 'same physics' check loosened to 1e-2": Edit(
        "benchmarks/env_speed.py",
        "rtol=1e-6, atol=1e-8",
        "rtol=1e-2, atol=1e-2",
        "tests/test_benchmarks.py::test_env_speed_same_physics_is_false_for_a_state_off_by_a_thousandth",
    ),
    "stage2_load_memory's test split overlaps the training tasks": Edit(
        "benchmarks/stage2_load_memory.py",
        "train, test = list(range(n_train)), list(range(n_train, n_train + n_test))",
        "train, test = list(range(n_train)), list(range(n_test))",
        "tests/test_benchmarks.py::test_the_load_memory_child_loads_the_tasks_after_the_training_ones_as_its_test_split",
    ),
    "regenerate_memory accepts more files than networks": Edit(
        "benchmarks/regenerate_memory.py",
        'if r["files"] != n:',
        'if r["files"] < n:',
        "tests/test_benchmarks.py::test_regenerate_memory_refuses_more_files_than_networks",
    ),
    "regenerate_memory accepts --code without rlkit/": Edit(
        "benchmarks/regenerate_memory.py",
        'if not (Path(code) / "rlkit" / "__init__.py").is_file():',
        "if False:",
        "tests/test_benchmarks.py::test_regenerate_memory_refuses_a_code_folder_without_rlkit_before_synthesising",
    ),
    "regenerate_memory accepts --networks 0": Edit(
        "benchmarks/regenerate_memory.py",
        'parse_list("--networks", networks, minimum=1, maximum=MAX_INT)',
        'parse_list("--networks", networks, minimum=0, maximum=MAX_INT)',
        "tests/test_benchmarks.py::test_regenerate_memory_refuses_zero_networks",
    ),
    "regenerate_memory's child rolls out 2 episodes per checkpoint": Edit(
        "benchmarks/regenerate_memory.py",
        "n_trj=1,",
        "n_trj=2,",
        "tests/test_benchmarks.py::test_regenerate_memory_child_rolls_out_one_episode_per_checkpoint_over_every_saved_one",
    ),
    "dataset_load's export marker written in place": Edit(
        "benchmarks/dataset_load.py",
        '        atomic_write_text(marker, json.dumps(source) + "\\n")',
        '        marker.write_text(json.dumps(source) + "\\n")',
        "tests/test_benchmarks.py::test_dataset_load_writes_its_export_marker_atomically",
    ),
    "dataset_load keeps another dataset's export": Edit(
        "benchmarks/dataset_load.py",
        "        if legacy.exists():\n            shutil.rmtree(legacy)\n",
        "",
        "tests/test_benchmarks.py::test_dataset_load_clears_another_datasets_export_before_exporting",
    ),
    "dataset_load synthesises into a --data_dir without 40 tasks": Edit(
        "benchmarks/dataset_load.py",
        "        if data_dir:\n            raise UserError(",
        "        if False:\n            raise UserError(",
        "tests/test_benchmarks.py::test_dataset_load_refuses_a_data_dir_without_40_tasks_and_writes_nothing_into_it",
    ),
    "behaviour_sac_speed --device cuda without CUDA not refused": Edit(
        "benchmarks/behaviour_sac_speed.py",
        'if device == "cuda" and not torch.cuda.is_available():',
        "if False:",
        "tests/test_benchmarks.py::test_behaviour_sac_device_cuda_without_cuda_is_refused",
    ),
    "behaviour_sac_speed accepts --tasks 0": Edit(
        "benchmarks/behaviour_sac_speed.py",
        'sizes = parse_list("--tasks", tasks, minimum=1, maximum=MAX_INT)',
        'sizes = parse_list("--tasks", tasks, minimum=0, maximum=MAX_INT)',
        "tests/test_benchmarks.py::test_behaviour_sac_refuses_a_group_of_zero_tasks_before_timing",
    ),
    "behaviour_sac_speed prints the 70 ms target for other configs only": Edit(
        "benchmarks/behaviour_sac_speed.py",
        'if sac_config == "train_point"',
        'if sac_config != "train_point"',
        "tests/test_benchmarks.py::test_behaviour_sac_prints_the_70_ms_target_for_train_point_only",
    ),
    "meta_train_speed --device cuda without CUDA exits 1, not 2": Edit(
        "benchmarks/meta_train_speed.py",
        "            sys.exit(2)\n",
        "            sys.exit(1)\n",
        "tests/test_benchmarks.py::test_meta_train_device_cuda_without_cuda_is_one_line_and_exit_2",
    ),
    "paper_cost's markdown table written in place": Edit(
        "benchmarks/paper_cost.py",
        '        atomic_write_text(Path(markdown), text + "\\n")',
        '        Path(markdown).write_text(text + "\\n")',
        "tests/test_benchmarks.py::test_paper_cost_writes_its_markdown_table_atomically",
    ),
    "paper_cost's env step time the total of its steps": Edit(
        "benchmarks/paper_cost.py",
        "    return (time.perf_counter() - t) / steps\n",
        "    return time.perf_counter() - t\n",
        "tests/test_benchmarks.py::test_paper_cost_env_step_time_is_seconds_per_step",
    ),
    "paper_cost refuses a repeated --envs entry instead of measuring it once": Edit(
        "benchmarks/paper_cost.py",
        'duplicates="drop"',
        'duplicates="refuse"',
        "tests/test_benchmarks.py::test_paper_cost_measures_an_env_given_twice_once",
    ),
    "scale_out accepts a Ray dataset that differs from the plain one": Edit(
        "benchmarks/scale_out.py",
        '                raise SystemExit(f"{name}: the dataset differs from the plain command\'s")',
        "                pass",
        "tests/test_benchmarks.py::test_scale_out_refuses_a_ray_dataset_that_differs_from_the_plain_one",
    ),
    "competent_fraction's refusal names the checkpoint count plus one": Edit(
        "scripts/competent_fraction.py",
        "has {len(rows)} checkpoints: expected at least 2",
        "has {len(rows) + 1} checkpoints: expected at least 2",
        "tests/test_competent_fraction.py::test_a_task_of_one_checkpoint_is_refused_naming_its_count",
    ),
    "reread_report_prose writes the report without --write": Edit(
        "scripts/reread_report_prose.py",
        '    if "--write" in argv:',
        "    if True:",
        "tests/test_scripts_input.py::test_reread_report_prose_without_write_prints_the_diff_and_leaves_the_report",
    ),
    "reread_report_prose's binary report a traceback": Edit(
        "scripts/reread_report_prose.py",
        "    except UnicodeDecodeError:\n",
        "    except KeyError:\n",
        "tests/test_scripts_input.py::test_reread_report_prose_refuses_a_file_that_is_not_text_in_one_line",
    ),
    "update_golden prints the largest change as the smallest": Edit(
        "scripts/update_golden.py",
        "moves = g.diff().abs().iloc[1:].min()",
        "moves = g.diff().abs().iloc[1:].max()",
        "tests/test_update_golden.py::test_update_golden_prints_each_columns_smallest_change_between_iterations",
    ),
    "policy_train --regenerate refuses ++device=": Edit(
        "policy_train.py",
        'unused = [o for o in overrides if o.split("=", 1)[0].lstrip("+~") != "device"]',
        'unused = [o for o in overrides if o.split("=", 1)[0] != "device"]',
        "tests/test_behaviour_runs.py::test_regenerate_takes_a_device_override_in_its_plus_form",
    ),
    "policy_train counts '0 task' in the singular": Edit(
        "policy_train.py",
        "count = f\"{len(tasks)} task{'s' if len(tasks) != 1 else ''}\"",
        "count = f\"{len(tasks)} task{'s' if len(tasks) > 1 else ''}\"",
        "tests/test_behaviour_runs.py::test_a_part_without_tasks_counts_its_zero_tasks_in_the_plural",
    ),
    "policy_train does not check ++seed= against --seed": Edit(
        "policy_train.py",
        'given = [o.split("=", 1)[1] for o in overrides if o.split("=", 1)[0].lstrip("+~") == "seed"]',
        'given = [o.split("=", 1)[1] for o in overrides if o.split("=", 1)[0] == "seed"]',
        "tests/test_behaviour_runs.py::test_a_seed_override_in_hydras_force_form_is_checked_against_the_seed_option",
    ),
    "launch_experiment's --no-progress does not reach run_many": Edit(
        "launch_experiment.py",
        "            show_progress=not no_progress,\n",
        "            show_progress=True,\n",
        "tests/test_launch_experiment.py::test_no_progress_reaches_the_runs_of_seeds_and_the_single_run",
    ),
    "launch_experiment's --no-progress does not reach MetaTrainer": Edit(
        "launch_experiment.py",
        "MetaTrainer(prepared, show_progress=not no_progress).run()",
        "MetaTrainer(prepared, show_progress=True).run()",
        "tests/test_launch_experiment.py::test_no_progress_reaches_the_runs_of_seeds_and_the_single_run",
    ),
    "check.sh runs a step with 1-4 s left": Edit(
        "scripts/gpu/check.sh",
        'if [ "$left" -lt 5 ]; then',
        'if [ "$left" -lt 1 ]; then',
        "tests/test_gpu_scripts.py::test_check_sh_skips_a_step_left_fewer_than_5_seconds",
    ),
    "check.sh counts the reproduction's 137 (killed at its limit) as a failure": Edit(
        "scripts/gpu/check.sh",
        '{ [ "$rc" = 124 ] || [ "$rc" = 137 ]; }',
        '{ [ "$rc" = 124 ]; }',
        "tests/test_gpu_scripts.py::test_check_sh_counts_a_reproduction_killed_at_its_limit_as_planned",
    ),
    "check.sh keeps an earlier call's logs": Edit(
        "scripts/gpu/check.sh",
        'rm -f "$work"/*.log  #',
        ": #",
        "tests/test_gpu_scripts.py::test_check_sh_drops_the_logs_of_an_earlier_call",
    ),
    "an unknown env_params key's refusal lists `self` among the keys": Edit(
        "rlkit/tasks.py",
        'known = sorted(k for k in accepted if k != "self")',
        "known = sorted(k for k in accepted)",
        "tests/test_envs.py::test_an_env_param_refusal_lists_the_keys_the_env_takes_and_a_bad_value_is_one_line",
    ),
    "a wrongly typed env param a TypeError traceback, not the one-line refusal": Edit(
        "rlkit/tasks.py",
        "except (TypeError, ValueError) as e:",
        "except ValueError as e:",
        "tests/test_envs.py::test_an_env_param_refusal_lists_the_keys_the_env_takes_and_a_bad_value_is_one_line",
    ),
    "the zero-action reference one episode by default": Edit(
        "rlkit/tasks.py",
        "episodes: int = 3, seed",
        "episodes: int = 1, seed",
        "tests/test_envs.py::test_the_zero_action_return_by_default_is_the_mean_of_three_seeded_episodes",
    ),
    "the random-policy reference 100 episodes by default": Edit(
        "rlkit/tasks.py",
        "episodes: int = 200, seed",
        "episodes: int = 100, seed",
        "tests/test_envs.py::test_the_random_return_by_default_averages_200_episodes_whose_actions_follow_the_seed",
    ),
    "the random-policy reference's actions the same whatever the seed": Edit(
        "rlkit/tasks.py",
        'rng = numpy_generator(seed, "random_return")',
        'rng = numpy_generator(0, "random_return")',
        "tests/test_envs.py::test_the_random_return_by_default_averages_200_episodes_whose_actions_follow_the_seed",
    ),
    "the IQM interval's default 2000 resamples, not 5000": Edit(
        "rlkit/stats.py",
        "reps: int = 5000",
        "reps: int = 2000",
        "tests/test_budget_stats.py::test_an_iqm_interval_by_default_draws_5000_bootstrap_resamples",
    ),
    "the matmul probe gives its last shape's throughput, not its best": Edit(
        "rlkit/torch/flops.py",
        "best = max(best, 2 *",
        "best = max(0.0, 2 *",
        "tests/test_networks.py::test_the_matmul_probe_gives_the_best_of_its_shapes_not_the_last",
    ),
    "a no-default switch's error swaps its on and off meanings": Edit(
        "rlkit/switch.py",
        'return f"1 ({self.on}) or 0 ({self.off}), or unset ({self.unset})"',
        'return f"1 ({self.off}) or 0 ({self.on}), or unset ({self.unset})"',
        "tests/test_run_folder.py::test_a_switch_without_a_default_names_each_value_by_its_own_meaning",
    ),
    "a switch turned off is not handed to other processes": Edit(
        "rlkit/switch.py",
        "if (on := s()) is not None}",
        "if (on := s())}",
        "tests/test_run_folder.py::test_a_switch_turned_off_is_given_to_other_processes_as_0",
    ),
    "the collapse warning's std and ratio swapped": Edit(
        "rlkit/logging/columns.py",
        "(across-task std {across:.2g}, spread ratio {ratio:.2g};",
        "(across-task std {ratio:.2g}, spread ratio {across:.2g};",
        "tests/test_logging.py::test_the_collapse_warning_names_the_across_task_std_and_the_ratio_each_by_its_own_value",
    ),
    "variant.json written with unsorted keys": Edit(
        "rlkit/logging/logger.py",
        "json.dumps(variant, indent=2, sort_keys=True)",
        "json.dumps(variant, indent=2)",
        "tests/test_logging.py::test_variant_json_is_written_with_sorted_keys_and_progress_csv_with_plain_newlines",
    ),
    "progress.csv written with CRLF line ends": Edit(
        "rlkit/logging/logger.py",
        'fieldnames=self.keys, lineterminator="\\n")',
        "fieldnames=self.keys)",
        "tests/test_logging.py::test_variant_json_is_written_with_sorted_keys_and_progress_csv_with_plain_newlines",
    ),
    "a step without BRAC logs a div_estimate of 1, not 0": Edit(
        "rlkit/torch/csro/trainer.py",
        "div_estimate=d_hat.detach() if d_hat is not None else torch.zeros(1, device=self.device),",
        "div_estimate=d_hat.detach() if d_hat is not None else torch.ones(1, device=self.device),",
        "tests/test_training_step.py::test_a_step_without_brac_logs_a_div_estimate_of_zero",
    ),
    "the step's spread gives up on halves of one row": Edit(
        "rlkit/torch/csro/trainer.py",
        "        if h == 0:  # one context",
        "        if h <= 1:  # one context",
        "tests/test_collapse.py::test_a_step_on_contexts_of_two_or_three_rows_logs_a_spread_of_one_row_halves",
    ),
    "load requires a test_z_generator in the state": Edit(
        "rlkit/torch/csro/trainer.py",
        'if self.agent.test_z_generator is not None and "test_z_generator" in state:',
        "if self.agent.test_z_generator is not None:",
        "tests/test_offpearl.py::test_a_state_without_a_test_z_stream_loads_into_a_sampling_trainer_and_keeps_its_own",
    ),
    "an ensemble's last layer drawn from member 0's generator": Edit(
        "rlkit/torch/networks.py",
        "_init_last_(wt, bm, init_w, gens[m])",
        "_init_last_(wt, bm, init_w, gens[0])",
        "tests/test_networks.py::test_each_ensemble_member_draws_every_layer_from_its_own_generator",
    ),
    "the z0 rows the ceiling of the float product (0.55 x 100 zeroes 56)": Edit(
        "rlkit/torch/csro/trainer.py",
        "math.ceil(round(self.settings.z0_share * B, 9))",
        "math.ceil(self.settings.z0_share * B)",
        "tests/test_variants.py::test_the_z0_rows_are_the_ceiling_of_the_exact_share_not_of_its_float_product",
    ),
    "make_env without the config's type and range check of env_params": Edit(
        "rlkit/tasks.py",
        "    env_params = checked_env_params(env_params)\n",
        "",
        "tests/test_envs.py::test_an_env_params_value_out_of_type_or_range_from_python_is_the_configs_one_line",
    ),
    "checked_env_params without its range check": Edit(
        "rlkit/config.py",
        '            if f.metadata["range"] is not None:\n'
        '                _check_range(name, value, f.metadata["range"])\n',
        "",
        "tests/test_envs.py::test_an_env_params_value_out_of_type_or_range_from_python_is_the_configs_one_line",
    ),
    "an env seed of 2.5 truncated to seed 2": Edit(
        "rlkit/envs/base.py",
        "if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:",
        "if isinstance(seed, str) or seed < 0:",
        "tests/test_envs.py::test_an_env_param_refusal_lists_the_keys_the_env_takes_and_a_bad_value_is_one_line",
    ),
    "the meta-trainer's divergence line advising to raise the learning rates": Edit(
        "rlkit/experiment.py",
        '(lower the learning rates "',
        '(raise the learning rates "',
        "tests/test_meta_trainer.py::test_a_diverged_parameter_under_finite_losses_is_one_line_naming_its_network",
    ),
    "task.json's targets matched to 1e-4 relative": Edit(
        "rlkit/data/meta.py",
        "return bool(np.isclose(a, b, rtol=1e-6, atol=1e-9))",
        "return bool(np.isclose(a, b, rtol=1e-4, atol=1e-9))",
        "tests/test_dataset.py::test_cheetah_targets_of_another_task_count_are_another_task",
    ),
    "task.json's targets matched to 1e-7 relative": Edit(
        "rlkit/data/meta.py",
        "return bool(np.isclose(a, b, rtol=1e-6, atol=1e-9))",
        "return bool(np.isclose(a, b, rtol=1e-7, atol=1e-9))",
        "tests/test_dataset.py::test_cheetah_targets_of_another_task_count_are_another_task",
    ),
    "check's size line giving task.json's sizes as action/observation": Edit(
        "rlkit/data/check.py",
        "says observation/action sizes {dims[0]}/{dims[1]}: expected ",
        "says observation/action sizes {dims[1]}/{dims[0]}: expected ",
        "tests/test_dataset.py::test_check_cli_refuses_a_task_of_another_observation_size_than_its_envs",
    ),
    "regenerate rolling out on the device of the job's record (its index lost), not the one planned for": Edit(
        "rlkit/behaviour/regenerate.py",
        "return [regenerate_one(env_name, env_params, data_dir, job, device) for job in todo]",
        "return [regenerate_one(env_name, env_params, data_dir, job, "
        'torch.device(job.settings.get("device", "cpu"))) for job in todo]',
        "tests/test_behaviour_outputs.py::test_regeneration_rolls_out_on_the_device_it_was_planned_for",
    ),
    "stage 1's divergence line advising to raise the learning rates": Edit(
        "rlkit/behaviour/generate.py",
        '"finite training: lower agent.params.critic_lr, actor_lr or alpha_lr)"',
        '"finite training: raise agent.params.critic_lr, actor_lr or alpha_lr)"',
        "tests/test_sac.py::test_networks_that_turned_non_finite_just_before_a_checkpoint_are_not_written",
    ),
    "reproduce's command writing the report after a failed run": Edit(
        "rlkit/reproduce/__main__.py",
        "        if failed:\n",
        "        if False:\n",
        "tests/test_reproduce.py::test_a_run_that_fails_on_our_side_is_returned_as_a_failure_by_the_one_job_loop",
    ),
    "a resumed run without dataset.json recording no data": Edit(
        "rlkit/experiment.py",
        "if self.setup.data_print is None or (resumed and path.is_file()):",
        "if self.setup.data_print is None or resumed:",
        "tests/test_run_folder.py::test_a_run_folder_written_before_dataset_json_was_kept_resumes_without_a_data_comparison",
    ),
    "a run without meta-test summarised with nan returns, not as 'no meta-test'": Edit(
        "rlkit/experiment.py",
        "if all(math.isnan(r) for r in ret.values())",
        "if all(r is None for r in ret.values())",
        "tests/test_run_folder.py::test_a_run_without_meta_test_writes_its_rows_and_one_with_it_refuses_a_nan_return",
    ),
    "show_path's missing-snapshot line listing the snapshots in text order": Edit(
        "rlkit/show.py",
        "expected one of {snapshot_names(run)}",
        "expected one of {sorted(p.name for p in (run / 'snapshots').glob('*.pt'))}",
        "tests/test_run_folder.py::test_snapshot_names_are_in_iteration_order",
    ),
    "--ray auto probed as if 'auto' were the head's HOST:PORT": Edit(
        "rlkit/cluster/engine.py",
        '    if address != "auto":\n        return address\n',
        "    if True:\n        return address\n",
        "tests/test_cluster.py::test_a_connection_error_from_ray_is_one_line",
    ),
    "Np's random-action stream not keyed by the iteration": Edit(
        "rlkit/eval/evaluator.py",
        'numpy_generator(seed, "eval_np_random", iteration)',
        'numpy_generator(seed, "eval_np_random", 0)',
        "tests/test_evaluator.py::test_each_meta_tests_streams_are_keyed_by_its_iteration",
    ),
    "Np's policy-sample stream not keyed by the iteration": Edit(
        "rlkit/eval/evaluator.py",
        'torch_generator(seed, "eval_np_policy", iteration, device=device)',
        'torch_generator(seed, "eval_np_policy", 0, device=device)',
        "tests/test_evaluator.py::test_each_meta_tests_streams_are_keyed_by_its_iteration",
    ),
    "make_env checking env_params but building the env from the values as given (2.0 tasks a TypeError)": Edit(
        "rlkit/config.py",
        "            out[f.name] = value = _coerce(name, out[f.name], hints[f.name])\n",
        "            value = _coerce(name, out[f.name], hints[f.name])\n",
        "tests/test_envs.py::test_env_params_from_python_are_read_as_a_config_reads_them",
    ),
    "the README's smoke command with an option its command lacks (--exp-name)": Edit(
        "README.md",
        "--seed 0 --exp_name smoke",
        "--seed 0 --exp-name smoke",
        "tests/test_docs_commands.py::test_a_command_of_the_docs_parses",
    ),
    "a docs reproduce command naming a method the command lacks": Edit(
        "docs/results/ant-goal-cpu-profile.md",
        "--seeds 0,1,2 --methods CSRO,FOCAL,OFFPEARL --jobs 2\n",
        "--seeds 0,1,2 --methods CSRO,FOCAL,OFFPERL --jobs 2\n",
        "tests/test_docs_commands.py::test_a_command_of_the_docs_parses",
    ),
    "a docs stage-1 command with a SAC override key the config lacks": Edit(
        "docs/results/ant-cpu-probes.md",
        "    num_train_steps=100000 num_seed_steps=10000",
        "    num_train_steps=100000 num_seed_step=10000",
        "tests/test_docs_commands.py::test_a_command_of_the_docs_parses",
    ),
    "launch_experiment.py's synopsis naming an option the command lacks": Edit(
        "launch_experiment.py",
        "--seed 0 [--exp_name NAME]",
        "--seed 0 [--exp-name NAME]",
        "tests/test_docs_commands.py::test_a_command_of_the_docs_parses",
    ),
    "an override setting a section of keys to a number passed on (a traceback at the next key of it)": Edit(
        "rlkit/config.py",
        "    if section and not isinstance(value, dict):\n",
        "    if section and value is None:\n",
        "tests/test_config.py::test_an_override_setting_a_section_to_a_value_is_one_line",
    ),
    "a text parameter refusing '' but taking a blank ' ' as given": Edit(
        "rlkit/cli.py",
        "        if isinstance(value, str) and not value.strip():\n",
        "        if isinstance(value, str) and not value:\n",
        "tests/test_cli.py::test_a_blank_path_or_name_is_one_line_and_writes_nothing",
    ),
    "a benchmark's blank --work taken as the current folder": Edit(
        "rlkit/cli.py",
        '    if value is not None and not value.strip():\n        raise UserError(f"{option} {value!r}: expected',
        "    if value is not None and value == '':\n        raise UserError(f\"{option} {value!r}: expected",
        "tests/test_cli.py::test_a_blank_path_or_name_is_one_line_and_writes_nothing",
    ),
    "curves writing PNG bytes over --out notes.txt": Edit(
        "rlkit/data/__main__.py",
        '        figure_file("--out", out)\n',
        "",
        "tests/test_dataset.py::test_curves_out_that_is_a_folder_or_empty_is_one_line_before_anything_is_written",
    ),
    "rlkit.plot reading RUNS_DIR '' as the current folder": Edit(
        "rlkit/plot.py",
        '@click.argument("runs_dir", type=PATH)',
        '@click.argument("runs_dir")',
        "tests/test_cli.py::test_every_text_parameter_of_every_command_refuses_a_blank_value",
    ),
    "--max-retries with no upper bound (Ray's OverflowError at 2**31)": Edit(
        "rlkit/cluster/engine.py",
        "if not 0 <= self.max_retries <= MAX_RETRIES:",
        "if not 0 <= self.max_retries:",
        "tests/test_cluster.py::test_cluster_options_are_checked",
    ),
    "a NaN return of a reference seed read (the seeds' range printed as nan .. nan)": Edit(
        "rlkit/report.py",
        "for s, r in seeds.items() for name, v in r.items() if not math.isfinite(v)), None)",
        "for s, r in seeds.items() for name, v in r.items() if math.isinf(v)), None)",
        "tests/test_report_plot.py::test_read_spread_refuses_a_seed_return_that_is_not_finite",
    ),
    "a group without its command printing click's whole help as the error": Edit(
        "rlkit/cli.py",
        "    except click.exceptions.NoArgsIsHelpError as e:",
        "    except click.exceptions.Abort as e:",
        "tests/test_cli.py::test_a_group_without_its_command_is_one_line",
    ),
    "export-legacy exporting a dataset that check refuses": Edit(
        "rlkit/data/__main__.py",
        "    problems = check_dataset(src, env_dims, physics_version).problems\n",
        "    problems = []\n",
        "tests/test_dataset.py::test_export_legacy_cli_refuses_a_dataset_that_check_refuses",
    ),
    "check reading the step files only (a truncated network file passed)": Edit(
        "rlkit/data/check.py",
        "    for step in saved_network_steps(tdir):  # (what --regenerate reruns",
        "    for step in []:  # (what --regenerate reruns",
        "tests/test_dataset.py::test_check_names_a_damaged_network_file",
    ),
    "curves reading another env's config as the data's": Edit(
        "rlkit/data/__main__.py",
        "        if names and names != {cfg.env_name}:\n",
        "        if not names:\n",
        "tests/test_dataset.py::test_curves_refuses_a_config_of_another_env_than_the_datas",
    ),
    "stage 2's run folder made by a plain mkdir (a /proc path a traceback)": Edit(
        "rlkit/experiment.py",
        "make_folder(setup.out_dir)",
        "setup.out_dir.mkdir(parents=True, exist_ok=True)",
        "tests/test_cli.py::test_a_folder_or_file_the_filesystem_does_not_make_is_one_line_naming_it",
    ),
    "rlkit.reproduce's run folders made by a plain mkdir": Edit(
        "rlkit/reproduce/plan.py",
        "make_folder(spec.out_dir)",
        "spec.out_dir.mkdir(parents=True, exist_ok=True)",
        "tests/test_cli.py::test_a_folder_or_file_the_filesystem_does_not_make_is_one_line_naming_it",
    ),
    "a legacy build's temporary folder not made: the OS's bare ENOENT": Edit(
        "rlkit/data/legacy.py",
        "        raise CannotCreate(errno.ENOENT, e.strerror, str(dst)) from None",
        "        raise",
        "tests/test_cli.py::test_a_folder_or_file_the_filesystem_does_not_make_is_one_line_naming_it",
    ),
    "a lock never made: the OS's bare ENOENT": Edit(
        "rlkit/fileio.py",
        "                    raise CannotCreate(errno.ENOENT, e.strerror, str(self.path)) from None",
        "                    raise",
        "tests/test_run_folder.py::test_a_write_under_proc_is_one_line_naming_the_path_not_a_traceback",
    ),
    "a folder the filesystem does not make not told from other errors": Edit(
        "rlkit/cli.py",
        "hint = CANNOT_CREATE_HINT if isinstance(e, CannotCreate) else WRITE_HINTS.get(e.errno)",
        "hint = WRITE_HINTS.get(e.errno)",
        "tests/test_run_folder.py::test_a_write_under_proc_is_one_line_naming_the_path_not_a_traceback",
    ),
    "every missing file taken for a folder the filesystem does not make": Edit(
        "rlkit/cli.py",
        "hint = CANNOT_CREATE_HINT if isinstance(e, CannotCreate) else WRITE_HINTS.get(e.errno)",
        "hint = CANNOT_CREATE_HINT if isinstance(e, FileNotFoundError) else WRITE_HINTS.get(e.errno)",
        "tests/test_run_folder.py::test_a_write_under_proc_is_one_line_naming_the_path_not_a_traceback",
    ),
    "make_folder not trying again after a parent removed under it": Edit(
        "rlkit/fileio.py",
        "    for attempt in range(4):  # (another process may remove an emptied parent",
        "    for attempt in range(1):  # (another process may remove an emptied parent",
        "tests/test_run_folder.py::test_a_folder_removed_under_its_making_is_made_again_and_one_never_made_is_cannot_create",
    ),
    "make_folder's refusal naming the parent, not the folder asked for": Edit(
        "rlkit/fileio.py",
        "                raise CannotCreate(errno.ENOENT, e.strerror, str(folder)) from None",
        "                raise CannotCreate(errno.ENOENT, e.strerror, str(Path(folder).parent)) from None",
        "tests/test_run_folder.py::test_a_folder_removed_under_its_making_is_made_again_and_one_never_made_is_cannot_create",
    ),
    "a benchmark's --steps without a largest value": Edit(
        "benchmarks/env_speed.py",
        '"--steps", default=1000, show_default=True, type=click.IntRange(1, MAX_INT),',
        '"--steps", default=1000, show_default=True, type=click.IntRange(min=1),',
        "tests/test_cli.py::test_every_integer_option_of_every_command_has_a_largest_value",
    ),
    "an argparse count without a largest value": Edit(
        "rlkit/cli.py",
        "    if not 1 <= value <= MAX_INT:",
        "    if not 1 <= value:",
        "tests/test_benchmarks.py::test_an_argparse_count_is_a_whole_number_from_one_to_a_configs_largest",
    ),
    "a list's maximum not checked": Edit(
        "rlkit/cli.py",
        "        if maximum is not None and choices is None and values[-1] > maximum:",
        "        if maximum is not None and choices is None and values[-1] > maximum + 1:",
        "tests/test_smoke.py::test_one_list_parser_names_the_option_the_entry_and_what_was_expected",
    ),
    "regenerate_memory's --networks without a largest value": Edit(
        "benchmarks/regenerate_memory.py",
        'parse_list("--networks", networks, minimum=1, maximum=MAX_INT)',
        'parse_list("--networks", networks, minimum=1)',
        "tests/test_benchmarks.py::test_click_benchmarks_refuse_a_list_entry_past_a_configs_largest_count",
    ),
    "behaviour_sac_speed's --tasks without a largest value": Edit(
        "benchmarks/behaviour_sac_speed.py",
        'parse_list("--tasks", tasks, minimum=1, maximum=MAX_INT)',
        'parse_list("--tasks", tasks, minimum=1)',
        "tests/test_benchmarks.py::test_click_benchmarks_refuse_a_list_entry_past_a_configs_largest_count",
    ),
    "every job failed alike read as one failure among finished jobs": Edit(
        "rlkit/errors.py",
        "        if codes and len(codes) == jobs and len(set(codes)) == 1:",
        "        if codes and len(set(codes)) == 1:",
        "tests/test_cluster.py::test_a_command_whose_every_job_failed_alike_exits_as_one_job_would",
    ),
    "failures of different codes given the first one's": Edit(
        "rlkit/errors.py",
        "        if codes and len(codes) == jobs and len(set(codes)) == 1:",
        "        if codes and len(codes) == jobs:",
        "tests/test_cluster.py::test_a_command_whose_every_job_failed_alike_exits_as_one_job_would",
    ),
    "a Ray job's failure without its UserError's exit code": Edit(
        "rlkit/cluster/engine.py",
        '            record.exit_code = getattr(getattr(e, "cause", e), "exit_code", 1)\n',
        "",
        "tests/test_cluster.py::test_a_failed_segments_line_names_its_own_error",
    ),
    "finish not passing the failures' exit codes on": Edit(
        "rlkit/cluster/engine.py",
        "            [r.exit_code for r in failed],\n            len(records),\n",
        "",
        "tests/test_cluster.py::test_finish_exits_with_the_failures_own_code_when_every_job_failed_alike",
    ),
    "a --seeds/--sweep run's failure without its exit code": Edit(
        "rlkit/cluster/runs.py",
        'record.status, record.exit_code = f"failed: {e}", e.exit_code',
        'record.status = f"failed: {e}"',
        "tests/test_cluster.py::test_a_failed_run_of_a_sweep_leaves_the_others_to_train_then_fails_the_command",
    ),
    "a reproduction's failed run without its exit code": Edit(
        "rlkit/reproduce/__main__.py",
        "        failed[-1].exit_code = error.exit_code\n",
        "",
        "tests/test_reproduce.py::test_a_run_that_fails_on_our_side_is_returned_as_a_failure_by_the_one_job_loop",
    ),
    "BOREL's VAE budget on 2000 rows a task, shorter than its longest sequence": Edit(
        "rlkit/budget.py",
        "transitions=max(2000, longest)",
        "transitions=2000",
        "tests/test_budget_stats.py::test_borels_vae_step_is_counted_on_sequences_as_long_as_the_datas_longest",
    ),
    "the budget's classifier head one class per drawn task, not per training task": Edit(
        "rlkit/budget.py",
        "TrainerSettings.from_config(cfg, range(max(n_tasks, cfg.n_train_tasks)))",
        "TrainerSettings.from_config(cfg, range(n_tasks))",
        "tests/test_budget_stats.py::test_a_classifiers_head_has_a_class_per_training_task_whatever_the_meta_batch",
    ),
    "a step file's damaged deflate stream a traceback": Edit(
        "rlkit/data/npz.py",
        "    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as e:",
        "    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as e:",
        "tests/test_dataset.py::test_a_compressed_step_file_of_a_damaged_deflate_stream_is_one_line_and_a_check_problem",
    ),
    "the meta reader's damaged deflate stream a traceback": Edit(
        "rlkit/data/npz.py",
        "    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error):\n        return None",
        "    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile):\n        return None",
        "tests/test_dataset.py::test_a_compressed_step_file_of_a_damaged_deflate_stream_is_one_line_and_a_check_problem",
    ),
    "the meta reader opening a lone .npy as an .npz": Edit(
        "rlkit/data/npz.py",
        "        if not isinstance(z, np.lib.npyio.NpzFile):",
        "        if False:",
        "tests/test_dataset.py::test_a_compressed_step_file_of_a_damaged_deflate_stream_is_one_line_and_a_check_problem",
    ),
    "the fast reader's unknown dtype a traceback": Edit(
        "rlkit/data/npz.py",
        "    except TypeError:  # (not a dtype numpy knows",
        "    except KeyError:  # (not a dtype numpy knows",
        "tests/test_dataset.py::test_a_step_file_with_a_dtype_numpy_does_not_know_is_one_line",
    ),
    "episode lengths past the rows left to a sum that wraps": Edit(
        "rlkit/data/npz.py",
        "    if (lengths > n).any():  # (before any sum",
        "    if False:  # (before any sum",
        "tests/test_dataset.py::test_episode_lengths_longer_than_the_rows_are_refused_before_their_sum_can_wrap",
    ),
    "check passing a step file of empty kinds": Edit(
        "rlkit/data/check.py",
        "    if n == 0:  # the loader would fail on it",
        "    if not means:  # the loader would fail on it",
        "tests/test_dataset.py::test_check_finds_a_step_file_of_no_episodes_of_any_kind",
    ),
    "point-robot-wind's sparse score r inside the radius, the reference's sparsify_rewards": Edit(
        POINT_ROBOT,
        "    sparsify_rewards = SparsePointEnv.sparsify_rewards  # (the same map as sparse-point-robot's)\n",
        "    def sparsify_rewards(self, r):\n        return np.where(np.asarray(r) >= -self.goal_radius, r, 0.0)\n",
        "tests/test_envs.py::test_a_sparse_point_robot_wind_run_scores_what_the_reference_scored",
    ),
    "--regenerate with other env settings than the data's": Edit(
        "rlkit/behaviour/regenerate.py",
        '    if meta.get("env_params") is not None:  # (a legacy import records none)',
        "    if False:  # (a legacy import records none)",
        "tests/test_behaviour_outputs.py::test_regeneration_refuses_a_config_whose_env_has_other_settings",
    ),
    "policy_train's --seed past a SAC seed's range": Edit(
        "policy_train.py",
        "    type=click.IntRange(0, 2**32 - 1),  # (the SAC seed's range",
        "    type=click.IntRange(min=0),  # (the SAC seed's range",
        "tests/test_behaviour_runs.py::test_policy_trains_seed_is_the_sac_seeds_range",
    ),
    'a timestamped run recording exp_name ""': Edit(
        "launch_experiment.py",
        "    if not cfg.util_params.exp_name:  # the timestamp that names its folder",
        "    if False:  # the timestamp that names its folder",
        "tests/test_smoke.py::test_a_timestamped_run_records_its_folders_name_as_its_exp_name",
    ),
    "a resume comparing the recorded exp_name with its folder's": Edit(
        "rlkit/run_folder.py",
        "    diff = config_differences(_named_as(recorded, variant), variant)",
        "    diff = config_differences(recorded, variant)",
        "tests/test_smoke.py::test_a_resume_outlives_its_start_files_a_kill_and_a_shorter_finish",
    ),
    "a resume reading path_to_weights again": Edit(
        "rlkit/experiment.py",
        '        if setup.cfg.path_to_weights and not (setup.out_dir / "latest.pt").is_file():',
        "        if setup.cfg.path_to_weights:",
        "tests/test_smoke.py::test_a_resume_outlives_its_start_files_a_kill_and_a_shorter_finish",
    ),
    "the last snapshot due only at the resumed run's num_iterations": Edit(
        "rlkit/run_folder.py",
        "iteration in (a.num_iterations, last)",
        "iteration == a.num_iterations",
        "tests/test_smoke.py::test_a_resume_outlives_its_start_files_a_kill_and_a_shorter_finish",
    ),
    "a finished rerun keeping a progress row past latest.pt": Edit(
        "rlkit/experiment.py",
        "                logger.cut_rows()  # (a kill after a row",
        "                pass  # (a kill after a row",
        "tests/test_smoke.py::test_a_resume_outlives_its_start_files_a_kill_and_a_shorter_finish",
    ),
    "another run's latest.pt a traceback on resume": Edit(
        "rlkit/experiment.py",
        "        except (KeyError, TypeError, RuntimeError) as e:  # (another run's state copied over it, say)",
        "        except (KeyError, TypeError) as e:  # (another run's state copied over it, say)",
        "tests/test_smoke.py::test_a_resume_outlives_its_start_files_a_kill_and_a_shorter_finish",
    ),
    "a report as made reading another seed's or method's run": Edit(
        "rlkit/reproduce/plan.py",
        'variant = dict(made, env_name=variant["env_name"], algo_type=variant["algo_type"], seed=spec.seed)',
        "variant = dict(made)",
        "tests/test_reproduce.py::test_a_report_of_runs_as_made_refuses_another_seeds_or_methods_run_in_a_folder",
    ),
    "a report as made taking the data's fingerprint by today's profile": Edit(
        "rlkit/reproduce/plan.py",
        "        recorded_data_print(spec.out_dir, read_as),",
        "        recorded_data_print(spec.out_dir, cfg),",
        "tests/test_reproduce.py::test_a_report_of_runs_as_made_takes_their_data_fingerprint_by_the_settings_they_were_made_with",
    ),
    "a report as made taking the data's fingerprint at the recorded folder": Edit(
        "rlkit/reproduce/plan.py",
        'dict(variant, algo_params=dict(variant["algo_params"], data_dir=cfg.algo_params.data_dir))',
        "dict(variant)",
        "tests/test_reproduce.py::test_a_report_of_runs_as_made_takes_their_data_fingerprint_by_the_settings_they_were_made_with",
    ),
    "the data reference read at the recorded data folder": Edit(
        "rlkit/report.py",
        "    if data_dir is not None:\n        cfg = dataclasses.replace(",
        "    if False:\n        cfg = dataclasses.replace(",
        "tests/test_report_plot.py::test_the_top_of_a_family_without_an_oracle_is_read_where_the_data_is_now",
    ),
    "the reproduction's report reading the reference at the runs' recorded data": Edit(
        "rlkit/reproduce/document.py",
        "    ref = data_reference(specs[0].out_dir, specs[0].load_config().algo_params.data_dir)",
        "    ref = data_reference(specs[0].out_dir)",
        "tests/test_reproduce.py::test_the_reports_collapse_flags_go_by_seed_and_its_finals_by_the_profiles_window",
    ),
    "the reproduction's Made by command pasted unquoted": Edit(
        "rlkit/reproduce/__main__.py",
        "    command = shlex.join(  # (the report's",
        '    command = " ".join(  # (the report\'s',
        "tests/test_reproduce_command.py::test_the_reports_command_line_is_quoted_as_a_shell_reads_it",
    ),
    "show_path's config form taking --use_gpu without a word": Edit(
        "show_path.py",
        '            if key in overrides.get("util_params", {}):',
        '            if key in overrides.get("util_params", {}) and False:',
        "tests/test_show_path.py::test_show_path_refuses_a_device_override_in_the_config_form",
    ),
    "show_path's --out named as another figure": Edit(
        "show_path.py",
        "    if np_out in others:  # refused before the protocols run",
        "    if False:  # refused before the protocols run",
        "tests/test_show_path.py::test_show_path_refuses_an_out_named_as_another_figure_or_under_a_file_before_drawing",
    ),
    "show_path's --out under a file found after the protocols": Edit(
        "show_path.py",
        "    if np_out.parent.exists() and not np_out.parent.is_dir():",
        "    if False:",
        "tests/test_show_path.py::test_show_path_refuses_an_out_named_as_another_figure_or_under_a_file_before_drawing",
    ),
    "the config form resolving the recorded config file from here": Edit(
        "rlkit/show.py",
        "    if not (same_config_file(config, trained_from) or same_config_file(trained_from, config)):",
        "    if Path(trained_from).resolve() != Path(config).resolve():",
        "tests/test_show_path.py::test_the_config_form_takes_the_file_a_run_recorded_relative_to_where_it_ran_as_that_file",
    ),
    "load_run's snapshot of other networks a traceback": Edit(
        "rlkit/show.py",
        "    except (KeyError, TypeError, RuntimeError) as e:  # (another run's snapshot copied there, say)",
        "    except (KeyError, TypeError) as e:  # (another run's snapshot copied there, say)",
        "tests/test_show_path.py::test_load_run_refuses_another_runs_snapshot_and_data_changed_since_in_one_line",
    ),
    "load_run checking the data only with --data_dir": Edit(
        "rlkit/show.py",
        "    if (run / DATA_PRINT_FILE).is_file():  # the held-out tasks' context",
        "    if data_dir is not None and (run / DATA_PRINT_FILE).is_file():  # the held-out tasks' context",
        "tests/test_show_path.py::test_load_run_refuses_another_runs_snapshot_and_data_changed_since_in_one_line",
    ),
    "a list as algo_type read as a table key": Edit(
        "rlkit/config.py",
        '    for name in ("algo_type", "env_name"):  # (read as table keys below',
        "    for name in ():  # (read as table keys below",
        "tests/test_config.py::test_an_algo_type_or_env_name_that_is_not_a_string_is_one_line",
    ),
    "a figure's suffix read in its own case": Edit(
        "rlkit/cli.py",
        '    if Path(out).suffix[1:].lower() not in ("", *kinds):',
        '    if Path(out).suffix[1:] not in ("", *kinds):',
        "tests/test_dataset.py::test_a_figure_file_is_known_by_its_suffix_in_any_case",
    ),
    "a legacy file name with a leading zero imported as another episode": Edit(
        "rlkit/data/legacy.py",
        "        if m and any(g != str(int(g)) for g in m.group(2, 3)):",
        "        if False:",
        "tests/test_dataset.py::test_import_legacy_refuses_a_file_name_with_a_leading_zero",
    ),
    "a legacy pickle of a missing module a traceback": Edit(
        "rlkit/data/legacy.py",
        "    except Exception as e:  # (a pickle may raise anything",
        "    except (OSError, ValueError) as e:  # (a pickle may raise anything",
        "tests/test_dataset.py::test_import_legacy_names_a_pickle_of_a_class_this_python_lacks_in_one_line",
    ),
    "behaviour curves of one checkpoint drawn as lines without a point": Edit(
        "rlkit/behaviour/curves.py",
        'alpha=0.8, marker="o", ms=3)',
        "alpha=0.8)",
        "tests/test_behaviour_outputs.py::test_behaviour_curves_of_one_checkpoint_draw_its_point",
    ),
    "a sweep entry's blank exp_name taken": Edit(
        "rlkit/cluster/runs.py",
        '        if not e["exp_name"].strip():  # (an empty one would stamp',
        "        if False:  # (an empty one would stamp",
        "tests/test_cluster.py::test_a_sweep_entry_of_a_blank_exp_name_is_refused",
    ),
    "runs one after another prepared into the folder their config names again": Edit(
        "rlkit/cluster/runs.py",
        "            setup = prepare(p.cfg, p.seed, device, out_dir=p.out_dir)  # (the folder checked and printed)",
        "            setup = prepare(p.cfg, p.seed, device)  # (the folder checked and printed)",
        "tests/test_cluster.py::test_runs_one_after_another_are_prepared_into_the_folders_their_plans_checked",
    ),
    "meta_train_speed's median of an even count the upper middle value": Edit(
        "benchmarks/meta_train_speed.py",
        '        "median_s": statistics.median(times),',
        '        "median_s": times[len(times) // 2],',
        "tests/test_benchmarks.py::test_meta_train_run_variant_reports_the_median_min_and_drift_corrected_share_of_its_timed_steps",
    ),
    "a short sequence padded with buffer row 0, not its own last row": Edit(
        SEQUENCES,
        'mode="edge"',
        'mode="constant"',
        "tests/test_borel.py::test_a_short_sequence_is_padded_with_its_own_last_row_not_row_0",
    ),
}


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


def apply_edit(repo: Path, name: str, edit: Edit) -> None:
    """Replace `edit.old`, which must occur exactly once, in the copy's `edit.path`."""
    path = repo / edit.path
    text = path.read_text()
    if text.count(edit.old) != 1:
        raise SystemExit(
            f"edit {name!r} does not apply: {edit.old!r} occurs {text.count(edit.old)} times in {edit.path}: "
            "expected it once"
        )
    path.write_text(text.replace(edit.old, edit.new))


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
    parser.add_argument("--tests", nargs="+", default=DEFAULT_TESTS, help="the tests the patches run")
    parser.add_argument(
        "--only", choices=("patches", "edits"), default=None, help="one kind of mutation (default: both)"
    )
    args = parser.parse_args()
    if args.only == "edits" and args.tests != DEFAULT_TESTS:
        parser.error("--tests with --only edits: expected no --tests (each edit runs its own tests)")
    args.tests = repo_relative(parser, args.tests)
    patches = [(name, patch, args.tests) for name, patch in MUTATIONS.items()] if args.only != "edits" else []
    edits = [(name, edit, [edit.test]) for name, edit in EDITS.items()] if args.only != "patches" else []
    every_test = (args.tests if patches else []) + [t for _, _, tests in edits for t in tests]
    plain = ("none (the code as it is)", None, list(dict.fromkeys(every_test)))  # (it must pass them all first)
    missed = []
    for name, mutation, tests in [plain, *patches, *edits]:
        with tempfile.TemporaryDirectory() as tmp:
            repo = Path(tmp)
            copy_repo(repo)
            if isinstance(mutation, Edit):
                apply_edit(repo, name, mutation)
            elif mutation:
                apply(repo, name, mutation)
            rc, failed = run_tests(repo, tests)
        if mutation is None:
            print(f"{name}: {'passes' if rc == 0 else 'FAILS: ' + ', '.join(failed)}", flush=True)
            if rc != 0:
                raise SystemExit("the unmutated code must pass first")
            continue
        if rc not in (0, 1) or (rc == 1 and not failed):  # (2: the tests did not import or collect; 5: none ran)
            raise SystemExit(f"{name}: pytest exited {rc} without a failing test: expected the mutated code to run")
        if rc == 0:
            missed.append(name)
        said = f"caught by {len(failed)} test(s): {', '.join(failed)}" if rc else "MISSED"
        print(f"{name}: {said}", flush=True)
    raise SystemExit(1 if missed else 0)


if __name__ == "__main__":
    main()
