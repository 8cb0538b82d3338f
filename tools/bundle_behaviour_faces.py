"""Write the real face crops that the registration check runs a candidate model on.

    .venv/bin/python tools/bundle_behaviour_faces.py   # (needs the test extra: scikit-image, matplotlib)

Three real people (public domain / CC0, see models/PROVENANCE.md): a smiling astronaut, a grey
near-profile and a nearly neutral face; each upright and tilted 12 degrees, and mirrored, so 12
crops. Each is 160x160 JPEG with the face in the middle (box 40-120), so any card margin up to 0.5
crops real pixels. The files are committed: the running product reads them, without these packages.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fer_inference.behaviour import FACE_BOX, FACE_SIZE, FACES_DIR  # noqa: E402
from tests.inference.real_faces import sources  # noqa: E402


def face_crop(image: Image.Image, box, degrees: float) -> Image.Image:
    """The face centred, its box scaled to FACE_BOX, turned by `degrees` around its centre."""
    x0, y0, x1, y1 = box
    side = max(x1 - x0, y1 - y0) * FACE_SIZE / (FACE_BOX[2] - FACE_BOX[0])
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    turned = image.rotate(degrees, resample=Image.BICUBIC, center=(cx, cy))
    square = (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)
    return turned.resize((FACE_SIZE, FACE_SIZE), Image.LANCZOS, box=square)


def main() -> None:
    FACES_DIR.mkdir(exist_ok=True)
    for name, (image, box) in sources().items():
        if box is None:
            continue
        for degrees in (0, 12):
            crop = face_crop(image, box, degrees)
            for mirrored in (False, True):
                picture = crop.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if mirrored else crop
                path = FACES_DIR / f"{name}{'_tilted' if degrees else ''}{'_mirrored' if mirrored else ''}.jpg"
                picture.save(path, "JPEG", quality=92)
                print("wrote", path.relative_to(ROOT))


if __name__ == "__main__":
    main()
