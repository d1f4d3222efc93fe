"""Fitting card text to its box: words wrap, an over-long word is cut, the size shrinks until it fits.

The drawing itself (per-character font fallback to the script and emoji fonts,
bidi order, colour emoji) is media/lettering.py, shared with the designed
scenes; its names are re-exported here for the card painters. Fitting reuses
the designed scenes' wrapping (compose/designed.py ``fit_lines``), so a
100-character company name is never cut off.

Example::

    chain = FaceChain.of("Anton", 400)
    block = fit(chain, "Café Ñandú", room=(900, 300), start=160)
    draw_block(ImageDraw.Draw(card), block, box=(90, 600, 900, 300), fill="white", align="center")
"""

from __future__ import annotations

from noxus_local.compose.designed import fit_lines
from noxus_local.media.lettering import LEADING, RGB, Align, Block, FaceChain, Fill, SizedChain, draw_block, draw_line

__all__ = ["LEADING", "RGB", "Align", "Block", "FaceChain", "Fill", "SizedChain", "draw_block", "draw_line", "fit"]


def fit(chain: FaceChain, text: str, room: tuple[float, float], start: int, leading: float = LEADING) -> Block:
    """``text`` wrapped and shrunk from ``start`` px until it fits ``room`` (w, h).

    Example: ``fit(FaceChain.of("Poppins", 700), "x" * 100, (500, 200), 120).size`` < 120.
    """
    text = " ".join(text.split()) or " "
    least = max(6, int(min(room) / 40))
    size, words = max(least, start), text.split(" ")
    # shrink before cutting a word: "SoundWave" must not become "SoundWa / ve" while a smaller
    # size would keep it whole; only a word too long even at 0.3 × the start is cut
    while size > max(least, start * 0.3) and max(chain.at(size).getlength(w) for w in words) > room[0]:
        size = max(least, int(size * 0.92))
    lines, size = fit_lines(text, chain.at, room[0], room[1], size, least, leading)
    return Block(lines, size, chain, leading)
