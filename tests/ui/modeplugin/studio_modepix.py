"""A test image generator with a ``mode`` param and ``takes_inputs``, like the VAE's: it makes
the window's interpolation and variation tools appear, and checks what they send.

It reuses tinypix's model; interpolation blends the two input files, variations add seeded
noise to the input. Plain numpy and PIL: the point is the request the window builds.
"""

from __future__ import annotations

from studio.api import ImageSample, Param, Schema, hookimpl

STUDIO_API_VERSION = 1


def _make():
    from studio_testgen import TinyPix

    class ModePix(TinyPix):
        id = "modepix"
        name = "Mode pixel model (test)"
        takes_inputs = True
        modes = ("sample", "interpolate", "variations")
        generate_params = Schema(
            [
                Param("brightness", "float", 1.0, "scale", minimum=0.0, maximum=2.0),
            ]
        )

        def generate(self, model, request, context):
            import numpy as np
            from PIL import Image

            mode = request.mode
            if mode == "sample":
                yield from super().generate(model, request, context)
                return
            images = [
                np.asarray(Image.open(p).convert("L"), dtype=np.float64) for p in request.inputs
            ]
            for index in range(request.count):
                if mode == "interpolate":
                    t = index / max(1, request.count - 1)
                    pixels = (1 - t) * images[0] + t * images[1]
                    label = f"t={t:.2f}"
                else:
                    rng = np.random.default_rng(request.seed + index)
                    pixels = images[0] + rng.normal(0, 20, images[0].shape)
                    label = f"variation {index}"
                pixels = np.clip(pixels, 0, 255).astype(np.uint8)[:, :, None]
                yield ImageSample(
                    pixels,
                    index,
                    request.seed + index,
                    label,
                    extra={"mode": mode, "inputs": [str(p) for p in request.inputs]},
                )

    return ModePix()


@hookimpl
def register_generators():
    return [_make()]
