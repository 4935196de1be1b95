"""PyTorch behind a dynamic batcher: concurrent requests share one model call (see README.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "pycommon"))

from embedserver.app import create_app  # noqa: E402
from embedserver.cli import main  # noqa: E402
from embedserver.settings import ServingConfig, Settings  # noqa: E402

if TYPE_CHECKING:
    from embedserver.tokens import TokenIds
    from embedserver.torch_engine import TorchEngine, TowerEngine


def load(settings: Settings, serving: ServingConfig) -> TorchEngine | TowerEngine:
    # Imported here, in the worker that serves: the uvicorn supervisor process never loads torch.
    from embedserver import torch_engine

    return torch_engine.load(settings, serving)


def token_ids(settings: Settings, serving: ServingConfig) -> TokenIds:
    from embedserver import torch_engine

    return torch_engine.token_ids(settings, serving)


app = create_app("pytorch-batching", "Python", load, batching=True)

if __name__ == "__main__":
    main("server:app", str(HERE), token_ids)
