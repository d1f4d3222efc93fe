"""Speech pipelines: recognition and alignment (asr.py, Whisper on ctranslate2) and synthesis
(tts.py, Kokoro or Piper): below tools and captions, above inference and media."""
