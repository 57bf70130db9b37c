"""Plan and replay with toy numpy functions as the reference: no Keras, no sandbox, no training."""

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from grader import replay
from grader.check_helpers import marking_passed_on, passed_on
from grader.isolation.protocol import (
    ArrayArgument,
    CallRecord,
    Encoder,
    LiteralArgument,
    RaisedError,
    ReferenceArgument,
)
from grader.replay import (
    CallNotRun,
    PassedOn,
    PlanRecorder,
    Replayer,
    ReplayMiss,
    StudentError,
    StudentRaised,
    plan_index,
    replay_exception,
)


def _never(*arguments: Any) -> Any:
    raise AssertionError("the stand-in should have answered")


REFERENCE = SimpleNamespace(
    double=lambda values: values * 2,
    split=lambda values: (values[:1], values[1:]),
    combine=lambda first, second, scale=1: np.concatenate([first, second]) * scale,
    train=_never,
)


def check(functions: dict[str, Any]) -> dict[str, Any]:
    """A toy check: arrays, literals, keywords, a tuple result, and results passed on."""
    values = np.arange(4.0)
    doubled = functions["double"](values)
    first, second = functions["split"](doubled)
    combined = functions["combine"](first, second, scale=3)
    return {"doubled": doubled, "first": first, "second": second, "combined": combined}


def record_plan() -> PlanRecorder:
    recorder = PlanRecorder(REFERENCE, {"train": lambda values: "stood in"})
    check({name: recorder.function(name) for name in ("double", "split", "combine")})
    return recorder


def answer(call_id: int, value: Any = None, **fields: Any) -> tuple[CallRecord, dict]:
    """A call record as the child writes it, the value encoded by protocol.Encoder."""
    encoder = Encoder(prefix=f"c{call_id}_")
    returned = encoder.encode(value) if "raised" not in fields else None
    changed = {key: encoder.encode(state) for key, state in fields.pop("changed", {}).items()}
    record = CallRecord(id=call_id, seconds=0.0, returned=returned, changed=changed, **fields)
    return record, encoder.arrays


def replayer_for(recorder: PlanRecorder, *answers: tuple[CallRecord, dict]) -> Replayer:
    records = {record.id: record for record, _ in answers}
    arrays = {name: array for _, named in answers for name, array in named.items()}
    index = plan_index(tuple(recorder.calls), recorder.arrays)
    return Replayer(index, records, arrays, "the submission stopped while running double()")


def raised(type_name: str, message: str = "boom") -> StudentRaised:
    return replay_exception("double", RaisedError(type=type_name, message=message))


# ---- Recording a plan --------------------------------------------------------------------


def test_recorder_notes_each_call_in_order():
    """Does the recorder note every call the check makes, in order, with its function name?"""
    recorder = record_plan()
    assert [call.function for call in recorder.calls] == ["double", "split", "combine"]
    assert [call.id for call in recorder.calls] == [0, 1, 2]


def test_identical_calls_are_planned_once():
    """Are two calls with the same function and equal arrays (distinct objects) planned once?"""
    recorder = PlanRecorder(REFERENCE, {})
    double = recorder.function("double")
    double(np.arange(3))
    double(np.arange(3))
    double(np.arange(3.0))  # same values, another dtype: another digest
    assert len(recorder.calls) == 2


def test_results_are_passed_on_as_references():
    """Are earlier results, and elements of returned tuples, planned as ReferenceArguments?"""
    calls = record_plan().calls
    assert calls[1].arguments == (ReferenceArgument(call=0, path=()),)
    assert calls[2].arguments == (
        ReferenceArgument(call=1, path=(0,)),
        ReferenceArgument(call=1, path=(1,)),
    )
    assert calls[2].keywords == {"scale": LiteralArgument(value=3)}


def test_arrays_are_planned_as_array_arguments():
    """Is an array the check made planned as an ArrayArgument naming a copy in plan.arrays?"""
    recorder = record_plan()
    (argument,) = recorder.calls[0].arguments
    assert isinstance(argument, ArrayArgument)
    np.testing.assert_array_equal(recorder.arrays[argument.name], np.arange(4.0))


def test_stand_ins_answer_instead_of_the_reference():
    """Does a stand-in answer for its function, so the reference's own is never called?"""
    recorder = PlanRecorder(REFERENCE, {"train": lambda values: "stood in"})
    assert recorder.function("train")(np.zeros(2)) == "stood in"
    assert [call.function for call in recorder.calls] == ["train"]


# ---- Replaying -------------------------------------------------------------------------


def test_plan_index_matches_the_recorder():
    """Does plan_index compute, from the plan alone, the very keys the recorder used?"""
    recorder = record_plan()
    assert plan_index(tuple(recorder.calls), recorder.arrays) == recorder.index


