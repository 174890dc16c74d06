"""Settings: one frozen dataclass, built from flags and ``WA_EMULATOR_*`` variables, validated at start."""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

ENV_PREFIX = "WA_EMULATOR_"
MAX_TOKEN_TTL_S = 3_155_760_000  # 100 years: an expiry past year 9999 could not be written as a date


class SettingsError(ValueError):
    """A setting has a bad value; the message names the flag and the variable."""


def _port(raw: str) -> int:
    value = int(raw)
    if not 0 <= value <= 65535:
        raise ValueError("must be a port number from 0 to 65535")
    return value


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("must be a positive integer")
    return value


def _lifetime(raw: str) -> int:
    value = int(raw)
    if not 0 < value <= MAX_TOKEN_TTL_S:
        raise ValueError(f"must be a number of seconds from 1 to {MAX_TOKEN_TTL_S} (100 years)")
    return value


def _non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("must be zero or a positive integer")
    return value


def _positive_float(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("must be a number") from None
    if value <= 0:
        raise ValueError("must be a positive number")
    return value


def _non_negative_float(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("must be a number") from None
    if value < 0:
        raise ValueError("must be zero or a positive number")
    return value


TENANT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def _tenants(raw: str) -> str:
    """``NAME`` or ``NAME=PHONE_NUMBER_ID``, comma-separated (the flag may be repeated)."""
    entries = [t.strip() for t in raw.split(",") if t.strip()]
    for entry in entries:
        name, _, number = entry.partition("=")
        if not TENANT_NAME.fullmatch(name) or name == "default":
            raise ValueError("each tenant is NAME or NAME=PHONE_NUMBER_ID; a name is 1-64 letters, digits, '-', '_'")
        if number and not (number.isdigit() and len(number) <= 20):
            raise ValueError(f"the phone_number_id of tenant {name} must be 1 to 20 digits")
    return ",".join(entries)


def _bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("must be true or false")


def _store(raw: str) -> str:
    if raw == "memory" or (raw.startswith("sqlite:") and len(raw) > len("sqlite:")):
        return raw
    raise ValueError("must be 'memory' or 'sqlite:PATH'")


def _url_or_empty(raw: str) -> str:
    if raw == "":
        return raw
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError("must be an http:// or https:// URL")
    return raw


def _wa_id(raw: str) -> str:
    if not (raw.isdigit() and 8 <= len(raw) <= 15):
        raise ValueError("must be 8 to 15 digits, country code first, no '+'")
    return raw


def _digits(raw: str) -> str:
    if not (raw.isdigit() and 1 <= len(raw) <= 20):
        raise ValueError("must be 1 to 20 digits")
    return raw


def _tokens(raw: str) -> str:
    tokens = [t.strip() for t in raw.split(",")]
    if not all(tokens) or any(" " in t for t in tokens):
        raise ValueError("must be one or more tokens, comma-separated, with no spaces")
    return ",".join(tokens)


def _choice(*choices: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if raw not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return raw

    return parse


def _str(raw: str) -> str:
    return raw


def _opt(default: Any, parse: Callable[[str], Any], help: str) -> Any:
    return field(default=default, metadata={"parse": parse, "help": help})


@dataclass(frozen=True)
class Settings:
    """Everything the emulator is configured with; each field is a flag and a variable."""

    host: str = _opt("127.0.0.1", _str, "address to listen on")
    port: int = _opt(9090, _port, "port to listen on (0 picks a free one)")
    webhook_url: str = _opt("", _url_or_empty, "webhook URL (same as PATCH /v1/settings/application)")
    store: str = _opt("memory", _store, "'memory' or 'sqlite:PATH' (survives restarts)")
    seed: int = _opt(0, _non_negative_int, "seed for ids and Faker profiles (same seed, same ids)")
    fixtures: str = _opt("", _str, "directory with users.json and templates.json (default: built-in)")
    business_wa_id: str = _opt("15550000000", _wa_id, "phone number (wa_id) of the emulated business")
    template_namespace: str = _opt(
        "88b39973_f0d5_54e1_29cf_e80f1e3da4f2",
        _str,
        "namespace of the business's templates",
    )
    api_version: str = _opt("v2.53.2", _str, "version reported in every meta object")
    admin_password: str = _opt("secret", _str, "initial password of the admin user")
    require_password_change: bool = _opt(False, _bool, "force the first-login password change (error 1024)")
    token_ttl_seconds: int = _opt(7 * 24 * 3600, _lifetime, "lifetime of login tokens")
    webhook_format: str = _opt("onprem", _choice("onprem", "cloud"), "webhook envelope: 'onprem' (bare) or 'cloud'")
    webhook_timeout_s: float = _opt(10.0, _positive_float, "seconds one webhook attempt may take")
    webhook_give_up_s: float = _opt(86400.0, _positive_float, "emulator seconds after which a delivery fails")
    window_error: str = _opt(
        "async",
        _choice("async", "sync"),
        "outside the 24-hour window: 'async' failed status 470, or 'sync' 400",
    )
    max_body_bytes: int = _opt(1024 * 1024, _positive_int, "largest JSON request body accepted (413 above)")
    media_max_bytes: int = _opt(100 * 1024 * 1024, _positive_int, "largest media upload accepted (413 above)")
    control_token: str = _opt("", _str, "if set, /_emulator calls need 'Authorization: Bearer <this>'")
    log_level: str = _opt("info", _choice("debug", "info", "warning", "error"), "log level")
    log_format: str = _opt("text", _choice("text", "json"), "log lines as 'text' (coloured on a terminal) or 'json'")
    journal_size: int = _opt(1000, _positive_int, "calls kept in GET /_emulator/requests (the oldest are dropped)")
    journal_body_bytes: int = _opt(16384, _non_negative_int, "bytes of each request and answer body the journal keeps")
    access_token: str = _opt(
        "wa-emulator-token",
        _tokens,
        "static bearer tokens (comma-separated) accepted by the Cloud API and by /v1 without a login",
    )
    phone_number_id: str = _opt("106540352242922", _digits, "Cloud API id of the business phone number")
    waba_id: str = _opt("102290129340398", _digits, "Cloud API id of the WhatsApp Business Account")
    display_phone_number: str = _opt("", _str, "Cloud display_phone_number (default: --business-wa-id)")
    verified_name: str = _opt("Emulated Business", _str, "Cloud verified_name of the business number")
    app_secret: str = _opt("wa-emulator-app-secret", _str, "signs every Cloud webhook (X-Hub-Signature-256)")
    verify_token: str = _opt("wa-emulator-verify-token", _str, "hub.verify_token of the Cloud callback handshake")
    cloud_auth_status: int = _opt(
        401, _port, "HTTP status of Cloud error 190 (Meta's table: 401; Graph clients see 400)"
    )
    public_url: str = _opt("", _url_or_empty, "base URL bots reach the emulator at (default http://HOST:PORT)")
    max_messages: int = _opt(
        100_000, _positive_int, "recorded messages kept (outbound and inbound each); older ones are forgotten"
    )
    max_webhooks: int = _opt(
        100_000, _positive_int, "webhook deliveries kept in the log; older ones are forgotten (pending ones dropped)"
    )
    tenants: str = _opt("", _tenants, "tenants made at start: NAME or NAME=PHONE_NUMBER_ID, comma-separated")
    max_tenants: int = _opt(1000, _positive_int, "most tenants at once (a runaway test cannot exhaust memory)")
    pair_rate_limit_s: float = _opt(
        0.0, _non_negative_float, "Cloud: least emulator seconds between two sends to one user (131056); 0 = off"
    )
    throughput_limit: int = _opt(
        0, _non_negative_int, "Cloud: most sends per second per business number (130429); 0 = off"
    )
    marketing_cap: int = _opt(
        0, _non_negative_int, "Cloud: marketing templates per user per 24 h, then failed 131049; 0 = off"
    )

    @classmethod
    def from_mapping(
        cls, environ: Mapping[str, str] | None = None, overrides: Mapping[str, str | None] | None = None
    ) -> Settings:
        """Build settings from ``WA_EMULATOR_*`` variables, then raw flag values on top."""
        values: dict[str, Any] = {}
        raw: dict[str, str] = {}
        for f in dataclasses.fields(cls):
            env_value = (environ or {}).get(ENV_PREFIX + f.name.upper())
            if env_value is not None:
                raw[f.name] = env_value
            override = (overrides or {}).get(f.name)
            if override is not None:
                raw[f.name] = override
        for name, text in raw.items():
            values[name] = _parse_field(name, text)
        return cls(**values)

    @functools.cached_property
    def access_tokens(self) -> frozenset[str]:
        """The static access tokens, one by one."""
        return frozenset(t for t in self.access_token.split(",") if t)

    @property
    def display_number(self) -> str:
        """The business number as Cloud shows it (``display_phone_number``), digits by default."""
        return self.display_phone_number or self.business_wa_id

    @property
    def base_url(self) -> str:
        """Where bots reach the emulator (media URLs in Cloud webhooks point here)."""
        return self.public_url.rstrip("/") or f"http://{self.host}:{self.port}"

    @property
    def declared_tenants(self) -> dict[str, str]:
        """The tenants of ``--tenants``: name -> phone_number_id ("" = derived from the name)."""
        pairs = (entry.partition("=") for entry in self.tenants.split(",") if entry)
        return {name: number for name, _, number in pairs}

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (tests build settings this way)."""
        return dataclasses.replace(self, **changes)


def _parse_field(name: str, text: str) -> Any:
    f = FIELDS[name]
    try:
        return f.metadata["parse"](text)
    except ValueError as exc:
        reason = str(exc) if "invalid literal" not in str(exc) else "must be an integer"
        raise SettingsError(
            f"--{name.replace('_', '-')} / {ENV_PREFIX}{name.upper()}: {reason} (got {text!r})"
        ) from None


FIELDS = {f.name: f for f in dataclasses.fields(Settings)}
