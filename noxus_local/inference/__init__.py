"""ONNX Runtime: provider probing now; session factory and models later."""
