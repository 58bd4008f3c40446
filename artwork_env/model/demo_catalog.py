"""The demo catalog: well-known titles with named artworks, so a rendered page reads like
the real thing (`catalog="demo"`). Hidden appeal and visual attributes are invented.

Each artwork: (name, theme genre, face actor or None, visual attributes
(brightness, close-up, expressive, crowded, text-heavy), hidden appeal).
"""

from __future__ import annotations

Artwork = tuple[str, str, "str | None", tuple[float, float, float, float, float], float]

DEMO_TITLES: list[dict] = [
    dict(name="Good Will Hunting", genres={"drama": 0.6, "romance": 0.2, "comedy": 0.2},
         cast=["Matt Damon", "Robin Williams", "Minnie Driver", "Ben Affleck"], quality=1.2,
         artworks=[
             ("romance: Damon & Driver", "romance", "Minnie Driver", (.7, .6, .6, .1, .1), .2),
             ("comedy: Robin Williams", "comedy", "Robin Williams", (.8, .8, .9, .1, .1), .4),
             ("drama: Damon at the blackboard", "drama", "Matt Damon", (.4, .3, .3, .1, .3), 0),
             ("friends: Damon & Affleck", "drama", "Ben Affleck", (.6, .4, .5, .3, .1), -.2),
         ]),
    dict(name="Pulp Fiction", genres={"crime": 0.5, "thriller": 0.3, "comedy": 0.2},
         cast=["Uma Thurman", "John Travolta", "Samuel L. Jackson", "Bruce Willis"],
         quality=1.3,
         artworks=[
             ("Uma Thurman", "crime", "Uma Thurman", (.5, .9, .6, .0, .2), .5),
             ("John Travolta", "comedy", "John Travolta", (.6, .7, .7, .0, .1), .1),
             ("Jules and Vincent, guns drawn", "action", "Samuel L. Jackson",
              (.4, .5, .8, .2, .1), .2),
             ("Bruce Willis", "thriller", "Bruce Willis", (.3, .6, .4, .0, .1), -.3),
         ]),
    dict(name="Stranger Things", genres={"sci-fi": 0.4, "horror": 0.3, "drama": 0.3},
         cast=["Millie Bobby Brown", "Winona Ryder", "David Harbour", "Finn Wolfhard",
               "Joe Keery"], quality=1.0,
         artworks=[
             ("the kids on bikes", "drama", None, (.4, .1, .4, .9, .1), .3),
             ("Eleven, close-up", "sci-fi", "Millie Bobby Brown", (.3, .9, .7, .0, .0), .5),
             ("the Upside Down", "horror", None, (.1, .2, .3, .2, .1), 0),
             ("the Demogorgon", "horror", None, (.2, .6, .9, .0, .0), -.1),
             ("Hopper in the woods", "drama", "David Harbour", (.3, .5, .4, .0, .1), -.2),
             ("Joyce and the lights", "drama", "Winona Ryder", (.5, .6, .8, .0, .4), .1),
             ("Steve with the bat", "action", "Joe Keery", (.3, .5, .6, .0, .1), .0),
             ("Mike and Eleven", "romance", "Finn Wolfhard", (.6, .5, .5, .1, .1), -.1),
             ("title card", "sci-fi", None, (.2, .0, .1, .0, .95), -.4),
         ]),
    dict(name="The Crown", genres={"drama": 0.8, "documentary": 0.2},
         cast=["Claire Foy", "Olivia Colman", "Matt Smith"], quality=0.9,
         artworks=[
             ("the Queen, crowned", "drama", "Claire Foy", (.6, .8, .3, .0, .1), .3),
             ("the royal family", "drama", "Olivia Colman", (.6, .2, .2, .9, .1), -.1),
             ("Philip and Elizabeth", "romance", "Matt Smith", (.7, .5, .5, .1, .1), 0),
         ]),
    dict(name="Narcos", genres={"crime": 0.6, "drama": 0.2, "action": 0.2},
         cast=["Wagner Moura", "Boyd Holbrook", "Pedro Pascal"], quality=0.8,
         artworks=[
             ("Escobar", "crime", "Wagner Moura", (.3, .8, .5, .0, .1), .4),
             ("the DEA agents", "action", "Pedro Pascal", (.5, .4, .6, .3, .1), 0),
             ("the map of Colombia", "documentary", None, (.6, .0, .0, .0, .7), -.5),
         ]),
    dict(name="Bird Box", genres={"thriller": 0.6, "horror": 0.4},
         cast=["Sandra Bullock", "Trevante Rhodes"], quality=0.2,
         artworks=[
             ("blindfolded Sandra Bullock", "thriller", "Sandra Bullock", (.4, .9, .7, .0, .0), .5),
             ("the river", "thriller", None, (.5, .1, .2, .2, .1), -.2),
             ("the two of them, romance", "romance", "Trevante Rhodes", (.7, .6, .5, .1, .1), .1),
         ]),
    dict(name="The Irishman", genres={"crime": 0.7, "drama": 0.3},
         cast=["Robert De Niro", "Al Pacino", "Joe Pesci"], quality=1.1,
         artworks=[
             ("De Niro", "crime", "Robert De Niro", (.3, .8, .3, .0, .1), .3),
             ("De Niro, Pacino and Pesci", "crime", "Al Pacino", (.4, .4, .4, .6, .1), .2),
             ("the title in gold", "drama", None, (.2, .0, .1, .0, .9), -.4),
         ]),
    dict(name="Our Planet", genres={"documentary": 0.8, "family": 0.2},
         cast=["David Attenborough"], quality=1.0,
         artworks=[
             ("the walrus colony", "documentary", None, (.7, .2, .2, .9, .1), .1),
             ("a leopard, close-up", "documentary", None, (.6, .9, .5, .0, .0), .4),
             ("Attenborough", "documentary", "David Attenborough", (.5, .7, .3, .0, .2), -.2),
         ]),
    dict(name="BoJack Horseman", genres={"animation": 0.5, "comedy": 0.3, "drama": 0.2},
         cast=["Will Arnett", "Alison Brie", "Aaron Paul"], quality=1.1,
         artworks=[
             ("BoJack on the pool float", "comedy", "Will Arnett", (.9, .5, .6, .0, .1), .3),
             ("the cast line-up", "animation", "Aaron Paul", (.8, .2, .5, .8, .2), 0),
             ("BoJack alone at night", "drama", "Will Arnett", (.2, .6, .4, .0, .1), -.1),
         ]),
    dict(name="Dark", genres={"sci-fi": 0.5, "thriller": 0.3, "drama": 0.2},
         cast=["Louis Hofmann", "Lisa Vicari"], quality=1.2,
         artworks=[
             ("the cave", "thriller", None, (.1, .1, .2, .0, .1), .1),
             ("Jonas in the yellow raincoat", "sci-fi", "Louis Hofmann", (.3, .8, .4, .0, .0), .3),
             ("Jonas and Martha", "romance", "Lisa Vicari", (.4, .6, .5, .1, .1), 0),
             ("three timelines", "sci-fi", None, (.3, .2, .3, .7, .6), -.3),
         ]),
    dict(name="The Witcher", genres={"fantasy": 0.6, "action": 0.4},
         cast=["Henry Cavill", "Anya Chalotra", "Freya Allan"], quality=0.5,
         artworks=[
             ("Geralt with his sword", "action", "Henry Cavill", (.3, .7, .6, .0, .1), .4),
             ("Yennefer", "fantasy", "Anya Chalotra", (.4, .9, .6, .0, .0), .2),
             ("Geralt and Yennefer", "romance", "Henry Cavill", (.5, .6, .6, .1, .1), 0),
             ("the monster", "horror", None, (.2, .5, .8, .0, .0), -.2),
         ]),
    dict(name="Paddington 2", genres={"family": 0.6, "comedy": 0.3, "animation": 0.1},
         cast=["Ben Whishaw", "Hugh Grant"], quality=1.3,
         artworks=[
             ("Paddington with marmalade", "family", "Ben Whishaw", (.9, .7, .7, .0, .1), .4),
             ("Hugh Grant in costume", "comedy", "Hugh Grant", (.8, .6, .9, .0, .1), .1),
             ("the Brown family", "family", None, (.8, .3, .5, .8, .1), -.1),
         ]),
]
