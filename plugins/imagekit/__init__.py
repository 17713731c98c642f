"""Helpers shared by Studio's built-in image generators (``dcgan``, ``fastgan``, ``vae``).

``params`` holds the schema pieces they use (data fitting, caching, animations) and
``image_generator`` what their Generator classes do alike (pictures, models, generation and KID
through a named torch side); ``gan_generator`` adds what the GANs share. None of them imports
torch. ``tensors`` holds the torch side (seeded noise, pixels, grids, interpolation), imported
inside generator methods only.
"""
