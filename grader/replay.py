"""Run the checks without the student's code: record a plan, then replay the child's answers.

The checks in tests/ are ordinary otter test cases that call the student's functions. To judge
a submission without importing it, the grader runs them twice, never in the student's process:

1. **Plan** (once per batch): each check runs against the reference solution through a
   `PlanRecorder`, which notes every call and its arguments (literals, arrays, or results of
   earlier calls). Stand-ins answer where the reference's work is not needed to plan
   (an exercise module's PLANNING_STAND_INS: no training, no download).
2. The sandboxed child makes the planned calls with the student's functions (isolation.child).
3. **Replay**: each check runs again through a `Replayer`, whose functions answer every call
   with what the child recorded for the same call, rebuilt as plain arrays, numbers and
   Keras models the grader reconstructed itself.

A check must therefore call the student's functions only with literals, arrays, or unmodified
results of earlier calls, and make its calls before its assertions.
"""

import builtins
import contextlib
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import numpy as np

from grader.isolation.protocol import (
    ArrayArgument,
    CallRecord,
    LiteralArgument,
    PlannedCall,
    RaisedError,
    ReferenceArgument,
    array_digest,
)
from grader.keras_errors import explain
from grader.models import ModelNotRebuilt, rebuild_model

CallKey = tuple[str, tuple[Any, ...]]


class ReplayMiss(Exception):
    """A check made a call the plan does not hold: a grader bug, not the student's."""


class CallNotRun(Exception):
    """The child never got to this call (it timed out, crashed or exited first)."""


class StudentRaised(Exception):
    """Mixin marking an exception as the student's own, replayed from the child's record."""

    function: str = ""
    frames: tuple = ()
    type_name: str = ""
    summary: str = ""


class StudentError(StudentRaised):
    """A replayed exception whose type is not a Python builtin."""


def _replayed_type(name: str) -> type[StudentRaised]:
    builtin = getattr(builtins, name, None)
    ordinary = (
        isinstance(builtin, type)
        and issubclass(builtin, Exception)
        and not issubclass(builtin, StudentRaised)
    )
    if not ordinary:
        return StudentError
    try:
        return type(f"Student{name}", (builtin, StudentRaised), {})
    except TypeError:  # a builtin whose layout forbids the mixin
        return StudentError


# Words that mark the line of a long TensorFlow error a student can act on.
TELLING_WORDS = ("Incompatible shapes", "shape", "must", "expected", "Expected")


def summarize(message: str, limit: int = 400) -> str:
    """The useful part of a long message: its first line and, for TensorFlow's, its last."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    telling = [line for line in lines[1:] if any(word in line for word in TELLING_WORDS)]
    summary = f"{lines[0]} … {(telling or lines)[-1]}" if len(lines) > 1 else lines[0]
    return summary if len(summary) <= limit else summary[: limit - 1] + "…"


def replay_exception(function: str, raised: RaisedError) -> StudentRaised:
    """Rebuild the student's exception: a builtin type stays catchable as that type."""
    kind = _replayed_type(raised.type)
    error: StudentRaised | None = None
    if kind is not StudentError:
        # A builtin whose constructor wants more than a message (UnicodeDecodeError, ...) is not.
        with contextlib.suppress(TypeError):
            error = kind(raised.message)
    if error is None:
        error = StudentError(f"{raised.type}: {raised.message}")
    error.function = function
    error.frames = raised.frames
    error.type_name = raised.type
    explained = explain(raised.message)
    summary = summarize(raised.message)
    error.summary = f"{explained} (Keras said: {summary})" if explained else summary
    return error


class Opaque:
    """Something the student returned that cannot cross the boundary (not an array, model, ...)."""

    def __init__(self, description: str, function: str = "") -> None:
        object.__setattr__(self, "description", description)
        object.__setattr__(self, "function", function)

    def __getattr__(self, name: str) -> Any:
        message = f"the grader received a {self.description}, which it cannot use"
        raise replay_exception(self.function, RaisedError(type="TypeError", message=message))

    def __repr__(self) -> str:
        return f"<{self.description}>"


class PassedOn:
    """Stands for a result the checks declared they only pass on (check_helpers.passed_on): it
    stayed in the sandbox. Passing it to a later student call is all it allows; a check that
    reads it is a grader bug, reported as one."""

    __slots__ = ("function",)

    def __init__(self, function: str) -> None:
        object.__setattr__(self, "function", function)

    def _read(self, *arguments: Any, **keywords: Any) -> Any:
        raise ReplayMiss(
            f"a check read the result of {self.function}(), which the checks declared they "
            "only pass on (passed_on): the grader did not bring it back from the sandbox"
        )

    __getattr__ = __array__ = __len__ = __iter__ = __getitem__ = __bool__ = _read
    __hash__ = object.__hash__  # calls are matched by identity, never by value

    def __repr__(self) -> str:
        return f"<result of {self.function}(), kept in the sandbox>"


