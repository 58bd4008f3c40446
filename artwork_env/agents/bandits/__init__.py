"""Per-title multi-armed bandits: epsilon-greedy, UCB1 and Beta-Bernoulli Thompson
sampling (`multi_armed`), which learn each title's best artwork for everybody.

`artwork_env.agents.bandits` was one module; its names are still found here, in
`multi_armed`, imported on first use.
"""

from artwork_env.aliases import names_of

__getattr__ = names_of(__name__, __path__, "multi_armed")
