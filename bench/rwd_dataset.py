"""Generate a synthetic, valid PALMARES-2 real-world data set: the CSV files of the import.

    .venv/bin/python bench/rwd_dataset.py OUT_DIR [--patients 3500] [--seed 7] [--cut-off DATE]

Patients are spread over the protocol's 24 sites in proportion to their target enrolment.
Nothing is real: dates, drugs, lines of therapy, toxicities and follow-up contacts are drawn
from simple distributions (first-line PFS median about 2 years, OS median about 5 years, later
lines of a few months each) so that every row keeps the rules the import checks.
"""

import argparse
import csv
import random
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trialsite.protocols.palmares2 import PROTOCOL  # noqa: E402

TERMS = ("Neutrophil count decreased", "Anemia", "Platelet count decreased", "Fatigue",
         "Nausea", "Diarrhea", "Alanine aminotransferase increased", "Electrocardiogram QT "
         "corrected interval prolonged", "Stomatitis", "Alopecia", "Rash maculo-papular",
         "Arthralgia", "Hot flashes", "Thromboembolic event")
LATER_LINES = (("FULVESTRANT", "EVEROLIMUS"), ("EXEMESTANE", "EVEROLIMUS"),
               ("FULVESTRANT", "ALPELISIB"), ("FULVESTRANT", "CAPIVASERTIB"), ("ELACESTRANT",),
               ("CAPECITABINE",), ("PACLITAXEL",), ("ERIBULIN",), ("VINORELBINE",),
               ("SACITUZUMAB_GOVITECAN",), ("TRASTUZUMAB_DERUXTECAN",), ("TAMOXIFEN",),
               ("OLAPARIB",), ("NAB_PACLITAXEL",))
EVERY = PROTOCOL.schedule.repeat.every_days

SUBJECT_COLUMNS = ("study", "site", "subject_id", "sex", "birth_date", "consent_date",
                   "consent_version", "day1", "cdk46i", "cdk46i_start_dose_mg", "endocrine",
                   "ovarian_suppression")
SCREENING_COLUMNS = ("study", "site", "subject_id", "er_percent", "pgr_percent", "her2_ihc",
                     "her2_ish", "prior_systemic_for_advanced", "cdk46i", "cdk46i_start_date",
                     "cdk46i_with_endocrine", "cdk46i_adjuvant", "data_cutoff_date")
LINE_COLUMNS = ("study", "site", "subject_id", "line_number", "drugs", "other_regimen",
                "start_date", "stop_date", "best_response", "stop_reason", "stop_reason_other")
TOXICITY_COLUMNS = ("study", "site", "subject_id", "visit_code", "term", "grade", "start_date",
                    "end_date", "serious", "sae_hospitalisation", "relation_cdk46i",
                    "relation_endocrine", "relation_ovarian_suppression", "action_taken",
                    "outcome")
FOLLOW_UP_COLUMNS = ("study", "site", "subject_id", "visit_code", "last_contact_date",
                     "vital_status", "death_date", "death_cause", "death_cause_other")


def _days(rng, median):
    return max(1, int(rng.expovariate(0.693 / median)))


