"""tokenizer.json for checkpoints that ship only a slow (SentencePiece) tokenizer.

Every server tokenises with HF tokenizers' tokenizer.json. SigLIP checkpoints ship spiece.model and a
Python-only SiglipTokenizer, which transformers 5 does not convert. SiglipConverter builds the same
tokenizer (SigLIP's text canonicalisation, then the SentencePiece model, then </s>), and
write_tokenizer_json() keeps a converted file only when it gives the slow tokenizer's exact ids.
"""

from __future__ import annotations

import re
import string
from pathlib import Path
from typing import Any

from tokenizers import Regex, Tokenizer, normalizers, processors
from transformers.convert_slow_tokenizer import SpmConverter


class ConversionError(Exception):
    pass


class SiglipConverter(SpmConverter):
    def normalizer(self, proto: Any) -> normalizers.Normalizer:
        # SiglipTokenizer.canonicalize_text: lowercase, drop ASCII punctuation, collapse whitespace, strip.
        canonical = [
            normalizers.Lowercase(),
            normalizers.Replace(Regex("[" + re.escape(string.punctuation) + "]"), ""),
            normalizers.Replace(Regex(r"\s+"), " "),
            normalizers.Strip(),
        ]
        return normalizers.Sequence([*canonical, super().normalizer(proto)])

    def post_processor(self) -> processors.PostProcessor:
        eos = str(self.original_tokenizer.eos_token)
        eos_id = int(self.original_tokenizer.eos_token_id)
        return processors.TemplateProcessing(single=f"$A {eos}", pair=f"$A {eos} $B {eos}", special_tokens=[(eos, eos_id)])


CONVERTERS: dict[str, type[SpmConverter]] = {"SiglipTokenizer": SiglipConverter}


def write_tokenizer_json(src: Path, dst: Path, texts: list[str], max_length: int) -> str:
    """Writes dst/tokenizer.json for the tokenizer in src; returns how it was made. Raises ConversionError."""
    from transformers import AutoTokenizer

    try:
        slow = AutoTokenizer.from_pretrained(str(src))
    except Exception as err:
        raise ConversionError(
            f"transformers cannot load its tokenizer: {type(err).__name__}: {' '.join(str(err).split())[:200]}"
        ) from err
    name = type(slow).__name__
    backend = getattr(slow, "backend_tokenizer", None)
    if isinstance(backend, Tokenizer):
        fast, how = backend, f"{name} (transformers' own tokenizers backend)"
    elif name in CONVERTERS:
        fast, how = CONVERTERS[name](slow).converted(), f"converted from {name} by orchestrator/models/pipeline/fast_tokenizer.py"
    else:
        raise ConversionError(f"{name} has no tokenizers version and no converter here")
    check = Tokenizer.from_str(fast.to_str())
    check.no_padding()
    check.enable_truncation(max_length=max_length)
    for text in texts:
        expected = list(slow(text, truncation=True, max_length=max_length)["input_ids"])
        got = check.encode(text).ids
        if got != expected:
            raise ConversionError(f"{how}: ids differ from {name} on {text[:60]!r}: {got[:12]} vs {expected[:12]}")
    fast.save(str(dst / "tokenizer.json"))
    return how
