"""The instructor report, opened in a real headless Chromium from a file:// URL.

Debian's Chromium is required (`apt-get install -y chromium`); without it these tests fail,
saying so. The browser is driven by playwright and never downloaded.
"""

import re
import statistics
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from grader.course.report import render_report, write_report
from grader.records import CaseResult, Outcome, QuestionResult, Status, SubmissionResult
from grader.render import format_points

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_NOTE = '<img src=x onerror="window.pwned = 1; alert(2)"> ZeroDivisionError at import'
HOSTILE_OUTPUT = "Traceback (most recent call last):\n</pre><script>window.pwned = 3</script>"

# (question, case name, points, hidden): the course's questions, 12 points in all.
CASES = [
    ("load", "load: shapes", 0.5, False),
    ("load", "load: dtypes", 0.5, False),
    ("normalize", "normalize: range", 1.0, False),
    ("normalize", "normalize: hidden values", 1.0, True),
    ("labels", "labels: fives", 1.0, False),
    ("perceptron", "perceptron: parameters", 1.0, False),
    ("perceptron", "perceptron: shape", 1.0, True),
    ("sigmoid", "sigmoid: range", 1.0, False),
    ("sigmoid", "sigmoid: large inputs", 1.0, True),
    ("accuracy", "accuracy: validation", 2.0, False),
    ("accuracy", "accuracy: held out", 2.0, True),
]
QUESTION_IDS = list(dict.fromkeys(question for question, *_ in CASES))

# Case name -> (outcome, diagnosis) for the cases that do not pass; the rest pass.
NO_SIGMOID = {
    "sigmoid: large inputs": (Outcome.FAILED, "missing_sigmoid"),
    "accuracy: validation": (Outcome.FAILED, "low_accuracy"),
    "accuracy: held out": (Outcome.FAILED, "low_accuracy"),
}
UNNORMALIZED = {
    "normalize: range": (Outcome.FAILED, "unnormalized_input"),
    "normalize: hidden values": (Outcome.FAILED, "unnormalized_input"),
    "accuracy: held out": (Outcome.FAILED, "constant_predictor"),
}
DENSE10 = {
    "perceptron: parameters": (Outcome.FAILED, "ten_units"),
    "sigmoid: range": (Outcome.FAILED, "raised"),
}
NOTHING = {name: (Outcome.NOT_ATTEMPTED, "not_attempted") for _, name, _, _ in CASES}
NOT_RUN = {name: (Outcome.NOT_RUN, None) for _, name, _, _ in CASES}
DIED = {name: (Outcome.NOT_RUN, None) for _, name, _, _ in CASES[2:]}
MYSTERY = {"labels: fives": (Outcome.FAILED, "mystery_code")}


def make_result(
    name: str,
    status: Status | str,
    failures: dict[str, tuple[Outcome, str | None]],
    seconds: float,
    note: str = "",
    output: str = "",
) -> SubmissionResult:
    questions = tuple(
        QuestionResult(
            id=question_id,
            cases=tuple(
                CaseResult(
                    question=question,
                    name=case_name,
                    max_points=points,
                    hidden=hidden,
                    outcome=failures.get(case_name, (Outcome.PASSED, None))[0],
                    diagnosis=failures.get(case_name, (Outcome.PASSED, None))[1],
                )
                for question, case_name, points, hidden in CASES
                if question == question_id
            ),
        )
        for question_id in QUESTION_IDS
    )
    fields = dict(
        submission=name,
        source=f"{name}.py",
        sha256="0" * 64,
        note=note,
        questions=questions,
        seconds=seconds,
        output=output,
        grader_version="0.1.0",
    )
    if isinstance(status, Status):
        return SubmissionResult(status=status, **fields)
    # A status this grader does not have yet: the report must render whatever appears.
    return SubmissionResult.model_construct(status=status, **fields)


