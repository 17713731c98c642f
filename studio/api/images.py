"""Image datasets for any image plugin: a folder of the user's pictures, read safely, once.

Every file goes through one decode gate (:func:`decode_image`): a format allowlist, a pixel cap
that refuses decompression bombs before any pixel is decoded, EXIF orientation, one conversion of
every mode into the model's (RGB or greyscale, alpha composited on a chosen background), and a
centre crop or pad to the model's square resolution. Files that fail are skipped with their reason
in the :class:`~studio.api.DataReport`; nothing raises for one bad file.

:func:`load_image_folder` decodes the whole folder once and keeps the results as ready uint8
tensors (as many as fit the memory budget), so later epochs never decode again.

Import this module explicitly (``from studio.api import images``): it is not imported by
``studio.api`` itself, and Pillow, numpy and torch are imported inside functions only.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .data import DataReport
from .errors import DataError, ParamError

if TYPE_CHECKING:
    import numpy as np
    import torch
    from PIL import Image

#: File name endings looked at in a folder; other files are reported as skipped.
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"})
#: Pillow format names the gate opens (a JPEG that is an MPO, as phones write, opens as JPEG).
ALLOWED_FORMATS = ("PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF")
#: Larger images are refused as possible decompression bombs (Pillow warns at 89 Mpx).
DEFAULT_MAX_PIXELS = 64_000_000
FITS = ("crop", "pad")


_OPEN_LOCK = threading.Lock()


class ImageRejected(Exception):
    """A file the gate would not use; the message is the reason shown to the user."""


@dataclass(frozen=True)
class ImageSpec:
    """What a model wants: a square ``size``, ``channels`` 1 (greyscale) or 3 (RGB), and how to
    fit other shapes (``crop`` the centre or ``pad`` with ``background``, an RGB triple that also
    replaces transparency)."""

    size: int
    channels: int = 3
    fit: str = "crop"
    background: tuple[int, int, int] = (255, 255, 255)
    max_pixels: int = DEFAULT_MAX_PIXELS

    def __post_init__(self) -> None:
        if self.channels not in (1, 3):
            raise ParamError("channels", f"expected 1 or 3, got {self.channels}")
        if self.fit not in FITS:
            raise ParamError("fit", f"{self.fit!r} is not one of {', '.join(FITS)}")
        if self.size < 1:
            raise ParamError("resolution", f"must be positive, got {self.size}")

    @property
    def mode(self) -> str:
        return "L" if self.channels == 1 else "RGB"


def parse_colour(text: str, name: str = "background") -> tuple[int, int, int]:
    """``"white"``, ``"#202020"`` or ``"12,34,56"`` as an RGB triple, or a :class:`ParamError`."""
    from PIL import ImageColor

    parts = [p.strip() for p in text.split(",")]
    try:
        if len(parts) == 3:
            rgb = tuple(int(p) for p in parts)
            if all(0 <= v <= 255 for v in rgb):
                return rgb  # type: ignore[return-value]
            raise ValueError
        return ImageColor.getrgb(text)[:3]  # type: ignore[return-value]
    except ValueError:
        raise ParamError(name, f"{text!r} is not a colour (try white, #808080 or 0,0,0)") from None


# -- the decode gate ---------------------------------------------------------------------------


def decode_image(path: Path | str, spec: ImageSpec) -> np.ndarray:
    """Read one file into ``spec``'s shape: uint8, height x width x channels.

    Raises :class:`ImageRejected` with a reason for an empty, unknown, disallowed, oversized,
    truncated or corrupt file. Never anything else for bad data.
    """
    return _decode(Path(path), spec)[0]


def _decode(path: Path, spec: ImageSpec) -> tuple[np.ndarray, tuple[int, int, str, str]]:
    """The pixels, and the original (width, height, format, mode) for the dataset report."""
    try:
        if path.stat().st_size == 0:
            raise ImageRejected("empty file (0 bytes)")
        with open_checked(path, spec.max_pixels) as image:
            original = (*image.size, str(image.format), image.mode)
            pixels = conform(image, spec)
    except ImageRejected:
        raise
    except Exception as error:  # Pillow raises many types for damaged files; all mean "corrupt".
        raise ImageRejected(_describe(error)) from None
    return pixels, original


def open_checked(path: Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Open ``path`` through the allowlist and the pixel cap, before decoding any pixel data."""
    from PIL import Image, UnidentifiedImageError

    try:
        # Pillow's own bomb check warns (or raises past twice its limit); ours comes next. The
        # warning filters are process-global, so threads take turns (opening reads a header only).
        with _OPEN_LOCK, warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(path, formats=ALLOWED_FORMATS)
    except UnidentifiedImageError:
        raise ImageRejected("not an image, or not a format Studio reads") from None
    except Image.DecompressionBombError as error:
        raise ImageRejected(f"decompression bomb refused ({error})") from None
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise ImageRejected(
            f"decompression bomb refused: {width}x{height} is {width * height / 1e6:.0f} Mpx, "
            f"over the {max_pixels / 1e6:.0f} Mpx limit"
        )
    if width < 1 or height < 1:
        image.close()
        raise ImageRejected(f"has no pixels ({width}x{height})")
    return image


