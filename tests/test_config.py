import functools
import json
import re

import pytest

from rlkit.config import load_config, overrides_read_by, parse_override_args
from rlkit.errors import UserError
from rlkit.run_folder import config_differences
from tests.conftest import ROOT, load_file


def test_reference_point_config_loads():
    cfg = load_config(ROOT / "configs" / "point-robot.json")
    a = cfg.algo_params
    assert (cfg.env_name, cfg.n_train_tasks, cfg.n_eval_tasks, cfg.latent_size) == ("point-robot", 30, 10, 20)
    assert (a.meta_batch, a.embedding_batch_size, a.batch_size, a.num_iterations) == (16, 1024, 256, 65)
    assert (a.discount, a.reward_scale, a.club_loss_weight, a.use_brac) == (0.9, 100.0, 25.0, False)
    assert a.train_epoch == [2200, 5000, 200] and isinstance(cfg.randomize_tasks, bool)


def test_overrides_by_dotted_path_and_leaf_name():
    o = parse_override_args(["--algo_params.num_iterations", "2", "--use_brac", "true", "--exp_name", "x"])
    assert o == {"algo_params": {"num_iterations": 2, "use_brac": True}, "util_params": {"exp_name": "x"}}
    cfg = load_config(ROOT / "configs" / "point-robot.json", o)
    assert cfg.algo_params.num_iterations == 2 and cfg.algo_params.use_brac is True


def test_unknown_key_names_it(tmp_path):
    p = tmp_path / "c.json"
    p.write_text(json.dumps({"algo_params": {"meta_bach": 3}}))
    with pytest.raises(UserError, match="'algo_params.meta_bach'"):
        load_config(p)


@pytest.mark.parametrize(
    "key,value,match",
    [
        ("num_iterations", "abc", "algo_params.num_iterations' must be an integer"),
        ("discount", "fast", "algo_params.discount' must be a number"),
        ("use_brac", "2", "algo_params.use_brac' must be true/false"),
        ("train_epoch", "[1, 2]", r"train_epoch \[1, 2\]: expected \[start, stop, step\]"),
        (
            "train_epoch",
            "[100, 300, 0]",
            r"train_epoch \[100, 300, 0\]: expected \[start, stop, step\] with 0 <= start < stop",
        ),
        ("eval_epoch", "[300, 100, 100]", r"eval_epoch \[300, 100, 100\]: expected .* 0 <= start < stop and step > 0"),
        ("reward_scale", "Infinity", "'algo_params.reward_scale' inf: expected a finite number"),
        ("discount", "NaN", "'algo_params.discount' nan: expected a finite number"),
        ("alpha_max", "-Infinity", "'algo_params.alpha_max' -inf: expected a finite number"),
        (
            "discount",
            "1" + "0" * 400,
            r"'algo_params.discount' 10{400}: expected a finite number \(at most 1\.798e\+308\)",
        ),
    ],
)
def test_wrong_types_are_one_line_errors(key, value, match):
    with pytest.raises(UserError, match=match):
        load_config(None, parse_override_args([f"--{key}", value]))


def test_missing_config_file():
    with pytest.raises(UserError, match="not found"):
        load_config("nope.json")


