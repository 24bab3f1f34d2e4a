"""Consistency of a protocol's sample plan with its visit schedule (used by the system check)."""


def _declared_sample_codes(schedule):
    parts = [*schedule.visits, schedule.repeat, schedule.end_of_treatment, schedule.follow_up,
             schedule.unscheduled]
    return {code for part in parts if part is not None for code in part.samples}


def validate_sample_plan(schedule, plan):
    """Every inconsistency as a message: codes the plan lacks, limits that cannot hold."""
    errors = []
    codes = _declared_sample_codes(schedule) if schedule is not None else set()
    if plan is None:
        if codes:
            errors.append(f"visits expect samples {sorted(codes)} but no sample plan is declared")
        return errors
    declared = [t.code for t in plan.sample_types]
    if len(declared) != len(set(declared)):
        errors.append("sample type codes are not unique")
    label_codes = [t.label_code for t in plan.sample_types]
    if len(label_codes) != len(set(label_codes)):
        errors.append("sample label codes are not unique")
    for code in sorted(codes - set(declared)):
        errors.append(f"visits expect sample {code!r}, which the sample plan does not declare")
    for t in plan.sample_types:
        if not t.label_code.isalnum() or not t.label_code.isupper():
            errors.append(f"{t.code}: label code {t.label_code!r} must be capitals or digits")
        if t.max_draw_to_centrifuge_minutes <= 0 or t.max_draw_to_freeze_minutes <= 0:
            errors.append(f"{t.code}: processing limits must be positive")
        if t.max_draw_to_freeze_minutes < t.max_draw_to_centrifuge_minutes:
            errors.append(f"{t.code}: the freezing limit is shorter than the centrifugation one")
        if not 1 <= t.default_aliquot_count <= t.max_aliquot_count:
            errors.append(f"{t.code}: default aliquot count must be 1..{t.max_aliquot_count}")
        if t.default_aliquot_volume_ml <= 0:
            errors.append(f"{t.code}: default aliquot volume must be positive")
        if not t.tube_type.strip():
            errors.append(f"{t.code}: tube type is empty")
    if codes and not plan.labs:
        errors.append("samples are collected but no destination laboratory is declared")
    lab_codes = [lab.code for lab in plan.labs]
    if len(lab_codes) != len(set(lab_codes)):
        errors.append("laboratory codes are not unique")
    if not (1 <= plan.box_rows <= 26 and 1 <= plan.box_columns <= 99):
        errors.append("boxes must have 1-26 rows and 1-99 columns")
    if plan.transit_alert_days < 1:
        errors.append("the transit alert must be at least one day")
    return errors
