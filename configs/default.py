"""Default CSRO experiment settings: every key, documented, and the valid range of every number.

The one place defaults live. An experiment JSON (configs/<env>.json) overrides only what it
needs, then CLI overrides (`--algo_params.num_iterations 2`) apply. `rlkit.config` checks
every key and type against its dataclasses and every number against `valid_ranges`; an
unknown key or a value out of range is an error naming it.
"""

default_config = dict(
    env_name="point-robot",  # a key of rlkit.tasks.ENVS
    n_train_tasks=30,  # tasks used for meta-training
    n_eval_tasks=10,  # held-out tasks used for meta-test
    interpolation=True,  # test tasks spread through the task list (docs/algorithm.md, "Task split")
    randomize_tasks=False,  # test tasks = complement of a seeded random choice
    latent_size=20,  # dimension of the task latent z
    net_size=256,  # hidden width of Q, V, policy and the dual critic
    path_to_weights=None,  # a snapshot (.pt) to initialise all networks from
    seed_list=[0, 1, 2],  # seeds of the reference's sweep (informational; --seed picks one)
    env_params=dict(
        n_tasks=40,  # number of tasks of the family; goal_idx{i} always means the same task
        randomize_tasks=False,  # shuffle the family's task list (seeded, deterministic)
        max_episode_steps=20,  # the env's own time limit
        goal_radius=None,  # sparse-point-robot only: radius of the sparse reward
    ),
    algo_params=dict(
        meta_batch=16,  # tasks per gradient step
        batch_size=256,  # RL transitions per task per step
        num_iterations=65,  # iterations of a run
        num_train_steps_per_itr=1000,  # gradient steps per iteration
        num_evals=2,  # independent meta-test runs per test task
        num_steps_per_eval=400,  # scored env steps per run (N)
        embedding_batch_size=1024,  # context transitions per task per step
        embedding_mini_batch_size=1024,  # kept for the reference's configs; must equal embedding_batch_size
        max_path_length=20,  # episode length H at meta-test
        discount=0.9,
        soft_target_tau=0.005,  # Polyak rate of the target V
        policy_lr=3e-4,
        qf_lr=3e-4,
        vf_lr=3e-4,
        context_lr=3e-4,  # encoder and CLUB net
        c_lr=1e-4,  # BRAC dual critic
        alpha_lr=1.0,  # BRAC alpha
        c_iter=3,  # dual-critic steps per training step
        policy_mean_reg_weight=1e-3,
        policy_std_reg_weight=1e-3,
        policy_pre_activation_weight=0.0,  # weight of mean(sum pre_tanh^2) in the policy loss (the reference's; 0 in its configs)
        replay_buffer_size=200000,  # per-task capacity; loading more transitions is an error
        reward_scale=100.0,  # multiplies r in the Q target
        sparse_rewards=False,  # train on sparsified rewards (sparse-point-robot)
        use_information_bottleneck=False,  # must stay False: z is deterministic in CSRO
        num_exp_traj_eval=1,  # scored episodes before z is first inferred online
        recurrent=False,  # must stay False: the encoder is permutation invariant
        dump_eval_paths=False,  # write every scored episode's return, per protocol and job, to eval_returns_itr_{n}.json
        sample=1,  # 1: stochastic behaviour trajectories, 0: deterministic ones
        n_trj=50,  # trajectories per checkpoint
        train_epoch=[2200, 5000, 200],  # checkpoint numbers for training tasks: range(start, stop, step)
        eval_epoch=[2200, 5000, 200],  # same for test tasks (offline-context protocol)
        data_dir="./offline_dataset/point-robot",
        terminal_at_traj_end=True,  # reference quirk: each trajectory's last transition is terminal
        divergence_name="kl",  # BRAC divergence; only "kl"
        use_brac=False,
        use_value_penalty=False,  # subtract alpha * D_hat from the V target (BRAC value penalty)
        train_alpha=True,
        alpha_init=500.0,
        alpha_max=2000.0,
        target_divergence=0.05,
        dual_critic_penalty="value",  # "value": the reference's penalty on c's output; "gradient": a true gradient penalty
        max_entropy=True,  # subtract log pi in the V target and add it to the policy loss
        z_loss_weight=10.0,  # FOCAL distance-metric loss weight (max MI)
        club_model_loss_weight=10.0,  # CLUB net fit weight
        club_loss_weight=25.0,  # CLUB upper bound weight (min MI)
        use_FOCAL_cl=True,  # use the max-MI term
        use_club=True,  # use the min-MI term
        club_use_sa=True,  # must stay true: the CLUB net's input is (s, a), the only form the reference's configs use
        use_next_obs_in_context=False,  # context = (s, a, r, s') instead of (s, a, r)
        allow_backward_z=False,  # let the critic loss train the encoder (OFFPEARL)
        # Encoder variants (extensions; docs/algorithm.md, "Encoder variants"). The defaults are CSRO's.
        train_z0_policy=False,  # also train the actor and critics with z = 0 (the prior mean) on a share of every batch
        z0_policy_share=0.25,  # that share: the first ceil(share * batch_size) rows of each task's batch
        use_hvar=False,  # the encoder also outputs a per-transition variance (heteroscedastic)
        z_strategy="mean",  # embeddings -> z: "mean" (the reference), "weighted" (inverse-variance mean; needs
        #                     use_hvar), "poe" (product of Gaussians, sampled in training; needs use_hvar)
        allow_eval=True,  # run the meta-test every iteration
        mb_replace=False,  # draw the meta-batch of tasks with replacement
        snapshot_gap=5,  # keep snapshots/itr_{n}.pt every n iterations (and the last)
        # Accepted for the reference's configs and ignored (dead keys there too):
        kl_lambda=0.1,
        dropout=0.1,
        num_tasks_sample=5,
        update_post_train=1,
        save_replay_buffer=False,
        save_algorithm=False,
        save_environment=False,
    ),
    util_params=dict(
        base_log_dir="./output",  # runs go to base_log_dir/env_name/exp_name/seed{S}
        use_gpu=True,  # CUDA device gpu_id when CUDA is available (the reference's configs say 1); --gpu sets both
        gpu_id=0,
        debug=False,
        docker=False,  # ignored
        exp_name="",  # empty: a timestamp, as in the reference
        config_file="",  # set by the loader: the JSON file the run was configured from (show_path.py compares it)
    ),
    algo_type="CSRO",  # CSRO | FOCAL | OFFPEARL | CLASSIFIER (docs/algorithm.md, "Baselines", "Encoder variants")
)

