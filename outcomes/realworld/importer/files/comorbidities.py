"""comorbidities.csv: baseline comorbidities, coded from the real-world plan's list, each at most
once per patient, "other" with its details."""

from __future__ import annotations

from outcomes.models import Comorbidity
from outcomes.realworld.importer.schema import (
    FileSchema,
    choice,
    once_per_subject,
    other_needs_details,
    text,
)

COMORBIDITIES = "comorbidities.csv"

COMORBIDITIES_FILE = FileSchema(
    COMORBIDITIES, real_world=True,
    columns=(
        choice("comorbidity", lambda context: {c.code for c in
                                               context.protocol.real_world.comorbidities},
               required=True),
        text("details"),
    ),
    row_rules=(other_needs_details("comorbidity", "OTHER", "details",
                                   "Say which comorbidity."),),
    record=lambda row: Comorbidity(code=row.cells["comorbidity"] or "",
                                   details=row.cells["details"]),
    steps=(once_per_subject("comorbidity", lambda context, code:
                            context.protocol.real_world.comorbidity(code).label),),
    model=Comorbidity, saving="comorbidities",
)
