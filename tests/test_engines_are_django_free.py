"""The engines beside the app (fer_inference, fer_stats, fer_conditions) import without Django, and a
web process that only decodes photos does not pay for onnxruntime."""

import subprocess
import sys

import pytest

ENGINES = ["fer_conditions", "fer_inference", "fer_stats", "fer_stats.cli"]


def modules_loaded_by(statement: str) -> set[str]:
    """The top-level modules a fresh interpreter holds after `statement` (Django is not importable there)."""
    probe = (
        "import sys\n"
        "class NoDjango:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'django' or name.startswith('django.'):\n"
        "            raise ImportError('Django must not be imported by an engine: ' + name)\n"
        "sys.meta_path.insert(0, NoDjango())\n"
        f"{statement}\n"
        "print('\\n'.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


@pytest.mark.parametrize("engine", ENGINES)
def test_each_engine_imports_without_django(engine):
    loaded = modules_loaded_by(f"import {engine}")
    assert "django" not in loaded


def test_decoding_a_photo_does_not_load_onnxruntime():
    loaded = modules_loaded_by("from fer_inference.decode import decode_image\nimport fer_inference")
    assert "onnxruntime" not in loaded


def test_running_a_model_does_load_onnxruntime():
    """The probe above can see onnxruntime when it is loaded, so its absence means something."""
    loaded = modules_loaded_by("from fer_inference import load_default_models\nload_default_models()")
    assert "onnxruntime" in loaded
