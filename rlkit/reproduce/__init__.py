"""`python -m rlkit.reproduce ENV`: the paper's experiments on one env as one command.

    python -m rlkit.reproduce ENV [--profile NAME] [--seeds 0,1,2]
        [--methods CSRO,FOCAL,FOCAL_REPLACE,OFFPEARL,CORRO,UNICORN_SS,UNICORN_SUP,BOREL[,CORRO_STD]] [--gpu G]
        [--jobs J] [--out output/reproduce]

ENV is any env with a shipped config (`plan.ENV_CONFIGS`); an env is data, not a branch: its profiles are
`paper` (its config and the reference's behaviour SAC, meant for a GPU), `tiny` (the same config shrunk to
seconds, for tests) and, where one was chosen by measurement, a CPU-sized results profile (point-robot's
`demo`), which is the default. The score's top is the family's scripted oracle where it has one; otherwise
the best behaviour checkpoint of the held-out tasks' data, and the report says so.

1. Behaviour data, once for every method (stage 1, the profile's SAC config; complete tasks
   are skipped).
2. Meta-training of every method x seed on that data, each run in
   OUT/ENV/<profile>-<METHOD>/seed{S}/ (`launch_experiment.py`'s layout). A finished run
   is skipped, an interrupted one resumes from its latest.pt; a folder holding a run of another
   config is an error before anything trains. `--jobs J` trains J runs at once, each in its own
   process with cores/J threads.
3. The report, docs/results/ENV-<profile>.md (or `--results`; one of other methods or seeds is not replaced),
   with two PNGs (the curves, and the ablation where its runs are there):
   - Table 1's form: per method, the final return of the three meta-test protocols (mean of the
     last `final_iterations` iterations of a run; mean +- std over seeds), the normalised score
     (random 0, oracle 1) with its IQM and 95% stratified-bootstrap interval (rliable), and the
     context-shift gap (offline minus online) per seed;
   - Fig. 3's form: learning curves of each protocol, mean and 95% band over seeds;
   - Fig. 4's form: the 2 x 2 ablation {CLUB min-MI term on (CSRO) / off (FOCAL)} x
     {Np / online-prior collection}, read off the same runs (all protocols are logged).
   Each table is followed by a paragraph generated from its numbers: which of the paper's
   claims hold here and how sure the intervals allow us to be.

The package's rooms: `plan` (profiles, the runs and their folders' state, training one), `tables`
(final returns, scores, gaps), `prose` (the paragraphs read off the tables), `figures` (the PNGs),
`document` (the report put together) and `__main__` (the command).
"""