def test_replayer_returns_the_recorded_values():
    """Does a Replayer answer each planned call with the child's recorded value?"""
    recorder = record_plan()
    student = np.array([9.0, 8.0, 7.0])
    replayer = replayer_for(
        recorder,
        answer(0, student),
        answer(1, (student[:2], student[2:])),
        answer(2, [1, 2.5, True]),
    )
    values = check({name: replayer.function(name) for name in ("double", "split", "combine")})
    np.testing.assert_array_equal(values["doubled"], student)
    np.testing.assert_array_equal(values["second"], [7.0])
    assert values["combined"] == [1, 2.5, True]


def test_unplanned_call_is_a_replay_miss():
    """Does a call the plan does not hold raise ReplayMiss (a grader bug, not the student's)?"""
    replayer = replayer_for(record_plan(), answer(0, np.zeros(4)))
    with pytest.raises(ReplayMiss):
        replayer.function("double")(np.arange(5.0))


def test_planned_call_without_record_did_not_run():
    """Does a planned call the child never recorded raise CallNotRun with the given reason?"""
    replayer = replayer_for(record_plan())
    with pytest.raises(CallNotRun, match="stopped while running double"):
        replayer.function("double")(np.arange(4.0))


# ---- Replayed exceptions -----------------------------------------------------------------


def test_not_implemented_stays_not_implemented():
    """Is a recorded NotImplementedError catchable as NotImplementedError and a StudentRaised?"""
    error = raised("NotImplementedError", "fill in normalize")
    assert isinstance(error, NotImplementedError) and isinstance(error, StudentRaised)
    assert (error.function, error.type_name, str(error)) == (
        "double",
        "NotImplementedError",
        "fill in normalize",
    )


def test_type_error_stays_type_error():
    """Is a recorded TypeError catchable as TypeError and a StudentRaised?"""
    error = raised("TypeError", "unsupported operand")
    assert isinstance(error, TypeError) and isinstance(error, StudentRaised)


def test_unknown_type_becomes_student_error():
    """Does a non-builtin type (ResourceExhaustedError) become a StudentError naming its type?"""
    error = raised("ResourceExhaustedError", "OOM when allocating tensor")
    assert type(error) is StudentError
    assert "ResourceExhaustedError" in str(error) and "OOM" in str(error)


def test_system_exit_is_not_a_real_system_exit():
    """Does a recorded SystemExit replay as a StudentError, an Exception, not a real exit?"""
    error = raised("SystemExit", "0")
    assert type(error) is StudentError and isinstance(error, Exception)
    assert not isinstance(error, SystemExit)


@pytest.mark.parametrize("type_name", ["UnicodeDecodeError", "ExceptionGroup"])
def test_builtin_needing_more_than_a_message_still_replays(type_name):
    """Does a builtin whose constructor wants more than a message still replay as the student's?"""
    error = raised(type_name, "bad byte")
    assert isinstance(error, StudentRaised) and type_name in str(error)


def test_replayed_call_raises_the_recorded_error():
    """Does a call whose record holds an error raise it, replayed, from the check's call?"""
    record = answer(0, raised=RaisedError(type="ValueError", message="bad shape"))
    replayer = replayer_for(record_plan(), record)
    with pytest.raises(ValueError, match="bad shape") as caught:
        replayer.function("double")(np.arange(4.0))
    assert isinstance(caught.value, StudentRaised)


# ---- Mutations and values the grader cannot use ------------------------------------------


def test_recorded_mutation_is_applied_to_the_callers_array():
    """When the record says argument 0 became X, does the replayed call copy X into it?"""
    mutated = np.array([0.0, 0.5, 1.0, 1.5])
    replayer = replayer_for(record_plan(), answer(0, np.zeros(4), changed={"0": mutated}))
    values = np.arange(4.0)
    replayer.function("double")(values)
    np.testing.assert_array_equal(values, mutated)


def test_opaque_value_raises_a_student_type_error_on_use():
    """Does using an opaque value raise a StudentRaised TypeError naming the function and value?"""
    replayer = replayer_for(record_plan(), answer(0, {"weights": []}))
    value = replayer.function("double")(np.arange(4.0))
    with pytest.raises(TypeError) as caught:
        _ = value.shape
    error = caught.value
    assert isinstance(error, StudentRaised)
    assert (error.function, error.type_name) == ("double", "TypeError")
    assert "dict" in error.summary


def test_opaque_value_never_equals_an_expected_array():
    """Does an opaque value never compare equal to the array a check expects?"""
    replayer = replayer_for(record_plan(), answer(0, object()))
    value = replayer.function("double")(np.arange(4.0))
    expected = np.arange(4.0) * 2

    def equal(first: Any, second: Any) -> bool:
        try:
            return bool(np.all(first == second))
        except StudentRaised:
            return False

    assert not equal(value, expected) and not equal(expected, value)
    assert not np.array_equal(value, expected)
    with pytest.raises(StudentRaised):
        np.allclose(value, expected)


