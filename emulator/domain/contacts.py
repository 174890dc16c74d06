"""The contacts check (``POST /v1/contacts``): which inputs are WhatsApp users."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from emulator.domain.outbox import ContactsChecked, Outbox
from emulator.domain.users import UsersService
from emulator.phone import normalize

ContactResult = dict[str, Any]


class ContactsService:
    """Answers contact checks from the simulated users; unknown numbers become valid users."""

    def __init__(self, users: UsersService, outbox: Outbox) -> None:
        self._users = users
        self._outbox = outbox

    def check(self, inputs: Sequence[str], *, blocking: str) -> list[ContactResult]:
        """One result per input, in order: valid (with wa_id), invalid, or processing for no_wait."""
        return self.answer(self.results(inputs), blocking=blocking)

    def results(self, inputs: Sequence[str]) -> list[ContactResult]:
        """What each input is (a check may take its inputs a slice at a time, then ``answer``)."""
        return [self._check_one(raw) for raw in inputs]

    def answer(self, results: list[ContactResult], *, blocking: str) -> list[ContactResult]:
        """The results for ``wait``; for ``no_wait``, "processing" now and the results in a contacts notification."""
        if blocking == "wait":
            return results
        self._outbox.emit(ContactsChecked(results))
        return [{"input": r["input"], "status": "processing"} for r in results]

    def _check_one(self, raw: str) -> ContactResult:
        wa_id = normalize(raw)
        if wa_id is None:
            return {"input": raw, "status": "invalid"}
        user = self._users.get_or_create(wa_id)
        if user["status"] != "valid":
            return {"input": raw, "status": "invalid"}
        return {"input": raw, "status": "valid", "wa_id": wa_id}
