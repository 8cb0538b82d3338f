"""Conversion fidelity: the shipped ONNX classifier computes what the original Keras weights compute.

The reference is a pure-numpy forward pass of mini-Xception that reads the architecture
(`model_config`) and the weights with h5py from the committed source file `emotion_model.hdf5`
(sha256 checked against PROVENANCE.md). It shares no code with TensorFlow, tf2onnx or onnxruntime.

How this can fail, and what each failure would mean:
- ONNX and numpy disagree by more than 1e-5 on real face crops: the conversion changed the network
  (a dropped batch-norm, wrong padding, a transposed kernel) or the wrong file was committed.
- The pipeline's input differs from fer's preprocessing (x / 255, -0.5, *2 on a 64x64 grey crop):
  the card's scale/mean/std or colour is wrong; `test_a_wrong_normalisation_is_detected` shows that
  feeding [0, 1] instead of [-1, 1] moves the outputs far beyond the tolerance.
- The astronaut's top index is not the card's "happy": the card's label order is wrong (the hdf5
  stores no labels; fer's order is angry, disgust, fear, happy, sad, surprise, neutral).
"""

import hashlib
import json
import re

import h5py
import numpy as np
import pytest
import skimage.data
from PIL import Image

from fer_inference import MODELS_DIR
from fer_inference.classifier import crop_box

HDF5 = MODELS_DIR / "emotion_model.hdf5"
FER_LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")  # fer.FER._get_labels()


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def pad(x: np.ndarray, kernel, strides, padding: str, value: float = 0.0) -> np.ndarray:
    if padding == "valid":
        return x
    (top, bottom), (left, right) = (same_padding(x.shape[d], kernel[d - 1], strides[d - 1]) for d in (1, 2))
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)


def windows(x: np.ndarray, kernel, strides) -> np.ndarray:
    """(N, H', W', C, kh, kw) patches of an NHWC array."""
    view = np.lib.stride_tricks.sliding_window_view(x, tuple(kernel), axis=(1, 2))
    return view[:, :: strides[0], :: strides[1]]


def conv2d(x, kernel, strides, padding, bias=None):
    patches = windows(pad(x, kernel.shape[:2], strides, padding), kernel.shape[:2], strides)
    out = np.einsum("nhwcij,ijcf->nhwf", patches, kernel, optimize=True)
    return out + bias if bias is not None else out


def depthwise2d(x, kernel, padding):
    patches = windows(pad(x, kernel.shape[:2], (1, 1), padding), kernel.shape[:2], (1, 1))
    return np.einsum("nhwcij,ijc->nhwc", patches, kernel[:, :, :, 0], optimize=True)


def maxpool(x, size, strides, padding):
    return windows(pad(x, size, strides, padding, -np.inf), size, strides).max(axis=(4, 5))


