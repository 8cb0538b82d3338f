"""Does a candidate classifier behave like an expression classifier? A check on real faces before it
is registered, with a refusal that says why.

A model converted with the wrong options can load, fit its card and still be useless: one seen in
practice said "disgust 1.00" for every face. `check_behaviour` runs the model on a small bundled set
of real face crops (models/behaviour_faces: three people, upright and tilted, and mirrored) and refuses it if

- its outputs are not finite numbers;
- they do not fit the card: the card says "probabilities" but rows leave [0, 1] or do not sum to 1,
  or the card says "logits" but every row already is a probability vector (softmax would flatten it);
- they do not depend on the face: one label above 0.99 for nearly every face (at least 90% of them),
  or nearly identical vectors (no label's probability moves by more than 0.02 across the faces).

>>> import numpy as np
>>> constant = np.tile([0.0, 1.0, 0.0], (12, 1))
>>> behaviour_problem(constant, ("angry", "disgust", "happy"), output_kind="probabilities")
"it says 'disgust' with probability above 0.99 for 12 of the 12 faces"
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from PIL import Image

from .card import CardError
from .classifier import ExpressionClassifier, softmax

FACES_DIR = Path(__file__).resolve().parent / "models" / "behaviour_faces"
FACE_SIZE = 160
FACE_BOX = (40.0, 40.0, 120.0, 120.0)  # where the face is in every bundled crop
CONFIDENT, NEARLY_EVERY_FACE, MIN_SPREAD = 0.99, 0.9, 0.02


class BehaviourError(CardError):
    """A model whose outputs do not behave like an expression classifier's, or do not fit its card."""


@dataclasses.dataclass(frozen=True)
class BehaviourReport:
    faces: tuple[str, ...]
    labels: tuple[str, ...]  # the model's own labels
    probabilities: np.ndarray  # (faces, labels), after the card's softmax if it says logits

    def rows(self) -> list[str]:
        """One line per face: its two most probable labels."""
        lines = []
        for face, row in zip(self.faces, self.probabilities, strict=True):
            best = np.argsort(-row)[:2]
            lines.append(f"{face}: " + ", ".join(f"{self.labels[i]} {row[i]:.2f}" for i in best))
        return lines

    @classmethod
    def from_dict(cls, data: dict) -> BehaviourReport:
        return cls(tuple(data["faces"]), tuple(data["labels"]), np.asarray(data["probabilities"]))

    def to_dict(self) -> dict:
        return {"faces": list(self.faces), "labels": list(self.labels),
                "probabilities": np.round(self.probabilities, 4).tolist()}  # fmt: skip


def bundled_faces() -> list[tuple[str, Image.Image]]:
    return [(path.stem, Image.open(path).convert("RGB")) for path in sorted(FACES_DIR.glob("*.jpg"))]


def behaviour_problem(raw: np.ndarray, labels, *, output_kind: str) -> str | None:
    """Why outputs `raw` (faces x labels, as the model gives them) are refused, or None if they are fine."""
    if not np.isfinite(raw).all():
        return "its outputs are not all finite numbers (NaN or infinity)"
    sums = raw.sum(axis=1)
    looks_like_probabilities = raw.min() >= -1e-4 and raw.max() <= 1 + 1e-4 and np.abs(sums - 1).max() < 0.01
    if output_kind == "probabilities" and not looks_like_probabilities:
        return (
            f"the card says its outputs are probabilities, but they range from {raw.min():.3g} to {raw.max():.3g} "
            f"and rows sum to {sums.min():.3g}-{sums.max():.3g}; if the model outputs logits, "
            f"set output_kind to \"logits\""
        )
    if output_kind == "logits" and looks_like_probabilities:
        return (
            "the card says its outputs are logits, but every row is already a probability vector "
            "(between 0 and 1, summing to 1): set output_kind to \"probabilities\""
        )
    probabilities = softmax(raw) if output_kind == "logits" else raw
    best = probabilities.argmax(axis=1)
    for index, label in enumerate(labels):
        confident = int(((best == index) & (probabilities.max(axis=1) > CONFIDENT)).sum())
        if confident >= NEARLY_EVERY_FACE * len(probabilities):
            return (
                f"it says {label!r} with probability above {CONFIDENT} for {confident} of the "
                f"{len(probabilities)} faces"
            )
    spread = float((probabilities.max(axis=0) - probabilities.min(axis=0)).max())
    if spread < MIN_SPREAD:
        return (
            f"its outputs hardly depend on the face: across {len(probabilities)} different faces no label's "
            f"probability changes by more than {spread:.3f}"
        )
    return None


def check_behaviour(classifier: ExpressionClassifier, faces=None) -> BehaviourReport:
    """Run `classifier` on (name, image) face crops (default: the bundled ones, face in FACE_BOX);
    raise BehaviourError saying why if it must be refused, else return what it said."""
    faces = faces if faces is not None else bundled_faces()
    names = tuple(name for name, _ in faces)
    batch = np.concatenate([classifier.preprocess(image, [FACE_BOX]) for _, image in faces])
    raw = classifier.raw_outputs(batch)
    card = classifier.card
    problem = behaviour_problem(raw, card.labels, output_kind=card.output_kind)
    probabilities = softmax(raw) if card.output_kind == "logits" and np.isfinite(raw).all() else raw
    report = BehaviourReport(names, card.labels, probabilities)
    if problem:
        shown = "\n  ".join(report.rows()[:6])
        raise BehaviourError(
            f"the model was refused because {problem}. Its outputs on the bundled real faces:\n  {shown}"
        )
    return report
