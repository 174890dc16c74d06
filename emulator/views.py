"""What the control API and the page show of a record: failures with the codes of the API it came through.

The domain keeps failures as reasons (``{"reason", "details"}``); a message sent through ``/v1`` shows
its On-Premises code and one sent through the Cloud API its Cloud code, as its status webhook did.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from emulator.codes import ErrorTable
from emulator.webhooks.render import TABLES

Doc = dict[str, Any]


def record_view(record: Doc) -> Doc:
    """The record as shown: a copy with every stored failure rendered, or the record itself if it has none.

    The billing conversation the lifecycle keeps on a record (to build status webhooks when they are
    sent) is not shown: webhooks carry it.
    """
    table = TABLES.get(record.get("api", "onprem"), TABLES["onprem"])
    if record.get("direction") == "inbound":
        message = record.get("message") or {}
        if not message.get("errors"):
            return record
        return {**record, "message": {**message, "errors": _errors(table, message["errors"])}}
    if "conversation" in record:
        record = {k: v for k, v in record.items() if k != "conversation"}
        record["statuses"] = [_without_conversation(s) for s in record.get("statuses", [])]
    if not record.get("errors"):
        return record
    statuses = [
        {**s, "errors": _errors(table, s["errors"])} if s.get("errors") else s for s in record.get("statuses", [])
    ]
    return {**record, "errors": _errors(table, record["errors"]), "statuses": statuses}


def _without_conversation(status: Doc) -> Doc:
    return status if "conversation" not in status else {k: v for k, v in status.items() if k != "conversation"}


def records_view(records: Iterable[Doc]) -> list[Doc]:
    """Each record as shown."""
    return [record_view(r) for r in records]


def _errors(table: ErrorTable, stored: list[Doc]) -> list[Doc]:
    out = []
    for each in stored:
        if "reason" in each:  # a failure the domain recorded
            from emulator.domain.reasons import Failure

            out.append(table.of_failure(Failure.from_doc(each)))
        else:
            out.append(each)
    return out
