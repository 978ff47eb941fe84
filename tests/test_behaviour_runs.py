"""Stage 1 (rlkit/behaviour, policy_train.py) beyond tests/test_sac.py: the schedule's first checkpoint and update
periods, each task's checkpoint list, the resume of a run of several groups, the seed and device a run gets (plain
and on Ray), --overwrite without --regenerate, the oracle returns of a partial dataset. (The replay buffer's own
tests are in tests/test_behaviour_outputs.py.)"""

from __future__ import annotations

import pytest
import torch

from rlkit.behaviour import Stage1Spec, load_sac_config
from rlkit.behaviour.generate import TaskGroup
from rlkit.behaviour.settings import Schedule
from rlkit.data.dataset import task_dir
from rlkit.data.meta import read_task_meta
from rlkit.errors import UserError
from tests.conftest import TINY_CONFIG

POINT = {"n_tasks": 6, "max_episode_steps": 20}


def test_the_first_checkpoint_comes_only_after_more_than_the_seed_steps():
    """`Schedule.checkpoint_due` takes a checkpoint only with `num_seed_steps < steps`, not `num_seed_steps <= steps`.
    Its rule (the Schedule doc): a checkpoint at an episode boundary *after more than* num_seed_steps steps. The shipped
    configs have num_seed_steps == eval_frequency (tiny_point 100/100, train 50000/50000), so with `<=` the first
    checkpoint is taken at the last random step, before any SAC update: checkpoint 100 of the data would be the
    untrained initial policy rather than one trained for a few updates."""
    sched = Schedule(
        num_train_steps=300,
        num_seed_steps=100,
        eval_frequency=100,
        num_eval_episodes=1,
        num_eval_sample_episodes=1,
        replay_buffer_capacity=300,
        seed=0,
    )
    assert not sched.checkpoint_due(100, 0)  # exactly num_seed_steps: no checkpoint yet
    assert sched.checkpoint_due(120, 0)  # the next 20-step episode end after them: checkpoint 100


def test_the_actor_updates_every_actor_update_frequency_steps_after_the_seed_steps(tmp_path):
    """The step key of the vectorised update is taken modulo the lcm of actor_update_frequency and
    critic_target_update_frequency, not their max. With frequencies 2 and 3 the actor must update at the steps s >=
    num_seed_steps with s % 2 == 0 (pytorch_sac's rule: `step % actor_update_frequency == 0`); modulo the max it updates
    at s % 3 in {0, 2}, another SAC than the one configured."""
    behaviour = load_sac_config(
        "tiny_point",
        [
            "num_train_steps=130",
            "agent.params.actor_update_frequency=2",
            "agent.params.critic_target_update_frequency=3",
            "save_networks=false",
        ],
    )
    group = TaskGroup(
        Stage1Spec(
            "point-robot", POINT, behaviour.schedule, behaviour.sac, tmp_path, torch.device("cpu"), save_networks=False
        ),
        [0],
        "off",
    )
    steps, updated = [], []
    step_fn = group.agent.actor_opt.step

    def actor_step(*a, **k):
        updated.append(steps[-1])
        return step_fn(*a, **k)

    group.agent.actor_opt.step = actor_step
    update = group.updater

    targets = []  # the steps whose update moved the critic target (every 3rd: a key modulo 2 alone moved it at even)

    def counting(batch, key):
        steps.append(100 + len(steps))  # the updates run once per env step from num_seed_steps (100) on
        before = [p.clone() for p in group.agent.critic_target.parameters()]
        out = update(batch, key)
        if any(not torch.equal(a, p) for a, p in zip(before, group.agent.critic_target.parameters())):
            targets.append(steps[-1])
        return out

    group.updater = counting
    group.begin()
    group.run()
    assert steps == list(range(100, 130))
    assert updated == [s for s in range(100, 130) if s % 2 == 0]
    assert targets == [s for s in range(100, 130) if s % 3 == 0]


@pytest.mark.slow
def test_each_tasks_json_lists_its_own_checkpoints_in_a_group_whose_episodes_end_early(tmp_path):
    """Each task's task.json lists its own `checkpoints`, not those of the group's first task. Hopper's episodes end
    when it falls, so the tasks of a group reach checkpoints at different steps; docs/data-format.md: task.json lists
    the task's checkpoints, which the loaders read. Each task's list must be exactly the step files in its own folder,
    else a task's data names checkpoints it does not have (or hides ones it has)."""
    behaviour = load_sac_config("tiny_mujoco", ["num_train_steps=600", "eval_frequency=10", "save_networks=false"])
    from rlkit.behaviour import train_task_group

    train_task_group(
        Stage1Spec(
            "hopper-rand-params",
            {"n_tasks": 4, "max_episode_steps": 200},
            behaviour.schedule,
            behaviour.sac,
            tmp_path,
            torch.device("cpu"),
            save_networks=False,
        ),
        [0, 1, 2, 3],
        "off",
    )
    lists = []
    for t in range(4):
        tdir = task_dir(tmp_path, t)
        on_disk = sorted(int(p.stem[len("step") :]) for p in tdir.glob("step*.npz") if "_" not in p.stem)
        listed = read_task_meta(tdir)["checkpoints"]
        assert listed == on_disk, f"task {t}"
        lists.append(tuple(listed))
    assert len(set(lists)) > 1, "every task checkpointed at the same steps: nothing tested"


def test_a_seed_override_other_than_seed_is_refused_even_beside_an_equal_one():
    """`with_seed` refuses as soon as *any* seed= override differs from --seed, not only when *every* one does (`all`
    for `any`). `--seed 1 seed=1 seed=2`: the later override wins in hydra, so the run would train with seed 2 while the
    user asked for 1 (and a seed sweep would write two runs of one seed); policy_train.py's doc: a seed= override of
    another value is an error."""
    from policy_train import with_seed

    assert with_seed(["seed=1"], 1) == ["seed=1"]
    with pytest.raises(UserError, match="--seed 1"):
        with_seed(["seed=1", "seed=2"], 1)


