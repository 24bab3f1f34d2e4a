"""Pure sample rules: no ORM, no settings, no clock (times come in as arguments)."""
