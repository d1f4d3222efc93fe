"""Captions: readable cues from timed words, named styles rendered as ASS, burned into a video.

Plain typed functions, no jobs: ``cues_from_words`` (cues.py) cuts timed words
(from recognition or from speech synthesis) into cues a viewer can read;
``resolve_style``/``render_ass`` (styles.py) draw them in a named look;
``burn``/``preview`` (video.py) put them on a picture with libass; subtitles.py
writes SRT, VTT, ASS, JSON, TSV and text files.

Example::

    from noxus_local import captions

    cues = captions.cues_from_words(speech.words, captions.CueRules(max_chars_per_line=32))
    captions.burn(clip, cues, captions.resolve_style("word_pop"), out, cancel=token, progress=print)
"""

from noxus_local.captions.cues import Cue, CueRules, build_cues, cues_from_words, default_max_chars
from noxus_local.captions.styles import CaptionStyle, render_ass, resolve_style
from noxus_local.captions.video import burn, preview

__all__ = ["CaptionStyle", "Cue", "CueRules", "build_cues", "burn", "cues_from_words", "default_max_chars",
           "preview", "render_ass", "resolve_style"]
