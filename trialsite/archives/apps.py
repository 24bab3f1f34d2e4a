from django.apps import AppConfig


class ArchivesConfig(AppConfig):
    name = "trialsite.archives"
    label = "archives"
    verbose_name = "Casebook PDFs and site archives"

    def ready(self):
        from trialsite.exports.models import SiteArchive
        from trialsite.monitoring import registry

        # Building a site archive is in the monitoring trail.
        registry.register_trail_model(SiteArchive)
