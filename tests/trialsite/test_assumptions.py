"""Values the registry texts do not give are marked as assumptions with their source, and no
page or message presents them as the protocol's (issue 13 §4)."""

from pathlib import Path

from django.conf import settings

from trialsite.protocols import icrg0201, palmares2

ROOT = Path(settings.BASE_DIR)


def test_icrg0201_declares_its_windows_and_sample_values_as_assumptions_with_a_source():
    assumed = {a.what: a for a in icrg0201.PROTOCOL.assumptions}
    assert "visit windows" in assumed
    assert "liquid-biopsy tube, processing limits and aliquots" in assumed
    for assumption in assumed.values():
        assert assumption.source and assumption.value


def test_palmares2_declares_its_follow_up_windows_as_an_assumption():
    assumed = {a.what: a for a in palmares2.PROTOCOL.assumptions}
    assert "ASSUMPTION" in assumed["follow-up visits"].source


def test_the_icrg0201_sample_plan_says_its_values_are_assumed():
    for sample_type in icrg0201.PROTOCOL.sample_plan.sample_types:
        assert sample_type.assumed
        assert "registry text gives no tube" in sample_type.assumption_source


def test_no_page_or_message_says_the_protocol_allows_an_assumed_value():
    sources = [*ROOT.glob("templates/**/*.html"),
               *(p for p in ROOT.glob("**/*.py")
                 if not p.is_relative_to(ROOT / ".venv") and not p.is_relative_to(ROOT / "tests"))]
    offenders = [str(p.relative_to(ROOT)) for p in sources
                 if "protocol allows" in p.read_text(encoding="utf-8", errors="ignore")]
    assert offenders == []
