"""The data dictionary: every variable of every dataset, with label, type, unit and codes."""

from trialsite.exports.registry import all_datasets
from trialsite.exports.statfiles import format_names

HEADER = ("dataset", "position", "variable", "label", "type", "unit", "codes", "description",
          "xpt_name", "sav_name", "dta_name")

#: Said of every text variable (``trialsite.csv_safety``: OWASP's CSV-injection rule).
CSV_TEXT_NOTE = ("In CSV files, a value starting with =, +, -, @, a tab or a carriage return "
                 "is written with a leading apostrophe (') so spreadsheets do not run it as a "
                 "formula; NDJSON and ODM carry the value unchanged.")


def dictionary_rows(datasets=None):
    """One row per variable; ``codes`` is ``code=label`` pairs joined by `` | ``; the last
    columns are the variable's name in the SAS (v5 transport), SPSS and Stata files."""
    for dataset in datasets or all_datasets():
        mapped = {fmt: format_names(dataset.names, fmt) for fmt in ("xpt", "sav", "dta")}
        for position, var in enumerate(dataset.variables, 1):
            description = var.description
            if var.type == "text":
                description = f"{description} {CSV_TEXT_NOTE}".strip()
            yield (dataset.name, position, var.name, var.label, var.type, var.unit,
                   " | ".join(f"{code}={label}" for code, label in var.codes),
                   description, mapped["xpt"][var.name], mapped["sav"][var.name],
                   mapped["dta"][var.name])
