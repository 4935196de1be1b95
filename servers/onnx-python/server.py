"""ONNX Runtime (Python) embedding server: onnxruntime + tokenizers behind the shared contract."""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "pycommon"))
sys.path.insert(0, str(HERE))

from embedserver.app import create_app  # noqa: E402
from embedserver.cli import main  # noqa: E402
from embedserver.tokens import graph_token_ids  # noqa: E402
from engine import load  # noqa: E402

# A variant that runs this server on another model file (servers/onnx-python-int8) reports its own name.
app = create_app(os.environ.get("FRAMEWORK_NAME", "onnx-python"), "Python", load)

if __name__ == "__main__":
    main("server:app", str(HERE), graph_token_ids)
