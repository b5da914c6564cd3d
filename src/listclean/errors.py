"""Error hierarchy and the stable exit codes of the command line.

Every error the user can cause is a ``ListcleanError`` carrying the exit code it
maps to; the CLI prints ``str(error)`` as one line on stderr (plus the hint) and
exits with that code. Anything else is a bug and exits ``INTERNAL``.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit statuses. Stable: scripts and cron jobs depend on them."""

    OK = 0
    FINDINGS = 1  # a --fail-on threshold was crossed
    USAGE = 2  # bad arguments, configuration or input data
    OUTPUT = 3  # an output could not be written
    INTERNAL = 70  # a bug in listclean (EX_SOFTWARE); please report it
    LOCKED = 75  # another `listclean run` holds the work directory's lock (EX_TEMPFAIL): try later
    INTERRUPTED = 130  # SIGINT / SIGTERM
    BROKEN_PIPE = 141  # the reader of stdout went away (e.g. `| head`)


class ListcleanError(Exception):
    """An error caused by the user's input, options or environment."""

    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class UsageError(ListcleanError):
    """Options that contradict each other or name something that does not exist."""


class ConfigError(ListcleanError):
    """listclean.toml or a LISTCLEAN_* variable is malformed."""


class InputError(ListcleanError):
    """An input file cannot be read or understood."""

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        where = ""
        if source is not None:
            where = source
            if line is not None:
                where += f":{line}"
            if column is not None:
                where += f" (column {column!r})"
            where += ": "
        super().__init__(where + message, hint=hint)
        self.source = source
        self.line = line
        self.column = column


class OutputError(ListcleanError):
    """An output cannot be written (exists, is an input, no permission, disk full)."""

    exit_code = ExitCode.OUTPUT


class ThresholdExceeded(ListcleanError):
    """A --fail-on threshold was crossed; the outputs were still written."""

    exit_code = ExitCode.FINDINGS
