"""Tumour response assessment and efficacy endpoints (pure Python: no Django, no clock)."""
