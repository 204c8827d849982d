"""The faults suite: each test injects one fault into real running parts and records, for the table
printed at the end of the run, what the user saw and what data was lost (it must be none).

Each test calls the `fault_report` fixture once it has proved its case; the row travels to the
controlling process in the test report's user_properties (so the table is whole under xdist too).
A test that fails shows in the table as failed, whatever it recorded before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.faults.report import KEY
from tests.faults.servers import PrivateRedis


@pytest.fixture
def fault_report(request) -> Callable[..., None]:
    def record(*, fault: str, user_saw: str, data_lost: str, figures: str = "") -> None:
        row = {"fault": fault, "user_saw": user_saw, "data_lost": data_lost, "figures": figures}
        request.node.user_properties.append((KEY, row))

    return record


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis().start()
    try:
        yield server
    finally:
        server.close()
