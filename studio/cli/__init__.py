"""The ``studio`` command: the engine's jobs, headless, with progress bars."""
