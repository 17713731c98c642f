"""Jobs: units of work that yield events, with a cancel token checked at every step or chunk."""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Iterator
from typing import TYPE_CHECKING

from studio.api import StudioError
from studio.engine.events import Cancelled, Event, Failed, Log, Progress

if TYPE_CHECKING:
    from studio.engine.plugins.health import PluginHealth


class CancelToken:
    """Set from any thread (a Cancel button, Ctrl+C); read by the job between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


class JobCancelled(Exception):
    """Raised inside a job's body when the token is seen set; becomes a Cancelled event."""


class Job:
    """A unit of work. Subclasses implement :meth:`body`; :meth:`run` adds the error handling.

    ``run`` never raises: a failure becomes a :class:`Failed` event with the message and traceback,
    so a broken plugin ends its job and the window lives on.
    """

    kind = "job"
    title = "Job"
    #: The generator whose plugin code the job runs, if any: its failures count against it.
    generator_id: str | None = None
    # Jobs that use the device wait for it, one at a time; the others (data checks, library
    # scans, imports) run beside it, one at a time in their ``lane``: a lane's jobs wait for each
    # other, never for the device or for another lane's.
    needs_device = True
    lane = "side"

    def __init__(self, health: PluginHealth | None = None) -> None:
        self.cancel_token = CancelToken()
        # Given by whoever made the job (the session): where a plugin's failures are counted.
        self.health = health

    def cancel(self) -> None:
        self.cancel_token.cancel()

    def check_cancel(self) -> None:
        if self.cancel_token.cancelled:
            raise JobCancelled

    def body(self) -> Iterator[Event]:
        raise NotImplementedError

    def run(self) -> Iterator[Event]:
        try:
            yield from self.body()
        except JobCancelled:
            yield Cancelled(step=getattr(self, "step", None))
        except StudioError as error:
            yield Failed(str(error), traceback.format_exc(), user_error=True)
        except (KeyboardInterrupt, GeneratorExit):
            raise
        except BaseException as error:
            # SystemExit too: a plugin's sys.exit() ends its job, with a message, not the app.
            yield from self._report_failure(describe_failure(error))

    def _report_failure(self, failure: Failed) -> Iterator[Event]:
        """Count a failed job against its generator's plugin (three strikes disable it)."""
        if self.health is None:
            yield failure
        else:
            yield from self.health.job_failed(self.generator_id, failure)


def describe_failure(error: BaseException) -> Failed:
    """A Failed event with an actionable message; out-of-memory gets advice, not a traceback."""
    from studio.engine.device.devices import is_out_of_memory

    details = "".join(traceback.format_exception(error))
    if isinstance(error, SystemExit):
        return Failed(
            f"the job's code called sys.exit({error.code!r}); Studio stopped this job only",
            details,
        )
    if is_out_of_memory(error):
        # A generator's own advice rides on the error as notes (error.add_note(...)).
        notes = "; ".join(getattr(error, "__notes__", ()))
        return Failed(
            "out of memory on the device",
            details,
            hint=notes or "lower batch_size or the model size, or choose the CPU in settings",
        )
    return Failed(f"{type(error).__name__}: {error}", details)


class ProgressClock:
    """Turns done/total into Progress events with an ETA from a moving rate."""

    def __init__(self, total: int, start: int = 0) -> None:
        self.total = total
        self.start = start
        self.began = time.perf_counter()

    def progress(self, done: int) -> Progress:
        elapsed = time.perf_counter() - self.began
        advanced = done - self.start
        eta = (self.total - done) * elapsed / advanced if advanced > 0 else None
        return Progress(done, self.total, eta)


def log(message: str, level: str = "info") -> Log:
    return Log(message, level)
