from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "visits"
    verbose_name = "Visits and visit forms"

    def ready(self):
        from visits import checks  # noqa: F401  (registers the protocol checks)
        from visits.casebook import register_panels
        from visits.home import register_sections

        register_panels()
        register_sections()
        from visits import monitoring

        monitoring.register()