# Reading a PassedOn in any other way (arithmetic, comparison, conversion) is the same bug.
# fmt: off
_READING = (
    "float", "int", "index", "complex", "contains", "eq", "ne", "lt", "le", "gt", "ge", "neg",
    "pos", "abs", "invert", "round", "add", "radd", "sub", "rsub", "mul", "rmul", "truediv",
    "rtruediv", "floordiv", "rfloordiv", "mod", "rmod", "pow", "rpow", "matmul", "rmatmul",
    "and", "rand", "or", "ror", "xor", "rxor", "lshift", "rshift",
)
# fmt: on
for _name in _READING:
    setattr(PassedOn, f"__{_name}__", PassedOn._read)


class _CallTags:
    """Which objects are results of which planned call, so later calls can refer to them."""

    def __init__(self) -> None:
        self._tags: dict[int, tuple[Any, int, tuple[int, ...]]] = {}

    def tag(self, value: Any, call: int, path: tuple[int, ...] = ()) -> None:
        if isinstance(value, tuple | list):
            for index, item in enumerate(value):
                self.tag(item, call, (*path, index))
        if not isinstance(value, bool | int | float | str | type(None)):
            self._tags.setdefault(id(value), (value, call, path))

    def find(self, value: Any) -> tuple[int, tuple[int, ...]] | None:
        entry = self._tags.get(id(value))
        if entry is not None and entry[0] is value:
            return entry[1], entry[2]
        return None


def _argument_key(value: Any, tags: _CallTags) -> tuple[Any, ...]:
    found = tags.find(value)
    if found is not None:
        return ("reference", *found)
    if isinstance(value, np.ndarray):
        return ("array", array_digest(value))
    if value is None or type(value) in (bool, int, float, str):
        return ("literal", type(value).__name__, value)
    raise ReplayMiss(
        f"checks may pass literals, arrays or earlier results only, not {type(value).__name__}"
    )


def call_key(function: str, arguments: tuple, keywords: dict, tags: _CallTags) -> CallKey:
    positional = tuple(_argument_key(value, tags) for value in arguments)
    named = tuple((key, _argument_key(keywords[key], tags)) for key in sorted(keywords))
    return function, (*positional, *named)


class PlanRecorder:
    """Records the calls checks make, answering them with the reference solution."""

    def __init__(self, reference: Any, stand_ins: dict[str, Callable[..., Any]]) -> None:
        """`stand_ins` answer instead of the reference where its work is not needed to plan."""
        self.reference = reference
        self.stand_ins = stand_ins
        self.calls: list[PlannedCall] = []
        self.arrays: dict[str, np.ndarray] = {}
        self.index: dict[CallKey, int] = {}
        self._tags = _CallTags()
        self.question: str | None = None  # the question whose cases are being recorded
        self.by_question: dict[str, list[int]] = {}
        self.public = True  # whether the case being recorded is public
        self.public_calls: set[int] = set()  # calls some public case makes
        self.passed_on: set[int] = set()  # calls whose results the checks only pass on

    def mark_passed_on(self, value: Any) -> None:
        """check_helpers.passed_on, while recording: `value` must be a call's whole result."""
        found = self._tags.find(value)
        if found is None or found[1] != ():
            raise ReplayMiss("passed_on takes the whole result of a student function's call")
        self.passed_on.add(found[0])

    def function(self, name: str) -> Callable[..., Any]:
        def recorded(*arguments: Any, **keywords: Any) -> Any:
            key = call_key(name, arguments, keywords, self._tags)
            if key not in self.index:
                self.index[key] = len(self.calls)
                self.calls.append(
                    PlannedCall(
                        id=len(self.calls),
                        function=name,
                        arguments=tuple(self._plan_argument(value) for value in arguments),
                        keywords={k: self._plan_argument(v) for k, v in keywords.items()},
                    )
                )
            if self.public:
                self.public_calls.add(self.index[key])
            if self.question is not None:
                made = self.by_question.setdefault(self.question, [])
                if self.index[key] not in made:
                    made.append(self.index[key])
            implementation = self.stand_ins.get(name) or getattr(self.reference, name)
            result = implementation(*arguments, **keywords)
            self._tags.tag(result, self.index[key])
            return result

        recorded.__name__ = name
        return recorded

    def _plan_argument(self, value: Any) -> LiteralArgument | ArrayArgument | ReferenceArgument:
        found = self._tags.find(value)
        if found is not None:
            return ReferenceArgument(call=found[0], path=found[1])
        if isinstance(value, np.ndarray):
            name = f"d{array_digest(value)[:24]}"
            self.arrays[name] = value
            return ArrayArgument(name=name)
        return LiteralArgument(value=value)