def fake_results() -> list[SubmissionResult]:
    """31 results: 30 scored (22 ok) and one grader error; one has a hostile name."""
    results = [make_result(f"student{n:02d}", Status.OK, {}, 14.0 + n / 4) for n in range(8)]
    results += [
        make_result(f"nosig{n}", Status.OK, NO_SIGMOID, 15.0 + n / 3, output="epoch 1/5")
        for n in range(6)
    ]
    results += [make_result(f"raw{n}", Status.OK, UNNORMALIZED, 16.0 + n) for n in range(4)]
    results += [make_result(f"dense{n}", Status.OK, DENSE10, 13.5 + n / 2) for n in range(3)]
    results.append(
        make_result("mystery", Status.OK, MYSTERY, 14.2, note="Functions missing: helper.")
    )
    results += [
        make_result(f"template{n}", Status.NOT_ATTEMPTED, NOTHING, 8.0 + n / 10) for n in range(3)
    ]
    results += [
        make_result(HOSTILE_NAME, Status.ERROR, DIED, 9.1, HOSTILE_NOTE, HOSTILE_OUTPUT),
        make_result(
            "exits",
            Status.ERROR,
            NOT_RUN,
            4.4,
            "The file called sys.exit() while being imported (line 3); nothing after it ran.",
        ),
        make_result(
            "forever",
            Status.TIMEOUT,
            DIED,
            600.3,
            "Stopped after 600 s in train(); checks that ran before count.",
        ),
        make_result("notes.txt", Status.INVALID, NOT_RUN, 0.0, "Not a .py file."),
        make_result("hog", "memory", DIED, 31.0, "Ran out of its 2 GB of memory in train()."),
        make_result(
            "unlucky",
            Status.GRADER_ERROR,
            NOT_RUN,
            2.5,
            "Grader error (KeyError: 'x'); not counted against the student.",
        ),
    ]
    return results


RESULTS = fake_results()
SCORED = [result for result in RESULTS if result.status != Status.GRADER_ERROR]
MAXIMUM = 12


def test_fake_batch_is_what_the_browser_tests_expect() -> None:
    assert len(RESULTS) == 31
    assert len(SCORED) == 30
    assert {result.max_points for result in RESULTS} == {MAXIMUM}
    assert sum("missing_sigmoid" in result.diagnoses for result in SCORED) == 6


# ---- The page in a browser ---------------------------------------------------------------


@dataclass
class LoadedPage:
    page: object
    url: str
    page_errors: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    broken_images: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    write_report(RESULTS, QUESTION_IDS, path, title="Perceptron — week 3")
    return path


@pytest.fixture(scope="module")
def loaded(report_file: Path) -> Iterator[LoadedPage]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}; the report tests need a real browser. "
            "Install Debian's: apt-get update && apt-get install -y chromium",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 800})
            loaded = LoadedPage(page, report_file.as_uri())
            page.on("pageerror", lambda error: loaded.page_errors.append(str(error)))
            page.on(
                "console", lambda message: loaded.console.append(f"{message.type}: {message.text}")
            )
            page.on("request", lambda request: loaded.requests.append(request.url))
            page.on(
                "dialog", lambda dialog: (loaded.dialogs.append(dialog.message), dialog.dismiss())
            )
            page.goto(loaded.url, wait_until="load")
            # Let every image decode, noting the ones that cannot.
            loaded.broken_images = page.evaluate(
                """Promise.all([...document.images].map(image => image.decode().then(
                    () => null, () => image.alt || image.src.slice(0, 80))))
                   .then(names => names.filter(name => name !== null))"""
            )
            yield loaded
        finally:
            browser.close()


def test_page_loads_without_errors_or_network(loaded: LoadedPage) -> None:
    assert loaded.page_errors == []
    assert loaded.console == []
    assert loaded.dialogs == []
    assert loaded.broken_images == []
    assert loaded.url in loaded.requests  # the listener saw the page itself
    assert [url for url in loaded.requests if not url.startswith(("file:", "data:"))] == []
    assert loaded.page.title() == "Perceptron — week 3"


def test_every_plot_is_rendered(loaded: LoadedPage) -> None:
    images = loaded.page.locator("img")
    assert images.count() == 4  # scores, questions, diagnoses, timing; nothing injected
    for index in range(images.count()):
        image = images.nth(index)
        complete, width, height, source = image.evaluate(
            "image => [image.complete, image.naturalWidth, image.naturalHeight, image.src]"
        )
        assert source.startswith("data:image/svg+xml;base64,")
        assert complete and width > 100 and height > 100, image.get_attribute("alt")
        box = image.bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 100
    # The SVGs are drawn, not blank: a screenshot of a plot has many distinct colours.
    plot = loaded.page.locator("#scores img").screenshot()
    assert len(set(plot)) > 200


