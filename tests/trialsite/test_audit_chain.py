"""The audit trail's hash chain: every history write is chained; any rewrite is found and located.

The tamper tests act as the database owner would: they switch the append-only trigger off (or
replicate around every trigger) to rewrite history, then show that verification names the table
and the history row. They commit for real (``transaction=True``): links are chained at commit.
"""

import threading
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction

from tests.factories import SiteFactory, StudyFactory
from trialsite import audit_chain
from trialsite.audit import audited_queryset_update, audited_save, bulk_create_audited
from trialsite.models import AuditChainLink, AuditTrailVerification, Site
from trialsite.services import audit_trail_verify, system_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SITE_HISTORY = Site.history.model._meta.db_table


@contextmanager
def owner_without_append_only_guard(table):
    """Act as the table owner who disabled the append-only trigger (what the chain must catch)."""
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER trialsite_history_append_only")
    try:
        with connection.cursor() as cursor:
            yield cursor
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER trialsite_history_append_only")


def new_sites(count, study):
    return [Site(study=study, code=f"BK{i:03d}", name=f"Bulk {i}", city="Oran", country="Algeria",
                 time_zone="Africa/Algiers") for i in range(count)]


@pytest.fixture
def trail():
    study = StudyFactory()
    sites = [SiteFactory(study=study) for _ in range(3)]
    actor = system_user()
    bulk_create_audited(Site, new_sites(40, study), actor=actor, batch_size=15)
    audited_queryset_update(Site.objects.filter(code__startswith="BK"), actor=actor,
                            reason="Renamed by the nightly job", city="Algiers")
    site = sites[0]
    site.name = "Renamed hospital"
    audited_save(site, actor=actor, reason="Typo in the name")
    return sites


def breaks_of(report, table=SITE_HISTORY):
    return [b for b in report.breaks if b["table"] == table]


def test_single_saves_and_both_bulk_paths_are_chained_and_verify_intact(trail):
    report = audit_chain.verify()
    assert report.available and report.breaks == []
    history_rows = Site.history.count()
    assert history_rows == 3 + 40 + 40 + 1
    links = AuditChainLink.objects.filter(table_name=SITE_HISTORY).order_by("seq")
    # Three single saves, three bulk_create batches (15+15+10), one INSERT … SELECT, one save.
    assert [len(link.history_ids.split(",")) for link in links] == [1, 1, 1, 15, 15, 10, 40, 1]
    assert [link.seq for link in links] == list(range(1, 9))
    assert all(len(bytes(link.row_hashes)) == 32 * len(link.history_ids.split(","))
               for link in links)
    assert report.heads[SITE_HISTORY][0] == 8


def test_a_history_row_rewritten_by_the_owner_is_detected_and_located(trail, mailoutbox,
                                                                      settings):
    settings.ADMINS = ["qa@example.org"]
    victim = Site.history.filter(id=trail[0].pk).order_by("history_id").last()
    with owner_without_append_only_guard(SITE_HISTORY) as cursor:
        cursor.execute(
            f"UPDATE {SITE_HISTORY} SET history_change_reason = 'Correction', "
            "name = 'Forged' WHERE history_id = %s",
            [victim.history_id],
        )
    verification = audit_trail_verify()
    assert verification.outcome == AuditTrailVerification.Outcome.BROKEN
    assert breaks_of(verification) == [{
        "table": SITE_HISTORY, "history_id": victim.history_id, "record_id": trail[0].pk,
        "seq": 8, "problem": "history row was changed",
    }]
    assert len(mailoutbox) == 1
    assert f"history row {victim.history_id}" in mailoutbox[0].body
    with pytest.raises(SystemExit) as exit_status:
        call_command("verify_audit_trail")
    assert exit_status.value.code == 1


def breaks_after(tamper):
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # every trigger off
        try:
            tamper(cursor)
        finally:
            cursor.execute("SET session_replication_role = origin")
    return breaks_of(audit_chain.verify())


def test_a_deleted_history_row_is_detected_and_located(trail):
    victim = Site.history.filter(code="BK007").order_by("history_id").first()
    found = breaks_after(lambda c: c.execute(
        f"DELETE FROM {SITE_HISTORY} WHERE history_id = %s", [victim.history_id]))
    assert [(b["history_id"], b["problem"]) for b in found] == [
        (victim.history_id, "history row was deleted")]


