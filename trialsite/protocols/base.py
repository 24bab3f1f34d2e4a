"""The shape of a protocol declaration: frozen data, no behaviour that depends on the study.

Each study module builds one ``Protocol``; later features (schedule, criteria, sample plan) add
fields here and data in the study modules, never branches on a study code in app code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"


class DrugClass(StrEnum):
    CDK46_INHIBITOR = "CDK4/6 inhibitor"
    AROMATASE_INHIBITOR = "aromatase inhibitor"
    SERD = "selective oestrogen receptor degrader"
    OVARIAN_SUPPRESSION = "ovarian function suppression"
    SERM = "selective oestrogen receptor modulator"
    CHEMOTHERAPY = "chemotherapy"
    TARGETED = "targeted therapy"
    ANTIBODY_DRUG_CONJUGATE = "antibody-drug conjugate"


@dataclass(frozen=True)
class Drug:
    code: str
    name: str
    drug_class: DrugClass
    #: Allowed dose levels in mg, highest (starting) first; empty when dosing is not collected.
    dose_levels_mg: tuple[Decimal, ...] = ()
    regimen: str = ""
    #: Length of a treatment cycle in days, and the most days of it the drug is taken
    #: (palbociclib "3 weeks on, 1 week off": 21 of 28); 0 when dosing is not collected.
    cycle_days: int = 0
    max_days_on_per_cycle: int = 0

    @property
    def starting_dose_mg(self):
        return self.dose_levels_mg[0] if self.dose_levels_mg else None


@dataclass(frozen=True)
class Assumption:
    """A value the protocol module uses that the registry text does not give, and its source.

    Pages that show such a value name it as the sample plan's or the schedule's, never as "the
    protocol's" (the registry text is the protocol we have).
    """

    what: str
    value: str
    source: str


@dataclass(frozen=True)
class Site:
    """A participating site as the registry lists it (the database row is made from this)."""

    code: str
    name: str
    city: str
    country: str
    time_zone: str
    target_enrolment: int


@dataclass(frozen=True)
class EnrolmentPlan:
    """What enrolment records: which variable of the screening is day 1, and the treatment."""

    #: The screening variable whose date is day 1 (the anchor of the visit schedule).
    day1_variable: str
    #: CDK4/6 inhibitors that may be recorded, and whether the starting dose is fixed by the
    #: protocol (interventional) or recorded as given (observational).
    cdk46i_drugs: tuple[str, ...]
    endocrine_drugs: tuple[str, ...]
    fixed_starting_dose: bool
    #: Screening variable that says the patient needs ovarian function suppression (pre/peri-
    #: menopausal), or "" when the protocol does not ask.
    ovarian_suppression_variable: str = ""
    #: Its codes for women who need ovarian function suppression with an aromatase inhibitor
    #: (pre/peri-menopausal), the screening variable recording how they have it, and the code of
    #: a surgical oophorectomy there (an LHRH analogue is ticked at enrolment instead).
    suppression_needed_codes: tuple[str, ...] = ()
    suppression_method_variable: str = ""
    oophorectomy_code: str = ""
    #: Interventional studies start treatment after consent; an observational one may record a
    #: treatment that began before the patient consented (retrospective data).
    day1_on_or_after_consent: bool = True


@dataclass(frozen=True)
class CodedItem:
    """One entry of a coded list the protocol declares (comorbidities, collected items)."""

    code: str
    label: str


@dataclass(frozen=True)
class RealWorldPlan:
    """What a real-world study collects beyond visits: every line of therapy for advanced
    disease, baseline comorbidities and the items of its imaging and translational
    sub-studies."""

    #: Drugs a line's regimen may name (codes of the protocol's ``drugs``).
    line_drugs: tuple[str, ...]
    #: Classes of which line 1 must combine one drug each (e.g. CDK4/6 inhibitor + endocrine).
    first_line_classes: tuple[tuple[DrugClass, ...], ...]
    comorbidities: tuple[CodedItem, ...]
    collected_items: tuple[CodedItem, ...]

    def comorbidity(self, code):
        return next((c for c in self.comorbidities if c.code == code), None)

    def collected_item(self, code):
        return next((c for c in self.collected_items if c.code == code), None)


@dataclass(frozen=True)
class ResponsePlan:
    """How the study reads tumour response (RECIST 1.1 §4.6 leaves these to the protocol)."""

    #: SD counts for the best overall response only at a time point this long after day 1.
    min_sd_days: int = 42
    #: CR and PR need a confirming assessment at least this many days later...
    confirm_days: int = 28
    #: ...when response is a primary endpoint of a non-randomised trial (§4.6); otherwise not.
    confirmation_required: bool = True
    #: Baseline imaging may be at most this many days before day 1.
    baseline_window_days: int = 28
    #: The entry page offers an overall response assessed elsewhere (real-world records)
    #: instead of lesion readings. Core-lab imports may always carry one.
    reported_responses: bool = False

    def bor_options(self):
        """Keyword arguments of ``best_overall_response`` and ``compute_endpoints``."""
        return {"min_sd_days": self.min_sd_days, "confirm_days": self.confirm_days,
                "confirmation_required": self.confirmation_required}


class Sidedness(StrEnum):
    ONE_SIDED = "one-sided"
    TWO_SIDED = "two-sided"


class MedianCiMethod(StrEnum):
    """How the confidence interval of a median survival time is computed."""

    #: Simon R, Lee YJ. Cancer Treat Rep 1982;66:37-42: Greenwood limits of S(t), read at 0.5.
    SIMON_LEE = "Simon and Lee (1982)"
    #: Brookmeyer and Crowley's inversion of log(-log) transformed Greenwood limits (lifelines).
    LOG_LOG = "Brookmeyer and Crowley (1982), log(−log) limits"


class PfsDefinition(StrEnum):
    """Which progression-free survival a study reports (one per study)."""

    #: From day 1 to the first RECIST 1.1 progression (or one recorded otherwise) or death;
    #: censored at the last adequate tumour assessment.
    RECIST = "recist"
    #: Real-world PFS of line 1: from the CDK4/6 inhibitor start to the first progression
    #: (recorded, or line 1 stopped for progression) or death; censored at the last contact.
    REAL_WORLD_FIRST_LINE = "real_world_first_line"


@dataclass(frozen=True)
class StatisticsPlan:
    """How the study's statistics are computed and shown; each choice says where it is from
    (``sources``), and a choice the registry text does not make is listed in ``assumptions``
    with its reason, so pages call it an assumption and not "the protocol"."""

    #: The population response rates are computed over, its definition, and whether the
    #: registry text gives it (False: an assumption, listed in ``assumptions``).
    population: str
    population_definition: str
    population_from_protocol: bool
    tests: Sidedness
    median_ci: MedianCiMethod
    pfs: PfsDefinition
    #: The PFS as the protocol names it, with its event and censoring rule in words.
    pfs_name: str
    pfs_event: str
    pfs_censoring: str
    confidence_level: float = 0.95
    sources: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Protocol:
    code: str
    registry_id: str
    title: str
    short_title: str
    design: str
    phase: str
    target_enrolment: int
    sexes: frozenset[Sex]
    min_age_years: int
    max_age_years: int | None
    drugs: tuple[Drug, ...]
    #: What day 1 of the schedule is, in words shown on enrolment pages.
    anchor: str
    sites: tuple[Site, ...] = ()
    #: Versions of the consent form in use; a patient's consent names one.
    consent_versions: tuple[str, ...] = ("1.0",)
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: Screening variables and eligibility criteria (``trialsite.protocols.criteria``).
    eligibility_variables: tuple = ()
    criteria: tuple = ()
    #: Values the registry text does not give, each with where it came from.
    assumptions: tuple[Assumption, ...] = ()
    #: Answers to retired screening questions still read from stored screenings
    #: (``trialsite.protocols.criteria.RetiredAnswer``).
    retired_answers: tuple = ()
    enrolment: EnrolmentPlan | None = None
    #: The visit schedule (``trialsite.protocols.schedule.Schedule``).
    schedule: object = None
    #: What the schedule's sample codes mean, their processing limits and destination labs
    #: (``trialsite.protocols.samples.SamplePlan``); None when the study collects no samples.
    sample_plan: object = None
    #: A synthetic eligible candidate (screening values) and the change that makes it fail:
    #: the demo trial and the documentation use them.
    example_candidate: dict = field(default_factory=dict)
    example_failure: dict = field(default_factory=dict)
    #: Automatic data queries (``trialsite.protocols.edit_checks``).
    edit_checks: tuple = ()
    #: How tumour response is read (confirmation, minimum SD duration, baseline window).
    response: ResponsePlan = field(default_factory=ResponsePlan)
    #: Treatment lines, comorbidities and collected items (real-world studies), or None.
    real_world: RealWorldPlan | None = None
    #: Populations, tests, confidence intervals and the PFS definition of the study.
    statistics: StatisticsPlan | None = None
    #: Spectroscopy techniques, QC, preprocessing and the fingerprint analysis
    #: (``trialsite.protocols.spectra.SpectraPlan``); None when no spectra are measured.
    spectra: object = None

    def variable(self, name):
        for variable in self.eligibility_variables:
            if variable.name == name:
                return variable
        raise KeyError(f"{self.code} declares no screening variable {name!r}")

    def drug(self, code):
        for drug in self.drugs:
            if drug.code == code:
                return drug
        raise KeyError(f"{self.code} declares no drug {code!r}")

    def drugs_of_class(self, drug_class):
        return tuple(d for d in self.drugs if d.drug_class == drug_class)