@pytest.mark.parametrize(
    "content,match",
    [
        (b"[]", r"^config file '.*c.json' holds a JSON list: expected an object, config keys, as in configs/"),
        (b'"x"', r"^config file '.*c.json' holds a JSON str: expected an object, config keys, as in configs/"),
        (
            b'{"env_name": "point\xff"}',
            r"^config file '.*c.json' is not valid JSON \(.*codec.*\): expected config keys",
        ),
        (b'{"env_name": ', r"^config file '.*c.json' is not valid JSON \(Expecting value.*\): expected config keys"),
        # nested deeper than Python's stack, or a number int() refuses: json's RecursionError and ValueError were
        # tracebacks (every JSON file the project reads goes through `read_json`: task.json, sweeps, --against)
        (b'{"latent_size": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", r"is not valid JSON \(nested too deeply\)"),
        (b'{"latent_size": ' + b"9" * 5000 + b"}", r"is not valid JSON \(a number of more than 4300 digits\)"),
    ],
)
def test_a_config_file_that_is_not_a_json_object_is_one_line(tmp_path, content, match):
    (tmp_path / "c.json").write_bytes(content)
    with pytest.raises(UserError, match=match):
        load_config(tmp_path / "c.json")


def test_a_config_path_that_is_a_folder_or_missing_says_which(tmp_path):
    with pytest.raises(UserError, match=r"^config file '.*' is a folder: expected a JSON file such as configs/"):
        load_config(tmp_path)
    with pytest.raises(UserError, match=r"^config file '.*nope.json' not found: expected a JSON file such as configs/"):
        load_config(tmp_path / "nope.json")


def test_an_override_of_a_json_value_nested_too_deeply_or_of_too_many_digits_is_one_line():
    """`--KEY VALUE` reads VALUE as JSON: one json cannot hold (a 5000-digit number, a list nested 100,000 deep) was a
    ValueError or RecursionError traceback."""
    from rlkit.config import parse_override_args

    with pytest.raises(
        UserError, match=r"^override --latent_size: its value is a number of more than 4300 digits: exp"
    ):
        parse_override_args(["--latent_size", "9" * 5000])
    with pytest.raises(UserError, match=r"^override --latent_size: its value is nested too deeply: expected a value"):
        parse_override_args(["--latent_size", "[" * 100_000 + "]" * 100_000])


def test_override_needs_value():
    with pytest.raises(UserError, match="has no value"):
        parse_override_args(["--seed"])


def test_sparse_point_config_wires_goal_radius():
    from rlkit.tasks import make_env

    cfg = load_config(ROOT / "configs" / "sparse-point-robot.json")
    assert cfg.algo_params.sparse_rewards and cfg.env_params.goal_radius == 0.2
    env = make_env(cfg.env_name, **cfg.env_params.kwargs())
    assert env.goal_radius == 0.2 and len(env.tasks) == 40


def test_demo_config_is_valid_and_uses_its_own_data_dir():
    cfg = load_config(ROOT / "configs" / "demo" / "point-robot.json")
    assert cfg.algo_params.data_dir.endswith("point-robot-demo") and cfg.n_eval_tasks == 10


# docs/algorithm.md's hyperparameter table: (latent, meta_batch, embedding batch, iterations, steps/itr, H, discount,
# reward scale,
# num_steps_per_eval, num_exp_traj_eval, use_brac, alpha_init, alpha_max, club weight, next obs, train_epoch)
REFERENCE_TABLE = {
    "point-robot.json": (20, 16, 1024, 65, 1000, 20, 0.9, 100, 400, 1, False, None, None, 25, False, [2200, 5000, 200]),
    "cheetah-vel.json": (
        20,
        16,
        100,
        105,
        1000,
        200,
        0.99,
        5,
        600,
        2,
        True,
        50,
        2000,
        10,
        False,
        [100000, 1000000, 50000],
    ),
    "ant-goal.json": (
        20,
        10,
        512,
        105,
        2000,
        200,
        0.99,
        5,
        800,
        2,
        True,
        500,
        2000,
        50,
        False,
        [100000, 1000000, 50000],
    ),
    "humanoid-dir.json": (
        20,
        16,
        256,
        105,
        1000,
        200,
        0.99,
        5,
        600,
        2,
        True,
        500,
        2000,
        50,
        False,
        [50000, 1000000, 50000],
    ),
    "hopper_rand_params.json": (
        20,
        16,
        256,
        105,
        1000,
        200,
        0.99,
        5,
        600,
        2,
        True,
        50,
        10000,
        25,
        True,
        [50000, 1000000, 50000],
    ),
    "walker_rand_params.json": (
        40,
        16,
        256,
        105,
        1000,
        200,
        0.99,
        5,
        600,
        2,
        True,
        50,
        10000,
        25,
        True,
        [50000, 1000000, 50000],
    ),
}


@pytest.mark.parametrize("name", sorted(REFERENCE_TABLE))
def test_shipped_configs_hold_the_reference_hyperparameters(name):
    cfg = load_config(ROOT / "configs" / name)
    a = cfg.algo_params
    got = (
        cfg.latent_size,
        a.meta_batch,
        a.embedding_batch_size,
        a.num_iterations,
        a.num_train_steps_per_itr,
        a.max_path_length,
        a.discount,
        a.reward_scale,
        a.num_steps_per_eval,
        a.num_exp_traj_eval,
        a.use_brac,
        a.alpha_init if a.use_brac else None,
        a.alpha_max if a.use_brac else None,
        a.club_loss_weight,
        a.use_next_obs_in_context,
        a.train_epoch,
    )
    assert got == REFERENCE_TABLE[name]
    assert (cfg.env_params.n_tasks, cfg.n_train_tasks, cfg.n_eval_tasks) == (40, 30, 10)
    assert (cfg.net_size, a.batch_size, a.club_model_loss_weight, a.z_loss_weight, a.n_trj) == (256, 256, 10, 10, 50)
    assert cfg.env_params.max_episode_steps == a.max_path_length


def test_club_use_sa_false_is_refused_only_where_the_reference_would_read_s_a_r():
    """The reference's CLUB net reads (s, a) with club_use_sa, else (s, a, r) when the context holds next
    observations; this code's reads (s, a): its default false (the reference's) means (s, a) without next
    observations, and is refused with them where a CLUB net is trained."""
    on = {"use_next_obs_in_context": True}
    assert load_config(None, {"algo_params": {"club_use_sa": False}})  # (s, a) in both
    with pytest.raises(UserError, match=r"^algo_params.club_use_sa false: with use_next_obs_in_context true the "):
        load_config(None, {"algo_params": on})  # the reference's default, false
    for ok in ({**on, "club_use_sa": True}, {**on, "use_club": False}):
        assert load_config(None, {"algo_params": ok})
    assert load_config(None, {"algo_type": "FOCAL", "algo_params": on})  # no CLUB net
    with pytest.raises(UserError, match=r"^algo_params.club_use_sa false: with use_next_obs"):
        load_config(None, {"algo_type": "CLASSIFIER", "algo_params": on})


@pytest.mark.parametrize("name", ["../../x", "a/b", "..", "/abs", "a\nb", "a\tb", "a\x1bb"])
def test_exp_name_is_a_plain_folder_name_under_the_output_folder(name):
    with pytest.raises(UserError, match="expected a plain folder name"):
        load_config(None, {"util_params": {"exp_name": name}})


@pytest.mark.parametrize(
    "override,message",
    [
        ({"algo_params": {"discount": 5}}, "algo_params.discount 5.0: expected a value in [0, 1]"),
        ({"net_size": 0}, "net_size 0: expected a value in >= 1"),
        ({"n_eval_tasks": 0}, "n_eval_tasks 0: expected a value in >= 1"),
        ({"algo_params": {"soft_target_tau": 0}}, "algo_params.soft_target_tau 0.0: expected a value in (0, 1]"),
        ({"algo_params": {"reward_scale": -1}}, "algo_params.reward_scale -1.0: expected a value in > 0"),
        ({"algo_params": {"reward_scale": 0}}, "algo_params.reward_scale 0.0: expected a value in > 0"),  # (the bound)
        ({"algo_params": {"qf_lr": 1e9}}, "algo_params.qf_lr 1000000000.0: expected a value in (0, 1]"),
        (
            {"algo_params": {"policy_pre_activation_weight": -0.1}},
            "algo_params.policy_pre_activation_weight -0.1: expected a value in >= 0",
        ),
        ({"algo_params": {"context_lr": 2}}, "algo_params.context_lr 2.0: expected a value in (0, 1]"),
    ],
)
def test_numbers_out_of_range_are_rejected(override, message):
    with pytest.raises(UserError) as info:
        load_config(ROOT / "configs" / "point-robot.json", override)
    assert str(info.value) == message


def test_more_tasks_than_the_env_has_or_a_meta_batch_beyond_the_train_tasks_is_refused():
    """point-robot's 40 tasks hold 30 train + 10 test tasks: one train task more (41) is refused, since the test tasks
    would overlap the train tasks (scores inflated) or fewer train tasks be used than the config says; 29 + 11 = 40,
    the bound, loads. Without mb_replace a meta-batch of 31 of the 30 train tasks is refused (randperm(30)[:31] is 30
    tasks, not the 31 variant.json records); 30 loads, and 31 with mb_replace (drawn with replacement). Neither check
    had a test (a wrong count in either passed the suite)."""
    path = ROOT / "configs" / "point-robot.json"
    with pytest.raises(UserError, match=r"^n_train_tasks \+ n_eval_tasks = 41: expected <= env_params.n_tasks = 40$"):
        load_config(path, {"n_train_tasks": 31})
    assert load_config(path, {"n_train_tasks": 29, "n_eval_tasks": 11}).n_train_tasks == 29
    with pytest.raises(
        UserError, match=r"^algo_params.meta_batch 31: expected <= n_train_tasks 30 without mb_replace$"
    ):
        load_config(path, {"algo_params": {"meta_batch": 31}})
    assert load_config(path, {"algo_params": {"meta_batch": 30}}).algo_params.meta_batch == 30
    assert load_config(path, {"algo_params": {"meta_batch": 31, "mb_replace": True}}).algo_params.meta_batch == 31


def test_every_numeric_key_has_a_range_and_the_shipped_configs_are_in_range():
    from rlkit.config import REFERENCE_ONLY, default_dict, valid_ranges

    ignored = {name.split(".")[-1] for name in REFERENCE_ONLY}
    numeric = []

    def walk(node, prefix=""):
        for k, v in node.items():
            if isinstance(v, dict):
                walk(v, f"{prefix}{k}.")
            elif isinstance(v, (int, float)) and not isinstance(v, bool) and k not in ignored:
                numeric.append(prefix + k)

    walk(default_dict())
    assert set(numeric) - {"env_params.goal_radius"} <= set(valid_ranges())
    for path in sorted((ROOT / "configs").rglob("*.json")):
        load_config(path)  # raises if a shipped value is out of range


def test_ambiguous_leaf_name_is_refused():
    with pytest.raises(
        UserError,
        match=r"--randomize_tasks is ambiguous: expected one of \['--env_params.randomize_tasks'\], or the "
        r"top-level randomize_tasks in the config file \(--randomize_tasks names both\)$",
    ):
        parse_override_args(["--randomize_tasks", "true"])
    assert parse_override_args(["--env_params.randomize_tasks", "true"]) == {"env_params": {"randomize_tasks": True}}


# ---- one declaration per key: configs/default.py, the reference-only keys ---------------------------------------
def _default_listing_module():
    return load_file("scripts/write_default_config.py", "write_default_config")


def test_default_py_is_the_listing_of_the_declared_keys():
    """configs/default.py is written from rlkit/config.py's declarations: same keys, defaults, docs and ranges."""
    from rlkit.config import default_dict

    text = (ROOT / "configs" / "default.py").read_text()
    assert text == _default_listing_module().listing(), (
        "configs/default.py is out of date: run python scripts/write_default_config.py"
    )
    namespace: dict = {}
    exec(compile(text, "configs/default.py", "exec"), namespace)
    assert namespace["default_config"] == default_dict()


@pytest.mark.parametrize(
    "override,message",
    [
        ({"algo_params": {"dropout": 0.5}}, "algo_params.dropout 0.5: expected 0.1 (the encoder has no dropout"),
        ({"algo_params": {"recurrent": True}}, "algo_params.recurrent true: expected false (permutation-invariant"),
        (
            {"algo_params": {"divergence_name": "tv"}},
            "algo_params.divergence_name 'tv': expected 'kl' (BRAC's divergence",
        ),
        ({"algo_params": {"save_algorithm": 1}}, "algo_params.save_algorithm true: expected false (snapshots hold"),
        ({"algo_params": {"update_post_train": 3}}, "algo_params.update_post_train 3: expected 1 (PEARL's online"),
        ({"util_params": {"docker": True}}, "util_params.docker true: expected false (docker is not supported"),
        ({"util_params": {"debug": True}}, "util_params.debug true: expected false (the reference's debug folder"),
        ({"seed_list": [4]}, "seed_list [4]: expected [0, 1, 2] (the reference's sweep"),
        (
            {"algo_params": {"embedding_mini_batch_size": 512}},
            "algo_params.embedding_mini_batch_size 512: expected 1024 (= algo_params.embedding_batch_size; ",
        ),
    ],
)
def test_a_reference_only_key_at_a_value_this_code_would_ignore_is_refused(override, message):
    with pytest.raises(UserError) as info:
        load_config(ROOT / "configs" / "point-robot.json", override)
    assert str(info.value).startswith(message) and "\n" not in str(info.value)
    assert str(info.value).endswith("a reference-only key, docs/reference-differences.md)")


def test_an_override_of_the_context_size_carries_the_reference_only_key_along(tmp_path):
    """The shipped configs set embedding_mini_batch_size = embedding_batch_size (1024): `--embedding_batch_size 256`
    alone is a smaller context, not a refusal; the reference-only key given beside it must still agree, and a file
    whose two keys disagree is refused whatever the overrides."""
    point = ROOT / "configs" / "point-robot.json"
    assert (
        load_config(point, parse_override_args(["--embedding_batch_size", "256"])).algo_params.embedding_batch_size
        == 256
    )
    with pytest.raises(UserError, match=r"^algo_params\.embedding_mini_batch_size 512: expected 256 \(= "):
        load_config(point, {"algo_params": {"embedding_batch_size": 256, "embedding_mini_batch_size": 512}})
    doc = json.loads(point.read_text())
    doc["algo_params"]["embedding_mini_batch_size"] = 64
    (tmp_path / "c.json").write_text(json.dumps(doc))
    with pytest.raises(UserError, match=r"^algo_params\.embedding_mini_batch_size 64: expected 256 \(= "):
        load_config(tmp_path / "c.json", {"algo_params": {"embedding_batch_size": 256}})


def test_reference_only_keys_load_at_their_value_and_leave_the_config():
    """The reference's files set them (num_tasks_sample, read nowhere, at 5 or 10); none is part of `Config`."""
    from rlkit.config import REFERENCE_ONLY

    cfg = load_config(ROOT / "configs" / "ant-dir.json", {"algo_params": {"num_tasks_sample": 10, "dropout": 0.1}})
    flat = json.dumps(cfg.to_dict())
    assert not [name for name in REFERENCE_ONLY if f'"{name.split(".")[-1]}"' in flat]
    with pytest.raises(UserError, match="'algo_params.num_tasks_sample' must be an integer"):
        load_config(None, {"algo_params": {"num_tasks_sample": "many"}})


@pytest.mark.slow
def test_a_reference_only_key_on_the_command_line_is_one_line_exit_2(capsys):
    import launch_experiment
    from rlkit.cli import run_cli

    with pytest.raises(SystemExit) as exit_:
        run_cli(launch_experiment.main, [str(ROOT / "configs" / "point-robot.json"), "--recurrent", "true"])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and len(err) == 1, err
    assert err[0].startswith("error: algo_params.recurrent true: expected false (")


def test_an_old_variant_with_reference_only_keys_still_loads_and_compares_equal():
    """variant.json files written while the reference-only keys were part of the config hold them at the values
    the run ignored: reports read them, and a resume does not count them as a difference."""
    from rlkit.config import config_from_variant, default_dict
    from rlkit.run_folder import config_differences

    cfg = load_config(ROOT / "configs" / "point-robot.json")
    old = json.loads(json.dumps(cfg.to_dict()))
    old["seed_list"], old["util_params"]["debug"] = [3], True
    old["algo_params"].update(num_tasks_sample=10, dropout=0.5, embedding_mini_batch_size=7)
    assert config_from_variant(old) == cfg
    assert config_differences(old, cfg.to_dict()) == []
    assert set(default_dict()["algo_params"]) > set(cfg.to_dict()["algo_params"])


@pytest.mark.parametrize(
    "algo, recorded",
    [
        ("CORRO", {"allow_backward_z": False}),
        ("OFFPEARL", {"allow_backward_z": False, "use_hvar": False, "z_strategy": "mean"}),
    ],
)
def test_a_variant_that_recorded_the_defaults_a_method_overrides_is_the_same_config(algo, recorded):
    """Before 2026-12-04 variant.json held the defaults of the keys CORRO and OFFPEARL set themselves (what the
    trainer overrode): such a run folder resumes, and its report is read, as the same config as today's."""
    from rlkit.config import config_from_variant
    from rlkit.run_folder import config_differences

    cfg = load_config(ROOT / "configs" / "cheetah-vel.json", {"algo_type": algo})
    old = json.loads(json.dumps(cfg.to_dict()))
    old["algo_params"].update(recorded)
    assert config_differences(old, cfg.to_dict()) == []
    assert config_from_variant(old) == cfg
    changed = json.loads(json.dumps(cfg.to_dict()))
    changed["algo_params"]["z_loss_weight"] = 3.0  # a difference is still one
    assert config_differences(changed, cfg.to_dict()) == ["algo_params.z_loss_weight: 3.0 -> 10.0"]


@pytest.mark.parametrize(
    "switch, key, value",
    [
        ("allow_eval", "num_steps_per_eval", 60),
        ("use_brac", "c_iter", 7),
        ("sparse_rewards", "env_params.goal_radius", 0.5),
    ],
)
def test_a_run_made_with_an_override_its_switch_left_unread_still_resumes(switch, key, value):
    """Before 2026-12-04 such an override was accepted (and ignored): the run's variant.json holds it. Its config
    today (the override now refused, so left out) is the same run's: the unread key is not a difference."""
    from rlkit.run_folder import config_differences

    today = load_config(ROOT / "configs" / "point-robot.json", {"algo_params": {switch: False}}).to_dict()
    made = json.loads(json.dumps(today))
    *path, leaf = key.split(".") if "." in key else ["algo_params", key]
    functools.reduce(dict.__getitem__, path, made)[leaf] = value
    assert config_differences(made, today) == []
    made["algo_params"][switch] = True  # the switch itself is a difference
    assert any(d.startswith(f"algo_params.{switch}: true -> false") for d in config_differences(made, today))
    if switch == "allow_eval":  # num_evals sizes the evaluator's saved env streams, meta-test or not
        made["algo_params"].update(allow_eval=False, num_evals=1)
        assert config_differences(made, today) == ["algo_params.num_evals: 1 -> 2"]


def test_a_switch_that_differs_names_the_settings_it_leaves_unread_on_its_own_line():
    """A run of --use_brac true resumed without it listed nine lines such as 'alpha_init: 500.0 -> 500.0 (read as
    500.0 -> null)' before the one difference made: the keys of equal values that the switch alone makes unread
    on one side are named on its line; a key of another value stays a line of its own."""
    from rlkit.run_folder import config_differences

    plain = load_config(ROOT / "configs" / "point-robot.json", {}).to_dict()
    brac = load_config(ROOT / "configs" / "point-robot.json", {"algo_params": {"use_brac": True}}).to_dict()
    assert config_differences(brac, plain) == [
        "algo_params.use_brac: true -> false (so alpha_init, alpha_lr, alpha_max, c_iter, c_lr, dual_critic_penalty, "
        "target_divergence, train_alpha, use_value_penalty are read on one side only)"
    ]
    sparse = load_config(ROOT / "configs" / "sparse-point-robot.json", {}).to_dict()  # a key of another section
    dense = json.loads(json.dumps(sparse))
    dense["algo_params"]["sparse_rewards"] = False
    assert config_differences(sparse, dense) == [
        "algo_params.sparse_rewards: true -> false (so env_params.goal_radius is read on one side only)"
    ]
    brac["algo_params"]["c_iter"] = 7
    diffs = config_differences(brac, plain)
    assert diffs[0] == "algo_params.c_iter: 7 -> 3" and diffs[1].startswith("algo_params.use_brac: true -> false (so")
    assert len(diffs) == 2 and "c_iter" not in diffs[1]
    # a key read otherwise under another algo_type (the family's own reading, no switch's) keeps its own line
    assert config_differences(
        {"algo_type": "OFFPEARL", "algo_params": {"use_information_bottleneck": False}},
        {"algo_type": "CSRO", "algo_params": {"use_information_bottleneck": False}},
    ) == [
        'algo_type: "OFFPEARL" -> "CSRO"',
        "algo_params.allow_backward_z: false -> false (read as true -> false)",
        "algo_params.use_information_bottleneck: false -> false (read as false -> null)",
    ]


@pytest.mark.parametrize(
    "args, said",
    [
        (
            ["--algo_type", "CORRO", "--use_next_obs_in_context", "false"],
            "algo_params.use_next_obs_in_context False with algo_type 'CORRO': expected True or no override",
        ),
        (["--algo_type", "OFFPEARL", "--allow_backward_z", "false"], "algo_params.allow_backward_z False with"),
        (
            ["--algo_type", "OFFPEARL", "--use_hvar", "false", "--z_strategy", "mean"],
            "algo_params.use_hvar False with OFFPEARL's information bottleneck: expected True",
        ),
        (
            ["--config_file", "configs/cheetah-vel.json"],
            "util_params.config_file 'configs/cheetah-vel.json' given as an",
        ),
        (
            ["--use_FOCAL_cl", "false", "--use_club", "false"],
            "algo_type 'CSRO' with use_FOCAL_cl false and use_club "
            "false and allow_backward_z false: expected one of them true (nothing would train the encoder",
        ),
        (
            ["--algo_type", "FOCAL", "--use_FOCAL_cl", "false"],
            "algo_type 'FOCAL' with use_FOCAL_cl false and allow_backward_z false",
        ),
        (  # CLUB reads the embeddings' means: nothing would train the variance head
            ["--use_hvar", "true", "--z_strategy", "weighted", "--use_FOCAL_cl", "false"],
            "algo_params.use_hvar true with algo_type 'CSRO', use_FOCAL_cl false and allow_backward_z false",
        ),
        (
            ["--use_hvar", "true", "--z_strategy", "poe", "--use_FOCAL_cl", "false"],
            "algo_params.use_hvar true with algo_type 'CSRO', use_FOCAL_cl false and allow_backward_z false",
        ),
    ],
)
def test_an_override_that_would_be_dropped_or_train_nothing_is_refused(args, said):
    """What a method sets itself, overridden to another value (its default included: those overrides were dropped
    without a word); the file a config came from; an encoder nothing trains."""
    with pytest.raises(UserError, match=f"^{re.escape(said)}"):
        load_config(ROOT / "configs" / "point-robot.json", parse_override_args(args))
    for ok in (
        ["--algo_type", "CORRO", "--use_next_obs_in_context", "true", "--allow_backward_z", "true"],
        ["--algo_type", "OFFPEARL", "--use_hvar", "true", "--z_strategy", "poe"],
        ["--use_FOCAL_cl", "false", "--use_club", "false", "--allow_backward_z", "true"],  # the critic trains it
        ["--use_hvar", "true", "--z_strategy", "poe"],  # FOCAL's metric trains the variances' ratios
        ["--use_hvar", "true", "--z_strategy", "poe", "--use_FOCAL_cl", "false", "--allow_backward_z", "true"],
        ["--algo_type", "CLASSIFIER", "--use_hvar", "true", "--z_strategy", "weighted"],  # its classifier trains it
    ):
        assert load_config(ROOT / "configs" / "point-robot.json", parse_override_args(ok))


def test_every_reference_only_key_is_documented():
    from rlkit.config import REFERENCE_ONLY

    text = (ROOT / "docs" / "reference-differences.md").read_text()
    start = text.index("## Reference-only config keys")
    table = text[start : text.index("\n## ", start + 1)]
    missing = [name for name in REFERENCE_ONLY if f"`{name}`" not in table and f"`{name.split('.')[-1]}`" not in table]
    assert not missing, f"docs/reference-differences.md, 'Reference-only config keys', does not list {missing}"


@pytest.mark.parametrize("entry", ["launch_experiment", "policy_train", "rlkit.reproduce.__main__"])
def test_threads_far_above_any_machine_is_one_line_not_a_segfault(entry, capsys):
    """torch.set_num_threads(100_000_000) killed the process (OpenMP could not start its threads: SIGSEGV)."""
    import importlib

    from rlkit.cli import MAX_THREADS
    from rlkit.cli import run_cli as run_command

    args = {"launch_experiment": [str(ROOT / "configs" / "point-robot.json")], "policy_train": ["--config", "x.json"]}
    command = importlib.import_module(entry).main
    with pytest.raises(SystemExit) as exit_:
        run_command(command, [*args.get(entry, ["point-robot"]), "--threads", "100000000"])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and len(err) == 1, err
    assert "100000000" in err[0] and f"1<=x<={MAX_THREADS}" in err[0]


def test_a_key_given_twice_is_refused_not_last_wins(tmp_path):
    """json and the override parser kept the last of two values without a word: a config with two env_name
    keys trained the second env; `--num_iterations 2 ... --algo_params.num_iterations 3` ran 3."""
    with pytest.raises(UserError, match=r"^override --algo_params.num_iterations 3 after --num_iterations 2: expected"):
        parse_override_args(["--num_iterations", "2", "--algo_params.num_iterations", "3"])
    with pytest.raises(UserError, match=r"^override --seed_list \[2\] after --seed_list \[1\]: expected each key once"):
        parse_override_args(["--seed_list", "[1]", "--seed_list", "[2]"])
    path = tmp_path / "c.json"
    path.write_text('{"env_name": "point-robot", "algo_params": {"batch_size": 8, "batch_size": 16}}')
    with pytest.raises(UserError, match=r"^config file '.*c.json' sets the key 'batch_size' twice: expected each key"):
        load_config(path)
    assert parse_override_args(["--num_iterations", "2", "--batch_size", "3"]) == {
        "algo_params": {"num_iterations": 2, "batch_size": 3}
    }


@pytest.mark.parametrize(
    "key, why",
    [
        ("data_dir", "where stage 1 would write its task folders"),
        ("base_log_dir", "where the runs' env folders would go"),  # (it said stage 1's task folders too)
        ("path_to_weights", "where the saved weights would be looked for"),
    ],
)
def test_an_empty_path_is_refused(key, why):
    """`"data_dir": ""` had stage 1 write goal_idx* folders into the current folder."""
    with pytest.raises(
        UserError, match=rf"^[a-z_.]*{key} ' ': expected a path \(an empty one would be the current"
    ) as e:
        load_config(None, parse_override_args([f"--{key}", " "]))
    assert str(e.value).endswith(f"the current folder, {why})")


@pytest.mark.parametrize("path", ["/tmp/o\udcff", "a\x00b"])
def test_a_base_log_dir_of_undecodable_bytes_or_a_nul_is_refused(path):
    """base_log_dir names every file of a run: a path of bytes that are not UTF-8 (held as a lone surrogate) trained
    an iteration, then TensorBoard's writer raised a UnicodeEncodeError traceback; a NUL was make_folder's
    ValueError traceback after the dataset was loaded. Both are refused with the config; a non-ASCII name is not."""
    with pytest.raises(UserError, match=r"^util_params.base_log_dir .*: expected a path of UTF-8 text without NUL"):
        load_config(None, {"util_params": {"base_log_dir": path}})
    assert load_config(None, {"util_params": {"base_log_dir": "/tmp/runs é"}}).util_params.base_log_dir == "/tmp/runs é"


@pytest.mark.parametrize(
    "args,said",
    [
        (["--exp_name", "a", "--util_params.exp_name", "b"], '--exp_name a and --util_params.exp_name "b"'),
        (["--gpu", "-1", "--use_gpu", "true"], "--gpu -1 and --util_params.use_gpu true"),
    ],
)
def test_an_option_and_an_override_of_the_same_key_are_refused(args, said, capsys):
    """`--exp_name a --util_params.exp_name b` ran into folder a without a word: one of them would be dropped."""
    import launch_experiment
    from rlkit.cli import run_cli as run_command

    with pytest.raises(SystemExit) as exit_:
        run_command(launch_experiment.main, [str(ROOT / "configs" / "test" / "point-robot-tiny.json"), *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and err[-1].startswith(f"error: {said}: expected one of them"), err


@pytest.mark.parametrize("name", ["", " "])
def test_an_empty_exp_name_option_is_refused(name, capsys, tmp_path, monkeypatch):
    """`--exp_name "$NAME"` with NAME unset trained into a new timestamped folder instead of resuming NAME's run (the
    config's empty exp_name still means a timestamp)."""
    import launch_experiment
    from rlkit.cli import run_cli as run_command

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        run_command(
            launch_experiment.main, [str(ROOT / "configs" / "test" / "point-robot-tiny.json"), "--exp_name", name]
        )
    err = capsys.readouterr().err.strip().splitlines()
    assert exit_.value.code == 2 and err == [
        f"error: --exp_name {name!r}: expected a name; leave the option out for a timestamped folder"
    ]
    assert not any(tmp_path.iterdir())


def test_an_override_of_a_key_its_switch_leaves_unread_is_refused(tmp_path):
    """BRAC's keys are read only with use_brac, z0_policy_share only with train_z0_policy: an override of one with
    its switch off would be ignored without a word; with the switch on, or from the config file, it is taken."""
    tiny = ROOT / "configs" / "test" / "point-robot-tiny.json"
    for args, said in [
        (["--c_iter", "7"], "algo_params.c_iter 7 with use_brac false: expected its value 3"),
        (["--dual_critic_penalty", "gradient"], "algo_params.dual_critic_penalty 'gradient' with use_brac false"),
        (["--z0_policy_share", "0.5"], "algo_params.z0_policy_share 0.5 with train_z0_policy false"),
    ]:
        with pytest.raises(UserError, match=f"^{re.escape(said)}"):
            load_config(tiny, {"algo_params": {"use_brac": False}}, parse_override_args(args))
    cfg = load_config(tiny, parse_override_args(["--use_brac", "true", "--c_iter", "7"]))
    assert cfg.algo_params.c_iter == 7
    assert load_config(tiny, parse_override_args(["--train_z0_policy", "1", "--z0_policy_share", "0.5"]))
    # the MI terms' weights without their term
    for args, said in [
        (["--use_club", "false", "--club_loss_weight", "50"], "algo_params.club_loss_weight 50 with use_club false"),
        (
            ["--algo_type", "CLASSIFIER", "--use_club", "false", "--club_model_loss_weight", "7"],
            "algo_params.club_model_loss",
        ),
        (["--use_FOCAL_cl", "false", "--z_loss_weight", "3"], "algo_params.z_loss_weight 3 with use_FOCAL_cl false"),
        (
            ["--algo_type", "FOCAL", "--use_FOCAL_cl", "false", "--allow_backward_z", "true", "--z_loss_weight", "3"],
            "algo_params.z_loss_weight",
        ),
        (
            ["--use_brac", "true", "--train_alpha", "false", "--alpha_lr", "5"],
            "algo_params.alpha_lr 5 with train_alpha",
        ),
        (
            ["--use_brac", "true", "--train_alpha", "false", "--target_divergence", "0.5"],
            "algo_params.target_divergence 0.5 with train_alpha false",
        ),
        (["--allow_eval", "false", "--num_steps_per_eval", "60"], "algo_params.num_steps_per_eval 60 with allow_eval"),
        (["--env_params.goal_radius", "0.5"], "env_params.goal_radius 0.5 with sparse_rewards false: expected its"),
    ]:
        with pytest.raises(UserError, match=f"^{re.escape(said)}"):
            load_config(tiny, parse_override_args(args))
    # CLASSIFIER and UNICORN_SUP weigh their cross-entropy with z_loss_weight whatever use_FOCAL_cl says (a config
    # file may set it false: those methods do not read it)
    path = tmp_path / "no-focal.json"
    data = json.loads(tiny.read_text())
    data["algo_params"]["use_FOCAL_cl"] = False
    path.write_text(json.dumps(data))
    for algo in ("CLASSIFIER", "UNICORN_SUP"):
        cfg = load_config(path, parse_override_args(["--algo_type", algo, "--z_loss_weight", "3"]))
        assert cfg.algo_params.z_loss_weight == 3


def test_a_count_too_large_for_torch_is_one_line_before_anything_runs():
    """`--batch_size 1e30` passed its range (>= 1) and overflowed torch inside the first iteration."""
    from rlkit.behaviour import load_sac_config

    with pytest.raises(UserError, match=r"^config key 'algo_params.batch_size' 1e\+30: expected at most 2,147,483,647"):
        load_config(None, parse_override_args(["--batch_size", "1e30"]))
    assert load_config(None, parse_override_args(["--batch_size", str(2**31 - 1)])).algo_params.batch_size == 2**31 - 1
    with pytest.raises(UserError, match=r"^SAC setting agent.params.batch_size=1e\+30: expected at most 2,147,483,647"):
        load_sac_config("tiny_point", ["agent.params.batch_size=1e30"])


@pytest.mark.parametrize(
    "args,said",
    [
        (["--max_path_length", "21"], "algo_params.max_path_length 21: expected <= env_params.max_episode_steps 20"),
        (["--num_steps_per_eval", "19"], "algo_params.num_steps_per_eval 19: expected >= max_path_length 20"),
        (["--num_exp_traj_eval", "30"], "algo_params.num_exp_traj_eval 30 x max_path_length 20: expected below"),
    ],
)
def test_meta_test_sizes_that_cannot_work_together_are_refused(args, said):
    """Each gave a meta-test whose online protocols silently scored the prior z only (z is first inferred after
    num_exp_traj_eval x max_path_length scored steps, and an episode never outlasts the env's limit)."""
    with pytest.raises(UserError, match=f"^{re.escape(said)}"):
        load_config(ROOT / "configs" / "point-robot.json", parse_override_args(args))


def test_an_env_param_the_env_does_not_take_and_a_padded_exp_name_are_one_line():
    from rlkit.tasks import make_env

    with pytest.raises(UserError, match=r"^env_params.goal_radius for 'point-robot': expected only keys it takes, \["):
        make_env("point-robot", goal_radius=0.5)
    assert make_env("sparse-point-robot", goal_radius=0.5)
    with pytest.raises(UserError, match=r"^util_params.exp_name ' ': expected a plain folder name"):
        load_config(None, parse_override_args(["--exp_name", " "]))


def test_an_override_written_with_an_equals_sign_is_named():
    """`--num_iterations=2 --foo 1` blamed '1' for having no value."""
    with pytest.raises(UserError, match=r"^override '--num_iterations=2': expected --KEY VALUE with a space"):
        parse_override_args(["--num_iterations=2", "--foo", "1"])
    assert parse_override_args(["--data_dir", "a=b"]) == {"algo_params": {"data_dir": "a=b"}}


def test_a_variant_of_a_run_made_before_the_meta_test_size_checks_is_still_read():
    """report and show_path read a run's variant.json: a run of the old MuJoCo tiny profile (2 x 50 = 100 scored
    steps) stays readable, though a new run of those sizes is refused."""
    from rlkit.config import config_from_variant

    old = json.loads(json.dumps(load_config(None).to_dict()))
    old["algo_params"].update(num_steps_per_eval=100, max_path_length=20, num_exp_traj_eval=5)
    assert config_from_variant(old).algo_params.num_exp_traj_eval == 5
    with pytest.raises(UserError, match=r"num_exp_traj_eval 5 x max_path_length 20: expected below"):
        load_config(None, {"algo_params": {"num_steps_per_eval": 100, "num_exp_traj_eval": 5}})


POINT = ROOT / "configs" / "point-robot.json"


def test_a_fractional_count_is_refused_not_truncated():
    """`_coerce` accepts a float for an int key only where it is a whole number, not any float:
    `--num_iterations 2.5` must be a one-line error naming the key, not a run of 2 iterations; a whole number
    written as a float (1e3, 2.0) is still that count."""
    with pytest.raises(UserError, match=r"^config key 'algo_params.num_iterations' must be an integer, got 2.5$"):
        load_config(POINT, parse_override_args(["--num_iterations", "2.5"]))
    with pytest.raises(UserError, match=r"'algo_params.batch_size' must be an integer"):
        load_config(POINT, {"algo_params": {"batch_size": 31.5}})
    cfg = load_config(POINT, parse_override_args(["--num_iterations", "2.0", "--batch_size", "1e2"]))
    assert (cfg.algo_params.num_iterations, cfg.algo_params.batch_size) == (2, 100)


def test_checkpoint_zero_may_start_the_range():
    """`_epoch_check` accepts a start of 0 (`start >= 0`, not `start > 0`). The check's own message says 0 <= start:
    a range of checkpoints from 0 (the untrained behaviour policy's data) is a valid setting and must load."""
    cfg = load_config(POINT, {"algo_params": {"train_epoch": [0, 400, 200], "eval_epoch": [0, 200, 100]}})
    assert list(range(*cfg.algo_params.train_epoch)) == [0, 200]
    assert list(range(*cfg.algo_params.eval_epoch)) == [0, 100]


@pytest.mark.parametrize("key", ["train_epoch", "eval_epoch"])
def test_an_empty_checkpoint_range_is_refused(key):
    """`_epoch_check` asks for `start < stop`, not `start <= stop`. [2200, 2200, 200] names no checkpoint at all: a
    run would read no data for its tasks; it must be a one-line error naming the key."""
    with pytest.raises(UserError, match=rf"^algo_params.{key} \[2200, 2200, 200\]: expected \[start, stop, step\]"):
        load_config(POINT, {"algo_params": {key: [2200, 2200, 200]}})


def test_a_meta_test_of_one_scored_episode_with_online_inference_from_the_start_loads():
    """The check is `num_steps_per_eval >= max_path_length`, not `>`. With num_exp_traj_eval 0 (z inferred online
    from the first step) a meta-test of exactly one episode (num_steps_per_eval = max_path_length) works and must
    load."""
    cfg = load_config(POINT, parse_override_args(["--num_exp_traj_eval", "0", "--num_steps_per_eval", "20"]))
    assert (cfg.algo_params.num_steps_per_eval, cfg.algo_params.max_path_length) == (20, 20)


@pytest.mark.parametrize(
    "config, algo_type, key, value",
    [
        ("ant-goal.json", "OFFPEARL", "kl_lambda", 0.3),  # PEARL's ant-goal value (1.0) must not replace it
        ("cheetah-vel.json", "BOREL", "borel_vae_tasks", 6),  # nor BOReL's MuJoCo value (4)
        ("cheetah-dir.json", "UNICORN_SS", "unicorn_beta", 0.5),  # nor UNICORN's cheetah-dir value (0.01)
        ("hopper_rand_params.json", "UNICORN_SS", "unicorn_decoder_hidden", 32),  # nor its hopper value (128)
    ],
)
def test_a_value_the_config_file_sets_beats_the_methods_per_env_default(tmp_path, config, algo_type, key, value):
    """`_per_env_defaults` is told of the config file as well as of the overrides. A researcher's own config file
    that sets a per-env key (kl_lambda, borel_vae_tasks, unicorn_*) must run with that value: the baseline's per-env
    default applies only where neither the file nor an override sets the key."""
    doc = json.loads((ROOT / "configs" / config).read_text())
    doc["algo_type"] = algo_type
    doc.setdefault("algo_params", {})[key] = value
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(doc))
    assert getattr(load_config(path).algo_params, key) == value
    # (the same value given as an override was already honoured)
    overridden = load_config(ROOT / "configs" / config, {"algo_type": algo_type, "algo_params": {key: value}})
    assert getattr(overridden.algo_params, key) == value


def test_python_style_none_on_the_command_line_is_null():
    """`None` is among the bare words parse_override_args reads as Python literals. As True and False are,
    `--path_to_weights None` must mean no weights (null), not a snapshot file named 'None'."""
    assert parse_override_args(["--path_to_weights", "None"]) == {"path_to_weights": None}
    assert load_config(POINT, parse_override_args(["--path_to_weights", "None"])).path_to_weights is None
    cfg = load_config(POINT, parse_override_args(["--algo_type", "BOREL", "--borel_elbo_terms", "None"]))
    assert cfg.algo_params.borel_elbo_terms is None


@pytest.mark.parametrize("config", ["hopper_rand_params.json", "walker_rand_params.json", "point-robot-wind.json"])
def test_borel_decode_state_false_on_a_dynamics_family_is_kept(config):
    """`borel_decode_state_of` reads a given false as false, not as unset (`not given`). On the dynamics families
    null means decode the state; an explicit false (an ablation) must be what the trainer runs (BOREL's settings: no
    state decoder) and what variant.json records."""
    from rlkit.torch.csro.borel import BorelSettings

    args = ["--algo_type", "BOREL", "--borel_decode_state", "false"]
    cfg = load_config(ROOT / "configs" / config, parse_override_args(args))
    assert cfg.algo_params.borel_decode_state is False
    assert BorelSettings.from_config(cfg).decode_state is False
    default = load_config(ROOT / "configs" / config, parse_override_args(["--algo_type", "BOREL"]))
    assert default.algo_params.borel_decode_state is True  # (null: the family's own, on)


def test_a_config_records_the_file_it_was_loaded_from(tmp_path):
    """The loader sets util_params.config_file. variant.json must say which JSON file a run's keys came from
    (show_path compares it), and an override naming another file stays refused."""
    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"env_name": "point-robot", "algo_params": {"num_iterations": 3}}))
    cfg = load_config(path)
    assert cfg.util_params.config_file == str(path) and cfg.to_dict()["util_params"]["config_file"] == str(path)
    assert load_config(POINT).util_params.config_file == str(POINT)
    assert load_config(None).util_params.config_file == ""  # (no file: nothing to name)
    with pytest.raises(UserError, match=r"^util_params.config_file 'other.json' given as an override"):
        load_config(path, {"util_params": {"config_file": "other.json"}})


