"""``wa-emulator replay -j N``: scripts run N at a time, each worker in a tenant of its own.

Worker ``k`` (1..N) uses the tenant ``replay-k`` (made afresh for the run), so its scripts' users,
messages, webhooks, faults and clock are its own while the other workers' scripts run beside them.
With ``--bot-command`` each worker starts its own bot, pointed at its tenant: ``{emulator}`` in the
command is the tenant's base URL, ``{worker}`` the worker's number, ``{tenant}`` and
``{phone_number_id}`` the tenant's. ``--bot-webhook`` may name ``{worker}`` too; it is the tenant's
webhook URL and is waited for before the worker's first script. A script's lines are printed
together once it has run, so the output of parallel scripts never interleaves.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from emulator.replay.runner import Runner, ScriptResult
from emulator.replay.script import Script
from emulator.replay.session import ControlError, Session

PREFIX = "replay-"

Bot = Callable[[str, str, dict[str, str]], AbstractContextManager[None]]  # (emulator URL, webhook, placeholders)


@dataclass(frozen=True)
class Worker:
    """One worker's tenant: its name, base URL and the placeholders of its bot command."""

    number: int
    tenant: str
    url: str
    phone_number_id: str

    def fill(self, text: str) -> str:
        """``text`` with ``{emulator}``, ``{worker}``, ``{tenant}`` and ``{phone_number_id}`` filled in."""
        for key, value in self.placeholders().items():
            text = text.replace("{" + key + "}", value)
        return text

    def placeholders(self) -> dict[str, str]:
        """The values of the placeholders."""
        return {
            "emulator": self.url,
            "worker": str(self.number),
            "tenant": self.tenant,
            "phone_number_id": self.phone_number_id,
        }


def make_worker(root: str, number: int, webhook: str, token: str | None) -> Worker:
    """Make the worker's tenant afresh (an older one of the same name is deleted first)."""
    name = f"{PREFIX}{number}"
    with Session(root, token=token) as session:
        try:
            session.call("DELETE", f"/_emulator/tenants/{name}")
        except ControlError as exc:
            if exc.status != 404:
                raise
        probe = Worker(number, name, f"{root}/t/{name}", "")
        options: dict[str, Any] = {"name": name}
        if webhook:
            options["webhook_url"] = probe.fill(webhook)
        made = session.call("POST", "/_emulator/tenants", json=options)["tenant"]
    return Worker(number, name, probe.url, made["phone_number_id"])


def run_parallel(
    scripts: list[Script],
    root: str,
    *,
    jobs: int,
    token: str | None,
    webhook: str,
    bot: Bot,
    out: Callable[[str], None],
) -> list[ScriptResult]:
    """Run the scripts on ``jobs`` workers; the results in the scripts' order."""
    pending = iter(enumerate(scripts))
    take = threading.Lock()
    say = threading.Lock()
    results: list[ScriptResult | None] = [None] * len(scripts)
    done = [0]

    def next_script() -> Iterator[tuple[int, Script]]:
        while True:
            with take:
                item = next(pending, None)
            if item is None:
                return
            yield item

    def work(number: int) -> None:
        worker = make_worker(root, number, webhook, token)
        with bot(worker.url, worker.fill(webhook), worker.placeholders()), Session(worker.url, token=token) as session:
            for index, script in next_script():
                lines: list[str] = []
                result = Runner(session, out=lines.append).run(script)
                results[index] = result
                with say:
                    done[0] += 1
                    verdict = "PASS" if result.ok else "FAIL"
                    out(f"[{done[0]}/{len(scripts)}] {script.source}: {script.name} ({worker.tenant})")
                    for line in lines:
                        out(line)
                    out(f"  {verdict} {len(result.steps)} steps in {result.seconds:.2f} s")

    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="replay") as pool:
        for future in [pool.submit(work, number) for number in range(1, min(jobs, len(scripts)) + 1)]:
            future.result()
    missing = [ScriptResult(s.source, s.name, error=f"{s.source}: not run (every worker failed)") for s in scripts]
    return [result or fallback for result, fallback in zip(results, missing, strict=True)]
