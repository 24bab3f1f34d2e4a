"""Sponsor exports: streamed datasets, data dictionary, CDISC ODM, data packages, API tokens."""
