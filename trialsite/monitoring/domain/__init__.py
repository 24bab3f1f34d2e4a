"""Pure monitoring rules: edit checks, ages and compliance buckets (no ORM, no clock)."""
