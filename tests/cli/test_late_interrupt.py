"""A Ctrl-C that lands in Click's own code (before or after the command) is exit 130, not Click's exit 1."""

from __future__ import annotations

import signal
import sys

import pytest

import listclean.cli.app as cli_app


def _click_like(*args, **kwargs):
    """What Click does with a KeyboardInterrupt outside the command: 'Aborted!' and exit 1."""
    try:
        signal.raise_signal(signal.SIGINT)
    except KeyboardInterrupt:
        print("Aborted!", file=sys.stderr)
        sys.exit(1)


def _done_then_interrupted(*args, **kwargs):
    try:
        signal.raise_signal(signal.SIGINT)
    except KeyboardInterrupt:
        pass  # swallowed somewhere on the way out
    sys.exit(0)


@pytest.mark.parametrize("fake", [_click_like, _done_then_interrupted])
def test_an_interrupt_anywhere_is_exit_130(monkeypatch, fake):
    monkeypatch.setattr(cli_app, "app", fake)
    monkeypatch.setattr(cli_app, "load_config", lambda: {})
    with pytest.raises(SystemExit) as exit_:
        cli_app.main(["--version"])
    assert exit_.value.code == 130
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handler is put back


def test_no_interrupt_keeps_the_commands_exit_code(monkeypatch):
    monkeypatch.setattr(cli_app, "app", lambda *a, **k: sys.exit(1))
    monkeypatch.setattr(cli_app, "load_config", lambda: {})
    with pytest.raises(SystemExit) as exit_:
        cli_app.main(["--version"])
    assert exit_.value.code == 1
