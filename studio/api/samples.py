"""What generation and training previews produce: text arrives as chunks, images one by one.

Samples hold plain Python and numpy values, never tensors, so they can cross threads and be
rendered by a window that never imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class TextChunk:
    """A piece of streamed text. Chunks of one sample share its ``index``; joined they make it."""

    text: str
    index: int = 0
    seed: int | None = None


@dataclass(frozen=True)
class ImageSample:
    """A finished image: ``pixels`` is uint8, height x width x channels (1 or 3)."""

    pixels: np.ndarray
    index: int = 0
    seed: int | None = None
    label: str = ""
    # Anything that lets the image be remade alone (a seed, an interpolation position, a source).
    extra: dict[str, Any] = field(default_factory=dict)
    # An animation (an interpolation, say): its frames, uint8 like ``pixels``, ``frame_ms`` each.
    # ``pixels`` stays a still (a contact sheet, say) for viewers that show one image; exporters
    # also write the frames as an animated ``animation_format`` file ("gif" or "webp").
    frames: tuple[np.ndarray, ...] = ()
    frame_ms: int = 100
    animation_format: str = "gif"


Sample = TextChunk | ImageSample
