"""The import direction of docs/architecture.md, checked on the source: a lower package never
imports a higher one, sibling packages never import each other, and a sub-domain's package sits
above its app's core. Every module under the apps is parsed (migrations aside); a new module or
package is covered without being listed."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ["trialsite", "enrollment", "eligibility", "visits", "biosamples", "outcomes"]

#: Packages from the bottom up. A package may import those of a lower level; packages of the
#: same level never import each other. A dotted name is a package inside an app, ranked on its
#: own; the app's other modules are the app's core.
LEVELS = [
    ["trialsite.protocols"],
    ["trialsite"],
    ["trialsite.exports"],
    ["trialsite.monitoring"],
    ["trialsite.archives"],
    ["enrollment"],
    ["eligibility"],
    ["visits"],
    ["visits.crf"],
    ["biosamples", "outcomes"],
    ["biosamples.spectra", "outcomes.realworld"],
]
RANK = {package: level for level, packages in enumerate(LEVELS) for package in packages}

#: Composition points: modules whose job is to put the packages above them together, so that
#: lower code shows what higher code contributes without importing it.
#: - the root URLconf mounts every app's pages and API;
#: - an app's wiring modules (apps, urls, models, tasks, demo, exports, home, monitoring,
#:   casebook and the pages composed of the app's parts) may import its own sub-domain package:
#:   ``models`` so Django finds the sub-domain's models under the app's label, the others to
#:   register or compose what the sub-domain contributes.
ROOT_COMPOSITION = {"trialsite/urls.py"}
APP_WIRING = {"apps", "urls", "models", "tasks", "demo", "exports", "home", "monitoring",
              "casebook", "views", "visit_page"}


def package_of(module):
    """The ranked package a dotted module name belongs to (the longest ranked prefix)."""
    parts = module.split(".")
    for size in range(len(parts), 0, -1):
        name = ".".join(parts[:size])
        if name in RANK:
            return name
    return None


def modules():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            yield path, ".".join(path.relative_to(ROOT).with_suffix("").parts)


def imported_names(tree):
    """Every absolute module name an ``import`` or ``from … import`` statement names (a
    ``from a import b`` names ``a.b`` too, since ``b`` may be a module)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def app_of(package):
    return package.split(".")[0]


def allowed(path, source, target):
    # Sibling apps never import each other, not even from a sub-domain ranked above them
    # (biosamples.spectra never imports outcomes: it reads responses through a registry).
    if (app_of(source) != app_of(target)
            and RANK[app_of(source)] == RANK[app_of(target)]):
        return False
    if RANK[target] < RANK[source]:
        return True
    rel = path.relative_to(ROOT).as_posix()
    if rel in ROOT_COMPOSITION:
        return True
    # An app's wiring modules may import the app's own sub-domain package.
    own_subpackage = target.startswith(source + ".")
    app_dir = ROOT / source.replace(".", "/")
    wiring = (path.stem in APP_WIRING and path.parent == app_dir
              or path.is_relative_to(app_dir / "management"))
    return own_subpackage and wiring


def violations():
    found = []
    for path, module in modules():
        source = package_of(module)
        for lineno, name in imported_names(ast.parse(path.read_text())):
            target = package_of(name)
            if target is None or target == source or source is None:
                continue
            if not allowed(path, source, target):
                found.append(f"{path.relative_to(ROOT)}:{lineno} ({source}) imports {name} "
                             f"({target})")
    return sorted(set(found))


def test_every_app_package_is_ranked():
    """A new app or sub-domain package must be placed in the order before it can be used."""
    for _path, module in modules():
        assert package_of(module) is not None, module
    subpackages = {path.parent.relative_to(ROOT).as_posix().replace("/", ".")
                   for path, _ in modules() if path.name == "__init__.py"}
    for name in subpackages:
        parts = name.split(".")
        if len(parts) == 2 and parts[1] not in ("domain", "api", "management", "templatetags"):
            assert name in RANK, f"{name} is a sub-domain package: give it a level in LEVELS"


def test_no_package_imports_a_higher_or_sibling_package():
    assert violations() == []


def test_domain_modules_are_pure():
    """``domain/`` modules are plain Python: no Django, no DRF, no Celery; of the project they
    import only other domain modules, the protocol declarations, the signature digests and the
    CSV writer that neutralises formulas."""
    pure_ok = ("trialsite.protocols", "trialsite.esign", "trialsite.csv_safety")
    problems = []
    for path, module in modules():
        if "domain" not in module.split("."):
            continue
        for lineno, name in imported_names(ast.parse(path.read_text())):
            top = name.split(".")[0]
            if top in ("django", "rest_framework", "celery"):
                problems.append(f"{module}:{lineno} imports {name}")
            elif top in APPS and ".domain" not in name and not name.startswith(pure_ok):
                problems.append(f"{module}:{lineno} imports {name}")
    assert problems == []


@pytest.mark.parametrize("source_file, line, expected", [
    # A schedule module importing the forms' package above it.
    ("visits/services.py", "from visits.crf.models import AdverseEvent", False),
    # The forms importing the schedule below them.
    ("visits/crf/services.py", "from visits.models import Visit", True),
    # Siblings: samples and outcomes never import each other.
    ("biosamples/services.py", "from outcomes.models import TumourAssessment", False),
    # The app's wiring may import its sub-domain; its core may not.
    ("outcomes/exports.py", "from outcomes.realworld import exports", True),
    ("outcomes/services.py", "from outcomes.realworld.selectors import lines_of", False),
    # A sibling's sub-domain ranked higher still never imports the sibling.
    ("biosamples/spectra/services.py", "from outcomes.reports import study_endpoints", False),
    ("outcomes/realworld/services.py", "from biosamples.models import Aliquot", False),
    ("biosamples/spectra/services.py", "from biosamples.models import Aliquot", True),
    ("biosamples/spectra/services.py", "from trialsite.responses import responses_for", True),
    # Monitoring sits below the clinical apps.
    ("trialsite/monitoring/services.py", "from enrollment.models import Patient", False),
])
def test_the_rule_catches_what_it_should(source_file, line, expected):
    path = ROOT / source_file
    module = ".".join(Path(source_file).with_suffix("").parts)
    source = package_of(module)
    (_, name), *_ = list(imported_names(ast.parse(line)))[-1:]
    # ``from a import b`` yields a and a.b: judge the more specific name.
    target = package_of(name)
    assert allowed(path, source, target) is expected
