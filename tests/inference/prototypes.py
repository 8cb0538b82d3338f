"""Faces moved along the prototype expressions (EMFACS predictions: Ekman & Friesen), for testing
that the movement measures move the way the action units say.

`move_along(points, expression)` displaces a real 468-point mesh in its own face frame (IOD units,
y down), with a smooth fall-off around the moving parts so neighbouring points move together, as
skin does. `warp_photo` moves the pixels of a real photo the same way, so the whole pipeline
(detector, face mesh, measures) can be run on a real face that made the movement.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from fer_inference.movements import LEFT_BROW, LEFT_EYE, RIGHT_BROW, RIGHT_EYE

UPPER_LIP = (185, 40, 39, 37, 0, 267, 269, 270, 409, 191, 80, 81, 82, 13, 312, 311, 310, 415)
LOWER_LIP = (146, 91, 181, 84, 17, 314, 405, 321, 375, 95, 88, 178, 87, 14, 317, 402, 318, 324)
CORNERS = {61: -1, 78: -1, 291: 1, 308: 1}  # mouth corners, outer and inner, with their side
BROWS = {i: -1 for edge in RIGHT_BROW.values() for i in edge} | {i: 1 for edge in LEFT_BROW.values() for i in edge}
INNER_BROWS = {i: s for i, s in BROWS.items() if i in (*RIGHT_BROW["upper"][2:], *RIGHT_BROW["lower"][2:],
                                                      *LEFT_BROW["upper"][2:], *LEFT_BROW["lower"][2:])}
UPPER_LIDS = (159, 158, 160, 386, 385, 387)

# What each prototype predicts, as the measures name it: +1 more, -1 less.
PREDICTED = {
    "happy": {"lip_corner_raise": 1, "mouth_width": 1, "lip_corner_depression": -1},
    "surprise": {"inner_brow_raise": 1, "outer_brow_raise": 1, "brow_lowering": -1, "mouth_opening": 1,
                 "eye_opening": 1},
    "anger": {"brow_lowering": 1, "inner_brow_raise": -1},
}


def frame(points: np.ndarray):
    """(origin, x axis, y axis, IOD) of a mesh, as movements.face_frame defines them (in 2-D)."""
    p = points[:, :2].astype(np.float64)
    right = (p[RIGHT_EYE["outer"]] + p[RIGHT_EYE["inner"]]) / 2
    left = (p[LEFT_EYE["outer"]] + p[LEFT_EYE["inner"]]) / 2
    iod = np.linalg.norm(left - right)
    x_axis = (left - right) / iod
    return (left + right) / 2, x_axis, np.array([-x_axis[1], x_axis[0]]), iod


def _falloff(q: np.ndarray, centres: np.ndarray, sigma: float) -> np.ndarray:
    """(N,) weight of each point: 1 at the nearest centre, a Gaussian of the distance around it."""
    distance = np.linalg.norm(q[:, None, :] - centres[None], axis=2).min(axis=1)
    return np.exp(-(distance**2) / (2 * sigma**2))


def displacement(points: np.ndarray, expression: str, strength: float = 1.0) -> np.ndarray:
    """(N, 2) movement of every point in face-frame IODs (x towards the person's left, y down)."""
    origin, x_axis, y_axis, iod = frame(points)
    q = np.stack([(points[:, :2] - origin) @ x_axis, (points[:, :2] - origin) @ y_axis], axis=1) / iod
    move = np.zeros_like(q)

    def push(indices_with_side: dict, dx: float, dy: float, sigma: float) -> None:
        for side in (-1, 1):
            chosen = [i for i, s in indices_with_side.items() if s == side]
            if chosen:
                weight = _falloff(q, q[chosen], sigma)[:, None]
                move[:] += weight * np.array([side * dx, dy])

    if expression == "happy":  # AU6 + AU12: corners pulled up and out
        push(CORNERS, 0.06, -0.07, 0.12)
    elif expression == "surprise":  # AU1 + AU2 + AU5 + AU26: brows up, lids up, jaw down
        push(BROWS, 0.0, -0.09, 0.08)
        push({i: 1 if i >= 250 else -1 for i in UPPER_LIDS}, 0.0, -0.025, 0.03)
        corners_y = q[list(CORNERS)].mean(axis=0)[1]
        jaw = np.clip((q[:, 1] - corners_y) / 0.25, 0, 1)
        jaw[list(UPPER_LIP)] = 0
        jaw[list(LOWER_LIP)] = 1
        move[:, 1] += 0.18 * jaw
    elif expression == "anger":  # AU4 (+ AU7): brows down and together
        push(INNER_BROWS, -0.045, 0.06, 0.06)
        push(BROWS, 0.0, 0.02, 0.06)
    else:
        raise ValueError(expression)
    return move * strength


def move_along(points: np.ndarray, expression: str, strength: float = 1.0) -> np.ndarray:
    """The mesh after the prototype's movements (z unchanged)."""
    origin, x_axis, y_axis, iod = frame(points)
    move = displacement(points, expression, strength)
    moved = points.astype(np.float64).copy()
    moved[:, :2] += (move[:, :1] * x_axis + move[:, 1:] * y_axis) * iod
    return moved


def warp_photo(image: Image.Image, points: np.ndarray, expression: str, strength: float = 1.0) -> Image.Image:
    """The photo with its face's pixels moved as move_along moves the mesh (piecewise affine)."""
    from skimage.transform import PiecewiseAffineTransform, warp

    moved = move_along(points, expression, strength)
    width, height = image.size
    border = [(x, y) for x in np.linspace(0, width - 1, 5) for y in (0, height - 1)]
    border += [(x, y) for x in (0, width - 1) for y in np.linspace(0, height - 1, 5)]
    source = np.vstack([points[:, :2], border])
    target = np.vstack([moved[:, :2], border])
    transform = PiecewiseAffineTransform.from_estimate(target, source)  # warp() asks where each pixel comes from
    assert transform, "the mesh could not be triangulated"
    pixels = warp(np.asarray(image), transform, order=1, preserve_range=True, mode="edge")
    return Image.fromarray(pixels.round().clip(0, 255).astype(np.uint8))
