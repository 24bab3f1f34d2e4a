"""Electronic signatures (21 CFR Part 11 §11.50, §11.100, §11.200), shared by every app.

A signature is a password re-entry by the signer at the moment of signing; the signed record
shows the printed name, the UTC time and the meaning; and it stores a digest of exactly what was
signed, so a later change is detected by comparing digests, not by remembering to clear a flag.
"""

import hashlib
import json
import logging

from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from simple_history.models import HistoricalRecords

logger = logging.getLogger("trialsite.esign")


def _current_request():
    """The request being served (django-simple-history's middleware keeps it), if any."""
    return getattr(HistoricalRecords.context, "request", None)


def require_password(actor, password):
    """Refuse, on the password field, unless ``password`` is the signer's current password.

    A wrong password counts toward the same lockout as the login (django-axes, keyed on the
    username and the client address) and is logged; a locked-out signer cannot sign either, so
    the signature cannot be used to guess a password the login would protect.
    """
    from axes.handlers.proxy import AxesProxyHandler

    request = _current_request()
    credentials = {"username": actor.get_username()}
    if request is not None and AxesProxyHandler.is_locked(request, credentials):
        logger.warning("E-signature refused: %s is locked out after repeated wrong passwords",
                       actor.get_username())
        raise ValidationError({"password": "Too many wrong passwords: signing and logging in "
                                           "are locked for a while. Nothing was signed."})
    if not password or not actor.check_password(password):
        logger.warning("E-signature refused: wrong password for %s", actor.get_username())
        if request is not None:
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        raise ValidationError({"password": "The password is not correct: nothing was signed."})


def digest(content):
    """SHA-256 of ``content`` (JSON-serialisable), independent of key order."""
    payload = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def signature_reason(actor, meaning):
    """The reason the audit trail stores with the signing save."""
    return f"Electronic signature of {actor.printed_name}: {meaning}"
