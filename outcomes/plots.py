"""Efficacy figures as inline SVG strings (pure: every text passes through XML escaping).

Each function takes plain values (no ORM) and returns one ``<svg>`` element, with a ``<title>``
for screen readers; colours follow the best overall response.
"""

from xml.sax.saxutils import escape, quoteattr

BOR_COLOURS = {
    "CR": "#1b7837", "PR": "#5aae61", "SD": "#1f5fa8", "NON-CR/NON-PD": "#6a8fc7",
    "PD": "#b3261e", "NE": "#8c8c8c",
}
FONT = 'font-family="system-ui, sans-serif" font-size="11"'


def colour(bor):
    return BOR_COLOURS.get(str(bor), "#8c8c8c")


def _f(value):
    return f"{value:.1f}"


def _text(x, y, text, anchor="middle", extra=""):
    return (f'<text x="{_f(x)}" y="{_f(y)}" text-anchor="{anchor}" {extra}>'
            f"{escape(str(text))}</text>")


def _svg(width, height, title, body):
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="100%" role="img" {FONT} class="plot">'
            f"<title>{escape(title)}</title>{''.join(body)}</svg>")


def _empty(title, message="No data yet."):
    return _svg(600, 60, title, [_text(300, 35, message, extra='fill="#5b6777"')])


def time_ticks(top, step_hint=6):
    """Round tick values from 0 to at least ``top``."""
    top = max(top, 1)
    raw = top / step_hint
    for step in (1, 2, 5, 7, 10, 14, 28, 30, 56, 60, 84, 90, 100, 182, 365):
        if step >= raw:
            break
    else:
        step = 365 * (int(raw // 365) + 1)
    ticks = list(range(0, int(top) + step, step))
    return ticks, ticks[-1]


def _legend(x, y, items):
    out = []
    ox = x
    for label, fill in items:
        out.append(f'<rect x="{ox}" y="{y - 9}" width="10" height="10" fill="{fill}"/>')
        out.append(_text(ox + 14, y, label, anchor="start"))
        ox += 14 + 7 * len(label) + 18  # room for the label at the figures' font size
    return "".join(out)


GROUP_COLOURS = ("#1f5fa8", "#b3261e", "#1b7837", "#a86400", "#6a3d9a")


def km_plot(km, *, title="Progression-free survival", unit="days"):
    """A Kaplan–Meier step curve with censoring ticks and the numbers at risk below it."""
    if km is None:
        return _empty(title)
    return km_groups_plot([("", km)], title=title, unit=unit)


def km_groups_plot(groups, *, title, unit="days"):
    """Kaplan–Meier curves of ``(label, KaplanMeier)`` groups on one set of axes, each with
    its censoring ticks and its row of numbers at risk; the median is marked for one curve."""
    groups = [(label, km) for label, km in groups if km is not None]
    if not groups:
        return _empty(title)
    labelled = len(groups) > 1 or bool(groups[0][0])
    width, right, top, plot_h = 640, 20, 20, 240
    left = 100 if labelled else 60  # room for the groups' names before the numbers at risk
    legend_h = 20 if labelled else 0
    risk_h = 22 * (len(groups) + 1) + 10
    height = top + plot_h + 40 + legend_h + risk_h
    last = max([t for _, km in groups for t, _ in km.steps]
               + [t for _, km in groups for t, _ in km.at_risk] + [1])
    xticks, xmax = time_ticks(last)
    plot_w = width - left - right

    def x(t):
        return left + plot_w * t / xmax

    def y(s):
        return top + plot_h * (1 - s)

    body = [f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="none" '
            f'stroke="#d7dde5"/>']
    for s in (0, 0.25, 0.5, 0.75, 1):
        body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{_f(y(s))}" y2="{_f(y(s))}" '
                    f'stroke="#eef2f7"/>')
        body.append(_text(left - 6, y(s) + 4, f"{s:.2f}", anchor="end"))
    for t in xticks:
        body.append(f'<line x1="{_f(x(t))}" x2="{_f(x(t))}" y1="{top + plot_h}" '
                    f'y2="{top + plot_h + 4}" stroke="#5b6777"/>')
        body.append(_text(x(t), top + plot_h + 16, t))
    body.append(_text(left + plot_w / 2, top + plot_h + 32, f"Time from day 1 ({unit})"))
    body.append(_text(14, top + plot_h / 2, "Probability", extra=(
        f'transform="rotate(-90 14 {_f(top + plot_h / 2)})"')))
    for index, (label, km) in enumerate(groups):
        stroke = GROUP_COLOURS[index % len(GROUP_COLOURS)]
        # The step function: horizontal to each time, then down.
        points, previous = [], 1.0
        for t, s in km.steps:
            points.append(f"{_f(x(t))},{_f(y(previous))}")
            points.append(f"{_f(x(t))},{_f(y(s))}")
            previous = s
        end = max([t for t, _ in km.steps] + [t for t, _ in km.censored]) if labelled else last
        points.append(f"{_f(x(end))},{_f(y(previous))}")
        body.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{stroke}" '
                    f'stroke-width="2" class="km-curve"'
                    f'{f" data-group={quoteattr(label)}" if label else ""}/>')
        for t, s in km.censored:
            body.append(f'<line class="censor" x1="{_f(x(t))}" x2="{_f(x(t))}" '
                        f'y1="{_f(y(s) - 5)}" y2="{_f(y(s) + 5)}" stroke="#12324f" '
                        f'stroke-width="1.5"/>')
    if len(groups) == 1 and groups[0][1].median is not None:
        median = groups[0][1].median
        body.append(f'<line x1="{left}" x2="{_f(x(median))}" y1="{_f(y(.5))}" '
                    f'y2="{_f(y(.5))}" stroke="#a86400" stroke-dasharray="4 3"/>')
    if labelled:
        body.append(_legend(left, top + plot_h + 52, [
            (label, GROUP_COLOURS[i % len(GROUP_COLOURS)]) for i, (label, _) in
            enumerate(groups)]))
    risk_top = top + plot_h + 50 + legend_h
    body.append(_text(4, risk_top, "Number at risk", anchor="start",
                      extra='font-weight="600"'))
    for index, (label, km) in enumerate(groups):
        row = risk_top + 18 * (index + 1)
        if labelled:
            body.append(_text(4, row, label, anchor="start",
                              extra=f'fill="{GROUP_COLOURS[index % len(GROUP_COLOURS)]}"'))
        for t, n in km.at_risk:
            if t <= xmax:
                body.append(_text(x(t), row, n, extra='class="at-risk"'))
    return _svg(width, height, title, body)


