"""Settings from flags and variables, validated at start; the server as a real process."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from emulator.cli import healthcheck, main
from emulator.settings import Settings, SettingsError
from tests.process import running_emulator

ROOT = Path(__file__).resolve().parent.parent


def test_defaults_match_the_contract() -> None:
    settings = Settings.from_mapping({})
    assert (settings.host, settings.port, settings.store, settings.admin_password) == (
        "127.0.0.1",
        9090,
        "memory",
        "secret",
    )


def test_variables_are_read_and_flags_win() -> None:
    env = {"WA_EMULATOR_PORT": "9191", "WA_EMULATOR_SEED": "5", "WA_EMULATOR_REQUIRE_PASSWORD_CHANGE": "true"}
    settings = Settings.from_mapping(env, {"port": "9292"})
    assert (settings.port, settings.seed, settings.require_password_change) == (9292, 5, True)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"WA_EMULATOR_PORT": "abc"}, "--port / WA_EMULATOR_PORT: must be an integer"),
        ({"WA_EMULATOR_PORT": "70000"}, "--port / WA_EMULATOR_PORT"),
        ({"WA_EMULATOR_STORE": "redis:x"}, "--store / WA_EMULATOR_STORE"),
        ({"WA_EMULATOR_WEBHOOK_URL": "localhost:5000"}, "--webhook-url / WA_EMULATOR_WEBHOOK_URL"),
        ({"WA_EMULATOR_SEED": "-1"}, "--seed / WA_EMULATOR_SEED"),
        ({"WA_EMULATOR_REQUIRE_PASSWORD_CHANGE": "maybe"}, "--require-password-change"),
        ({"WA_EMULATOR_LOG_LEVEL": "loud"}, "--log-level"),
        ({"WA_EMULATOR_BUSINESS_WA_ID": "+1555"}, "--business-wa-id"),
        ({"WA_EMULATOR_TOKEN_TTL_SECONDS": "999999999999999"}, "--token-ttl-seconds .*100 years"),
    ],
)
def test_a_bad_value_names_the_setting(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named.replace("+", r"\+")):
        Settings.from_mapping(env)


def test_serve_with_a_bad_flag_exits_non_zero_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "nope"]) == 2
    assert "--port / WA_EMULATOR_PORT" in capsys.readouterr().err


def test_serve_with_a_missing_fixtures_dir_exits_non_zero() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "serve", "--fixtures", "/nonexistent/dir"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "--fixtures" in result.stderr


def test_the_server_runs_as_a_process_and_healthcheck_sees_it() -> None:
    with running_emulator(["--seed", "3"]) as emulator:
        body = httpx.get(emulator.url + "/_emulator/health").json()
        assert body["status"] == "ok"
        login = httpx.post(emulator.url + "/v1/users/login", auth=("admin", "secret"))
        assert login.status_code == 200
        assert healthcheck(emulator.url, 2.0) == 0
    assert healthcheck(emulator.url, 0.5) == 1


def test_docker_compose_service_command_serves_without_docker() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    service = compose["services"]["wa-emulator"]
    assert "9090:9090" in [str(p) for p in service["ports"]]
    healthcheck_cmd = service["healthcheck"]["test"]
    assert healthcheck_cmd[-2:] == ["wa-emulator", "healthcheck"] or "wa-emulator healthcheck" in " ".join(
        healthcheck_cmd
    )
    command = service["command"] if isinstance(service["command"], list) else service["command"].split()
    env = {k: str(v) for k, v in service.get("environment", {}).items()}
    env["WA_EMULATOR_PORT"] = "0"  # the container's 9090 may be taken on this machine
    wa = str(Path(sys.executable).parent / "wa-emulator")
    with running_emulator(command=[wa, *command[1:]] if command[0] == "wa-emulator" else command, env=env) as emulator:
        assert httpx.get(emulator.url + "/_emulator/health").status_code == 200


def _read_response(sock: socket.socket) -> bytes:
    """One whole HTTP/1.1 response with a Content-Length (or what came before the connection closed)."""
    data = b""
    while b"\r\n\r\n" not in data or len(data.partition(b"\r\n\r\n")[2]) < _length(data):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def _length(data: bytes) -> int:
    found = re.search(rb"content-length: (\d+)", data.partition(b"\r\n\r\n")[0], re.IGNORECASE)
    return int(found.group(1)) if found else 0


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl-C"])
def test_a_stop_ends_an_open_long_poll_and_event_stream_at_once_without_a_traceback(stop: signal.Signals) -> None:
    with running_emulator() as emulator:
        host, port = emulator.url.removeprefix("http://").split(":")
        with (
            socket.create_connection((host, int(port)), timeout=30) as poll,
            httpx.Client(base_url=emulator.url, timeout=30) as client,
            client.stream("GET", "/_emulator/events") as stream,
        ):
            lines = stream.iter_lines()
            assert next(lines) == "retry: 1000"  # the stream is open
            # pipelined: once the health answer is back, the long-poll behind it is being handled
            poll.sendall(
                b"GET /_emulator/health HTTP/1.1\r\nHost: x\r\n\r\n"
                b"GET /_emulator/messages?wait=60 HTTP/1.1\r\nHost: x\r\n\r\n"
            )
            assert _read_response(poll).startswith(b"HTTP/1.1 200")
            emulator.process.send_signal(stop)
            answer = _read_response(poll)  # was: nothing for 3 s, then the connection cut
            assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b'{"messages":[]}'), answer
            assert all(not line.startswith("event: ") or line == "event: clock" for line in lines)  # it ends
        emulator.process.wait(timeout=30)
    output = "".join(emulator.output)
    assert "Traceback" not in output and "timeout graceful shutdown exceeded" not in output, output
    assert emulator.process.returncode is not None  # it stopped; uvicorn's own shutdown lines are debug now


@pytest.fixture
def never_serve(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server that would start fails the test instead of serving for ever."""

    def refuse(*args: object, **kwargs: object) -> None:
        pytest.fail("the server started despite the bad setting")

    monkeypatch.setattr("uvicorn.Server.run", refuse)


