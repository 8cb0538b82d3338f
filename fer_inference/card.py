"""Model cards: everything needed to feed an ONNX classifier exactly as its authors did.

A card is a JSON object stored beside the ONNX file (`*.card.json`) and with the ClassifierModel row.
Pixels are normalised as ``x = (pixel * scale - mean) / std`` per channel, e.g. mini-Xception:
scale 1/255, mean 0.5, std 0.5 gives [-1, 1]; FER+: scale 1, mean 0, std 1 (raw 0-255).
Any layout (NHWC, NCHW) goes with any colour: gray (1 channel), gray3 (the grey image copied into
3 channels, for networks trained on grey faces with an ImageNet stem), rgb or bgr.

>>> card = ModelCard.from_dict({"name": "toy", "input_name": "x", "input_shape": [None, 2, 2, 1],
...     "layout": "NHWC", "colour": "gray", "labels": ["happy", "sad"]})
>>> card.size, card.mean, card.label_map["happy"]
((2, 2), (0.0,), 'happy')
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

CANONICAL_LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
LAYOUTS = ("NHWC", "NCHW")
COLOURS = {"gray": 1, "gray3": 3, "rgb": 3, "bgr": 3}  # gray3: the grey image copied into three channels
RESIZE_FILTERS = ("nearest", "bilinear", "bicubic", "lanczos", "box", "hamming")
OUTPUT_KINDS = ("probabilities", "logits")


class CardError(ValueError):
    """A card that is malformed or does not describe its ONNX file."""


@dataclasses.dataclass(frozen=True)
class ModelCard:
    name: str
    input_name: str
    input_shape: tuple  # e.g. (None, 64, 64, 1); None for a free (batch) dimension
    layout: str  # NHWC or NCHW
    colour: str  # gray, gray3 (grey copied into 3 channels), rgb or bgr
    labels: tuple  # the model's own output order
    label_map: dict  # model label -> canonical label, or None for "maps to nothing"
    resize_filter: str = "bilinear"
    crop_margin: float = 0.0  # fraction of the face box added on every side before the crop
    scale: float = 1.0
    mean: tuple = (0.0,)
    std: tuple = (1.0,)
    output_name: str | None = None  # None: the first output
    output_kind: str = "probabilities"
    extra_outputs: dict = dataclasses.field(default_factory=dict)  # e.g. {"valence": "output_name"}
    test_time_augmentation: bool = False  # report the mean over the perturbed crops, not the card's crop alone
    version: str = ""
    licence: str = ""
    provenance: dict = dataclasses.field(default_factory=dict)
    description: str = ""

    @classmethod
    def from_dict(cls, raw: dict) -> ModelCard:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(raw) - known - {"$comment"}
        if unknown:
            raise CardError(f"unknown card fields: {', '.join(sorted(unknown))}")
        values = {k: v for k, v in raw.items() if k in known}
        missing = {"name", "input_name", "input_shape", "layout", "colour", "labels"} - set(values)
        if missing:
            raise CardError(f"card is missing: {', '.join(sorted(missing))}")
        values["input_shape"] = tuple(values["input_shape"])
        values["labels"] = tuple(values["labels"])
        values["mean"] = tuple(_as_list(values.get("mean", 0.0)))
        values["std"] = tuple(_as_list(values.get("std", 1.0)))
        values.setdefault(
            "label_map", {label: label for label in values["labels"] if label in CANONICAL_LABELS}
        )
        card = cls(**values)
        card.check()
        return card

    @classmethod
    def from_json(cls, path_or_text: str | Path) -> ModelCard:
        text = (
            Path(path_or_text).read_text()
            if isinstance(path_or_text, Path) or str(path_or_text).endswith(".json")
            else path_or_text
        )
        return cls.from_dict(json.loads(text))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @property
    def channels(self) -> int:
        return COLOURS[self.colour]

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the model input."""
        if self.layout == "NHWC":
            return int(self.input_shape[2]), int(self.input_shape[1])
        return int(self.input_shape[3]), int(self.input_shape[2])

    def check(self) -> None:
        """Internal consistency, without the ONNX file."""
        if self.layout not in LAYOUTS:
            raise CardError(f"layout must be one of {LAYOUTS}, not {self.layout!r}")
        if self.colour not in COLOURS:
            raise CardError(f"colour must be one of {tuple(COLOURS)}, not {self.colour!r}")
        if self.resize_filter not in RESIZE_FILTERS:
            raise CardError(f"resize_filter must be one of {RESIZE_FILTERS}, not {self.resize_filter!r}")
        if self.output_kind not in OUTPUT_KINDS:
            raise CardError(f"output_kind must be one of {OUTPUT_KINDS}, not {self.output_kind!r}")
        if len(self.input_shape) != 4:
            raise CardError(f"input_shape must have 4 dimensions (batch, ...), not {list(self.input_shape)}")
        channel_dim = self.input_shape[3] if self.layout == "NHWC" else self.input_shape[1]
        if channel_dim != self.channels:
            raise CardError(
                f"input_shape {list(self.input_shape)} in {self.layout} has {channel_dim} channels, "
                f"but colour {self.colour!r} needs {self.channels}"
            )
        for name, values in (("mean", self.mean), ("std", self.std)):
            if len(values) not in (1, self.channels):
                raise CardError(f"{name} needs 1 or {self.channels} values, not {len(values)}")
        if any(s == 0 for s in self.std):
            raise CardError("std must not contain 0")
        if not isinstance(self.test_time_augmentation, bool):
            raise CardError(f"test_time_augmentation must be true or false, not {self.test_time_augmentation!r}")
        if not 0 <= self.crop_margin <= 1:
            raise CardError(f"crop_margin must be between 0 and 1, not {self.crop_margin}")
        for label, canonical in self.label_map.items():
            if label not in self.labels:
                raise CardError(
                    f"label_map names {label!r}, which is not among the labels {list(self.labels)}"
                )
            if canonical is not None and canonical not in CANONICAL_LABELS:
                raise CardError(
                    f"label_map sends {label!r} to {canonical!r}, "
                    f"which is not a canonical label {CANONICAL_LABELS}"
                )

    def validate_against(self, session) -> None:
        """Refuse this card if it does not describe the onnxruntime `session`'s model."""
        inputs = {i.name: i for i in session.get_inputs()}
        if self.input_name not in inputs:
            raise CardError(
                f"card input {self.input_name!r} is not an input of the model (it has {sorted(inputs)})"
            )
        actual = inputs[self.input_name].shape
        if len(actual) != len(self.input_shape):
            raise CardError(
                f"card input shape {list(self.input_shape)} has rank {len(self.input_shape)}, "
                f"the model's {list(actual)} has rank {len(actual)}"
            )
        for axis, (want, have) in enumerate(zip(self.input_shape, actual, strict=True)):
            if isinstance(have, int) and want is not None and want != have:
                raise CardError(
                    f"card input shape {list(self.input_shape)} differs from the model's {list(actual)} "
                    f"at axis {axis}"
                )
            if axis > 0 and want is None:
                raise CardError(
                    f"card input shape {list(self.input_shape)} must fix every axis but the batch"
                )
        outputs = {o.name: o for o in session.get_outputs()}
        output = outputs.get(self.output_name) if self.output_name else session.get_outputs()[0]
        if output is None:
            raise CardError(
                f"card output {self.output_name!r} is not an output of the model (it has {sorted(outputs)})"
            )
        width = output.shape[-1] if output.shape else None
        if isinstance(width, int) and width != len(self.labels):
            raise CardError(
                f"the model's output {output.name!r} has {width} values, "
                f"but the card lists {len(self.labels)} labels"
            )
        for extra, name in self.extra_outputs.items():
            if name not in outputs:
                raise CardError(f"extra output {extra!r} names {name!r}, which is not an output of the model")


def _as_list(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]
