"""The data dictionary: every variable of every dataset, with label, type, unit and codes."""

from trialsite.exports.registry import all_datasets

HEADER = ("dataset", "position", "variable", "label", "type", "unit", "codes", "description")


def dictionary_rows(datasets=None):
    """One row per variable; ``codes`` is ``code=label`` pairs joined by `` | ``."""
    for dataset in datasets or all_datasets():
        for position, var in enumerate(dataset.variables, 1):
            yield (dataset.name, position, var.name, var.label, var.type, var.unit,
                   " | ".join(f"{code}={label}" for code, label in var.codes),
                   var.description)
