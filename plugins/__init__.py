"""Studio's built-in generators.

Each is an ordinary plugin, found through the ``studio.plugins`` entry point group exactly like a
third-party one; nothing in ``studio/`` names them.
"""