def test_overwrite_without_regenerate_is_refused_before_training(tmp_path, monkeypatch, capsys):
    """`--overwrite` is part of the "applies to --regenerate only" check. `policy_train.py --overwrite` (a user who
    forgot --regenerate) must exit 2 with one line, not start a stage-1 training run; the command trains nothing (stage
    1 is patched to fail the test if reached). It guards against `--overwrite` dropped from that check."""
    args = ["--config", str(TINY_CONFIG), "--sac_config", "tiny_point", "--overwrite"]
    code, err = _policy_train_here(
        monkeypatch, tmp_path, capsys, args, generate_dataset=lambda *a, **k: pytest.fail("stage 1 started")
    )
    assert code == 2 and "apply to --regenerate only" in err


@pytest.mark.parametrize(
    "extra, said",
    [
        (["--n_trj", "3"], "--n_trj, --checkpoints and --overwrite apply to --regenerate only"),
        (["--regenerate", "--checkpoints", "100,100"], "--checkpoints '100,100': 100 appears twice"),
        (["env_name=nope-env"], "unknown env_name 'nope-env': expected one of"),
    ],
)
def test_bad_arguments_are_refused_before_stage_1s_first_line(tmp_path, monkeypatch, capsys, extra, said):
    """A bad argument or config key is the command's one line, not a second line after stage 1's device line
    ("stage 1 on nope-env, part 0 of 1 (6 tasks): device cpu" came first): stdout stays empty, exit 2, nothing
    trained or rolled out (stage 1 and the regeneration are patched to fail the test if reached)."""
    import json

    config = TINY_CONFIG
    if extra == ["env_name=nope-env"]:  # (a config key, not a SAC override: a config of its own)
        config, extra = tmp_path / "nope.json", []
        config.write_text(json.dumps({**json.loads(TINY_CONFIG.read_text()), "env_name": "nope-env"}))
    monkeypatch.chdir(tmp_path)
    import policy_train
    from rlkit.cli import run_cli as run_command

    for name in ("generate_dataset", "regenerate_episodes"):
        monkeypatch.setattr(policy_train, name, lambda *a, **k: pytest.fail("stage 1 started"))
    with pytest.raises(SystemExit) as e:
        run_command(policy_train.main, ["--config", str(config), "--sac_config", "tiny_point", *extra])
    out, err = capsys.readouterr()
    assert (e.value.code, out) == (2, "") and err.count("\n") == 1 and said in err, (out, err)


def test_a_run_of_several_groups_interrupted_in_its_second_group_resumes_it(tmp_path, monkeypatch, capsys):
    """`generate_dataset` saves each group's state under the file named for the group's own tasks
    (`resume_file(data_dir, part)`), not the one named for all the run's tasks (`resume_file(data_dir, tasks)`). With
    tasks_per_group=1, tasks [0, 1] train as two groups; a run interrupted in group [1] after it saved its state must
    resume that group when rerun (the module doc: an interrupted run skips the complete tasks and resumes the others
    from their group's last saved state). With the file named for all the run's tasks the rerun finds a state said to
    hold tasks 0..1 and refuses to train at all, so a long multi-group stage 1 cannot be resumed."""
    from rlkit.behaviour import generate_dataset

    behaviour = load_sac_config("tiny_point", ["tasks_per_group=1", "save_networks=false"])
    finish = TaskGroup.finish

    def killed_in_group_1(self):
        if self.tasks == [1]:
            raise KeyboardInterrupt  # after its last checkpoint and saved state, before it is marked complete
        finish(self)

    monkeypatch.setattr(TaskGroup, "finish", killed_in_group_1)
    with pytest.raises(KeyboardInterrupt):
        generate_dataset("point-robot", POINT, tmp_path, [0, 1], "tiny_point", behaviour, torch.device("cpu"), "off")
    assert read_task_meta(task_dir(tmp_path, 0))["complete"] and not read_task_meta(task_dir(tmp_path, 1))["complete"]
    monkeypatch.setattr(TaskGroup, "finish", finish)
    capsys.readouterr()
    try:
        generate_dataset("point-robot", POINT, tmp_path, [0, 1], "tiny_point", behaviour, torch.device("cpu"), "off")
    except UserError as e:
        pytest.fail(f"the rerun refused to resume the interrupted group: {e}")
    out = capsys.readouterr().out
    assert "1 already complete, 1 to train" in out and "resuming tasks 1..1 at step" in out
    assert read_task_meta(task_dir(tmp_path, 1))["complete"]
    assert not (tmp_path / "stage1_resume").exists()


def test_a_rerun_trains_only_the_tasks_that_are_not_complete(tmp_path, monkeypatch):
    """`generate_dataset` groups the run's pending tasks (`todo[...]`), not all of its tasks
    (`tasks[start : start + group]`). policy_train.py's doc: tasks whose data is complete are skipped, so a rerun
    resumes. Tasks [0, 1] in groups of one, interrupted in group [1]: the rerun must train group [1] only. Grouping all
    of them, it retrains the complete task 0 (marking its finished data incomplete meanwhile) and never finishes
    task 1."""
    from rlkit.behaviour import generate_dataset

    behaviour = load_sac_config("tiny_point", ["tasks_per_group=1", "save_networks=false"])
    finish, train = TaskGroup.finish, TaskGroup.train

    def killed_in_group_1(self):
        if self.tasks == [1]:
            raise KeyboardInterrupt
        finish(self)

    monkeypatch.setattr(TaskGroup, "finish", killed_in_group_1)
    with pytest.raises(KeyboardInterrupt):
        generate_dataset("point-robot", POINT, tmp_path, [0, 1], "tiny_point", behaviour, torch.device("cpu"), "off")
    monkeypatch.setattr(TaskGroup, "finish", finish)
    trained = []

    def recording(self):
        trained.append(list(self.tasks))
        train(self)

    monkeypatch.setattr(TaskGroup, "train", recording)
    generate_dataset("point-robot", POINT, tmp_path, [0, 1], "tiny_point", behaviour, torch.device("cpu"), "off")
    assert trained == [[1]]
    assert all(read_task_meta(task_dir(tmp_path, t))["complete"] for t in (0, 1))


