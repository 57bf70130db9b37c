"""The plain data that crosses the sandbox boundary, in both directions.

A *plan* lists the calls the sandboxed child makes to the student's functions:
each argument is a literal, an array shipped in the plan's .npz, or a reference to
(part of) an earlier call's result. For every call the child writes one *call record*:
what came back or what was raised, encoded as JSON plus arrays in an .npz written
without pickles. Nothing else crosses: no objects, no code.

This module is imported on both sides: the child encodes, the parent validates and
reads. It must stay free of anything that evaluates a verdict.
"""

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

# Numeric and boolean arrays only: object arrays would need pickles.
ARRAY_KINDS = "biuf"
MAX_TEXT = 2000
MAX_SEQUENCE = 64


class _Record(BaseModel):
    # NaN and infinities written as JSON's common extensions (NaN, Infinity), not null: a
    # diverged training's loss is NaN, and a history that says so must reach the checks.
    model_config = ConfigDict(frozen=True, extra="forbid", ser_json_inf_nan="constants")


# ---- Plans (parent -> child) -------------------------------------------------------------


class LiteralArgument(_Record):
    kind: Literal["literal"] = "literal"
    value: bool | int | float | str | None


class ArrayArgument(_Record):
    kind: Literal["array"] = "array"
    name: str


class ReferenceArgument(_Record):
    """Part of an earlier call's result: `path` indexes into nested tuples and lists."""

    kind: Literal["reference"] = "reference"
    call: int
    path: tuple[int, ...] = ()


Argument = Annotated[
    LiteralArgument | ArrayArgument | ReferenceArgument, Field(discriminator="kind")
]


# The hand-over of the hidden calls (sandbox.py): the child writes PUBLIC_DONE among its
# records once the public calls are made; the grader then puts these two in the job folder.
PUBLIC_DONE = "public-done.json"
HIDDEN_PLAN = "hidden-plan.json"
HIDDEN_ARRAYS = "hidden-plan.npz"


class PlannedCall(_Record):
    id: int
    function: str
    arguments: tuple[Argument, ...] = ()
    keywords: dict[str, Argument] = {}


class Plan(_Record):
    calls: tuple[PlannedCall, ...]
    # The student's module-level names the checks read, besides the planned functions.
    functions: tuple[str, ...]
    # The calls each question's cases make (ids into `calls`), so one question can be checked
    # alone (`grader check --only`): empty in plans recorded before it was kept.
    questions: dict[str, tuple[int, ...]] = {}
    # Calls only hidden cases make. The child gets them, and their inputs, only once every
    # other call has been made and recorded (sandbox.py): nothing the submission learns
    # of a hidden input can reach what a student reads of a public case.
    hidden: tuple[int, ...] = ()
    # In the child's first part of a split plan: more calls follow once the grader hands them
    # over (after the child marks the public part done).
    pending: bool = False
    # Calls whose result the checks only pass on to later calls (grader.check_helpers.
    # passed_on): the child keeps it and records no value for it (the training images: 157 MB
    # that the grader would read back and hold, and never look at).
    passed_on: tuple[int, ...] = ()

    def passed_on_among(self, calls: tuple[PlannedCall, ...]) -> tuple[int, ...]:
        """The passed-on calls among `calls`."""
        ids = {call.id for call in calls}
        return tuple(number for number in self.passed_on if number in ids)

    def in_order(self) -> tuple[PlannedCall, ...]:
        """The calls in the order the child makes them: every public call, then the hidden."""
        hidden = set(self.hidden)
        public = tuple(call for call in self.calls if call.id not in hidden)
        return public + tuple(call for call in self.calls if call.id in hidden)

    def split(self) -> tuple["Plan", "Plan"]:
        """The child's two parts: the public calls (pending when hidden ones follow), and the
        hidden calls alone."""
        hidden = set(self.hidden)
        public_calls = tuple(call for call in self.calls if call.id not in hidden)
        hidden_calls = tuple(call for call in self.calls if call.id in hidden)
        public = Plan(
            calls=public_calls,
            functions=self.functions,
            pending=bool(hidden),
            passed_on=self.passed_on_among(public_calls),
        )
        rest = Plan(
            calls=hidden_calls,
            functions=self.functions,
            passed_on=self.passed_on_among(hidden_calls),
        )
        return public, rest

    def array_names(self) -> set[str]:
        return {
            argument.name
            for call in self.calls
            for argument in [*call.arguments, *call.keywords.values()]
            if isinstance(argument, ArrayArgument)
        }

    def only(self, question_ids: list[str]) -> "Plan":
        """The calls the given questions need, with every earlier call their arguments use."""
        wanted = {number for q in question_ids for number in self.questions.get(q, ())}
        by_id = {call.id: call for call in self.calls}
        changed = True
        while changed:
            changed = False
            for number in list(wanted):
                call = by_id[number]
                for argument in [*call.arguments, *call.keywords.values()]:
                    needed = getattr(argument, "call", None)
                    if isinstance(needed, int) and needed not in wanted:
                        wanted.add(needed)
                        changed = True
        calls = tuple(call for call in self.calls if call.id in wanted)
        kept = {q: self.questions[q] for q in question_ids if q in self.questions}
        hidden = tuple(number for number in self.hidden if number in wanted)
        return Plan(
            calls=calls,
            functions=self.functions,
            questions=kept,
            hidden=hidden,
            passed_on=self.passed_on_among(calls),
        )


