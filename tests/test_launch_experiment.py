"""launch_experiment.py in this process: each option reaches the run it starts (the seed, --seeds and --sweep, --gpu,
--threads), with `prepare` and `run_many` stood in for so that nothing trains."""

from __future__ import annotations

import json

import torch

from rlkit.config import load_config
from tests.conftest import TINY_CONFIG
from tests.test_graphs import _entry_devices, _mock_cuda


class _Stop(Exception):
    pass


def _launch(monkeypatch, tmp_path, args: list[str], config=TINY_CONFIG) -> tuple[dict, object]:
    """What launch_experiment.py hands on for `args` (after the config, the tiny one by default): the single run's
    (config, seed) given to `prepare`, or the arguments of `run_many` for --seeds / --sweep; neither trains."""
    from click.testing import CliRunner

    import launch_experiment

    seen: dict = {}

    def prepare(cfg, seed, device):
        seen.update(single=True, cfg=cfg, seed=seed, device=device)
        raise _Stop

    def run_many(config, overrides, seeds, sweep, cluster, show_progress=True):
        seen.update(single=False, overrides=overrides, seeds=seeds, sweep=sweep, cluster=cluster)
        raise _Stop

    monkeypatch.setattr(launch_experiment, "prepare", prepare)
    monkeypatch.setattr(launch_experiment, "run_many", run_many)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(launch_experiment.main, [str(config), *args])
    return seen, result


def test_the_seed_option_is_the_seed_of_the_single_run(monkeypatch, tmp_path):
    """`--seed S` is the seed of the single run it starts, and without it the seed is 0. A slip that called
    `prepare(cfg, 0, device)` trained every `--seed S` run with seed 0 (into seed0/): a researcher's seeds 0, 1, 2 would
    be three copies of one run. Only a slow subprocess test saw it."""
    seen, result = _launch(monkeypatch, tmp_path, ["--seed", "3"])
    assert isinstance(result.exception, _Stop), result.output
    assert seen["single"] and seen["seed"] == 3
    seen, _ = _launch(monkeypatch, tmp_path, [])
    assert seen["seed"] == 0  # the documented default


def test_a_sweep_without_seeds_runs_each_entry_at_the_seed_option(monkeypatch, tmp_path):
    """`--sweep FILE --seed 4` hands the sweep file to `run_many`, its entries to run at seed 4. It guards against
    running the entries at seed 0 (`[0]` for `[seed]`) and against ignoring the sweep file (one plain run of the config,
    or `run_many` given no sweep): the researcher's sweep is silently not the one asked for."""
    sweep = tmp_path / "sweep.json"
    sweep.write_text(json.dumps([{"exp_name": "a", "overrides": {"num_iterations": 1}}]))
    seen, result = _launch(monkeypatch, tmp_path, ["--sweep", str(sweep), "--seed", "4"])
    assert isinstance(result.exception, _Stop), result.output
    assert seen["single"] is False and seen["seeds"] == [4] and seen["sweep"] == str(sweep)


def test_seeds_alone_run_each_seed_and_with_seed_are_refused(monkeypatch, tmp_path):
    """`--seeds 0,1` alone runs seeds 0 and 1 (the documented way to train several seeds), and `--seed 5 --seeds 0,1` is
    refused. The --seed/--seeds check flipped (`== DEFAULT`) refused every `--seeds 0,1` and let `--seed 5 --seeds 0,1`
    train seeds 0 and 1 without a word about the 5."""
    seen, result = _launch(monkeypatch, tmp_path, ["--seeds", "0,1"])
    assert isinstance(result.exception, _Stop), result.output
    assert seen["single"] is False and seen["seeds"] == [0, 1]
    seen, result = _launch(monkeypatch, tmp_path, ["--seed", "5", "--seeds", "0,1"])
    assert not seen and "--seed and --seeds together: expected one of them" in str(result.exception)


