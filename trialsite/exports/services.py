"""Writes of the exports app: API tokens and data packages."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from trialsite.access import roles_of
from trialsite.audit import audited_save
from trialsite.exports import tokens
from trialsite.exports.models import ApiToken, DataPackage


def may_hold_tokens(user):
    """Anyone with a role may script what they may already do: a token acts as its owner."""
    return user.is_authenticated and (user.is_superuser or bool(roles_of(user)))


def token_create(*, actor, name, expires_at=None):
    """Create a token for ``actor``; returns ``(token, key)``. The key is never stored."""
    if not may_hold_tokens(actor):
        raise PermissionDenied("API tokens are for people with a role in a study.")
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Name the token after what will use it."})
    now = timezone.now()
    longest = now + timedelta(days=settings.API_TOKEN_MAX_DAYS)
    if expires_at is not None and expires_at <= now:
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    if expires_at is not None and expires_at > longest + timedelta(days=1):
        raise ValidationError({"expires_at": f"A token lives at most "
                                             f"{settings.API_TOKEN_MAX_DAYS} days."})
    # Every token expires: without a date, at the longest lifetime allowed.
    expires_at = min(expires_at or longest, longest + timedelta(days=1))
    key = tokens.new_key()
    token = ApiToken(user=actor, name=name, prefix=tokens.shown_prefix(key),
                     key_hash=tokens.hash_key(key), expires_at=expires_at)
    with transaction.atomic():
        audited_save(token, actor=actor)
    return token, key


def token_revoke(*, actor, token, reason="Revoked by its owner"):
    if token.user_id != actor.pk and not actor.is_superuser:
        raise PermissionDenied("Only the token's owner revokes it.")
    if token.revoked_at is not None:
        raise ValidationError("This token is already revoked.")
    token.revoked_at = timezone.now()
    with transaction.atomic():
        return audited_save(token, actor=actor, reason=reason, changed={"revoked_at"})


def package_request(*, actor):
    """Queue a data package of everything ``actor`` may see; the job starts after commit."""
    from trialsite.exports.tasks import build_data_package

    with transaction.atomic():
        package = DataPackage.objects.create(requested_by=actor)
        transaction.on_commit(lambda: build_data_package.delay(package.pk))
    return package


def stat_file_request(*, actor, dataset, file_format):
    """Queue one dataset as one statistical file (``xpt``, ``sav`` or ``dta``)."""
    from trialsite.exports.registry import get_dataset
    from trialsite.exports.statfiles import FORMATS
    from trialsite.exports.tasks import build_data_package

    errors = {}
    try:
        get_dataset(dataset)
    except KeyError:
        errors["dataset"] = f"No dataset is called {dataset!r}."
    if file_format not in FORMATS:
        errors["format"] = "Choose xpt (SAS transport v5), sav (SPSS) or dta (Stata)."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        package = DataPackage.objects.create(requested_by=actor, dataset=dataset,
                                             file_format=file_format)
        transaction.on_commit(lambda: build_data_package.delay(package.pk))
    return package
