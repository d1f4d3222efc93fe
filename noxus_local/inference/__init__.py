"""ONNX Runtime: provider probing, the session factory, the model registry and one module per model."""
