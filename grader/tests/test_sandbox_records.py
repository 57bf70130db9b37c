"""What the parent reads of the child's records: files written by hand, then sandbox.read_report.

Every record that does not pass validation is listed in report.problems and never reaches
report.calls; nothing is ever unpickled, followed elsewhere, or read without a size bound.
"""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import grader
from grader.isolation import sandbox
from grader.isolation.protocol import (
    ArrayArgument,
    CallRecord,
    Encoder,
    ImportRecord,
    Plan,
    PlannedCall,
    RaisedError,
    ReferenceArgument,
    write_record,
)
from grader.isolation.sandbox import ChildReport, read_report


@pytest.fixture
def out(tmp_path: Path) -> Path:
    directory = tmp_path / "out"
    directory.mkdir()
    return directory


def write_call(out: Path, returned: object, arrays: dict | None = None, call_id: int = 0) -> None:
    record = CallRecord(id=call_id, seconds=0.5, returned=returned)
    write_record(out, f"call-{call_id}", record, arrays or {})


def write_json(out: Path, returned: object, call_id: int = 0) -> None:
    """Only the JSON, for tests that write the .npz themselves."""
    record = CallRecord(id=call_id, seconds=0.0, returned=returned)
    (out / f"call-{call_id}.json").write_text(record.model_dump_json())


def assert_refused(report: ChildReport, call_id: int = 0) -> None:
    assert call_id not in report.calls
    assert len(report.problems) == 1


class TouchOnUnpickle:
    """A pickle payload: loading it creates the marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return Path.touch, (self.marker,)


def test_valid_records_are_read_back(out):
    """Are a valid import record and call record, with their arrays, read back unchanged?"""
    imported = ImportRecord(seconds=1.0, missing=("train",))
    write_record(out, "import", imported, {})
    returned = {"tuple": [{"array": "c0_0", "scalar": False}, {"literal": 3}]}
    write_call(out, returned, {"c0_0": np.arange(6, dtype=np.float32).reshape(2, 3)})
    report = read_report(out)
    assert report.problems == ()
    assert report.imported == imported
    assert report.calls[0] == CallRecord(id=0, seconds=0.5, returned=returned)
    np.testing.assert_array_equal(report.arrays["c0_0"], np.arange(6).reshape(2, 3))


def test_recorded_error_is_read_back(out):
    """Is a call that raised read back with its error's type and message?"""
    record = CallRecord(id=0, seconds=0.1, raised=RaisedError(type="ValueError", message="no"))
    write_record(out, "call-0", record, {})
    assert read_report(out).calls[0].raised == RaisedError(type="ValueError", message="no")


def test_pickled_object_array_is_refused(out):
    """Is a record whose .npz holds a pickled object array refused?"""
    np.savez(out / "call-0.npz", c0_0=np.array([1, "a"], dtype=object))
    write_json(out, {"array": "c0_0"})
    assert_refused(read_report(out))


def test_reading_never_unpickles(out, tmp_path):
    """Is a pickle payload planted in the .npz left unloaded, its record refused?"""
    marker = tmp_path / "unpickled"
    payload = np.empty(1, dtype=object)
    payload[0] = TouchOnUnpickle(marker)
    np.savez(out / "call-0.npz", c0_0=payload)
    write_json(out, {"array": "c0_0"})
    report = read_report(out)
    assert not marker.exists()
    assert_refused(report)


def test_file_name_must_match_the_id(out):
    """Is a record whose file name disagrees with its id refused?"""
    record = CallRecord(id=2, seconds=0.0, returned={"literal": 1})
    write_record(out, "call-1", record, {})
    report = read_report(out)
    assert report.calls == {} and len(report.problems) == 1


def test_missing_array_is_refused(out):
    """Is a record naming an array its .npz does not hold refused?"""
    write_call(out, {"array": "c0_7"}, {"c0_0": np.zeros(2)})
    assert_refused(read_report(out))


def test_array_name_that_is_not_a_name_is_refused(out):
    """Is a record whose array "name" is a list (unhashable) refused, not a grader crash?"""
    write_call(out, {"array": ["c0_0"]}, {"c0_0": np.zeros(2)})
    write_call(out, {"model": {"config": "{}", "compile": None, "weights": [{}]}}, call_id=1)
    report = read_report(out)
    assert report.calls == {} and len(report.problems) == 2


