"""Dubbing: a video's speech recognised, translated line by line, spoken again in another language,
each line fitted to its slot and mixed over the original with its speech ducked.

Typed functions that know nothing of HTTP or jobs (tools/dub_video.py is the thin adapter):
``languages`` (targets and their voices), ``segments`` (transcript → lines), ``translate`` (the
text model, or Whisper's own translation into English), ``fit`` (a line into its slot), ``mix``
(ducking and the final MP4), ``files`` (the SRT and the JSON of every segment).
"""
