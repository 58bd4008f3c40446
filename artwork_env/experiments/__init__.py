"""The experiment harness: training runs, evaluation, checkpoints, launching runs on
processes or Ray, sweeps, reports, and the offline-estimator study.

It sits between the command-line scripts and the agents: `scripts/` -> `artwork_env/experiments/` ->
`artwork_env/agents/` -> `artwork_env/` (docs/architecture.md). Reading reports
(`artwork_env.experiments.report`) never imports torch.
"""
