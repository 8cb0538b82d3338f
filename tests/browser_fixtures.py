"""Real headless Chromium (Debian's package) driven by Playwright, with a fake camera showing a real face.

One browser per test session, shared by tests/browser and tests/workspace (Playwright's sync API
allows one running instance per thread).

Nothing is downloaded: Playwright launches /usr/bin/chromium, and the camera is a .y4m video made
here from scikit-image's astronaut photograph.
"""

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls from it are safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def write_y4m(path: Path, rgb: np.ndarray, frames: int = 30) -> Path:
    """A YUV4MPEG2 file (4:2:0, BT.601 studio range) repeating one RGB frame, for Chromium's fake camera."""
    height, width, _ = rgb.shape
    r, g, b = (rgb[..., i].astype(np.float32) for i in range(3))
    y = 16 + 0.257 * r + 0.504 * g + 0.098 * b
    u = 128 - 0.148 * r - 0.291 * g + 0.439 * b
    v = 128 + 0.439 * r - 0.368 * g - 0.071 * b

    def subsample(plane):  # average each 2x2 block
        return plane.reshape(height // 2, 2, width // 2, 2).mean(axis=(1, 3))

    planes = [np.clip(np.rint(p), 0, 255).astype(np.uint8).tobytes() for p in (y, subsample(u), subsample(v))]
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            out.write(b"FRAME\n")
            for plane in planes:
                out.write(plane)
    return path


def astronaut_frame(width: int = 640, height: int = 480) -> np.ndarray:
    """The astronaut (a real face) scaled to the frame height and centred on a grey background."""
    from PIL import Image
    from skimage import data

    face = Image.fromarray(data.astronaut()).resize((height, height), Image.Resampling.LANCZOS)
    frame = Image.new("RGB", (width, height), (128, 128, 128))
    frame.paste(face, ((width - height) // 2, 0))
    return np.asarray(frame)


@pytest.fixture(scope="session")
def fake_camera_video(tmp_path_factory) -> Path:
    return write_y4m(tmp_path_factory.mktemp("camera") / "astronaut.y4m", astronaut_frame())


@pytest.fixture(scope="session")
def chromium(fake_camera_video):
    if not Path(CHROMIUM).exists():
        if os.environ.get("FER_REQUIRE_SERVICES") == "1":
            pytest.fail(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-video-capture={fake_camera_video}",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def screenshots():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
