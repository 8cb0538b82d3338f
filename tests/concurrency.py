"""Requests at the same instant, for tests where the database (not luck) must keep rows unique."""

import threading

import pytest
from django.db import connection

from tests.conftest import REQUIRE_SERVICES


@pytest.fixture
def needs_row_locks():
    """PostgreSQL only: SQLite serialises whole-database writes, so a race there proves nothing."""
    if connection.vendor != "postgresql":
        reason = "needs PostgreSQL row locks (SQLite serialises whole-database writes differently)"
        if REQUIRE_SERVICES:
            pytest.fail(f"FER_REQUIRE_SERVICES=1 but the database is {connection.vendor}: {reason}")
        pytest.skip(reason + "; set DATABASE_URL=postgres://...")


def at_the_same_time(*calls):
    """Run the calls in threads released together by a barrier; returns their results in order."""
    barrier = threading.Barrier(len(calls))
    results, errors = [None] * len(calls), []

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return results
