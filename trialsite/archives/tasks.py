from celery import shared_task


@shared_task(acks_late=True)
def build_site_archive_task(archive_id):
    """Build a site archive by id; a ready one is left alone (safe to run twice)."""
    from trialsite.archives.site_archive import build_site_archive
    from trialsite.exports.models import SiteArchive

    archive = (SiteArchive.objects.select_related("site__study", "requested_by")
               .filter(pk=archive_id).first())
    if archive is None or archive.status == SiteArchive.Status.READY:
        return None
    build_site_archive(archive)
    return archive_id
