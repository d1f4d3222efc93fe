"""The engines that run models: ONNX Runtime (sessions, provider probing, graph edits); CTranslate2 is
opened by its model classes (models/whisper.py, models/qwen.py)."""
