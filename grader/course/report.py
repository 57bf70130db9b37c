"""The instructor report: one self-contained HTML page of plots and tables about a batch.

The page opens offline: no script, no external font, stylesheet or image. Every plot is an SVG
drawn by matplotlib (text drawn as paths, so no font is needed to read it) and embedded as a
data: URI in an <img>, where an SVG cannot run scripts either. Names, notes and output come
from student submissions, so the template escapes everything, every name shown in a plot is
ours (statuses, question ids, diagnosis titles), and a Content-Security-Policy forbids scripts
and every request but data: images should anything slip through.

Scores, pass rates and diagnoses leave out `grader_error` rows: those zeros are our bug, not
the student's result. The status counts and the list of errors include them.
"""

import base64
import io
import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2
import matplotlib.style
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter, PercentFormatter

from grader.diagnoses import catalogue
from grader.files import write_whole
from grader.records import Status, SubmissionResult
from grader.render import format_points

DEFAULT_TITLE = "Grading report"
TOP_SENTENCES = 5
SLOWEST = 10
OUTPUT_TAIL_LINES = 30
OUTPUT_TAIL_CHARS = 4000
UNIT_BINS_UP_TO = 40  # a score histogram gets one bar per point up to this maximum
EVEN_BINS = 20
TIMING_BINS = 24
LOG_TIMING_RATIO = 20  # a log time axis when the slowest took 20 times the fastest

# Statuses that ran to the end; every other one is listed with its note.
FINISHED = {Status.OK.value, Status.NOT_ATTEMPTED.value, Status.SUPERSEDED.value}
# Rows left out of the class's scores: our own failures, and older submissions graded again later.
UNSCORED = {Status.GRADER_ERROR.value, Status.SUPERSEDED.value}

# One colour per status, the same in every plot and table; new statuses get FALLBACK_COLORS.
STATUS_COLORS = {
    "ok": "#2e7d32",
    "not_attempted": "#9e9e9e",
    "error": "#c62828",
    "timeout": "#ef6c00",
    "memory": "#6a1b9a",
    "invalid": "#795548",
    "tampered": "#212121",
    "superseded": "#b0bec5",
    "grader_error": "#ad1457",
}
FALLBACK_COLORS = ["#00838f", "#283593", "#827717", "#4e342e", "#37474f"]
FULL_COLOR = "#2e7d32"
PARTIAL_COLOR = "#f9a825"
NONE_COLOR = "#e0e0e0"
DIAGNOSIS_COLOR = "#c62828"
STAT_COLORS = {"mean": "#1565c0", "median": "#212121"}

# A fixed style, so the same results give the same bytes on every machine.
STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#e6e6e6",
    "grid.linewidth": 0.8,
    "legend.frameon": False,
    "svg.fonttype": "path",
    "svg.hashsalt": "perceptron-grader-report",
    "text.parse_math": False,
    "figure.dpi": 100,
}


@dataclass(frozen=True)
class Chart:
    uri: str
    alt: str
    width: int
    height: int


@dataclass(frozen=True)
class DiagnosisShare:
    code: str
    title: str
    count: int
    share: float

    @property
    def percent(self) -> str:
        return percent(self.share)


# ---- Numbers -----------------------------------------------------------------------------


def percent(share: float) -> str:
    """38%, and <1% rather than 0% for a share that is not zero."""
    if 0 < share < 0.005:
        return "<1%"
    return f"{round(100 * share)}%"


def lower_first(title: str) -> str:
    """'Did not scale…' -> 'did not scale…', but 'MSE…' and 'load_mnist…' stay as they are."""
    if len(title) > 1 and title[0].isupper() and title[1].islower():
        return title[0].lower() + title[1:]
    return title


def status_of(result: SubmissionResult) -> str:
    status = result.status
    return status.value if isinstance(status, Status) else str(status)


def status_order(statuses: Iterable[str]) -> list[str]:
    """The statuses present, known ones in Status order, then new ones as they first appear."""
    present = list(dict.fromkeys(statuses))
    known = [status.value for status in Status if status.value in present]
    return known + [status for status in present if status not in known]


