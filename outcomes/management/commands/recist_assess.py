"""Evaluate a core-lab RECIST 1.1 document without saving anything (a dry run).

    python manage.py recist_assess reads.json      # or - for standard input

Prints the time-point responses, best overall response and first PD date as JSON. A document
with ``"study": "<code>"`` follows that study's response rules (PALMARES-2 asks no
confirmation of CR/PR); without it, RECIST 1.1 for a non-randomised trial applies. Invalid
input prints {"error": {"code": ..., "message": ...}} and exits with status 2.
"""

import json
import sys

from django.core.management.base import BaseCommand

from outcomes import selectors
from outcomes.domain.corelab import CoreLabError


class Command(BaseCommand):
    help = "Evaluate a core-lab RECIST 1.1 JSON document (nothing is saved)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="JSON file, or - for standard input")

    def handle(self, *args, file, **options):
        try:
            text = sys.stdin.read() if file == "-" else open(file, encoding="utf-8").read()
            document = json.loads(text)
            result = selectors.corelab_evaluate(document)
        except OSError as exc:
            self._fail("INVALID_VALUE", f"cannot read {file}: {exc.strerror}")
        except json.JSONDecodeError as exc:
            self._fail("INVALID_VALUE", f"not JSON: {exc.msg} at line {exc.lineno}")
        except CoreLabError as exc:
            self._fail(exc.code, exc.message)
        else:
            self.stdout.write(json.dumps(result, indent=2))

    def _fail(self, code, message):
        self.stdout.write(json.dumps({"error": {"code": str(code), "message": message}}))
        sys.exit(2)
