"""The datasets: what each app declares in its ``<app>/exports.py`` and how rows are read.

A dataset is a list of variables (stable export names, labels, types, units, codes) and either a
queryset (read as tuples with ``values_list(...).iterator()``: a server-side cursor, no model
instances) or, for derived data, a function that yields rows. The exports app knows no clinical
model: each app registers its own datasets, discovered by ``ExportsConfig.ready``.

Every model dataset ends with the same bookkeeping variables (``record_id``, ``version``,
``updated_at``, ``voided``), so an incremental pull (``updated_since``) can replace changed rows
and drop voided ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connections, transaction
from django.db.models import Case, F, Func, IntegerField, TextField, Value, When
from django.db.models.functions import Cast

from trialsite.access import site_filter
from trialsite.csv_safety import neutralise_sql
from trialsite.models import CLINICAL_READ_ROLES


class DatasetError(ValueError):
    """A filter the dataset cannot apply; the API answers 400 with the message."""


@dataclass(frozen=True)
class Var:
    """One exported variable. ``source`` is an ORM path or expression (model datasets)."""

    name: str
    label: str
    type: str = "text"  # text | integer | decimal | date | datetime | boolean (0/1)
    source: object = None
    unit: str = ""
    codes: tuple[tuple[str, str], ...] = ()
    description: str = ""

    def expression(self):
        source = self.source if self.source is not None else self.name
        if isinstance(source, str):
            source = F(source)
        if self.type == "boolean":
            # 0/1 on every database, as statistics packages read them.
            return Cast(source, IntegerField())
        return source


def codes_of(choices) -> tuple[tuple[str, str], ...]:
    """Allowed codes from Django ``choices`` (a TextChoices class or pairs)."""
    pairs = getattr(choices, "choices", choices)
    return tuple((str(code), str(label)) for code, label in pairs)


def subject_keys(patient: str = "patient__") -> tuple[Var, ...]:
    """``study``, ``site`` and ``subject_id``: the first variables of a patient's rows."""
    return (
        Var("study", "Study code", source=f"{patient}site__study__code"),
        Var("site", "Site code", source=f"{patient}site__code"),
        Var("subject_id", "Subject id (pseudonym)", source=f"{patient}subject_id"),
    )


def bookkeeping(prefix: str = "") -> tuple[Var, ...]:
    """The variables every model dataset ends with."""
    return (
        Var("record_id", "Record id (unique within the dataset)", "integer", f"{prefix}id"),
        Var("version", "Record version (1 at creation, +1 per change)", "integer",
            f"{prefix}version"),
        Var("updated_at", "Last change (UTC)", "datetime", f"{prefix}updated_at"),
        Var("voided", "Voided (1) or current (0)", "boolean",
            Case(When(**{f"{prefix}voided_at__isnull": True}, then=Value(0)), default=Value(1),
                 output_field=IntegerField())),
    )


@dataclass(frozen=True)
class Source:
    """One table of a model dataset (a dataset made of several is their ``UNION ALL``)."""

    queryset: Callable[[], object]
    variables: tuple[Var, ...]
    site_path: str
    #: Path to the study (code) for the ``study`` filter.
    study_path: str = ""
    updated_path: str = "updated_at"
    voided_path: str = "voided_at"
    #: Path to the patient, so the ODM writer can read a chunk of subjects at a time.
    patient_path: str = "patient"
    #: Path to the subject id, for the audit trail ("": the records belong to no patient).
    subject_path: str = "patient__subject_id"


@dataclass(frozen=True)
class Dataset:
    name: str
    label: str
    description: str
    variables: tuple[Var, ...]
    #: Model datasets: one or more sources with the same variables, in the same order.
    sources: tuple[Source, ...] = ()
    #: Variable names the rows are sorted by (the last ones make the order unique).
    order_by: tuple[str, ...] = ()
    #: Derived datasets: ``rows(user, filters)`` yields tuples in variable order.
    rows: Callable | None = None
    roles: frozenset = CLINICAL_READ_ROLES
    #: Whether ``updated_since`` applies (derived datasets are recomputed whole).
    incremental: bool = True
    #: Date range filter (``date_from``/``date_to``) on this path, e.g. the audit trail's date.
    date_path: str = ""
    #: The form this dataset is in the ODM file (``""``: not in the ODM clinical data).
    odm_form: str = ""
    odm_repeating: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables)

    def variable(self, name) -> Var:
        for var in self.variables:
            if var.name == name:
                return var
        raise KeyError(name)


@dataclass(frozen=True)
class Filters:
    site: str | None = None
    study: str | None = None
    updated_since: datetime | None = None
    date_from: object = None
    date_to: object = None
    #: Restrict to these patient ids (the ODM writer reads a chunk of subjects at a time).
    patient_ids: tuple | None = None

    def admits(self, patient):
        """Whether a patient (with its site and study loaded) passes the site, study and
        patient filters: what derived datasets, computed per patient, apply."""
        return ((not self.site or patient.site.code == self.site)
                and (not self.study or patient.site.study.code == self.study)
                and (self.patient_ids is None or patient.pk in self.patient_ids))


_DATASETS: dict[str, Dataset] = {}
#: Files a data package carries beside the datasets: ``provider(user)`` yields
#: ``(path in the zip, callable returning byte chunks)`` for what the user may see.
_ATTACHMENTS: list[Callable] = []


def register_attachments(provider):
    if provider not in _ATTACHMENTS:
        _ATTACHMENTS.append(provider)


def attachments_for(user):
    for provider in _ATTACHMENTS:
        yield from provider(user)


