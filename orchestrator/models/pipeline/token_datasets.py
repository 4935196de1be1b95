"""Deterministic text sets of an exact token length, measured with the model's own tokenizer.

`tokens-<N>.json` holds texts that encode to exactly N tokens (special tokens included) with the
model's tokenizer.json, untruncated; a server truncates them to the model's max_seq_length, which
the file records as `effective_tokens`. The texts come from a seeded word generator, or from the
user's own corpus (MS MARCO-style TSV: id<TAB>text, or JSONL with a "text" field): consecutive
passages are joined until they reach N tokens, then cut there.

Run on its own to turn a corpus into a dataset file:
    python token_datasets.py --tokenizer models/<key>/tokenizer.json --corpus collection.tsv --tokens 128 --out my.json
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tokenizers import Encoding, Tokenizer

TOKEN_SIZES = (32, 128, 512)
TEXTS_PER_SET = 256

# Common English words: the generated text tokenizes like ordinary prose (mostly whole-word pieces).
WORDS = (
    "the of and to in is was for that with as on by at from his her they have this which are be one had not but "
    "what all were when we there can an your their said if do will each about how up out them then she many some "
    "so these would other into has more two like him see time could no make than first been its who now people my "
    "made over did down only way find use may water long little very after words called just where most know get "
    "through back much before go good new write our used me man too any day same right look think also around "
    "another came come work three word must because does part even place well such here take why things help put "
    "years different away again off went old number great tell men say small every found still between name should "
    "home big give air line set own under read last never us left end along while might next sound below saw "
    "something thought both few those always looked show large often together asked house world going want school "
    "important until form food keep children feet land side without boy once animals life enough took sometimes "
    "four head above kind began almost live page got earth need far hand high year mother light parts country father"
).split()
PUNCT = (",", ".", ";", "?", "!")


def generated_stream(seed: int) -> Iterator[str]:
    """An endless deterministic stream of sentences."""
    rng = random.Random(seed)
    while True:
        n = rng.randint(6, 18)
        words = [rng.choice(WORDS) for _ in range(n)]
        words[0] = words[0].capitalize()
        yield " ".join(words) + rng.choice(PUNCT)


def corpus_stream(corpus: Path) -> Iterator[str]:
    """Passages of a TSV (last column) or JSONL ("text", else "contents"/"passage"/"query") file, in order."""
    jsonl = corpus.suffix in (".jsonl", ".json")
    with corpus.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            if jsonl:
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as err:
                    raise ValueError(f"{corpus}:{n}: not valid JSON: {err}") from err
                text = next((row[k] for k in ("text", "contents", "passage", "query") if isinstance(row.get(k), str)), None)
                if text is None:
                    raise ValueError(f"{corpus}:{n}: no string field 'text' (or contents/passage/query)")
            else:
                text = line.split("\t")[-1]
            if text.strip():
                yield text.strip()


def cut_to_tokens(tok: Tokenizer, text: str, n: int, enc: Encoding | None = None) -> str | None:
    """The prefix of `text` that encodes to exactly n tokens (specials included), or None if too short.

    `enc`: text's encoding when the caller has it already (encoding is most of a dataset's time).
    """
    enc = enc if enc is not None else tok.encode(text)
    specials = sum(enc.special_tokens_mask)
    content = n - specials
    if len(enc.ids) < n or content <= 0:
        return None
    if len(enc.ids) == n:
        return text
    offsets = [o for o, s in zip(enc.offsets, enc.special_tokens_mask, strict=True) if not s]
    for k in (0, -1, 1, -2, 2, -3, 3, -4, 4, -5, 5):
        i = content - 1 + k
        if 0 <= i < len(offsets):
            cut = text[: offsets[i][1]].rstrip()
            if len(tok.encode(cut).ids) == n:
                return cut
    return None


def build_set(tok: Tokenizer, stream: Iterator[str], n: int, count: int) -> list[str]:
    texts: list[str] = []
    buf = ""
    guard = 0
    while len(texts) < count:
        guard += 1
        if guard > count * 200:
            raise ValueError(f"could not build {count} texts of {n} tokens (corpus too short?)")
        try:
            buf = f"{buf} {next(stream)}".strip()
        except StopIteration:
            raise ValueError(f"corpus ran out after {len(texts)} texts of {n} tokens (need {count})") from None
        enc = tok.encode(buf)
        if len(enc.ids) < n:
            continue
        cut = cut_to_tokens(tok, buf, n, enc)
        if cut is not None:
            texts.append(cut)
        # Either way the buffer starts again: when long enough but no boundary fits, more text
        # keeps the same prefix and would fail the same way.
        buf = ""
    return texts


def dataset(tokenizer_file: Path, n: int, max_seq_length: int, corpus: Path | None, seed: int, count: int) -> dict[str, Any]:
    tok = Tokenizer.from_file(str(tokenizer_file))
    tok.no_truncation()
    tok.no_padding()
    stream = corpus_stream(corpus) if corpus else generated_stream(seed + n)
    texts = build_set(tok, stream, n, count)
    return {
        "texts": texts,
        "tokens": n,
        "effective_tokens": min(n, max_seq_length),
        "max_seq_length": max_seq_length,
        "source": f"corpus {corpus.name}" if corpus else f"generated words, seed {seed + n}",
        "tokenizer": "tokenizer.json of the model, special tokens included, before truncation",
    }


def write_datasets(model_dir: Path, max_seq_length: int, seed: int = 42) -> list[Path]:
    out = model_dir / "datasets"
    out.mkdir(parents=True, exist_ok=True)
    files = []
    for n in TOKEN_SIZES:
        body = dataset(model_dir / "tokenizer.json", n, max_seq_length, None, seed, TEXTS_PER_SET)
        f = out / f"tokens-{n}.json"
        f.write_text(json.dumps(body, ensure_ascii=False) + "\n")
        files.append(f)
    return files


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokenizer", required=True, type=Path, help="the model's tokenizer.json")
    ap.add_argument("--corpus", type=Path, help="TSV (id<TAB>text) or JSONL with a 'text' field; default: generated words")
    ap.add_argument("--tokens", required=True, type=int, help="exact tokens per text (special tokens included)")
    ap.add_argument("--max-seq-length", type=int, default=512, help="the model's max length, recorded as effective_tokens")
    ap.add_argument("--count", type=int, default=TEXTS_PER_SET, help="number of texts")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", required=True, type=Path, help="JSON file to write ({texts: [...], ...})")
    a = ap.parse_args()
    if a.corpus is not None and not a.corpus.is_file():
        print(f"error: corpus file not found: {a.corpus}", file=sys.stderr)
        return 2
    try:
        body = dataset(a.tokenizer, a.tokens, a.max_seq_length, a.corpus, a.seed, a.count)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(body, ensure_ascii=False) + "\n")
    print(f"wrote {len(body['texts'])} texts of {a.tokens} tokens to {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
