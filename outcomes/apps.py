from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "outcomes"
    verbose_name = "Tumour assessments and endpoints"

    def ready(self):
        from outcomes.casebook import register_panels
        from outcomes.models import FORM_CODE
        from visits.crf.selectors import EXTERNAL_FORM_URLS

        register_panels()
        from outcomes import monitoring

        monitoring.register()
        # The visit page links its tumour assessment form here (visits never imports outcomes).
        EXTERNAL_FORM_URLS[FORM_CODE] = "tumour-assessment"