def test_arrays_of_another_call_are_refused(out):
    """Is a record whose .npz holds arrays named for another call refused?"""
    write_call(out, {"array": "c1_0"}, {"c1_0": np.zeros(2)})
    assert_refused(read_report(out))


def test_value_of_unknown_shape_is_refused(out):
    """Is an encoded value of a shape the Encoder never writes ({"evil": 1}) refused?"""
    write_call(out, {"evil": 1})
    assert_refused(read_report(out))


def test_history_of_strings_is_refused(out):
    """Is a training history whose values are strings refused?"""
    write_call(out, {"history": {"history": {"loss": ["0.1", "0.05"]}, "epoch": [0, 1]}})
    assert_refused(read_report(out))


class History:
    """Stands for keras' History: what the Encoder recognises by name."""

    def __init__(self, history: dict, epoch: list) -> None:
        self.history, self.epoch = history, epoch


def test_a_diverged_training_history_crosses_with_its_nan_and_infinite_values(out):
    """A model whose loss went NaN (no softmax under crossentropy can) trained: its history is
    read back as it was, not refused as malformed (which told the student train() never ran)."""
    nan, inf = float("nan"), float("inf")
    encoder = Encoder(prefix="c0_")
    returned = encoder.encode(History({"loss": [2.5, nan], "val_loss": [inf, -inf]}, [0, 1]))
    write_record(out, "call-0", CallRecord(id=0, seconds=0.5, returned=returned), encoder.arrays)
    report = read_report(out)
    assert report.problems == ()
    metrics = report.calls[0].returned["history"]["history"]
    assert metrics["loss"][0] == 2.5 and np.isnan(metrics["loss"][1])
    assert metrics["val_loss"] == [inf, -inf]


def test_oversized_json_is_refused(out, monkeypatch):
    """Is a record JSON larger than MAX_RECORD_JSON_BYTES refused?"""
    monkeypatch.setattr(sandbox, "MAX_RECORD_JSON_BYTES", 40)
    write_call(out, {"literal": "x" * 100})
    assert_refused(read_report(out))


def test_zip_bomb_is_refused_before_unpacking(out, monkeypatch):
    """Is a small .npz whose arrays unpack beyond MAX_RECORD_ARRAY_BYTES refused?"""
    monkeypatch.setattr(sandbox, "MAX_RECORD_ARRAY_BYTES", 100_000)
    np.savez_compressed(out / "call-0.npz", c0_0=np.zeros(1_000_000, dtype=np.uint8))
    assert (out / "call-0.npz").stat().st_size < 100_000
    write_json(out, {"array": "c0_0"})
    assert_refused(read_report(out))


def test_record_that_is_not_utf8_is_refused(out):
    """Is a record that is not UTF-8 text refused, not a grader crash?"""
    (out / "call-0.json").write_bytes(b'{"id": 0, "seconds": 0, "returned": {"literal": "\xff"}}')
    (out / "import.json").write_bytes(b"\xff\xfe")
    report = read_report(out)
    assert report.calls == {} and report.imported is None and len(report.problems) == 2


