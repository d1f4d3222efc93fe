"""Auto-clip pipelines: a long video's speech, pictures and sound → ranked, reframed short clips.

Typed pure functions, no HTTP and no jobs (tools/auto_clip.py adapts a job to them):
``candidates`` (whole-sentence windows, the non-overlapping selection), ``signals`` (the
explained 1-10 score), ``hook`` (the opening judged by the text model or a heuristic),
``looking`` (shot cuts and faces from one decode), ``camera`` (the virtual camera over face
tracks), ``render`` (one ffmpeg pass per clip: trim, moving crop, captions, hook title) and
``pipeline`` (score every candidate, make one clip's files: what joins the others).
"""
