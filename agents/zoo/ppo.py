"""RL Zoo hyperparameters of PPO (`--conf-file agents.zoo.ppo`; see `agents.zoo`)."""

from agents.zoo import zoo_hyperparameters

hyperparams = zoo_hyperparameters("ppo")