def conform(image: Image.Image, spec: ImageSpec) -> np.ndarray:
    """The one conversion every image takes: first frame, orientation, mode, then fit."""
    import numpy as np
    from PIL import ImageOps

    image.seek(0)  # animated GIF, WebP or multi-page TIFF: the first frame
    if image.format in ("JPEG", "MPO") and image.mode in ("RGB", "L", "CMYK"):
        # Let libjpeg decode at a reduced scale (never below the target size): big photos fast.
        image.draft(image.mode, (spec.size, spec.size))
    image.load()
    image = ImageOps.exif_transpose(image)
    image = to_mode(image, spec.mode, spec.background)
    resample = _resample()
    if spec.fit == "crop":
        image = ImageOps.fit(image, (spec.size, spec.size), method=resample)
    else:
        image = ImageOps.pad(image, (spec.size, spec.size), method=resample, color=_fill(spec))
    array = np.array(image, dtype=np.uint8)  # a writable copy, so torch can share it
    return array[:, :, None] if array.ndim == 2 else array


def to_mode(image: Image.Image, mode: str, background: tuple[int, int, int]) -> Image.Image:
    """Convert any Pillow mode to ``mode`` ("RGB" or "L") the same way.

    High bit depths are scaled (not clipped) into 8 bits, palettes are expanded, CMYK goes through
    Pillow's conversion, and any transparency is composited over ``background``.
    """
    from PIL import Image

    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        image = _eight_bit(image)
    if image.mode == "1":
        image = image.convert("L")
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if has_alpha:
        rgba = image.convert("RGBA")
        backdrop = Image.new("RGBA", rgba.size, (*background, 255))
        image = Image.alpha_composite(backdrop, rgba).convert("RGB")
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")  # CMYK, YCbCr, LAB, HSV, an opaque palette
    return image.convert(mode) if image.mode != mode else image


def _eight_bit(image: Image.Image) -> Image.Image:
    """16-bit and 32-bit greyscale into 8 bits: 16-bit ranges divide by 257, floats in [0, 1]
    scale by 255, anything else is clipped to [0, 255]."""
    import numpy as np
    from PIL import Image

    values = np.asarray(image, dtype=np.float64)
    if image.mode.startswith("I;16") or (image.mode == "I" and values.max(initial=0) > 255):
        values = np.clip(values, 0, 65535) / 257.0
    elif image.mode == "F" and values.size and values.min() >= 0.0 and values.max() <= 1.0:
        values = values * 255.0
    return Image.fromarray(np.clip(np.rint(values), 0, 255).astype(np.uint8))


def _resample() -> Any:
    from PIL import Image

    return Image.Resampling.BICUBIC


def _fill(spec: ImageSpec) -> Any:
    if spec.channels == 1:
        r, g, b = spec.background
        return round(0.299 * r + 0.587 * g + 0.114 * b)
    return spec.background


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    if "truncated" in text.lower():
        return f"truncated file ({text})"
    return f"corrupt or unreadable ({type(error).__name__}: {text})"


# -- folders -----------------------------------------------------------------------------------


def list_image_files(source: Path, report: DataReport) -> list[Path]:
    """Every candidate file under ``source`` (a file or a folder, recursive, sorted); files with
    other endings are reported as skipped, hidden files and folders are ignored."""
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise DataError(f"no file or folder at {source}")
    found: list[Path] = []
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        if path.suffix.lower() in IMAGE_SUFFIXES:
            found.append(path)
        else:
            report.skip(path, f"not an image file type ({path.suffix or 'no extension'})")
    return found


