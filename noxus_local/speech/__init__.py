"""Speech: transcription, alignment, readable cues and caption styles (below tools, above inference/media)."""
