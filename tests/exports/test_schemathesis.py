"""Property-based run over the whole OpenAPI schema: no input makes the server fail (5xx).

Schemathesis generates requests for every operation of ``/api/v1/schema/`` and sends them
through the WSGI application as the data manager of study A (a token, as a script would).
The examples per operation are capped so the run stays within a CI minute or two; for a deeper
search by hand, set ``SCHEMATHESIS_EXAMPLES`` (100 ran clean on both databases) and run this file
alone. (Every case is a savepoint of the test's one transaction: on PostgreSQL, a few hundred
per operation outgrow ``max_locks_per_transaction``.)
"""

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, given, settings

from tests.factories import api_key
from trialsite.models import Role

EXAMPLES_PER_OPERATION = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "8"))


@pytest.fixture
def _keep_test_connection():
    """As Django's test client does: a request must not close the test's database connection."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def test_no_operation_answers_a_server_error(trial, monkeypatch, tmp_path,
                                             _keep_test_connection):
    headers = {"Authorization": f"Token {api_key(trial.users[Role.DATA_MANAGER])}"}
    app = get_wsgi_application()
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", app, headers=headers)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    failures, answered = [], []

    def explore(operation):
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            # Each case in its own savepoint: what it wrote, or a database error it caused,
            # is rolled back, so the next case starts from the same trial.
            savepoint = transaction.savepoint_create()
            try:
                response = case.call(headers=headers)
            finally:
                transaction.savepoint_rollback(savepoint)
            answered.append(operation.label)
            if response.status_code >= 500:
                failures.append((operation.label, case.formatted_path, case.query,
                                 response.status_code, response.text[:300]))

        run()

    for operation in operations:
        explore(operation)
    assert failures == []
    assert {op.label for op in operations} == set(answered)  # every operation was exercised
