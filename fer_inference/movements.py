"""Facial movement measures from the 468-point face mesh: what the face did, without a classifier.

Every measure is a distance in inter-ocular distances (IOD: between the two eye centres, each the
midpoint of its two eye corners), taken in the face's own frame, so it does not depend on the
face's size in the photo or on how the head is turned:

    origin  m = midpoint of the eye centres
    x axis  from the right eye centre to the left eye centre (corrects roll, and yaw: it is 3-D)
    y axis  along the face's midline, from the top of the forehead (point 10) to the base of the nose
            (point 2), both rigid and at about the same depth, made perpendicular to x (corrects pitch)
    q(i)    = R (p(i) - m) / IOD, the point in that frame; y grows downwards, towards the chin

"Right" and "left" are the person's own. Larger always means more of the named movement; values at
rest differ between faces, so the statistics engine compares each photo with the participant's own
natural-condition photos (a baseline), not with a fixed zero. Action units (AU) after Ekman &
Friesen's FACS; the mesh indices are MediaPipe's canonical face model.

>>> measures = movement_measures(schematic_face())
>>> {name: round(value, 2) for name, value in measures.items()}  # doctest: +NORMALIZE_WHITESPACE
{'lip_corner_raise': -0.35, 'mouth_width': 0.8, 'lip_corner_depression': 0.05, 'mouth_opening': 0.05,
 'inner_brow_raise': 0.27, 'outer_brow_raise': 0.27, 'brow_lowering': -0.83, 'eye_opening': 0.12,
 'upper_lip_raise': -0.2}
"""

from __future__ import annotations

import numpy as np

N_POINTS = 468
RIGHT_EYE = {"outer": 33, "inner": 133, "upper_lid": 159, "lower_lid": 145}
LEFT_EYE = {"outer": 263, "inner": 362, "upper_lid": 386, "lower_lid": 374}
# Brow contours, outer to inner, upper and lower edge.
RIGHT_BROW = {"upper": (70, 63, 105, 66, 107), "lower": (46, 53, 52, 65, 55)}
LEFT_BROW = {"upper": (300, 293, 334, 296, 336), "lower": (276, 283, 282, 295, 285)}
MOUTH = {"right_corner": 61, "left_corner": 291, "upper_inner": 13, "lower_inner": 14, "upper_outer": 0}
NOSE_BASE = 2
FOREHEAD = 10

MEASURES = (
    "lip_corner_raise",
    "mouth_width",
    "lip_corner_depression",
    "mouth_opening",
    "inner_brow_raise",
    "outer_brow_raise",
    "brow_lowering",
    "eye_opening",
    "upper_lip_raise",
)
FORMULAS = {
    "lip_corner_raise": "AU12 (lip corner puller). y(nose base 2) - mean y(mouth corners 61, 291): "
    "how far the corners sit below the nose, negated; grows as they are pulled up.",
    "mouth_width": "AU12/AU20 (lip corners pulled up or stretched sideways). |q(291) - q(61)|: distance between "
    "the mouth corners.",
    "lip_corner_depression": "AU15 (lip corner depressor). mean y(61, 291) - y(upper inner lip 13): how far the "
    "corners sit below the middle of the upper lip; negative when they are above it (a smile).",
    "mouth_opening": "AU25/AU26 (lips part, jaw drops). |q(14) - q(13)|: gap between the inner lips at the middle.",
    "inner_brow_raise": "AU1 (inner brow raiser). Mean over both sides of y(inner eye corner 133/362) - "
    "mean y(inner brow ends 107, 55 / 336, 285): height of the inner brow above the inner eye corner.",
    "outer_brow_raise": "AU2 (outer brow raiser). Mean over both sides of y(outer eye corner 33/263) - "
    "mean y(outer brow ends 70, 46 / 300, 276): height of the outer brow above the outer eye corner.",
    "brow_lowering": "AU4 (brow lowerer: brows down and drawn together). -(mean height above the eye line of "
    "the inner halves of both brows (points 105, 66, 107, 52, 65, 55 and their mirror images) "
    "+ |q(55) - q(285)|, the gap between the inner brow ends).",
    "eye_opening": "AU5 raises it, AU7 lowers it (upper lid raiser / lid tightener). Mean over both eyes of "
    "|q(upper lid 159/386) - q(lower lid 145/374)|.",
    "upper_lip_raise": "AU10 (upper lip raiser). y(nose base 2) - y(top of the upper lip 0): the gap between nose "
    "and upper lip, negated; grows as the lip is drawn up.",
}


