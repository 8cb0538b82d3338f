"""MediaPipe face mesh (468 points) on a detected face, with onnxruntime, and a compact way to store them.

The detector's box is made square (its longer side), enlarged 1.5 times and turned so the eyes are
level (MediaPipe's face_detection_front_detection_to_roi: rotation from the right-eye to the left-eye
keypoint); that region is resampled to 192x192 RGB in [0, 1]; the model returns 468 (x, y, z) points
in input pixels, mapped back here to pixels of the upright photo (z in the same scale as x, smaller =
nearer the camera) and a face-presence score.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
from pathlib import Path

import numpy as np
from PIL import Image

from .detector import Face
from .sessions import open_session

PACKED_FORMAT = "int16-roi-v1"
_INT16_SPAN = 30000  # quantisation steps across the region's side (|values| stay below 32767)


@dataclasses.dataclass(frozen=True)
class Region:
    """A square region of the photo, turned by `angle` radians around its centre (pixels)."""

    centre_x: float
    centre_y: float
    side: float
    angle: float

    def to_image(self, unit_points: np.ndarray) -> np.ndarray:
        """(N, 2+) points in [0, 1] region units (z, if present, in region sides) -> photo pixels."""
        cos, sin = math.cos(self.angle), math.sin(self.angle)
        dx, dy = (unit_points[:, 0] - 0.5) * self.side, (unit_points[:, 1] - 0.5) * self.side
        out = np.empty_like(unit_points, dtype=np.float32)
        out[:, 0] = self.centre_x + cos * dx - sin * dy
        out[:, 1] = self.centre_y + sin * dx + cos * dy
        if unit_points.shape[1] > 2:
            out[:, 2] = unit_points[:, 2] * self.side
        return out

    def affine(self, size: int) -> tuple[float, ...]:
        """Pillow AFFINE coefficients mapping a size x size output onto this region."""
        k, cos, sin, half = self.side / size, math.cos(self.angle), math.sin(self.angle), self.side / 2
        return (
            k * cos, -k * sin, self.centre_x - half * (cos - sin),
            k * sin, k * cos, self.centre_y - half * (sin + cos),
        )  # fmt: skip


def face_region(face: Face, scale: float = 1.5) -> Region:
    """The region the face mesh expects around a detected face.

    >>> r = face_region(Face((10, 20, 50, 80), 0.9, ((20, 40), (40, 60))))  # left eye lower: head tilted
    >>> (r.centre_x, r.centre_y, r.side, round(math.degrees(r.angle)))
    (30.0, 50.0, 90.0, 45)
    """
    x0, y0, x1, y1 = face.box
    angle = 0.0
    if len(face.keypoints) >= 2:
        (rx, ry), (lx, ly) = face.keypoints[:2]
        angle = -math.atan2(ry - ly, lx - rx)
    return Region((x0 + x1) / 2, (y0 + y1) / 2, max(x1 - x0, y1 - y0) * scale, angle)


@dataclasses.dataclass(frozen=True)
class Landmarks:
    points: np.ndarray  # (468, 3) float32: x, y in photo pixels, z in the same scale
    score: float  # the model's face-presence probability

    def pack(self) -> dict:
        return pack_landmarks(self.points)


def pack_landmarks(points: np.ndarray) -> dict:
    """468 x 3 points as int16 steps of 1/30000 of their bounding square, base64: 3.7 kB of JSON
    instead of ~10 kB for a rounded list, and far finer (0.01 px on a 300 px face) than the model's
    own accuracy, whatever the photo's size.

    >>> points = np.array([[10.0, 20.0, -3.0], [110.0, 70.0, 4.5]], dtype=np.float32)
    >>> bool(np.abs(unpack_landmarks(pack_landmarks(points)) - points).max() < 0.01)
    True
    """
    origin = points[:, :2].min(axis=0)
    unit = float(max(np.ptp(points[:, :2], axis=0).max(), np.abs(points[:, 2]).max() * 2, 1e-3)) / _INT16_SPAN
    shifted = points.astype(np.float64) - np.array([origin[0], origin[1], 0.0])
    steps = np.round(shifted / unit).astype("<i2")
    return {
        "format": PACKED_FORMAT,
        "n": len(points),
        "origin": [round(float(origin[0]), 3), round(float(origin[1]), 3)],
        "unit": unit,
        "xyz": base64.b64encode(steps.tobytes()).decode("ascii"),
    }


def unpack_landmarks(packed: dict) -> np.ndarray:
    """(N, 3) float32 points from `pack_landmarks`' dict (also after a JSON round trip)."""
    if packed.get("format") != PACKED_FORMAT:
        raise ValueError(f"unknown landmark format {packed.get('format')!r}")
    steps = np.frombuffer(base64.b64decode(packed["xyz"]), dtype="<i2").reshape(packed["n"], 3)
    origin = np.array([packed["origin"][0], packed["origin"][1], 0.0])
    return (steps * packed["unit"] + origin).astype(np.float32)


class FaceLandmarker:
    """Not thread-safe: the input buffer is reused (a worker process runs one photo at a time)."""

    def __init__(self, onnx_path: Path, card_path: Path, *, threads: int = 1):
        self.card = json.loads(Path(card_path).read_text())
        self.name = self.card["name"]
        self.session, self.sha256 = open_session(onnx_path, threads=threads)
        self.size = int(self.card["input_shape"][1])
        names = {o.name for o in self.session.get_outputs()}
        if self.session.get_inputs()[0].name != self.card["input_name"] or not {
            self.card["landmarks_output"],
            self.card["face_score_output"],
        } <= names:
            raise ValueError(f"landmark card {card_path} does not match {onnx_path}")
        self._input = np.empty((1, self.size, self.size, 3), dtype=np.float32)

    def crop(self, image: Image.Image, region: Region) -> np.ndarray:
        """The model's uint8 RGB input for `region` (black outside the photo).

        MediaPipe samples the turned region bilinearly; here each input pixel is the mean of 2x2
        nearest samples, because Pillow's bilinear affine transform costs 0.8 ms and this 0.3 ms. On the
        real faces of tests/inference/real_faces.py that moves the points by 0.03-0.3 px on average
        (test_landmarks.py), less than the mesh moves when the same face is only framed differently.
        """
        size = 2 * self.size
        return np.asarray(image.transform((size, size), Image.AFFINE, region.affine(size), Image.NEAREST).reduce(2))

    def run(self, pixels: np.ndarray) -> tuple[np.ndarray, float]:
        """(468, 3) points in input pixels and the face-presence probability, for one uint8 input."""
        np.multiply(pixels, np.float32(self.card["scale"]), out=self._input[0], casting="unsafe")
        points, flag = self.session.run(
            [self.card["landmarks_output"], self.card["face_score_output"]], {self.card["input_name"]: self._input}
        )
        score = 1 / (1 + math.exp(-float(np.clip(flag.ravel()[0], -80, 80))))
        return points.reshape(-1, 3), score

    def landmarks(self, image: Image.Image, face: Face) -> Landmarks | None:
        """The face mesh in photo pixels, or None if the model does not see a face in the region."""
        region = face_region(face, self.card["region_scale"])
        points, score = self.run(self.crop(image, region))
        if score < self.card["face_score_threshold"]:
            return None
        return Landmarks(region.to_image(points / self.size), score)
