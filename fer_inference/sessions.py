"""onnxruntime sessions with explicit thread counts, and the sha256 of the file they were built from."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import onnxruntime


def open_session(model: Path | bytes, *, threads: int = 1) -> tuple[onnxruntime.InferenceSession, str]:
    """Return (session, sha256 of the model bytes). One intra-op thread per worker process by default:
    Celery runs one process per core, so more threads would only fight each other."""
    import onnxruntime as ort  # heavy (about 90 ms, 20 MB): loaded only by a process that runs a model

    data = model if isinstance(model, bytes) else Path(model).read_bytes()
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(data, sess_options=options, providers=["CPUExecutionProvider"])
    return session, hashlib.sha256(data).hexdigest()