@pytest.mark.parametrize("device,gpus", [("cpu", 0.0), ("cuda", 1.0)])
def test_stage1_on_ray_asks_a_gpu_per_task_only_for_a_sac_that_runs_on_one(tmp_path, monkeypatch, device, gpus):
    """On a cluster with GPUs (policy_train.py's doc, `task_resources`): a task asks for one GPU by default, none when
    the SAC config says device: cpu. It guards against `generate_on_ray` passing `on_cpu=behaviour.device != "cpu"`
    (inverted): CPU SACs then hold GPUs they never use (a quarter of the tasks at once on a 4-GPU node) and a CUDA SAC
    gets no GPU, so it trains on the CPU: slower, and its data is not that of the CUDA run asked for."""
    import rlkit.cluster.behaviour as ray_stage1
    from rlkit.cluster.engine import ClusterOptions

    class Cluster:  # a Ray cluster of one node with 16 CPUs and 4 GPUs
        def cluster_resources(self):
            return {"CPU": 16.0, "GPU": 4.0}

    asked = {}

    class Stop(Exception):
        pass

    def slots(ray, resources, opts, out):
        asked.update(resources)
        raise Stop

    monkeypatch.setattr(ray_stage1, "connect", lambda opts: (Cluster(), False))
    monkeypatch.setattr(ray_stage1, "task_slots", slots)
    behaviour = load_sac_config("tiny_point", [f"device={device}"])
    with pytest.raises(Stop):
        ray_stage1.generate_on_ray(
            "point-robot", POINT, tmp_path, [0, 1], "tiny_point", behaviour, ClusterOptions(), out=lambda line: None
        )
    assert asked["num_gpus"] == gpus


@pytest.mark.parametrize("override,gpu", [([], None), (["device=cpu"], -1)])
def test_stage1_runs_on_cuda_by_default_and_on_the_cpu_when_the_sac_config_says_so(monkeypatch, override, gpu):
    """Stage 1 runs on CUDA by default and on the CPU when the SAC config says device: cpu. policy_train.py's --gpu
    help: default CUDA device 0 when available, unless the SAC config says device: cpu. Without --gpu the device asked
    of `select_device` is None (CUDA when available) for the shipped configs (device: cuda), -1 (the CPU) for
    device=cpu. It guards against policy_train.py choosing the device with `behaviour.device != "cpu"` (inverted): every
    default run then trains on the CPU (days instead of hours, and not the CUDA data the config names), and device: cpu
    runs go to the GPU."""
    import policy_train
    import rlkit.cli
    from rlkit.cli import run_cli as run_command

    asked = []

    class Stop(Exception):
        pass

    def select_device(g, quiet=False):
        asked.append(g)
        raise Stop

    monkeypatch.setattr(rlkit.cli, "select_device", select_device)  # (what `sac_config_device` asks)
    with pytest.raises(Stop):
        run_command(policy_train.main, ["--config", str(TINY_CONFIG), "--sac_config", "tiny_point", *override])
    assert asked == [gpu]


def test_the_oracle_returns_go_on_past_a_task_that_has_not_begun(tmp_path):
    """`oracle_returns` skips (`continue`) a task folder without a task.json rather than stopping (`break`) at the first
    one. With --split, part 0's task 1 may not have begun (a locked folder, no task.json) while part 1's task 2 is
    complete: the curves' oracle line and behaviour_returns.csv's oracle_return column must still hold task 2's oracle
    return (curves.py's doc: each task's oracle return where the family has one)."""
    from rlkit.behaviour.curves import oracle_returns
    from rlkit.data.meta import write_task_meta
    from rlkit.tasks import make_env, oracle_return

    params = {"n_tasks": 3, "max_episode_steps": 20}
    for t in (0, 2):
        task_dir(tmp_path, t).mkdir()
        write_task_meta(task_dir(tmp_path, t), {"env_name": "point-robot-wind", "env_params": params, "complete": True})
    task_dir(tmp_path, 1).mkdir()
    (task_dir(tmp_path, 1) / ".lock").write_text("")  # held by a stage-1 process, not begun
    got = oracle_returns(tmp_path)
    env = make_env("point-robot-wind", **params)
    assert got == pytest.approx({0: oracle_return(env, 0), 2: oracle_return(env, 2)})


def _policy_train_here(monkeypatch, tmp_path, capsys, args, **patches):
    """policy_train.main through `run_cli` in tmp_path, with its stage-1 / regeneration entry points patched:
    (exit code or None, stderr)."""
    import policy_train
    from rlkit.cli import run_cli as run_command

    monkeypatch.chdir(tmp_path)
    for name, fn in patches.items():
        monkeypatch.setattr(policy_train, name, fn)
    code = None
    try:
        run_command(policy_train.main, args)
    except SystemExit as e:
        code = e.code
    return code, capsys.readouterr().err


def test_a_positional_config_beside_config_is_refused(tmp_path, monkeypatch, capsys):
    """policy_train.py refuses `CONFIG --config OTHER` (the `positional and config_opt` check). Two configs on one
    command line: one of them would be silently ignored (--config wins) and stage 1 would write the data of a config the
    user may not have meant; it must be one line, exit 2, nothing trained."""
    code, err = _policy_train_here(
        monkeypatch,
        tmp_path,
        capsys,
        [str(TINY_CONFIG), "--config", str(TINY_CONFIG), "--sac_config", "tiny_point"],
        generate_dataset=lambda *a, **k: pytest.fail("stage 1 started"),
    )
    assert code == 2 and "unexpected arguments" in err and "expected one config path" in err
    # an option it does not know, after the config: only that one is named, not the config beside it
    code, err = _policy_train_here(
        monkeypatch,
        tmp_path,
        capsys,
        [str(TINY_CONFIG), "--sac_config", "tiny_point", "--foo"],
        generate_dataset=lambda *a, **k: pytest.fail("stage 1 started"),
    )
    assert code == 2 and "unexpected arguments ['--foo']: expected one config path" in err, err