def test_a_misspelt_top_level_key_is_one_line_naming_the_key_it_likely_means(tmp_path):
    """A misspelt top-level key (`env_nmae` in a config file) and a misspelt leaf name on the command line
    (`--meta_bach`, which no section holds, so it is looked up at the top level) are refused in one line that names
    the dotted key of the whole config closest to it. (Before this test, only a slow subprocess test caught a slip
    here.)"""
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"env_nmae": "cheetah-vel"}))
    with pytest.raises(UserError, match=r"^unknown config key 'env_nmae': did you mean 'env_name'\? expected one of "):
        load_config(path)
    with pytest.raises(UserError, match=r"^unknown config key 'meta_bach': did you mean 'algo_params.meta_batch'\? "):
        load_config(ROOT / "configs" / "point-robot.json", parse_override_args(["--meta_bach", "3"]))


def test_a_methods_own_kind_of_negatives_beats_the_profiles_in_what_reaches_corro():
    """`overrides_read_by` reads CORRO's kind of negatives from the profile's overrides, then the method's own tree,
    which is applied after them: the method's kind decides which of CORRO's keys it is given."""
    profile = {"algo_params": {"corro_negatives": "reward", "corro_cvae_steps": 10, "corro_reward_std": 0.3}}
    generative = {"algo_params": {"corro_negatives": "generative"}}
    kept = overrides_read_by("CORRO", profile, "point-robot", generative)
    assert kept == {"algo_params": {"corro_negatives": "reward", "corro_cvae_steps": 10}}
    cfg = load_config(ROOT / "configs" / "point-robot.json", {"algo_type": "CORRO"}, kept, generative)
    assert (cfg.algo_params.corro_negatives, cfg.algo_params.corro_cvae_steps) == ("generative", 10)


