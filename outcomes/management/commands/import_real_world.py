"""Import retrospective real-world data from CSV files, all or nothing.

    python manage.py import_real_world --study PALMARES-2 --as USERNAME DIR_OR_FILES...

A directory stands for the files of ``outcomes.realworld.importer.FILES`` it holds. Everything is
checked first; only when every row of every file is valid is it saved, in one transaction,
each record's history naming the user and ``Imported from <file> sha256:<hex>``.
Success prints a JSON summary; otherwise the problems are printed as JSON
({"problems": [{"file", "row", "column", "message"}, ...]}) and the command exits with 2.
"""

import json
import sys
import time
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from outcomes.realworld.importer import FILES, ImportRefused, import_real_world
from trialsite.models import Study, User


def collect(paths):
    """{file name: bytes} from files and directories."""
    files = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for name in FILES:
                if (path / name).is_file():
                    files[name] = (path / name).read_bytes()
        elif path.is_file():
            files[path.name] = path.read_bytes()
        else:
            raise CommandError(f"{raw}: no such file or directory")
    return files


class Command(BaseCommand):
    help = "Import retrospective real-world data (CSV files) into a study, all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="a directory or the CSV files")
        parser.add_argument("--study", required=True, help="study code")
        parser.add_argument("--as", dest="username", required=True,
                            help="the importing data manager")

    def handle(self, *args, paths, study, username, **options):
        study_obj = Study.objects.filter(code=study).first()
        if study_obj is None:
            raise CommandError(f"No study {study!r}.")
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        started = time.perf_counter()
        try:
            summary = import_real_world(actor=user, study=study_obj, files=collect(paths))
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        except ImportRefused as exc:
            self.stdout.write(json.dumps({"problems": [p.as_dict() for p in exc.problems]},
                                         indent=1))
            sys.exit(2)
        summary["seconds"] = round(time.perf_counter() - started, 2)
        self.stdout.write(json.dumps(summary, indent=1))