def _site_counts(patients):
    total = sum(site.target_enrolment for site in PROTOCOL.sites)
    counts = [patients * site.target_enrolment // total for site in PROTOCOL.sites]
    for i in range(patients - sum(counts)):
        counts[i % len(counts)] += 1
    return zip(PROTOCOL.sites, counts, strict=True)


def patient(rng, site, number, cut_off):
    """Every row of one synthetic patient, by file."""
    subject_id = f"{site.code}-{number:03d}"
    keys = {"study": PROTOCOL.code, "site": site.code, "subject_id": subject_id}
    day1 = cut_off - timedelta(days=rng.randint(120, 7 * 365))
    age = rng.randint(32, 88)
    birth = day1 - timedelta(days=age * 365 + rng.randint(0, 364))
    sex = "M" if rng.random() < 0.01 else "F"
    cdk46i = rng.choices(("PALBOCICLIB", "RIBOCICLIB", "ABEMACICLIB"), (5, 3, 2))[0]
    levels = PROTOCOL.drug(cdk46i).dose_levels_mg
    dose = levels[0] if rng.random() < 0.85 else levels[1]
    endocrine = rng.choices(("LETROZOLE", "ANASTROZOLE", "EXEMESTANE", "FULVESTRANT"),
                            (6, 2, 1, 2))[0]
    ofs = sex == "F" and age < 50
    os_days = _days(rng, 5 * 365) + 30
    death = day1 + timedelta(days=os_days) if day1 + timedelta(days=os_days) < cut_off else None
    end = death or cut_off
    # Follow-up contacts near each follow-up visit, before the death or the cut-off.
    follow_ups, contact, n = [], None, 1
    while True:
        target = day1 + timedelta(days=n * EVERY)
        when = target + timedelta(days=rng.randint(-20, 20))
        if when >= end:
            break
        if rng.random() < 0.93:  # a follow-up now and then is missed
            follow_ups.append({**keys, "visit_code": f"FU{n}", "last_contact_date": when,
                               "vital_status": "alive"})
            contact = when
        n += 1
    first_contact = follow_ups[0]["last_contact_date"] if follow_ups else end
    consent = min(day1 + timedelta(days=rng.randint(-30, 80)), first_contact, cut_off)
    if death:
        cause = rng.choices(("progression", "adverse_event", "other"), (90, 3, 7))[0]
        follow_ups.append({**keys, "visit_code": f"FU{n}", "last_contact_date": death,
                           "vital_status": "dead", "death_date": death, "death_cause": cause,
                           "death_cause_other": "Cardiovascular event" if cause == "other"
                           else ""})
    last_known = death or contact or consent
    # Lines of therapy: line 1 from day 1 until progression, then later lines to the end.
    lines, start, number_ = [], day1, 1
    while start <= last_known:
        length = _days(rng, 2 * 365 if number_ == 1 else 200)
        stop = start + timedelta(days=length)
        drugs = (cdk46i, endocrine) if number_ == 1 else rng.choice(LATER_LINES)
        if number_ == 1 and ofs:
            drugs += ("LHRH_ANALOGUE",)
        row = {**keys, "line_number": number_, "drugs": "+".join(drugs), "start_date": start,
               "best_response": rng.choices(("CR", "PR", "SD", "PD", "NA"),
                                            (1, 6 if number_ == 1 else 3, 8, 3, 2))[0]}
        if stop >= last_known:
            if death:
                row.update(stop_date=death, stop_reason="death")
            lines.append(row)
            break
        row.update(stop_date=stop, stop_reason=rng.choices(
            ("progression", "toxicity", "patient_choice"), (85, 10, 5))[0])
        lines.append(row)
        start, number_ = stop + timedelta(days=rng.randint(7, 40)), number_ + 1
    # Toxicities while on study (reported at the follow-up nearest their start).
    toxicities = []
    span = (last_known - day1).days
    for _ in range(rng.choices((0, 1, 2, 3, 4, 6), (20, 25, 20, 15, 12, 8))[0] if span else 0):
        begin = day1 + timedelta(days=rng.randint(0, span))
        grade = rng.choices((1, 2, 3, 4), (40, 35, 21, 4))[0]
        ongoing = rng.random() < 0.15
        stop = min(begin + timedelta(days=rng.randint(3, 60)), last_known)
        serious = grade >= 3 and rng.random() < 0.3
        toxicities.append({
            **keys, "term": rng.choice(TERMS), "grade": grade, "start_date": begin,
            "end_date": "" if ongoing else stop, "serious": int(serious),
            "sae_hospitalisation": int(serious),
            "relation_cdk46i": rng.choice(("possible", "probable", "unlikely", "not_related")),
            "relation_endocrine": rng.choice(("unlikely", "not_related", "possible")),
            "relation_ovarian_suppression": "not_related" if ofs else "",
            "action_taken": rng.choice(("dose_reduced", "interrupted")) if grade >= 3 else "none",
            "outcome": "not_recovered" if ongoing else "recovered",
        })
    screening = {
        **keys, "er_percent": rng.choice((10, 40, 60, 80, 90, 95, 100)),
        "pgr_percent": rng.choice((0, 0, 5, 20, 50, 80)), "her2_ihc": rng.choice(("0", "1+", "2+")),
        "prior_systemic_for_advanced": "N", "cdk46i": cdk46i, "cdk46i_start_date": day1,
        "cdk46i_with_endocrine": "Y", "cdk46i_adjuvant": "N", "data_cutoff_date": cut_off,
    }
    screening["her2_ish"] = "NEGATIVE" if screening["her2_ihc"] == "2+" else ""
    subject = {**keys, "sex": sex, "birth_date": birth, "consent_date": consent,
               "consent_version": PROTOCOL.consent_versions[-1], "day1": day1,
               "cdk46i": cdk46i, "cdk46i_start_dose_mg": dose, "endocrine": endocrine,
               "ovarian_suppression": int(ofs)}
    comorbidities, items = extras(keys, day1, consent, cut_off)
    return {"subjects.csv": [subject], "screening.csv": [screening],
            "treatment_lines.csv": lines, "toxicities.csv": toxicities,
            "follow_ups.csv": follow_ups, "comorbidities.csv": comorbidities,
            "collected_items.csv": items}


def extras(keys, day1, consent, cut_off):
    """Baseline comorbidities and sub-study items, from a generator of their own (so the other
    files stay what they were for a given seed)."""
    rng = random.Random(f"{keys['subject_id']}-{day1}")
    plan = PROTOCOL.real_world
    codes = [c.code for c in plan.comorbidities]
    comorbidities = [{**keys, "comorbidity": code,
                      "details": "Hypothyroidism" if code == "OTHER" else ""}
                     for code in rng.sample(codes, rng.choices((0, 1, 2, 3), (30, 35, 25, 10))[0])]
    items = []
    for item in plan.collected_items:
        if rng.random() < 0.6:
            when = min(day1 - timedelta(days=rng.randint(0, 30)), cut_off)
            items.append({**keys, "item": item.code, "collected_on": max(when, consent),
                          "storage_reference": f"ARCH-{keys['subject_id']}-{item.code}",
                          "consent_for_use": int(rng.random() < 0.9)})
    return comorbidities, items


COLUMNS = {"subjects.csv": SUBJECT_COLUMNS, "screening.csv": SCREENING_COLUMNS,
           "treatment_lines.csv": LINE_COLUMNS, "toxicities.csv": TOXICITY_COLUMNS,
           "follow_ups.csv": FOLLOW_UP_COLUMNS,
           "comorbidities.csv": ("study", "site", "subject_id", "comorbidity", "details"),
           "collected_items.csv": ("study", "site", "subject_id", "item", "collected_on",
                                   "storage_reference", "consent_for_use")}


def generate(out_dir, *, patients=3500, seed=7, cut_off=None, first_number=1):
    """Write the seven files into ``out_dir``; returns {file name: rows}."""
    rng = random.Random(seed)
    cut_off = cut_off or date.today() - timedelta(days=30)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    handles = {name: (out_dir / name).open("w", newline="", encoding="utf-8")
               for name in COLUMNS}
    writers = {name: csv.DictWriter(handles[name], COLUMNS[name], restval="")
               for name in COLUMNS}
    counts = dict.fromkeys(COLUMNS, 0)
    try:
        for writer in writers.values():
            writer.writeheader()
        for site, count in _site_counts(patients):
            for number in range(first_number, first_number + count):
                for name, rows in patient(rng, site, number, cut_off).items():
                    writers[name].writerows(rows)
                    counts[name] += len(rows)
    finally:
        for handle in handles.values():
            handle.close()
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir")
    parser.add_argument("--patients", type=int, default=3500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cut-off", type=date.fromisoformat, default=None)
    args = parser.parse_args()
    counts = generate(args.out_dir, patients=args.patients, seed=args.seed,
                      cut_off=args.cut_off)
    for name, rows in counts.items():
        print(f"{name}: {rows} rows")


if __name__ == "__main__":
    main()
