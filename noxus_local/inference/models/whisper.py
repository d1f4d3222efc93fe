"""Whisper on CTranslate2: the model, its tokenizer and its special tokens.

A model class for ``inference/cache.py``'s ModelCache, like ``SileroVad``: a
class-level ``identity`` (the manifest id), its ``files`` and ``threads``.
ctranslate2 runs int8 on CPU; on CUDA float16 is used only after a real
encode on the GPU succeeded (a CUDA build without a usable device falls back
to CPU, and the log says so). ``WhisperModel.for_id("whisper-tiny-en")`` is
the class of another installed Whisper model of the manifest, or of one added
with ``noxus-local models add <id> --kind speech-recognition --dir <folder>``.

Example::

    with cache.use(WhisperModel.for_id("whisper-base")) as whisper:
        whisper.tokens.language("es")      # the id of <|es|>
        whisper.model.is_multilingual      # True
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from noxus_local.inference.model import Model

log = logging.getLogger(__name__)

# Whisper's language codes, in its token order (tokenizer.json has <|xx|> for each)
SUPPORTED_LANGUAGES: tuple[str, ...] = (
    "en", "zh", "de", "es", "ru", "ko", "fr", "ja", "pt", "tr", "pl", "ca", "nl", "ar", "sv", "it", "id",
    "hi", "fi", "vi", "he", "uk", "el", "ms", "cs", "ro", "da", "hu", "ta", "no", "th", "ur", "hr", "bg",
    "lt", "la", "mi", "ml", "cy", "sk", "te", "fa", "lv", "bn", "sr", "az", "sl", "kn", "et", "mk", "br",
    "eu", "is", "hy", "ne", "mn", "bs", "kk", "sq", "sw", "gl", "mr", "pa", "si", "km", "sn", "yo", "so",
    "af", "oc", "ka", "be", "tg", "sd", "gu", "am", "yi", "lo", "uz", "fo", "ht", "ps", "tk", "nn", "mt",
    "sa", "lb", "my", "bo", "tl", "mg", "as", "tt", "haw", "ln", "ha", "ba", "jw", "su", "yue",
)
SAMPLE_RATE = 16_000
SECONDS_PER_TIMESTAMP = 0.02


@dataclass(frozen=True)
class SpecialTokens:
    """Ids of Whisper's control tokens; timestamps are ids >= ``timestamp_begin`` (0.02 s each)."""

    sot: int
    eot: int
    transcribe: int
    translate: int
    no_timestamps: int
    no_speech: int
    languages: dict[str, int]

    @property
    def timestamp_begin(self) -> int:
        return self.no_timestamps + 1

    def language(self, code: str) -> int:
        return self.languages[code]


