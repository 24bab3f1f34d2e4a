"""Tamper evidence for the audit trail: a hash chain per history table (PostgreSQL).

The append-only trigger (``history_guard``) stops the application's role from changing history;
it does not stop the database owner, who can disable a trigger and rewrite a row. This module
makes such a rewrite *visible*:

- every ``INSERT`` into a history table (one ``save()``, or one set-based
  ``INSERT … SELECT`` of a million rows) fires one statement-level trigger that writes one
  *link*: the ids of the rows it inserted and the SHA-256 of each row's text, in one set-based
  statement (no per-row loop, no lock);
- when the transaction commits, a deferred trigger chains the link to the previous link of its
  table: ``chain_hash = SHA-256(prev_hash || row_hashes)``, numbered ``seq`` 1, 2, 3 … in
  commit order. A single advisory lock, taken only at commit, orders the chains, so concurrent
  writers never fork a chain and never wait on each other before they commit;
- ``verify()`` recomputes every row's hash and every link from the rows as they are now, with
  SQL that lives here in Python (not a stored function an owner could replace), and reports
  each break with its table, history row and record: a row changed, a row deleted, a row
  inserted around the trigger, a link changed or removed, or a chain rewritten since the last
  verification (its recorded head no longer matches).

A row's text is PostgreSQL's composite output of the history row (``row::text``) under fixed
settings (UTC, ISO dates), over the columns the table had when the row was written (kept with
the link), so adding a column to a model later does not break older links. Dropping or renaming
a column of a history table *is* a change to the trail, and is reported as one.

On SQLite (the embedded, single-user default) there is no chain: ``verify()`` says so.
See docs/security.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connections, transaction

from trialsite.history_guard import historical_models

LINK_TABLE = "trialsite_auditchainlink"
HEAD_TABLE = "trialsite_auditchainhead"
COLLECT_TRIGGER = "trialsite_history_chain"
LINK_TRIGGER = "trialsite_history_chain_link"
#: Most breaks listed per table and problem; the count beyond is reported.
MAX_LISTED = 100

#: Settings the row text depends on, fixed for the trigger and for verification alike.
_TEXT_SETTINGS = (
    ("TimeZone", "UTC"),
    ("DateStyle", "ISO, YMD"),
    ("IntervalStyle", "postgres"),
    ("extra_float_digits", "1"),
    ("bytea_output", "hex"),
)
_FUNCTION_SETTINGS = " ".join(f"SET {name} = '{value}'" for name, value in _TEXT_SETTINGS)

COLLECT_FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION trialsite_history_chain_collect() RETURNS trigger
LANGUAGE plpgsql {_FUNCTION_SETTINGS} AS $$
BEGIN
    -- One link per statement. Both aggregates read the rows in the same order, so the n-th id
    -- and the n-th 32-byte hash belong to the same row; no sort is needed.
    INSERT INTO {LINK_TABLE} (table_name, history_ids, columns, row_hashes, created_at)
    SELECT TG_TABLE_NAME,
           string_agg(n.history_id::text, ','),
           (SELECT string_agg(a.attname, ',' ORDER BY a.attnum) FROM pg_attribute a
             WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped),
           string_agg(sha256(convert_to(n::text, 'UTF8')), ''::bytea),
           now()
      FROM new_rows n
    HAVING count(*) > 0;
    RETURN NULL;
END;
$$;
"""

LINK_FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION trialsite_history_chain_link() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    last_seq bigint;
    prev bytea;
    next_hash bytea;
BEGIN
    -- Runs at commit: one lock orders every chain, held for the commit only.
    PERFORM pg_advisory_xact_lock(hashtext('trialsite_audit_chain'));
    SELECT seq, head_hash INTO last_seq, prev FROM {HEAD_TABLE}
     WHERE table_name = NEW.table_name FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO {HEAD_TABLE} (table_name, seq, head_hash) VALUES (NEW.table_name, 0, NULL);
        last_seq := 0;
        prev := NULL;
    END IF;
    next_hash := sha256(coalesce(prev, ''::bytea) || NEW.row_hashes);
    UPDATE {LINK_TABLE} SET seq = last_seq + 1, prev_hash = prev, chain_hash = next_hash
     WHERE id = NEW.id;
    UPDATE {HEAD_TABLE} SET seq = last_seq + 1, head_hash = next_hash
     WHERE table_name = NEW.table_name;
    RETURN NULL;
