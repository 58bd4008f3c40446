"""The agents behind one batched interface (`base.Agent`): references (random, oracle,
planner, ceiling), bandits (epsilon-greedy, UCB, Thompson sampling, LinUCB, LinTS, the
neural and factored bandits, `ltv`) and stable-baselines3 deep agents. `registry.make_agent`
builds one by name; each agent's typed hyperparameters are its `config_class`. Importing
this package imports no agent (torch loads with the first agent that needs it).

The agents live in families, one folder each: `bandits` (per-title multi-armed bandits),
`contextual` (LinUCB, LinTS), `neural` (the neural and factored bandits, `ltv`), `deep`
(stable-baselines3 agents, their networks and envs, the RL Zoo configurations) and
`references` (the cheating references and the learnable ceiling). Beside them sit what
every family shares: the interface (`base`), typed configurations (`config`), the
candidate features (`features`), the torch modules both the neural and deep families use
(`modules`), per-env hyperparameters (`hyperparams`), the registry and the logging
policies. The modules' earlier paths (`artwork_env.agents.ltv`) still import, as the very
same modules (`artwork_env.aliases.moved`).
"""

from artwork_env.aliases import moved

moved(__name__, {
    "linear": "contextual.linear", "linear_kernels": "contextual.linear_kernels",
    "factored": "neural.factored", "ltv": "neural.ltv", "replay": "neural.replay",
    "optimiser_state": "neural.optimiser_state",
    "networks": "deep.networks", "slot_ppo": "deep.slot_ppo", "sb3_config": "deep.sb3_config",
    "slot_decisions": "deep.slot_decisions", "feature_obs": "deep.feature_obs",
    "zoo": "deep.zoo",
    "reference": "references.exact", "ceiling": "references.ceiling",
})
# bandits, neural and deep were modules and are now the family packages: each gives the
# names of the module it was (`multi_armed`, `bandit`, `sb3`) on first use.
