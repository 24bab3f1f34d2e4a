"""Pure rules of the case report forms: CTCAE grading (no Django, no clock)."""