class WhisperModel(Model):
    """A ctranslate2 Whisper model and its tokenizer, loaded once (``load``) under a lock."""

    identity: ClassVar[str] = "whisper-base"
    files: ClassVar[tuple[str, ...]] = ("model.bin", "config.json", "tokenizer.json", "vocabulary.txt")
    # CPU threads: one ctranslate2 replica per thread, each one-threaded (speech/batches.py says why);
    # a tool running it should declare as many CPU slots
    threads: ClassVar[int] = 2

    def __init__(self, model_dir: Path, prefer_gpu: bool = True, threads: int = 0) -> None:
        super().__init__(model_dir, prefer_gpu, threads)
        self._tokenizer: Any = None
        self._tokens: SpecialTokens | None = None
        self.device = "cpu"
        self.compute_type = "int8"
        self.workers = 1  # batches that may run at once: the CPU replicas (speech/batches.py), 1 on CUDA

    def missing_files(self) -> list[str]:
        """``files`` not in the model's folder; vocabulary.json stands in for vocabulary.txt (ctranslate2
        reads either, and a conversion added with ``models add --dir`` may have written the JSON one)."""
        present = {name for name in (*self.files, "vocabulary.json") if (self.model_dir / name).is_file()}
        if "vocabulary.json" in present:
            present.add("vocabulary.txt")
        return [name for name in self.files if name not in present]

    @property
    def model(self) -> Any:
        """The ``ctranslate2.models.Whisper``."""
        return self.load()

    @property
    def tokenizer(self) -> Any:
        """The ``tokenizers.Tokenizer`` of tokenizer.json."""
        self.load()
        return self._tokenizer

    @property
    def tokens(self) -> SpecialTokens:
        self.load()
        assert self._tokens is not None
        return self._tokens

    @property
    def multilingual(self) -> bool:
        return bool(self.model.is_multilingual)

    def prompt(self, language: str | None, task: str = "transcribe", timestamps: bool = True) -> list[int]:
        """The start-of-transcript sequence: ``[sot, <|es|>, <|transcribe|>]`` (English-only models: ``[sot]``)."""
        t = self.tokens
        ids = [t.sot]
        if self.multilingual:
            ids += [t.language(language or "en"), t.translate if task == "translate" else t.transcribe]
        if not timestamps:
            ids.append(t.no_timestamps)
        return ids

    def decode(self, ids: list[int]) -> str:
        """Text of text tokens (ids below eot); control and timestamp tokens are dropped."""
        eot = self.tokens.eot
        return self.tokenizer.decode([i for i in ids if i < eot])

    def _open(self) -> Any:
        import ctranslate2
        import tokenizers

        self._tokenizer = tokenizers.Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        self._tokens = _special_tokens(self._tokenizer)
        threads = self.session_threads or type(self).threads
        if self.prefer_gpu and ctranslate2.get_cuda_device_count() > 0:
            try:
                model = _open_cuda(ctranslate2, self.model_dir)
                self.device, self.compute_type = "cuda", "float16"
                return model
            except (RuntimeError, ValueError) as exc:  # no usable GPU after all: CPU, said once
                log.warning("%s: CUDA float16 does not work here (%s); running int8 on CPU", self.identity, exc)
        self.workers = threads
        return ctranslate2.models.Whisper(str(self.model_dir), device="cpu", compute_type="int8",
                                          intra_threads=1, inter_threads=threads)


def _open_cuda(ctranslate2: Any, model_dir: Path) -> Any:
    """float16 on CUDA, proven by one real encode of a silent window."""
    import numpy as np

    model = ctranslate2.models.Whisper(str(model_dir), device="cuda", compute_type="float16")
    silent = np.zeros((1, model.n_mels, 3000), dtype=np.float32)
    model.encode(ctranslate2.StorageView.from_array(silent))
    return model


def _special_tokens(tokenizer: Any) -> SpecialTokens:
    def tid(text: str) -> int:
        value = tokenizer.token_to_id(text)
        if value is None:
            raise RuntimeError(f"tokenizer.json has no {text}")
        return int(value)

    no_speech = tokenizer.token_to_id("<|nospeech|>") or tokenizer.token_to_id("<|nocaptions|>")
    languages = {code: int(i) for code in SUPPORTED_LANGUAGES
                 if (i := tokenizer.token_to_id(f"<|{code}|>")) is not None}
    return SpecialTokens(sot=tid("<|startoftranscript|>"), eot=tid("<|endoftext|>"),
                         transcribe=tid("<|transcribe|>"), translate=tid("<|translate|>"),
                         no_timestamps=tid("<|notimestamps|>"), no_speech=int(no_speech or 0),
                         languages=languages)


def installed_models(cfg: Any) -> list[str]:
    """Ids of the speech-recognition models installed in this data dir, the manifest's and those added with
    ``models add --kind speech-recognition``, e.g. ``["whisper-base", "whisper-small"]``: what a ``model``
    request option may name."""
    from noxus_local.inference.registry.installed import ModelRegistry

    return [s.spec.id for s in ModelRegistry.from_config(cfg).list_models()
            if s.spec.task == "speech-recognition" and s.installed]
