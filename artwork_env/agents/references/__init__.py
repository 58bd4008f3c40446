"""Cheating references that read the simulator's exact model (`exact`: random, the
myopic oracle, the planner, the best non-personalised image) and the learnable ceiling
(`ceiling`: fitted on exact gains, acting from the observation).
"""
