"""Default CSRO experiment settings: every key, its default, its meaning and the valid range of each number.

Written by `python scripts/write_default_config.py` from rlkit/config.py, where each key is declared
once (edit it there; a test fails while this file differs). An experiment JSON (configs/<env>.json)
overrides only what it needs, then CLI overrides (`--algo_params.num_iterations 2`) apply; an unknown
key, a value of the wrong type or out of its range is an error naming it. The reference-only keys at
the end of each section are accepted so that the reference's configs load, with the one value shown
(docs/reference-differences.md, "Reference-only config keys").
"""

default_config = dict(
    env_name="point-robot",  # a key of rlkit.tasks.ENVS
    n_train_tasks=30,  # >= 1; tasks used for meta-training
    n_eval_tasks=10,  # >= 1; held-out tasks used for meta-test
    interpolation=True,  # test tasks spread through the task list (docs/algorithm.md, "Task split")
    randomize_tasks=False,  # test tasks = complement of a seeded random choice
    latent_size=20,  # >= 1; dimension of the task latent z
    net_size=256,  # >= 1; hidden width of Q, V, policy and the dual critic
    path_to_weights=None,  # a snapshot (.pt) to initialise all networks (and BRAC's alpha) from
    env_params=dict(  # the env family's constructor arguments
        n_tasks=40,  # >= 1; number of tasks of the family; goal_idx{i} always means the same task
        randomize_tasks=False,  # shuffle the family's task list (seeded, deterministic)
        max_episode_steps=20,  # >= 1; the env's own time limit
        # > 0; the sparse families' (sparse-*, point-robot-wind) radius of the sparse reward, read with sparse_rewards
        goal_radius=None,
    ),
    algo_params=dict(  # training, meta-test and data settings
        meta_batch=16,  # >= 1; tasks per gradient step
        batch_size=256,  # >= 1; RL transitions per task per step
        num_iterations=65,  # >= 1; iterations of a run
        num_train_steps_per_itr=1000,  # >= 1; gradient steps per iteration
        num_evals=2,  # >= 1; independent meta-test runs per test task
        num_steps_per_eval=400,  # >= 1; scored env steps per run (N)
        embedding_batch_size=1024,  # >= 1; context transitions per task per step
        max_path_length=20,  # >= 1; episode length H at meta-test
        discount=0.9,  # [0, 1]; discount factor of the Q target
        soft_target_tau=0.005,  # (0, 1]; Polyak rate of the target V
        policy_lr=0.0003,  # (0, 1]; policy learning rate
        qf_lr=0.0003,  # (0, 1]; Q1, Q2 learning rate
        vf_lr=0.0003,  # (0, 1]; V learning rate
        # (0, 1]; learning rate of the encoder, the CLUB net and a method's own encoder parts (CLASSIFIER's head,
        # UNICORN_SS's decoder, CORRO's CVAE, BOREL's VAE)
        context_lr=0.0003,
        c_lr=0.0001,  # (0, 1]; BRAC dual critic learning rate
        alpha_lr=1.0,  # >= 0; BRAC alpha step size
        c_iter=3,  # >= 1; dual-critic steps per training step
        policy_mean_reg_weight=0.001,  # >= 0; weight of mean(mean^2) in the policy loss
        policy_std_reg_weight=0.001,  # >= 0; weight of mean(log_std^2) in the policy loss
        # >= 0; weight of mean(sum pre_tanh^2) in the policy loss (the reference's; 0 in its configs)
        policy_pre_activation_weight=0.0,
        replay_buffer_size=200000,  # >= 1; per-task capacity; loading more transitions is an error
        reward_scale=100.0,  # > 0; multiplies r in the Q target
        # sparsified rewards in the context and the meta-test scores (the RL batch keeps the dense reward)
        sparse_rewards=False,
        # OFFPEARL only: null or true = PEARL's probabilistic encoder (identity 2L output, softplus variance, product of
        # Gaussians, sampled z, KL to N(0, I)); false = PEARL's deterministic one (z = mean of L identity outputs, no
        # KL). Another algo_type: null or false (z is deterministic)
        use_information_bottleneck=None,
        num_exp_traj_eval=1,  # >= 0; scored episodes before z is first inferred online
        # write every scored episode's return, per protocol and job, to eval_returns_itr_{n}.json
        dump_eval_paths=False,
        sample=1,  # [0, 1]; 1: stochastic behaviour trajectories, 0: deterministic ones
        n_trj=50,  # >= 1; trajectories per checkpoint
        train_epoch=[2200, 5000, 200],  # checkpoint numbers for training tasks: range(start, stop, step)
        eval_epoch=[2200, 5000, 200],  # same for test tasks (offline-context protocol)
        data_dir="./offline_dataset/point-robot",  # the behaviour dataset (stage 1's output)
        terminal_at_traj_end=True,  # reference quirk: each trajectory's last transition is terminal
        use_brac=False,  # BRAC: the dual critic's divergence penalises the policy
        use_value_penalty=False,  # subtract alpha * D_hat from the V target (BRAC value penalty)
        train_alpha=True,  # adapt BRAC's alpha towards target_divergence
        alpha_init=500.0,  # >= 0; BRAC alpha at the start
        alpha_max=2000.0,  # >= 0; BRAC alpha is used clipped to [0, alpha_max]
        target_divergence=0.05,  # >= 0; the divergence BRAC's alpha steers towards
        # "value": the reference's penalty on c's output; "gradient": a true gradient penalty
        dual_critic_penalty="value",
        max_entropy=True,  # subtract log pi in the V target and add it to the policy loss
        # >= 0; weight of the max-MI term: FOCAL's distance metric, or CLASSIFIER's and UNICORN_SUP's cross-entropy
        z_loss_weight=10.0,
        club_model_loss_weight=10.0,  # >= 0; CLUB net fit weight
        club_loss_weight=25.0,  # >= 0; CLUB upper bound weight (min MI)
        use_FOCAL_cl=True,  # use FOCAL's distance metric as the max-MI term (CSRO, FOCAL)
        use_club=True,  # use the min-MI term
        use_next_obs_in_context=False,  # context = (s, a, r, s') instead of (s, a, r)
        allow_backward_z=False,  # let the critic loss train the encoder (OFFPEARL and CORRO force it on)
        train_z0_policy=False,  # also train the actor and critics with z = 0 (the prior mean) on a share of every batch
        z0_policy_share=0.25,  # (0, 1]; that share: the first ceil(share * batch_size) rows of each task's batch
        use_hvar=False,  # the encoder also outputs a per-transition variance (heteroscedastic)
        # embeddings -> z: "mean" (the reference), "weighted" (inverse-variance mean; needs use_hvar), "poe" (product of
        # Gaussians, sampled in training; needs use_hvar)
        z_strategy="mean",
        allow_eval=True,  # run the meta-test every iteration (false: its progress columns are nan)
        # draw the meta-batch of tasks with replacement, for every algo_type. false: the CSRO reference's setting (no
        # two rows share a task, so FOCAL's same-task attraction term is 0); true: FOCAL's own setting (repeated tasks,
        # the attraction term acts)
        mb_replace=False,
        snapshot_gap=5,  # >= 1; keep snapshots/itr_{n}.pt every n iterations (and the last)
        # >= 0; OFFPEARL's bottleneck: weight of sum_tasks,dims KL(q(z|c) || N(0, I)); unless set, PEARL's value for the
        # env (1.0 on ant-goal and sparse-point-robot, as its configs; 0.1, its default, elsewhere); must stay at 0.1
        # elsewhere (nothing reads it)
        kl_lambda=0.1,
        # OFFPEARL's bottleneck: at meta-test z is a sample of the posterior (PEARL), an empty context a sample of N(0,
        # I); false: the posterior mean (0 for no context)
        sample_z_at_test=False,
        corro_aggregator="attention",  # CORRO: transition embeddings -> z by "attention" (CORRO's) or "mean"
        # >= 0; CORRO: 0 trains its transition encoder with the actor-critic at every step; N > 0 is CORRO's schedule:
        # the transition encoder alone for N steps, then frozen
        corro_pretrain_steps=0,
        corro_reward_std=0.5,  # > 0; CORRO, reward negatives: std of the reward noise of its negatives, r + N(0, std^2)
        # CORRO: "reward" (r + noise), "generative" (a CVAE's (r, s') given (s, a)), or "auto": generative on the
        # dynamics families (hopper, walker, point-robot-wind), reward elsewhere
        corro_negatives="auto",
        corro_cvae_steps=5000,  # >= 1; CORRO, generative negatives: the CVAE's training steps, before anything else
        # >= 1; CORRO, generative negatives: the CVAE's hidden units, one layer (CORRO's hidden_size: unless set, 128 on
        # hopper, walker, ant and humanoid, as its configs, 64 elsewhere)
        corro_cvae_hidden=64,
        # >= 1; CORRO, generative negatives: the CVAE's w dims (CORRO's z_dim: unless set, 64 on hopper, walker, ant and
        # humanoid, as its configs, 5 elsewhere)
        corro_cvae_latent=5,
        # CORRO: the transition encoder reads each context column standardised by its mean and std over the training
        # data (not CORRO's: raw MuJoCo rows keep its InfoNCE at chance for thousands of steps)
        corro_standardize=False,
        # >= 0; UNICORN_SS: weight of FOCAL's metric next to the decoder's loss (UNICORN's beta_encoder: unless set, its
        # value for the env, 0.01 on cheetah-dir, 1.5 on hopper, 0.7 on walker, 0.15 elsewhere)
        unicorn_beta=0.15,
        # >= 1; UNICORN_SS: width of its decoder's two hidden layers (UNICORN's aggregator_hidden_size: unless set, 128
        # on hopper and walker, as its configs, 64 elsewhere)
        unicorn_decoder_hidden=64,
        # >= 1; BOREL: dimension of the belief's mean (BOReL's 5); the learner reads (s, mu, logvar), 2x wider
        borel_latent_size=5,
        # >= 1; BOREL: the belief VAE's training steps, a stage of its own before the learner's iterations
        borel_vae_steps=5000,
        # >= 1; BOREL: distinct training tasks per VAE step (BOReL's tasks_batch_size: unless set, 4 on the MuJoCo
        # families, as its cheetah and ant configs, 8 on the point-robot ones); all n_train_tasks where there are fewer
        borel_vae_tasks=8,
        # >= 1; BOREL: ordered sequences per task per VAE step (BOReL's vae_batch_num_rollouts_per_task)
        borel_vae_sequences=8,
        # >= 1; BOREL: beliefs q_t per sequence whose reconstruction is computed at a VAE step, drawn without
        # replacement and weighted so the sum over t stays unbiased (BOReL's vae_batch_num_elbo_terms, VariBAD's
        # vae_subsample_elbos); null: all T+1, as BOReL's configs. The VAE step costs O(T^2) without it
        borel_elbo_terms=None,
        # >= 0; BOREL: weight of sum_t KL(q_t || q_t-1) next to the reward reconstruction (BOReL's kl_weight)
        borel_kl_weight=0.05,
        # >= 2; BOREL: episodes of a task in one ordered sequence, the BAMDP horizon (BOReL's max_rollouts_per_task); at
        # meta-test the belief carries over the preceding borel_episodes - 1 context episodes
        borel_episodes=2,
        # BOREL: also decode s' from (z, s, a) (BOReL's optional state decoder); null: on for the dynamics families
        # (hopper, walker, point-robot-wind), off elsewhere
        borel_decode_state=None,
        # reference-only:
        # only = algo_params.embedding_batch_size: the reference's recurrent-encoder split of the context; this code
        # reads embedding_batch_size
        embedding_mini_batch_size=1024,
        # any value: PEARL's online data collection, which offline training does not do; read nowhere in the reference
        num_tasks_sample=5,
        update_post_train=1,  # only 1: PEARL's online context resampling; read nowhere in the reference either
        dropout=0.1,  # only 0.1: the encoder has no dropout; read nowhere in the reference either
        recurrent=False,  # only False: permutation-invariant encoder only
        # true, or false where the context holds no next observations or no CLUB net is trained: the CLUB net's input is
        # (s, a), the only form the reference's configs use and this code implements
        club_use_sa=False,
        divergence_name="kl",  # only "kl": BRAC's divergence: only the KL is implemented
        save_replay_buffer=False,  # only False: snapshots hold the networks and optimisers only
        save_algorithm=False,  # only False: snapshots hold the networks and optimisers only
        save_environment=False,  # only False: snapshots hold the networks and optimisers only
    ),
    util_params=dict(  # where a run writes, and on what it runs
        base_log_dir="./output",  # runs go to base_log_dir/env_name/exp_name/seed{S}
        use_gpu=True,  # CUDA device gpu_id when CUDA is available (the reference's configs say 1); --gpu sets both
        gpu_id=0,  # >= 0; the CUDA device, with use_gpu
        exp_name="",  # empty: a timestamp, as in the reference
        config_file="",  # set by the loader: the JSON file the run was configured from (show_path.py compares it)
        # reference-only:
        debug=False,  # only False: the reference's debug folder is not implemented
        docker=False,  # only False: docker is not supported (nor in the reference)
    ),
    # CSRO | FOCAL | OFFPEARL | CLASSIFIER | CORRO | UNICORN_SS | UNICORN_SUP | BOREL (docs/algorithm.md, "Baselines",
    # "Encoder variants")
    algo_type="CSRO",
    # reference-only:
    seed_list=[0, 1, 2],  # only [0, 1, 2]: the reference's sweep; here --seed or --seeds choose the seeds
)
