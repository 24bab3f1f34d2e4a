"""The fingerprint analysis report as a PDF: provenance, every question's figures, the ROC
curves, and the assumptions the protocol module marks (reportlab canvas, text from our data)."""

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas


def _pct(value):
    return "–" if value is None else f"{value * 100:.1f} %"


def _ci(pair):
    if not pair or pair[0] is None:
        return "–"
    return f"{pair[0] * 100:.1f}–{pair[1] * 100:.1f} %"


def _num(value, digits=3):
    return "–" if value is None else f"{value:.{digits}f}"


class _Writer:
    def __init__(self, pdf):
        self.pdf, self.y = pdf, A4[1] - 20 * mm

    def line(self, text, *, size=9, bold=False, gap=4.6):
        if self.y < 20 * mm:
            self.pdf.showPage()
            self.y = A4[1] - 20 * mm
        self.pdf.setFont("Helvetica-Bold" if bold else "Helvetica", size)
        self.pdf.drawString(18 * mm, self.y, str(text)[:140])
        self.y -= gap * mm * size / 9

    def roc(self, points):
        if not points:
            return
        side = 55 * mm
        if self.y - side < 20 * mm:
            self.pdf.showPage()
            self.y = A4[1] - 20 * mm
        x0, y0 = 25 * mm, self.y - side
        self.pdf.setStrokeColorRGB(0.75, 0.78, 0.82)
        self.pdf.rect(x0, y0, side, side)
        self.pdf.line(x0, y0, x0 + side, y0 + side)
        self.pdf.setStrokeColorRGB(0.12, 0.37, 0.66)
        path = self.pdf.beginPath()
        path.moveTo(x0 + points[0][0] * side, y0 + points[0][1] * side)
        for f, t in points[1:]:
            path.lineTo(x0 + f * side, y0 + t * side)
        self.pdf.drawPath(path)
        self.pdf.setStrokeColorRGB(0, 0, 0)
        self.pdf.setFont("Helvetica", 7)
        self.pdf.drawString(x0 + side / 2 - 10 * mm, y0 - 4 * mm, "1 - specificity")
        self.pdf.drawString(x0 - 6 * mm, y0 + side + 2 * mm, "sensitivity")
        self.y = y0 - 9 * mm


def report_pdf(context):
    run = context["run"]
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(f"Fingerprint analysis {run.pk} of {run.study.code}")
    pdf.setAuthor("trialsite")
    w = _Writer(pdf)
    w.line(f"{run.study.code}: plasma fingerprint analysis {run.pk}", size=14, bold=True)
    w.line(f"Status {run.get_status_display()}; data cut {run.data_cut:%Y-%m-%d %H:%M} UTC; "
           f"requested by {context['requested_by']}")
    w.line(f"Seed {run.seed}; permutations {run.permutations}; folds stratified by age group: "
           f"{'yes' if run.age_stratified else 'no'}")
    w.line(f"Inputs SHA-256 {run.inputs_sha256}")
    w.line(f"Results SHA-256 {run.results_sha256}")
    w.line("Libraries: " + ", ".join(f"{k} {v}" for k, v in sorted(run.versions.items())))
    for item in context["techniques"]:
        result = item["result"]
        w.line("")
        w.line(f"{item['code']}: {result['label']}", size=12, bold=True)
        w.line(f"Spectra used {result['spectra_used']}; excluded {result['excluded']}; "
               f"fingerprints {result['fingerprints']}")
        for key, title in (("question_1", "Q1 baseline fingerprint -> responder (CR/PR)"),
                           ("question_2", "Q2 BL-M3 fingerprints -> early progression")):
            q = result[key]
            w.line(title, bold=True)
            if q.get("error"):
                w.line(f"Not computed: {q['error']}")
                continue
            w.line(f"Patients {q['n']} ({q['positives']} positive); AUC {_num(q['auc'])}")
            w.line(f"Sensitivity {_pct(q['sensitivity'])} (exact 95 % CI "
                   f"{_ci(q['sensitivity_ci'])}); specificity {_pct(q['specificity'])} "
                   f"(exact 95 % CI {_ci(q['specificity_ci'])})")
            w.line(f"One-sided test of H0 sensitivity >= hypothesis: p = "
                   f"{_num(q['sensitivity_p_value'], 4)}; permutation test of the AUC: "
                   f"p = {_num(q['permutation_p_value'], 4)} ({q['permutations']} "
                   "permutations)")
            if key == "question_1":
                w.roc(q["roc"])
        w.line("Q3 distance from the patient's baseline fingerprint (mean per visit)",
               bold=True)
        for group, visits in result["question_3"]["by_group"].items():
            w.line(f"{group}: " + ", ".join(f"{v} {d['mean']:.4f} (n={d['n']})"
                                            for v, d in visits.items()))
    w.line("")
    w.line("Assumptions (values the registry text does not give)", size=11, bold=True)
    for a in context["assumptions"]:
        w.line(f"- {a.what}", size=8)
        w.line(f"  source: {a.source}", size=8)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
