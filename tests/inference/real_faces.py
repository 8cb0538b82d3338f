"""Real photographs the project may use, with hand-checked face boxes, for measuring detectors.

Sources (read from installed packages' own data, nothing downloaded; licences in PROVENANCE.md):
- scikit-image `astronaut` (Eileen Collins, NASA, public domain), smiling, frontal;
- scikit-image `camera` (the cameraman, CC0 by Lav R. Varshney), grey, turned towards a near profile;
- matplotlib `grace_hopper.jpg` (US Navy, public domain), frontal, nearly neutral;
- scikit-image `chelsea` (a cat: a face-like non-face), `coffee`, `rocket`: no human face.
From them: webcam-size frames, a tilted head, a dim frame, a far-away participant, and "group
photos": collages of the real faces at the sizes people have in a group shot.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

Box = tuple[float, float, float, float]


@dataclasses.dataclass(frozen=True)
class Photo:
    name: str
    image: Image.Image
    faces: tuple[Box, ...]  # where the real faces are (x0, y0, x1, y1)


def grace_hopper() -> Image.Image:
    import matplotlib

    return Image.open(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg").convert("RGB")


def sources() -> dict[str, tuple[Image.Image, Box | None]]:
    """The source photos and their one face box (None: no human face)."""
    import skimage.data

    return {
        "astronaut": (Image.fromarray(skimage.data.astronaut()), (176, 76, 276, 176)),
        "cameraman": (Image.fromarray(skimage.data.camera()).convert("RGB"), (188, 118, 272, 206)),
        "grace_hopper": (grace_hopper(), (162, 128, 366, 338)),
        "cat": (Image.fromarray(skimage.data.chelsea()), None),
        "coffee": (Image.fromarray(skimage.data.coffee()), None),
        "rocket": (Image.fromarray(skimage.data.rocket()), None),
    }


def _moved(box: Box, scale: float, dx: float, dy: float) -> Box:
    return (box[0] * scale + dx, box[1] * scale + dy, box[2] * scale + dx, box[3] * scale + dy)


def webcam_frame(image: Image.Image, box: Box | None, size=(640, 480)) -> tuple[Image.Image, tuple[Box, ...]]:
    """Scale to cover 640x480 and crop the centre, like a webcam frame."""
    scale = max(size[0] / image.width, size[1] / image.height)
    resized = image.resize((round(image.width * scale), round(image.height * scale)), Image.BICUBIC)
    left, top = (resized.width - size[0]) // 2, (resized.height - size[1]) // 2
    frame = resized.crop((left, top, left + size[0], top + size[1]))
    return frame, (() if box is None else (_moved(box, scale, -left, -top),))


def head(image: Image.Image, box: Box, context: float = 0.6) -> tuple[Image.Image, Box]:
    """The face with `context` of its size around it, and the face box inside that crop."""
    x0, y0, x1, y1 = box
    pad = context * max(x1 - x0, y1 - y0)
    crop = (max(0, x0 - pad), max(0, y0 - pad), min(image.width, x1 + pad), min(image.height, y1 + pad))
    return image.crop(tuple(round(v) for v in crop)), (x0 - round(crop[0]), y0 - round(crop[1]),
                                                        x1 - round(crop[0]), y1 - round(crop[1]))


def group_photo(heads, background: Image.Image, size, placements) -> tuple[Image.Image, tuple[Box, ...]]:
    """Paste (head image, face box) pairs at (x, y, face width in pixels) onto a blurred background."""
    canvas = background.resize(size, Image.BICUBIC).filter(ImageFilter.GaussianBlur(6))
    boxes = []
    for (picture, face), (x, y, face_width) in zip(heads, placements, strict=True):
        scale = face_width / (face[2] - face[0])
        small = picture.resize((round(picture.width * scale), round(picture.height * scale)), Image.BICUBIC)
        canvas.paste(small, (x, y))
        boxes.append(_moved(face, scale, x, y))
    return canvas, tuple(boxes)


def photo_set() -> list[Photo]:
    """The measured set: 12 photos, 19 real faces (and a cat)."""
    found = sources()
    photos = []
    for name, (image, box) in found.items():
        frame, faces = webcam_frame(image, box)
        photos.append(Photo(f"{name} (webcam frame)", frame, faces))
    astronaut, astronaut_box = found["astronaut"]
    photos.append(Photo("astronaut, head tilted 25 degrees", *_tilted(astronaut, astronaut_box, 25)))
    dim = Image.fromarray((np.asarray(astronaut, dtype=np.float32) * 0.25).astype(np.uint8))
    photos.append(Photo("astronaut, dim light", *webcam_frame(dim, astronaut_box)))
    far = Image.new("RGB", (640, 480), (90, 90, 90))
    far.paste(astronaut.resize((200, 200), Image.BICUBIC), (300, 150))
    photos.append(Photo("astronaut, far from the camera", far, (_moved(astronaut_box, 200 / 512, 300, 150),)))
    heads = [head(image, box) for image, box in (found[n] for n in ("astronaut", "grace_hopper", "cameraman"))]
    mirrored = [
        (picture.transpose(Image.Transpose.FLIP_LEFT_RIGHT), (picture.width - f[2], f[1], picture.width - f[0], f[3]))
        for picture, f in heads
    ]
    background = found["rocket"][0]
    photos.append(Photo("group of five, 1280x720", *group_photo(
        [*heads, *mirrored[:2]], background, (1280, 720),
        [(60, 200, 110), (330, 160, 130), (600, 220, 100), (850, 180, 120), (1060, 240, 95)])))
    photos.append(Photo("group of six, small faces, 1280x720", *group_photo(
        [*heads, *mirrored], background, (1280, 720),
        [(40, 300, 60), (250, 280, 70), (450, 320, 55), (660, 290, 65), (870, 310, 60), (1080, 300, 58)])))
    photos.append(Photo("two people, 640x480", *group_photo(
        [heads[0], mirrored[1]], found["coffee"][0], (640, 480), [(40, 120, 140), (360, 100, 150)])))
    return photos


def _tilted(image: Image.Image, box: Box, degrees: float) -> tuple[Image.Image, tuple[Box, ...]]:
    rotated = image.rotate(degrees, resample=Image.BICUBIC, expand=False)
    cx, cy = image.width / 2, image.height / 2
    corners = np.array([(box[0], box[1]), (box[2], box[1]), (box[2], box[3]), (box[0], box[3])]) - (cx, cy)
    angle = np.radians(degrees)  # Pillow turns counter-clockwise on screen (y down)
    turned = corners @ np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) + (cx, cy)
    (x0, y0), (x1, y1) = turned.min(axis=0), turned.max(axis=0)
    return webcam_frame(rotated, (x0, y0, x1, y1))


def box_iou(a: Box, b: Box) -> float:
    inter = max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def score_detections(found: list[Box], truth: tuple[Box, ...], min_iou: float = 0.3) -> tuple[int, int]:
    """(real faces found, false faces): each real face matches at most one detection with IoU >= min_iou."""
    unmatched = list(found)
    hits = 0
    for face in truth:
        best = max(unmatched, key=lambda box: box_iou(box, face), default=None)
        if best is not None and box_iou(best, face) >= min_iou:
            unmatched.remove(best)
            hits += 1
    return hits, len(unmatched)
