from django.apps import AppConfig


class TrialsiteConfig(AppConfig):
    name = "trialsite"
    verbose_name = "Studies, sites and people"

    def ready(self):
        from django.contrib.auth import user_logged_in
        from django.contrib.auth.models import update_last_login
        from django.db.models.signals import post_migrate

        from trialsite import checks  # noqa: F401  (registers the protocol checks)
        from trialsite.accounts import record_login_time
        from trialsite.audit_chain import install_audit_chain
        from trialsite.db_roles import grant_after_migrate
        from trialsite.history_guard import install_history_guards
        from trialsite.home_sections import register_sections

        # Logins are recorded by django-axes' access log; writing last_login would add a
        # history row to the account at every login.
        user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
        user_logged_in.connect(record_login_time, dispatch_uid="trialsite_login_time")
        post_migrate.connect(install_history_guards, dispatch_uid="trialsite_history_guards")
        post_migrate.connect(grant_after_migrate, dispatch_uid="trialsite_app_role_grants")
        post_migrate.connect(install_audit_chain, dispatch_uid="trialsite_audit_chain")
        register_sections()