def face_frame(points: np.ndarray) -> np.ndarray:
    """(N, 3) points in the face frame (see the module docstring), in IODs.

    >>> q = face_frame(schematic_face())
    >>> [round(float(v), 3) + 0 for v in q[LEFT_EYE["outer"]]], round(float(q[NOSE_BASE][1]), 3)
    ([0.75, 0.0, 0.0], 0.5)
    """
    p = np.asarray(points, dtype=np.float64)
    right = (p[RIGHT_EYE["outer"]] + p[RIGHT_EYE["inner"]]) / 2
    left = (p[LEFT_EYE["outer"]] + p[LEFT_EYE["inner"]]) / 2
    origin = (right + left) / 2
    iod = np.linalg.norm(left - right)
    if not iod > 0:
        raise ValueError("the eye centres coincide: not a face mesh")
    x_axis = (left - right) / iod
    down = p[NOSE_BASE] - p[FOREHEAD]
    y_axis = down - (down @ x_axis) * x_axis
    y_axis /= np.linalg.norm(y_axis)
    rotation = np.stack([x_axis, y_axis, np.cross(x_axis, y_axis)])
    return (p - origin) @ rotation.T / iod


def movement_measures(points: np.ndarray) -> dict[str, float]:
    """The nine measures of MEASURES for one (468, 3) mesh (x, y, z in any one scale); formulas in FORMULAS."""
    q = face_frame(points)
    y = q[:, 1]

    def gap(a: int, b: int) -> float:
        return float(np.linalg.norm(q[a] - q[b]))

    corners = (y[MOUTH["right_corner"]] + y[MOUTH["left_corner"]]) / 2
    inner_brows = [(RIGHT_EYE["inner"], (107, 55)), (LEFT_EYE["inner"], (336, 285))]
    outer_brows = [(RIGHT_EYE["outer"], (70, 46)), (LEFT_EYE["outer"], (300, 276))]
    inner_halves = [i for brow in (RIGHT_BROW, LEFT_BROW) for edge in ("upper", "lower") for i in brow[edge][2:]]
    eyes = (RIGHT_EYE, LEFT_EYE)
    values = {
        "lip_corner_raise": y[NOSE_BASE] - corners,
        "mouth_width": gap(MOUTH["left_corner"], MOUTH["right_corner"]),
        "lip_corner_depression": corners - y[MOUTH["upper_inner"]],
        "mouth_opening": gap(MOUTH["lower_inner"], MOUTH["upper_inner"]),
        "inner_brow_raise": np.mean([y[eye] - y[list(brow)].mean() for eye, brow in inner_brows]),
        "outer_brow_raise": np.mean([y[eye] - y[list(brow)].mean() for eye, brow in outer_brows]),
        "brow_lowering": -(-y[inner_halves].mean() + gap(55, 285)),
        "eye_opening": np.mean([gap(eye["upper_lid"], eye["lower_lid"]) for eye in eyes]),
        "upper_lip_raise": y[NOSE_BASE] - y[MOUTH["upper_outer"]],
    }
    return {name: float(values[name]) for name in MEASURES}


def schematic_face() -> np.ndarray:
    """A (468, 3) mesh with only the points the measures use placed, on a face 1 IOD between the eye
    centres, looking at the camera; for examples and tests."""
    p = np.zeros((N_POINTS, 3))
    for sign, eye, brow in ((-1, RIGHT_EYE, RIGHT_BROW), (1, LEFT_EYE, LEFT_BROW)):
        p[eye["outer"]], p[eye["inner"]] = (sign * 0.75, 0, 0), (sign * 0.25, 0, 0)
        p[eye["upper_lid"]], p[eye["lower_lid"]] = (sign * 0.5, -0.06, 0), (sign * 0.5, 0.06, 0)
        for k, index in enumerate(brow["upper"]):
            p[index] = (sign * (0.8 - 0.13 * k), -0.32, 0)
        for k, index in enumerate(brow["lower"]):
            p[index] = (sign * (0.8 - 0.13 * k), -0.22, 0)
    p[NOSE_BASE], p[FOREHEAD] = (0, 0.5, 0), (0, -0.7, 0)
    p[MOUTH["upper_outer"]], p[MOUTH["upper_inner"]], p[MOUTH["lower_inner"]] = (0, 0.7, 0), (0, 0.8, 0), (0, 0.85, 0)
    p[MOUTH["right_corner"]], p[MOUTH["left_corner"]] = (-0.4, 0.85, 0), (0.4, 0.85, 0)
    return p