def test_model_that_cannot_be_rebuilt_says_why(monkeypatch):
    """Does a model the grader cannot rebuild raise a StudentRaised ValueError saying why?"""

    def refuse(*arguments: Any) -> Any:
        raise replay.ModelNotRebuilt("it uses a Lambda layer")

    monkeypatch.setattr(replay, "rebuild_model", refuse)
    model = {"model": {"config": "{}", "compile": None, "weights": []}}
    record = CallRecord(id=0, seconds=0.0, returned=model)
    replayer = replayer_for(record_plan(), (record, {}))
    with pytest.raises(ValueError) as caught:
        replayer.function("double")(np.arange(4.0))
    error = caught.value
    assert isinstance(error, StudentRaised)
    assert (error.function, error.type_name) == ("double", "ValueError")
    assert "Lambda layer" in error.summary


# ---- Encoding in the child ---------------------------------------------------------------


class AlwaysEqual(float):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = float.__hash__


class TaggedArray(np.ndarray):
    pass


def test_always_equal_object_is_opaque():
    """Is a float subclass that claims equality with everything encoded as opaque?"""
    assert set(Encoder("c0_").encode(AlwaysEqual(1.0))) == {"opaque"}


def test_object_array_is_opaque():
    """Is an ndarray of dtype object (which would need pickles) encoded as opaque?"""
    encoder = Encoder("c0_")
    assert set(encoder.encode(np.array([1, "a"], dtype=object))) == {"opaque"}
    assert encoder.arrays == {}


def test_ndarray_subclass_is_a_plain_array():
    """Is an ndarray subclass encoded as a plain ndarray with the same values?"""
    encoder = Encoder("c0_")
    encoded = encoder.encode(np.arange(3.0).view(TaggedArray))
    assert encoded == {"array": "c0_0", "scalar": False}
    assert type(encoder.arrays["c0_0"]) is np.ndarray
    np.testing.assert_array_equal(encoder.arrays["c0_0"], [0.0, 1.0, 2.0])


def test_bool_stays_a_literal_bool():
    """Is True encoded as the literal True, not as the number 1?"""
    encoded = Encoder("c0_").encode(True)
    assert encoded == {"literal": True} and encoded["literal"] is True


def test_a_plan_narrowed_to_questions_keeps_the_calls_their_arguments_need():
    from grader.isolation.protocol import LiteralArgument, Plan, PlannedCall, ReferenceArgument

    calls = (
        PlannedCall(id=0, function="load_mnist", arguments=(), keywords={}),
        PlannedCall(id=1, function="build_perceptron", arguments=(), keywords={}),
        PlannedCall(
            id=2,
            function="train",
            arguments=(ReferenceArgument(call=1, path=()), LiteralArgument(value=5)),
            keywords={},
        ),
        PlannedCall(id=3, function="normalize", arguments=(), keywords={}),
    )
    plan = Plan(
        calls=calls,
        functions=("load_mnist", "build_perceptron", "train", "normalize"),
        questions={"load": (0,), "accuracy": (2,), "normalize": (3,)},
    )
    assert [call.id for call in plan.only(["normalize"]).calls] == [3]
    assert [call.id for call in plan.only(["accuracy"]).calls] == [1, 2]
    assert plan.only(["normalize", "load"]).questions == {"normalize": (3,), "load": (0,)}


# ---- Results the checks only pass on (check_helpers.passed_on) ---------------------------


def passing_check(functions: dict[str, Any]) -> np.ndarray:
    """A check that hands double's result to combine without reading it."""
    doubled = passed_on(functions["double"](np.arange(4.0)))
    return functions["combine"](doubled, np.ones(1))


def record_passing_plan() -> PlanRecorder:
    recorder = PlanRecorder(REFERENCE, {})
    with marking_passed_on(recorder.mark_passed_on):
        passing_check({name: recorder.function(name) for name in ("double", "combine")})
    return recorder


def test_a_result_passed_on_is_planned_as_one():
    """Does passed_on mark the call whose whole result the check hands on, and only while a
    plan is recorded (elsewhere, stock otter say, it returns the value untouched)?"""
    assert record_passing_plan().passed_on == {0}
    value = np.zeros(2)
    assert passed_on(value) is value


def test_passed_on_takes_a_whole_result_only():
    """Is passed_on of a value no call returned, or of a part of a result, refused?"""
    recorder = PlanRecorder(REFERENCE, {})
    with marking_passed_on(recorder.mark_passed_on):
        first, _ = recorder.function("split")(np.arange(4.0))
        with pytest.raises(ReplayMiss, match="whole result"):
            passed_on(first)
        with pytest.raises(ReplayMiss, match="whole result"):
            passed_on(np.arange(3))


