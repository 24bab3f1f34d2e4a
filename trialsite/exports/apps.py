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

        from trialsite.exports.audit_trail import register_audit_trail

        register_audit_trail()