def test_seed_0_beside_a_seed_override_of_another_value_is_refused(tmp_path, monkeypatch, capsys):
    """`--seed S` applies whatever S is, 0 included, not only when S is truthy (`elif seed:`). `--seed 0 seed=3` must be
    refused like any other pair of different seeds (policy_train.py's doc: `--seed S` is the same as `seed=S`); with
    `elif seed:` --seed 0 is dropped and the run trains with seed 3, and a user's own SAC config with another seed
    ignores `--seed 0` altogether."""
    code, err = _policy_train_here(
        monkeypatch,
        tmp_path,
        capsys,
        ["--config", str(TINY_CONFIG), "--sac_config", "tiny_point", "--seed", "0", "seed=3"],
        generate_dataset=lambda *a, **k: pytest.fail("stage 1 started"),
    )
    assert code == 2 and "--seed 0 and seed=3" in err


def test_seed_beside_a_seed_override_of_the_same_number_written_otherwise_is_accepted():
    """`--seed 1 seed=01` (or `seed=+1`, `seed=1.0`) sets one seed, not two: compared as text, they were refused as
    "--seed 1 and seed=01"; another number, or no number, still is."""
    from policy_train import with_seed

    for same in ("seed=01", "seed=+1", "seed=1.0", "+seed=1"):
        assert with_seed([same], 1) == [same]
    for other in ("seed=2", "seed=x", "seed=1.5"):
        with pytest.raises(UserError, match=rf"^--seed 1 and seed={other[5:]}: expected one of them"):
            with_seed([other], 1)


def test_seed_0_reaches_the_behaviour_sac_over_a_sac_config_of_another_seed(tmp_path, monkeypatch, capsys):
    """A SAC config of one's own whose seed is 7, run with `--seed 0`, must train with seed 0 (the --seed option
    overrides the SAC config's seed). This is the second face of `--seed S` applied only when S is truthy: with
    `elif seed:` it trains with seed 7."""
    own = tmp_path / "mine.yaml"
    own.write_text("defaults:\n  - tiny_point\n  - _self_\nseed: 7\n")
    seen = {}
    code, err = _policy_train_here(
        monkeypatch,
        tmp_path,
        capsys,
        ["--config", str(TINY_CONFIG), "--sac_config", str(own), "--seed", "0", "--gpu", "-1"],
        generate_dataset=lambda env, kw, data_dir, tasks, name, behaviour, *a: seen.update(
            seed=behaviour.schedule.seed
        ),
    )
    assert code is None, err
    assert seen == {"seed": 0}


def test_a_seed_reaches_the_behaviour_sac(tmp_path, monkeypatch, capsys):
    """`with_seed` adds `seed=S` to the overrides when none names the seed: `--seed 5` is the behaviour SAC's seed
    (policy_train.py's doc). Were the overrides returned without it, every seed of a sweep would train seed 0's data."""
    seen = {}
    code, err = _policy_train_here(
        monkeypatch,
        tmp_path,
        capsys,
        ["--config", str(TINY_CONFIG), "--sac_config", "tiny_point", "--seed", "5", "--gpu", "-1"],
        generate_dataset=lambda env, kw, data_dir, tasks, name, behaviour, *a: seen.update(
            seed=behaviour.schedule.seed
        ),
    )
    assert code is None, err
    assert seen == {"seed": 5}


def test_regenerate_on_ray_is_refused(tmp_path, monkeypatch, capsys):
    """`--regenerate --ray` must be one line (regeneration runs on this machine only), not a regeneration that ignores
    --ray; and a plain `--ray` run must not be refused with that line. It guards against the `--ray` / `--regenerate`
    check inverted (`cluster and not regenerate`): inverted, every stage-1 run on Ray is refused. Both hold where Ray is
    not installed (the GPU image): the refusal comes first, and the plain run's Ray is faked."""
    monkeypatch.setattr("rlkit.cluster.options.require_ray", lambda: pytest.fail("asked for Ray before the refusal"))
    code, err = _policy_train_here(
        monkeypatch,
        tmp_path,
        capsys,
        ["--config", str(TINY_CONFIG), "--sac_config", "tiny_point", "--regenerate", "--ray"],
        regenerate_episodes=lambda *a, **k: pytest.fail("regenerated"),
    )
    assert code == 2 and "--regenerate runs on this machine only" in err
    monkeypatch.setattr("rlkit.cluster.options.require_ray", lambda: None)
    ray_runs = []
    code, err = _policy_train_here(
        monkeypatch,
        tmp_path,
        capsys,
        ["--config", str(TINY_CONFIG), "--sac_config", "tiny_point", "--ray"],
        generate_on_ray=lambda *a, **k: ray_runs.append(a[3]),
        generate_dataset=lambda *a, **k: pytest.fail("stage 1 started on this machine"),
    )
    assert code is None, err
    assert ray_runs == [list(range(6))]


def test_stage1_threads_sets_torchs_thread_count(tmp_path, monkeypatch, capsys):
    """policy_train.py's `--threads` sets torch's thread count: `--threads 1` (on a busy host 2-3x faster, its help
    says) must be the thread count stage 1 trains with. It guards against `--threads` ignored (its
    `torch.set_num_threads` dropped)."""
    before, seen = torch.get_num_threads(), {}
    torch.set_num_threads(2)
    try:
        code, err = _policy_train_here(
            monkeypatch,
            tmp_path,
            capsys,
            ["--config", str(TINY_CONFIG), "--sac_config", "tiny_point", "--threads", "1", "--gpu", "-1"],
            generate_dataset=lambda *a, **k: seen.update(threads=torch.get_num_threads()),
        )
    finally:
        torch.set_num_threads(before)
    assert code is None, err
    assert seen == {"threads": 1}


