"""BlazeFace face detection with onnxruntime (MediaPipe's decoding, in numpy), and the cascade of the
short-range and full-range models.

The image is letterboxed to a square so faces keep their proportions, resized to the model's input
(128x128 short range, 192x192 full range), scaled to [-1, 1]; the regressions are decoded against
MediaPipe's SSD anchors, scored with a sigmoid, thresholded and merged with weighted non-maximum
suppression, then mapped back to pixels.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
from PIL import Image

from .sessions import open_session


@dataclasses.dataclass(frozen=True)
class Face:
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels of the upright image
    score: float
    keypoints: tuple[tuple[float, float], ...] = ()  # right eye, left eye, nose, mouth, right ear, left ear
    detector: str = ""  # the name of the model that found it

    @property
    def area(self) -> float:
        return (self.box[2] - self.box[0]) * (self.box[3] - self.box[1])

    def to_dict(self) -> dict:
        return {"box": [round(v, 1) for v in self.box], "score": round(self.score, 4), "detector": self.detector}


def ssd_anchors(input_size: int, strides: list[int], anchors_per_layer: int = 2) -> np.ndarray:
    """Anchor centres (N, 2) in [0, 1] as MediaPipe's SsdAnchorsCalculator makes them with
    fixed_anchor_size: `anchors_per_layer` is 2 with an interpolated aspect ratio (short range), 1
    without (full range); consecutive layers with the same stride share one grid.
    Short range: 16*16*2 + 8*8*6 = 896; full range: 48*48*1 = 2304.

    >>> ssd_anchors(128, [8, 16, 16, 16]).shape, ssd_anchors(192, [4], 1).shape
    ((896, 2), (2304, 2))
    """
    anchors = []
    layer = 0
    while layer < len(strides):
        stride, per_cell = strides[layer], 0
        while layer < len(strides) and strides[layer] == stride:
            per_cell += anchors_per_layer
            layer += 1
        grid = int(np.ceil(input_size / stride))
        ys, xs = np.meshgrid(np.arange(grid), np.arange(grid), indexing="ij")
        centres = np.stack([(xs + 0.5) / grid, (ys + 0.5) / grid], axis=-1).reshape(-1, 1, 2)
        anchors.append(np.repeat(centres, per_cell, axis=1).reshape(-1, 2))
    return np.concatenate(anchors).astype(np.float32)


def iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    x0 = np.maximum(box[0], boxes[:, 0])
    y0 = np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[2], boxes[:, 2])
    y1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


def weighted_nms(boxes: np.ndarray, scores: np.ndarray, threshold: float) -> list[tuple[np.ndarray, float]]:
    """MediaPipe's WEIGHTED suppression: each cluster of overlapping boxes is replaced by the
    score-weighted mean of its members (box and keypoints), keeping the best score."""
    order = np.argsort(-scores)
    boxes, scores = boxes[order], scores[order]
    kept = []
    remaining = np.arange(len(scores))
    while remaining.size:
        best = remaining[0]
        overlap = iou(boxes[best, :4], boxes[remaining, :4]) > threshold
        cluster = remaining[overlap]
        weights = scores[cluster][:, None]
        kept.append(((boxes[cluster] * weights).sum(0) / weights.sum(), float(scores[best])))
        remaining = remaining[~overlap]
    return kept


class FaceDetector:
    """One BlazeFace model described by its card. Not thread-safe: the input buffer is reused
    (a worker process runs one photo at a time)."""

    def __init__(self, onnx_path: Path, card_path: Path, *, threads: int = 1):
        self.card = json.loads(Path(card_path).read_text())
        self.name = self.card["name"]
        self.session, self.sha256 = open_session(onnx_path, threads=threads)
        self.input_size = int(self.card["input_shape"][1])
        self.anchors = ssd_anchors(
            self.input_size, self.card["anchor_strides"], self.card.get("anchors_per_layer", 2)
        )
        names = {o.name for o in self.session.get_outputs()}
        if (
            self.session.get_inputs()[0].name != self.card["input_name"]
            or not {self.card["boxes_output"], self.card["scores_output"]} <= names
        ):
            raise ValueError(f"detector card {card_path} does not match {onnx_path}")
        self._input = np.empty((1, self.input_size, self.input_size, 3), dtype=np.float32)

    def letterbox_pixels(self, image: Image.Image) -> tuple[np.ndarray, tuple[float, float], tuple[int, int]]:
        """The square uint8 model input (black padding), plus the (x, y) scales and offsets that map
        it back to pixels of `image`."""
        size = self.input_size
        width, height = image.size
        scale = size / max(width, height)
        new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
        off_x, off_y = (size - new_w) // 2, (size - new_h) // 2
        # A box-filter integer reduction first makes the antialiased resize ~5x cheaper on webcam frames.
        factor = max(1, min(width // new_w, height // new_h))
        small = image.reduce(factor) if factor > 1 else image
        canvas = np.zeros((size, size, 3), dtype=np.uint8)
        canvas[off_y : off_y + new_h, off_x : off_x + new_w] = np.asarray(small.resize((new_w, new_h), Image.BILINEAR))
        return canvas, (new_w / width, new_h / height), (off_x, off_y)

    def run(self, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Raw (regressions, score logits) for one square uint8 input."""
        np.multiply(pixels, np.float32(self.card["scale"]), out=self._input[0], casting="unsafe")
        self._input -= np.float32(self.card["mean"][0])
        boxes, scores = self.session.run(
            [self.card["boxes_output"], self.card["scores_output"]], {self.card["input_name"]: self._input}
        )
        return boxes[0], scores[0, :, 0]

    def detect(self, image: Image.Image) -> list[Face]:
        """All faces in an RGB image, best score first."""
        pixels, scale, offset = self.letterbox_pixels(image)
        raw, logits = self.run(pixels)
        scores = 1 / (1 + np.exp(-np.clip(logits.astype(np.float64), -100, 100)))
        keep = scores >= self.card["score_threshold"]
        if not keep.any():
            return []
        raw, scores, anchors = raw[keep] / self.input_size, scores[keep], self.anchors[keep]
        centre = raw[:, :2] + anchors
        half = raw[:, 2:4] / 2
        points = raw[:, 4:].reshape(len(raw), -1, 2) + anchors[:, None, :]
        decoded = np.concatenate([centre - half, centre + half, points.reshape(len(raw), -1)], axis=1)
        faces = []
        width, height = image.size
        for merged, score in weighted_nms(decoded, scores, self.card["nms_iou_threshold"]):
            # normalised letterbox coordinates -> pixels of the original image
            xy = merged.reshape(-1, 2) * self.input_size
            xy = (xy - offset) / scale
            x0, y0 = np.clip(xy[0], 0, (width, height))
            x1, y1 = np.clip(xy[1], 0, (width, height))
            if x1 - x0 < 1 or y1 - y0 < 1:
                continue
            box = (float(x0), float(y0), float(x1), float(y1))
            faces.append(Face(box, score, tuple(map(tuple, xy[2:].tolist())), self.name))
        return faces


