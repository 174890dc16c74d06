"""A JUnit XML report of a replay run, for CI systems that show test results."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from emulator.replay.runner import ScriptResult, describe_step


def junit_xml(results: list[ScriptResult], seconds: float, not_run: Sequence[str] = ()) -> str:
    """One ``testsuite``; a ``testcase`` per script with its steps, ``failure`` if red, ``skipped`` if not run."""
    failures = sum(1 for r in results if not r.ok and r.error is None)
    errors = sum(1 for r in results if r.error is not None)
    suite = ET.Element(
        "testsuite",
        name="wa-emulator replay",
        tests=str(len(results) + len(not_run)),
        failures=str(failures),
        errors=str(errors),
        skipped=str(len(not_run)),
        time=f"{seconds:.3f}",
    )
    for result in results:
        case = ET.SubElement(suite, "testcase", classname="replay", name=result.source, time=f"{result.seconds:.3f}")
        if result.error is not None:
            ET.SubElement(case, "error", message=result.error.splitlines()[0]).text = result.error
        elif not result.ok:
            report = result.failure or ""
            ET.SubElement(case, "failure", message=report.splitlines()[0]).text = report
        lines = [
            f"{'ok  ' if s.ok else 'FAIL'} {s.step.number:>3}  {describe_step(s.step)}  ({s.seconds * 1000:.0f} ms)"
            for s in result.steps
        ]
        ET.SubElement(case, "system-out").text = "\n".join(lines)
    for source in not_run:
        case = ET.SubElement(suite, "testcase", classname="replay", name=source, time="0.000")
        ET.SubElement(case, "skipped", message="not run: --fail-fast stopped the replay at a failure")
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"


def write_junit(path: str | Path, results: list[ScriptResult], seconds: float, not_run: Sequence[str] = ()) -> None:
    """Write the report to ``path``."""
    Path(path).write_text(junit_xml(results, seconds, not_run), encoding="utf-8")
