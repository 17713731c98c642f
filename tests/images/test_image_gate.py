"""The shared image gate: every mode, every EXIF orientation, and bad files reported, not raised."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from studio.api import DataError, DataReport
from studio.api.images import ImageSpec, decode_image, load_image_folder

from .corpus import upright, write_bad, write_formats, write_modes, write_orientations


def test_bad_corpus_loads_the_good_and_reports_each_bad_file_with_its_reason(tmp_path) -> None:
    modes = write_modes(tmp_path / "modes")
    formats = write_formats(tmp_path / "nested" / "formats")
    orientations = write_orientations(tmp_path / "orient")
    bad = write_bad(tmp_path / "bad")
    (tmp_path / "readme.txt").write_text("hello", encoding="utf-8")
    (tmp_path / ".DS_Store").write_bytes(b"\0\0")
    report = DataReport()
    data = load_image_folder(tmp_path, ImageSpec(size=8, channels=3), report)

    good = {*modes.values(), *formats.values(), *orientations.values()}
    assert set(report.used) == {str(p) for p in good}
    assert len(data) == len(good)
    reasons = {s.path: s.reason for s in report.skipped}
    assert "empty" in reasons[str(bad["zero"])]
    assert "not an image" in reasons[str(bad["text"])]
    assert "truncated" in reasons[str(bad["truncated-png"])]
    assert reasons[str(bad["truncated-jpeg"])]  # libjpeg words it differently; a reason is given
    assert "decompression bomb" in reasons[str(bad["bomb"])]
    assert reasons[str(bad["corrupt"])]
    assert "not an image file type" in reasons[str(tmp_path / "readme.txt")]
    assert set(reasons) == {str(p) for p in bad.values()} | {str(tmp_path / "readme.txt")}
    stats = report.stats["images"]
    assert stats["used"] == len(good) and stats["skipped"] == len(bad) + 1
    assert stats["formats"]["PNG"] >= 8 and "GIF" in stats["formats"]
    assert "12x8" in stats["original_sizes"]
    item = data[0]
    assert item.dtype.is_floating_point is False and tuple(item.shape) == (3, 8, 8)


def test_every_exif_orientation_shows_the_same_picture(tmp_path) -> None:
    paths = write_orientations(tmp_path)
    spec = ImageSpec(size=12, channels=3, fit="pad", background=(0, 0, 0))
    decoded = {k: decode_image(p, spec) for k, p in paths.items()}
    for orientation, pixels in decoded.items():
        assert np.array_equal(pixels, decoded[1]), f"orientation {orientation} differs"
    # Upright means the red block is at the top left (after padding 12x8 into 12x12: rows 2..).
    assert tuple(decoded[1][3, 1]) == (255, 0, 0)
    assert tuple(decoded[1][-4, -2]) == (0, 255, 0)


def test_every_mode_converts_the_same_way(tmp_path) -> None:
    paths = write_modes(tmp_path)
    grey = ImageSpec(size=16, channels=1, background=(255, 255, 255))
    colour = ImageSpec(size=16, channels=3, background=(0, 0, 255))
    ramp = np.tile(np.linspace(0, 255, 16, dtype=np.uint8), (16, 1))
    for mode in ("L", "RGB", "I;16", "I", "F"):
        pixels = decode_image(paths[mode], grey)[:, :, 0]
        assert np.abs(pixels.astype(int) - ramp).max() <= 1, mode
    one_bit = decode_image(paths["1"], grey)
    assert set(np.unique(one_bit)) == {0, 255}
    # Fully transparent RGBA shows the background; LA fades from opaque black to see-through.
    assert np.all(decode_image(paths["RGBA"], colour) == np.array([0, 0, 255], np.uint8))
    la = decode_image(paths["LA"], grey)[:, :, 0]
    assert la[0, 0] == 0 and la[0, -1] == 255 and 180 < la[0, 8] < 200
    # The transparent palette entry (index 0, the ramp's darkest) takes the background.
    assert tuple(decode_image(paths["P-transparent"], colour)[0, 0]) == (0, 0, 255)
    assert tuple(decode_image(paths["P"], colour)[0, -1]) == (255, 255, 255)
    cmyk = decode_image(paths["CMYK"], colour)
    assert tuple(cmyk[0, 0]) == (255, 0, 0)  # no cyan, full magenta and yellow: red


def test_gif_first_frame_crop_and_pad(tmp_path) -> None:
    formats = write_formats(tmp_path)
    first = decode_image(formats["gif"], ImageSpec(size=4, channels=3))
    assert np.all(first == np.array([255, 0, 0], np.uint8))
    wide = tmp_path / "wide.png"
    upright().resize((24, 8)).save(wide)
    cropped = decode_image(wide, ImageSpec(size=8, channels=3, fit="crop"))
    padded = decode_image(wide, ImageSpec(size=8, channels=3, fit="pad", background=(0, 255, 0)))
    assert cropped.shape == padded.shape == (8, 8, 3)
    assert tuple(padded[0, 4]) == (0, 255, 0)  # top band is padding
    assert tuple(cropped[0, 4]) != (0, 255, 0)


def test_cache_budget_decodes_the_rest_on_demand(tmp_path) -> None:
    write_modes(tmp_path)
    spec = ImageSpec(size=8, channels=3)
    full = load_image_folder(tmp_path, spec, DataReport())
    report = DataReport()
    small = load_image_folder(tmp_path, spec, report, cache_bytes=3 * 8 * 8 * 3)
    assert small.cached_bytes == 3 * 8 * 8 * 3 and full.cached_bytes == len(full) * 8 * 8 * 3
    assert any("image cache" in note for note in report.notes)
    for index in range(len(full)):
        assert np.array_equal(small[index].numpy(), full[index].numpy())


def test_empty_folder_is_a_data_error(tmp_path) -> None:
    write_bad(tmp_path)
    with pytest.raises(DataError, match="no usable images"):
        load_image_folder(tmp_path, ImageSpec(size=8), DataReport())


def test_the_module_imports_no_torch_or_pillow() -> None:
    code = (
        "import sys, studio.api, studio.api.images, plugins.imagekit.params, plugins.dcgan, "
        "plugins.vae; print('torch' in sys.modules, 'PIL' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]
