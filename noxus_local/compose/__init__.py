"""Composed videos: the timeline model and its ffmpeg renderer, the music library, designed scenes.

Plain typed functions, no jobs or HTTP (a tool adapts its params to them):
``Timeline`` and its scenes and tracks (timeline.py, serialised as
``timeline.json`` with ``to_dict``/``from_dict``, paths held under one root);
``render`` (render.py) draws it with ONE ffmpeg run; ``MusicLibrary``
(music.py) lists the bundled tracks by mood and picks one deterministically.

Example::

    from noxus_local import compose

    tl = compose.Timeline(720, 1280, 25, scenes, narration=wav, captions=compose.Captions("word_pop"),
                          music=compose.Music(lib.pick("calm", script).path))
    compose.render(tl, out, workdir=work, cancel=token, progress=print)
"""

from noxus_local.compose.music import MusicLibrary, Track
from noxus_local.compose.render import render
from noxus_local.compose.timeline import (
           Captions,
           KenBurns,
           Logo,
           Music,
           Scene,
           Timeline,
           Transition,
           Visual,
           from_dict,
           load,
           save,
           to_dict,
)

__all__ = ["Captions", "KenBurns", "Logo", "Music", "MusicLibrary", "Scene", "Timeline", "Track", "Transition",
           "Visual", "from_dict", "load", "render", "save", "to_dict"]