def test_a_passed_on_result_replays_as_a_stand_in_that_later_calls_accept():
    """Does the replay hand the check a stand-in for the result (whatever the child recorded
    for it), which the later call that uses it accepts, and ignore a change the child claims
    to have made to it?"""
    recorder = record_passing_plan()
    records = {
        0: CallRecord(id=0, seconds=0.0, returned={"array": "c0_0"}),
        1: CallRecord(id=1, seconds=0.0, returned={"literal": 7}, changed={"0": {"array": "c0_0"}}),
    }
    arrays = {"c0_0": np.arange(4.0)}  # a child that sent the value back anyway: not used
    index = plan_index(tuple(recorder.calls), recorder.arrays)
    replayer = Replayer(index, records, arrays, "stopped", tuple(recorder.passed_on))
    functions = {name: replayer.function(name) for name in ("double", "combine")}
    assert passing_check(functions) == 7
    assert isinstance(functions["double"](np.arange(4.0)), PassedOn)


@pytest.mark.parametrize(
    "reading",
    [np.asarray, lambda value: value + 1, lambda value: value.shape, len, float, bool],
    ids=["asarray", "add", "attribute", "len", "float", "bool"],
)
def test_reading_a_passed_on_result_is_a_grader_error(reading):
    """A check that reads a result it declared passed on is our bug: run_case says grader
    error, never blaming the student."""
    from grader.checks import Case, run_case
    from grader.records import Outcome

    stand_in = PassedOn("normalize")
    case = Case("q", "q: reads", 1.0, False, lambda: reading(stand_in))
    result = run_case(case, {})
    assert result.outcome is Outcome.GRADER_ERROR, result
    assert "normalize()" in result.message and "passed_on" in result.message


def test_split_and_narrowed_plans_keep_their_passed_on_calls():
    from grader.isolation.protocol import Plan, PlannedCall

    calls = tuple(PlannedCall(id=n, function="f") for n in range(3))
    plan = Plan(calls=calls, functions=("f",), hidden=(2,), passed_on=(0, 2))
    public, rest = plan.split()
    assert public.passed_on == (0,) and rest.passed_on == (2,)
    assert (
        Plan(calls=calls, functions=("f",), questions={"q": (1,)}, passed_on=(0,))
        .only(["q"])
        .passed_on
        == ()
    )


def test_one_exception_is_shown_once_and_later_checks_point_to_it():
    from grader.grading import shown_once
    from grader.records import CaseResult, Outcome

    def case(name: str, hidden: bool = False, message: str = "") -> CaseResult:
        raised = "build_perceptron() raised TypeError at line 50 of your file (x): bad"
        return CaseResult(
            question="q",
            name=name,
            max_points=1.0,
            hidden=hidden,
            outcome=Outcome.FAILED,
            message=message or raised,
            diagnosis="raised",
        )

    cases = shown_once([case("hidden one", hidden=True), case("first"), case("second")])
    assert cases[0].message.startswith("build_perceptron() raised")  # hidden: never shown
    assert cases[1].message.startswith("build_perceptron() raised TypeError at line 50")
    assert cases[2].message == (
        "Not run: build_perceptron() raised the error shown for \u201cfirst\u201d."
    )
    # The self-check prints questions in batches as their calls are recorded: an error shown
    # in an earlier batch is not shown again in full in a later one.
    earlier: dict[str, str] = {}
    shown_once([case("first")], earlier)
    later = shown_once([case("in a later batch")], earlier)
    assert later[0].message.startswith("Not run: build_perceptron() raised the error shown for")


@pytest.mark.parametrize(
    ("message", "says"),
    [
        (
            "Graph execution error:\n\nDetected at node ...\nIncompatible shapes: [32] vs. [32,10]"
            "\n\t [[{{node compile_loss/mse/sub}}]]",
            "the model gives 10 numbers per image but each label is one number",
        ),
        (
            "Unrecognized data type: x=[[0.0, 0.1]] (of type <class 'list'>)",
            "pass numpy arrays",
        ),
        (
            'Input 0 of layer "dense" is incompatible with the layer: expected axis -1 of input '
            "shape to have value 784, but received input with shape (None, 28, 28)",
            "the model takes 784 numbers per image but was given inputs of shape (None, 28, 28)",
        ),
    ],
)
def test_known_keras_errors_reach_the_student_as_a_sentence(message, says):
    """Is a Keras error a beginner meets said as a TA would, the original line kept after it,
    and an unknown one left as it was?"""
    raised = RaisedError(type="InvalidArgumentError", message=message)
    summary = replay_exception("train", raised).summary
    assert says in summary, summary
    assert summary.index(says) < summary.index("(Keras said:")  # the sentence first
    unknown = RaisedError(type="ValueError", message="something else entirely")
    assert replay_exception("train", unknown).summary == "something else entirely"
