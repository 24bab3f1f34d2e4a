"""The files of the import, one declaration each (a module per file): columns (types, coded
lists, required or optional) and the rules of its rows, read by the loop of ``check.py``.
Adding a file is adding its declaration to ``SCHEMAS`` (see ``schema.py`` for the
vocabulary).

The rules are the services' and the domain's own: registration, the eligibility engine, the
enrolment plan, the line rules, the adverse event and survival rules (docs/real-world-import.md).
Rules that need more than a row are steps declared with their file: a subject's schedule (the
file of subjects), one screening per subject and the engine's verdict (screening), the death
against every contact and the visit of each contact (follow-ups), the rules over all of a
patient's lines (lines of therapy).
"""

from outcomes.realworld.importer.files.collected_items import ITEMS, ITEMS_FILE
from outcomes.realworld.importer.files.comorbidities import COMORBIDITIES, COMORBIDITIES_FILE
from outcomes.realworld.importer.files.follow_ups import FOLLOW_UPS, FOLLOW_UPS_FILE
from outcomes.realworld.importer.files.screening import SCREENING, SCREENING_FILE
from outcomes.realworld.importer.files.subjects import SUBJECTS, SUBJECTS_FILE
from outcomes.realworld.importer.files.toxicities import SAE_COLUMNS, TOXICITIES, TOXICITIES_FILE
from outcomes.realworld.importer.files.treatment_lines import DRUG_SEPARATOR, LINES, LINES_FILE

#: Every file of the import, in the order the page lists them.
SCHEMAS = (SUBJECTS_FILE, SCREENING_FILE, LINES_FILE, TOXICITIES_FILE, FOLLOW_UPS_FILE,
           COMORBIDITIES_FILE, ITEMS_FILE)
FILES = tuple(schema.name for schema in SCHEMAS)
REQUIRED_FILES = tuple(schema.name for schema in SCHEMAS if schema.required)
#: Files of what only a study with a real-world plan collects.
REAL_WORLD_FILES = tuple(schema.name for schema in SCHEMAS if schema.real_world)

__all__ = [
    "COMORBIDITIES", "DRUG_SEPARATOR", "FILES", "FOLLOW_UPS", "ITEMS", "LINES",
    "REAL_WORLD_FILES", "REQUIRED_FILES", "SAE_COLUMNS", "SCHEMAS", "SCREENING", "SUBJECTS",
    "TOXICITIES",
]