def status_colors(statuses: list[str]) -> dict[str, str]:
    unknown = iter(FALLBACK_COLORS * (len(statuses) // len(FALLBACK_COLORS) + 1))
    return {status: STATUS_COLORS.get(status) or next(unknown) for status in statuses}


def question_points(result: SubmissionResult, question_id: str) -> tuple[float, float]:
    for question in result.questions:
        if question.id == question_id:
            return question.points, question.max_points
    return 0.0, 0.0


def question_maxima(results: list[SubmissionResult], question_ids: list[str]) -> dict[str, float]:
    return {
        question_id: max((question_points(r, question_id)[1] for r in results), default=0.0)
        for question_id in question_ids
    }


def is_full(points: float, maximum: float) -> bool:
    return maximum > 0 and points >= maximum - 1e-9


def diagnosis_shares(scored: list[SubmissionResult]) -> tuple[list[DiagnosisShare], list[str]]:
    """Share of submissions per known code, most frequent first; and the unknown codes seen."""
    counts = Counter(code for result in scored for code in result.diagnoses)
    kinds = catalogue()
    order = list(kinds)
    known = sorted(
        (code for code in counts if code in kinds),
        key=lambda code: (-counts[code], order.index(code)),
    )
    shares = [
        DiagnosisShare(code, kinds[code].title, counts[code], counts[code] / len(scored))
        for code in known
    ]
    return shares, sorted(code for code in counts if code not in kinds)


def output_tail(output: str) -> str:
    lines = output.rstrip().splitlines()[-OUTPUT_TAIL_LINES:]
    return "\n".join(lines)[-OUTPUT_TAIL_CHARS:]


# ---- Plots -------------------------------------------------------------------------------


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _chart(figure: Figure, alt: str) -> Chart:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    width, height = (round(v * figure.dpi) for v in figure.get_size_inches())
    return Chart(f"data:image/svg+xml;base64,{encoded}", alt, width, height)


def _stacked_histogram(
    figure: Figure,
    values_by_status: dict[str, list[float]],
    colors: dict[str, str],
    edges: np.ndarray,
) -> Axes:
    """One bar per bin, stacked by status; the legend above the plot, headroom for labels."""
    axes = figure.add_subplot()
    statuses = [status for status in colors if values_by_status.get(status)]
    counts, _, _ = axes.hist(
        [np.clip(values_by_status[status], edges[0], edges[-1]) for status in statuses],
        bins=edges,
        stacked=True,
        color=[colors[status] for status in statuses],
        label=statuses,
        edgecolor="white",
        linewidth=0.8,
    )
    tallest = float(np.max(counts)) if len(statuses) else 0.0
    axes.set_ylim(0, max(1.0, tallest * 1.2))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel("submissions")
    axes.grid(axis="x", visible=False)
    axes.legend(
        loc="lower left",
        bbox_to_anchor=(0, 1.0),
        ncols=min(7, len(statuses)) or 1,
        fontsize=9,
        handlelength=1.2,
        columnspacing=1.2,
    )
    return axes


def score_histogram(
    scored: list[SubmissionResult], maximum: float, colors: dict[str, str]
) -> Chart:
    figure = _figure(8, 3.6)
    totals: dict[str, list[float]] = {}
    for result in scored:
        totals.setdefault(status_of(result), []).append(result.total)
    unit_bins = maximum == int(maximum) and 0 < maximum <= UNIT_BINS_UP_TO
    if unit_bins:  # one bar per point, centred on it: 6.67 counts as 7
        edges = np.arange(int(maximum) + 2) - 0.5
    else:
        edges = np.linspace(0, maximum or 1, EVEN_BINS + 1)
    axes = _stacked_histogram(figure, totals, colors, edges)
    axes.set_xlim(edges[0], edges[-1])
    if unit_bins:
        axes.set_xticks(range(int(maximum) + 1))
    all_totals = [result.total for result in scored]
    mean, median = statistics.fmean(all_totals), statistics.median(all_totals)
    for name, value in (("mean", mean), ("median", median)):
        # The lower of the two is labelled on its left, the other on its right.
        left = value < (median if name == "mean" else mean)
        axes.axvline(value, color=STAT_COLORS[name], linestyle="--", linewidth=1.4)
        axes.annotate(
            f"{name} {format_points(value)}",
            xy=(value, 1),
            xycoords=("data", "axes fraction"),
            xytext=(-4 if left else 4, -3),
            textcoords="offset points",
            ha="right" if left else "left",
            va="top",
            color=STAT_COLORS[name],
            fontsize=9,
        )
    axes.set_xlabel(f"total points (out of {format_points(maximum)})")
    alt = (
        f"Histogram of total scores from 0 to {format_points(maximum)} "
        f"for {len(scored)} submissions, coloured by status; "
        f"mean {format_points(mean)}, median {format_points(median)}."
    )
    return _chart(figure, alt)


def pass_rate_chart(
    scored: list[SubmissionResult], question_ids: list[str], maxima: dict[str, float]
) -> Chart:
    figure = _figure(8, 0.9 + 0.42 * len(question_ids))
    axes = figure.add_subplot()
    rows = []
    for question_id in question_ids:
        full = partial = 0
        for result in scored:
            points, maximum = question_points(result, question_id)
            full += is_full(points, maximum)
            partial += points > 0 and not is_full(points, maximum)
        rows.append((full / len(scored), partial / len(scored)))
    positions = np.arange(len(question_ids))
    full_shares = np.array([row[0] for row in rows])
    partial_shares = np.array([row[1] for row in rows])
    none_shares = 1 - full_shares - partial_shares
    axes.barh(positions, full_shares, color=FULL_COLOR, label="full points")
    axes.barh(
        positions, partial_shares, left=full_shares, color=PARTIAL_COLOR, label="partial points"
    )
    axes.barh(
        positions, none_shares, left=full_shares + partial_shares, color=NONE_COLOR, label="none"
    )
    for position, (full, partial) in zip(positions, rows, strict=True):
        if full >= 0.06:
            axes.text(full / 2, position, percent(full), ha="center", va="center", color="white")
        if partial >= 0.06:
            axes.text(full + partial / 2, position, percent(partial), ha="center", va="center")
    axes.set_yticks(
        positions,
        [f"{qid} ({format_points(maxima[qid])} pt)" for qid in question_ids],
    )
    axes.invert_yaxis()
    axes.set_xlim(0, 1)
    axes.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    axes.grid(axis="y", visible=False)
    axes.set_xlabel("share of submissions")
    axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=3, fontsize=9)
    summary = ", ".join(
        f"{qid} {percent(full)} full" for qid, (full, _) in zip(question_ids, rows, strict=True)
    )
    return _chart(
        figure, f"Share of submissions with full or partial points per question: {summary}."
    )


def diagnosis_chart(shares: list[DiagnosisShare]) -> Chart:
    figure = _figure(8, 0.8 + 0.36 * len(shares))
    axes = figure.add_subplot()
    positions = np.arange(len(shares))
    values = [share.share for share in shares]
    axes.barh(positions, values, color=DIAGNOSIS_COLOR, height=0.7)
    for position, share in zip(positions, shares, strict=True):
        axes.text(
            share.share,
            position,
            f"  {share.percent} ({share.count})",
            va="center",
            fontsize=9,
        )
    axes.set_yticks(positions, [share.title for share in shares])
    axes.invert_yaxis()
    axes.set_xlim(0, min(1.0, max(values) * 1.25 + 0.02))
    axes.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    axes.grid(axis="y", visible=False)
    axes.set_xlabel("share of submissions with this diagnosis")
    alt = "Diagnoses by share of submissions: " + "; ".join(
        f"{share.title} {share.percent}" for share in shares
    )
    return _chart(figure, alt + ".")


def timing_histogram(results: list[SubmissionResult], colors: dict[str, str]) -> Chart:
    """Seconds per submission; on a log scale when a few (timeouts) dwarf the rest."""
    figure = _figure(8, 3.4)
    seconds: dict[str, list[float]] = {}
    for result in results:
        seconds.setdefault(status_of(result), []).append(result.seconds)
    every = [result.seconds for result in results]
    positive = [value for value in every if value > 0]
    logarithmic = bool(positive) and max(positive) >= LOG_TIMING_RATIO * min(positive)
    if logarithmic:  # zeros go into the first bar
        low = 10 ** math.floor(math.log10(min(positive)))
        edges = np.geomspace(low, max(positive) * 1.05, TIMING_BINS + 1)
    else:
        edges = np.linspace(0, max(every, default=0) or 1.0, TIMING_BINS + 1)
    axes = _stacked_histogram(figure, seconds, colors, edges)
    axes.set_xlim(edges[0], edges[-1])
    if logarithmic:
        axes.set_xscale("log")
        axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        axes.xaxis.set_minor_formatter(NullFormatter())
    scale = " (log scale)" if logarithmic else ""
    if logarithmic and min(every) <= 0:
        scale = " (log scale; 0 s counts in the first bar)"
    axes.set_xlabel(f"grading time in seconds{scale}")
    alt = (
        f"Histogram of grading time per submission{scale}, up to "
        f"{max(every, default=0):.1f} s, coloured by status."
    )
    return _chart(figure, alt)


# ---- Page --------------------------------------------------------------------------------

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
      content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
  body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
         color: #212121; background: #fafafa; margin: 0; }
  main { max-width: 900px; margin: 0 auto; padding: 24px 20px 60px; }
  h1 { font-size: 26px; margin: 8px 0 4px; }
  h2 { font-size: 19px; margin: 36px 0 8px; border-bottom: 1px solid #e0e0e0;
       padding-bottom: 4px; }
  .muted { color: #616161; font-size: 13px; }
  .cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0 8px; }
  .card { background: white; border: 1px solid #e0e0e0; border-radius: 8px;
          padding: 10px 16px; min-width: 120px; }
  .card .value { font-size: 26px; font-weight: 600; }
  .card .label { color: #616161; font-size: 13px; }
  .statuses { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0; }
  .status { display: inline-block; border-radius: 12px; padding: 1px 10px; color: white;
            font-size: 13px; white-space: nowrap; }
  figure { margin: 12px 0; background: white; border: 1px solid #e0e0e0; border-radius: 8px;
           padding: 8px; }
  figure img { display: block; width: 100%; height: auto; }
  figcaption { color: #616161; font-size: 13px; margin: 4px 6px 0; }
  ul.sentences { padding-left: 20px; }
  ul.sentences li { margin: 4px 0; font-size: 16px; }
  ul.sentences strong { font-size: 18px; }
  table { border-collapse: collapse; width: 100%; background: white; font-size: 13px; }
  th, td { border-bottom: 1px solid #eeeeee; padding: 5px 8px; text-align: left;
           vertical-align: top; }
  th { background: #f5f5f5; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
  td.name, td.note { overflow-wrap: anywhere; }
  pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f5f5f5; padding: 8px;
        max-height: 320px; overflow: auto; font-size: 12px; }
  details summary { cursor: pointer; color: #1565c0; }
</style>
</head>
<body>
<main>
<h1>{{ title }}</h1>
<p class="muted">{{ n_results }} submission{{ "" if n_results == 1 else "s" }} graded;
scores out of {{ maximum }} points.</p>

<section id="summary">
<h2>Summary</h2>
<div class="cards">
  <div class="card"><div class="value" id="count">{{ n_results }}</div>
    <div class="label">submissions</div></div>
  <div class="card"><div class="value" id="mean">{{ mean }}</div>
    <div class="label">mean score / {{ maximum }}</div></div>
  <div class="card"><div class="value" id="median">{{ median }}</div>
    <div class="label">median score / {{ maximum }}</div></div>
  <div class="card"><div class="value">{{ full_marks }}</div>
    <div class="label">full marks</div></div>
</div>
<div class="statuses" id="status-counts">
{% for status, count in status_counts %}
  <span class="status" style="background: {{ colors[status] }}">{{ status }}: {{ count }}</span>
{% endfor %}
</div>
{% if n_unscored %}
<p class="muted">{{ n_unscored }} grader error{{ "" if n_unscored == 1 else "s" }} (our bug,
not the student's) {{ "is" if n_unscored == 1 else "are" }} left out of the scores, pass rates
and diagnoses below: fix the grader and grade {{ "it" if n_unscored == 1 else "them" }}
again.</p>
{% endif %}
</section>

{% if charts.scores %}
<section id="scores">
<h2>Score distribution</h2>
<figure><img src="{{ charts.scores.uri }}" alt="{{ charts.scores.alt }}"
  width="{{ charts.scores.width }}" height="{{ charts.scores.height }}">
<figcaption>Total points per submission, coloured by how grading ended.</figcaption></figure>
</section>

<section id="questions">
<h2>Pass rate per question</h2>
<figure><img src="{{ charts.questions.uri }}" alt="{{ charts.questions.alt }}"
  width="{{ charts.questions.width }}" height="{{ charts.questions.height }}">
<figcaption>Share of the {{ n_scored }} scored submissions earning all of a question's points,
some of them, or none.</figcaption></figure>
</section>

<section id="diagnoses">
<h2>Most frequent mistakes</h2>
{% if diagnoses %}
<ul class="sentences">
{% for share in diagnoses[:top_sentences] %}
  <li><strong>{{ share.percent }}</strong> of submissions ({{ share.count }} of {{ n_scored }}):
    {{ lower_first(share.title) }}.</li>
{% endfor %}
</ul>
<figure><img src="{{ charts.diagnoses.uri }}" alt="{{ charts.diagnoses.alt }}"
  width="{{ charts.diagnoses.width }}" height="{{ charts.diagnoses.height }}">
<figcaption>Share of the {{ n_scored }} scored submissions whose checks found each mistake;
one submission can make several.</figcaption></figure>
{% else %}
<p>No check diagnosed a known mistake.</p>
{% endif %}
{% if unknown_codes %}
<p class="muted">Diagnosis codes not in the catalogue (not charted):
{{ unknown_codes | join(", ") }}.</p>
{% endif %}
</section>
{% endif %}

<section id="problems">
<h2>Errors and timeouts ({{ problems | length }})</h2>
{% if problems %}
<table>
<thead><tr><th>submission</th><th>status</th><th class="num">score</th>
  <th class="num">seconds</th><th>note</th></tr></thead>
<tbody>
{% for row in problems %}
<tr>
  <td class="name"><bdi>{{ row.name }}</bdi></td>
  <td><span class="status" style="background: {{ colors[row.status] }}">{{ row.status }}</span></td>
  <td class="num">{{ row.score }}</td>
  <td class="num">{{ row.seconds }}</td>
  <td class="note"><bdi>{{ row.note }}</bdi>
  {% if row.output %}<details><summary>last lines of output</summary>
  <pre>{{ row.output }}</pre></details>{% endif %}</td>
</tr>
{% endfor %}
</tbody>
</table>
{% else %}
<p>None: every submission ran to the end.</p>
{% endif %}
</section>

{% if charts.timing %}
<section id="timing">
<h2>Grading time</h2>
<p>{{ total_seconds }} s of grading summed over all submissions; per submission, median
{{ median_seconds }} s, longest {{ longest_seconds }} s.</p>
<figure><img src="{{ charts.timing.uri }}" alt="{{ charts.timing.alt }}"
  width="{{ charts.timing.width }}" height="{{ charts.timing.height }}">
<figcaption>Wall-clock seconds to grade each submission, coloured by status.</figcaption>
</figure>
<h3>Slowest submissions</h3>
<table id="slowest">
<thead><tr><th class="num">#</th><th>submission</th><th>status</th>
  <th class="num">seconds</th><th class="num">score</th></tr></thead>
<tbody>
{% for row in slowest %}
<tr><td class="num">{{ loop.index }}</td><td class="name"><bdi>{{ row.name }}</bdi></td>
  <td><span class="status" style="background: {{ colors[row.status] }}">{{ row.status }}</span></td>
  <td class="num">{{ row.seconds }}</td><td class="num">{{ row.score }}</td></tr>
{% endfor %}
</tbody>
</table>
</section>
{% endif %}

{% if all_rows %}
<section id="gradebook">
<h2>All submissions</h2>
<details><summary>Show the gradebook ({{ all_rows | length }} rows)</summary>
<table>
<thead><tr><th>submission</th>{% for qid in question_ids %}<th class="num">{{ qid }}</th>
{% endfor %}<th class="num">total</th><th>status</th></tr></thead>
<tbody>
{% for row in all_rows %}
<tr><td class="name"><bdi>{{ row.name }}</bdi></td>
{% for points in row.points %}<td class="num">{{ points }}</td>{% endfor %}
<td class="num">{{ row.score }}</td>
<td><span class="status" style="background: {{ colors[row.status] }}">{{ row.status }}</span></td>
</tr>
{% endfor %}
</tbody>
</table>
</details>
</section>
{% endif %}
</main>
</body>
</html>
"""

_ENVIRONMENT = jinja2.Environment(
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class Row:
    name: str
    status: str
    score: str
    seconds: str
    note: str = ""
    output: str = ""
    points: tuple[str, ...] = ()


def _row(result: SubmissionResult, maximum: float, question_ids: Sequence[str] = ()) -> Row:
    return Row(
        name=result.submission,
        status=status_of(result),
        score=f"{format_points(result.total)}/{format_points(maximum)}",
        seconds=f"{result.seconds:.1f}",
        note=result.note,
        output=output_tail(result.output),
        points=tuple(format_points(question_points(result, qid)[0]) for qid in question_ids),
    )


def render_report(
    results: list[SubmissionResult], question_ids: list[str], *, title: str = DEFAULT_TITLE
) -> str:
    """The report's HTML: the same results give the same text."""
    scored = [result for result in results if status_of(result) not in UNSCORED]
    maxima = question_maxima(results, question_ids)
    maximum = max([sum(maxima.values())] + [result.max_points for result in results], default=0.0)
    statuses = status_order(status_of(result) for result in results)
    colors = status_colors(statuses)
    counts = Counter(status_of(result) for result in results)
    totals = [result.total for result in scored]
    shares, unknown_codes = diagnosis_shares(scored) if scored else ([], [])
    seconds = [result.seconds for result in results]

    with matplotlib.style.context(["default", STYLE]):
        charts = {
            "scores": score_histogram(scored, maximum, colors) if scored else None,
            "questions": pass_rate_chart(scored, question_ids, maxima)
            if scored and question_ids
            else None,
            "diagnoses": diagnosis_chart(shares) if shares else None,
            "timing": timing_histogram(results, colors) if results else None,
        }

    problems = sorted(
        (result for result in results if status_of(result) not in FINISHED),
        key=lambda result: (statuses.index(status_of(result)), result.submission),
    )
    slowest = sorted(results, key=lambda result: (-result.seconds, result.submission))[:SLOWEST]
    return _ENVIRONMENT.from_string(TEMPLATE).render(
        title=title,
        n_results=len(results),
        n_scored=len(scored),
        n_unscored=len(results) - len(scored),
        maximum=format_points(maximum),
        mean=format_points(statistics.fmean(totals)) if totals else "–",
        median=format_points(statistics.median(totals)) if totals else "–",
        full_marks=sum(1 for result in scored if maximum > 0 and is_full(result.total, maximum)),
        status_counts=[(status, counts[status]) for status in statuses],
        colors=colors,
        charts=charts,
        diagnoses=shares,
        top_sentences=TOP_SENTENCES,
        lower_first=lower_first,
        unknown_codes=unknown_codes,
        problems=[_row(result, maximum) for result in problems],
        slowest=[_row(result, maximum) for result in slowest],
        all_rows=[
            _row(result, maximum, question_ids)
            for result in sorted(results, key=lambda result: result.submission)
        ],
        question_ids=question_ids,
        total_seconds=f"{math.fsum(seconds):.1f}",
        median_seconds=f"{statistics.median(seconds):.1f}" if seconds else "–",
        longest_seconds=f"{max(seconds):.1f}" if seconds else "–",
    )


def write_report(
    results: list[SubmissionResult],
    question_ids: list[str],
    path: Path,
    *,
    title: str = DEFAULT_TITLE,
) -> None:
    """Write the instructor report to `path`, whole, then move it into place."""
    write_whole(path, render_report(results, question_ids, title=title))
