"""Pure visit rules: schedule maths and CTCAE grading (no Django, no clock)."""
