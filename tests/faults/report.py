"""The table of the faults suite, printed at the end of any run that ran one of its tests.

A plugin of the root conftest (pytest_plugins), not a hook of tests/faults/conftest.py: under xdist
the controlling process, which prints the summary, collects nothing and so never loads that file.
Rows arrive in each test report's user_properties (see tests/faults/conftest.py: fault_report).
"""

from __future__ import annotations

import pytest

KEY = "fault"
_ROWS: list[dict[str, str]] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if not report.nodeid.startswith("tests/faults/"):
        return
    if report.when == "call" or (report.when == "setup" and not report.passed):
        rows: list[dict[str, str]] = [value for key, value in report.user_properties if key == KEY]  # type: ignore[misc]
        name = report.nodeid.split("::")[-1]
        if report.failed:
            _ROWS.append({"fault": name, "user_saw": "-", "data_lost": "TEST FAILED", "figures": ""})
        elif report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            reason = str(reason).removeprefix("Skipped: ")
            _ROWS.append({"fault": name, "user_saw": f"(skipped: {reason})", "data_lost": "-", "figures": ""})
        else:
            _ROWS.extend(rows)


def pytest_terminal_summary(terminalreporter) -> None:
    if not _ROWS:
        return
    terminalreporter.section("faults survived")
    headers = ("fault", "what the user saw", "data lost", "figures")
    keys = ("fault", "user_saw", "data_lost", "figures")
    widths = [max(len(h), *(len(row[k]) for row in _ROWS)) for h, k in zip(headers, keys, strict=True)]
    line = " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    terminalreporter.write_line(line)
    terminalreporter.write_line("-+-".join("-" * w for w in widths))
    for row in _ROWS:
        terminalreporter.write_line(" | ".join(row[k].ljust(w) for k, w in zip(keys, widths, strict=True)))