class NumpyMiniXception:
    """Interprets the Keras functional graph stored in the hdf5 for the layer types it contains."""

    def __init__(self, path):
        with h5py.File(path, "r") as f:
            self.layers = json.loads(f.attrs["model_config"])["config"]["layers"]
            self.weights = {}
            for layer in self.layers:
                group = f["model_weights"].get(layer["name"])
                if group is not None:
                    group.visititems(lambda name, obj, layer=layer: self._keep(layer["name"], name, obj))

    def _keep(self, layer, name, obj):
        if isinstance(obj, h5py.Dataset):
            self.weights.setdefault(layer, {})[re.sub(r":0$", "", name.split("/")[-1])] = np.asarray(
                obj, dtype=np.float64
            )

    def __call__(self, x: np.ndarray) -> np.ndarray:
        values = {}
        for layer in self.layers:
            kind, cfg, w = layer["class_name"], layer["config"], self.weights.get(layer["name"], {})
            inputs = (
                [values[node[0]] for node in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else [x]
            )
            a = inputs[0]
            if kind == "InputLayer":
                out = x.astype(np.float64)
            elif kind == "Conv2D":
                out = conv2d(a, w["kernel"], cfg["strides"], cfg["padding"], w.get("bias"))
            elif kind == "SeparableConv2D":
                assert cfg["strides"] == [1, 1] and cfg["depth_multiplier"] == 1
                out = conv2d(
                    depthwise2d(a, w["depthwise_kernel"], cfg["padding"]),
                    w["pointwise_kernel"],
                    (1, 1),
                    "valid",
                )
            elif kind == "BatchNormalization":
                out = (a - w["moving_mean"]) / np.sqrt(w["moving_variance"] + cfg["epsilon"]) * w[
                    "gamma"
                ] + w["beta"]
            elif kind == "Activation" and cfg["activation"] == "relu":
                out = np.maximum(a, 0)
            elif kind == "Activation" and cfg["activation"] == "softmax":
                e = np.exp(a - a.max(axis=-1, keepdims=True))
                out = e / e.sum(axis=-1, keepdims=True)
            elif kind == "MaxPooling2D":
                out = maxpool(a, cfg["pool_size"], cfg["strides"], cfg["padding"])
            elif kind == "Add":
                out = sum(inputs)
            elif kind == "GlobalAveragePooling2D":
                out = a.mean(axis=(1, 2))
            else:
                raise NotImplementedError(f"{kind} {cfg.get('activation', '')}")
            assert cfg.get("activation", "linear") in ("linear", "relu", "softmax")
            values[layer["name"]] = out
        return values[self.layers[-1]["name"]]


@pytest.fixture(scope="module")
def reference():
    return NumpyMiniXception(HDF5)


@pytest.fixture(scope="module")
def face_crops(models, astronaut):
    """Real faces found by the detector, cropped as the pipeline does: (N, 64, 64, 1) in [-1, 1]."""
    photos = [
        astronaut,
        Image.fromarray(skimage.data.camera()).convert("RGB"),
        astronaut.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
    ]
    batch = []
    for photo in photos:
        (face,) = models.detector.detect(photo)
        batch.append(models.classifier.preprocess(photo, [face.box]))
    return np.concatenate(batch)


def test_the_source_hdf5_is_the_one_named_in_provenance():
    digest = hashlib.sha256(HDF5.read_bytes()).hexdigest()
    assert digest == "59534287fdfb125e30a94400296c25ea9f5d706fca93dd8adbbbed916799ea0e"
    assert digest in (MODELS_DIR / "PROVENANCE.md").read_text()


def test_onnx_matches_the_numpy_forward_pass_of_the_keras_weights(models, reference, face_crops):
    expected = reference(face_crops)
    actual = models.classifier.predict(face_crops)
    assert np.abs(expected - actual).max() < 1e-5
    assert np.allclose(expected.sum(axis=1), 1)


def test_onnx_matches_on_random_inputs_too(models, reference):
    batch = np.random.default_rng(1).uniform(-1, 1, (4, 64, 64, 1)).astype(np.float32)
    assert np.abs(reference(batch) - models.classifier.predict(batch)).max() < 1e-5


def test_the_pipeline_preprocesses_exactly_like_fer(models, astronaut):
    (face,) = models.detector.detect(astronaut)
    ours = models.classifier.preprocess(astronaut, [face.box])[0]
    # fer: grey image, square crop, resize to 64x64, then x / 255, - 0.5, * 2 (v2 preprocessing)
    grey = astronaut.convert("L")
    grey = np.asarray(
        grey.resize((64, 64), Image.BILINEAR, box=crop_box(face.box, 0.2, grey.size)), dtype=np.float64
    )
    fer_input = (grey / 255.0 - 0.5) * 2.0
    assert np.abs(ours[:, :, 0] - fer_input).max() < 1e-6


def test_the_card_label_order_puts_the_astronauts_smile_on_happy(models, reference, face_crops):
    assert models.classifier.card.labels == FER_LABELS
    top = int(reference(face_crops[:1]).argmax())
    assert models.classifier.card.labels[top] == "happy"


def test_a_wrong_normalisation_is_detected(models, reference, face_crops):
    """Feeding [0, 1] (a common mistake) instead of [-1, 1] gives outputs far outside the tolerance."""
    wrong = (face_crops + 1) / 2
    assert np.abs(reference(wrong) - models.classifier.predict(face_crops)).max() > 0.05
