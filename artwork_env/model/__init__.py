"""The model and its specification: the configuration (`config`), the world and its
catalog, the member's state schema (`state`), counter-based random numbers (`rng`),
the observation layout (`layout`), the shared elementary functions, and the numpy
simulator (`numpy_core`, with `members`, `page` and `rewards`): the tested
specification of every equation (docs/model.md).
"""
