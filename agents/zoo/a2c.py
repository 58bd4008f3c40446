"""RL Zoo hyperparameters of A2C (`--conf-file agents.zoo.a2c`; see `agents.zoo`)."""

from agents.zoo import zoo_hyperparameters

hyperparams = zoo_hyperparameters("a2c")
