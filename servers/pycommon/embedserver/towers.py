"""Text towers of image-text models (CLIP, SigLIP), run the way their authors run them.

One definition serves three uses: the torch servers run it, the model pipeline exports it to ONNX
(so the ONNX graph returns the sentence vector, pooling and projection included), and the pipeline
checks it against the transformers reference procedure. Inputs follow the servers' contract
(right padding to the longest text, attention mask); anything a tower needs beyond that, such as
SigLIP's fixed-length input, happens inside forward().

Imported only where torch is installed (the pytorch servers and the model tools).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

import torch

TowerKind = Literal["clip", "siglip"]
TOWER_KINDS: tuple[str, ...] = get_args(TowerKind)


class TextTower(torch.nn.Module):
    """input_ids, attention_mask [batch, seq] -> the tower's text embedding [batch, dim], not normalised."""

    def __init__(self, kind: TowerKind, model: torch.nn.Module, max_seq_length: int) -> None:
        super().__init__()
        self.kind = kind
        self.model = model
        self.max_seq_length = max_seq_length
        pad = getattr(model.config, "pad_token_id", None)
        self.pad_token_id = int(pad) if pad is not None else 0

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        if self.kind == "clip":
            # CLIPTextModelWithProjection: causal attention, the end-of-text token's state, text_projection.
            return self.model(input_ids=input_ids, attention_mask=attention_mask).text_embeds
        # SigLIP was trained on texts padded to max_length with its pad token and no attention mask,
        # and reads the last position: rebuild exactly that input from the contract's padded batch.
        ids = torch.where(attention_mask.bool(), input_ids, torch.full_like(input_ids, self.pad_token_id))
        ids = torch.nn.functional.pad(ids, (0, self.max_seq_length - ids.shape[1]), value=self.pad_token_id)
        return self.model(input_ids=ids).pooler_output


def tower_class(kind: TowerKind) -> type[torch.nn.Module]:
    from transformers import CLIPTextModelWithProjection, SiglipTextModel

    classes: dict[TowerKind, type[torch.nn.Module]] = {"clip": CLIPTextModelWithProjection, "siglip": SiglipTextModel}
    return classes[kind]


def load_tower(kind: TowerKind, folder: Path, max_seq_length: int) -> TextTower:
    """The text tower from a folder holding either the tower alone or the whole image-text checkpoint."""
    model = tower_class(kind).from_pretrained(str(folder), dtype=torch.float32, attn_implementation="eager")
    return TextTower(kind, model.eval(), max_seq_length).eval()