class ImageDataset(Sequence):
    """Decoded images as uint8 tensors, channels x size x size.

    Items that fit the memory budget live in one contiguous tensor; the rest (if any) are decoded
    again when asked for. Convert to float in the trainer: uint8 keeps the cache four times smaller.
    """

    def __init__(self, spec: ImageSpec, paths: list[Path], cached: torch.Tensor) -> None:
        self.spec = spec
        self.paths = paths
        self.cached = cached

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> torch.Tensor:  # type: ignore[override]
        import torch

        if index < 0:
            index += len(self.paths)
        if index < len(self.cached):
            return self.cached[index]
        try:
            pixels = decode_image(self.paths[index], self.spec)
        except ImageRejected as error:
            raise DataError(f"{self.paths[index]} changed during training: {error}") from None
        return torch.from_numpy(pixels).permute(2, 0, 1).contiguous()

    @property
    def cached_bytes(self) -> int:
        return self.cached.numel()


def load_image_folder(
    source: Path | str,
    spec: ImageSpec,
    report: DataReport,
    *,
    cache_bytes: int = 1 << 30,
    workers: int | None = None,
) -> ImageDataset:
    """Decode every image under ``source`` through the gate, filling ``report``.

    :param cache_bytes: memory for decoded images; past it, images are decoded on each use.
    :raises DataError: when no usable image remains.
    """
    import numpy as np
    import torch

    source = Path(source)
    report.source = report.source or str(source)
    files = list_image_files(source, report)
    per_image = spec.size * spec.size * spec.channels
    capacity = max(0, cache_bytes // per_image)
    used: list[Path] = []
    kept: list[np.ndarray] = []
    sizes: Counter[str] = Counter()
    formats: Counter[str] = Counter()
    modes: Counter[str] = Counter()
    workers = workers or min(4, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        # Pillow releases the GIL while decoding and resampling, so threads overlap real work.
        for path, outcome in zip(files, pool.map(lambda p: _gate(p, spec), files), strict=True):
            if isinstance(outcome, str):
                report.skip(path, outcome)
                continue
            pixels, original = outcome
            report.use(path)
            used.append(path)
            sizes[f"{original[0]}x{original[1]}"] += 1
            formats[original[2]] += 1
            modes[original[3]] += 1
            if len(kept) < capacity:
                kept.append(pixels)
    if not used:
        raise DataError(f"no usable images in {source} ({len(report.skipped)} skipped)")
    cached = (
        torch.from_numpy(np.stack(kept)).permute(0, 3, 1, 2).contiguous()
        if kept
        else torch.empty(0, spec.channels, spec.size, spec.size, dtype=torch.uint8)
    )
    if len(kept) < len(used):
        report.note(
            f"{len(used) - len(kept)} of {len(used)} images do not fit the "
            f"{cache_bytes >> 20} MiB image cache and are decoded each time they are used"
        )
    report.stats["images"] = {
        "used": len(used),
        "skipped": len(report.skipped),
        "resolution": spec.size,
        "channels": spec.channels,
        "fit": spec.fit,
        "original_sizes": dict(sizes.most_common(10)),
        "distinct_sizes": len(sizes),
        "formats": dict(formats),
        "modes": dict(modes),
        "cached": len(kept),
        "cached_bytes": int(cached.numel()),
    }
    return ImageDataset(spec, used, cached)


def _gate(path: Path, spec: ImageSpec) -> tuple[np.ndarray, tuple[int, int, str, str]] | str:
    """Decode one file; the reason as a string when it is rejected."""
    try:
        return _decode(path, spec)
    except ImageRejected as error:
        return str(error)
    except Exception as error:  # the gate must never take the folder down
        return _describe(error)


def load_image(path: Path | str, spec: ImageSpec) -> np.ndarray:
    """One input image (a reconstruction's source, say), or a :class:`DataError` with the reason."""
    try:
        return decode_image(path, spec)
    except ImageRejected as error:
        raise DataError(f"cannot use {path}: {error}") from None
    except OSError as error:
        raise DataError(f"cannot read {path}: {error}") from None
