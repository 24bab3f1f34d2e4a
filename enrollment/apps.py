from django.apps import AppConfig


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = "Patients and enrolment"

    def ready(self):
        from enrollment import monitoring
        from enrollment.home import register_sections

        register_sections()
        monitoring.register()
