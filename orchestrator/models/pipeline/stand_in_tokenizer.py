"""Tokenizers of a model family's type for the synthetic stand-ins, trained on the corpus the suite ships.

A stand-in whose catalogue entry says `synthetic.tokenizer: {train: ..., vocab_size: N}` gets a
tokenizer built like its family's, trained here with HF `tokenizers` on config/synthetic/tokenizer-corpus.txt:

- unigram: XLM-RoBERTa (bge-m3): NFKC, Metaspace with a leading "▁", Unigram (pieces and scores from
  SentencePiece's trainer, as XLM-R's were); "<s> $A </s>";
  <s>=0 <pad>=1 </s>=2 <unk>=3 as the published config expects, <mask> last.
- sentencepiece_bpe: Gemma (embeddinggemma): spaces become "▁", BPE with byte fallback (<0x00>..<0xFF>);
  "<bos> $A <eos>"; <pad>=0 <eos>=1 <bos>=2 <unk>=3 as the published config expects.
- byte_level_bpe: Qwen (qwen3-embedding): NFC, the GPT-style split, byte-level BPE; "$A <|endoftext|>"
  (last-token pooling reads the appended end-of-text); <|endoftext|>, <|im_start|>, <|im_end|> after the vocabulary.

Training is single-threaded and depends on nothing but the corpus and settings, so the same inputs
give the same tokenizer.json (the prepared model's cache key covers both).
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

os.environ["TOKENIZERS_PARALLELISM"] = "false"  # parallel counting can order ties differently

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

FAMILIES = ("unigram", "sentencepiece_bpe", "byte_level_bpe")
# Qwen2/3's pre-tokenizer split (contractions, letters, single digits, punctuation runs, whitespace).
QWEN_SPLIT = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
BYTE_TOKENS = [f"<0x{b:02X}>" for b in range(256)]


class TokenizerTrainingError(Exception):
    pass


def corpus_lines(corpus: Path) -> list[str]:
    """The corpus without its comment header."""
    return [line for line in corpus.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("# ")]


def _train_sentencepiece(normalizer: normalizers.Normalizer, lines: list[str], vocab_size: int, proto: io.BytesIO) -> None:
    import sentencepiece as spm

    spm.SentencePieceTrainer.train(
        sentence_iterator=iter([normalizer.normalize_str(line) for line in lines]),
        model_writer=proto,
        model_type="unigram",
        vocab_size=vocab_size - 1,  # <mask> comes last
        bos_id=0,
        pad_id=1,
        eos_id=2,
        unk_id=3,
        bos_piece="<s>",
        pad_piece="<pad>",
        eos_piece="</s>",
        unk_piece="<unk>",
        normalization_rule_name="identity",
        character_coverage=1.0,
        num_threads=1,
        minloglevel=2,
        max_sentence_length=100_000,
    )


def _unigram(lines: list[str], vocab_size: int) -> tuple[Tokenizer, dict[str, str]]:
    """SentencePiece trains the pieces and their scores (tokenizers' UnigramTrainer sums its EM
    statistics in hash-map order, so its scores differ from run to run); the tokenizers Unigram model
    serves them, behind XLM-R's normalisation and Metaspace, which the training text has already been through."""
    import sentencepiece as spm

    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(Regex(" {2,}"), " ")])
    proto = io.BytesIO()
    try:
        _train_sentencepiece(normalizer, lines, vocab_size, proto)
    except RuntimeError as err:  # e.g. "Vocabulary size too high": the corpus cannot fill it
        raise TokenizerTrainingError(f"unigram: SentencePiece's trainer: {str(err).split('] ')[-1]}") from err
    sp = spm.SentencePieceProcessor(model_proto=proto.getvalue())
    pieces = [(sp.id_to_piece(i), float(sp.get_score(i))) for i in range(sp.get_piece_size())]
    tok = Tokenizer(models.Unigram(pieces, unk_id=3, byte_fallback=False))
    tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tok.add_special_tokens(specials)
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, special=True)])
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    roles = {"bos_token": "<s>", "cls_token": "<s>", "eos_token": "</s>", "sep_token": "</s>", "pad_token": "<pad>"}
    return tok, {**roles, "unk_token": "<unk>", "mask_token": "<mask>"}


