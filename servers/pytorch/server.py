"""PyTorch embedding server: sentence-transformers on torch (CPU) behind the shared contract."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "pycommon"))

from embedserver.app import create_app, serve  # noqa: E402
from embedserver.torch_engine import load  # noqa: E402

# One single-threaded worker per CPU: at batch 1 that beats one process using every CPU (README.md).
PREFER = "workers"
app = create_app("pytorch", "Python", load, prefer=PREFER)

if __name__ == "__main__":
    serve("server:app", str(HERE), prefer=PREFER)