class StoredPlan(_Record):
    """A plan saved for a student release, with the digest of the check files it came from."""

    checks: str
    plan: Plan


# ---- Call records (child -> parent) ------------------------------------------------------


class StudentFrame(_Record):
    line: int
    function: str
    text: str


class RaisedError(_Record):
    type: str
    message: str
    frames: tuple[StudentFrame, ...] = ()


class CallRecord(_Record):
    id: int
    seconds: float
    returned: Any = None  # an encoded value, see `encode`
    raised: RaisedError | None = None
    # Encoded state of arguments the call changed, by argument position or keyword.
    changed: dict[str, Any] = {}


class ImportRecord(_Record):
    seconds: float
    raised: RaisedError | None = None
    missing: tuple[str, ...] = ()


# ---- Encoding values (in the child) ------------------------------------------------------


def array_digest(array: np.ndarray) -> str:
    """Digest of an array's dtype, shape and content: how calls are matched across the boundary."""
    contiguous = np.ascontiguousarray(array)
    digest = hashlib.sha256(f"{contiguous.dtype.str}{contiguous.shape}".encode())
    digest.update(contiguous.view(np.uint8).reshape(-1).data if contiguous.size else b"")
    return digest.hexdigest()


class Encoder:
    """Turns the student's return values into JSON-able trees plus named arrays."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.arrays: dict[str, np.ndarray] = {}

    def _add_array(self, array: np.ndarray) -> str:
        """Kept by reference, not copied: the record is written before any later call can
        change it (a 50,000-image copy cost the child 0.3 s of fresh memory per run)."""
        name = f"{self.prefix}{len(self.arrays)}"
        self.arrays[name] = np.asarray(array).view(np.ndarray)
        return name

    def encode(self, value: Any, depth: int = 0) -> dict[str, Any]:
        if depth > 4:
            return {"opaque": "deeply nested value"}
        if isinstance(value, np.ndarray | np.generic):
            array = np.asarray(value)
            if array.dtype.kind not in ARRAY_KINDS:
                return {"opaque": f"array of dtype {array.dtype}"}
            return {"array": self._add_array(array), "scalar": isinstance(value, np.generic)}
        if value is None or type(value) in (bool, int, float):
            return {"literal": value}
        if type(value) is str:
            return {"literal": value[:MAX_TEXT]}
        if type(value) in (tuple, list):
            items = [self.encode(item, depth + 1) for item in value[:MAX_SEQUENCE]]
            return {type(value).__name__: items}
        if _is_keras_model(value):
            return {"model": self._encode_model(value)}
        if _is_history(value):
            return {"history": _encode_history(value)}
        return {"opaque": type(value).__qualname__[:200]}

    def _encode_model(self, model: Any) -> dict[str, Any]:
        try:
            compile_config = json.loads(json.dumps(model.get_compile_config()))
        except Exception:  # not compiled, or compiled with something JSON cannot hold
            compile_config = None
        return {
            "config": model.to_json(),
            "compile": compile_config,
            "weights": [self._add_array(weight) for weight in model.get_weights()],
        }


def _is_keras_model(value: Any) -> bool:
    return type(value).__module__.startswith("keras") and hasattr(value, "get_weights")


def _is_history(value: Any) -> bool:
    return type(value).__name__ == "History" and isinstance(getattr(value, "history", None), dict)


def _encode_history(history: Any) -> dict[str, Any]:
    metrics = {
        str(name)[:100]: [float(number) for number in list(values)[:10000]]
        for name, values in list(history.history.items())[:MAX_SEQUENCE]
    }
    epochs = [int(epoch) for epoch in list(getattr(history, "epoch", []))[:10000]]
    return {"history": metrics, "epoch": epochs}


def write_record(
    directory: Path, name: str, record: BaseModel, arrays: dict[str, np.ndarray]
) -> None:
    """Write arrays first, then the JSON: a record whose JSON exists is complete."""
    np.savez(directory / f"{name}.npz", **arrays)
    partial = directory / f"{name}.json.partial"
    partial.write_text(record.model_dump_json())
    partial.rename(directory / f"{name}.json")