def test_gpu_g_is_the_cuda_device_g_of_the_run_and_its_config(monkeypatch, tmp_path):
    """`--gpu 2` runs on cuda:2 and sets use_gpu and gpu_id 2 in the run's config, the one handed to `prepare` (the
    run's variant.json is written from it, `MetaTrainer.run`; the file is not written here). With use_gpu set but
    gpu_id 0, on a machine of 4 GPUs the run trained on cuda:0 (beside another run there) and its config said gpu_id
    0."""
    _mock_cuda(monkeypatch, 4)
    seen, result = _launch(monkeypatch, tmp_path, ["--gpu", "2"])
    assert isinstance(result.exception, _Stop), result.output
    assert seen["device"] == torch.device("cuda:2")
    assert seen["cfg"].util_params.use_gpu is True and seen["cfg"].util_params.gpu_id == 2
    # and `--gpu 0` over a config of use_gpu 0 (the cpu profiles'): GPU 0, not the config's CPU (a falsy 0 taken for
    # "not given" passed --gpu 2 and the CUDA-less --gpu 0 below, where the CPU is the answer either way)
    cpu_config = tmp_path / "cpu.json"
    cpu_config.write_text(json.dumps(dict(json.loads(TINY_CONFIG.read_text()), util_params={"use_gpu": 0})))
    assert load_config(cpu_config).util_params.use_gpu is False
    seen, result = _launch(monkeypatch, tmp_path, ["--gpu", "0"], cpu_config)
    assert isinstance(result.exception, _Stop), result.output
    assert seen["device"] == torch.device("cuda:0")
    assert seen["cfg"].util_params.use_gpu is True and seen["cfg"].util_params.gpu_id == 0


def test_gpu_asked_for_where_there_is_no_cuda_says_so(monkeypatch, tmp_path):
    """`--gpu 0` on a machine without CUDA runs on the CPU with a one-line note that says so. A slip in which
    `config_device(..., None)` dropped the --gpu flag trained on the CPU without the note: the researcher believes the
    run used the GPU."""
    import launch_experiment

    _mock_cuda(monkeypatch, 0)
    device, output = _entry_devices(monkeypatch, tmp_path, launch_experiment, [str(TINY_CONFIG), "--gpu", "0"])
    assert device == torch.device("cpu")
    assert "note: --gpu 0 asked for CUDA, which is not available here; running on the CPU" in output


def test_threads_option_sets_torchs_threads_before_the_run(monkeypatch, tmp_path):
    """`--threads N` sets torch's thread count to N before the run. Accepted and ignored, it left torch with one thread
    per core (on a busy host 2-3x slower, the help says), with no word."""
    calls = []
    monkeypatch.setattr(torch, "set_num_threads", calls.append)
    seen, result = _launch(monkeypatch, tmp_path, ["--threads", "3"])
    assert isinstance(result.exception, _Stop), result.output
    assert calls == [3]


def test_no_progress_reaches_the_runs_of_seeds_and_the_single_run(monkeypatch, tmp_path):
    """`--no-progress` turns the progress bars off in `run_many` (--seeds) and in the single run's MetaTrainer;
    without it both show them."""
    from types import SimpleNamespace

    from click.testing import CliRunner

    import launch_experiment

    shown = []
    monkeypatch.setattr(launch_experiment, "run_many", lambda *a, show_progress=True: shown.append(show_progress))
    prepared = SimpleNamespace(train_tasks=[0], test_tasks=[1], train_buffer=[], out_dir=tmp_path)
    monkeypatch.setattr(launch_experiment, "prepare", lambda cfg, seed, device: prepared)

    class Trainer:
        def __init__(self, p, show_progress=True):
            shown.append(show_progress)

        def run(self):
            pass

    monkeypatch.setattr(launch_experiment, "MetaTrainer", Trainer)
    monkeypatch.chdir(tmp_path)
    for args in (["--seeds", "0,1"], ["--gpu", "-1"]):
        for flag in (["--no-progress"], []):
            result = CliRunner().invoke(launch_experiment.main, [str(TINY_CONFIG), *args, *flag])
            assert result.exit_code == 0, result.output
    assert shown == [False, True, False, True]