def _invalid_fixtures(tmp_path: Path, name: str, content: str) -> Path:
    directory = tmp_path / "fixtures"
    directory.mkdir()
    (directory / name).write_text(content)
    return directory


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--store", "sqlite:{tmp}/a-file/e.sqlite"], r"--store / WA_EMULATOR_STORE: cannot open the SQLite database"),
        (["--store", "sqlite:{tmp}/a-file"], r"--store / WA_EMULATOR_STORE: .*a-file': file is not a database"),
        (["--store", "sqlite:{tmp}"], r"--store / WA_EMULATOR_STORE: cannot open the SQLite database"),
        (["--fixtures", "{tmp}/missing"], r"--fixtures / WA_EMULATOR_FIXTURES: .*missing is not a directory"),
    ],
)
@pytest.mark.usefixtures("never_serve")
def test_a_store_or_fixtures_that_cannot_be_used_exit_2_naming_the_flag(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, flags: list[str], named: str
) -> None:
    (tmp_path / "a-file").write_text("not a database")
    with caplog.at_level("ERROR"):
        assert main(["serve", *(f.format(tmp=tmp_path) for f in flags)]) == 2  # was a traceback for the store
    assert re.search(named, caplog.text), caplog.text
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize(
    ("name", "content", "named"),
    [
        (
            "templates.json",
            '[{"name": "Bad Name", "language": "en", "category": "UTILITY", "components": []}]',
            r"templates.json: \$\[0\]\.(name|components)",
        ),
        (
            "templates.json",
            '{"data": [{"name": "x", "language": "en", "category": "NEWS", "components": []}]}',
            r"templates.json: \$\.data\[0\]",
        ),
        ("templates.json", "[1,", r"templates.json: not valid JSON"),
        (
            "users.json",
            '[{"wa_id": "15550001111", "status": "asleep"}]',
            r"users.json: \$\[0\]\.status: must be one of",
        ),
        ("users.json", '[{"name": "No Number"}]', r"users.json: \$\[0\]: a user is an object with a wa_id"),
        ("users.json", '{"wa_id": "15550001111"}', r"users.json: expected a JSON list of users"),
    ],
)
@pytest.mark.usefixtures("never_serve")
def test_invalid_fixture_files_exit_2_naming_the_flag_the_file_and_the_problem(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, name: str, content: str, named: str
) -> None:
    directory = _invalid_fixtures(tmp_path, name, content)
    with caplog.at_level("ERROR"):
        assert main(["serve", "--fixtures", str(directory)]) == 2  # an invalid template loaded silently before
    assert re.search(r"--fixtures / WA_EMULATOR_FIXTURES: .*" + named, caplog.text), caplog.text


def test_the_built_in_fixtures_are_valid() -> None:
    from emulator.fixtures import load_fixtures
    from emulator.resources import data_dir
    from emulator.schemas import SchemaSet

    fixtures = load_fixtures("", SchemaSet(data_dir("schemas")))
    assert fixtures.users and fixtures.templates
