"""Contextual linear bandits on the candidate features: LinUCB and LinTS with a
hybrid ridge model (`linear`) and its compiled updates (`linear_kernels`).
"""