END;
$$;
"""

LINK_GUARD_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION trialsite_history_chain_link_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR OLD.chain_hash IS NOT NULL
       OR NEW.row_hashes IS DISTINCT FROM OLD.row_hashes
       OR NEW.history_ids IS DISTINCT FROM OLD.history_ids
       OR NEW.table_name IS DISTINCT FROM OLD.table_name THEN
        RAISE EXCEPTION 'audit chain links are append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END;
$$;
"""

COLLECT_TRIGGER_SQL = f"""
CREATE OR REPLACE TRIGGER {COLLECT_TRIGGER}
AFTER INSERT ON {{table}} REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION trialsite_history_chain_collect();
"""


def _set_text_settings(cursor):
    for name, value in _TEXT_SETTINGS:
        cursor.execute("SELECT set_config(%s, %s, true)", [name, value])


def install_audit_chain(sender=None, using="default", **kwargs):
    """Install the chain triggers on every history table (PostgreSQL; idempotent).

    A history table that has rows but no chain yet (a database upgraded to this version) gets
    one first link sealing its rows as they are now: the chain vouches for them from here on.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    existing = set(connection.introspection.table_names())
    if LINK_TABLE not in existing:
        return
    quote = connection.ops.quote_name
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute(COLLECT_FUNCTION_SQL)
        cursor.execute(LINK_FUNCTION_SQL)
        cursor.execute(LINK_GUARD_FUNCTION_SQL)
        cursor.execute(f"DROP TRIGGER IF EXISTS {LINK_TRIGGER} ON {LINK_TABLE}")
        cursor.execute(
            f"CREATE CONSTRAINT TRIGGER {LINK_TRIGGER} AFTER INSERT ON {LINK_TABLE} "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            "EXECUTE FUNCTION trialsite_history_chain_link()"
        )
        cursor.execute(
            "CREATE OR REPLACE TRIGGER trialsite_history_chain_link_guard "
            f"BEFORE UPDATE OR DELETE ON {LINK_TABLE} FOR EACH ROW "
            "EXECUTE FUNCTION trialsite_history_chain_link_guard()"
        )
        _set_text_settings(cursor)
        for model in historical_models():
            table = model._meta.db_table
            if table not in existing:
                continue
            cursor.execute(COLLECT_TRIGGER_SQL.format(table=quote(table)))
            cursor.execute(
                f"SELECT EXISTS (SELECT 1 FROM {HEAD_TABLE} WHERE table_name = %s) "
                f"OR EXISTS (SELECT 1 FROM {LINK_TABLE} WHERE table_name = %s)",
                [table, table],
            )
            if cursor.fetchone()[0]:
                continue
            cursor.execute(
                f"INSERT INTO {LINK_TABLE} (table_name, history_ids, columns, row_hashes, "
                "created_at) "
                "SELECT %s, string_agg(h.history_id::text, ','), "
                "(SELECT string_agg(a.attname, ',' ORDER BY a.attnum) FROM pg_attribute a "
                "  WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped), "
                "string_agg(sha256(convert_to(h::text, 'UTF8')), ''::bytea), now() "
                f"FROM {quote(table)} h HAVING count(*) > 0",
                [table, quote(table)],
            )


# --- verification ------------------------------------------------------------------------------


@dataclass
class ChainReport:
    """What one verification found. ``available`` is False where there is no chain (SQLite)."""

    available: bool
    tables_checked: int = 0
    rows_checked: int = 0
    breaks: list = field(default_factory=list)
    heads: dict = field(default_factory=dict)

    @property
    def intact(self):
        return self.available and not self.breaks


def _break(table, problem, *, history_id=None, record_id=None, seq=None):
    return {"table": table, "history_id": history_id, "record_id": record_id, "seq": seq,
            "problem": problem}


def _table_columns(cursor, table):
    cursor.execute(
        "SELECT a.attname FROM pg_attribute a WHERE a.attrelid = %s::regclass "
        "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        [table],
    )
    return [row[0] for row in cursor.fetchall()]


def _chain_triggers(cursor):
    """``{table: enabled}`` for the history tables that carry the collecting trigger."""
    cursor.execute(
        "SELECT c.relname, t.tgenabled <> 'D' FROM pg_trigger t "
        "JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname = %s",
        [COLLECT_TRIGGER],
    )
    return dict(cursor.fetchall())


def _verify_links(cursor, table, breaks):
    """The chain of links itself: numbering, previous hashes, each link's hash; its head."""
    cursor.execute(
        f"SELECT id FROM {LINK_TABLE} WHERE table_name = %s AND chain_hash IS NULL "
        f"ORDER BY id LIMIT {MAX_LISTED}",
        [table],
    )
    for (link_id,) in cursor.fetchall():
        breaks.append(_break(table, f"link {link_id} was never chained (written around the "
                                    "commit trigger)"))
    cursor.execute(
        "SELECT seq, prev_seq, prev_hash IS NOT DISTINCT FROM expected_prev, "
        "chain_hash = sha256(coalesce(prev_hash, ''::bytea) || row_hashes) "
        "FROM (SELECT seq, prev_hash, chain_hash, row_hashes, "
        "      lag(chain_hash) OVER w AS expected_prev, lag(seq) OVER w AS prev_seq "
        f"      FROM {LINK_TABLE} WHERE table_name = %s AND chain_hash IS NOT NULL "
        "      WINDOW w AS (ORDER BY seq)) links "
        "WHERE seq <> coalesce(prev_seq, 0) + 1 "
        "   OR prev_hash IS DISTINCT FROM expected_prev "
        "   OR chain_hash <> sha256(coalesce(prev_hash, ''::bytea) || row_hashes) "
        f"ORDER BY seq LIMIT {MAX_LISTED}",
        [table],
    )
    for seq, prev_seq, prev_ok, hash_ok in cursor.fetchall():
        if seq != (prev_seq or 0) + 1:
            breaks.append(_break(table, f"links {(prev_seq or 0) + 1}–{seq - 1} are missing",
                                 seq=seq))
        elif not prev_ok:
            breaks.append(_break(table, "link does not continue the previous link's hash",
                                 seq=seq))
        if not hash_ok:
            breaks.append(_break(table, "link hash does not match its rows' hashes", seq=seq))
    cursor.execute(
        f"SELECT seq, chain_hash FROM {LINK_TABLE} WHERE table_name = %s "
        "AND chain_hash IS NOT NULL ORDER BY seq DESC LIMIT 1",
        [table],
    )
    last = cursor.fetchone()
    cursor.execute(f"SELECT seq, head_hash FROM {HEAD_TABLE} WHERE table_name = %s", [table])
    head = cursor.fetchone()
    last_seq, last_hash = (last[0], bytes(last[1])) if last else (0, None)
    head_seq, head_hash = (head[0], bytes(head[1]) if head[1] is not None else None) \
        if head else (0, None)
    if (last_seq, last_hash) != (head_seq, head_hash):
        breaks.append(_break(table, f"the chain ends at link {last_seq} but its head says "
                                    f"{head_seq}: links were removed or added", seq=last_seq))
    return last_seq, last_hash


