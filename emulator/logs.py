"""One log format for the whole server: the emulator's lines, uvicorn's and httpx's, through one handler.

``text`` (the default) is one readable line per record, coloured when the output is a terminal (and
``NO_COLOR`` is not set); ``json`` is one JSON object per line for CI log collectors. Access lines
(``wa_emulator.access``) carry their fields (method, path, status, code, ms) in both.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from typing import Any, TextIO

import orjson

RESET, DIM, BOLD = "\033[0m", "\033[2m", "\033[1m"
LEVEL_COLOURS = {"DEBUG": "\033[36m", "INFO": "\033[32m", "WARNING": "\033[33m", "ERROR": "\033[31m"}
STATUS_COLOURS = {"2": "\033[32m", "3": "\033[36m", "4": "\033[33m", "5": "\033[31m"}
# Loggers of the libraries whose lines go through our handler, and the least level they show at `info`.
QUIETER = {
    "uvicorn.error": logging.WARNING,  # its start-up lines repeat ours (and name the wrong port with a passed socket)
    "httpx": logging.WARNING,  # one line per webhook attempt: the delivery log has them (GET /_emulator/webhooks)
    "httpcore": logging.WARNING,
}


class _Clock:
    """``2026-01-01T12:00:00.123Z`` for a record; the part up to the second is made once per second."""

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def stamp(self, created: float) -> str:
        second = int(created)
        if second != self._second:
            self._second = second
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._prefix}.{int((created - second) * 1000):03d}Z"


class TextFormatter(logging.Formatter):
    """``2026-01-01T12:00:00.000Z INFO  wa_emulator.access: POST /v1/messages 201 0.8 ms``."""

    def __init__(self, colour: bool) -> None:
        super().__init__()
        self.colour = colour
        self._clock = _Clock()

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        level = record.levelname
        if self.colour:
            http = getattr(record, "http", None)
            if http is not None:
                status = str(http["status"])
                coloured = STATUS_COLOURS.get(status[0], "") + BOLD + status + RESET
                message = message.replace(f" {status}", " " + coloured, 1)
            level = LEVEL_COLOURS.get(level, "") + f"{level:<5}" + RESET
            line = f"{DIM}{self._clock.stamp(record.created)}{RESET} {level} {DIM}{record.name}:{RESET} {message}"
        else:
            line = f"{self._clock.stamp(record.created)} {level:<5} {record.name}: {message}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", ...access fields, "exception"?}``, one object per line."""

    def __init__(self) -> None:
        super().__init__()
        self._clock = _Clock()

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": self._clock.stamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        http = getattr(record, "http", None)
        if http is not None:
            out.update(http)
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(out, default=str).decode()


def wants_colour(stream: TextIO) -> bool:
    """Colour only for a terminal, and never when ``NO_COLOR`` is set (https://no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


def configure(level: str, log_format: str, stream: TextIO | None = None) -> None:
    """Send every logger's lines through one handler on the root logger, in the chosen format."""
    stream = stream or sys.stderr
    # No line shows the thread or process: not collecting them makes every record cheaper (one per request).
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter(wants_colour(stream)))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "wa_emulator", False):  # ours from an earlier call; a host's own (pytest's) stay
            root.removeHandler(old)
    handler.wa_emulator = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    numeric = logging.getLevelName(level.upper())
    root.setLevel(numeric)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "httpx", "httpcore", "wa_emulator"):
        logger = logging.getLogger(name)
        logger.handlers.clear()  # no second handler: every line once, through ours
        logger.propagate = True
        logger.setLevel(max(numeric, QUIETER.get(name, logging.NOTSET)) if numeric > logging.DEBUG else numeric)
