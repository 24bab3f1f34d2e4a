"""Electronic signatures (21 CFR Part 11 §11.50, §11.100, §11.200), shared by every app.

A signature is a password re-entry by the signer at the moment of signing; the signed record
shows the printed name, the UTC time and the meaning; and it stores a digest of exactly what was
signed, so a later change is detected by comparing digests, not by remembering to clear a flag.
"""

import hashlib
import json

from django.core.exceptions import ValidationError


def require_password(actor, password):
    """Refuse, on the password field, unless ``password`` is the signer's current password."""
    if not password or not actor.check_password(password):
        raise ValidationError({"password": "The password is not correct: nothing was signed."})


def digest(content):
    """SHA-256 of ``content`` (JSON-serialisable), independent of key order."""
    payload = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def signature_reason(actor, meaning):
    """The reason the audit trail stores with the signing save."""
    return f"Electronic signature of {actor.printed_name}: {meaning}"
