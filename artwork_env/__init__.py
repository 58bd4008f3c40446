"""artwork_env: Netflix-style artwork personalisation as a reinforcement-learning testbed.

Importing the package registers two Gymnasium environments:

- ``ArtworkPersonalization-v0``: a member's lifetime (default 20 visits, churn, trust,
  change and fatigue effects);
- ``ArtworkPersonalization-v1``: the same lifetime with the long-term effects on
  (``long_term=1``: an oversold click costs trust, and members who lost trust leave);
- ``ArtworkBandit-v0``: one visit of a fresh member per episode (a contextual bandit).

``gymnasium.make("artwork_env:ArtworkBandit-v0", n_slots=8, reward="click")`` imports the
package and passes any model parameter (see `ModelConfig`).
"""

from __future__ import annotations

import gymnasium

from artwork_env.aliases import moved
from artwork_env.compiled.core import ArtworkSimulator, PageModel
from artwork_env.envs.env import ArtworkEnv
from artwork_env.model.config import ModelConfig, parameter_names
from artwork_env.model.world import World, build_world
from artwork_env.reference import best_nonpersonalised_artworks

__version__ = "0.1.0"
ENV_KWARGS = {
    "ArtworkBandit-v0": {"n_visits": 1},
    "ArtworkPersonalization-v0": {"n_visits": 20},
    "ArtworkPersonalization-v1": {"n_visits": 20, "long_term": 1.0},
}
"""Every registered id and the model parameters it sets (the rest are `ModelConfig`'s)."""
ENV_IDS = tuple(ENV_KWARGS)

for _env_id, _kwargs in ENV_KWARGS.items():
    gymnasium.register(id=_env_id, entry_point="artwork_env.envs.env:ArtworkEnv",
                       vector_entry_point="artwork_env.envs.vector_env:ArtworkVectorEnv",
                       kwargs=_kwargs)

__all__ = ["ENV_IDS", "ENV_KWARGS", "ArtworkEnv", "ArtworkSimulator", "ModelConfig",
           "PageModel", "World", "best_nonpersonalised_artworks", "build_world",
           "parameter_names"]

# the modules' paths before they were grouped (`artwork_env.config`, `artwork_env.core`, ...)
# still import, as the very same modules
moved(__name__, {
    "config": "model.config", "world": "model.world", "demo_catalog": "model.demo_catalog",
    "members": "model.members", "page": "model.page", "rewards": "model.rewards",
    "state": "model.state", "rng": "model.rng", "elementary": "model.elementary",
    "numpy_core": "model.numpy_core", "layout": "model.layout",
    "kernels": "compiled.kernels", "core": "compiled.core", "threads": "compiled.threads",
    "env": "envs.env", "vector_env": "envs.vector_env", "sb3": "envs.sb3",
    "rendering": "envs.rendering", "rollout": "envs.rollout",
})