def waterfall_plot(bars, *, title="Best change of the target sum from baseline"):
    """Bars of ``(subject_id, best % change, bor)``, sorted from largest growth to shrinkage."""
    bars = [b for b in bars if b[1] is not None]
    if not bars:
        return _empty(title, "No patient has a measured target sum after baseline yet.")
    bars = sorted(bars, key=lambda b: -b[1])
    width, left, top, plot_h = 640, 50, 20, 240
    height = top + plot_h + 60
    lo = min(-100.0, min(b[1] for b in bars))
    hi = max(40.0, max(b[1] for b in bars))
    plot_w = width - left - 20
    step = plot_w / len(bars)

    def y(v):
        return top + plot_h * (hi - v) / (hi - lo)

    body = []
    for v in range(int(lo // 20) * 20, int(hi) + 1, 20):
        if lo <= v <= hi:
            body.append(_text(left - 6, y(v) + 4, f"{v:+d} %" if v else "0", anchor="end"))
    body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{_f(y(0))}" y2="{_f(y(0))}" '
                f'stroke="#5b6777"/>')
    for i, (subject, value, bor) in enumerate(bars):
        x0 = left + i * step + step * 0.1
        y0, y1 = sorted((y(0), y(value)))
        body.append(f'<rect class="bar" x="{_f(x0)}" y="{_f(y0)}" width="{_f(step * 0.8)}" '
                    f'height="{_f(max(y1 - y0, 0.5))}" fill="{colour(bor)}">'
                    f"<title>{escape(f'{subject}: {value:+.1f} % ({bor})')}</title></rect>")
    for v, label in ((20, "+20 %"), (-30, "−30 %")):
        body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{_f(y(v))}" y2="{_f(y(v))}" '
                    f'stroke="#a86400" stroke-dasharray="5 4" class="threshold"/>')
        body.append(_text(left + plot_w - 2, y(v) - 3, label, anchor="end",
                          extra='fill="#a86400"'))
    order = list(BOR_COLOURS)
    present = sorted({str(b[2]) for b in bars},
                     key=lambda p: (order.index(p) if p in order else len(order), p))
    body.append(_legend(left, height - 12, [(p, colour(p)) for p in present]))
    return _svg(width, height, title, body)


