"""What lm's int8 writing costs in quality, for bench_lm.py's generation part."""

from __future__ import annotations

import math
from pathlib import Path


def int8_agreement(module, data: Path, tokens: int = 1000, window: int = 256) -> dict:
    """What int8 writing costs: next-token top-1 agreement with the fp32 model, and both models'
    bits per byte, on held-out tinyshakespeare."""
    import torch
    import torch.nn.functional as F

    from plugins.lm.generate import writing_model

    text = data.read_text(encoding="utf-8")
    ids = module.tokens.encode(text[len(text) * 9 // 10 :])[: tokens + 1]
    twin = writing_model(module, "int8", torch.device("cpu"))
    agree, nats, size = 0, {"full": 0.0, "int8": 0.0}, 0
    with torch.no_grad():
        for start in range(0, len(ids) - 1, window):
            piece = torch.tensor([ids[start : start + window + 1]])
            targets = piece[0, 1:]
            full = module.hf(input_ids=piece[:, :-1]).logits[0]
            rounded = twin(input_ids=piece[:, :-1]).logits[0]
            agree += int((full.argmax(-1) == rounded.argmax(-1)).sum())
            nats["full"] += float(F.cross_entropy(full, targets, reduction="sum"))
            nats["int8"] += float(F.cross_entropy(rounded, targets, reduction="sum"))
            size += module.tokens.byte_count(targets.tolist())
    bits = {k: v / math.log(2) / size for k, v in nats.items()}
    return {"int8_top1": agree / (len(ids) - 1), "bpb_full": bits["full"], "bpb_int8": bits["int8"]}
