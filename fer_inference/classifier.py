"""An ONNX expression classifier fed exactly as its model card says.

crop (face box + margin, squared) -> colour -> resize -> (pixel * scale - mean) / std -> layout
-> batch through onnxruntime -> softmax if logits -> probabilities on canonical labels.

`classify_face` also runs the model on a few perturbed crops of the same face in the same batch
(other margins, small shifts, the mirror image), so every label comes with how much it hinges on
the crop; a card with "test_time_augmentation" reports the mean over those crops instead.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
from PIL import Image

from .card import CANONICAL_LABELS, CardError, ModelCard
from .sessions import open_session

FILTERS = {
    "nearest": Image.NEAREST,
    "bilinear": Image.BILINEAR,
    "bicubic": Image.BICUBIC,
    "lanczos": Image.LANCZOS,
    "box": Image.BOX,
    "hamming": Image.HAMMING,
}


def crop_box(box, margin: float, image_size: tuple[int, int]) -> tuple[float, float, float, float]:
    """Square crop around a face box, widened by `margin` of its size on every side and shifted
    (not shrunk) to stay inside the image where it fits."""
    x0, y0, x1, y1 = box
    side = max(x1 - x0, y1 - y0) * (1 + 2 * margin)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    width, height = image_size
    left = min(max(cx - side / 2, 0), max(width - side, 0))
    top = min(max(cy - side / 2, 0), max(height - side, 0))
    return left, top, left + side, top + side


def _widen(low: float, high: float, pad: int, limit: int) -> tuple[int, int]:
    """Whole-pixel span around [low, high], `pad` wider on each side but not past the image edge
    (unless the square itself already leaves the image, where the crop is padded black)."""
    start, end = math.floor(low), math.ceil(high)
    return min(start, max(start - pad, 0)), max(end, min(end + pad, limit))


STABILITY_MARGINS = (0.0, 0.1, 0.2)  # crop margins tried besides the card's own
STABILITY_SHIFT = 0.05  # fraction of the crop's side


def perturbed_squares(box, margin: float, image_size: tuple[int, int]) -> dict[str, tuple]:
    """Named crop squares for one face: the card's crop ("card") first, then the other margins of
    STABILITY_MARGINS and the card's crop shifted right and down by STABILITY_SHIFT of its side.

    >>> list(perturbed_squares((40, 40, 60, 60), 0.2, (100, 100)))
    ['card', 'margin_0.0', 'margin_0.1', 'shift']
    """
    base = crop_box(box, margin, image_size)
    side = base[2] - base[0]
    squares = {"card": base}
    for other in STABILITY_MARGINS:
        if abs(other - margin) > 1e-9:
            squares[f"margin_{other:.1f}"] = crop_box(box, other, image_size)
    step = STABILITY_SHIFT * side
    squares["shift"] = (base[0] + step, base[1] + step, base[2] + step, base[3] + step)
    return squares


@dataclasses.dataclass(frozen=True)
class FaceReading:
    """The model's canonical probabilities for every crop of one face; row 0 is the card's crop."""

    crops: tuple[str, ...]  # names: card, margin_..., shift, mirror
    probabilities: np.ndarray  # (len(crops), 7) on CANONICAL_LABELS
    averaged: bool  # the card asks for test-time averaging over the crops

    @property
    def reported(self) -> np.ndarray:
        """(7,) what the face is labelled with: the card's crop, or the mean over all crops."""
        return self.probabilities.mean(axis=0) if self.averaged else self.probabilities[0]


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


