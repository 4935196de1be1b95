"""The command line of every Python server's server.py.

No argument: serve (app.serve). `--tokenize FILE`: print `{"ids": [[...], ...]}`, the token ids the
server's engine would feed its model for FILE's `{"texts": [...]}` (truncated to serving.json's
max_seq_length, special tokens included, padding left out), and exit. Tests compare those ids with
Python `tokenizers`' (tests/e2e/token-ids.test.ts), as they do for the Rust and C++ servers' own
`--tokenize`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from .app import serve
from .settings import ServingConfig, Settings
from .tokens import TokenIds

TokenIdsLoader = Callable[[Settings, ServingConfig], TokenIds]
"""How a server tokenises: its engine's own tokenisation, for MODEL_DIR's model."""


def read_texts(path: Path) -> list[str]:
    texts = json.loads(path.read_text()).get("texts")
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise SystemExit(f'{path}: expected {{"texts": [list of strings]}}')
    return texts


def main(import_string: str, app_dir: str, token_ids: TokenIdsLoader) -> None:
    parser = argparse.ArgumentParser(description="An embedding-bench server (environment: servers/pycommon/README.md).")
    parser.add_argument(
        "--tokenize",
        type=Path,
        metavar="FILE",
        help='print the token ids of FILE\'s {"texts": [...]} as the engine feeds them to the model, padding left out, and exit',
    )
    args = parser.parse_args()
    if args.tokenize is None:
        serve(import_string, app_dir)
        return
    texts = read_texts(args.tokenize)
    settings = Settings.from_env()
    ids = token_ids(settings, ServingConfig.load(settings.model_dir))(texts)
    json.dump({"ids": ids}, sys.stdout)
    sys.stdout.write("\n")
