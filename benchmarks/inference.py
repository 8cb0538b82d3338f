"""Per-photo cost of the inference pipeline on webcam-size JPEGs, the same for the fer package, and
what each face detector finds and costs on real photos.

    python benchmarks/inference.py [--runs 50] [--fer-runs 30] [--processes 2]

Photos: 640x480 JPEGs (quality 90) made from scikit-image's shipped images: three with faces
(astronaut, cameraman, two astronaut faces side by side) and three without (coffee, rocket,
Hubble deep field). The pipeline runs as the worker runs it (detector cascade, the classifier on the
card's crop and four perturbed crops), without and with the face mesh and movement measures.
Everything runs on one thread (onnxruntime intra-op 1; fer: TensorFlow and OpenCV set to 1 thread).
If `fer` is importable, `FER().detect_emotions` (its defaults: Haar cascade + the bundled TFLite
mini-Xception; decode with cv2.imdecode included) runs on the same JPEGs in the same run:

    python3.11 -m venv /tmp/bench-venv
    /tmp/bench-venv/bin/pip install "numpy<2" tensorflow==2.15.1 onnxruntime pillow "scikit-image<0.25" \
        matplotlib "opencv-contrib-python-headless<4.11" pandas requests tqdm "setuptools<81"
    /tmp/bench-venv/bin/pip install --no-deps fer==25.10.3   # its facenet-pytorch/moviepy are not used here
    /tmp/bench-venv/bin/python benchmarks/inference.py

The detector table uses tests/inference/real_faces.py (real public-domain/CC0 photos and collages).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import skimage.data  # noqa: E402
from PIL import Image  # noqa: E402

from fer_inference import classify_image, decode_image, load_default_models  # noqa: E402
from fer_inference.decode import decode_scaled  # noqa: E402
from tests.inference.real_faces import photo_set, score_detections  # noqa: E402

STAGES = ("decode", "detect", "classify", "landmarks", "total")

SIZE = (640, 480)


def webcam_frame(array: np.ndarray) -> Image.Image:
    """Scale to cover 640x480 and crop the centre, like a webcam frame."""
    image = Image.fromarray(array).convert("RGB")
    scale = max(SIZE[0] / image.width, SIZE[1] / image.height)
    image = image.resize((round(image.width * scale), round(image.height * scale)), Image.BICUBIC)
    left, top = (image.width - SIZE[0]) // 2, (image.height - SIZE[1]) // 2
    return image.crop((left, top, left + SIZE[0], top + SIZE[1]))


def two_faces() -> Image.Image:
    face = Image.fromarray(skimage.data.astronaut()).crop((130, 30, 330, 230))
    canvas = Image.new("RGB", SIZE, (200, 200, 200))
    canvas.paste(face.resize((190, 190)), (30, 150))
    canvas.paste(face.resize((280, 280)), (330, 100))
    return canvas


def photos() -> dict[str, bytes]:
    frames = {
        "astronaut": webcam_frame(skimage.data.astronaut()),
        "cameraman": webcam_frame(skimage.data.camera()),
        "two_faces": two_faces(),
        "coffee (no face)": webcam_frame(skimage.data.coffee()),
        "hubble (no face)": webcam_frame(skimage.data.hubble_deep_field()),
        "rocket (no face)": webcam_frame(skimage.data.rocket()),
    }
    encoded = {}
    for name, frame in frames.items():
        buffer = io.BytesIO()
        frame.save(buffer, "JPEG", quality=90)
        encoded[name] = buffer.getvalue()
    return encoded


def median_ms(samples) -> float:
    return statistics.median(samples)


def timed(work):
    """(result, wall ms, CPU ms) of one call."""
    started, started_cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, (time.perf_counter() - started) * 1000, (time.process_time() - started_cpu) * 1000


def pipeline_row(samples: list) -> dict:
    results = [result for result, _, _ in samples]
    last = results[-1]
    return {
        **{stage: median_ms([r.timings_ms.get(stage, 0.0) for r in results]) for stage in STAGES},
        "total": median_ms([wall for _, wall, _ in samples]),
        "cpu": median_ms([cpu for _, _, cpu in samples]),
        "status": last.status,
        "n_faces": last.n_faces,
        "label": last.top_label,
        "p": last.probabilities.get(last.top_label, 0.0),
        "detector": last.detector.replace("face_detection_", ""),
    }


def fer_row(samples: list) -> dict:
    found = samples[-1][0]
    return {
        "total": median_ms([wall for _, wall, _ in samples]),
        "cpu": median_ms([cpu for _, _, cpu in samples]),
        "n_faces": len(found),
        "label": max(found[0]["emotions"], key=found[0]["emotions"].get) if found else "",
    }


def side_by_side(data: dict[str, bytes], runs: int, fer_runs: int) -> tuple[dict, dict, dict | None]:
    """Per photo: the pipeline without and with the face mesh, and fer, interleaved run by run, so a
    change in the machine's load falls on all three alike."""
    models = load_default_models(threads=1)
    plain = {"detector": models.detector, "classifier": models.classifier}
    meshed = {**plain, "landmarker": models.landmarker}
    fer = load_fer()
    every = max(1, runs // max(1, fer_runs))
    rows = ({}, {}, {} if fer else None)
    for name, jpeg in data.items():
        for _ in range(5):  # warm-up
            classify_image(jpeg, **plain)
            classify_image(jpeg, **meshed)
        if fer:
            fer(jpeg)
        samples = ([], [], [])
        for i in range(runs):
            samples[0].append(timed(lambda jpeg=jpeg: classify_image(jpeg, **plain)))
            samples[1].append(timed(lambda jpeg=jpeg: classify_image(jpeg, **meshed)))
            if fer and i % every == 0:
                samples[2].append(timed(lambda jpeg=jpeg: fer(jpeg)))
        rows[0][name], rows[1][name] = pipeline_row(samples[0]), pipeline_row(samples[1])
        if fer:
            rows[2][name] = fer_row(samples[2])
    return rows


def bench_detectors(runs: int) -> None:
    """Faces found, false faces and time per photo for each detector on the real-photo set."""
    models = load_default_models(threads=1)
    detectors = {"short range": models.detector.first, "full range": models.detector.second, "cascade": models.detector}
    photos = photo_set()
    totals = {name: [0, 0, []] for name in detectors}
    print(f"\nDetectors on {len(photos)} real photos ({sum(len(p.faces) for p in photos)} faces), "
          f"median of {runs} runs, ms per photo (letterbox included)")
    print(f"{'photo':<38}" + "".join(f"{name:>22}" for name in detectors))
    for photo in photos:
        cells = []
        for name, detector in detectors.items():
            faces = detector.detect(photo.image)
            found, false = score_detections([face.box for face in faces], photo.faces)
            samples = []
            for _ in range(runs):
                started = time.perf_counter()
                detector.detect(photo.image)
                samples.append((time.perf_counter() - started) * 1000)
            ms = median_ms(samples)
            totals[name][0] += found
            totals[name][1] += false
            totals[name][2].append(ms)
            cells.append(f"{found}/{len(photo.faces)} {'+' + str(false) + ' false ' if false else ''}{ms:5.2f} ms")
        print(f"{photo.name:<38}" + "".join(f"{cell:>22}" for cell in cells))
    n_faces = sum(len(p.faces) for p in photos)
    for name, (found, false, times) in totals.items():
        print(f"{name}: {found}/{n_faces} faces, {false} false, mean {statistics.mean(times):.2f} ms, "
              f"median {statistics.median(times):.2f} ms per photo")


def bench_large_decode(runs: int = 15) -> None:
    """Full decode against the reduced-scale (draft) decode the pipeline uses for large JPEGs."""
    image = webcam_frame(skimage.data.astronaut()).resize((4032, 3024), Image.BICUBIC)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()
    times = {}
    for name, decode in (("full", lambda: decode_image(data)), ("draft", lambda: decode_scaled(data, long_side=960))):
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            decode()
            samples.append((time.perf_counter() - started) * 1000)
        times[name] = median_ms(samples)
    print(f"decode of a 4032x3024 JPEG: {times['full']:.1f} ms full, {times['draft']:.1f} ms at reduced scale "
          f"({decode_scaled(data, long_side=960)[0].size[0]} px wide)")


def bench_classifier(batch_size: int, windows: int = 5, seconds: float = 1.0) -> tuple[float, float]:
    """Faces per second on one thread, median over timing windows: (model only, crop + preprocess + model)."""
    models = load_default_models(threads=1)
    image = Image.fromarray(skimage.data.astronaut())
    rng = np.random.default_rng(0)
    sizes = rng.uniform(80, 120, batch_size)
    boxes = [
        (x, y, x + s, y + s)
        for x, y, s in zip(
            rng.uniform(150, 200, batch_size), rng.uniform(60, 110, batch_size), sizes, strict=True
        )
    ]
    classifier = models.classifier
    batch = classifier.preprocess(image, boxes)
    rates = []
    for work in (lambda: classifier.predict(batch), lambda: classifier.classify(image, boxes)):
        work()
        samples = []
        for _ in range(windows):
            # CPU time of this process: "faces per second of one core", robust to other load on the machine
            done, started = 0, time.process_time()
            while time.process_time() - started < seconds:
                work()
                done += batch_size
            samples.append(done / (time.process_time() - started))
        rates.append(statistics.median(samples))
    return rates[0], rates[1]


def _worker_throughput(args):
    jpegs, seconds = args
    models = load_default_models(threads=1)
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for jpeg in jpegs:
            classify_image(jpeg, detector=models.detector, classifier=models.classifier, landmarker=models.landmarker)
            done += 1
    return done / (time.perf_counter() - started)


def bench_processes(data: dict[str, bytes], processes: int, seconds: float = 5.0) -> float:
    """Photos per second with N worker processes, one thread each (models loaded after fork)."""
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        pool.map(_worker_throughput, [(list(data.values()), 0.5)] * processes)  # warm-up and load
        return sum(pool.map(_worker_throughput, [(list(data.values()), seconds)] * processes))


def load_fer():
    """fer's FER().detect_emotions on JPEG bytes (decoded with cv2.imdecode), one thread; None if fer is
    not importable here."""
    try:
        import cv2
        import tensorflow as tf

        try:
            from fer import FER
        except ImportError:
            from fer.fer import FER  # fer 25.x no longer re-exports FER from the package
    except ImportError as error:
        print(f"fer not importable here ({error}); skipping the comparison")
        return None
    import logging

    logging.getLogger("fer").setLevel(logging.WARNING)
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    cv2.setNumThreads(1)
    # FER() reads OpenCV's bundled Haar cascade; OpenCV 5 wheels no longer ship it, fer does (same file).
    cascade = Path(getattr(getattr(cv2, "data", None), "haarcascades", "")) / "haarcascade_frontalface_default.xml"
    if not cascade.is_file():
        import fer

        cascade = Path(fer.__file__).parent / "data" / "haarcascade_frontalface_default.xml"
    detector = FER(cascade_file=str(cascade))
    print(f"fer: opencv {cv2.__version__}, tensorflow {tf.__version__}, cascade {cascade}")
    return lambda jpeg: detector.detect_emotions(cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR))


