"""Tokenisation for the engines that run a graph on token ids (ONNX Runtime, OpenVINO).

Truncation and padding are set here from serving.json: a model's own tokenizer.json may carry other
settings (all-MiniLM-L6-v2's ships truncation 128 and fixed padding).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt
from tokenizers import Tokenizer

from .settings import ServingConfig, Settings

Feeds = dict[str, npt.NDArray[np.int64]]
TokenIds = Callable[[list[str]], list[list[int]]]
"""Texts -> each text's ids as an engine feeds them to its model, padding left out (`--tokenize`)."""


def unpadded(ids: list[list[int]], mask: list[list[int]]) -> list[list[int]]:
    """The ids of a padded batch where the attention mask is set: each text's own ids, in order."""
    return [[i for i, m in zip(row, row_mask, strict=True) if m] for row, row_mask in zip(ids, mask, strict=True)]


class GraphTokenizer:
    def __init__(self, model_dir: Path, max_seq_length: int, input_names: set[str]) -> None:
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_seq_length)
        self.tokenizer.enable_padding()
        self.with_token_types = "token_type_ids" in input_names

    def feeds(self, texts: list[str]) -> tuple[Feeds, npt.NDArray[np.int64]]:
        """The graph's inputs for `texts`, and the attention mask that pooling needs."""
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds: Feeds = {"input_ids": ids, "attention_mask": mask}
        if self.with_token_types:
            feeds["token_type_ids"] = np.zeros_like(ids)
        return feeds, mask

    def ids(self, texts: list[str]) -> list[list[int]]:
        """Each text's ids as `feeds` gives them to the graph (one padded batch), padding left out."""
        feeds, mask = self.feeds(texts)
        return unpadded(feeds["input_ids"].tolist(), mask.tolist())


def graph_token_ids(settings: Settings, serving: ServingConfig) -> TokenIds:
    """`--tokenize` of the engines that feed a graph through GraphTokenizer (onnx-python, openvino and
    their int8 variants): the tokenizer they build, without loading the model."""
    return GraphTokenizer(settings.model_dir, serving.max_seq_length, set()).ids


class TokenCounter:
    """What a request costs in tokens: each text's ids after truncation to max_seq_length, special
    tokens included, without padding (as TEI counts MAX_BATCH_TOKENS). Every engine's tokenizer is
    the model's tokenizer.json, so the count is the one its model call would see."""

    def __init__(self, model_dir: Path, max_seq_length: int) -> None:
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_seq_length)
        self.tokenizer.no_padding()
        self.max_seq_length = max_seq_length

    def could_exceed(self, texts: list[str], budget: int) -> bool:
        """False when truncation alone keeps `texts` within `budget`: the usual request is not tokenised twice."""
        return len(texts) * self.max_seq_length > budget

    def count(self, texts: list[str]) -> int:
        # The fast variant skips the offsets, which a count does not need.
        return sum(len(e.ids) for e in self.tokenizer.encode_batch_fast(texts))