def test_headline_numbers(loaded: LoadedPage) -> None:
    page = loaded.page
    totals = [result.total for result in SCORED]
    assert page.locator("#count").inner_text() == "31"
    assert page.locator("#mean").inner_text() == format_points(statistics.fmean(totals))
    assert page.locator("#median").inner_text() == format_points(statistics.median(totals))
    statuses = " ".join(page.locator("#status-counts").inner_text().split())
    for expected in [
        "ok: 22",
        "not_attempted: 3",
        "error: 2",
        "timeout: 1",
        "invalid: 1",
        "grader_error: 1",
        "memory: 1",
    ]:
        assert expected in statuses


def test_diagnosis_sentences(loaded: LoadedPage) -> None:
    sentences = [
        " ".join(text.split()) for text in loaded.page.locator("ul.sentences li").all_inner_texts()
    ]
    # Equal shares in catalogue order: the common kinds first, then the exercise's own.
    assert sentences[:2] == [
        "20% of submissions (6 of 30): accuracy below the threshold.",
        "20% of submissions (6 of 30): outputs not squashed into [0, 1].",
    ]
    assert "13% of submissions (4 of 30): did not scale pixels to [0, 1]." in sentences
    # A code missing from the catalogue is not charted, only named.
    assert "mystery_code" in loaded.page.locator("#diagnoses").inner_text()
    assert "mystery_code" not in loaded.page.locator("#diagnoses img").get_attribute("alt")


def test_errors_and_timeouts_are_listed_with_their_notes(loaded: LoadedPage) -> None:
    table = loaded.page.locator("#problems table")
    text = table.inner_text()
    for name in [HOSTILE_NAME, "exits", "forever", "notes.txt", "hog", "unlucky"]:
        assert name in text
    assert "Stopped after 600 s in train()" in text
    assert "template0" not in text and "student00" not in text
    slowest = loaded.page.locator("#slowest tbody tr").all_inner_texts()
    assert "forever" in slowest[0] and "hog" in slowest[1]


def test_hostile_text_is_shown_as_text_and_never_runs(loaded: LoadedPage) -> None:
    page = loaded.page
    assert loaded.dialogs == []
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.evaluate("document.scripts.length") == 0
    assert page.get_by_text(HOSTILE_NAME, exact=True).count() >= 2  # errors, slowest, gradebook
    assert page.get_by_text(HOSTILE_NOTE, exact=True).count() == 1
    assert HOSTILE_OUTPUT in page.locator("#problems pre").all_text_contents()


# ---- The HTML itself ---------------------------------------------------------------------


def test_html_escapes_and_references_nothing_outside() -> None:
    html = render_report(RESULTS, QUESTION_IDS, title="<b>week 3</b>")
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>week 3</b>" not in html and "&lt;b&gt;week 3&lt;/b&gt;" in html
    tags = re.findall(r"<[a-zA-Z][^>]*>", html)  # escaped text holds no "<"
    addresses = [
        address
        for tag in tags
        for address in re.findall(r"""\s(?:src|href|action)\s*=\s*["']?([^"'\s>]+)""", tag)
    ]
    assert addresses and all(address.startswith("data:") for address in addresses)
    without_images = re.sub(r"data:image/svg\+xml;base64,[A-Za-z0-9+/=]+", "", html)
    assert not re.search(r"https?:|url\(|@import", without_images)


def test_same_results_give_the_same_bytes(tmp_path: Path) -> None:
    write_report(RESULTS, QUESTION_IDS, tmp_path / "a.html")
    write_report(RESULTS, QUESTION_IDS, tmp_path / "b.html")
    assert (tmp_path / "a.html").read_bytes() == (tmp_path / "b.html").read_bytes()


@pytest.mark.parametrize(
    "results",
    [
        [],
        [RESULTS[-1]],  # only a grader error: nothing scored
        [make_result("solo", Status.OK, {}, 0.0)],  # one result graded in no time
    ],
    ids=["empty", "only-grader-error", "single"],
)
def test_small_batches(tmp_path: Path, results: list[SubmissionResult]) -> None:
    path = tmp_path / "deep" / "report.html"
    write_report(results, QUESTION_IDS, path)
    html = path.read_text(encoding="utf-8")
    assert f"{len(results)} submission" in html
    assert not list(path.parent.glob("*.partial"))


def test_a_status_the_report_has_never_seen_is_rendered() -> None:
    results = [*RESULTS[:3], make_result("odd", "quarantined", NOT_RUN, 1.0, "Held for review.")]
    html = render_report(results, QUESTION_IDS)
    assert "quarantined: 1" in html
    assert "Held for review." in html  # listed with the errors: it did not finish
