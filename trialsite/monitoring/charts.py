"""Dashboard charts as inline SVG strings (pure: every text passes through XML escaping).

Same house approach as ``outcomes/plots.py``: plain values in, one ``<svg>`` out, with a
``<title>`` for screen readers.
"""

from xml.sax.saxutils import escape

FONT = 'font-family="system-ui, sans-serif" font-size="11"'
ACCENT, MUTED, OK, WARN, BAD = "#1f5fa8", "#5b6777", "#217a3c", "#a86400", "#b3261e"


def _t(x, y, text, anchor="middle", extra=""):
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {extra}>'
            f"{escape(str(text))}</text>")


def _svg(width, height, title, body):
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="100%" role="img" {FONT} class="plot"><title>{escape(title)}</title>'
            f"{''.join(body)}</svg>")


def _empty(title):
    return _svg(600, 50, title, [_t(300, 30, "No data yet.", extra=f'fill="{MUTED}"')])


def enrolment_chart(series, target, *, title="Enrolment against target"):
    """Cumulative enrolment (step line) and the target (dashed line)."""
    if not series:
        return _empty(title)
    width, height, left, right, top, bottom = 640, 240, 50, 20, 20, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    first, last = series[0][0], series[-1][0]
    span = max((last - first).days, 1)
    top_value = max(target, series[-1][1], 1)

    def x(day):
        return left + plot_w * (day - first).days / span

    def y(value):
        return top + plot_h * (1 - value / top_value)

    points = []
    previous = 0
    for day, total in series:
        points.append(f"{x(day):.1f},{y(previous):.1f}")
        points.append(f"{x(day):.1f},{y(total):.1f}")
        previous = total
    body = [f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
            f'stroke="#d7dde5"/>',
            f'<polyline points="{" ".join(points)}" fill="none" stroke="{ACCENT}" '
            'stroke-width="2"/>']
    if target:
        body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(target):.1f}" '
                     f'y2="{y(target):.1f}" stroke="{BAD}" stroke-dasharray="5,4"/>')
        body.append(_t(left + plot_w - 4, y(target) - 4, f"target {target}", "end",
                       f'fill="{BAD}"'))
    body.append(_t(left - 6, y(0) + 4, "0", "end"))
    body.append(_t(left - 6, y(top_value) + 4, str(top_value), "end"))
    body.append(_t(left, height - 12, first.isoformat(), "start"))
    body.append(_t(left + plot_w, height - 12, last.isoformat(), "end"))
    body.append(_t(x(series[-1][0]) - 4, y(series[-1][1]) - 6, f"{series[-1][1]} enrolled",
                   "end", f'fill="{ACCENT}"'))
    return _svg(width, height, title, body)


def bar_chart(items, *, title, colours=None):
    """Horizontal bars: ``items`` is ``[(label, value)]``."""
    items = list(items)
    if not items or not any(v for _, v in items):
        return _empty(title)
    colours = colours or {}
    width, label_w, row_h, top = 640, 190, 24, 10
    height = top * 2 + row_h * len(items)
    top_value = max(v for _, v in items) or 1
    plot_w = width - label_w - 60
    body = []
    for index, (label, value) in enumerate(items):
        y = top + index * row_h
        bar = plot_w * value / top_value
        body.append(_t(label_w - 8, y + 15, label, "end"))
        body.append(f'<rect x="{label_w}" y="{y + 4}" width="{bar:.1f}" height="{row_h - 8}" '
                    f'fill="{colours.get(label, ACCENT)}"/>')
        body.append(_t(label_w + bar + 6, y + 15, value, "start"))
    return _svg(width, height, title, body)


def flow_chart(stages, *, title="Participant flow (CONSORT)"):
    """Boxes top to bottom with counts, and the reasons patients left beside each step."""
    if not stages:
        return _empty(title)
    width, box_w, box_h, gap = 640, 230, 44, 26
    height = 10 + len(stages) * (box_h + gap)
    x = 20
    body = []
    for index, (label, count, reasons) in enumerate(stages):
        y = 10 + index * (box_h + gap)
        body.append(f'<rect x="{x}" y="{y}" width="{box_w}" height="{box_h}" rx="4" '
                    f'fill="#eef2f7" stroke="{ACCENT}"/>')
        body.append(_t(x + box_w / 2, y + 18, label, extra='font-weight="600"'))
        body.append(_t(x + box_w / 2, y + 34, f"n = {count}"))
        if index + 1 < len(stages):
            body.append(f'<line x1="{x + box_w / 2}" x2="{x + box_w / 2}" y1="{y + box_h}" '
                        f'y2="{y + box_h + gap}" stroke="{MUTED}"/>')
        lines = [f"{n} {reason}" for reason, n in reasons.items() if n][:3]
        for line_no, line in enumerate(lines):
            body.append(_t(x + box_w + 16, y + 14 + 13 * line_no, line, "start",
                           f'fill="{WARN}"'))
    return _svg(width, height, title, body)


COMPLIANCE_COLOURS = {"on time": OK, "late": WARN, "early": WARN, "missed": BAD,
                      "overdue": BAD}
