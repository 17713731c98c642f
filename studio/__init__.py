"""Studio: a desktop creative studio where writers and designers generate text and images with
local models and teach those models their own voice and style, offline.

Importing this package is cheap on purpose: no torch, no Qt. The window, the command line and the
engine import what they need when they need it.
"""

__version__ = "0.1.0"
