"""One log format for the whole server: every logger through one handler, one access line per request."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import httpx
import pytest
from starlette.testclient import TestClient

from emulator.cli import banner
from emulator.logs import JsonFormatter, TextFormatter, configure
from emulator.settings import Settings
from tests.process import running_emulator

LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (INFO|DEBUG|WARNING|ERROR)\s+[\w.]+: ")


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """The root logger writing to a string, as ``serve`` sets it up; put back as it was afterwards."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    levels = {n: logging.getLogger(n).level for n in ("uvicorn.error", "httpx", "wa_emulator")}
    out = io.StringIO()
    yield out
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def record(name: str, message: str, **extra: object) -> logging.LogRecord:
    rec = logging.LogRecord(name, logging.INFO, __file__, 1, message, (), None)
    rec.__dict__.update(extra)
    return rec


def test_every_library_logs_once_through_the_one_handler(stream: io.StringIO) -> None:
    logging.getLogger("uvicorn.error").addHandler(logging.StreamHandler(io.StringIO()))  # as uvicorn's own config would
    configure("info", "text", stream)
    configure("info", "text", stream)  # twice: still one handler
    for name in ("wa_emulator", "uvicorn.error", "httpx"):
        logging.getLogger(name).warning("from %s", name)
    lines = stream.getvalue().splitlines()
    assert [line.split(": ", 1)[1] for line in lines] == ["from wa_emulator", "from uvicorn.error", "from httpx"]
    assert all(LINE.match(line) for line in lines), lines


def test_library_chatter_is_quiet_at_info_and_shown_at_debug(stream: io.StringIO) -> None:
    configure("info", "text", stream)
    logging.getLogger("httpx").info("HTTP Request: POST http://bot/webhook")
    logging.getLogger("uvicorn.error").info("Started server process")
    assert stream.getvalue() == ""
    configure("debug", "text", stream)
    logging.getLogger("httpx").info("HTTP Request: POST http://bot/webhook")
    assert "HTTP Request" in stream.getvalue()


def test_json_lines_carry_the_access_fields() -> None:
    fields = {"method": "POST", "path": "/v1/messages", "status": 400, "code": 1009, "ms": 0.5}
    line = JsonFormatter().format(record("wa_emulator.access", "POST /v1/messages 400", http=fields))
    parsed = json.loads(line)
    assert parsed["level"] == "info" and parsed["logger"] == "wa_emulator.access"
    assert {k: parsed[k] for k in fields} == fields
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", parsed["time"])


def test_colour_only_when_asked_for() -> None:
    fields = {"status": 201}
    plain = TextFormatter(colour=False).format(
        record("wa_emulator.access", "POST /v1/messages 201 1.0 ms", http=fields)
    )
    coloured = TextFormatter(colour=True).format(
        record("wa_emulator.access", "POST /v1/messages 201 1.0 ms", http=fields)
    )
    assert "\033[" not in plain and "\033[32m\033[1m201\033[0m" in coloured


def test_configure_colours_a_terminal_but_not_a_pipe_nor_with_no_color(
    stream: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    configure("info", "text", terminal)
    logging.getLogger("wa_emulator").warning("hello")
    assert "\033[" in terminal.getvalue()
    monkeypatch.setenv("NO_COLOR", "1")
    terminal = Terminal()
    configure("info", "text", terminal)
    logging.getLogger("wa_emulator").warning("hello")
    assert "\033[" not in terminal.getvalue()


def test_one_access_line_per_request_with_status_code_and_time(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="wa_emulator.access"):
        client.post("/v1/messages", json={"to": "15550001111"})
        client.get("/_emulator/users")
        client.get("/_emulator/health")
    lines = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "wa_emulator.access"]
    assert [level for level, _ in lines] == [logging.INFO, logging.INFO, logging.DEBUG]  # health checks: debug
    assert re.fullmatch(r"POST /v1/messages 401 \[1005 Access denied\] \d+\.\d ms", lines[0][1]), lines
    assert re.fullmatch(r"GET /_emulator/users 200 \d+\.\d ms", lines[1][1]), lines
    fields = next(r for r in caplog.records if r.name == "wa_emulator.access").http  # type: ignore[attr-defined]
    assert {k: fields[k] for k in ("method", "path", "status", "code")} == {
        "method": "POST",
        "path": "/v1/messages",
        "status": 401,
        "code": 1005,
    }


def test_the_banner_names_both_apis_the_page_and_the_default_credentials() -> None:
    lines = banner(Settings(), "http://127.0.0.1:9090")
    text = "\n".join(lines)
    assert "http://127.0.0.1:9090/v1 " in text and "admin / secret" in text
    assert "http://127.0.0.1:9090/v22.0/106540352242922 " in text and "Bearer wa-emulator-token" in text
    assert "http://127.0.0.1:9090/_emulator/ui " in text
    assert "http://127.0.0.1:9090/_emulator/openapi/" in text


def test_the_banner_does_not_print_credentials_that_were_changed() -> None:
    text = "\n".join(banner(Settings(admin_password="Hunter2!x", access_token="s3cret-token"), "http://h:1"))
    assert "Hunter2!x" not in text and "s3cret-token" not in text
    assert "--admin-password" in text and "--access-token" in text


def test_a_served_emulator_logs_its_urls_and_each_request_as_json() -> None:
    with running_emulator(["--log-format", "json"]) as emulator:
        httpx.post(emulator.url + "/v1/messages", json={"to": "15550001111"})
        httpx.get(emulator.url + "/_emulator/health")  # debug: not logged
        httpx.get(emulator.url + "/_emulator/requests")  # the access line of the send is written by now
    lines = [json.loads(line) for line in emulator.output if line.strip()]
    messages = [line["message"] for line in lines]
    assert any(m.startswith("wa-emulator ") and "listening on http://127.0.0.1:" in m for m in messages)
    assert any(f"{emulator.url}/v1" in m and "admin / secret" in m for m in messages)
    assert any(f"{emulator.url}/_emulator/ui" in m for m in messages)
    access = [line for line in lines if line["logger"] == "wa_emulator.access"]
    assert [(a["method"], a["path"], a["status"], a["code"]) for a in access] == [
        ("POST", "/v1/messages", 401, 1005),
        ("GET", "/_emulator/requests", 200, None),
    ]
