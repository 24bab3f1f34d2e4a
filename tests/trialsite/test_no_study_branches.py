"""The system is a platform: no app code branches on a study. Study-specific behaviour is
protocol data in ``trialsite/protocols/``; a second study needs no new code."""

import ast
from pathlib import Path

from trialsite.protocols import all_protocols

ROOT = Path(__file__).resolve().parents[2]
APPS = ["trialsite", "enrollment", "eligibility", "visits", "biosamples", "outcomes"]


def _allowed(path):
    """The protocol declarations themselves, and migrations."""
    parts = path.relative_to(ROOT).parts
    return "protocols" in parts or "migrations" in parts


def _study_words():
    words = set()
    for protocol in all_protocols():
        words |= {protocol.code, protocol.registry_id}
    return words


def _deciding_constants(tree):
    """String constants a decision is made on: compared (==, in, …), matched, or used as a
    key to look something up."""
    for node in ast.walk(tree):
        parts = []
        if isinstance(node, ast.Compare):
            parts = [node.left, *node.comparators]
        elif isinstance(node, ast.Subscript):
            parts = [node.slice]
        elif isinstance(node, ast.MatchValue):
            parts = [node.value]
        for part in parts:
            for inner in ast.walk(part):
                if isinstance(inner, ast.Constant) and isinstance(inner.value, str):
                    yield inner


def branches_on_a_study(source, words):
    return [node.lineno for node in _deciding_constants(ast.parse(source))
            if any(word in node.value for word in words)]


def test_the_scan_finds_a_branch_when_there_is_one():
    words = {"ICRG0201"}
    assert branches_on_a_study("if study.code == 'ICRG0201':\n    pass\n", words) == [1]
    assert branches_on_a_study("x = code in {'ICRG0201'}\n", words) == [1]
    assert branches_on_a_study("y = LIMITS['ICRG0201']\n", words) == [1]
    assert branches_on_a_study("'''Docs name ICRG0201.'''\n", words) == []


def test_no_app_module_branches_on_a_study():
    words = _study_words()
    assert {"ICRG0201", "PALMARES-2"} <= words
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if _allowed(path):
                continue
            found += [f"{path.relative_to(ROOT)}:{line}"
                      for line in branches_on_a_study(path.read_text(), words)]
    assert found == []


def test_no_template_names_a_study():
    words = _study_words()
    found = [str(path.relative_to(ROOT)) for path in (ROOT / "templates").rglob("*.html")
             if any(word in path.read_text() for word in words)]
    assert found == []
