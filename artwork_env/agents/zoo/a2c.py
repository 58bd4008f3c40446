"""RL Zoo hyperparameters of A2C (`--conf-file artwork_env.agents.zoo.a2c`; see
`artwork_env.agents.zoo`)."""

from artwork_env.agents.zoo import zoo_hyperparameters

hyperparams = zoo_hyperparameters("a2c")
