"""The whole study as CDISC ODM 1.3.2, written incrementally (constant memory).

Study metadata comes from the declarations: study events from the protocol's visit schedule,
one form (with one item group) per dataset that has an ``odm_form``, items and code lists from
the dataset variables. Clinical data are read a chunk of subjects at a time through the same
datasets as the CSV exports (so the same visibility rules apply) and written subject by subject:
subject-level forms under the "Subject" event, visit forms under their visit's event. On
PostgreSQL each form's item groups are built by the database (``_Form.groups_sql``), elsewhere
in Python (``_Form.groups``): the same bytes, which a test checks. The whole file is read from
one snapshot (``trialsite.exports.snapshot``).

``audit=True`` adds the study's audit trail as ``AuditRecords`` (one ``AuditRecord`` per
history row: user, site, time, reason and the record it concerns).
"""

from __future__ import annotations

import functools
import io
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from django.db import connections
from lxml import etree

from trialsite.access import has_study_role, sites_visible_to, studies_visible_to
from trialsite.exports.registry import (
    Filters,
    all_datasets,
    dataset_queryset,
    get_dataset,
    iter_rows,
    visible_records,
)
from trialsite.exports.snapshot import snapshot
from trialsite.models import Membership, Role

#: Roles that see every account of a study in the ODM ``AdminData``. Other roles (sponsor,
#: site staff, central laboratory) get only the accounts named by the audit records they get.
USER_LIST_ROLES = (Role.DATA_MANAGER, Role.MONITOR)


def sees_users(user, study):
    """Whether ``user`` may receive the login names of ``study``'s accounts in ODM."""
    return user.is_superuser or any(has_study_role(user, role, study)
                                    for role in USER_LIST_ROLES)

ODM_NS = "http://www.cdisc.org/ns/odm/v1.3"
SUBJECTS_PER_CHUNK = 100
KEY_VARIABLES = frozenset({"study", "site", "subject_id", "visit_code"})
SUBJECT_EVENT = "SE.SUBJECT"
_DATA_TYPES = {"text": "text", "integer": "integer", "decimal": "float", "date": "date",
               "datetime": "datetime", "boolean": "integer"}


def _oid(text):
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in str(text)).upper()


def item_oid(dataset, var):
    return f"IT.{_oid(dataset.name)}.{_oid(var.name)}"


def odm_datasets():
    return tuple(d for d in all_datasets() if d.odm_form)


def _visit_level(dataset):
    return "visit_code" in dataset.names


def _text(xf, tag, text, **attrs):
    with xf.element(tag, **attrs), xf.element("TranslatedText"):
        xf.write(text)


def _events(protocol):
    """(OID, name, repeating, type) of each study event the protocol's schedule declares."""
    events = [(SUBJECT_EVENT, "Subject (not tied to a visit)", "No", "Common")]
    schedule = protocol.schedule
    if schedule is None:
        return events
    for visit in schedule.visits:
        events.append((f"SE.{_oid(visit.code)}", visit.label, "No", "Scheduled"))
    if schedule.repeat is not None:
        events.append(("SE.REPEATING", "Repeating visit", "Yes", "Scheduled"))
    if schedule.end_of_treatment is not None:
        events.append(("SE.EOT", "End of treatment", "No", "Scheduled"))
    if schedule.follow_up is not None:
        events.append(("SE.FOLLOW_UP", "Follow-up", "Yes", "Scheduled"))
    events.append(("SE.UNSCHEDULED", "Unscheduled visit", "Yes", "Unscheduled"))
    return events


def _event_of(kind, code, fixed):
    """(StudyEventOID, repeat key) of a visit."""
    if kind == "scheduled" and code in fixed:
        return f"SE.{_oid(code)}", None
    return {"repeating": "SE.REPEATING", "end_of_treatment": "SE.EOT",
            "follow_up": "SE.FOLLOW_UP"}.get(kind, "SE.UNSCHEDULED"), code


