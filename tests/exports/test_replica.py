"""With DATABASE_REPLICA_URL set, the ODM file and data packages read from the replica; saves and
the package's progress stay on the primary. Here the "replica" alias is a second connection to
the test database (a streaming replica is a copy of it): which connection ran the reads is what
is checked."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from trialsite.exports.models import DataPackage
from trialsite.exports.odm import odm_chunks
from trialsite.exports.tasks import build_data_package
from trialsite.models import Role

pytestmark = [pytest.mark.postgres,
              pytest.mark.django_db(transaction=True, databases=["default", "replica"])]


@pytest.fixture(scope="module", autouse=True)
def _replica_alias():
    """Declared before the test database is set up for the test (module scope runs first)."""
    connections.settings["replica"] = {**connections.settings["default"]}
    try:
        yield
    finally:
        connections["replica"].close()
        del connections["replica"]
        del connections.settings["replica"]


@pytest.fixture
def replica():
    return connections["replica"]


def _reads_of(queries, table):
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("SELECT")
            and f'"{table}"' in q["sql"]]


def test_the_odm_file_reads_from_the_replica(trial, replica):
    sponsor = trial.users[Role.SPONSOR]
    with CaptureQueriesContext(connections["default"]) as primary, \
            CaptureQueriesContext(replica) as copy:
        document = b"".join(odm_chunks(sponsor, data_cut=timezone.now()))
    assert document.rstrip().endswith(b"</ODM>")
    assert _reads_of(copy.captured_queries, "enrollment_patient")
    assert _reads_of(copy.captured_queries, "visits_vitalsigns")
    assert not _reads_of(primary.captured_queries, "visits_vitalsigns")
    assert any("REPEATABLE READ" in q["sql"] for q in copy.captured_queries)


def test_a_package_reads_from_the_replica_and_writes_its_progress_on_the_primary(trial,
                                                                              replica):
    package = DataPackage.objects.create(requested_by=trial.users[Role.SPONSOR])
    with CaptureQueriesContext(replica) as copy:
        build_data_package(package.pk)
    package.refresh_from_db(using="default")
    assert package.status == DataPackage.Status.READY, package.error
    assert _reads_of(copy.captured_queries, "visits_vitalsigns")
    assert not [q for q in copy.captured_queries
                if q["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))]
