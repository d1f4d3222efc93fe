"""File digests shared by backups and the model registry (both check SHA-256 of files).

It sits below both so the registry does not import ``ops``. ``hashlib.file_digest``
reads in blocks, so a 1 GB model file is hashed without loading it.

Example::

    sha256_of(Path("models/silero-vad/silero_vad.onnx"))   # "1a153a22f450..."
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_of(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
