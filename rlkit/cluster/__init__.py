"""Scale-out on Ray (the optional `ray` extra): stage 1's tasks and stage 2's seeds and sweeps as
chains of Ray tasks, each resuming from the last finished checkpoint when a worker is lost.

`engine` holds the shared plumbing (connection, resources, the driver loop, the summary table);
`behaviour` runs `policy_train.py --ray`; `runs` runs `launch_experiment.py --seeds/--sweep`, with
or without `--ray`. Ray is imported only when a command asks for it.
"""
