"""Template tags of the catalogue: labels for classification codes, and
{% hbar_chart chart "id" %}, a horizontal bar chart as inline SVG drawn on the server.

No JavaScript and no inline styles (the CSP forbids both): geometry goes in SVG
attributes, colours and type in static/css/catalogue.css. The SVG is one image for
assistive technology (role="img" with <title> and <desc>); the numbers themselves are
in the table that every chart stands next to.
"""

from django import template

from rsportal.applications.models import PatientGroup, Theme
from rsportal.catalogue.tables import format_value

register = template.Library()

_THEMES = dict(Theme.choices)
_GROUPS = dict(PatientGroup.choices)


@register.filter
def theme_label(code):
    return _THEMES.get(code, code)


@register.filter
def patient_group_label(code):
    return _GROUPS.get(code, code)

WIDTH = 720
VALUE_SPACE = 150  # room to the right of the longest bar for its value
LABEL_HEIGHT = 20
BAR_HEIGHT = 16
SERIES_GAP = 4
ROW_GAP = 12
LEGEND_HEIGHT = 28


@register.inclusion_tag("catalogue/_hbar_chart.html")
def hbar_chart(chart, chart_id: str):
    values = [v for _name, series in chart.series for v in series if v is not None]
    # Shares are drawn on their own scale, 0-100 %: scaled to the largest, 30 % would
    # fill the chart and look like everyone. Amounts and counts are scaled to the largest.
    top = 100 if chart.kind == "pct" else max([v for v in values if v > 0], default=0) or 1
    area = WIDTH - VALUE_SPACE
    legend = []
    y = 0
    if len(chart.series) > 1:
        x = 0
        for index, (name, _values) in enumerate(chart.series):
            legend.append({"name": name, "x": x, "text_x": x + 20, "series": index})
            x += 20 + 8 * len(str(name)) + 24
        y = LEGEND_HEIGHT
    rows = []
    for index, label in enumerate(chart.labels):
        row = {"label": label, "label_y": y + 14, "bars": []}
        y += LABEL_HEIGHT
        for series_index, (name, series) in enumerate(chart.series):
            value = series[index]
            width = round(area * min(max(value or 0, 0), top) / top, 1)
            row["bars"].append(
                {
                    "series": series_index,
                    "name": name,
                    "y": y,
                    "width": width,
                    "text": format_value(value, chart.kind),
                    "text_x": width + 6,
                    "text_y": y + BAR_HEIGHT - 3,
                }
            )
            y += BAR_HEIGHT + SERIES_GAP
        y += ROW_GAP
        rows.append(row)
    return {
        "chart": chart,
        "id": chart_id,
        "width": WIDTH,
        "height": max(y, 1),
        "bar_height": BAR_HEIGHT,
        "rows": rows,
        "legend": legend,
        "series_names": [name for name, _values in chart.series],
    }
