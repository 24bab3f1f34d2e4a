"""Site archives: who may see them, the data manager's request, and study close."""

from django.core.exceptions import PermissionDenied
from django.db import transaction

from trialsite.audit import audited_save


def archives_visible_to(user):
    """Archives a user may see and download: the data manager's study's, an investigator's
    own sites'. Nobody else's (another site's archive answers 404)."""
    from trialsite.access import site_filter
    from trialsite.exports.models import SiteArchive
    from trialsite.models import Role

    return SiteArchive.objects.filter(
        site_filter(user, roles=frozenset({Role.DATA_MANAGER, Role.INVESTIGATOR})))


def site_archive_request(*, actor, site, occasion=None):
    """The data manager asks for ``site``'s archive; the job starts after commit."""
    from trialsite.access import has_study_role
    from trialsite.archives.tasks import build_site_archive_task
    from trialsite.exports.models import SiteArchive, SiteArchiveProgress
    from trialsite.models import Role

    if not (actor.is_superuser or has_study_role(actor, Role.DATA_MANAGER, site.study)):
        raise PermissionDenied("Only the study's data manager builds site archives.")
    occasion = occasion or SiteArchive.Occasion.ON_DEMAND
    with transaction.atomic():
        archive = audited_save(SiteArchive(site=site, requested_by=actor, occasion=occasion),
                               actor=actor)
        SiteArchiveProgress.objects.create(archive=archive)
        transaction.on_commit(lambda: build_site_archive_task.delay(archive.pk))
    return archive


def study_close_archives(*, actor, study):
    """At study close: one archive per site of ``study``, each built by its own job."""
    from trialsite.exports.models import SiteArchive

    return [site_archive_request(actor=actor, site=site,
                                 occasion=SiteArchive.Occasion.STUDY_CLOSE)
            for site in study.sites.filter(voided_at__isnull=True).order_by("code")]