def test_a_part_without_tasks_says_so_and_trains_nothing(tmp_path, monkeypatch, capsys):
    """A part that holds no tasks says so and exits 0 (policy_train.py's doc) without starting stage 1 on no tasks: the
    tiny config's 6 tasks in 7 parts leave part 3 with none. It guards against the empty-part exit dropped
    (`if tasks is None:`)."""
    import policy_train
    from rlkit.cli import run_cli as run_command

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(policy_train, "generate_dataset", lambda *a, **k: pytest.fail("stage 1 started on no tasks"))
    run_command(
        policy_train.main,
        ["--config", str(TINY_CONFIG), "--sac_config", "tiny_point", "--split", "7", "--split_idx", "3", "--gpu", "-1"],
    )
    assert "part 3 of 7 holds no tasks (6 tasks in 7 parts): nothing to do" in capsys.readouterr().out


def test_regenerate_hands_its_options_to_the_regeneration(tmp_path, monkeypatch, capsys):
    """`--regenerate --n_trj 3 --checkpoints 100,200 --seed 4 --overwrite` must regenerate 3 episodes per checkpoint of
    100 and 200 from seed 4, replacing files of other settings: `--n_trj` and `--overwrite` reach the regeneration. With
    either not reaching it (`n_trj=None`, `overwrite=False`) it writes as many episodes as the data holds, or refuses to
    replace the files the user asked it to. (tests/test_regenerate.py.)"""
    seen = {}
    code, err = _policy_train_here(
        monkeypatch,
        tmp_path,
        capsys,
        ["--config", str(TINY_CONFIG), "--regenerate", "--n_trj", "3", "--checkpoints", "100,200", "--seed", "4"]
        + ["--overwrite", "--gpu", "-1"],
        regenerate_episodes=lambda env, kw, data_dir, tasks, **k: seen.update(tasks=tasks, **k),
    )
    assert code is None, err
    assert seen == {
        "tasks": list(range(6)),
        "n_trj": 3,
        "checkpoints": [100, 200],
        "seed": 4,
        "overwrite": True,
        "device": torch.device("cpu"),
    }


def test_policy_trains_seed_is_the_sac_seeds_range(tmp_path, monkeypatch, capsys):
    """`--seed` is a SAC seed, [0, 2**32 - 1], for training and for --regenerate alike: 2**32 - 1 reaches the
    regeneration; 2**32 (or 2**64, which np.savez would store as a pickled object, so that no rerun could read its
    own file back) is one line before anything is read."""
    seen = {}
    args = ["--config", str(TINY_CONFIG), "--regenerate", "--gpu", "-1", "--seed"]
    regenerate = {"regenerate_episodes": lambda env, kw, data_dir, tasks, **k: seen.update(k)}
    code, err = _policy_train_here(monkeypatch, tmp_path, capsys, [*args, str(2**32 - 1)], **regenerate)
    assert code is None and seen["seed"] == 2**32 - 1, err
    for seed in (2**32, 2**64):
        fail = {"regenerate_episodes": lambda *a, **k: pytest.fail("regenerated")}
        code, err = _policy_train_here(monkeypatch, tmp_path, capsys, [*args, str(seed)], **fail)
        assert code == 2 and f"Invalid value for '--seed': {seed} is not in the range 0<=x<=4294967295" in err, err


def test_regenerate_with_an_empty_checkpoint_list_is_refused(tmp_path, monkeypatch, capsys):
    """`--checkpoints ''` is refused, not taken as no --checkpoints (`if checkpoints else None`). `parse_checkpoints`'s
    doc: an empty entry is an error, not "every checkpoint": a script whose list came out empty must not regenerate
    every saved checkpoint (tests/test_regenerate.py)."""
    code, err = _policy_train_here(
        monkeypatch,
        tmp_path,
        capsys,
        ["--config", str(TINY_CONFIG), "--regenerate", "--checkpoints", "", "--gpu", "-1"],
        regenerate_episodes=lambda *a, **k: pytest.fail("every checkpoint regenerated"),
    )
    assert code == 2 and "--checkpoints '': the list is empty" in err
    for given, said in [("100,100", "100 appears twice"), ("-100", "-100 is below 0")]:  # (a repeat was taken)
        code, err = _policy_train_here(
            monkeypatch,
            tmp_path,
            capsys,
            ["--config", str(TINY_CONFIG), "--regenerate", "--checkpoints", given, "--gpu", "-1"],
            regenerate_episodes=lambda *a, **k: pytest.fail("regenerated"),
        )
        assert code == 2 and f"--checkpoints '{given}': {said}" in err, err


def test_no_progress_turns_stage_1s_progress_off(tmp_path, monkeypatch, capsys):
    """`--no-progress` must hand stage 1 "off" (no output), and a run without it the default (None: bars on a terminal,
    a line per checkpoint otherwise). It guards against `--no-progress` inverted (`None if no_progress else "off"`):
    inverted, every plain run is silent for hours and --no-progress prints."""
    seen = []
    for extra in (["--no-progress"], []):
        code, err = _policy_train_here(
            monkeypatch,
            tmp_path,
            capsys,
            ["--config", str(TINY_CONFIG), "--sac_config", "tiny_point", "--gpu", "-1", *extra],
            generate_dataset=lambda *a, **k: seen.append(a[7]),
        )
        assert code is None, err
    assert seen == ["off", None]


def test_a_rerun_of_an_interrupted_group_continues_from_its_saved_step_not_from_step_0(tmp_path, monkeypatch):
    """`generate_dataset` restores a group whose saved state is there (`if g.resume_path.is_file():`). The module doc:
    an interrupted run resumes the others from their group's last saved state. Without that restore the rerun still says
    "resuming ... at step N" but trains the group again from step 0: the whole of an interrupted stage 1 (hours per
    group at the shipped settings) is redone, and its resume record is a lie."""
    from rlkit.behaviour import generate_dataset

    behaviour = load_sac_config("tiny_point", ["tasks_per_group=2", "save_networks=false"])
    finish, run = TaskGroup.finish, TaskGroup.run

    def killed(self):
        raise KeyboardInterrupt  # after the last checkpoint and its saved state, before the tasks are marked complete

    monkeypatch.setattr(TaskGroup, "finish", killed)
    with pytest.raises(KeyboardInterrupt):
        generate_dataset("point-robot", POINT, tmp_path, [0, 1], "tiny_point", behaviour, torch.device("cpu"), "off")
    saved = torch.load(next((tmp_path / "stage1_resume").glob("*.pt")), weights_only=True)["step"]
    assert saved > 0
    monkeypatch.setattr(TaskGroup, "finish", finish)
    started = []

    def recording(self, *args, **kwargs):
        started.append(self.step)
        return run(self, *args, **kwargs)

    monkeypatch.setattr(TaskGroup, "run", recording)
    generate_dataset("point-robot", POINT, tmp_path, [0, 1], "tiny_point", behaviour, torch.device("cpu"), "off")
    assert started == [saved]
    assert all(read_task_meta(task_dir(tmp_path, t))["complete"] for t in (0, 1))