# Valid ranges of the numeric keys, checked when a config is built. "[a, b]" closed, "(a, b]"
# open at a, ">= a" / "> a" unbounded above. Keys not listed here are not numbers, or are
# accepted-and-ignored reference keys (kl_lambda, dropout, num_tasks_sample, update_post_train).
valid_ranges = {
    "n_train_tasks": ">= 1",
    "n_eval_tasks": ">= 1",
    "latent_size": ">= 1",
    "net_size": ">= 1",
    "env_params.n_tasks": ">= 1",
    "env_params.max_episode_steps": ">= 1",
    "env_params.goal_radius": "> 0",
    "algo_params.meta_batch": ">= 1",
    "algo_params.batch_size": ">= 1",
    "algo_params.num_iterations": ">= 1",
    "algo_params.num_train_steps_per_itr": ">= 1",
    "algo_params.num_evals": ">= 1",
    "algo_params.num_steps_per_eval": ">= 1",
    "algo_params.embedding_batch_size": ">= 1",
    "algo_params.embedding_mini_batch_size": ">= 1",
    "algo_params.max_path_length": ">= 1",
    "algo_params.discount": "[0, 1]",
    "algo_params.soft_target_tau": "(0, 1]",
    "algo_params.policy_lr": "> 0",
    "algo_params.qf_lr": "> 0",
    "algo_params.vf_lr": "> 0",
    "algo_params.context_lr": "> 0",
    "algo_params.c_lr": "> 0",
    "algo_params.alpha_lr": ">= 0",
    "algo_params.c_iter": ">= 1",
    "algo_params.policy_mean_reg_weight": ">= 0",
    "algo_params.policy_std_reg_weight": ">= 0",
    "algo_params.policy_pre_activation_weight": ">= 0",
    "algo_params.replay_buffer_size": ">= 1",
    "algo_params.reward_scale": "> 0",
    "algo_params.num_exp_traj_eval": ">= 0",
    "algo_params.sample": "[0, 1]",
    "algo_params.n_trj": ">= 1",
    "algo_params.alpha_init": ">= 0",
    "algo_params.alpha_max": ">= 0",
    "algo_params.target_divergence": ">= 0",
    "algo_params.z_loss_weight": ">= 0",
    "algo_params.club_model_loss_weight": ">= 0",
    "algo_params.club_loss_weight": ">= 0",
    "algo_params.snapshot_gap": ">= 1",
    "algo_params.z0_policy_share": "(0, 1]",
    "util_params.gpu_id": ">= 0",
}
