"""collected_items.csv: imaging and tissue collected for the sub-studies (the real-world plan's
list), each at most once per patient, with where it is stored and whether the patient
consented to its use (never assumed)."""

from __future__ import annotations

from outcomes.models import CollectedItem
from outcomes.realworld.importer.schema import (
    FileSchema,
    boolean,
    choice,
    date,
    once_per_subject,
    text,
)

ITEMS = "collected_items.csv"

ITEMS_FILE = FileSchema(
    ITEMS, real_world=True,
    columns=(
        choice("item", lambda context: {c.code for c in
                                        context.protocol.real_world.collected_items},
               required=True),
        date("collected_on", required=True),
        text("storage_reference", required=True),
        boolean("consent_for_use", default=None, required=True,
                missing="Required: 1 if the patient consented to its use, 0 if not."),
    ),
    record=lambda row: CollectedItem(kind=row.cells["item"] or "",
                                     collected_on=row.cells["collected_on"],
                                     storage_reference=row.cells["storage_reference"],
                                     consent_for_use=bool(row.cells["consent_for_use"])),
    steps=(once_per_subject("item", lambda context, code:
                            context.protocol.real_world.collected_item(code).label),),
    model=CollectedItem, saving="collected items",
)
