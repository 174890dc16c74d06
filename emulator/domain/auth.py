"""Accounts and login tokens: Basic-auth login, the first-login password change, bearer checks."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from emulator.clock import Clock
from emulator.domain.reasons import Reason, Refusal
from emulator.ids import new_token
from emulator.store import Doc, Store

ACCOUNTS = "accounts"
TOKENS = "tokens"
ADMIN = "admin"

SPECIALS = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_PASSWORD_RULES: tuple[tuple[Callable[[str], bool], str], ...] = (
    (lambda p: 8 <= len(p) <= 64, "must be 8 to 64 characters long"),
    (lambda p: re.search(r"\d", p) is not None, "must contain a digit"),
    (lambda p: re.search(r"[A-Z]", p) is not None, "must contain an uppercase letter"),
    (lambda p: re.search(r"[a-z]", p) is not None, "must contain a lowercase letter"),
    (lambda p: any(c in SPECIALS for c in p), "must contain a special character"),
)


@dataclass(frozen=True)
class Login:
    """A token issued by a login."""

    token: str
    expires_at: float

    @property
    def expires_after(self) -> str:
        """Expiry in the real client's format: ``2018-03-01 15:29:26+00:00``."""
        return datetime.fromtimestamp(self.expires_at, UTC).strftime("%Y-%m-%d %H:%M:%S+00:00")


def password_problem(password: str) -> str | None:
    """Why a new password breaks the reference's rules, or None if it is acceptable."""
    for rule, reason in _PASSWORD_RULES:
        if not rule(password):
            return f"new_password {reason}"
    return None


class AuthService:
    """The admin account (created with the configured password) and its tokens."""

    def __init__(
        self,
        store: Store,
        tenant: str,
        clock: Clock,
        *,
        initial_password: str,
        ttl_seconds: int,
        require_password_change: bool,
    ) -> None:
        self._store = store
        self._tenant = tenant
        self._clock = clock
        self._initial_password = initial_password
        self._ttl = ttl_seconds
        self._require_change = require_password_change

    def ensure_admin(self) -> None:
        """Create the admin account on first start (a persistent store keeps a changed password)."""
        if self._store.get(self._tenant, ACCOUNTS, ADMIN) is None:
            self._save_password(ADMIN, self._initial_password, changed=False)

    def login(self, username: str, password: str, new_password: str | None) -> Login:
        """Check Basic credentials, apply a password change, and issue a token."""
        account = self._store.get(self._tenant, ACCOUNTS, username)
        if account is None or not _matches(account, password):
            raise Refusal(Reason.ACCESS_DENIED)
        if new_password is not None:
            problem = password_problem(new_password)
            if problem:
                raise Refusal(Reason.INVALID_PARAMETER, problem)
            self._save_password(username, new_password, changed=True)
        elif self._require_change and not account["changed"]:
            raise Refusal(Reason.PASSWORD_CHANGE_REQUIRED)
        login = Login(new_token(), self._clock.now() + self._ttl)
        self._store.put(self._tenant, TOKENS, login.token, {"username": username, "expires_at": login.expires_at})
        return login

    def logout(self, token: str) -> None:
        """Revoke a token."""
        self._store.delete(self._tenant, TOKENS, token)

    def authenticate(self, token: str | None) -> str:
        """The username a valid bearer token belongs to; access denied for a missing, unknown or expired one."""
        record = self._store.get(self._tenant, TOKENS, token) if token else None
        if record is None or record["expires_at"] <= self._clock.now():
            raise Refusal(Reason.ACCESS_DENIED)
        return str(record["username"])

    def _save_password(self, username: str, password: str, *, changed: bool) -> None:
        salt = secrets.token_hex(8)
        self._store.put(
            self._tenant,
            ACCOUNTS,
            username,
            {"username": username, "salt": salt, "hash": _hash(salt, password), "changed": changed},
        )


def _hash(salt: str, password: str) -> str:
    return hashlib.sha256(f"{salt}:{password}".encode()).hexdigest()


def _matches(account: Doc, password: str) -> bool:
    return hmac.compare_digest(account["hash"], _hash(account["salt"], password))
