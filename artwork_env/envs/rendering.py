"""Pictures of a page: the row as text ("ansi") and as an RGB array ("rgb_array").

No display: one tile per slot coloured by the artwork's theme (brightness from its visual
attributes), a light disk where the artwork shows a face, stripes where it is text-heavy,
and a bar under the tile for what the member did: green a quality play, orange a bounce,
light grey looked and passed, dark grey never looked. With Pillow installed (it comes with
the `[train]` extra, through matplotlib) the picture is labelled in its default bitmap
font: the visit's reward above the row, each title's name above its tile and the artwork's
theme on it, what the member did under the bar, and a legend of the bar's colours; without
it the same picture has blank label strips, so its size never depends on what is installed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

try:
    from PIL import Image, ImageDraw
except ImportError:  # the labels need Pillow; the picture does not
    Image = ImageDraw = None

from artwork_env.compiled.core import VisitOutcome
from artwork_env.model.world import NO_FACE, World

TILE_W, TILE_H, BAR_H, GAP, TEXT_H = 96, 96, 12, 6, 12
PALETTE = np.array([
    [70, 90, 160], [240, 190, 40], [220, 80, 120], [210, 60, 40], [120, 60, 140],
    [40, 40, 40], [40, 170, 190], [90, 140, 70], [250, 140, 200], [130, 90, 60],
    [150, 110, 220], [120, 200, 120],
], dtype=np.float64)
OUTCOME_COLOURS = {"play": (40, 200, 80), "bounce": (250, 150, 30), "passed": (190, 190, 190),
                   "unseen": (70, 70, 70), "pending": (255, 255, 255)}


def slot_outcomes(examined: np.ndarray | None, clicks: np.ndarray | None,
                  plays: np.ndarray | None, n_slots: int) -> list[str]:
    """One word per slot: play, bounce, passed, unseen, or pending before the member answers."""
    if examined is None or clicks is None or plays is None:
        return ["pending"] * n_slots
    words = []
    for k in range(n_slots):
        if plays[k]:
            words.append("play")
        elif clicks[k]:
            words.append("bounce")
        else:
            words.append("passed" if examined[k] else "unseen")
    return words


def render_ansi(world: World, titles: np.ndarray, actions: np.ndarray | None,
                outcomes: list[str], header: str = "") -> str:
    """The row as a text table: slot, title, artwork description, what the member did."""
    lines = [header] if header else []
    width = max(len(world.title_names[t]) for t in titles)
    for k, t in enumerate(titles):
        art = "(not chosen yet)" if actions is None else world.artwork_names[t][actions[k]]
        lines.append(f"{k:>2}  {world.title_names[t]:<{width}}  {art:<34}  {outcomes[k]}")
    return "\n".join(lines) + "\n"


def _layout(n_slots: int) -> dict[str, int]:
    """Where each strip of the picture starts (y), top to bottom, and its size."""
    header = GAP
    names = header + TEXT_H + GAP
    tiles = names + TEXT_H
    bars = tiles + TILE_H + GAP
    words = bars + BAR_H + 2
    legend = words + TEXT_H + GAP
    return {"header": header, "names": names, "tiles": tiles, "bars": bars, "words": words,
            "legend": legend, "height": legend + TEXT_H + GAP,
            "width": n_slots * (TILE_W + GAP) + GAP}


def _fit(draw: Any, text: str, pixels: int) -> str:
    """`text`, cut (ending in "~") to what Pillow's default font fits in `pixels`."""
    if draw.textlength(text) <= pixels:
        return text
    while len(text) > 1 and draw.textlength(text + "~") > pixels:
        text = text[:-1]
    return text + "~"


def render_rgb(world: World, titles: np.ndarray, actions: np.ndarray | None,
               outcomes: list[str], header: str = "") -> np.ndarray:
    """(H, W, 3) uint8 picture of the row, labelled where Pillow is installed."""
    n_slots = len(titles)
    at = _layout(n_slots)
    image = np.full((at["height"], at["width"], 3), 20, dtype=np.uint8)
    yy, xx = np.mgrid[0:TILE_H, 0:TILE_W]
    disk = (yy - TILE_H * 0.4) ** 2 + (xx - TILE_W / 2) ** 2 < (TILE_W * 0.15) ** 2
    stripes = (yy % 8 < 2) & (yy > TILE_H * 0.7)
    for k, t in enumerate(titles):
        x0 = GAP + k * (TILE_W + GAP)
        tile = np.empty((TILE_H, TILE_W, 3))
        if actions is None:
            tile[:] = 110
        else:
            a = actions[k]
            visual = world.artwork_visual[t, a]
            colour = PALETTE[world.artwork_theme[t, a] % len(PALETTE)]
            tile[:] = colour * (0.55 + 0.45 * visual[0])
            if world.artwork_face[t, a] != NO_FACE:
                tile[disk] = (235, 215, 190)
            if visual[4] > 0.6:
                tile[stripes] = 245
        image[at["tiles"]:at["tiles"] + TILE_H, x0:x0 + TILE_W] = \
            np.clip(tile, 0, 255).astype(np.uint8)
        image[at["bars"]:at["bars"] + BAR_H, x0:x0 + TILE_W] = OUTCOME_COLOURS[outcomes[k]]
    if ImageDraw is None:
        return image
    picture = Image.fromarray(image)
    draw = ImageDraw.Draw(picture)
    white, grey = (240, 240, 240), (200, 200, 200)
    draw.text((GAP, at["header"]), _fit(draw, header or "the page, before the member answers",
                                        at["width"] - 2 * GAP), fill=white)
    for k, t in enumerate(titles):
        x0 = GAP + k * (TILE_W + GAP)
        draw.text((x0, at["names"]), _fit(draw, world.title_names[t], TILE_W), fill=white)
        if actions is not None:
            theme = world.genre_names[world.artwork_theme[t, actions[k]]]
            draw.rectangle((x0, at["tiles"] + 2, x0 + TILE_W - 1, at["tiles"] + 2 + TEXT_H),
                           fill=(0, 0, 0))
            draw.text((x0 + 2, at["tiles"] + 3), _fit(draw, theme, TILE_W - 4), fill=white)
        draw.text((x0, at["words"]), outcomes[k], fill=grey)
    x = GAP
    for word in ("play", "bounce", "passed", "unseen"):
        draw.rectangle((x, at["legend"] + 2, x + 9, at["legend"] + 10),
                       fill=OUTCOME_COLOURS[word])
        draw.text((x + 13, at["legend"]), word, fill=grey)
        x += 13 + int(draw.textlength(word)) + 12
    return np.asarray(picture, dtype=np.uint8).copy()


def render_visit(mode: str, world: World, titles: np.ndarray, actions: np.ndarray | None,
                 outcome: VisitOutcome | None, member: int, visit: int) -> str | np.ndarray:
    """Render member `member`'s page: as shown before the answer (`outcome` None) or after."""
    if outcome is None:
        outcomes = slot_outcomes(None, None, None, len(titles))
        header = ""
    else:
        outcomes = slot_outcomes(outcome.examined[member], outcome.clicks[member],
                                 outcome.plays[member], len(titles))
        header = (f"visit {visit}: reward {outcome.reward[member]:+.2f}, expected "
                  f"{outcome.expected_reward[member]:.3f}, oracle "
                  f"{outcome.oracle_expected_reward[member]:.3f}")
    if mode == "ansi":
        return render_ansi(world, titles, actions, outcomes, header)
    return render_rgb(world, titles, actions, outcomes, header)
