"""The targets of issue 11, each as a figure against its limit (ratios to the bare echo of the same run)."""

from __future__ import annotations

from typing import Any

CPU_RATIO = 2.0  # server CPU per send <= 2 x the echo's
RPS_RATIO = 0.5  # req/s >= 0.5 x the echo's
TAIL_P99_MS = 10.0
AFTER_100K = 0.9  # throughput after 100 k stored >= 90 % of fresh
RSS_PER_MESSAGE = 1536  # bytes
SQLITE_RATIO = 0.6  # SQLite req/s >= 0.6 x the memory store's
CONTROL_MS = 50.0
DELIVERIES_PER_S = 2000.0
DELIVERED_P50_MS = 5.0
HEALTHY_MS = 300.0

Row = dict[str, Any]


def ratios(matrix: list[Row]) -> list[Row]:
    """Each emulator case with its CPU and req/s as ratios to the echo of its body (SQLite: req/s to memory).

    The matrix's own paired ratios where it has them (``matrix.py``: each run against the echo runs
    around it, the median over rounds); else the ratio of the best figures.
    """
    echo = {r["body"]: r for r in matrix if r["api"] == "echo"}
    memory = {(r["body"], r["api"]): r for r in matrix if r["store"] == "memory"}
    out = []
    for r in matrix:
        if r["api"] == "echo":
            continue
        base = echo[r["body"]]
        row = {
            **{k: r[k] for k in ("body", "api", "store")},
            "cpu_x": r["cpu_us"] / base["cpu_us"] if r.get("cpu_us") and base.get("cpu_us") else None,
            "rps_x": r["rps"] / base["rps"] if base["rps"] else None,
        }
        if r["store"] == "sqlite":
            row["memory_x"] = r["rps"] / memory[(r["body"], r["api"])]["rps"]
        row.update({k: r[k] for k in ("cpu_x", "rps_x", "memory_x") if k in r})
        out.append(row)
    return out


def evaluate(results: dict[str, Any]) -> list[Row]:
    """Every target that the figures in ``results`` can judge."""
    rows = ratios(results["matrix"])
    mem = [r for r in rows if r["store"] == "memory"]
    cpu, rps = _worst(mem, "cpu_x", max), _worst(mem, "rps_x", min)
    out = [
        _t(1, "server CPU per send (memory; text, buttons, list; both APIs)", cpu, CPU_RATIO, "x"),
        _t(1, "throughput vs the bare echo (memory store)", rps, RPS_RATIO, "x", low=True),
    ]
    if "tail" in results:
        tail = results["tail"]
        what = f"p99 over a {tail['seconds']:g} s run at full load (worst 5 s slice)"
        out.append(_t(2, what, tail["p99_ms"], TAIL_P99_MS, "ms"))
    if "scale" in results:
        scale = results["scale"]
        kept = scale["after"]["rps"] / scale["fresh"]["rps"]
        out.append(_t(2, f"throughput after {scale['stored']:,} stored vs fresh", kept, AFTER_100K, "x", low=True))
        per_message = scale["rss_bytes_per_message"]
        out.append(_t(3, "RSS per stored message (statuses, deliveries)", per_message, RSS_PER_MESSAGE, "B"))
    sqlite = [r for r in rows if r["store"] == "sqlite"]
    worst = _worst(sqlite, "memory_x", min)
    out.append(_t(4, "SQLite throughput vs the memory store", worst, SQLITE_RATIO, "x", low=True))
    if "scale" in results:
        held = max(c["held_ms"] for c in results["scale"]["controls"])
        out.append(_t(5, "longest a control call held the loop (100 k messages)", held, CONTROL_MS, "ms"))
    if "webhooks" in results:
        hooks = results["webhooks"]
        rate = hooks["throughput"]["deliveries_per_s"]
        out.append(_t(6, "webhook deliveries/s to a local receiver", rate, DELIVERIES_PER_S, "/s", low=True))
        p50 = hooks["latency"]["p50_ms"] if hooks["latency"]["p50_ms"] is not None else float("inf")
        out.append(_t(6, "send -> delivered p50 at 500 sends/s", p50, DELIVERED_P50_MS, "ms"))
    out.append(_t(7, "time to healthy (median of 5)", results["healthy_ms"]["median"], HEALTHY_MS, "ms"))
    return out


def table(rows: list[Row]) -> str:
    """The targets as printed lines."""
    lines = ["targets (figure / limit):"]
    for r in rows:
        sign = "≥" if r["low"] else "≤"
        verdict = "met" if r["met"] else "NOT met"
        value, limit = _fmt(r["value"], r["unit"]), _fmt(r["limit"], r["unit"])
        lines.append(f" {r['target']}  {r['what']:<62} {value:>10}  {sign} {limit:<9} {verdict}")
    return "\n".join(lines)


def ratio_lines(matrix: list[Row]) -> list[str]:
    """Per body, API and store: CPU and req/s as ratios to the echo (and SQLite to memory)."""
    lines = [f"{'body':<8} {'api':<7} {'store':<7} {'CPU x echo':>11} {'req/s x echo':>13} {'x memory':>9}"]
    for r in ratios(matrix):
        cpu = f"{r['cpu_x']:.2f}" if r["cpu_x"] is not None else "-"
        mem = f"{r['memory_x']:.2f}" if "memory_x" in r else ""
        lines.append(f"{r['body']:<8} {r['api']:<7} {r['store']:<7} {cpu:>11} {r['rps_x']:>13.2f} {mem:>9}")
    return lines


def slower(previous: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Figures more than 10 % worse than in ``previous`` (CPU per request up, req/s down)."""
    before = {(r["body"], r["api"], r["store"]): r for r in previous.get("matrix", [])}
    out = []
    for r in current["matrix"]:
        old = before.get((r["body"], r["api"], r["store"]))
        if old is None:
            continue
        name = f"{r['body']} {r['api']} {r['store']}"
        if r.get("cpu_us") and old.get("cpu_us") and r["cpu_us"] > 1.1 * old["cpu_us"]:
            out.append(f"{name}: CPU per request {old['cpu_us']:.0f} -> {r['cpu_us']:.0f} µs")
        if old["rps"] and r["rps"] < 0.9 * old["rps"]:
            out.append(f"{name}: {old['rps']:,.0f} -> {r['rps']:,.0f} req/s")
    return out


def _worst(rows: list[Row], key: str, pick: Any) -> float:
    values = [r[key] for r in rows if r.get(key) is not None]
    return float(pick(values)) if values else float("nan")


def _t(target: int, what: str, value: float, limit: float, unit: str, *, low: bool = False) -> Row:
    met = value >= limit if low else value <= limit
    return {"target": target, "what": what, "value": value, "limit": limit, "unit": unit, "low": low, "met": met}


def _fmt(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:.2f} x"
    if unit == "B":
        return f"{value:,.0f} B"
    if unit == "/s":
        return f"{value:,.0f}/s"
    return f"{value:.1f} {unit}"