def _verify_rows(cursor, quote, table, breaks):
    """Every history row against its link's hash, and every row covered by a link."""
    current = _table_columns(cursor, table)
    cursor.execute(
        f"SELECT DISTINCT columns FROM {LINK_TABLE} WHERE table_name = %s", [table]
    )
    rows_checked = 0
    for (columns,) in cursor.fetchall():
        names = columns.split(",")
        dropped = [n for n in names if n not in current]
        if dropped:
            breaks.append(_break(table, f"column(s) {', '.join(dropped)} of the rows' "
                                        "original content no longer exist"))
            continue
        if names == current:
            text = "h::text"
        else:
            text = f"ROW({', '.join('h.' + quote(n) for n in names)})::text"
        cursor.execute(
            "WITH ids AS ("
            "  SELECT l.seq, l.row_hashes, u.hid::bigint AS hid, u.ord "
            f"   FROM {LINK_TABLE} l "
            "   CROSS JOIN LATERAL string_to_table(l.history_ids, ',') WITH ORDINALITY "
            "        AS u(hid, ord) "
            "  WHERE l.table_name = %s AND l.columns = %s) "
            "SELECT count(*) FROM ids",
            [table, columns],
        )
        rows_checked += cursor.fetchone()[0]
        cursor.execute(
            "WITH ids AS ("
            "  SELECT l.seq, l.row_hashes, u.hid::bigint AS hid, u.ord "
            f"   FROM {LINK_TABLE} l "
            "   CROSS JOIN LATERAL string_to_table(l.history_ids, ',') WITH ORDINALITY "
            "        AS u(hid, ord) "
            "  WHERE l.table_name = %s AND l.columns = %s) "
            "SELECT ids.seq, ids.hid, h.id, h.history_id IS NULL "
            f"FROM ids LEFT JOIN {quote(table)} h ON h.history_id = ids.hid "
            "WHERE h.history_id IS NULL "
            f"   OR sha256(convert_to({text}, 'UTF8')) "
            "      <> substring(ids.row_hashes FROM (ids.ord::int - 1) * 32 + 1 FOR 32) "
            f"ORDER BY ids.hid LIMIT {MAX_LISTED}",
            [table, columns],
        )
        for seq, history_id, record_id, missing in cursor.fetchall():
            problem = "history row was deleted" if missing else "history row was changed"
            breaks.append(_break(table, problem, history_id=history_id, record_id=record_id,
                                 seq=seq))
    cursor.execute(
        "WITH ids AS MATERIALIZED ("
        "  SELECT u.hid::bigint AS hid "
        f"   FROM {LINK_TABLE} l CROSS JOIN LATERAL string_to_table(l.history_ids, ',') "
        "        AS u(hid) "
        "  WHERE l.table_name = %s) "
        f"SELECT h.history_id, h.id FROM {quote(table)} h "
        "WHERE NOT EXISTS (SELECT 1 FROM ids WHERE ids.hid = h.history_id) "
        f"ORDER BY h.history_id LIMIT {MAX_LISTED}",
        [table],
    )
    for history_id, record_id in cursor.fetchall():
        breaks.append(_break(table, "history row is in no link (inserted around the trigger)",
                             history_id=history_id, record_id=record_id))
    return rows_checked


