"""`agents` is `artwork_env.agents`, kept as a short import path: `from agents import
make_agent` and `import agents.factored` give the very modules of `artwork_env.agents`.
The library itself imports only `artwork_env.*`, so a file of your own named `agents.py`
shadows this alias, never the library (`artwork_env.aliases`)."""

from artwork_env.aliases import alias

alias(__name__, "artwork_env.agents")
