"""The agents behind one batched interface (`base.Agent`): references (random, oracle,
planner, ceiling), bandits (epsilon-greedy, UCB, Thompson sampling, LinUCB, LinTS, the
neural and factored bandits, `ltv`) and stable-baselines3 deep agents. `registry.make_agent`
builds one by name; each agent's typed hyperparameters are its `config_class`. Importing
this package imports no agent (torch loads with the first agent that needs it).
"""
