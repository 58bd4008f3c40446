"""Deep RL agents on stable-baselines3 (`sb3`: PPO, slot-level PPO, A2C, DQN and the
sb3-contrib ones), their candidate-scoring networks (`networks`), the envs they train on
(`feature_obs`, `slot_decisions`), `SlotPPO` and the RL Zoo configurations (`zoo`).

`artwork_env.agents.deep` was one module; its names are still found here, in
`sb3`, imported on first use.
"""

from artwork_env.aliases import names_of

__getattr__ = names_of(__name__, __path__, "sb3")
