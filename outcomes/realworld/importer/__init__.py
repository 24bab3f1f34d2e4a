"""Retrospective import of real-world data: CSV files in, every problem or every record out.

load → check → persist. Each file is declared as a row schema in ``files/`` (columns, types,
coded lists, the rules of its rows, in the vocabulary of ``schema.py``); ``check.check`` reads
every row of every file through that one loop, applying the rules the services and the domain
apply (registration, eligibility engine, enrolment plan, line rules, adverse event and survival
rules), and returns every problem as (file, row, column, message). Only when there is none does
``persist.persist`` write, in one transaction, with bulk writes that keep each record's history
row (``bulk_create_audited``): the history user is the importing data manager and the reason
``Imported from <file> sha256:<hex>`` of the file the record came from.

What an import creates is what the services would leave for the same patient, in its final
state: the patient (status enrolled, or off study after a death), the screening with its
computed verdict, the enrolment, the visit schedule of ``visits.domain.schedule`` (visits
after a death cancelled), lines of therapy, adverse events and survival contacts on their
visits, with the visits' entered forms and status as the form services set them. Each record
gets one history row (its creation, by the import), not the steps a page would have taken.

Eligibility of an imported patient is the engine's verdict on the imported values (it must be
ELIGIBLE); no investigator signature is invented: the screening is stored unconfirmed and the
enrolment's history says it came from the import. See docs/real-world-import.md.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from outcomes.realworld.importer.check import check
from outcomes.realworld.importer.files import (
    COMORBIDITIES,
    DRUG_SEPARATOR,
    FILES,
    FOLLOW_UPS,
    ITEMS,
    LINES,
    REAL_WORLD_FILES,
    REQUIRED_FILES,
    SAE_COLUMNS,
    SCHEMAS,
    SCREENING,
    SUBJECTS,
    TOXICITIES,
)
from outcomes.realworld.importer.persist import persist
from outcomes.realworld.importer.sources import ImportRefused, Problem, SourceFile, read_file
from trialsite import access
from trialsite.models import Role
from visits.crf.selectors import site_today

__all__ = [
    "COMORBIDITIES", "DRUG_SEPARATOR", "FILES", "FOLLOW_UPS", "ITEMS", "LINES",
    "REAL_WORLD_FILES", "REQUIRED_FILES", "SAE_COLUMNS", "SCHEMAS", "SCREENING", "SUBJECTS",
    "TOXICITIES", "ImportRefused", "Problem", "SourceFile", "can_import", "check",
    "import_real_world", "persist", "read_file",
]


def can_import(user, study):
    """Only the study's data managers import (a superuser too)."""
    return user.is_superuser or access.has_study_role(user, Role.DATA_MANAGER, study)


def import_real_world(*, actor, study, files, today=None, progress=None):
    """Check ``files`` ({file name: bytes}) and, only if every row is valid, save them all.

    Returns a summary dict; raises ``ImportRefused`` with every problem otherwise.
    """
    if not can_import(actor, study):
        raise PermissionDenied("Only the study's data managers import real-world data.")
    progress = progress or (lambda fraction, stage: None)
    if today is None:
        today = min(site_today(site) for site in study.sites.all())
    sources, problems = {}, []
    for name, content in files.items():
        try:
            sources[name] = read_file(name, content)
        except ImportRefused as exc:
            problems.extend(exc.problems)
    if problems:
        raise ImportRefused(problems)
    progress(0.02, "checking")
    problems, subjects = check(study=study, sources=sources, today=today)
    if problems:
        raise ImportRefused(problems)
    progress(0.1, "saving")
    counts = persist(actor=actor, study=study, sources=sources, subjects=subjects, today=today,
                     progress=lambda f, stage: progress(0.1 + 0.9 * f, stage))
    progress(1.0, "done")
    return {
        "study": study.code,
        "imported_by": actor.username,
        "at": timezone.now().isoformat(timespec="seconds"),
        "files": {name: {"sha256": s.sha256, "rows": len(s.rows)}
                  for name, s in sorted(sources.items())},
        "created": counts,
    }