def _metadata(xf, study, datasets, units):
    protocol = study.protocol
    events = _events(protocol)
    subject_forms = [d for d in datasets if not _visit_level(d)]
    visit_forms = [d for d in datasets if _visit_level(d)]
    with xf.element("MetaDataVersion", OID="MDV.1", Name=f"{study.code} export metadata"):
        with xf.element("Protocol"):
            for i, (oid, _, _, _) in enumerate(events, 1):
                xf.write(etree.Element("StudyEventRef", StudyEventOID=oid, OrderNumber=str(i),
                                       Mandatory="No"))
        for oid, name, repeating, kind in events:
            forms = subject_forms if oid == SUBJECT_EVENT else visit_forms
            with xf.element("StudyEventDef", OID=oid, Name=name, Repeating=repeating, Type=kind):
                for d in forms:
                    xf.write(etree.Element("FormRef", FormOID=f"F.{_oid(d.odm_form)}",
                                           Mandatory="No"))
        for d in datasets:
            with xf.element("FormDef", OID=f"F.{_oid(d.odm_form)}", Name=d.label,
                            Repeating="No"):
                xf.write(etree.Element("ItemGroupRef", ItemGroupOID=f"IG.{_oid(d.odm_form)}",
                                       Mandatory="No"))
        for d in datasets:
            with xf.element("ItemGroupDef", OID=f"IG.{_oid(d.odm_form)}", Name=d.label,
                            Repeating="Yes" if d.odm_repeating else "No"):
                for var in d.variables:
                    if var.name not in KEY_VARIABLES:
                        xf.write(etree.Element("ItemRef", ItemOID=item_oid(d, var),
                                               Mandatory="No"))
        for d in datasets:
            for var in d.variables:
                if var.name in KEY_VARIABLES:
                    continue
                with xf.element("ItemDef", OID=item_oid(d, var), Name=var.name,
                                DataType=_DATA_TYPES[var.type]):
                    _text(xf, "Description", var.label)
                    if var.unit:
                        xf.write(etree.Element("MeasurementUnitRef",
                                               MeasurementUnitOID=units[var.unit]))
                    if var.codes:
                        xf.write(etree.Element("CodeListRef",
                                               CodeListOID=f"CL.{_oid(d.name)}.{_oid(var.name)}"))
        for d in datasets:
            for var in d.variables:
                if var.codes and var.name not in KEY_VARIABLES:
                    with xf.element("CodeList", OID=f"CL.{_oid(d.name)}.{_oid(var.name)}",
                                    Name=var.label,
                                    DataType="integer" if var.type == "integer" else "text"):
                        for code, label in var.codes:
                            with xf.element("CodeListItem", CodedValue=code):
                                _text(xf, "Decode", label)


def _study(xf, study, datasets, units):
    with xf.element("Study", OID=f"S.{_oid(study.code)}"):
        with xf.element("GlobalVariables"):
            with xf.element("StudyName"):
                xf.write(study.code)
            with xf.element("StudyDescription"):
                xf.write(study.title)
            with xf.element("ProtocolName"):
                xf.write(study.registry_id)
        if units:
            with xf.element("BasicDefinitions"):
                for unit, oid in units.items():
                    with xf.element("MeasurementUnit", OID=oid, Name=unit):
                        _text(xf, "Symbol", unit)
        _metadata(xf, study, datasets, units)


def _acting_users(user, studies, filters):
    """Login names acting in the audit trail ``user`` receives for ``studies`` (one query per
    history table): what the audit records of this file refer to, and nothing more."""
    trail = get_dataset("audit_trail")
    names = set()
    for source in trail.sources:
        records = visible_records(trail, source, user).filter(
            **{f"{source.study_path}__in": studies})
        if filters.site:
            records = records.filter(**{f"{source.site_path}__code": filters.site})
        names.update(records.exclude(history_user__isnull=True)
                     .values_list("history_user__username", flat=True).distinct())
    return names


def _admin(xf, studies, sites, user, *, audit, filters):
    """Users and locations. Every account of a study is listed only to the roles that may see
    them (``USER_LIST_ROLES``); other roles get only the accounts their audit records name."""
    listed = [study for study in studies if sees_users(user, study)]
    users = set(Membership.objects.filter(study__in=listed)
                .values_list("user__username", flat=True))
    others = [study for study in studies if study not in listed]
    if audit and others:
        users |= _acting_users(user, others, filters)
    users = sorted(users)
    with xf.element("AdminData"):
        for username in dict.fromkeys(("system", "unknown", *users)):
            with xf.element("User", OID=f"U.{_oid(username)}"), xf.element("LoginName"):
                xf.write(username)
        for site in sites:
            with xf.element("Location", OID=f"L.{_oid(site.code)}", Name=site.name):
                xf.write(etree.Element(
                    "MetaDataVersionRef", StudyOID=f"S.{_oid(site.study.code)}",
                    MetaDataVersionOID="MDV.1", EffectiveDate=site.study.created_at.date()
                    .isoformat()))