def test_a_history_row_inserted_around_the_triggers_is_detected(trail):
    def forge(cursor):
        cursor.execute(
            f"INSERT INTO {SITE_HISTORY} (id, version, created_at, updated_at, void_reason, "
            "code, name, city, country, time_zone, target_enrolment, study_id, history_date, "
            "history_type, history_change_reason) "
            f"SELECT id, version + 1, created_at, updated_at, void_reason, code, 'Backdated', "
            "city, country, time_zone, target_enrolment, study_id, history_date, '~', 'x' "
            f"FROM {SITE_HISTORY} WHERE id = %s LIMIT 1 RETURNING history_id",
            [trail[1].pk])
        forged.append(cursor.fetchone()[0])

    forged = []
    found = breaks_after(forge)
    assert [(b["history_id"], b["record_id"]) for b in found] == [(forged[0], trail[1].pk)]
    assert "in no link" in found[0]["problem"]


def test_a_removed_link_and_a_rewritten_chain_are_detected(trail):
    found = breaks_after(lambda c: c.execute(
        f"DELETE FROM {audit_chain.LINK_TABLE} WHERE table_name = %s AND seq = 4",
        [SITE_HISTORY]))
    problems = {b["problem"] for b in found}
    assert "links 4–4 are missing" in problems
    assert "history row is in no link (inserted around the trigger)" in problems


def test_a_chain_recomputed_end_to_end_by_the_owner_is_caught_by_the_recorded_heads(trail):
    first = audit_trail_verify()
    assert first.outcome == AuditTrailVerification.Outcome.INTACT

    def rewrite_everything(cursor):
        # The thorough forger: change a row, then recompute its hash, its link and every later
        # link and the head, so the chain is self-consistent again.
        victim = Site.history.filter(id=trail[0].pk).order_by("history_id").first()
        cursor.execute(f"UPDATE {SITE_HISTORY} SET name = 'Forged' WHERE history_id = %s",
                       [victim.history_id])
        audit_chain._set_text_settings(cursor)
        cursor.execute(
            f"UPDATE {audit_chain.LINK_TABLE} SET row_hashes = (SELECT sha256(convert_to(h::text, "
            f"'UTF8')) FROM {SITE_HISTORY} h WHERE h.history_id = %s) "
            "WHERE table_name = %s AND history_ids = %s",
            [victim.history_id, SITE_HISTORY, str(victim.history_id)])
        cursor.execute(
            f"SELECT id, row_hashes FROM {audit_chain.LINK_TABLE} WHERE table_name = %s "
            "ORDER BY seq", [SITE_HISTORY])
        prev = None
        for link_id, row_hashes in cursor.fetchall():
            cursor.execute("SELECT sha256(coalesce(%s, ''::bytea) || %s)", [prev, row_hashes])
            chain = cursor.fetchone()[0]
            cursor.execute(f"UPDATE {audit_chain.LINK_TABLE} SET prev_hash = %s, "
                           "chain_hash = %s WHERE id = %s", [prev, chain, link_id])
            prev = chain
        cursor.execute(f"UPDATE {audit_chain.HEAD_TABLE} SET head_hash = %s "
                       "WHERE table_name = %s", [prev, SITE_HISTORY])

    assert breaks_after(rewrite_everything) == []  # self-consistent: only the anchor can tell
    second = audit_trail_verify()
    assert second.outcome == AuditTrailVerification.Outcome.BROKEN
    assert breaks_of(second) == [{
        "table": SITE_HISTORY, "history_id": None, "record_id": None, "seq": 8,
        "problem": "link 8 no longer has the hash the last verification recorded: the chain "
                   "was rewritten",
    }]


def test_concurrent_writers_extend_one_chain_without_forking(trail):
    study_id = trail[0].study_id
    barrier = threading.Barrier(4)
    errors = []

    def writer(n):
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                for i in range(5):
                    audited_save(Site(study_id=study_id, code=f"CC{n}{i}", name="Concurrent",
                                      city="Oran", country="Algeria", time_zone="Africa/Algiers"),
                                 actor=system_user())
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = audit_chain.verify()
    assert report.breaks == []
    assert report.heads[SITE_HISTORY][0] == 8 + 20


def test_the_daily_job_records_a_status_monitors_see(trail, client, world):
    from trialsite.models import Role
    from trialsite.tasks import verify_audit_trail

    assert verify_audit_trail.delay().get() == AuditTrailVerification.Outcome.INTACT
    client.force_login(world.users[Role.MONITOR])
    page = client.get("/")
    assert b"Audit trail verified intact" in page.content
