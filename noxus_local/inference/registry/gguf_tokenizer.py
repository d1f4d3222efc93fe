"""A Hugging Face ``tokenizer.json`` rebuilt from a Qwen2 GGUF file's own vocabulary.

The GGUF holds the byte-level BPE's tokens, merges and token types but not
the pre-tokenizer regex nor the NFC normaliser (``tokenizer.ggml.pre =
"qwen2"`` only names them), so they are written here as Qwen2's own
tokenizer.json declares them. Token types 3 (control) and 4 (user-defined)
are the special tokens (``<|im_start|>``, ``<|im_end|>``, ``<|endoftext|>`` …):
they are added tokens, matched whole before the BPE runs, so a chat template
can be encoded as one string.

Example::

    reader = gguf.GGUFReader("qwen2.5-0.5b.gguf")
    tokenizer = qwen2_tokenizer(*vocabulary_of(reader))
    tokenizer.encode("<|im_start|>user\\nHola<|im_end|>").ids   # [151644, 872, 198, 68012, 151645]
"""

from __future__ import annotations

from typing import Any

# Qwen2's pre-tokenizer split (its tokenizer.json, "Split" with behaviour "Isolated")
QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                 r"|\s*[\r\n]+|\s+(?!\S)|\s+")
SPECIAL_TYPES = (3, 4)  # llama.cpp's CONTROL and USER_DEFINED token types


def field_strings(reader: Any, key: str) -> list[str]:
    """A GGUF array of strings, e.g. ``field_strings(reader, "tokenizer.ggml.tokens")``."""
    field = reader.fields[key]
    return [bytes(field.parts[i]).decode("utf-8") for i in field.data]


def field_ints(reader: Any, key: str) -> list[int]:
    field = reader.fields[key]
    return [int(field.parts[i][0]) for i in field.data]


def vocabulary_of(reader: Any) -> tuple[list[str], list[str], list[int]]:
    """(tokens, merges, token types) of a GGUF: plain lists, so the reader (whose parsed fields hold
    ~500 MB of small arrays for a 151k vocabulary) can be dropped."""
    return (field_strings(reader, "tokenizer.ggml.tokens"), field_strings(reader, "tokenizer.ggml.merges"),
            field_ints(reader, "tokenizer.ggml.token_type"))


def qwen2_tokenizer(tokens: list[str], merges: list[str], types: list[int]) -> Any:
    """The ``tokenizers.Tokenizer`` of a Qwen2 GGUF's vocabulary (tokens, "a b" merges, token types)."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    pairs = [tuple(m.split(" ", 1)) for m in merges]
    bpe = models.BPE(vocab={t: i for i, t in enumerate(tokens)}, merges=pairs, dropout=None, unk_token=None,
                     continuing_subword_prefix="", end_of_word_suffix="", fuse_unk=False, byte_fallback=False)
    tokenizer = Tokenizer(bpe)
    tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
    ])
    tokenizer.decoder = decoders.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    tokenizer.post_processor = processors.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
    special = [AddedToken(tokens[i], special=True, normalized=False)
               for i, kind in enumerate(types) if kind in SPECIAL_TYPES]
    tokenizer.add_special_tokens(special)
    return tokenizer