# Characters XML 1.0 does not allow (dropped), and those an attribute value must escape.
_INVALID_XML = "".join(map(chr, (*range(1, 9), 11, 12, *range(14, 32), 0xFFFE, 0xFFFF)))
_DROP_INVALID = str.maketrans("", "", "\x00" + _INVALID_XML)
_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("\n", "&#10;"),
            ("\r", "&#13;"), ("\t", "&#9;"))
_NEEDS_ESCAPE = "[" + "".join(c for c, _ in _ESCAPES) + _INVALID_XML + "]"


def _attr(text):
    """``text`` as an attribute value: escaped, and line breaks and tabs kept as character
    references (a parser would otherwise turn them into spaces)."""
    text = text.translate(_DROP_INVALID)
    for char, entity in _ESCAPES:
        if char in text:
            text = text.replace(char, entity)
    return text


def _attr_sql(expression):
    """SQL for :func:`_attr` applied to a text ``expression`` (one parameter: the invalid
    characters)."""
    sql = f"translate({expression}, %s, '')"
    for char, entity in _ESCAPES:
        literal = {"\n": "E'\\n'", "\r": "E'\\r'", "\t": "E'\\t'"}.get(char, f"'{char}'")
        sql = f"replace({sql}, {literal}, '{entity}')"
    return sql


def _iso(value):
    """A value as the text ODM holds: ISO 8601 for dates and times (fractions of a second
    without trailing zeros, as PostgreSQL writes them), decimals without an exponent."""
    if isinstance(value, datetime):
        text = value.isoformat()
        if value.microsecond:
            head, _, rest = text.partition(".")
            digits, zone = rest[:6].rstrip("0"), rest[6:]
            text = f"{head}.{digits}{zone}"
        return text
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


class _Form:
    """How one dataset is written as an ODM form: its item group's start tag and, per
    non-key variable, its column and the ``<ItemData …`` text before the value."""

    def __init__(self, dataset):
        self.dataset = dataset
        self.oid = _oid(dataset.odm_form)
        names = dataset.names
        self.subject = names.index("subject_id")
        self.visit = names.index("visit_code") if "visit_code" in names else None
        self.items = [(i, v.type, f'<ItemData ItemOID="{item_oid(dataset, v)}" Value="')
                      for i, v in enumerate(dataset.variables) if v.name not in KEY_VARIABLES]
        self.group_start = f'<ItemGroupData ItemGroupOID="IG.{self.oid}"'

    def groups(self, rows):
        """``(subject_id, visit_code or "", <FormData> text)`` per subject and visit, from
        the dataset's rows (in the dataset's order)."""
        grouped = defaultdict(list)
        for row in rows:
            visit = (row[self.visit] or "") if self.visit is not None else ""
            grouped[row[self.subject], visit].append(row)
        repeating = self.dataset.odm_repeating
        for (subject, visit), members in grouped.items():
            out = [f'<FormData FormOID="F.{self.oid}">']
            for n, row in enumerate(members, 1):
                key = f' ItemGroupRepeatKey="{n}"' if repeating else ""
                out.append(f"{self.group_start}{key}>")
                for i, kind, start in self.items:
                    value = row[i]
                    if value is None or value == "":
                        continue
                    text = _attr(str(value)) if kind == "text" else _iso(value)
                    out.append(f'{start}{text}"/>')
                out.append("</ItemGroupData>")
            out.append("</FormData>")
            yield subject, visit, "".join(out)

    def groups_sql(self, queryset):
        """:meth:`groups` computed by PostgreSQL from the dataset's query: the values are
        turned into text, escaped and wrapped in their elements by the database, so the
        millions of ``ItemData`` of a large study never pass through Python one by one."""
        from django.core.exceptions import EmptyResultSet

        try:
            inner, params = queryset.query.sql_with_params()
        except EmptyResultSet:
            return []
        params = list(params)
        col = [f't."x_{i}"' for i in range(len(self.dataset.variables))]
        subject = col[self.subject]
        visit = f"COALESCE({col[self.visit]}, '')" if self.visit is not None else "''"
        index = {name: i for i, name in enumerate(self.dataset.names)}
        order = ", ".join(col[index[name]] for name in self.dataset.order_by) or subject
        parts = [f"'{self.group_start}'"]
        if self.dataset.odm_repeating:
            parts.append("' ItemGroupRepeatKey=\"' || (row_number() OVER w)::text || '\"'")
        parts.append("'>'")
        item_params = []
        for i, kind, start in self.items:
            if kind == "text":
                # Most values need no escaping: a regular expression tells which do.
                item_params += [_NEEDS_ESCAPE, _INVALID_XML]
                value = f"{col[i]}::text"
                parts.append(f"CASE WHEN {value} <> '' THEN '{start}' || CASE WHEN {value} ~ %s "
                             f"THEN {_attr_sql(value)} ELSE {value} END || '\"/>' ELSE '' END")
            else:
                text = (f"(to_json({col[i]}) #>> '{{}}')" if kind in ("date", "datetime")
                        else f"{col[i]}::text")
                parts.append(f"COALESCE('{start}' || {text} || '\"/>', '')")
        parts.append("'</ItemGroupData>'")
        sql = (f"SELECT s, v, '<FormData FormOID=\"F.{self.oid}\">' || "
               f"string_agg(g, '' ORDER BY n) || '</FormData>' FROM ("
               f"SELECT {subject} AS s, {visit} AS v, row_number() OVER w AS n, "
               f"{' || '.join(parts)} AS g FROM ({inner}) t "
               f"WINDOW w AS (PARTITION BY {subject}, {visit} ORDER BY {order})"
               f") f GROUP BY s, v")
        with connections[queryset.db].cursor() as cursor:
            cursor.execute(sql, [*item_params, *params])
            return cursor.fetchall()