@pytest.mark.parametrize("kind", ["link", "pipe", "folder"])
def test_record_that_is_not_a_regular_file_is_refused(out, tmp_path, kind):
    """Is a record that is a link to elsewhere, a named pipe or a folder refused without a hang?"""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    write_call(elsewhere, {"literal": 1})
    path = out / "call-0.json"
    if kind == "link":
        path.symlink_to(elsewhere / "call-0.json")
    elif kind == "pipe":
        os.mkfifo(path)
    else:
        path.mkdir()
    reports: list[ChildReport] = []
    reader = threading.Thread(target=lambda: reports.append(read_report(out)), daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert reports, "read_report hung"
    assert_refused(reports[0])


MODEL = {"model": {"config": "{}", "compile": None, "weights": ["c1_0"]}}
WEIGHTS = {"c1_0": np.zeros((784, 1), dtype=np.float32)}


def test_a_call_that_returned_is_seen_once_written_and_each_record_is_read_once(out, tmp_path):
    """Does the look the grader takes while the child runs (to start importing Keras) see a
    call that returned, never one that raised nor a link or pipe named like a record, and
    read each file once?"""
    raised = CallRecord(id=2, seconds=0.0, raised=RaisedError(type="E", message=""))
    write_record(out, "call-2", raised, {})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    write_call(elsewhere, MODEL, WEIGHTS, call_id=1)
    (out / "call-1.json").symlink_to(elsewhere / "call-1.json")
    os.mkfifo(out / "call-3.json")
    looked_at: set[str] = set()
    assert not sandbox.answered_a_call(out, looked_at)
    assert looked_at == {"call-1.json", "call-2.json", "call-3.json"}
    (out / "call-1.json").unlink()
    write_call(out, MODEL, WEIGHTS, call_id=1)
    assert not sandbox.answered_a_call(out, looked_at), "a file already looked at is not reread"
    assert sandbox.answered_a_call(out, set())
    write_call(out, {"literal": 1}, call_id=0)
    assert sandbox.answered_a_call(out, looked_at)


@pytest.mark.parametrize(
    ("returned", "changed", "holds"),
    [
        ({"literal": 1}, {}, False),
        ({"tuple": [{"literal": 1}, {"list": [MODEL]}]}, {}, True),
        (None, {"0": MODEL}, True),
        ({"history": {"history": {"loss": [0.5]}, "epoch": [0]}}, {"1": {"literal": 2}}, False),
    ],
)
def test_a_report_holds_a_model_wherever_one_was_returned_or_changed(out, returned, changed, holds):
    """Is a model seen in a returned value however deeply it is nested, and in a changed
    argument (judging needs Keras exactly for those runs)?"""
    record = CallRecord(id=1, seconds=0.0, returned=returned, changed=changed)
    write_record(out, "call-1", record, WEIGHTS if holds else {})
    report = read_report(out)
    assert report.problems == ()
    assert report.holds_model() is holds


def test_partial_json_is_ignored(out):
    """Is a .json.partial file (a record the child never finished) ignored, not a problem?"""
    (out / "call-0.json.partial").write_text('{"id": 0, "seconds"')
    report = read_report(out)
    assert report.calls == {} and report.problems == ()


# ---- Bounds and forgery: only planned records, a budget for all of them, nothing added ----


def array_call(out: Path, call_id: int, size: int) -> None:
    write_call(
        out, {"array": f"c{call_id}_0"}, {f"c{call_id}_0": np.zeros(size, np.uint8)}, call_id
    )


def test_only_planned_calls_are_read_and_others_void_the_run(out):
    """A record for a call the plan did not ask for is never read, and marks the run forged."""
    array_call(out, 0, 10)
    array_call(out, 7, 10)  # not planned
    report = read_report(out, planned={0, 1})
    assert set(report.calls) == {0}
    assert report.forged == ("2 file(s) the grader did not write",)


def test_unexpected_files_are_counted_without_their_names(out):
    """A note never echoes a name the submission chose (it may be crafted for a spreadsheet)."""
    array_call(out, 0, 10)
    (out / "=HYPERLINK(evil).json").write_text("{}")
    (out / "sub").mkdir()
    report = read_report(out, planned={0})
    assert report.forged == ("2 file(s) the grader did not write",)
    assert "HYPERLINK" not in " ".join(report.forged + report.problems)


def test_records_are_read_within_one_budget_for_all(out, monkeypatch):
    """Many records each under the per-file cap still stop at the run's budget."""
    monkeypatch.setattr(sandbox, "MAX_REPORT_BYTES", 5_000)
    for call_id in range(5):
        array_call(out, call_id, 2_000)
    report = read_report(out, planned=set(range(5)))
    assert report.over_budget
    assert set(report.calls) == {0, 1}, "reading stops once the budget is spent"
    assert report.forged == ()
    assert read_report(out, planned=set(range(5)), limit=2_500).calls.keys() == {0}


def test_a_record_changed_after_the_harness_finished_voids_the_run(out):
    array_call(out, 0, 10)
    (out / sandbox.DONE_NAME).write_text("{}")
    finished = os.lstat(out / sandbox.DONE_NAME).st_ctime_ns
    while os.lstat(out / sandbox.DONE_NAME).st_ctime_ns == finished:  # a later ctime for sure
        array_call(out, 0, 11)
        if os.lstat(out / "call-0.json").st_ctime_ns > finished:
            break
    report = read_report(out, planned={0})
    assert report.forged == ("records written after the grader's calls had finished",)


def test_records_written_before_the_end_mark_are_not_forged(out):
    array_call(out, 0, 10)
    (out / sandbox.DONE_NAME).write_text("{}")
    report = read_report(out, planned={0, 1})
    assert report.forged == () and set(report.calls) == {0}


def test_arrays_read_back_cannot_be_written(out):
    """One check cannot change what another check reads of the same answer."""
    array_call(out, 0, 10)
    report = read_report(out, planned={0})
    with pytest.raises(ValueError):
        report.arrays["c0_0"][0] = 1


# ---- The hidden calls of a run that stopped early ----------------------------------------


def lesson_plan() -> Plan:
    """The lesson's shape: load, normalize (public, hidden), is_five (public, hidden), train
    on earlier results, and a hidden call that uses train's result."""
    calls = (
        PlannedCall(id=0, function="load_mnist"),
        PlannedCall(id=1, function="normalize", arguments=(ArrayArgument(name="a1"),)),
        PlannedCall(id=2, function="normalize", arguments=(ArrayArgument(name="a2"),)),
        PlannedCall(id=3, function="is_five", arguments=(ArrayArgument(name="a3"),)),
        PlannedCall(id=4, function="is_five", arguments=(ArrayArgument(name="a4"),)),
        PlannedCall(id=5, function="train", arguments=(ReferenceArgument(call=1),)),
        PlannedCall(id=6, function="is_five", arguments=(ReferenceArgument(call=5),)),
    )
    return Plan(calls=calls, functions=(), hidden=(2, 4, 6))


def answered(*numbers: int, imported: ImportRecord | None = None) -> ChildReport:
    calls = {n: CallRecord(id=n, seconds=0.1, returned={"literal": n}) for n in numbers}
    return ChildReport(imported or ImportRecord(seconds=1.0), calls, {})


def test_after_a_hang_the_hidden_calls_of_functions_that_answered_run_again():
    """train() hung: the hidden normalize and is_five calls run in a second run; the hidden
    call that needs train's result does not (train would hang again)."""
    rest = sandbox.hidden_rest(lesson_plan(), answered(0, 1, 3))
    assert rest is not None
    assert rest.hidden == (2, 4)
    assert [call.id for call in rest.calls] == [2, 4]
    public, hidden = rest.split()
    assert public.calls == () and public.pending and [c.id for c in hidden.calls] == [2, 4]


def test_a_hidden_call_is_rerun_with_the_public_calls_it_uses():
    """A hidden call on train's result runs again, with train, when train answered."""
    rest = sandbox.hidden_rest(lesson_plan(), answered(0, 1, 3, 5))
    assert rest is not None and rest.hidden == (2, 4, 6)
    assert [call.id for call in rest.calls] == [1, 2, 4, 5, 6]
    assert [call.id for call in rest.split()[0].calls] == [1, 5]  # made before the hand-over


@pytest.mark.parametrize(
    "report",
    [
        answered(0),  # stopped in normalize: no function of a hidden call answered
        answered(
            0, 1, 3, imported=ImportRecord(seconds=1, raised=RaisedError(type="E", message=""))
        ),
        ChildReport(None, {}, {}),  # it never finished importing
    ],
)
def test_no_second_run_when_nothing_could_answer(report):
    assert sandbox.hidden_rest(lesson_plan(), report) is None


def test_no_second_run_for_a_plan_without_hidden_calls():
    plan = lesson_plan().model_copy(update={"hidden": ()})
    assert sandbox.hidden_rest(plan, answered(0, 1)) is None


def sandbox_run(report: ChildReport, seconds: float = 10.0) -> sandbox.SandboxRun:
    return sandbox.SandboxRun("timeout", None, seconds, "printed", report, "basic", 7)


def test_the_second_run_adds_only_the_hidden_calls_it_was_given():
    """Its other records (a public call it made again, a hidden call it was not given) are
    not taken; the first run's ending and output stay."""
    first_calls = answered(0, 1, 3)
    first = sandbox_run(ChildReport(first_calls.imported, first_calls.calls, {"c1_0": np.zeros(2)}))
    second_report = ChildReport(
        ImportRecord(seconds=2.0),
        {n: CallRecord(id=n, seconds=0.1, returned={"literal": -n}) for n in (1, 2, 4, 6)},
        {"c1_0": np.ones(2), "c2_0": np.ones(3), "c6_0": np.ones(4)},
        problems=("second",),
        forged=("1 file(s) the grader did not write",),
    )
    joined = sandbox._with_rest(first, sandbox_run(second_report, 3.0), lesson_plan(), {2, 4})
    assert sorted(joined.report.calls) == [0, 1, 2, 3, 4]
    assert joined.report.calls[1].returned == {"literal": 1}  # the first run's public answer
    assert joined.report.calls[2].returned == {"literal": -2}
    assert sorted(joined.report.arrays) == ["c1_0", "c2_0"]
    assert not joined.report.arrays["c1_0"].any()
    assert joined.report.forged == ("1 file(s) the grader did not write",)
    assert joined.report.problems == ("second",)
    assert (joined.ending, joined.output, joined.seconds) == ("timeout", "printed", 13.0)


def test_records_of_hidden_calls_never_handed_over_void_the_run(tmp_path):
    """A run that never got its hidden calls cannot have answered them: such records are
    the submission's own."""
    plan_directory = tmp_path / "plan"
    plan_directory.mkdir()
    (plan_directory / sandbox.HIDDEN_PLAN).write_text("{}")
    handover = sandbox._HiddenHandover(plan_directory, lesson_plan(), None)
    honest = handover.merged(answered(0, 1, 3))
    assert honest.forged == ()
    made_up = handover.merged(answered(0, 1, 2, 3))
    assert made_up.forged == ("records of hidden calls the grader never handed over",)


def test_the_second_run_is_short():
    assert sandbox.rest_timeout(600) == 120
    assert sandbox.rest_timeout(60) == 30
    assert sandbox.rest_timeout(20) == 20


# ---- What the child writes for a passed-on call (run in this process: numpy only) ----------


def test_the_child_keeps_a_passed_on_result_and_records_no_value_for_it(tmp_path):
    """Does the child hand a passed-on call's result to the later call that uses it, while its
    own record holds no array (the value stays in the sandbox), and read back as valid?"""
    from types import SimpleNamespace

    from grader.isolation import child

    plan = Plan(
        calls=(
            PlannedCall(id=0, function="double", arguments=(ArrayArgument(name="a"),)),
            PlannedCall(id=1, function="total", arguments=(ReferenceArgument(call=0),)),
        ),
        functions=("double", "total"),
        passed_on=(0,),
    )
    (tmp_path / "out").mkdir()
    (tmp_path / "plan.json").write_text(plan.model_dump_json())
    np.savez(tmp_path / "plan.npz", a=np.arange(4.0))
    settings = {"submission": "s.py", "seed": 0, "mnist": "", "max_file_bytes": 1 << 20}
    (tmp_path / "job.json").write_text(json.dumps(settings | {"dataset": None}))
    student = SimpleNamespace(double=lambda values: values * 2, total=lambda v: float(v.sum()))
    child.make_calls(child.Job(tmp_path), student)
    report = read_report(tmp_path / "out", {0, 1})
    assert report.problems == ()
    assert report.calls[0].returned == child.KEPT
    assert not [name for name in report.arrays if name.startswith("c0_")]
    assert report.calls[1].returned == {"literal": 12.0}


# ---- numpy's huge pages (see grader/__init__.py) -------------------------------------------


@pytest.mark.parametrize(("ours", "childs"), [(None, "0"), ("1", "1"), ("0", "0"), ("yes", "0")])
def test_the_child_gets_numpy_huge_pages_only_when_the_grader_asks_for_them(
    monkeypatch, tmp_path, ours, childs
):
    """The child's environment is an allowlist: this variable is on it, as 0 or 1 only."""
    if ours is None:
        monkeypatch.delenv(grader.HUGEPAGE_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(grader.HUGEPAGE_VARIABLE, ours)
    assert sandbox._base_environment(tmp_path, 1)[grader.HUGEPAGE_VARIABLE] == childs


@pytest.mark.parametrize(("given", "huge_pages"), [(None, False), ("1", True)])
def test_the_grader_turns_numpy_huge_pages_off_before_numpy_loads(given, huge_pages):
    """Importing the grader first is enough (as `grader` and the test suite do); an instructor
    who sets the variable keeps their choice."""
    environment = {k: v for k, v in os.environ.items() if k != grader.HUGEPAGE_VARIABLE}
    if given is not None:
        environment[grader.HUGEPAGE_VARIABLE] = given
    script = (
        "import grader.isolation.sandbox, numpy\n"
        "print(numpy._core.multiarray._set_madvise_hugepage(False))"  # returns the old setting
    )
    shown = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, timeout=60
    )
    assert shown.stdout.strip() == str(huge_pages), shown.stderr[-2000:]
