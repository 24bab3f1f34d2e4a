"""Figures of the fingerprint report as inline SVG strings (pure; text is XML-escaped)."""

from xml.sax.saxutils import escape

FONT = 'font-family="system-ui, sans-serif" font-size="11"'
GROUP_COLOURS = {"responder": "#1b7837", "non-responder": "#b3261e",
                 "not evaluable": "#8c8c8c"}


def _svg(width, height, title, body):
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="100%" role="img" {FONT} class="plot"><title>{escape(title)}</title>'
            f"{''.join(body)}</svg>")


def roc_plot(roc, *, title):
    """The ROC curve (false-positive rate, true-positive rate) with the chance diagonal."""
    if not roc:
        return _svg(300, 40, title, ['<text x="150" y="25" text-anchor="middle">No curve'
                                     "</text>"])
    size, pad = 240, 36

    def xy(f, t):
        return f"{pad + f * size:.1f},{pad / 2 + (1 - t) * size:.1f}"

    body = [f'<rect x="{pad}" y="{pad / 2}" width="{size}" height="{size}" fill="none" '
            'stroke="#c9d1dc"/>',
            f'<polyline points="{xy(0, 0)} {xy(1, 1)}" fill="none" stroke="#c9d1dc" '
            'stroke-dasharray="4 3"/>',
            '<polyline points="' + " ".join(xy(f, t) for f, t in roc)
            + '" fill="none" stroke="#1f5fa8" stroke-width="2"/>',
            f'<text x="{pad + size / 2}" y="{pad / 2 + size + 28}" text-anchor="middle">'
            "1 − specificity</text>",
            f'<text x="10" y="{pad / 2 + size / 2}" text-anchor="middle" '
            f'transform="rotate(-90 10 {pad / 2 + size / 2})">sensitivity</text>']
    return _svg(size + pad + 10, size + pad + 20, title, body)


def distance_plot(by_group, visits, *, title):
    """Mean distance from the patient's baseline fingerprint, per visit and response group."""
    top = max((v["mean"] for g in by_group.values() for v in g.values()), default=0) or 1
    width, height, pad = 520, 220, 40
    step = (width - 2 * pad) / max(len(visits) - 1, 1)

    def xy(i, value):
        return f"{pad + i * step:.1f},{height - pad - value / top * (height - 2 * pad):.1f}"

    body = [f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
            'stroke="#c9d1dc"/>']
    for i, visit in enumerate(visits):
        body.append(f'<text x="{pad + i * step:.1f}" y="{height - pad + 16}" '
                    f'text-anchor="middle">{escape(visit)}</text>')
    for row, (group, per_visit) in enumerate(sorted(by_group.items())):
        colour = GROUP_COLOURS.get(group, "#555")
        points = [xy(i, per_visit[v]["mean"]) for i, v in enumerate(visits) if v in per_visit]
        body.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" '
                    'stroke-width="2"/>')
        body.append(f'<text x="{width - pad}" y="{16 + 14 * row}" text-anchor="end" '
                    f'fill="{colour}">{escape(group)}</text>')
    return _svg(width, height, title, body)