def test_corros_keys_in_another_methods_run_are_compared_like_any_other_methods_keys(tmp_path):
    """CORRO's kind of negatives leaves one of its keys unread only under CORRO (`corro_unread_keys` of no kind is
    none): a CSRO run whose config file gave corro_reward_std another value differs from one at the default, as one
    whose file gave unicorn_beta another value does."""
    from rlkit.run_folder import config_differences

    def variant(algo_params):
        path = tmp_path / "c.json"
        path.write_text(json.dumps({"algo_params": algo_params}))
        return load_config(path).to_dict()

    base = variant({})
    assert config_differences(base, variant({"corro_reward_std": 0.3, "unicorn_beta": 0.2})) == [
        "algo_params.corro_reward_std: 0.5 -> 0.3",
        "algo_params.unicorn_beta: 0.15 -> 0.2",
    ]
    assert config_differences(base, variant({"corro_cvae_steps": 7})) == ["algo_params.corro_cvae_steps: 5000 -> 7"]


def test_sampling_z_at_a_meta_test_that_does_not_run_is_refused():
    """With allow_eval false no meta-test runs, so OFFPEARL's sample_z_at_test would be ignored: an override of it
    is refused like the meta-test's other settings."""
    args = ["--algo_type", "OFFPEARL", "--allow_eval", "false", "--sample_z_at_test", "true"]
    with pytest.raises(
        UserError, match=r"^algo_params.sample_z_at_test True with allow_eval false: expected its value False \(only "
    ):
        load_config(ROOT / "configs" / "point-robot.json", parse_override_args(args))
    cfg = load_config(ROOT / "configs" / "point-robot.json", parse_override_args(args[:2] + args[4:]))
    assert cfg.algo_params.sample_z_at_test is True


