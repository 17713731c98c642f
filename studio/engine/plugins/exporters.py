"""Studio's own ``export_sample``: text as .txt, images as .png, each with a JSON sidecar.

An image with ``frames`` is also written as an animated GIF or WebP beside its PNG, with the same
metadata inside (a GIF comment, the WebP's EXIF image description).

Registered as a core plugin with ``trylast``, so any plugin can offer another format first.
PNG files also carry the metadata inside (a ``studio`` text chunk), so an image that loses its
sidecar still says which model, seed and parameters made it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.api import ImageSample, TextChunk, hookimpl
from studio.engine.store.atomic import write_bytes, write_json

if TYPE_CHECKING:
    from studio.engine.plugins.host import PluginHost

STUDIO_API_VERSION = 1


@hookimpl(trylast=True)
def export_sample(
    sample: Any, folder: Path, stem: str, metadata: dict[str, Any]
) -> list[Path] | None:
    if isinstance(sample, TextChunk):
        path = folder / f"{stem}.txt"
        write_bytes(path, sample.text.encode("utf-8"))
    elif isinstance(sample, ImageSample):
        path = folder / f"{stem}.png"
        write_bytes(path, png_bytes(sample, metadata))
        if sample.frames:
            animation = folder / f"{stem}.{_animation_suffix(sample)}"
            write_bytes(animation, animation_bytes(sample, metadata))
            sidecar = folder / f"{stem}.json"
            write_json(sidecar, {**metadata, "file": path.name, "animation": animation.name})
            return [path, animation, sidecar]
    else:
        return None
    sidecar = folder / f"{stem}.json"
    write_json(sidecar, {**metadata, "file": path.name})
    return [path, sidecar]


def _animation_suffix(sample: ImageSample) -> str:
    return "webp" if sample.animation_format.lower() == "webp" else "gif"


def animation_bytes(sample: ImageSample, metadata: dict[str, Any]) -> bytes:
    """``sample.frames`` as an endlessly looping animated GIF or (lossless) WebP."""
    import io

    from PIL import Image

    frames = [
        Image.fromarray(f[:, :, 0] if f.ndim == 3 and f.shape[2] == 1 else f) for f in sample.frames
    ]
    text = json.dumps(metadata, sort_keys=True, default=str)
    buffer = io.BytesIO()
    options: dict[str, Any] = {
        "save_all": True,
        "append_images": frames[1:],
        "duration": max(1, int(sample.frame_ms)),
        "loop": 0,
    }
    if _animation_suffix(sample) == "webp":
        exif = Image.Exif()
        exif[0x010E] = text  # ImageDescription
        frames[0].save(buffer, format="WEBP", lossless=True, exif=exif.tobytes(), **options)
    else:
        frames[0].save(buffer, format="GIF", comment=text.encode("utf-8"), **options)
    return buffer.getvalue()


def png_bytes(sample: ImageSample, metadata: dict[str, Any]) -> bytes:
    import io

    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    pixels = sample.pixels
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    image = Image.fromarray(pixels)
    info = PngInfo()
    info.add_text("studio", json.dumps(metadata, sort_keys=True, default=str))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def unique_stem(folder: Path, stem: str) -> str:
    """``stem``, or ``stem-2``, ``stem-3``... so an export never overwrites an earlier one."""
    candidate, number = stem, 2
    while any(folder.glob(f"{candidate}.*")):
        candidate = f"{stem}-{number}"
        number += 1
    return candidate


def export(
    host: PluginHost, sample: Any, folder: Path, stem: str, metadata: dict[str, Any]
) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    result = host.manager.hook.export_sample(
        sample=sample, folder=folder, stem=unique_stem(folder, stem), metadata=metadata
    )
    return list(result or [])
