from django.apps import AppConfig


class BiosamplesConfig(AppConfig):
    name = "biosamples"
    verbose_name = "Liquid-biopsy samples"

    def ready(self):
        from biosamples import (
            checks,  # noqa: F401  (registers the sample-plan check)
            monitoring,
        )
        from biosamples.casebook import register_panels
        from biosamples.home import register_sections
        from biosamples.visit_page import register_visit_panels

        register_panels()
        register_sections()
        register_visit_panels()
        monitoring.register()