def test_an_unknown_key_of_a_large_section_lists_only_its_first_keys():
    """The refusal of an unknown key stays one readable line: a section of many keys (algo_params) shows its first
    16 and '...', pointing to configs/default.py for the rest; the top level, of fewer, shows them all."""
    with pytest.raises(UserError) as info:
        load_config(None, parse_override_args(["--algo_params.meta_bach", "3"]))
    message = str(info.value)
    assert message.startswith("unknown config key 'algo_params.meta_bach': did you mean 'algo_params.meta_batch'? ")
    listed = message.split("expected one of [")[1].split("]")[0].split(", ")
    assert len(listed) == 17 and listed[-1] == "'...'" and "'c_lr'" in listed and "'meta_batch'" not in listed
    assert message.endswith("(configs/default.py lists every key)")
    with pytest.raises(UserError, match=r"expected one of \['algo_params', .*'util_params'\] \(configs/default.py"):
        load_config(None, parse_override_args(["--meta_bach", "3"]))


def test_a_variant_holding_a_retired_section_of_settings_is_one_difference_line():
    """The walk recurses only where both variants hold an object at a key; an old variant.json with a nested object
    of settings the config no longer has (new side: nothing there) is a difference line naming it. With only the old
    side checked the walk recursed into None and the resume died in a TypeError traceback instead of the one-line
    refusal."""
    new = load_config(None, {}).to_dict()
    old = json.loads(json.dumps(new))
    old["algo_params"]["retired"] = {"a": 1}
    assert config_differences(old, new) == ['algo_params.retired: {"a": 1} -> null']


