"""Helpers shared by Studio's built-in image generators (``dcgan``, ``vae``).

``params`` holds the schema pieces both use (data fitting, caching, animations); it imports no
torch. ``tensors`` holds the torch side (seeded noise, pixels, grids, interpolation), imported
inside generator methods only.
"""
