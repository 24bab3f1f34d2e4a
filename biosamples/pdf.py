"""Printable documents: the aliquot label sheet (Code 128) and the shipment manifest.

Drawn with reportlab's own Code 128 and canvas: no other dependency, text only from our data.
"""

import io

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

#: Label grid on A4: 3 columns × 10 rows of 63.5 × 25.4 mm cryo labels.
LABEL_COLUMNS, LABEL_ROWS = 3, 10
LABEL_W, LABEL_H = 63.5 * mm, 25.4 * mm
MARGIN_X, MARGIN_Y = 7.75 * mm, 21.5 * mm


def label_sheet(aliquots, *, title):
    """A4 sheet(s) of labels: barcode of the label, the label in clear, volume and sample date."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(title)
    pdf.setAuthor("trialsite")
    per_page = LABEL_COLUMNS * LABEL_ROWS
    _, page_h = A4
    for index, aliquot in enumerate(aliquots):
        if index and index % per_page == 0:
            pdf.showPage()
        slot = index % per_page
        col, row = slot % LABEL_COLUMNS, slot // LABEL_COLUMNS
        x = MARGIN_X + col * LABEL_W
        y = page_h - MARGIN_Y - (row + 1) * LABEL_H
        barcode = Code128(aliquot.label, barHeight=9 * mm, barWidth=0.22 * mm, quiet=False)
        barcode.drawOn(pdf, x + 3 * mm, y + 12 * mm)
        pdf.setFont("Helvetica-Bold", 8)
        pdf.drawString(x + 3 * mm, y + 8 * mm, aliquot.label)
        pdf.setFont("Helvetica", 7)
        drawn = aliquot.sample.drawn_at
        pdf.drawString(x + 3 * mm, y + 4 * mm,
                       f"{aliquot.volume_ml} mL · drawn {drawn:%Y-%m-%d %H:%M} UTC"
                       if drawn else f"{aliquot.volume_ml} mL")
    if not aliquots:
        pdf.drawString(20 * mm, page_h - 30 * mm, "No aliquots.")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def manifest_pdf(shipment, rows, *, lab_name):
    """The shipment manifest: one line per aliquot, with no clinical data."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setTitle(f"Manifest {shipment.reference}")
    pdf.setAuthor("trialsite")
    page_w, page_h = A4
    y = page_h - 20 * mm

    def line(text, *, size=9, bold=False, step=5 * mm):
        nonlocal y
        if y < 20 * mm:
            pdf.showPage()
            y = page_h - 20 * mm
        pdf.setFont("Helvetica-Bold" if bold else "Helvetica", size)
        pdf.drawString(15 * mm, y, text)
        y -= step

    line(f"Shipment manifest {shipment.reference}", size=14, bold=True, step=8 * mm)
    line(f"From: {shipment.site.name} ({shipment.site.code})")
    line(f"To: {lab_name}")
    line(f"Status: {shipment.get_status_display()}"
         + (f" · shipped {shipment.shipped_at:%Y-%m-%d %H:%M} UTC by {shipment.courier}, "
            f"tracking {shipment.tracking_number}, dry ice: "
            f"{'yes' if shipment.dry_ice else 'no'}" if shipment.shipped_at else ""))
    line(f"Aliquots: {len(rows)}", step=8 * mm)
    line("Aliquot label                 Visit   Collected (UTC)     Volume  F/T", bold=True)
    for aliquot in rows:
        drawn = aliquot.sample.drawn_at
        line(f"{aliquot.label:<30}{aliquot.sample.visit.code:<8}"
             f"{drawn:%Y-%m-%d %H:%M}    {aliquot.volume_ml} mL  {aliquot.freeze_thaw_count}")
    y -= 6 * mm
    line("Packed by: ____________________   Received by: ____________________")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
