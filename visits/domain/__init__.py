"""Pure visit rules: schedule maths (no Django, no clock)."""
