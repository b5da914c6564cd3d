"""Error hierarchy and the stable exit codes of the command line.

Every error the user can cause is a ``ListcleanError`` carrying the exit code it
maps to; the CLI prints ``str(error)`` as one line on stderr (plus the hint) and
exits with that code. Anything else is a bug and exits ``INTERNAL``.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit statuses. Stable: scripts and cron jobs depend on them. Each is described in EXIT_CODE_MEANINGS."""

    OK = 0
    FINDINGS = 1
    USAGE = 2
    OUTPUT = 3
    INTERNAL = 70  # EX_SOFTWARE
    LOCKED = 75  # EX_TEMPFAIL
    INTERRUPTED = 130  # 128 + SIGINT
    BROKEN_PIPE = 141  # 128 + SIGPIPE


# What each exit code means, one line each (Markdown code spans in backticks): the source of
# `listclean --help`'s exit-code lines and of the README's exit-code table.
EXIT_CODE_MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: "success",
    ExitCode.FINDINGS: "findings over a `--fail-on` threshold (`validate`, also as a `run` step, and `decay-report`; outputs are written first)",
    ExitCode.USAGE: "usage, configuration or input error (bad option, unreadable/empty/ragged file …)",
    ExitCode.OUTPUT: "an output could not be written (exists without `--force`, is an input, no directory, disk full)",
    ExitCode.INTERNAL: "internal error — a bug; rerun with `--debug` and report it",
    ExitCode.LOCKED: "`listclean run`: another run holds the work directory's lock; try again later",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C, SIGTERM); no partial output is left",
    ExitCode.BROKEN_PIPE: "stdout was closed by the reader (e.g. `| head`)",
}


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