class DetectorCascade:
    """The fast short-range model first; the full-range model only when the first finds no face, only
    low-scoring ones, or a scene it was not made for (several faces, or a face far from the camera).

    When the second model runs, its faces are kept, plus any confident first-stage face that none of
    them overlaps: the cascade then finds at least what the full-range model finds alone.
    The rule's thresholds come from the short-range card's "fallback" entry.
    """

    def __init__(self, first: FaceDetector, second: FaceDetector, rule: dict):
        self.first, self.second = first, second
        self.accept_score = float(rule["accept_score"])
        self.min_face_fraction = float(rule["min_face_fraction"])
        self.name = f"{first.name}+{second.name}"
        self.sha256_by_name = {first.name: first.sha256, second.name: second.sha256}
        self.sha256 = first.sha256

    def accepts(self, faces: list[Face], image_size: tuple[int, int]) -> bool:
        """Whether the first stage's answer is the kind it is reliable for: one confident, near face."""
        if len(faces) != 1:
            return False
        (face,) = faces
        side = max(face.box[2] - face.box[0], face.box[3] - face.box[1])
        return face.score >= self.accept_score and side >= self.min_face_fraction * max(image_size)

    def detect(self, image: Image.Image) -> list[Face]:
        first = self.first.detect(image)
        if self.accepts(first, image.size):
            return first
        second = self.second.detect(image)
        boxes = np.array([face.box for face in second]).reshape(-1, 4)
        extra = [
            face
            for face in first
            if face.score >= self.accept_score and not (iou(np.array(face.box), boxes) > 0.3).any()
        ]
        return sorted(second + extra, key=lambda face: -face.score)