def _stage1_on_a_fake_ray(
    tmp_path,
    monkeypatch,
    tasks,
    overrides,
    cpus_per_task=None,
    started=False,
    env_params=POINT,
    slots=None,
    connect=None,
):
    """`generate_on_ray` of `tasks` (tiny_point with `overrides`, on `env_params`) on a stand-in for a Ray cluster this
    process was already connected to (`started`: one the command's connect started): what it submitted (each
    segment's arguments), the chains it drove and the times it shut Ray down, then the lines it printed. The segments
    are not run. `slots` and `connect` stand in for `task_slots` (default: 1 slot) and `connect`."""
    import rlkit.cluster.behaviour as ray_stage1
    from rlkit.cluster.engine import ClusterOptions

    seen = {"submitted": [], "chains": [], "shutdown": 0}

    class Cluster:  # a cluster of one node of 4 CPUs
        def cluster_resources(self):
            return {"CPU": 4.0}

        def shutdown(self):
            seen["shutdown"] += 1

    class Segment:
        def remote(self, *args):
            seen["submitted"].append(args)
            return object()

    def drive(ray, chains, slots, out):
        for chain in chains:
            seen["chains"].append(chain.name)
            chain.submit(None)
        return []

    monkeypatch.setattr(ray_stage1, "connect", connect or (lambda opts: (Cluster(), started)))
    monkeypatch.setattr(ray_stage1, "task_slots", slots or (lambda ray, resources, opts, out: 1))
    monkeypatch.setattr(ray_stage1, "remote", lambda ray, fn, resources, opts: Segment())
    monkeypatch.setattr(ray_stage1, "drive", drive)
    behaviour = load_sac_config("tiny_point", overrides)
    lines = []
    ray_stage1.generate_on_ray(
        "point-robot",
        env_params,
        tmp_path,
        tasks,
        "tiny_point",
        behaviour,
        ClusterOptions(**({"cpus_per_task": cpus_per_task} if cpus_per_task else {})),
        out=lines.append,
    )
    return seen, lines


def test_stage1_on_ray_segments_save_networks_only_when_the_sac_config_says_so(tmp_path, monkeypatch):
    """`generate_on_ray` submits every segment with the SAC config's `save_networks` (the argument checked here), not
    save_networks=True. Why it matters: with save_networks=false the dataset records "saved_networks": false
    (stage1_settings.json), but with save_networks=True each Ray segment would write networks anyway (about as large
    as the episodes, per checkpoint) and its task.json say saved_networks true: a dataset of two settings, which the
    checks refuse (tests/test_dataset.py::test_check_compares_every_task_with_the_settings_the_dataset_records,
    tests/test_sac.py::test_complete_data_of_other_settings_is_refused)."""
    seen, _ = _stage1_on_a_fake_ray(tmp_path, monkeypatch, [0, 1], ["save_networks=false"])
    assert len(seen["submitted"]) == 2
    assert [args[3] for args in seen["submitted"]] == [0, 1]  # (cpus, env_name, env_params, task, ...)
    assert [args[6] for args in seen["submitted"]] == [False, False]  # (..., sched, sac, save_networks, state)
    seen, _ = _stage1_on_a_fake_ray(tmp_path / "with", monkeypatch, [0], [])
    assert seen["submitted"][0][6] is True


def test_stage1_on_ray_records_the_datasets_settings_and_shuts_down_only_a_ray_it_started(tmp_path, monkeypatch):
    """`generate_on_ray` records the dataset's stage-1 settings (stage1_settings.json, which a --split part of other
    settings is refused by), as the plain run does, and shuts Ray down at its end only where its connect started it
    (a notebook's connection stays open). Neither was checked: every stand-in cluster was one joined before."""
    from rlkit.behaviour.generate import group_settings, read_dataset_settings

    seen, _ = _stage1_on_a_fake_ray(tmp_path / "a", monkeypatch, [0], ["save_networks=false"])
    assert seen["shutdown"] == 0
    behaviour = load_sac_config("tiny_point", ["save_networks=false"])
    want = group_settings("point-robot", POINT, behaviour.schedule, behaviour.sac, False)
    assert read_dataset_settings(tmp_path / "a") == want and want["save_networks"] is False
    seen, _ = _stage1_on_a_fake_ray(tmp_path / "b", monkeypatch, [0], ["save_networks=false"], started=True)
    assert seen["shutdown"] == 1