#: Whether PostgreSQL writes the item groups (tests compare both ways on PostgreSQL).
WRITE_IN_DATABASE = True


def _form_groups(form, user, filters):
    dataset = form.dataset
    if dataset.rows is None:
        queryset = dataset_queryset(dataset, user, filters)
        if WRITE_IN_DATABASE and connections[queryset.db].vendor == "postgresql":
            return form.groups_sql(queryset)
    return form.groups(iter_rows(dataset, user, filters))


def _subjects_chunks(user, study, filters):
    subjects = get_dataset("subjects")
    rows = iter_rows(subjects, user, Filters(site=filters.site, study=study.code))
    record = subjects.names.index("record_id")
    chunk = []
    for row in rows:
        chunk.append((row[1], row[2], row[record]))
        if len(chunk) == SUBJECTS_PER_CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _clinical(xf, user, study, datasets, filters, buffer):
    fixed = {v.code for v in study.protocol.schedule.visits} if study.protocol.schedule else set()
    visits = get_dataset("visits")
    v_subject, v_code, v_kind = (visits.names.index(n) for n in ("subject_id", "visit_code",
                                                                   "kind"))
    forms = [_Form(d) for d in datasets]
    study_filters = Filters(site=filters.site, study=study.code)
    # Derived datasets are computed once for the study, not per chunk of subjects.
    derived = {}
    for n, form in enumerate(forms):
        if form.dataset.rows is not None:
            for subject, visit, text in _form_groups(form, user, study_filters):
                derived.setdefault(subject, []).append((visit, n, text))
    with xf.element("ClinicalData", StudyOID=f"S.{_oid(study.code)}", MetaDataVersionOID="MDV.1"):
        xf.flush()
        for chunk in _subjects_chunks(user, study, filters):
            chunk_filters = Filters(site=filters.site, study=study.code,
                                    patient_ids=tuple(pk for _, _, pk in chunk))
            events = defaultdict(dict)
            for row in iter_rows(visits, user, chunk_filters):
                events[row[v_subject]][row[v_code]] = _event_of(row[v_kind], row[v_code], fixed)
            # subject → [(visit code, form number, <FormData> text)]
            data = defaultdict(list)
            for n, form in enumerate(forms):
                if form.dataset.rows is None:
                    for subject, visit, text in _form_groups(form, user, chunk_filters):
                        data[subject].append((visit, n, text))
            for site_code, subject_id, _ in chunk:
                # Written as text straight into the output, between the elements lxml writes
                # (flushed above): the same markup, many times faster.
                buffer.write(_subject(subject_id, site_code,
                                      data.pop(subject_id, []) + derived.get(subject_id, []),
                                      events[subject_id]).encode())
            yield buffer


