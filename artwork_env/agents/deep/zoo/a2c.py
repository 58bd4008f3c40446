"""RL Zoo hyperparameters of A2C (`--conf-file artwork_env.agents.deep.zoo.a2c`; see
`artwork_env.agents.deep.zoo`)."""

from artwork_env.agents.deep.zoo import zoo_hyperparameters

hyperparams = zoo_hyperparameters("a2c")
