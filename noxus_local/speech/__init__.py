"""Speech pipelines: recognition and alignment on Whisper (ctranslate2), below tools, above inference/media."""
