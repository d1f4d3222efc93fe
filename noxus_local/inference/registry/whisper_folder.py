"""The checks a ctranslate2 Whisper folder passes before ``models add --kind speech-recognition`` copies it.

No offline package ships Whisper small, medium, large-v3 or distil (README,
Models), so the admin converts one (``ct2-transformers-converter --model
openai/whisper-small --output_dir ct2-whisper-small --copy_files
tokenizer.json``) and adds the folder. Refusing a bad folder here, with a
sentence saying what is wrong, beats a 500 on the first request that names it.

Example::

    names = check_whisper_folder(Path("ct2-whisper-small"))
    # ["model.bin", "config.json", "tokenizer.json", "vocabulary.txt"]
"""

from __future__ import annotations

from pathlib import Path

from noxus_local.inference.registry.sources import LocalModelError

REQUIRED = ("model.bin", "config.json", "tokenizer.json")
# ctranslate2 writes vocabulary.txt; some conversions write vocabulary.json, which it reads as well
VOCABULARIES = ("vocabulary.txt", "vocabulary.json")
SPECIAL_TOKENS = ("<|startoftranscript|>", "<|endoftext|>", "<|transcribe|>", "<|notimestamps|>")


class WhisperFolderError(LocalModelError):
    """A folder that is no ctranslate2 Whisper model; the message says which check failed."""


def whisper_files(folder: Path) -> list[str]:
    """The model's file names in ``folder``: the three required ones and the vocabulary found there."""
    if not folder.is_dir():
        raise WhisperFolderError(f"{folder}: no such folder (--dir takes a ctranslate2 Whisper folder)")
    missing = [name for name in REQUIRED if not (folder / name).is_file()]
    vocabulary = next((name for name in VOCABULARIES if (folder / name).is_file()), None)
    if vocabulary is None:
        missing.append(" or ".join(VOCABULARIES))
    if missing:
        raise WhisperFolderError(f"{folder}: not a ctranslate2 Whisper folder, {', '.join(missing)} missing "
                                 "(convert one with ct2-transformers-converter --copy_files tokenizer.json)")
    return [*REQUIRED, vocabulary]  # type: ignore[list-item]  # vocabulary is set: missing was empty


def check_whisper_folder(folder: Path) -> list[str]:
    """Its files are there, tokenizer.json has Whisper's control tokens and ctranslate2 opens it (int8, CPU)."""
    names = whisper_files(folder)
    _check_tokenizer(folder / "tokenizer.json")
    import ctranslate2

    try:
        model = ctranslate2.models.Whisper(str(folder), device="cpu", compute_type="int8")
    except (RuntimeError, ValueError, OSError) as exc:  # ctranslate2's words for a file that is no model
        raise WhisperFolderError(f"{folder}: ctranslate2 cannot open it as a Whisper model: "
                                 f"{str(exc)[:300]}") from None
    del model
    return names


def _check_tokenizer(path: Path) -> None:
    import tokenizers

    try:
        tokenizer = tokenizers.Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises a bare Exception for a file it cannot parse
        raise WhisperFolderError(f"{path}: not a tokenizers JSON file: {str(exc)[:200]}") from None
    absent = [token for token in SPECIAL_TOKENS if tokenizer.token_to_id(token) is None]
    if absent:
        raise WhisperFolderError(f"{path}: no Whisper tokenizer, it lacks {', '.join(absent)}")


__all__ = ["VOCABULARIES", "WhisperFolderError", "check_whisper_folder", "whisper_files"]