def register(dataset: Dataset) -> Dataset:
    if dataset.name in _DATASETS and _DATASETS[dataset.name] != dataset:
        raise ValueError(f"dataset {dataset.name!r} is registered twice")
    for source in dataset.sources:
        if tuple(v.name for v in source.variables) != dataset.names:
            raise ValueError(f"{dataset.name}: every source must give the dataset's variables")
    _DATASETS[dataset.name] = dataset
    return dataset


def all_datasets() -> tuple[Dataset, ...]:
    return tuple(sorted(_DATASETS.values(), key=lambda d: _ORDER.get(d.name, (1, d.name))))


def get_dataset(name) -> Dataset:
    try:
        return _DATASETS[name]
    except KeyError:
        raise KeyError(name) from None


#: The documented order of datasets in listings, the dictionary and packages.
_ORDER = {name: (0, i) for i, name in enumerate((
    "subjects", "screening", "visits", "vital_signs", "performance_status", "labs",
    "drug_exposure", "adverse_events", "concomitant_medications", "survival_status",
    "tumour_lesions", "tumour_measurements", "responses", "endpoints", "samples", "aliquots",
    "shipments", "queries", "audit_trail",
))}


def _alias(i):
    return f"x_{i}"


def visible_records(dataset: Dataset, source: Source, user):
    """The source's records (model instances) the user may see in this dataset."""
    return source.queryset().filter(site_filter(user, roles=dataset.roles,
                                                prefix=source.site_path))


class NeutraliseFormula(Func):
    """A text column as CSV may carry it: formula-looking text gets a leading ``'``."""

    output_field = TextField()

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return neutralise_sql(sql), (*params, *params, *params)


def source_queryset(dataset: Dataset, source: Source, user, filters: Filters, csv_safe=False):
    """The filtered queryset of one source, as ``values_list`` of the dataset's variables.

    ``csv_safe`` neutralises the text columns for a CSV written by the database (COPY).
    """
    qs = visible_records(dataset, source, user)
    if filters.site:
        qs = qs.filter(**{f"{source.site_path}__code": filters.site})
    if filters.study and source.study_path:
        qs = qs.filter(**{f"{source.study_path}__code": filters.study})
    if filters.updated_since is not None:
        # Incremental: whatever changed, voided rows included (flagged ``voided``).
        qs = qs.filter(**{f"{source.updated_path}__gte": filters.updated_since})
    elif source.voided_path:
        qs = qs.filter(**{f"{source.voided_path}__isnull": True})
    if dataset.date_path:
        if filters.date_from is not None:
            qs = qs.filter(**{f"{dataset.date_path}__date__gte": filters.date_from})
        if filters.date_to is not None:
            qs = qs.filter(**{f"{dataset.date_path}__date__lte": filters.date_to})
    if filters.patient_ids is not None and source.patient_path:
        qs = qs.filter(**{f"{source.patient_path}__in": filters.patient_ids})
    annotations = {
        _alias(i): NeutraliseFormula(var.expression()) if csv_safe and var.type == "text"
        else var.expression()
        for i, var in enumerate(source.variables)
    }
    return qs.annotate(**annotations).values_list(*annotations).order_by()


def dataset_queryset(dataset: Dataset, user, filters: Filters, csv_safe=False):
    """All sources' rows in the dataset's stable order (a ``UNION ALL`` for several)."""
    if filters.updated_since is not None and not dataset.incremental:
        raise DatasetError(f"{dataset.name} is derived and always exported whole: "
                           "leave out updated_since.")
    parts = [source_queryset(dataset, s, user, filters, csv_safe) for s in dataset.sources]
    qs = parts[0] if len(parts) == 1 else parts[0].union(*parts[1:], all=True)
    index = {name: i for i, name in enumerate(dataset.names)}
    return qs.order_by(*(_alias(index[name]) for name in dataset.order_by))


CHUNK_SIZE = 2000


def iter_rows(dataset: Dataset, user, filters: Filters) -> Iterable[tuple]:
    """The dataset's rows as tuples, streamed from the database."""
    if dataset.rows is not None:
        if filters.updated_since is not None and not dataset.incremental:
            raise DatasetError(f"{dataset.name} is derived and always exported whole: "
                               "leave out updated_since.")
        return dataset.rows(user, filters)
    return _stream(dataset_queryset(dataset, user, filters))


def csv_stream(dataset: Dataset, user, filters: Filters):
    """The dataset as CSV byte chunks: PostgreSQL writes model datasets itself (COPY), other
    databases and derived datasets go through the csv module."""
    from trialsite.exports.streaming import copy_csv_chunks, csv_chunks

    if dataset.rows is None:
        queryset = dataset_queryset(dataset, user, filters, csv_safe=True)
        if connections[queryset.db].vendor == "postgresql":
            return copy_csv_chunks(dataset.names, queryset)
    return csv_chunks(dataset.names, iter_rows(dataset, user, filters))


def _stream(queryset):
    """Rows through a server-side cursor. On PostgreSQL the cursor lives in a transaction:
    outside one Django declares it WITH HOLD, and PostgreSQL then computes the whole result
    before the first row goes out. (SQLite has no server-side cursors, and a transaction there
    would take the write lock for the length of the download.)"""
    if connections[queryset.db].vendor != "postgresql":
        yield from queryset.iterator(chunk_size=CHUNK_SIZE)
        return
    with transaction.atomic(using=queryset.db):
        yield from queryset.iterator(chunk_size=CHUNK_SIZE)
