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

POINT = {"n_tasks": 6, "max_episode_steps": 20}


def test_the_first_checkpoint_comes_only_after_more_than_the_seed_steps():
    """Mutation J21: `Schedule.checkpoint_due` with `num_seed_steps <= steps` for `num_seed_steps < steps`. Its rule
    (the Schedule doc): a checkpoint at an episode boundary *after more than* num_seed_steps steps. The shipped configs
    have num_seed_steps == eval_frequency (tiny_point 100/100, train 50000/50000), so with the slip the first
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
    """Mutation J04: the step key of the vectorised update taken modulo max(actor_update_frequency,
    critic_target_update_frequency) instead of their lcm. With frequencies 2 and 3 the actor must update at the
    steps s >= num_seed_steps with s % 2 == 0 (pytorch_sac's rule: `step % actor_update_frequency == 0`); with the
    slip it updates at s % 3 in {0, 2}, another SAC than the one configured."""
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

    def counting(batch, key):
        steps.append(100 + len(steps))  # the updates run once per env step from num_seed_steps (100) on
        return update(batch, key)

    group.updater = counting
    group.begin()
    group.run()
    assert steps == list(range(100, 130))
    assert updated == [s for s in range(100, 130) if s % 2 == 0]


@pytest.mark.slow
def test_each_tasks_json_lists_its_own_checkpoints_in_a_group_whose_episodes_end_early(tmp_path):
    """Mutation J11: task.json's `checkpoints` taken from the group's first task for every task. Hopper's episodes end
    when it falls, so the tasks of a group reach checkpoints at different steps; docs/data-format.md: task.json lists
    the task's checkpoints, which the loaders read. Each task's list must be exactly the step files in its own
    folder, else a task's data names checkpoints it does not have (or hides ones it has)."""
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
    """Mutation J20: `with_seed` refusing only when *every* seed= override differs from --seed (`all` for `any`).
    `--seed 1 seed=1 seed=2`: the later override wins in hydra, so the run would train with seed 2 while the user
    asked for 1 (and a seed sweep would write two runs of one seed); policy_train.py's doc: a seed= override of
    another value is an error."""
    from policy_train import with_seed

    assert with_seed(["seed=1"], 1) == ["seed=1"]
    with pytest.raises(UserError, match="--seed 1"):
        with_seed(["seed=1", "seed=2"], 1)


def test_overwrite_without_regenerate_is_refused_before_training(tmp_path, monkeypatch, capsys):
    """Mutation J22: `--overwrite` dropped from the "applies to --regenerate only" check. `policy_train.py --overwrite`
    (a user who forgot --regenerate) must exit 2 with one line, not start a stage-1 training run; the command
    trains nothing (stage 1 is patched to fail the test if reached)."""
    import policy_train
    from rlkit.cli import run_cli as run_command

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(policy_train, "generate", lambda *a, **k: pytest.fail("stage 1 started"))
    from tests.conftest import TINY_CONFIG

    with pytest.raises(SystemExit) as e:
        run_command(policy_train.main, ["--config", str(TINY_CONFIG), "--sac_config", "tiny_point", "--overwrite"])
    assert e.value.code == 2
    assert "apply to --regenerate only" in capsys.readouterr().err


def test_a_run_of_several_groups_interrupted_in_its_second_group_resumes_it(tmp_path, monkeypatch, capsys):
    """Mutation J01: `generate` saving every group's state under the file named for all the run's tasks
    (`resume_file(data_dir, tasks)`) instead of the group's own (`resume_file(data_dir, part)`). With
    tasks_per_group=1, tasks [0, 1] train as two groups; a run interrupted in group [1] after it saved its state must
    resume that group when rerun (the module doc: an interrupted run skips the complete tasks and resumes the others
    from their group's last saved state). With the slip the rerun finds a state said to hold tasks 0..1 and refuses
    to train at all, so a long multi-group stage 1 cannot be resumed."""
    from rlkit.behaviour import generate

    behaviour = load_sac_config("tiny_point", ["tasks_per_group=1", "save_networks=false"])
    finish = TaskGroup.finish

    def killed_in_group_1(self):
        if self.tasks == [1]:
            raise KeyboardInterrupt  # after its last checkpoint and saved state, before it is marked complete
        finish(self)

    monkeypatch.setattr(TaskGroup, "finish", killed_in_group_1)
    with pytest.raises(KeyboardInterrupt):
        generate("point-robot", POINT, tmp_path, [0, 1], "tiny_point", behaviour, torch.device("cpu"), "off")
    assert read_task_meta(task_dir(tmp_path, 0))["complete"] and not read_task_meta(task_dir(tmp_path, 1))["complete"]
    monkeypatch.setattr(TaskGroup, "finish", finish)
    capsys.readouterr()
    try:
        generate("point-robot", POINT, tmp_path, [0, 1], "tiny_point", behaviour, torch.device("cpu"), "off")
    except UserError as e:
        pytest.fail(f"the rerun refused to resume the interrupted group: {e}")
    out = capsys.readouterr().out
    assert "1 already complete, 1 to train" in out and "resuming tasks 1..1 at step" in out
    assert read_task_meta(task_dir(tmp_path, 1))["complete"]
    assert not (tmp_path / "stage1_resume").exists()


def test_a_rerun_trains_only_the_tasks_that_are_not_complete(tmp_path, monkeypatch):
    """Mutation J24: `generate` grouping the run's tasks (`tasks[start : start + group]`) instead of its pending ones
    (`todo[...]`). policy_train.py's doc: tasks whose data is complete are skipped, so a rerun resumes. Tasks [0, 1]
    in groups of one, interrupted in group [1]: the rerun must train group [1] only. With the slip it retrains the
    complete task 0 (marking its finished data incomplete meanwhile) and never finishes task 1."""
    from rlkit.behaviour import generate

    behaviour = load_sac_config("tiny_point", ["tasks_per_group=1", "save_networks=false"])
    finish, train = TaskGroup.finish, TaskGroup.train

    def killed_in_group_1(self):
        if self.tasks == [1]:
            raise KeyboardInterrupt
        finish(self)

    monkeypatch.setattr(TaskGroup, "finish", killed_in_group_1)
    with pytest.raises(KeyboardInterrupt):
        generate("point-robot", POINT, tmp_path, [0, 1], "tiny_point", behaviour, torch.device("cpu"), "off")
    monkeypatch.setattr(TaskGroup, "finish", finish)
    trained = []

    def recording(self):
        trained.append(list(self.tasks))
        train(self)

    monkeypatch.setattr(TaskGroup, "train", recording)
    generate("point-robot", POINT, tmp_path, [0, 1], "tiny_point", behaviour, torch.device("cpu"), "off")
    assert trained == [[1]]
    assert all(read_task_meta(task_dir(tmp_path, t))["complete"] for t in (0, 1))


@pytest.mark.parametrize("device,gpus", [("cpu", 0.0), ("cuda", 1.0)])
def test_stage1_on_ray_asks_a_gpu_per_task_only_for_a_sac_that_runs_on_one(tmp_path, monkeypatch, device, gpus):
    """Mutation J31: `generate_on_ray` passing `on_cpu=behaviour.device != "cpu"` (inverted). On a cluster with GPUs
    (policy_train.py's doc, `task_resources`): a task asks for one GPU by default, none when the SAC config says
    device: cpu. Inverted, CPU SACs hold GPUs they never use (a quarter of the tasks at once on a 4-GPU node) and a
    CUDA SAC gets no GPU, so it trains on the CPU: slower, and its data is not that of the CUDA run asked for."""
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
    """Mutation J46: policy_train.py choosing the device with `behaviour.device != "cpu"` (inverted). Its --gpu help:
    default CUDA device 0 when available, unless the SAC config says device: cpu. Without --gpu the device asked of
    `select_device` is None (CUDA when available) for the shipped configs (device: cuda), -1 (the CPU) for
    device=cpu; inverted, every default run trains on the CPU (days instead of hours, and not the CUDA data the
    config names), and device: cpu runs go to the GPU."""
    import policy_train
    from rlkit.cli import run_cli as run_command
    from tests.conftest import TINY_CONFIG

    asked = []

    class Stop(Exception):
        pass

    def select_device(g):
        asked.append(g)
        raise Stop

    monkeypatch.setattr(policy_train, "select_device", select_device)
    with pytest.raises(Stop):
        run_command(policy_train.main, ["--config", str(TINY_CONFIG), "--sac_config", "tiny_point", *override])
    assert asked == [gpu]


def test_the_oracle_returns_go_on_past_a_task_that_has_not_begun(tmp_path):
    """Mutation J47: `oracle_returns` stopping (`break`) at the first task folder without a task.json instead of
    skipping it (`continue`). With --split, part 0's task 1 may not have begun (a locked folder, no task.json) while
    part 1's task 2 is complete: the curves' oracle line and behaviour_returns.csv's oracle_return column must still
    hold task 2's oracle return (curves.py's doc: each task's oracle return where the family has one)."""
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
