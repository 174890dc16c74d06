"""Run conversation scripts against a bot, through an emulator's control API only.

Each script starts from ``POST /_emulator/reset`` (tokens, application settings and templates are
kept, so the bot keeps working), then runs its steps in order; the first step that fails stops the
script. While it runs, a line per step goes to ``out``; a failed step's line is followed by the diff
of what was expected against what the bot sent.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from emulator.durations import format_duration
from emulator.replay.answers import answer, reply_kind
from emulator.replay.diff import describe_expectation, mismatch_report, missing_report
from emulator.replay.expect import mismatches, show
from emulator.replay.script import Script, Step
from emulator.replay.session import ControlError, Session
from emulator.transcripts.records import REPLY_KINDS, Record

Out = Callable[[str], None]
KEEP_ON_RESET = ("templates",)  # a registry loaded at CI start-up is not conversation state
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class StepFailed(Exception):
    """A step did not go as the script says; the message is the report for a person.

    ``line``: where in the script, when it is not the step's first line (one expectation of several).
    """

    line: int | None = None


@dataclass
class StepResult:
    """How one step went."""

    step: Step
    ok: bool
    seconds: float
    failure: str | None = None
    line: int | None = None  # the line the failure is on, if not the step's own


@dataclass
class ScriptResult:
    """How one script went: its steps, or the error that kept it from running."""

    source: str
    name: str
    steps: list[StepResult] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Every step passed and nothing else went wrong."""
        return self.error is None and all(s.ok for s in self.steps)

    @property
    def failure(self) -> str | None:
        """The report of the failed step (or the error), with the step and its line."""
        if self.error is not None:
            return self.error
        for result in self.steps:
            if not result.ok:
                step = result.step
                header = f"{self.source}:{result.line or step.line}: step {step.number} ({describe_step(step)}) failed"
                return f"{header}\n{result.failure}"
        return None


def describe_step(step: Step) -> str:
    """A step in a few words, for the progress line."""
    value = step.value
    match step.kind:
        case "text":
            text = f"text {show(value)}"
        case "tap" | "select" | "quick_reply" | "react" | "change_number" | "delete":
            text = f"{step.kind} {show(value)}"
        case "location":
            text = f"location {value['latitude']}, {value['longitude']}"
        case "order":
            text = "order " + ", ".join(f"{i['quantity']} x {i['product_retailer_id']}" for i in value["product_items"])
        case "enquire":
            text = f"enquire about {show(value['product'])}: {show(value['text'])}"
        case "complete_flow":
            text = f"complete_flow {json.dumps(value, ensure_ascii=False)}"
        case "send":
            text = f"send {value.get('type')}"
        case "expect":
            text = "expect " + " + ".join(describe_expectation(e.fields) for e in value)
        case "clock":
            text = f"clock {format_duration(value)}"
        case "call":
            text = f"call {value.get('method', 'POST')} {value['url']}"
        case "fault":
            text = f"fault {json.dumps(value.get('match') or {}, ensure_ascii=False)} -> {json.dumps(value['action'])}"
        case _:
            text = f"{step.kind} {json.dumps(value, ensure_ascii=False)}"
    if step.reply_to:
        text += f" (reply to {step.reply_to})"
    if step.referral:
        text += f" (from the ad {step.referral['source_id']})"
    return f"[{step.user}] {text}" if step.user else text


