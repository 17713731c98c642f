"""Rendering job events on a terminal: a progress bar on a TTY, plain lines when piped."""

from __future__ import annotations

import shutil
import sys
import time
from typing import TextIO

from studio.api import TextChunk
from studio.engine import (
    Cancelled,
    CheckpointSaved,
    Event,
    Failed,
    Finished,
    Log,
    Metric,
    Progress,
    SampleEvent,
    Started,
)

PLAIN_INTERVAL_S = 2.0


def format_metrics(values: dict[str, float]) -> str:
    return " ".join(f"{name}={value:.4g}" for name, value in values.items())


class EventPrinter:
    """Prints what a user wants to see of a job; streamed text goes to stdout as it arrives."""

    def __init__(
        self, err: TextIO | None = None, out: TextIO | None = None, tty: bool | None = None
    ) -> None:
        self.err = err or sys.stderr
        self.out = out or sys.stdout
        self.tty = self.err.isatty() if tty is None else tty
        self.bar = None
        self.last_metrics: dict[str, float] = {}
        self.last_plain = 0.0
        self.streaming_index: int | None = None
        self.failure: Failed | None = None

    def say(self, message: str) -> None:
        self._end_stream()
        if self.bar is not None:
            self.bar.write(message, file=self.err)
        else:
            print(message, file=self.err, flush=True)

    def handle(self, event: Event) -> None:
        if isinstance(event, Started):
            self.say(f"{event.title}")
        elif isinstance(event, Progress):
            self._progress(event)
        elif isinstance(event, Metric):
            self.last_metrics.update(event.values)
            if self.bar is not None:
                self.bar.set_postfix_str(format_metrics(self.last_metrics), refresh=False)
        elif isinstance(event, Log):
            prefix = "" if event.level == "info" else f"{event.level}: "
            self.say(prefix + event.message)
        elif isinstance(event, CheckpointSaved):
            self.say(f"checkpoint saved at step {event.step} ({event.reason}): {event.path}")
        elif isinstance(event, SampleEvent):
            self._sample(event)
        elif isinstance(event, Finished):
            self._close_bar()
            for key, value in event.result.items():
                if key != "outputs":
                    self.say(f"{key}: {value}")
        elif isinstance(event, Failed):
            self._close_bar()
            self.failure = event
        elif isinstance(event, Cancelled):
            self._close_bar()
            at = f" at step {event.step}" if event.step is not None else ""
            self.say(f"cancelled{at}")

    def _progress(self, event: Progress) -> None:
        if self.tty:
            if self.bar is None:
                from tqdm import tqdm

                # A terminal that reports no width (a bare pty) gets 80 columns, not a blank bar.
                width = shutil.get_terminal_size((0, 0)).columns
                self.bar = tqdm(
                    total=event.total,
                    initial=event.done,
                    file=self.err,
                    dynamic_ncols=width > 0,
                    ncols=None if width > 0 else 80,
                    leave=True,
                )
            self.bar.total = event.total
            self.bar.n = event.done
            if event.done >= event.total:
                self.bar.refresh()
            else:
                self.bar.update(0)  # redraws at tqdm's own pace, not on every step
            return
        now = time.monotonic()
        if now - self.last_plain >= PLAIN_INTERVAL_S or event.done >= event.total:
            self.last_plain = now
            eta = f" eta {event.eta_seconds:.0f}s" if event.eta_seconds is not None else ""
            metrics = format_metrics(self.last_metrics)
            self.say(f"step {event.done}/{event.total}{eta} {metrics}".rstrip())

    def _sample(self, event: SampleEvent) -> None:
        sample = event.sample
        if isinstance(sample, TextChunk) and not event.final:
            if self.streaming_index != sample.index:
                self._end_stream()
                self.streaming_index = sample.index
            self.out.write(sample.text)
            self.out.flush()
            return
        for path in event.paths:
            if path.suffix != ".json":
                self.say(f"wrote {path}")

    def _end_stream(self) -> None:
        if self.streaming_index is not None:
            self.out.write("\n")
            self.out.flush()
            self.streaming_index = None

    def _close_bar(self) -> None:
        self._end_stream()
        if self.bar is not None:
            self.bar.close()
            self.bar = None
