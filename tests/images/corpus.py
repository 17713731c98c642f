"""A corpus of good and bad image files, made on the fly (nothing binary is committed)."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

# Orientation k's EXIF transform undone, so the stored pixels display as the same picture.
_STORE = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def upright() -> Image.Image:
    """A 12x8 picture with a distinct corner, so any wrong rotation or flip shows."""
    pixels = np.zeros((8, 12, 3), np.uint8)
    pixels[:, :, 2] = 200
    pixels[:3, :4] = (255, 0, 0)  # red top-left block
    pixels[-2:, -3:] = (0, 255, 0)  # green bottom-right block
    return Image.fromarray(pixels)


def write_orientations(folder: Path) -> dict[int, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for orientation, undo in _STORE.items():
        stored = upright() if undo is None else upright().transpose(undo)
        exif = Image.Exif()
        exif[0x0112] = orientation
        path = folder / f"orient-{orientation}.png"
        stored.save(path, exif=exif.tobytes())
        paths[orientation] = path
    return paths


def write_modes(folder: Path) -> dict[str, Path]:
    """One file per Pillow mode the gate must convert."""
    folder.mkdir(parents=True, exist_ok=True)
    ramp = np.tile(np.linspace(0, 255, 16, dtype=np.uint8), (16, 1))
    images: dict[str, tuple[Image.Image, str]] = {
        "1": (Image.fromarray(ramp > 127), "png"),
        "L": (Image.fromarray(ramp), "png"),
        "LA": (Image.merge("LA", [Image.fromarray(ramp), Image.fromarray(255 - ramp)]), "png"),
        "RGB": (Image.fromarray(np.dstack([ramp, ramp, ramp])), "png"),
        "RGBA": (Image.fromarray(np.dstack([ramp, ramp, ramp, np.zeros_like(ramp)])), "png"),
        "CMYK": (Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "tiff"),
        "I;16": (Image.fromarray(ramp.astype(np.uint16) * 257), "png"),
        "I": (Image.fromarray(ramp.astype(np.int32) * 257), "tiff"),
        "F": (Image.fromarray(ramp.astype(np.float32) / 255), "tiff"),
    }
    palette = Image.fromarray(ramp).convert("P")
    transparent = palette.copy()
    transparent.info["transparency"] = 0
    images["P"] = (palette, "gif")
    images["P-transparent"] = (transparent, "png")
    paths = {}
    for name, (image, extension) in images.items():
        path = folder / f"mode-{name.replace(';', '')}.{extension}"
        image.save(path)
        paths[name] = path
    return paths


def write_formats(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    picture = upright()
    paths = {}
    for extension in ("png", "jpg", "webp", "bmp", "tiff"):
        path = folder / f"format.{extension}"
        picture.save(path)
        paths[extension] = path
    frames = [Image.new("RGB", (12, 8), colour) for colour in ("red", "blue", "green")]
    gif = folder / "animated.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=50)
    paths["gif"] = gif
    return paths


def write_bad(folder: Path) -> dict[str, Path]:
    """Files the gate must skip, each with a reason."""
    folder.mkdir(parents=True, exist_ok=True)
    good_png = _png_bytes(upright())
    good_jpeg = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)).save(
        good_jpeg, format="JPEG"
    )
    files = {
        "zero": ("empty.png", b""),
        "text": ("notes.png", b"these are my notes, not a picture\n" * 4),
        "truncated-png": ("cut.png", good_png[: len(good_png) // 2]),
        "truncated-jpeg": ("cut.jpg", good_jpeg.getvalue()[: len(good_jpeg.getvalue()) // 2]),
        "bomb": ("bomb.png", _bomb_png(40_000, 40_000)),
        "corrupt": ("garbled.png", good_png[:40] + bytes(range(256)) * 2),
    }
    paths = {}
    for name, (filename, data) in files.items():
        path = folder / filename
        path.write_bytes(data)
        paths[name] = path
    return paths


def _png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` 1-bit pixels of zeros."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" * (1 + (width + 7) // 8)
    body = zlib.compress(row * 64, 9)  # only a few rows: the gate must refuse before decoding
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


def write_folder(folder: Path, count: int, size: int = 20, seed: int = 0) -> Path:
    """``count`` simple pictures: a bright square on a dark ground, at random places."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(count):
        pixels = np.full((size, size, 3), 20, np.uint8)
        y, x = rng.integers(0, size // 2, 2)
        pixels[y : y + size // 2, x : x + size // 2] = (230, 200, 40)
        Image.fromarray(pixels).save(folder / f"img-{index:03d}.png")
    return folder
