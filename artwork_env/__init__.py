"""artwork_env: Netflix-style artwork personalisation as a reinforcement-learning testbed.

Importing the package registers two Gymnasium environments:

- ``ArtworkPersonalization-v0``: a member's lifetime (default 20 visits, churn, trust,
  change and fatigue effects);
- ``ArtworkBandit-v0``: one visit of a fresh member per episode (a contextual bandit).

``gymnasium.make("artwork_env:ArtworkBandit-v0", n_slots=8, reward="click")`` imports the
package and passes any model parameter (see `ModelConfig`).
"""

from __future__ import annotations

import gymnasium

from artwork_env.config import ModelConfig, parameter_names
from artwork_env.core import ArtworkSimulator, PageModel
from artwork_env.env import ArtworkEnv
from artwork_env.reference import best_nonpersonalised_artworks
from artwork_env.world import World, build_world

__version__ = "0.1.0"
ENV_IDS = ("ArtworkBandit-v0", "ArtworkPersonalization-v0")

for _env_id, _visits in (("ArtworkPersonalization-v0", 20), ("ArtworkBandit-v0", 1)):
    gymnasium.register(id=_env_id, entry_point="artwork_env.env:ArtworkEnv",
                       vector_entry_point="artwork_env.vector_env:ArtworkVectorEnv",
                       kwargs={"n_visits": _visits})

__all__ = ["ENV_IDS", "ArtworkEnv", "ArtworkSimulator", "ModelConfig", "PageModel", "World",
           "best_nonpersonalised_artworks", "build_world", "parameter_names"]
