"""``wa-emulator healthcheck`` says what it found, and exits 0 only for a healthy emulator."""

from __future__ import annotations

import socket

import pytest

from emulator.cli import healthcheck, main
from tests.process import running_emulator


def test_a_healthy_emulator_is_reported_with_its_version_and_store(capsys: pytest.CaptureFixture[str]) -> None:
    with running_emulator() as emulator:
        assert healthcheck(emulator.url, 2.0) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"ok: wa-emulator 0.1.0 at {emulator.url}, store memory, up ")


def test_nothing_listening_is_reported_as_unreachable(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    assert healthcheck(f"http://127.0.0.1:{port}", 0.5) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"unreachable: http://127.0.0.1:{port}/_emulator/health: ")


def test_the_default_url_comes_from_the_environment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WA_EMULATOR_HOST", "0.0.0.0")
    monkeypatch.setenv("WA_EMULATOR_PORT", "1")
    assert main(["healthcheck", "--timeout", "0.5"]) == 1
    assert "http://127.0.0.1:1/_emulator/health" in capsys.readouterr().err