def test_a_refused_stage1_run_records_no_settings_for_the_dataset(tmp_path, monkeypatch):
    """A stage-1 run refused before it trains leaves no stage1_settings.json, which would refuse the corrected rerun
    ("records other stage-1 settings"): tiny_point's 300 steps on 300-step episodes, where no checkpoint would come
    (refused by the plain run and by the Ray driver before it connects, rather than in each worker once submitted);
    Ray's connect failing; and Ray refusing the resources a task asks (no GPU on the cluster)."""
    from rlkit.behaviour import generate_dataset

    long = {**POINT, "max_episode_steps": 300}
    behaviour = load_sac_config("tiny_point", ["save_networks=false"])
    no_checkpoint = r"num_train_steps=300: no checkpoint would come, expected an end of the env's 300-step episodes"
    with pytest.raises(UserError, match=no_checkpoint):
        generate_dataset(
            "point-robot", long, tmp_path / "plain", [0, 1], "tiny_point", behaviour, torch.device("cpu"), "off"
        )
    assert not (tmp_path / "plain" / "stage1_settings.json").exists()

    def no_ray(opts):
        raise UserError("no Ray here")

    with pytest.raises(UserError, match=no_checkpoint):
        _stage1_on_a_fake_ray(tmp_path / "ray", monkeypatch, [0, 1], ["save_networks=false"], env_params=long)
    with pytest.raises(UserError, match="no Ray here"):
        _stage1_on_a_fake_ray(tmp_path / "ray", monkeypatch, [0, 1], ["save_networks=false"], connect=no_ray)

    def no_gpu(ray, resources, opts, out):
        raise UserError("--gpus-per-task 1: the Ray cluster has no GPUs")

    with pytest.raises(UserError, match="has no GPUs"):
        _stage1_on_a_fake_ray(tmp_path / "ray", monkeypatch, [0, 1], ["save_networks=false"], slots=no_gpu)
    assert not (tmp_path / "ray" / "stage1_settings.json").exists()


def test_stage1_on_ray_refuses_tasks_an_interrupted_plain_run_saved_before_joining_ray(tmp_path, monkeypatch):
    """`generate_on_ray` refuses to train tasks whose group state an interrupted plain run saved
    (stage1_resume/tasks0-1.pt), before it submits anything: Ray would train them from their start and a later plain
    run resume them over the finished data. `refuse_saved_groups` was tested alone, not its call here."""
    from rlkit.behaviour.generate import resume_file

    saved = resume_file(tmp_path, [0, 1])
    saved.parent.mkdir(parents=True)
    saved.write_bytes(b"")
    with pytest.raises(UserError, match=r"tasks0-1.pt' holds an interrupted plain run's state of tasks \[0, 1\]"):
        _stage1_on_a_fake_ray(tmp_path, monkeypatch, [0, 1], ["save_networks=false"])


def test_a_stage1_segment_trains_one_checkpoint_and_saves_networks_only_when_told(tmp_path, monkeypatch):
    """`behaviour_segment` on a worker (here in this process): it trains the task to its next checkpoint, returns that
    checkpoint's files, with networks/step{c}.pt only under save_networks, and a state from which the next segment
    trains to the next checkpoint. Every other stage-1 Ray test stood a recorder in for the segment, so a segment
    passing save_networks=True whatever it was given, or returning no state (every task ending at its first
    checkpoint), passed them."""
    import rlkit.cluster.behaviour as ray_stage1
    from rlkit.cluster.engine import WorkerContext

    monkeypatch.setattr(ray_stage1, "begin_segment", lambda cpus: WorkerContext(1, torch.device("cpu"), "node", "h"))
    behaviour = load_sac_config("tiny_point", [])
    checkpoints = {}
    for save in (False, True):
        first = ray_stage1.behaviour_segment(
            1.0, "point-robot", POINT, 0, behaviour.schedule, behaviour.sac, save, None
        )
        assert any(k.startswith("networks/") for k in first.files) is save, save
        assert "task.json" in first.files and first.state is not None
        then = ray_stage1.behaviour_segment(
            1.0, "point-robot", POINT, 0, behaviour.schedule, behaviour.sac, save, first.state
        )
        checkpoints[save] = (first.info["checkpoint"], then.info["checkpoint"])
    assert checkpoints[False] == checkpoints[True] and checkpoints[True][0] < checkpoints[True][1]


def test_stage1_on_ray_segments_get_the_cpus_ray_reserves_for_them(tmp_path, monkeypatch):
    """A segment is told the CPUs its task reserves (--cpus-per-task), its threads: sent 1, a task of 2 CPUs ran on
    one thread (the default of 1 hid it)."""
    seen, _ = _stage1_on_a_fake_ray(tmp_path, monkeypatch, [0, 1], ["save_networks=false"], cpus_per_task=2)
    assert [args[0] for args in seen["submitted"]] == [2.0, 2.0]


def test_stage1_on_ray_trains_only_the_tasks_that_are_not_complete(tmp_path, monkeypatch):
    """`generate_on_ray` drives a chain for the part's pending tasks (`todo`) only, not for every task of the part
    (`for t in tasks`). policy_train.py's doc: a rerun skips complete tasks. Driving every task, a rerun on Ray retrains
    a complete task from its start (its finished data overwritten checkpoint by checkpoint, and marked incomplete
    meanwhile), while the line it prints says that task is already complete."""
    from rlkit.behaviour import train_task_group

    behaviour = load_sac_config("tiny_point", ["save_networks=false"])
    spec = Stage1Spec(
        "point-robot", POINT, behaviour.schedule, behaviour.sac, tmp_path, torch.device("cpu"), save_networks=False
    )
    train_task_group(spec, [0], "off")
    seen, lines = _stage1_on_a_fake_ray(tmp_path, monkeypatch, [0, 1], ["save_networks=false"])
    assert "1 already complete, 1 to train" in lines[0]
    assert seen["chains"] == ["goal_idx1"] and [args[3] for args in seen["submitted"]] == [1]


def test_the_oracle_returns_use_the_env_params_a_task_recorded_over_the_ones_given(tmp_path):
    """`oracle_returns` prefers the env_params that task.json records over the `env_params` given (the config's, for
    datasets older than the record), not the reverse (`env_params or meta.get("env_params")`). The doc: from task.json
    where recorded, `env_params` only for older datasets. Preferring the ones given, curves drawn with a config whose
    episode length differs from the dataset's put the oracle line (and behaviour_returns.csv's oracle_return) at another
    horizon's return, so the behaviour data looks far from (or past) the oracle."""
    from rlkit.behaviour.curves import oracle_returns
    from rlkit.data.meta import write_task_meta
    from rlkit.tasks import make_env, oracle_return

    recorded, other = {"n_tasks": 3, "max_episode_steps": 20}, {"n_tasks": 3, "max_episode_steps": 5}
    for t in (0, 1):
        task_dir(tmp_path, t).mkdir()
        write_task_meta(
            task_dir(tmp_path, t), {"env_name": "point-robot-wind", "env_params": recorded, "complete": True}
        )
    want = {t: oracle_return(make_env("point-robot-wind", **recorded), t) for t in (0, 1)}
    assert want != pytest.approx({t: oracle_return(make_env("point-robot-wind", **other), t) for t in (0, 1)})
    assert oracle_returns(tmp_path, other) == pytest.approx(want)