def format_row(name: str, row: dict, meshed: dict, theirs: dict | None) -> str:
    result = f"{row['status']} {row['n_faces']} {row['detector']}" + (
        f" {row['label']} {row['p']:.2f}" if row["label"] else ""
    )
    stages = "".join(f"{meshed[stage]:>10.2f}" for stage in STAGES[:-1])
    line = f"{name:<18}{stages}{row['total']:>9.2f}{meshed['total']:>9.2f}  {result:<34}"
    if theirs:
        line += f"{theirs['total']:>8.1f}  {theirs['n_faces']} {theirs['label']:<9}"
        line += f"{theirs['total'] / row['total']:>6.1f}x{theirs['total'] / meshed['total']:>6.1f}x"
    return line


def ratios(label: str, ours: dict, meshed: dict, fer_rows: dict | None, key: str = "total") -> None:
    ours_median = statistics.median(row[key] for row in ours.values())
    meshed_median = statistics.median(row[key] for row in meshed.values())
    print(f"pipeline ({label}): median per photo {ours_median:.2f} ms, with face mesh {meshed_median:.2f} ms")
    if fer_rows:
        fer_median = statistics.median(row[key] for row in fer_rows.values())
        print(f"fer.FER().detect_emotions ({label}): median per photo {fer_median:.1f} ms; ratio fer / pipeline "
              f"{fer_median / ours_median:.1f}x (target >= 20x), with face mesh {fer_median / meshed_median:.1f}x "
              f"(target >= 15x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--fer-runs", type=int, default=30)
    parser.add_argument("--detector-runs", type=int, default=20)
    parser.add_argument("--processes", type=int, default=2, help="0 to skip the multi-process throughput")
    args = parser.parse_args()
    data = photos()
    ours, meshed, fer_rows = side_by_side(data, args.runs, args.fer_runs)

    print(f"\nPer photo, 640x480 JPEG, one thread, median of {args.runs} runs (fer: {args.fer_runs}), ms")
    print("stages with the face mesh; totals without and with it")
    header = "".join(f"{stage:>10}" for stage in STAGES[:-1]) + f"{'total':>9}{'+mesh':>9}"
    print(
        f"{'photo':<18}{header}  {'result':<34}"
        + (f"{'fer':>8}  {'fer result':<11}{'ratio':>7}{'+mesh':>7}" if fer_rows else "")
    )
    for name, row in ours.items():
        print(format_row(name, row, meshed[name], fer_rows[name] if fer_rows else None))
    face = "astronaut"
    if fer_rows:
        for key in ("total", "cpu"):
            print(f"{'' if key == 'cpu' else chr(10)}the webcam face photo ({face}), {key} ms: pipeline "
                  f"{ours[face][key]:.2f}, with face mesh {meshed[face][key]:.2f}, fer {fer_rows[face][key]:.1f}: "
                  f"{fer_rows[face][key] / ours[face][key]:.1f}x and {fer_rows[face][key] / meshed[face][key]:.1f}x")
    ratios("wall", ours, meshed, fer_rows)
    ratios("CPU", ours, meshed, fer_rows, key="cpu")
    bench_large_decode()
    bench_detectors(args.detector_runs)
    for batch_size in (1, 16, 64):
        model_only, with_crops = bench_classifier(batch_size)
        print(
            f"classifier, batches of {batch_size:>2}, one thread: {model_only:>5.0f} faces per CPU-second model only, "
            f"{with_crops:>5.0f} with crop and preprocessing (target >= 1000)"
        )
    if args.processes:
        rate = bench_processes(data, args.processes)
        print(
            f"pipeline in {args.processes} processes x 1 thread: {rate:.0f} photos/s (no database, no broker)"
        )


if __name__ == "__main__":
    main()
