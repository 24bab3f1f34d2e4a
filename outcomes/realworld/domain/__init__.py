"""Pure rules of the real-world data (no Django, no clock)."""
