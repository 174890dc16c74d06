"""Settings from flags and variables, validated at start; the server as a real process."""

from __future__ import annotations

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


def test_an_open_long_poll_does_not_hold_up_shutdown() -> None:
    import contextlib
    import signal
    import threading
    import time

    with running_emulator() as emulator:

        def long_poll() -> None:
            with contextlib.suppress(httpx.HTTPError):  # the server cuts it off while stopping
                httpx.get(emulator.url + "/_emulator/messages?wait=60", timeout=70)

        poll = threading.Thread(target=long_poll, daemon=True)
        poll.start()
        httpx.get(emulator.url + "/_emulator/health")  # the poll is in flight by the time this answers
        started = time.monotonic()
        emulator.process.send_signal(signal.SIGTERM)
        emulator.process.wait(timeout=30)
        assert time.monotonic() - started < 10