def test_regenerate_takes_a_device_override_in_its_plus_form(tmp_path, monkeypatch, capsys):
    """`device=` is the one SAC override --regenerate takes, in hydra's `++device=` form too: it names
    the same key, so `--regenerate ++device=cpu` regenerates rather than being refused as an unused override."""
    ran = []
    code, err = _policy_train_here(
        monkeypatch,
        tmp_path,
        capsys,
        ["--config", str(TINY_CONFIG), "--sac_config", "tiny_point", "--regenerate", "++device=cpu", "--gpu", "-1"],
        regenerate_episodes=lambda *a, **k: ran.append(a[3]),
    )
    assert code is None, err
    assert ran == [list(range(6))]


def test_a_part_without_tasks_counts_its_zero_tasks_in_the_plural(tmp_path, monkeypatch, capsys):
    import policy_train
    from rlkit.cli import run_cli as run_command

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(policy_train, "generate_dataset", lambda *a, **k: pytest.fail("stage 1 started on no tasks"))
    run_command(
        policy_train.main,
        ["--config", str(TINY_CONFIG), "--sac_config", "tiny_point", "--split", "7", "--split_idx", "3", "--gpu", "-1"],
    )
    assert capsys.readouterr().out.startswith("stage 1 on point-robot, part 3 of 7 (0 tasks): device cpu")


def test_a_seed_override_in_hydras_force_form_is_checked_against_the_seed_option():
    """`++seed=3` sets the same key as `seed=3`: beside `--seed 4` it is refused, not overridden in silence by the
    `seed=4` appended after it."""
    from policy_train import with_seed

    with pytest.raises(UserError, match=r"^--seed 4 and seed=3: expected one of them"):
        with_seed(["++seed=3"], 4)
    assert with_seed(["++seed=4"], 4) == ["++seed=4"]


@pytest.mark.parametrize(
    "extra, said",
    [
        (["agent.name=td3"], "SAC override 'agent.name=td3': agent.name is read by nothing here"),
        (["experiment=mine"], "SAC override 'experiment=mine': experiment is read by nothing here"),
        (["hydra.run.dir=/elsewhere"], "SAC override 'hydra.run.dir=/elsewhere': hydra.run.dir is read by nothing"),
        (["+hydra.nope=1"], "SAC override '+hydra.nope=1': hydra.nope is read by nothing here"),
        (
            ["agent.params.batch_size=32", "agent.params={batch_size:64}"],
            "SAC override 'agent.params={batch_size:64}' after 'agent.params.batch_size=32': expected each key once",
        ),
        (
            ["agent.params={batch_size:64}", "agent.params.batch_size=32"],
            "SAC override 'agent.params.batch_size=32' after 'agent.params={batch_size:64}': expected each key once",
        ),
        (["--sac_config", "./tiny_point"], "unknown --sac_config './tiny_point': expected one of ["),
        (["--sac_config", "agent/sac"], "unknown --sac_config 'agent/sac': expected one of ["),
        (["--gpu", "0", "device=cpu"], "--gpu 0 and device=cpu: expected one of them"),
        (["--gpu", "-1", "device=cuda"], "--gpu -1 and device=cuda: expected one of them"),
        (["--regenerate", "--no-progress"], "--no-progress with --regenerate: expected it without"),
        (["--regenerate", "--capture"], "--capture/--eager with --regenerate: expected it without"),
        (["--split", str(10**400), "--split_idx", "0"], "is not in the range 1<=x<=2147483647"),
    ],
    ids=[
        "agent-name",
        "experiment",
        "hydra",
        "hydra-plus",
        "dict-after-key",
        "key-after-dict",
        "path-name",
        "folder-name",
        "gpu-cpu",
        "cpu-cuda",
        "regenerate-no-progress",
        "regenerate-capture",
        "huge-split",
    ],
)
def test_stage1_input_that_would_be_ignored_or_clash_is_one_line(tmp_path, monkeypatch, capsys, extra, said):
    """Each was taken without a word (a key nothing reads, a later dict override replacing an earlier key, --gpu
    beating device=, --regenerate's ignored options), misread (a --sac_config name with a path), or a traceback (a
    --split beyond a float): one line, exit 2, nothing trained or regenerated."""
    sac = [] if "--sac_config" in extra else ["--sac_config", "tiny_point"]
    code, err = _policy_train_here(
        monkeypatch,
        tmp_path,
        capsys,
        ["--config", str(TINY_CONFIG), *sac, *extra],
        generate_dataset=lambda *a, **k: pytest.fail("trained"),
        regenerate_episodes=lambda *a, **k: pytest.fail("regenerated"),
    )
    assert code == 2 and said in err and len(err.strip().splitlines()) == 1, err


def test_gpu_and_a_device_override_naming_one_device_are_taken(tmp_path, monkeypatch, capsys):
    """--gpu -1 with device=cpu (and --gpu 0 with device=cuda) name one device: taken, as the regeneration's
    `++device=cpu --gpu -1` is."""
    ran = []
    monkeypatch.setattr("rlkit.cli.torch.cuda.is_available", lambda: True)
    monkeypatch.setattr("rlkit.cli.torch.cuda.device_count", lambda: 1)
    for extra in (["--gpu", "-1", "device=cpu"], ["--gpu", "0", "device=cuda"]):
        code, err = _policy_train_here(
            monkeypatch,
            tmp_path,
            capsys,
            ["--config", str(TINY_CONFIG), "--sac_config", "tiny_point", *extra],
            generate_dataset=lambda *a, **k: ran.append(str(a[6])),
        )
        assert code is None, err
    assert ran == ["cpu", "cuda:0"]
