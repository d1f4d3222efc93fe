"""Qwen2 GGUF → a CTranslate2 int8 model, with no PyTorch, one tensor at a time.

The only offline copies of Qwen2.5-Coder (1.5B and 0.5B Instruct) are
Q4_K_M-style GGUF files split over several packages (models/manifest.toml).
ctranslate2's own converter needs transformers and torch, and the recipe that
first proved this (STACK.md) held every dequantised float32 tensor at once: a
10 GB peak for the 1.5B. Here each tensor is read with ``os.pread`` (not
through the memory map, whose touched pages would count as resident), is
dequantised by ``gguf`` a block of rows at a time and quantised at once to
int8 with one scale per output row — what ``spec.optimize("int8")`` computes,
so only the int8 weights stay in memory (about the size of model.bin).

Names follow ctranslate2's ``Qwen2Loader``: q/k/v fused into
``self_attention.linear[0]`` (weights and biases), ``attn_output`` →
``linear[1]``, ffn gate/up/down → ``linear_0`` / ``linear_0_noact`` /
``linear_1``, the RMS norms' gamma, ``token_embd`` → embeddings and
``output.weight`` → the projection (not tied in these files). No Q/K
permutation is needed: GGUF keeps Hugging Face's rotary layout for qwen2.

The result is byte-for-byte deterministic (variables saved sorted by name,
config.json with sorted keys), so the manifest records each output file's
sha256 (``registry.py``, ``convert = "qwen2-gguf-ct2"``).

Example::

    convert_gguf(Path("qwen2.5-coder-0.5b.gguf"), Path("out/model.bin"))
    sorted(p.name for p in Path("out").iterdir())
    # ["config.json", "model.bin", "tokenizer.json", "vocabulary.json"]
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from noxus_local.inference.registry.gguf_tokenizer import qwen2_tokenizer, vocabulary_of

ROWS_PER_BLOCK = 4096  # rows dequantised at once: 4096 x 1536 float32 is 25 MB
OUTPUT_FILES = ("model.bin", "config.json", "vocabulary.json", "tokenizer.json")
METADATA = ("general.architecture", "qwen2.block_count", "qwen2.attention.head_count",
            "qwen2.attention.head_count_kv", "qwen2.rope.freq_base", "qwen2.attention.layer_norm_rms_epsilon",
            "tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id")


class GgufError(ValueError):
    """A GGUF file this converter cannot read (another architecture, a tensor missing)."""


@dataclass(frozen=True)
class TensorInfo:
    qtype: Any  # gguf.GGMLQuantizationType
    rows: int
    row_bytes: int
    offset: int  # from the start of the file
    flat: bool  # 1-D (norms, biases)


@dataclass(frozen=True)
class GgufModel:
    """What the conversion needs of a GGUF file, as plain values (the reader itself is dropped)."""

    metadata: dict[str, Any]
    tensors: dict[str, TensorInfo]
    tokens: list[str]
    merges: list[str]
    types: list[int]

    @classmethod
    def read(cls, path: Path) -> GgufModel:
        import gguf

        reader = gguf.GGUFReader(path)
        missing = [key for key in METADATA if key not in reader.fields]
        if missing:
            raise GgufError(f"{path.name}: no {missing[0]} (not a Qwen2 GGUF?)")
        metadata = {key: reader.fields[key].contents() for key in METADATA}
        if metadata["general.architecture"] != "qwen2":
            raise GgufError(f"{path.name}: architecture {metadata['general.architecture']!r}, expected 'qwen2'")
        tensors = {t.name: _info(t) for t in reader.tensors}
        return cls(metadata, tensors, *vocabulary_of(reader))


def _info(tensor: Any) -> TensorInfo:
    shape = tensor.data.shape  # rows first; for quantised types the last axis counts bytes
    rows = shape[0] if len(shape) > 1 else 1
    return TensorInfo(tensor.tensor_type, rows, int(tensor.n_bytes) // rows, int(tensor.data_offset), len(shape) == 1)


def convert_gguf(source: Path, dest: Path) -> None:
    """Build the CTranslate2 model of a Qwen2 GGUF into ``dest.parent`` (all of ``OUTPUT_FILES``).

    The registry names one file as ``dest``; the conversion writes the model's
    other files beside it, and the registry caches those too.
    """
    out = dest.parent
    out.mkdir(parents=True, exist_ok=True)
    model = GgufModel.read(source)
    _save_weights(model, source, out)
    # built after the weights are saved and freed: its vocabulary and merges are a few hundred MB of objects
    (out / "tokenizer.json").write_text(qwen2_tokenizer(model.tokens, model.merges, model.types).to_str(),
                                        encoding="utf-8")


def _save_weights(model: GgufModel, source: Path, out: Path) -> None:
    """model.bin, config.json and vocabulary.json."""
    meta = model.metadata
    spec = _spec(meta)
    with open(source, "rb") as handle:
        _set_weights(spec, _Tensors(model.tensors, handle.fileno()), int(meta["qwen2.block_count"]))
    spec.register_vocabulary(model.tokens)
    spec.config.bos_token = model.tokens[int(meta["tokenizer.ggml.bos_token_id"])]
    spec.config.eos_token = model.tokens[int(meta["tokenizer.ggml.eos_token_id"])]
    spec.config.unk_token = ""
    spec.config.layer_norm_epsilon = float(np.float32(meta["qwen2.attention.layer_norm_rms_epsilon"]))
    spec.validate()
    spec.save(str(out))


def _spec(meta: dict[str, Any]) -> Any:
    from ctranslate2.specs import common_spec, transformer_spec

    heads, heads_kv = int(meta["qwen2.attention.head_count"]), int(meta["qwen2.attention.head_count_kv"])
    return transformer_spec.TransformerDecoderModelSpec.from_config(
        int(meta["qwen2.block_count"]), heads, activation=common_spec.Activation.SWISH, pre_norm=True,
        ffn_glu=True, rms_norm=True, rotary_dim=0, rotary_interleave=False,
        rotary_base=float(meta["qwen2.rope.freq_base"]), num_heads_kv=None if heads_kv == heads else heads_kv)


class _Tensors:
    """The GGUF's tensors by name, read from the file descriptor on demand."""

    def __init__(self, infos: dict[str, TensorInfo], fd: int) -> None:
        self.infos = infos
        self.fd = fd

    def float32(self, name: str) -> np.ndarray:
        """A small tensor (norm, bias) as float32."""
        return np.concatenate(list(self._blocks(name)))

    def int8(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """A weight quantised per output row: (int8 rows, float32 scales) as ``optimize("int8")`` makes them."""
        weights, scales = [], []
        for block in self._blocks(name):
            amax = np.amax(np.absolute(block), axis=1)
            amax[amax == 0] = 127.0
            amax = np.maximum(amax, np.float32(127) / np.finfo(np.float32).max)
            scale = (np.float32(127.0) / amax).astype(np.float32)
            block *= np.expand_dims(scale, 1)
            weights.append(np.rint(block).astype(np.int8))
            scales.append(scale)
        return np.concatenate(weights), np.concatenate(scales)

    def _blocks(self, name: str) -> Iterator[np.ndarray]:
        from gguf.quants import dequantize

        info = self.infos.get(name)
        if info is None:
            raise GgufError(f"the GGUF has no tensor {name}")
        for start in range(0, info.rows, ROWS_PER_BLOCK):
            count = min(ROWS_PER_BLOCK, info.rows - start)
            raw = os.pread(self.fd, count * info.row_bytes, info.offset + start * info.row_bytes)
            data = np.frombuffer(raw, dtype=np.uint8).reshape(count, info.row_bytes)
            block = np.array(dequantize(data, info.qtype), dtype=np.float32)
            yield block.reshape(-1) if info.flat else block.reshape(count, -1)


def _set_weights(spec: Any, tensors: _Tensors, layers: int) -> None:
    decoder = spec.decoder
    decoder.scale_embeddings = False
    decoder.embeddings.weight, decoder.embeddings.weight_scale = tensors.int8("token_embd.weight")
    decoder.layer_norm.gamma = tensors.float32("output_norm.weight")
    decoder.projection.weight, decoder.projection.weight_scale = tensors.int8("output.weight")
    for i in range(layers):
        _set_layer(decoder.layer[i], tensors, f"blk.{i}.")


def _set_layer(layer: Any, tensors: _Tensors, p: str) -> None:
    attention, ffn = layer.self_attention, layer.ffn
    attention.layer_norm.gamma = tensors.float32(p + "attn_norm.weight")
    ffn.layer_norm.gamma = tensors.float32(p + "ffn_norm.weight")
    qkv = [tensors.int8(p + f"attn_{x}.weight") for x in "qkv"]
    attention.linear[0].weight = np.concatenate([w for w, _ in qkv])
    attention.linear[0].weight_scale = np.concatenate([s for _, s in qkv])
    attention.linear[0].bias = np.concatenate([tensors.float32(p + f"attn_{x}.bias") for x in "qkv"])
    for linear, name in ((attention.linear[1], "attn_output"), (ffn.linear_0, "ffn_gate"),
                         (ffn.linear_0_noact, "ffn_up"), (ffn.linear_1, "ffn_down")):
        linear.weight, linear.weight_scale = tensors.int8(p + name + ".weight")