@pytest.mark.parametrize(
    "key, value", [("dump_eval_paths", "true"), ("num_exp_traj_eval", "2"), ("max_path_length", "10")]
)
def test_every_meta_test_setting_is_refused_where_no_meta_test_runs(key, value):
    """With allow_eval false nothing writes the scored episodes, infers z online or runs an episode of the meta-test,
    so an override of any of its settings is refused naming the switch, and accepted with it on."""
    with pytest.raises(UserError, match=rf"^algo_params\.{key} .* with allow_eval false: expected its value "):
        load_config(None, parse_override_args(["--allow_eval", "false", f"--{key}", value]))
    assert str(getattr(load_config(None, parse_override_args([f"--{key}", value])).algo_params, key)).lower() == value


def test_each_checkpoint_number_is_checked_as_a_whole_number_and_kept_an_int():
    """The items of train_epoch / eval_epoch are coerced one by one: a word is a one-line error naming the item, and
    0.0 or 100.0 (whole floats, as JSON writers give) become ints, as range() needs."""
    with pytest.raises(UserError, match=r"^config key 'algo_params\.train_epoch\[1\]' must be an integer, got 'x'$"):
        load_config(None, parse_override_args(["--train_epoch", '[100, "x", 10]']))
    epochs = load_config(None, parse_override_args(["--eval_epoch", "[0.0, 300, 100.0]"])).algo_params.eval_epoch
    assert epochs == [0, 300, 100] and all(type(e) is int for e in epochs)


