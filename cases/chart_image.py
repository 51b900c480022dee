"""A case's risk chart as a PNG (its og:image): the same figures as the SVG chart in cases.charts,
drawn with Pillow at the 1200x630 size link previews expect."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

from cases.charts import Group, _fmt, risk_groups

SIZE = (1200, 630)
PAPER, INK, MUTED, TRACK = "#fdfcf9", "#1b1f24", "#5b6470", "#e3e0d8"
# The colours of site.css's chart classes.
COLOURS = {
    "leverage": "#0b5cad",
    "workaround": "#a15c00",
    "dependency": "#b3261e",
    "risk-low": "#2e7d32",
    "risk-elevated": "#a15c00",
    "risk-high": "#b3261e",
}


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def risk_chart_png(summary, *, title: str) -> bytes:
    """The chart of ``summary`` (its party figures prefetched), headed by ``title``."""
    groups: list[Group] = risk_groups(summary)
    image = Image.new("RGB", SIZE, PAPER)
    draw = ImageDraw.Draw(image)
    width, height = SIZE
    margin, label_w, value_w = 48, 330, 110
    draw.rectangle((0, 0, width, 10), fill=INK)
    draw.text((margin, 30), "Moatwatch · risk summary", font=_font(26), fill=MUTED)
    heading = title if len(title) <= 60 else title[:59] + "…"
    draw.text((margin, 64), heading, font=_font(38), fill=INK)
    rows = sum(len(g.bars) + 1 for g in groups)
    top, bottom = 130, height - 40
    step = min(44, (bottom - top) // max(rows, 1))
    bar_h = max(8, int(step * 0.6))
    plot_w = width - 2 * margin - label_w - value_w
    y = top
    label_font, group_font = _font(max(12, int(step * 0.45))), _font(max(13, int(step * 0.5)))
    for group in groups:
        draw.text((margin, y + step // 4), group.title, font=group_font, fill=INK)
        y += step
        for bar in group.bars:
            x0 = margin + label_w
            draw.text((margin + 16, y + (step - bar_h) // 2), bar.label, font=label_font, fill=MUTED)
            draw.rectangle((x0, y, x0 + plot_w, y + bar_h), fill=TRACK)
            share = 0.0 if bar.value is None else max(0.0, min(1.0, float(bar.value) / bar.maximum))
            if share:
                draw.rectangle((x0, y, x0 + round(share * plot_w), y + bar_h), fill=COLOURS.get(bar.css, MUTED))
            draw.text((x0 + plot_w + 12, y - 2), _fmt(bar.value, bar.unit), font=label_font, fill=INK)
            y += step
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
