"""Errors a plugin may raise, or meet, through the public API.

Each carries a message meant for the user's eyes: the window shows it as is and the command line
prints it on one line.
"""


class StudioError(Exception):
    """Base of every error Studio reports to the user as a message rather than a traceback."""


class ParamError(StudioError, ValueError):
    """A parameter value is missing, of the wrong type or out of its range; names the parameter."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"parameter '{name}': {message}")
        self.name = name
        #: The message without the parameter's name, for showing beside its editor.
        self.message = message


class DataError(StudioError):
    """The user's data cannot be used: empty, too short, unreadable."""


class CheckpointError(StudioError):
    """A checkpoint is missing, corrupt, foreign (pickle) or made by another generator."""