def _subject(subject_id, site_code, forms, events):
    """A subject's ``SubjectData``: the subject-level forms first, then the visits' events in
    visit order, then events of visit codes the schedule does not know (by code); within an
    event, forms in dataset order."""
    by_event = defaultdict(list)
    for visit, n, text in forms:
        event = (events.get(visit, ("SE.UNSCHEDULED", visit)) if visit
                 else (SUBJECT_EVENT, None))
        by_event[event].append((n, text))
    known = [(SUBJECT_EVENT, None), *events.values()]
    seen = set(known)
    order = known + sorted(e for e in by_event if e not in seen)
    out = [f'<SubjectData SubjectKey="{_attr(subject_id)}">'
           f'<SiteRef LocationOID="L.{_oid(site_code)}"/>']
    for event in order:
        texts = by_event.get(event)
        if not texts:
            continue
        oid, key = event
        repeat = f' StudyEventRepeatKey="{_attr(key)}"' if key else ""
        out.append(f'<StudyEventData StudyEventOID="{oid}"{repeat}>')
        out.extend(text for _, text in sorted(texts, key=lambda t: t[0]))
        out.append("</StudyEventData>")
    out.append("</SubjectData>")
    return "".join(out)


def _audit_records(xf, user, study, filters, buffer):
    """One ``AuditRecord`` per history row, written as text like the clinical data."""
    trail = get_dataset("audit_trail")
    index = trail.names.index
    who, site, when, reason, table, record, action, subject = (index(n) for n in (
        "user", "site", "changed_at", "reason", "table", "record_id", "action", "subject_id"))
    oid = functools.lru_cache(maxsize=4096)(_oid)
    prefix = f'<AuditRecord ID="AR.{_oid(study.code)}.'
    with xf.element("AuditRecords"):
        xf.flush()
        out = []
        rows = iter_rows(trail, user, Filters(site=filters.site, study=study.code))
        for n, row in enumerate(rows, 1):
            why = (f"<ReasonForChange>{_attr(row[reason])}</ReasonForChange>" if row[reason]
                   else "")
            source = _attr(f"{row[table]}:{row[record]}:{row[action]}:{row[subject]}")
            out.append(f'{prefix}{n}"><UserRef UserOID="U.{oid(row[who] or "unknown")}"/>'
                       f'<LocationRef LocationOID="L.{oid(row[site])}"/>'
                       f"<DateTimeStamp>{_iso(row[when])}</DateTimeStamp>{why}"
                       f"<SourceID>{source}</SourceID></AuditRecord>")
            if n % 2000 == 0:
                buffer.write("".join(out).encode())
                out.clear()
                yield buffer
        buffer.write("".join(out).encode())
        yield buffer


class _Drain(io.RawIOBase):
    """A write target that keeps what was written until ``take()``."""

    def __init__(self):
        self.parts = []

    def writable(self):
        return True

    def write(self, data):
        self.parts.append(bytes(data))
        return len(data)

    def take(self):
        out = b"".join(self.parts)
        self.parts.clear()
        return out


def odm_chunks(user, *, data_cut, filters=None, audit=False):
    """The ODM document as a stream of byte chunks, read from one snapshot of the database."""
    with snapshot():
        yield from _odm_chunks(user, data_cut, filters or Filters(), audit)


def _odm_chunks(user, data_cut, filters, audit):
    datasets = odm_datasets()
    studies = list(studies_visible_to(user).order_by("code"))
    if filters.study:
        studies = [s for s in studies if s.code == filters.study]
    sites = list(sites_visible_to(user).filter(study__in=studies).select_related("study")
                 .order_by("code"))
    units = {}
    for d in datasets:
        for var in d.variables:
            if var.unit and var.name not in KEY_VARIABLES:
                units.setdefault(var.unit, f"MU.{len(units) + 1}")
    buffer = _Drain()
    with etree.xmlfile(buffer, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element("ODM", nsmap={None: ODM_NS}, FileType="Snapshot",
                        FileOID=f"trialsite.{data_cut:%Y%m%dT%H%M%S}", ODMVersion="1.3.2",
                        CreationDateTime=data_cut.isoformat(), AsOfDateTime=data_cut.isoformat(),
                        Granularity="All", SourceSystem="trialsite"):
            for study in studies:
                _study(xf, study, datasets, units)
            _admin(xf, studies, sites, user, audit=audit, filters=filters)
            xf.flush()
            yield buffer.take()
            for study in studies:
                for _ in _clinical(xf, user, study, datasets, filters, buffer):
                    yield buffer.take()
                if audit:
                    # ClinicalData ends before its AuditRecords can start: reopen per study.
                    with xf.element("ClinicalData", StudyOID=f"S.{_oid(study.code)}",
                                    MetaDataVersionOID="MDV.1"):
                        for _ in _audit_records(xf, user, study, filters, buffer):
                            yield buffer.take()
    yield buffer.take()
