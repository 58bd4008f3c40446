"""Neural bandits: the neural bandit (`bandit`), the factored click-and-play bandit
(`factored`) and its lifetime-aware extension `ltv`, with their replay buffer and optimiser
state.

`artwork_env.agents.neural` was one module; its names are still found here, in
`bandit`, imported on first use.
"""

from artwork_env.aliases import names_of

__getattr__ = names_of(__name__, __path__, "bandit")
