from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "trialsite.monitoring"
    label = "monitoring"
    verbose_name = "Monitoring: queries, SDV, locks and signatures"

    def ready(self):
        from trialsite.audit import register_write_guard
        from trialsite.monitoring.guard import LOCK_GUARD
        from trialsite.monitoring.home import register_sections

        # Locks are enforced where every audited write passes, not in the pages.
        register_write_guard(LOCK_GUARD)
        register_sections()
