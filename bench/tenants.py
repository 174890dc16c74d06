"""``make bench``, tenants: send throughput and memory as one emulator holds 1, 10 and 100 tenants.

Each round makes the tenants (``POST /_emulator/tenants``), logs in to each, then sends text messages
for a few seconds, every connection taking turns over all the tenants; memory is the emulator
process's resident set (``VmRSS``) once the tenants are made and again after the sends.
"""

from __future__ import annotations

import asyncio
import base64
import json
import urllib.request
from pathlib import Path

from tenant_load import measure, request_bytes

ROUNDS = (1, 10, 100)
TEXT = {"to": "15550001111", "type": "text", "text": {"body": "Your order *A-1027* has shipped."}}
BASIC = {"Authorization": "Basic " + base64.b64encode(b"admin:secret").decode()}


def _post(url: str, body: object | None = None, headers: dict[str, str] | None = None) -> dict[str, object]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    with urllib.request.urlopen(request) as response:
        answer: dict[str, object] = json.load(response)
        return answer


def rss_mib(pid: int) -> float:
    """Resident memory of a process in MiB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def sends(url: str, tenants: int) -> list[bytes]:
    """One ready-made send per tenant, each with that tenant's login token."""
    raws = []
    for n in range(1, tenants + 1):
        prefix = f"/t/bench-{n}"
        _post(f"{url}/_emulator/tenants", {"name": f"bench-{n}"})
        users = _post(f"{url}{prefix}/v1/users/login", headers=BASIC)["users"]
        token = users[0]["token"]  # type: ignore[index]
        raws.append(request_bytes(url, "POST", f"{prefix}/v1/messages", TEXT, {"Authorization": f"Bearer {token}"}))
    return raws


def run(url: str, pid: int, seconds: float) -> None:
    """Print a line per round: tenants, throughput, latency and memory."""
    for tenants in ROUNDS:
        raws = sends(url, tenants)
        made = rss_mib(pid)
        result = asyncio.run(measure(f"POST /v1/messages over {tenants} tenants", url, raws, seconds=seconds))
        print(f"{result.line()}   RSS {made:.0f} MiB with the tenants, {rss_mib(pid):.0f} MiB after the sends")
        for n in range(1, tenants + 1):  # the next round starts from empty records again
            _post(f"{url}/t/bench-{n}/_emulator/reset")