class Runner:
    """Runs scripts with one control-API session; ``out`` gets the progress lines."""

    def __init__(self, session: Session, *, out: Out | None = None) -> None:
        self.session = session
        self.out: Out = out or (lambda _line: None)
        self.moved: dict[str, str] = {}  # a user who changed number acts from the new one

    def run(self, script: Script) -> ScriptResult:
        """Reset the emulator, then run the steps until one fails."""
        result = ScriptResult(script.source, script.name)
        started = time.perf_counter()
        labels: dict[str, Record] = {}
        self.moved = {}
        try:
            self.session.reset(keep=KEEP_ON_RESET)
        except (ControlError, httpx.HTTPError) as exc:
            result.error = f"{script.source}: cannot reset the emulator at {self.session.url}: {exc}"
            self.out(f"  ERROR {result.error}")
            return result
        for step in script.steps:
            step_started = time.perf_counter()
            try:
                self._step(script, step, labels)
                outcome = StepResult(step, ok=True, seconds=time.perf_counter() - step_started)
            except StepFailed as exc:
                outcome = StepResult(step, False, time.perf_counter() - step_started, failure=str(exc), line=exc.line)
            except (ControlError, httpx.HTTPError) as exc:
                outcome = StepResult(step, False, time.perf_counter() - step_started, failure=str(exc))
            result.steps.append(outcome)
            self._print(outcome)
            if not outcome.ok:
                left = len(script.steps) - step.number
                if left:
                    self.out(f"        ({left} more step{'s' if left != 1 else ''} not run)")
                break
        result.seconds = time.perf_counter() - started
        return result

    def _print(self, outcome: StepResult) -> None:
        step = outcome.step
        verdict = "ok  " if outcome.ok else "FAIL"
        self.out(f"  {verdict} {step.number:>3}  {describe_step(step)}  ({outcome.seconds * 1000:.0f} ms)")
        if outcome.failure:
            self.out("\n".join("        " + line for line in outcome.failure.splitlines()))

    def _step(self, script: Script, step: Step, labels: dict[str, Record]) -> None:
        wa_id = step.user or script.user
        while wa_id in self.moved:
            wa_id = self.moved[wa_id]
        timeout = step.timeout or script.timeout
        if step.kind == "expect":
            for index, expectation in enumerate(step.value):
                position = f" ({index + 1} of {len(step.value)})" if len(step.value) > 1 else ""
                try:
                    record = self.expect(wa_id, expectation.fields, timeout, position=position)
                except StepFailed as exc:
                    exc.line = expectation.line
                    raise
                if expectation.label:
                    labels[expectation.label] = record
        elif step.kind == "clock":
            self.session.advance_clock(step.value)
        elif step.kind == "set_user":
            self.session.put_user(wa_id, step.value)
        elif step.kind == "call":
            _call(step.value, timeout)
        elif step.kind == "fault":
            self.session.call("POST", "/_emulator/faults", json=step.value)
        else:
            message = self._inbound(wa_id, step, labels, timeout)
            try:
                self.session.send(wa_id, message)
            except ControlError as exc:
                raise StepFailed(f"the emulator refused the user's message: {exc.details}") from None
            if step.kind == "change_number":
                self.moved[wa_id] = step.value

    def expect(self, wa_id: str, fields: dict[str, Any], timeout: float, *, position: str = "") -> Record:
        """The bot's next message to ``wa_id``, checked against ``fields``; StepFailed with the diff."""
        record = self.session.next_message(wa_id, timeout)
        if record is None:
            taken = self.session.thread(wa_id).taken
            report = missing_report(fields, timeout, taken[-1] if taken else None, position=position)
            trouble = self.session.webhook_trouble(wa_id)
            raise StepFailed(f"{report}\n{trouble}" if trouble else report)
        found = mismatches(fields, record)
        if found and {"status", "failed"} & {m.what for m in found}:
            # statuses due on the emulator clock, or still on their way; lenient: whether the bot heard a
            # status webhook does not change the record (a bot that heard nothing fails on its messages)
            self.session.drain(timeout, lenient=True)
            record = self.session.refresh(record)
            found = mismatches(fields, record)
        if found:
            raise StepFailed(mismatch_report(fields, record, found, position=position))
        return record

    def _inbound(self, wa_id: str, step: Step, labels: dict[str, Record], timeout: float) -> dict[str, Any]:
        """The inbound message (design.md's vocabulary) for a user turn, short forms resolved."""
        value = step.value
        if step.kind == "text":
            text: dict[str, Any] = {"type": "text", "text": {"body": value}}
            return {**text, "referral": step.referral} if step.referral else text
        if step.kind == "location":
            return {"type": "location", "location": dict(value)}
        if step.kind == "change_number":
            return {"type": "system", "system": {"type": "user_changed_number", "new_wa_id": value}}
        if step.kind == "delete":
            last = self.session.thread(wa_id).last_sent
            if last is None:
                raise StepFailed("delete: the user has sent nothing to delete yet")
            return {"type": "delete", "delete": {"message_id": last}}
        if step.kind == "send":
            message = dict(value)
            kind = reply_kind(message)
            if step.reply_to or (kind and "context" not in message):
                target = self._target(wa_id, step, labels, kind or "tap", timeout)
                if message.get("type") == "reaction":
                    message["reaction"] = {**message["reaction"], "message_id": target["id"]}
                else:
                    message["context"] = {"id": target["id"]}
            return message
        target = self._target(wa_id, step, labels, step.kind, timeout)
        return answer(step.kind, value, target)

    def _target(self, wa_id: str, step: Step, labels: dict[str, Record], kind: str, timeout: float) -> Record:
        if step.reply_to:
            return labels[step.reply_to]
        target = self.session.reply_target(wa_id, kind, timeout)
        if target is None:
            what = REPLY_KINDS[kind][0]
            raise StepFailed(
                f"no message with {what} from the bot to reply to (waited {timeout:g} s); "
                "name an earlier one with 'as:' and 'reply_to:'"
            )
        return target


def _call(spec: dict[str, Any], timeout: float) -> None:
    def env(match: re.Match[str]) -> str:
        if match.group(1) not in os.environ:
            raise StepFailed(f"call: the environment variable {match.group(1)} is not set")
        return os.environ[match.group(1)]

    url = _ENV.sub(env, spec["url"])
    method = spec.get("method", "POST")
    try:
        response = httpx.request(method, url, json=spec.get("json"), headers=spec.get("headers"), timeout=timeout)
    except httpx.HTTPError as exc:
        raise StepFailed(f"call {method} {url} failed: {exc}") from None
    if not response.is_success:
        raise StepFailed(f"call {method} {url} answered HTTP {response.status_code}: {response.text[:300]}")
