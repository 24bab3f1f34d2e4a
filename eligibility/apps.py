from django.apps import AppConfig


class EligibilityConfig(AppConfig):
    name = "eligibility"
    verbose_name = "Eligibility screening"

    def ready(self):
        from eligibility import checks  # noqa: F401  (registers the protocol checks)
        from eligibility.casebook import register_panels

        register_panels()
        from eligibility import monitoring

        monitoring.register()