def _with_byte_tokens(trained: Tokenizer, specials: list[str]) -> Tokenizer:
    """The trained BPE with <0x00>..<0xFF> right after the special tokens, and byte fallback on: text
    the vocabulary lacks becomes its UTF-8 bytes, as SentencePiece's byte_fallback does. Ids are
    renumbered; merges name tokens by their text, so they stay valid."""
    body: dict[str, Any] = json.loads(trained.to_str())
    vocab: dict[str, int] = body["model"]["vocab"]
    ordered = specials + BYTE_TOKENS + [t for t, _ in sorted(vocab.items(), key=lambda kv: kv[1]) if t not in specials]
    body["model"]["vocab"] = {t: i for i, t in enumerate(ordered)}
    body["model"]["byte_fallback"] = True
    body["model"]["fuse_unk"] = True
    for added in body["added_tokens"]:
        added["id"] = ordered.index(added["content"])
    return Tokenizer.from_str(json.dumps(body))


def _sentencepiece_bpe(lines: list[str], vocab_size: int) -> tuple[Tokenizer, dict[str, str]]:
    specials = ["<pad>", "<eos>", "<bos>", "<unk>"]
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.normalizer = normalizers.Replace(" ", "▁")
    # SentencePiece splits at whitespace, the "▁" starting the next piece; no dummy prefix (Gemma's add_dummy_prefix=false).
    tok.pre_tokenizer = pre_tokenizers.Split("▁", behavior="merged_with_next")
    trainer = trainers.BpeTrainer(vocab_size=vocab_size - len(BYTE_TOKENS), special_tokens=specials, show_progress=False)
    tok.train_from_iterator(lines, trainer=trainer)
    tok = _with_byte_tokens(tok, specials)
    tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()])
    tok.post_processor = processors.TemplateProcessing(
        single="<bos> $A <eos>", pair="<bos> $A <eos> $B <eos>", special_tokens=[("<bos>", 2), ("<eos>", 1)]
    )
    return tok, {"bos_token": "<bos>", "eos_token": "<eos>", "pad_token": "<pad>", "unk_token": "<unk>"}


def _byte_level_bpe(lines: list[str], vocab_size: int) -> tuple[Tokenizer, dict[str, str]]:
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN_SPLIT), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size - len(specials), initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    tok.train_from_iterator(lines, trainer=trainer)
    # As in Qwen: the special tokens come after the trained vocabulary.
    tok.add_special_tokens(specials)
    eot = tok.token_to_id("<|endoftext|>")
    tok.post_processor = processors.TemplateProcessing(
        single="$A <|endoftext|>", pair="$A <|endoftext|> $B <|endoftext|>", special_tokens=[("<|endoftext|>", eot)]
    )
    return tok, {"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>"}


TRAINERS = {"unigram": _unigram, "sentencepiece_bpe": _sentencepiece_bpe, "byte_level_bpe": _byte_level_bpe}


def train(family: str, vocab_size: int, corpus: Path) -> tuple[Tokenizer, dict[str, str]]:
    """The trained tokenizer and its special tokens by role (transformers' names: bos_token, ...)."""
    if family not in TRAINERS:
        raise TokenizerTrainingError(f"unknown tokenizer family {family!r}: expected one of {', '.join(FAMILIES)}")
    tok, roles = TRAINERS[family](corpus_lines(corpus), vocab_size)
    if tok.get_vocab_size() != vocab_size:
        raise TokenizerTrainingError(
            f"{family}: the corpus {corpus.name} gives {tok.get_vocab_size()} tokens, not vocab_size {vocab_size}; "
            "choose a vocab_size it can fill"
        )
    return tok, roles


def write_trained_tokenizer(family: str, vocab_size: int, corpus: Path, out_dir: Path, max_length: int) -> dict[str, int]:
    """Writes tokenizer.json, tokenizer_config.json and special_tokens_map.json into out_dir; returns the
    special tokens' ids by config name (pad_token_id, bos_token_id, eos_token_id, cls_token_id, sep_token_id)."""
    tok, roles = train(family, vocab_size, corpus)
    tok.save(str(out_dir / "tokenizer.json"))
    # transformers loads tokenizer.json as it is (its model-specific classes would rebuild the pipeline).
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": max_length, "padding_side": "right", **roles}
    (out_dir / "tokenizer_config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n")
    (out_dir / "special_tokens_map.json").write_text(json.dumps(roles, indent=2, ensure_ascii=False) + "\n")
    ids: dict[str, int] = {}
    for role, token in roles.items():
        if role in ("pad_token", "bos_token", "eos_token", "cls_token", "sep_token"):
            token_id = tok.token_to_id(token)
            if token_id is None:
                raise TokenizerTrainingError(f"{family}: {token} missing from the trained vocabulary")
            ids[f"{role}_id"] = token_id
    return ids
