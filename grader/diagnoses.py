"""What a TA would say: each known mistake has a code and a message naming its cause.

Checks raise `AssertionError(diagnosis)`; stock otter shows the message, and this grader also
reads the code, to count in the instructor report how many students made each mistake.
Every message follows one pattern: what was observed, what was expected, what to try.
"""

from dataclasses import dataclass


class Diagnosis(str):
    """A student-facing message that also carries a stable code."""

    code: str

    def __new__(cls, code: str, message: str) -> "Diagnosis":
        instance = super().__new__(cls, message)
        instance.code = code
        return instance


@dataclass(frozen=True)
class Kind:
    code: str
    title: str


# The mistakes any exercise may make, in the order the instructor report lists them. An
# exercise's own (the perceptron's missing sigmoid, say) its exercise module registers.
KINDS = {
    kind.code: kind
    for kind in (
        Kind("not_attempted", "Left the function unimplemented"),
        Kind("wrong_data", "The load function returns the wrong arrays"),
        Kind("unnormalized_input", "Did not scale pixels to [0, 1]"),
        Kind("wrong_dtype", "Returned the wrong dtype"),
        Kind("modifies_input", "Changed the caller's array"),
        Kind("no_input_shape", "Model has no input shape"),
        Kind("wrong_compile", "Compiled with the wrong loss or optimizer"),
        Kind("no_validation", "train() does not validate or return the History"),
        Kind("low_accuracy", "Accuracy below the threshold"),
        Kind("raised", "Function raised an exception"),
        Kind("wrong_result", "Result has the wrong type or shape"),
    )
}


def register_kinds(*kinds: Kind) -> None:
    """An exercise's own mistakes (its exercise module calls this): listed after the
    catalogue's, in the report and wherever a code is named."""
    for kind in kinds:
        KINDS.setdefault(kind.code, kind)


def catalogue() -> dict[str, Kind]:
    """Every kind the assignment in use may report: the common ones and its own, which loading
    its exercise module registers (a merge or a report reads journals, not check files)."""
    from grader.config import current_exercise

    current_exercise()
    return KINDS


def diagnosis(code: str, message: str) -> Diagnosis:
    if code not in KINDS:
        raise KeyError(f"unknown diagnosis code {code!r}")
    return Diagnosis(code, message)


def unnormalized_input(observed_max: float, dtype: str) -> Diagnosis:
    return diagnosis(
        "unnormalized_input",
        f"normalize returned values up to {observed_max:g} (dtype {dtype}); "
        "expected float32 values in [0, 1]. Divide the pixels by 255: "
        "images.astype('float32') / 255.",
    )