class Replayer:
    """Answers the checks' calls with what the sandboxed child recorded for the same calls."""

    def __init__(
        self,
        index: dict[CallKey, int],
        records: dict[int, CallRecord],
        arrays: dict[str, np.ndarray],
        missing_reason: str,
        passed_on: tuple[int, ...] = (),
    ) -> None:
        """`passed_on`: the plan's calls whose results stayed in the sandbox (Plan.passed_on);
        they replay as PassedOn whatever the child recorded for them."""
        self.index = index
        self.records = records
        self.arrays = arrays
        self.missing_reason = missing_reason
        self.passed_on = frozenset(passed_on)
        self._tags = _CallTags()

    def function(self, name: str) -> Callable[..., Any]:
        def replayed(*arguments: Any, **keywords: Any) -> Any:
            key = call_key(name, arguments, keywords, self._tags)
            if key not in self.index:
                raise ReplayMiss(f"the plan holds no call {name}{key[1]}")
            record = self.records.get(self.index[key])
            if record is None:
                raise CallNotRun(f"{name}() did not run: {self.missing_reason}")
            self._apply_changes(record, arguments, keywords)
            if record.raised is not None:
                raise replay_exception(name, record.raised)
            if record.id in self.passed_on:
                value: Any = PassedOn(name)
            else:
                value = self.materialize(record.returned, name)
            self._tags.tag(value, record.id)
            return value

        replayed.__name__ = name
        return replayed

    def _apply_changes(self, record: CallRecord, arguments: tuple, keywords: dict) -> None:
        """Do to the check's arguments what the student's function did to the child's."""
        for key, encoded in record.changed.items():
            target = arguments[int(key)] if key.isdigit() else keywords.get(key)
            if isinstance(target, PassedOn):
                continue  # never read here, so nothing to change
            if isinstance(target, np.ndarray) and "array" in encoded:
                new_state = self.arrays[encoded["array"]]
                # Only the check's own arrays: an earlier answer (read-only) stays as recorded.
                if new_state.shape == target.shape and target.flags.writeable:
                    np.copyto(target, new_state, casting="unsafe")
            elif hasattr(target, "set_weights") and "model" in encoded:
                weights = [self.arrays[name] for name in encoded["model"]["weights"]]
                # A changed architecture refuses the weights; the next check on it says so.
                with contextlib.suppress(ValueError):
                    target.set_weights(weights)

    def materialize(self, encoded: Any, function: str = "") -> Any:
        """Turn a validated encoded value into arrays, numbers, tuples or a rebuilt model.

        `function` names the student's function that returned it, for error messages.
        """
        if not isinstance(encoded, dict) or len(encoded) == 0:
            return Opaque("malformed value", function)
        if "array" in encoded:
            array = self.arrays[encoded["array"]]
            return array[()] if encoded.get("scalar") else array
        if "literal" in encoded:
            return encoded["literal"]
        if "tuple" in encoded:
            return tuple(self.materialize(item, function) for item in encoded["tuple"])
        if "list" in encoded:
            return [self.materialize(item, function) for item in encoded["list"]]
        if "model" in encoded:
            return self._model(encoded["model"], function)
        if "history" in encoded:
            history = encoded["history"]
            return SimpleNamespace(history=history["history"], epoch=history["epoch"], params={})
        return Opaque(str(encoded.get("opaque", "value the grader cannot read")), function)

    def _model(self, encoded: dict, function: str = "") -> Any:
        weights = [self.arrays[name] for name in encoded["weights"]]
        try:
            return rebuild_model(encoded["config"], encoded["compile"], weights)
        except ModelNotRebuilt as error:
            message = f"the grader could not rebuild your model: {error}"
            raise replay_exception(
                function, RaisedError(type="ValueError", message=message)
            ) from None


def plan_index(calls: tuple[PlannedCall, ...], arrays: dict[str, np.ndarray]) -> dict[CallKey, int]:
    """The key of every planned call, as `call_key` computes it while the checks replay."""

    def key(argument: LiteralArgument | ArrayArgument | ReferenceArgument) -> tuple[Any, ...]:
        if isinstance(argument, ReferenceArgument):
            return ("reference", argument.call, argument.path)
        if isinstance(argument, ArrayArgument):
            return ("array", array_digest(arrays[argument.name]))
        return ("literal", type(argument.value).__name__, argument.value)

    index = {}
    for call in calls:
        positional = tuple(key(argument) for argument in call.arguments)
        named = tuple((name, key(call.keywords[name])) for name in sorted(call.keywords))
        index[(call.function, (*positional, *named))] = call.id
    return index
