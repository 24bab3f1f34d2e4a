from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "trialsite.exports"
    label = "exports"
    verbose_name = "Exports and API access"

    def ready(self):
        from django.utils.module_loading import autodiscover_modules

        # Each app declares its datasets in its own ``exports.py``; the exports app imports
        # none of them by name, so it stays below every clinical app.
        autodiscover_modules("exports")

        from trialsite.exports.audit_trail import register_audit_trail, register_history
        from trialsite.exports.models import SiteArchive

        # Building a site archive is in the audit trail: the trail page and the dataset.
        register_history(SiteArchive, "site", subject_path="")
        register_audit_trail()