def swimmer_plot(lanes, *, title="Time on study"):
    """Lanes of dicts: ``subject_id``, ``days``, ``bor``, ``response_day``,
    ``progression_day``, ``death_day`` (days from day 1, None when absent)."""
    if not lanes:
        return _empty(title)
    lanes = sorted(lanes, key=lambda lane: -lane["days"])
    lane_h, left, top, width = 18, 110, 10, 640
    plot_w = width - left - 20
    height = top + lane_h * len(lanes) + 50
    xticks, xmax = time_ticks(max(lane["days"] for lane in lanes))

    def x(d):
        return left + plot_w * d / xmax

    body = []
    for t in xticks:
        body.append(f'<line x1="{_f(x(t))}" x2="{_f(x(t))}" y1="{top}" '
                    f'y2="{top + lane_h * len(lanes)}" stroke="#eef2f7"/>')
        body.append(_text(x(t), top + lane_h * len(lanes) + 14, t))
    body.append(_text(left + plot_w / 2, top + lane_h * len(lanes) + 28, "Days from day 1"))
    for i, lane in enumerate(lanes):
        cy = top + lane_h * i + lane_h / 2
        label = f"{lane['subject_id']}: {lane['days']} days ({lane['bor']})"
        body.append(_text(left - 6, cy + 4, lane["subject_id"], anchor="end"))
        body.append(f'<rect class="lane" x="{left}" y="{_f(cy - 5)}" '
                    f'width="{_f(max(x(lane["days"]) - left, 1))}" height="10" '
                    f'fill="{colour(lane["bor"])}"><title>'
                    f"{escape(label)}"
                    f"</title></rect>")
        if lane.get("response_day") is not None:
            rx = x(lane["response_day"])
            body.append(f'<polygon class="response" points="{_f(rx - 5)},{_f(cy - 9)} '
                        f'{_f(rx + 5)},{_f(cy - 9)} {_f(rx)},{_f(cy - 2)}" fill="#12324f">'
                        f"<title>first response</title></polygon>")
        if lane.get("progression_day") is not None:
            px = x(lane["progression_day"])
            body.append(f'<circle class="progression" cx="{_f(px)}" cy="{_f(cy)}" r="4" '
                        f'fill="#fff" stroke="#b3261e" stroke-width="2">'
                        f"<title>progression</title></circle>")
        if lane.get("death_day") is not None:
            dx = x(lane["death_day"])
            body.append(_text(dx + 8, cy + 4, "†", extra='class="death"'))
    body.append(_legend(left, height - 6, [("CR/PR first seen ▼", "#12324f"),
                                           ("progression ○", "#b3261e")]))
    return _svg(width, height, title, body)


def spider_plot(series, *, title="Change of the target sum over time"):
    """Series of ``(subject_id, bor, [(day, % change), ...])``, each drawn from (0, 0)."""
    series = [(s, b, pts) for s, b, pts in series if pts]
    if not series:
        return _empty(title, "No patient has a measured target sum after baseline yet.")
    width, left, top, plot_h = 640, 50, 20, 240
    height = top + plot_h + 50
    plot_w = width - left - 20
    values = [v for _, _, pts in series for _, v in pts]
    lo, hi = min(-100.0, min(values)), max(40.0, max(values))
    xticks, xmax = time_ticks(max(d for _, _, pts in series for d, _ in pts))

    def x(d):
        return left + plot_w * d / xmax

    def y(v):
        return top + plot_h * (hi - v) / (hi - lo)

    body = []
    for t in xticks:
        body.append(_text(x(t), top + plot_h + 16, t))
    body.append(_text(left + plot_w / 2, top + plot_h + 32, "Days from day 1"))
    for v in range(int(lo // 20) * 20, int(hi) + 1, 20):
        if lo <= v <= hi:
            body.append(_text(left - 6, y(v) + 4, f"{v:+d} %" if v else "0", anchor="end"))
    body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{_f(y(0))}" y2="{_f(y(0))}" '
                f'stroke="#5b6777"/>')
    for v in (20, -30):
        body.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{_f(y(v))}" y2="{_f(y(v))}" '
                    f'stroke="#a86400" stroke-dasharray="5 4"/>')
    for subject, bor, pts in series:
        path = " ".join(f"{_f(x(d))},{_f(y(v))}" for d, v in [(0, 0.0), *pts])
        body.append(f'<polyline class="spider" points="{path}" fill="none" '
                    f'stroke={quoteattr(colour(bor))} stroke-width="1.5">'
                    f"<title>{escape(f'{subject} ({bor})')}</title></polyline>")
    return _svg(width, height, title, body)
