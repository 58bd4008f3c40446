"""`experiments` is `artwork_env.experiments`, kept as a short import path: `from
experiments.training import train` gives the very module `artwork_env.experiments.training`.
The library itself imports only `artwork_env.*`, so a file of your own named
`experiments.py` shadows this alias, never the library (`artwork_env.aliases`)."""

from artwork_env.aliases import alias

alias(__name__, "artwork_env.experiments")
