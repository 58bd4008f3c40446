"""RL Zoo hyperparameters of PPO (`--conf-file artwork_env.agents.zoo.ppo`; see
`artwork_env.agents.zoo`)."""

from artwork_env.agents.zoo import zoo_hyperparameters

hyperparams = zoo_hyperparameters("ppo")
