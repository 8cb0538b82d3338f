"""A tiny but real ONNX classifier with a card unlike the default: RGB, NCHW, logits, 8 labels."""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

EIGHT_LABELS = ["neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt"]
WEIGHTS = np.array(  # logits = WEIGHTS @ mean normalised (R, G, B) + BIAS
    [[1, 0, 0], [0, 1, 0], [0, 0, 1], [-1, 0, 0], [0, -1, 0], [0, 0, -1], [1, 1, 0], [0, 1, 1]],
    dtype=np.float32,
)
BIAS = np.linspace(-0.5, 0.5, 8).astype(np.float32)
TINY_CARD = {
    "name": "tiny-rgb-nchw-logits",
    "input_name": "pixels",
    "input_shape": [None, 3, 32, 32],
    "layout": "NCHW",
    "colour": "rgb",
    "resize_filter": "bicubic",
    "crop_margin": 0.1,
    "scale": 1 / 255,
    "mean": [0.485, 0.456, 0.406],
    "std": [0.229, 0.224, 0.225],
    "output_name": "logits",
    "output_kind": "logits",
    "labels": EIGHT_LABELS,
    "label_map": {
        "neutral": "neutral",
        "happiness": "happy",
        "surprise": "surprise",
        "sadness": "sad",
        "anger": "angry",
        "disgust": "disgust",
        "fear": "fear",
        "contempt": None,
    },
    "licence": "test fixture",
}


def build_tiny_onnx() -> bytes:
    """A real ONNX model: global average pool over an NCHW RGB image, then a linear layer to 8 logits."""
    graph = helper.make_graph(
        [
            helper.make_node("GlobalAveragePool", ["pixels"], ["pooled"]),
            helper.make_node("Flatten", ["pooled"], ["flat"]),
            helper.make_node("Gemm", ["flat", "W", "B"], ["logits"], transB=1),
        ],
        "tiny",
        [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, ["N", 3, 32, 32])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 8])],
        [numpy_helper.from_array(WEIGHTS, "W"), numpy_helper.from_array(BIAS, "B")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


def build_onnx_for_card(card: dict, *, constant: bool = False, seed: int = 0) -> bytes:
    """A tiny real model with exactly the input and output signature a card describes (name, shape,
    layout, number of labels): per-channel mean of the input, then a linear layer to the labels.
    `constant`: the output ignores the input and puts almost all mass on the second label, like the
    broken conversion that said "disgust 1.00" for every face."""
    shape = [dim if isinstance(dim, int) else "N" for dim in card["input_shape"]]
    nhwc = card["layout"] == "NHWC"
    channels = shape[3] if nhwc else shape[1]
    n_labels = len(card["labels"])
    output = card.get("output_name") or "output"
    rng = np.random.default_rng(seed)
    weights = rng.normal(0, 3 / max(1.0, float(np.mean(card.get("std", [1.0])))), (n_labels, channels))
    if card.get("scale", 1.0) == 1.0:  # raw 0-255 input (FER+): keep logits in a sensible range
        weights /= 64
    bias = np.zeros(n_labels)
    if constant:
        weights[:] = 0
        bias[1] = 12.0
    nodes = [helper.make_node("Transpose", ["image"], ["nchw"], perm=[0, 3, 1, 2])] if nhwc else []
    nodes += [
        helper.make_node("GlobalAveragePool", ["nchw" if nhwc else "image"], ["pooled"]),
        helper.make_node("Flatten", ["pooled"], ["flat"]),
        helper.make_node("Gemm", ["flat", "W", "B"], [output], transB=1),
    ]
    nodes[0].input[0] = card["input_name"]
    graph = helper.make_graph(
        nodes,
        "tiny_for_card",
        [helper.make_tensor_value_info(card["input_name"], TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, [shape[0], n_labels])],
        [
            numpy_helper.from_array(weights.astype(np.float32), "W"),
            numpy_helper.from_array(bias.astype(np.float32), "B"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()


GRAY3_CARD = {
    "name": "tiny-gray3-nhwc",
    "input_name": "face",
    "input_shape": [None, 48, 48, 3],
    "layout": "NHWC",
    "colour": "gray3",
    "crop_margin": 0.1,
    "scale": 1 / 255,
    "mean": [0.5],
    "std": [0.25],
    "output_kind": "logits",
    "labels": ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"],
    "licence": "test fixture",
}
