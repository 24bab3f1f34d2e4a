"""Create or refresh every declared study and its sites from the protocol modules. Idempotent."""

from django.core.management.base import BaseCommand
from django.db import transaction

from trialsite.protocols import all_protocols
from trialsite.services import study_sync_from_protocol, system_user


class Command(BaseCommand):
    help = "Load the studies and sites declared in trialsite/protocols/ (no patients, no users)."

    def handle(self, *args, **options):
        system = system_user()
        with transaction.atomic():
            for protocol in all_protocols():
                study = study_sync_from_protocol(actor=system, protocol=protocol)
                self.stdout.write(f"{study.code}: {study.sites.count()} sites")
