"""Agents for artwork_env: bandits (epsilon-greedy, UCB, Thompson sampling, LinUCB) and
stable-baselines3 deep RL agents behind one interface. The agents arrive in a later issue;
this package exists so the distribution's layout is settled.
"""