class ExpressionClassifier:
    """Raises CardError if the file is not a loadable ONNX model or the card does not describe it,
    so constructing one is also the registration check for a researcher's model."""

    def __init__(self, onnx_model: Path | bytes, card: ModelCard, *, threads: int = 1):
        self.card = card
        try:
            self.session, self.sha256 = open_session(onnx_model, threads=threads)
        except Exception as error:  # onnxruntime raises several unrelated types for a bad file
            raise CardError(f"the file is not a loadable ONNX model: {error}") from error
        card.validate_against(self.session)
        self.output_name = card.output_name or self.session.get_outputs()[0].name
        self.fixed_batch = card.input_shape[0] if isinstance(card.input_shape[0], int) else None
        channels = card.channels
        self.mean = np.asarray(card.mean, dtype=np.float32).reshape(1, 1, -1) * np.ones(channels, np.float32)
        self.std = np.asarray(card.std, dtype=np.float32).reshape(1, 1, -1) * np.ones(channels, np.float32)
        # (model label index -> canonical index) matrix; unmapped labels (e.g. contempt) get a zero row
        self.mapping = np.zeros((len(card.labels), len(CANONICAL_LABELS)), dtype=np.float64)
        for i, label in enumerate(card.labels):
            target = card.label_map.get(label)
            if target is not None:
                self.mapping[i, CANONICAL_LABELS.index(target)] = 1.0

    def preprocess(self, image: Image.Image, boxes) -> np.ndarray:
        """Model input batch for face `boxes` (x0, y0, x1, y1) in an RGB image."""
        return self.crops(image, [crop_box(box, self.card.crop_margin, image.size) for box in boxes])

    def crops(self, image: Image.Image, squares) -> np.ndarray:
        """Model input batch for explicit crop squares (from `crop_box`)."""
        card = self.card
        batch = np.empty((len(squares), card.size[1], card.size[0], card.channels), dtype=np.float32)
        for i, (x0, y0, x1, y1) in enumerate(squares):
            # Cut the whole-pixel region first (black where it leaves the image), convert the colour
            # (grey before resizing, as fer does), then resize the exact sub-pixel square.
            # The extra `pad` pixels keep the resize filter's support, so the result equals resizing
            # the whole image with this box.
            pad = math.ceil(3 * (x1 - x0) / min(card.size)) + 1  # lanczos has the widest support, 3
            left, right = _widen(x0, x1, pad, image.width)
            top, bottom = _widen(y0, y1, pad, image.height)
            region = image.crop((left, top, right, bottom))
            if card.colour in ("gray", "gray3"):
                region = region.convert("L")
            box_in_region = (x0 - left, y0 - top, x1 - left, y1 - top)
            pixels = np.asarray(region.resize(card.size, FILTERS[card.resize_filter], box=box_in_region))
            if card.colour == "bgr":
                pixels = pixels[:, :, ::-1]
            # grey has no channel axis: broadcasting fills one channel, or copies it into three (gray3)
            batch[i] = (pixels[:, :, None] if pixels.ndim == 2 else pixels) * np.float32(card.scale)
        batch -= self.mean
        batch /= self.std
        return batch if card.layout == "NHWC" else batch.transpose(0, 3, 1, 2)

    def raw_outputs(self, batch: np.ndarray) -> np.ndarray:
        """The model's output (N, len(card.labels)) for a preprocessed batch, as it gives it."""
        if self.fixed_batch == 1 and len(batch) > 1:
            return np.concatenate([self.raw_outputs(batch[i : i + 1]) for i in range(len(batch))])
        output = self.session.run([self.output_name], {self.card.input_name: batch})[0]
        return output.reshape(len(batch), -1).astype(np.float64)

    def predict(self, batch: np.ndarray) -> np.ndarray:
        """The model's own probabilities (N, len(card.labels)) for a preprocessed batch."""
        output = self.raw_outputs(batch)
        return softmax(output) if self.card.output_kind == "logits" else output

    def to_canonical(self, probabilities: np.ndarray) -> np.ndarray:
        """(N, 7) probabilities on CANONICAL_LABELS; unmapped labels are left out (rows may sum < 1)."""
        return probabilities @ self.mapping

    def classify(self, image: Image.Image, boxes) -> np.ndarray:
        return self.to_canonical(self.predict(self.preprocess(image, boxes)))

    def classify_face(self, image: Image.Image, box) -> FaceReading:
        """One face through the card's crop and its perturbations, in one batch (see perturbed_squares),
        plus the mirror image of the card's crop."""
        squares = perturbed_squares(box, self.card.crop_margin, image.size)
        batch = self.crops(image, list(squares.values()))
        width_axis = 2 if self.card.layout == "NHWC" else 3
        batch = np.concatenate([batch, np.flip(batch[:1], axis=width_axis)])
        probabilities = self.to_canonical(self.predict(batch))
        return FaceReading((*squares, "mirror"), probabilities, self.card.test_time_augmentation)
