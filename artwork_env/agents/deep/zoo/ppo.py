"""RL Zoo hyperparameters of PPO (`--conf-file artwork_env.agents.deep.zoo.ppo`; see
`artwork_env.agents.deep.zoo`)."""

from artwork_env.agents.deep.zoo import zoo_hyperparameters

hyperparams = zoo_hyperparameters("ppo")