def test_an_unknown_key_close_to_two_keys_names_both():
    """The refusal of a misspelt key offers the two closest keys, not only the first (xf_lr: the Q and the V
    learning rates)."""
    with pytest.raises(
        UserError, match=r"^unknown config key 'xf_lr': did you mean 'algo_params\.qf_lr' or 'algo_params\.vf_lr'\? "
    ):
        load_config(None, parse_override_args(["--xf_lr", "1"]))


def test_an_override_with_one_dash_is_named_as_given():
    """`-num_iterations 2` (one dash) is refused naming the flag as given and the --KEY VALUE form, not as an unknown
    key 'um_iterations' cut out of it."""
    with pytest.raises(UserError, match=r"^override '-num_iterations': expected --KEY VALUE "):
        parse_override_args(["-num_iterations", "2"])


def test_a_max_episode_steps_below_1_is_named_by_its_range_not_as_a_clash():
    """`max_episode_steps: -3` was said only as a clash with max_path_length (20 > -3): the clash leaves a value
    below 1 to the key's own range check, so the line names the value and its range."""
    with pytest.raises(UserError, match=r"^env_params.max_episode_steps -3: expected a value in >= 1$"):
        load_config(ROOT / "configs" / "test" / "point-robot-tiny.json", {"env_params": {"max_episode_steps": -3}})


# The config keys whose names differ from the setting they reach, or that a config reads only beside other keys
# (BRAC's with use_brac, OFFPEARL's with the bottleneck, a method's own with its algo_type): key -> (a value off the
# default, the keys that make it read, the setting's path in TrainerSettings, the value it must hold there).
_KEYS_READ_BESIDE_OTHERS = {
    "latent_size": (3, [], "latent_size", 3),
    "net_size": (17, [], "net_size", 17),
    "use_next_obs_in_context": (True, ["--club_use_sa", "true"], "use_next_obs_in_context", True),
    "use_FOCAL_cl": (False, [], "use_focal", False),
    "use_hvar": (True, ["--z_strategy", "weighted"], "use_hvar", True),
    "z_strategy": ("poe", ["--use_hvar", "true"], "z_strategy", "poe"),
    "kl_lambda": (0.5, ["--algo_type", "OFFPEARL"], "kl_lambda", 0.5),
    "sample_z_at_test": (True, ["--algo_type", "OFFPEARL"], "sample_z_at_test", True),
    "z0_policy_share": (0.25, ["--train_z0_policy", "true"], "z0_share", 0.25),
    "use_value_penalty": (False, ["--use_brac", "true"], "value_penalty", False),
    "dual_critic_penalty": ("gradient", ["--use_brac", "true"], "dual_critic_penalty", "gradient"),
    "train_alpha": (False, ["--use_brac", "true"], "train_alpha", False),
    "alpha_init": (250.0, ["--use_brac", "true"], "alpha_init", 250.0),
    "alpha_max": (1000.0, ["--use_brac", "true"], "alpha_max", 1000.0),
    "alpha_lr": (0.5, ["--use_brac", "true"], "alpha_lr", 0.5),
    "target_divergence": (0.025, ["--use_brac", "true"], "target_divergence", 0.025),
    "c_lr": (5e-5, ["--use_brac", "true"], "c_lr", 5e-5),
    "unicorn_beta": (0.3, ["--algo_type", "UNICORN_SS"], "unicorn_beta", 0.3),
    "unicorn_decoder_hidden": (32, ["--algo_type", "UNICORN_SS"], "unicorn_decoder_hidden", 32),
    "corro_aggregator": ("mean", ["--algo_type", "CORRO"], "corro.aggregator", "mean"),
    "corro_negatives": ("generative", ["--algo_type", "CORRO"], "corro.negatives", "generative"),
    "corro_cvae_steps": (7, ["--algo_type", "CORRO", "--corro_negatives", "generative"], "corro.cvae_steps", 7),
    "corro_cvae_hidden": (32, ["--algo_type", "CORRO", "--corro_negatives", "generative"], "corro.cvae_hidden", 32),
    "corro_cvae_latent": (3, ["--algo_type", "CORRO", "--corro_negatives", "generative"], "corro.cvae_latent", 3),
    "borel_latent_size": (3, ["--algo_type", "BOREL"], "borel.latent", 3),
    "borel_decode_state": (True, ["--algo_type", "BOREL"], "borel.decode_state", True),
    "borel_elbo_terms": (2, ["--algo_type", "BOREL"], "borel.elbo_terms", 2),
}
# settings no key of their own sets: the algo_type's (tests/test_variants.py, test_offpearl.py) or the env's; and
# CORRO's and BOREL's settings, whose own fields are cases
_SETTINGS_OF_THE_METHOD_OR_ENV = {
    "classifier_tasks",
    "identity_encoder",
    "pearl_kl",
    "corro",
    "borel",
    "borel.reward_reads_sa",
}


def _key_cases():
    """(key, value, the other keys, setting path, expected) for every setting of TrainerSettings and of CORRO's and
    BOREL's settings: those of `_KEYS_READ_BESIDE_OTHERS`, and each other one named as its key (with the method's
    corro_/borel_ prefix) set off its default: a number halved or + 1, a flag negated."""
    import dataclasses

    from rlkit.config import AlgoParams
    from rlkit.torch.csro.borel import BorelSettings
    from rlkit.torch.csro.corro import CorroSettings
    from rlkit.torch.csro.trainer import TrainerSettings

    defaults, paths = AlgoParams(), {case[2] for case in _KEYS_READ_BESIDE_OTHERS.values()}
    cases = [(key, *case) for key, case in _KEYS_READ_BESIDE_OTHERS.items()]
    for cls, algo, prefix, where in (
        (TrainerSettings, [], "", ""),
        (CorroSettings, ["--algo_type", "CORRO"], "corro_", "corro."),
        (BorelSettings, ["--algo_type", "BOREL"], "borel_", "borel."),
    ):
        for field in dataclasses.fields(cls):
            path = where + field.name
            if path in paths or path in _SETTINGS_OF_THE_METHOD_OR_ENV:
                continue
            default = getattr(defaults, prefix + field.name)  # (an AttributeError: a setting no case covers)
            if isinstance(default, bool):
                value = not default
            elif isinstance(default, int):
                value = default + 1
            else:
                value = default / 2 if default else 0.5
            cases.append((prefix + field.name, value, algo, path, value))
    return cases


def test_every_setting_of_the_trainer_is_read_from_its_config_key():
    """Each key set off its default (with the keys that make a config read it) reaches the setting that it names in
    TrainerSettings, CorroSettings or BorelSettings: a `from_config` that wrote a default where it should read the key
    (BOREL's kl_weight, latent size and episodes once did, and every test passed) leaves the setting at the default.
    Every setting is covered: one added without its key here fails at `getattr` of AlgoParams."""
    from rlkit.torch.csro.trainer import TrainerSettings

    cases = _key_cases()
    assert len(cases) >= 50
    for key, value, others, path, want in cases:
        text = str(value).lower() if isinstance(value, bool) else str(value)
        cfg = load_config(None, parse_override_args([*others, f"--{key}", text]))
        got = TrainerSettings.from_config(cfg, range(3))
        for part in path.split("."):
            got = getattr(got, part)
        assert got == want, (key, value, path, got)


# ---- refusals, defaults and merges, each pinned ----------------------------------------------------------------
def test_a_negative_count_too_large_for_torch_names_the_limit_not_the_range():
    """`--batch_size -1e30` is refused as the count torch cannot hold, as 1e30 is (its magnitude is checked), before
    the number is turned into a 31-digit integer that the range check would print."""
    with pytest.raises(UserError) as info:
        load_config(None, parse_override_args(["--batch_size", "-1e30"]))
    assert (
        str(info.value)
        == "config key 'algo_params.batch_size' -1e+30: expected at most 2,147,483,647 (a count torch can hold)"
    )


@pytest.mark.parametrize(
    "override, message",
    [
        ({"algo_params": {"discount": True}}, "config key 'algo_params.discount' must be a number, got True"),
        (
            {"algo_params": {"num_iterations": True}},
            "config key 'algo_params.num_iterations' must be an integer, got True",
        ),
    ],
)
def test_true_is_not_a_number(override, message):
    """JSON's true for a number (a flag written in the wrong key) is refused, not read as 1 or 1.0."""
    with pytest.raises(UserError) as info:
        load_config(None, override)
    assert str(info.value) == message


