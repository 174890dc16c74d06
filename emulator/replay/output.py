"""What ``wa-emulator replay`` prints: its own lines on stdout, the bot's on stderr, never mixed within a line.

Step lines and progress go to stdout (flushed at once: CI logs show them while the replay runs).
The bot started with ``--bot-command`` writes to a pipe; each of its lines goes to stderr as
``bot | <line>``, so its output is told apart from the replay's and can be separated (``2>bot.log``).
With ``quiet``, a script's lines are held until it ends and shown only if it failed.
"""

from __future__ import annotations

import sys
import threading

from emulator.replay.runner import ScriptResult

BOT_PREFIX = "bot | "


class Output:
    """Where the replay's lines go (see the module docstring)."""

    def __init__(self, *, quiet: bool = False) -> None:
        self.quiet = quiet
        self._held: list[str] = []
        self._lock = threading.Lock()  # the bot's lines come from a reader thread

    def say(self, line: str) -> None:
        """A line that is always shown (failures, the summary)."""
        with self._lock:
            print(line, flush=True)

    def info(self, line: str) -> None:
        """A line about the run itself (the emulator's URL, the bot started); not shown when quiet."""
        if not self.quiet:
            self.say(line)

    def step(self, line: str) -> None:
        """A progress line of a script: shown now, or held until the script ends when quiet."""
        if self.quiet:
            self._held.append(line)
        else:
            self.say(line)

    def done(self, result: ScriptResult) -> None:
        """A script ended: when quiet, show its held lines only if it failed."""
        held, self._held = self._held, []
        if self.quiet and not result.ok:
            self.say("\n".join(held))

    def bot(self, line: str) -> None:
        """One line the bot printed, prefixed, on stderr."""
        with self._lock:
            print(BOT_PREFIX + line, file=sys.stderr, flush=True)
