from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "outcomes"
    verbose_name = "Tumour assessments and endpoints"

    def ready(self):
        from outcomes.casebook import register_panels
        from outcomes.models import FORM_CODE
        from visits.crf.selectors import EXTERNAL_FORM_URLS

        register_panels()
        from outcomes.reports import study_responses
        from trialsite import responses

        # The fingerprint analysis (biosamples.spectra) reads responses through this.
        responses.register(study_responses)
        from outcomes import monitoring

        monitoring.register()
        # The visit page links its tumour assessment form here (visits never imports outcomes).
        EXTERNAL_FORM_URLS[FORM_CODE] = "tumour-assessment"