def test_a_checkpoint_range_of_four_numbers_is_refused():
    """[start, stop, step] is three numbers: a fourth would reach range() as a TypeError traceback at data loading."""
    with pytest.raises(UserError) as info:
        load_config(POINT, {"algo_params": {"train_epoch": [100, 300, 100, 5]}})
    assert str(info.value) == (
        "algo_params.train_epoch [100, 300, 100, 5]: expected [start, stop, step] with 0 <= start < stop and step > 0"
    )


def test_borel_takes_a_meta_test_shorter_than_the_mean_pooled_encoders_need():
    """BOREL's belief updates every step (num_exp_traj_eval is not read), so a meta-test of one episode loads for it;
    the same sizes under CSRO would score the prior z only, and are refused."""
    args = ["--num_steps_per_eval", "20"]
    cfg = load_config(POINT, parse_override_args(["--algo_type", "BOREL", *args]))
    assert cfg.algo_params.num_steps_per_eval == 20
    with pytest.raises(UserError, match=r"^algo_params.num_exp_traj_eval 1 x max_path_length 20: expected below"):
        load_config(POINT, parse_override_args(args))


def test_a_value_where_a_section_of_keys_belongs_is_one_line():
    with pytest.raises(UserError) as info:
        load_config(None, {"algo_params": 3})
    assert str(info.value) == "config key 'algo_params' must be an object of keys, got 3"


@pytest.mark.parametrize(
    "args, section",
    [
        (["--util_params", "1"], "util_params"),
        (["--util_params", "1", "--exp_name", "a"], "util_params"),  # (a key of it set after it: was a TypeError)
        (["--algo_params", "1", "--num_iterations", "2"], "algo_params"),
        (["--env_params", "[5]", "--n_tasks", "6"], "env_params"),
        (["--num_iterations", "2", "--algo_params", "null"], "algo_params"),
    ],
)
def test_an_override_setting_a_section_to_a_value_is_one_line(args, section):
    """`--util_params 1` sets a section (an object of keys) to a number: refused where the override is read, before
    a later `--exp_name` (or an override of a key of it) looks inside it as a dict and fails with a traceback."""
    value = args[args.index(f"--{section}") + 1]
    with pytest.raises(UserError) as info:
        parse_override_args(args)
    assert str(info.value) == f"config key {section!r} must be an object of keys, got {json.loads(value)!r}"


def test_an_override_of_a_section_by_an_object_still_sets_its_keys():
    cfg = load_config(POINT, parse_override_args(["--algo_params", '{"num_iterations": 3}']))
    assert cfg.algo_params.num_iterations == 3


@pytest.mark.parametrize("config", [POINT, ROOT / "configs" / "hopper_rand_params.json"])
def test_corro_negatives_stay_auto_in_the_variant_of_another_method(config):
    """Only CORRO's 'auto' is written as the kind it draws: another method's variant.json keeps the key as given."""
    cfg = load_config(config)
    assert cfg.algo_params.corro_negatives == "auto" and cfg.to_dict()["algo_params"]["corro_negatives"] == "auto"


def test_a_switch_written_0_as_the_reference_configs_do_is_off():
    """configs/point-robot.json says "use_brac": 0: an override of a BRAC key is refused there as with false."""
    with pytest.raises(UserError, match=r"^algo_params.c_iter 7 with use_brac false: expected its value 3"):
        load_config(POINT, parse_override_args(["--c_iter", "7"]))


def test_the_behaviour_episodes_a_run_reads_follow_sample():
    """sample 1 reads each checkpoint's stochastic episodes ("sample"), 0 its deterministic ones ("eval")."""
    assert load_config(POINT).algo_params.data_kind == "sample"
    assert load_config(POINT, {"algo_params": {"sample": 0}}).algo_params.data_kind == "eval"


def test_a_bare_double_dash_override_is_named_as_given():
    with pytest.raises(UserError) as info:
        parse_override_args(["--", "3"])
    assert str(info.value) == "override '--': expected --KEY VALUE (e.g. --algo_params.num_iterations 2)"


@pytest.mark.parametrize(
    "overrides, said",
    [
        ({"algo_type": ["CSRO"]}, "config key 'algo_type' must be a string, got ['CSRO']"),
        ({"env_name": {}}, "config key 'env_name' must be a string, got {}"),
        ({"algo_type": "UNICORN_SS", "env_name": 3}, "config key 'env_name' must be a string, got 3"),
    ],
)
def test_an_algo_type_or_env_name_that_is_not_a_string_is_one_line(overrides, said):
    """`--algo_type '["CSRO"]'` (or a config file's list) was a TypeError traceback: the two are read as table keys
    (per-env defaults, the method's keys) before the types are checked."""
    with pytest.raises(UserError, match=re.escape(said)):
        load_config(ROOT / "configs" / "point-robot.json", overrides)


@pytest.mark.parametrize(
    "value, spec, inside",
    [
        (1.0, "[0, 1]", True),
        (0.0, "[0, 1]", True),
        (1.0, "[0, 1)", False),
        (0.0, "(0, 1]", False),
        (0.5, "(0, 1)", True),
        (1.0, ">= 1", True),
        (1.0, "> 1", False),
    ],
)
def test_a_range_includes_its_bracketed_ends_and_not_its_parenthesised_ones(value, spec, inside):
    from rlkit.config import in_range

    assert in_range(value, spec) is inside


@pytest.mark.parametrize("epochs, ok", [([0, 3, 1], True), ([2, 3, 1], True), ([-1, 400, 200], False)])
def test_a_checkpoint_range_takes_a_step_of_1_and_refuses_a_negative_start(epochs, ok):
    """[start, stop, step]: a step of 1 is a checkpoint every epoch; a start below 0 names no epoch that was saved."""
    from rlkit.config import _epoch_check

    assert _epoch_check("algo_params.train_epoch", epochs)[0] is ok


def test_a_max_episode_steps_of_1_below_max_path_length_is_the_clash():
    """1 is a valid max_episode_steps (its range is >= 1), so max_path_length 20 above it is the clash's line."""
    with pytest.raises(
        UserError, match=r"^algo_params.max_path_length 20: expected <= env_params.max_episode_steps 1 "
    ):
        load_config(ROOT / "configs" / "test" / "point-robot-tiny.json", {"env_params": {"max_episode_steps": 1}})


def test_corro_takes_a_context_of_two_rows_and_refuses_one():
    """CORRO's positive for a context row is another row of the same context: 2 rows are the fewest it can run on."""
    assert load_config(POINT, {"algo_type": "CORRO", "algo_params": {"embedding_batch_size": 2}})
    with pytest.raises(UserError, match=r"^algo_params.embedding_batch_size 1 with algo_type CORRO: expected >= 2 "):
        load_config(POINT, {"algo_type": "CORRO", "algo_params": {"embedding_batch_size": 1}})


def test_a_sac_style_override_among_others_is_named_itself():
    """Stage 1's KEY=VALUE after a well-formed pair: the line names that word, not the value before it."""
    with pytest.raises(UserError, match=r"^override 'batch_size=5': expected --batch_size 5 \(KEY=VALUE is stage 1's"):
        parse_override_args(["--num_iterations", "2", "batch_size=5"])


def test_pythons_true_false_and_none_are_read_as_jsons():
    """`--use_brac True` (Python's spelling, as the reference's argparse users type it) is true, not the word."""
    over = parse_override_args(
        ["--use_brac", "True", "--use_information_bottleneck", "False", "--path_to_weights", "None"]
    )
    assert over["algo_params"]["use_brac"] is True and over["algo_params"]["use_information_bottleneck"] is False
    assert over["path_to_weights"] is None


def test_a_last_word_without_its_value_is_named_as_such():
    """An odd word out without '=' has no value; it is not a KEY=VALUE of stage 1's form. A word that is no --KEY (the
    `true` of `--debug true`, a flag given a value) is said to be so."""
    with pytest.raises(
        UserError, match=r"^override 'foo' has no value: expected --KEY VALUE pairs \(the command's flag"
    ):
        parse_override_args(["--num_iterations", "2", "foo"])
    with pytest.raises(UserError, match=r"^override '--seed' has no value: expected --KEY VALUE pairs$"):
        parse_override_args(["--num_iterations", "2", "--seed"])


def test_a_config_class_has_its_type_hints_resolved_once_and_alike():
    """`type_hints` keeps each config dataclass's resolved annotations: the same dict as typing's, for every section,
    resolved on the first call only."""
    import dataclasses
    import typing

    from rlkit.config import Config, type_hints

    classes = {Config, *(t for t in type_hints(Config).values() if dataclasses.is_dataclass(t))}
    assert len(classes) >= 3, classes  # (the config and its sections: env_params, algo_params, ...)
    for cls in classes:
        assert type_hints(cls) == typing.get_type_hints(cls) and type_hints(cls) is type_hints(cls), cls