def verify(*, using="default", previous_heads=None):
    """Verify every history table's chain; ``previous_heads`` come from the last verification.

    Reads one snapshot (REPEATABLE READ, read only), so rows committed meanwhile cannot look
    like breaks. Returns a ``ChainReport``.
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return ChainReport(available=False)
    quote = connection.ops.quote_name
    report = ChainReport(available=True)
    previous_heads = previous_heads or {}
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if outermost:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        _set_text_settings(cursor)
        existing = set(connection.introspection.table_names(cursor))
        triggers = _chain_triggers(cursor)
        for model in sorted(historical_models(), key=lambda m: m._meta.db_table):
            table = model._meta.db_table
            if table not in existing:
                continue
            report.tables_checked += 1
            breaks = []
            if table not in triggers:
                breaks.append(_break(table, "the chain trigger is missing"))
            elif not triggers[table]:
                breaks.append(_break(table, "the chain trigger is disabled"))
            last_seq, last_hash = _verify_links(cursor, table, breaks)
            report.rows_checked += _verify_rows(cursor, quote, table, breaks)
            if table in previous_heads:
                seq, hex_hash = previous_heads[table]
                cursor.execute(
                    f"SELECT chain_hash FROM {LINK_TABLE} WHERE table_name = %s AND seq = %s",
                    [table, seq],
                )
                found = cursor.fetchone()
                if found is None or bytes(found[0]).hex() != hex_hash:
                    breaks.append(_break(
                        table, f"link {seq} no longer has the hash the last verification "
                               "recorded: the chain was rewritten", seq=seq))
            if last_seq:
                report.heads[table] = [last_seq, last_hash.hex()]
            report.breaks.extend(breaks)
    return report
