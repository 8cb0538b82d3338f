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
