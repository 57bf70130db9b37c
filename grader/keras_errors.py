"""Keras and TensorFlow errors a beginner meets, said as a TA would say them.

Each entry matches the error's text and gives one sentence in the diagnoses' form: what was
observed, what was expected, what to try. The original error's useful line still follows it,
so nothing is hidden; an error not in the catalogue is shown as before.

The sentences here hold for any exercise. An exercise names its own first, in its exercise
module's KERAS_ERRORS (the perceptron: "a 'five or not' model ends in one unit"; the Fashion
project: "train on one_hot's rows"), so no exercise's advice reaches another's students.
"""

import re
from collections.abc import Callable

Explain = Callable[[re.Match[str]], str]

# The errors, named so an exercise's KERAS_ERRORS can give its own sentence for the same one.
INCOMPATIBLE_SHAPES = re.compile(
    r"Incompatible shapes: \[(\d+)\] vs\. \[\1,(\d+)\]|"
    r"Incompatible shapes: \[(\d+),(\d+)\] vs\. \[\3\]"
)
NOT_ARRAYS = re.compile(r"Unrecognized data type: x=|Failed to find data adapter")
INPUT_WIDTH = re.compile(
    r"expected axis -1 of input shape to have value (\d+), but received input "
    r"with shape \(([^)]*)\)"
)
_SHAPES = r"target\.shape=\(([^)]*)\), output\.shape=\(([^)]*)\)"
SHAPE_MISMATCH = re.compile(
    r"Arguments `target` and `output` must have the same shape.*?" + _SHAPES, re.DOTALL
)
RANK_MISMATCH = re.compile(
    r"Arguments `target` and `output` must have the same rank.*?" + _SHAPES, re.DOTALL
)

CATALOGUE: tuple[tuple[re.Pattern[str], Explain], ...] = (
    (
        INCOMPATIBLE_SHAPES,
        lambda m: (
            f"the model gives {m[2] or m[4]} numbers per image but each label is one number: "
            "the last layer must give as many numbers per image as each label holds."
        ),
    ),
    (
        NOT_ARRAYS,
        lambda m: (
            "model.fit() was given data it cannot read (a Python list, or another type): pass "
            "numpy arrays, as your own functions return them."
        ),
    ),
    (
        INPUT_WIDTH,
        lambda m: (
            f"the model takes {m[1]} numbers per image but was given inputs of shape "
            f"({m[2]}): start the model with keras.Input(shape=(28, 28)) and Flatten(), or "
            "give it images laid out as it expects."
        ),
    ),
    (
        SHAPE_MISMATCH,
        lambda m: (
            f"the labels have shape ({m[1]}) but the model's outputs ({m[2]}): the last layer "
            "must give as many numbers per image as each label holds."
        ),
    ),
    (
        RANK_MISMATCH,
        lambda m: (
            f"the labels have shape ({m[1]}) but the model's outputs ({m[2]}): the labels "
            "and the model's outputs must be laid out alike, one row per image."
        ),
    ),
)


def exercise_catalogue() -> tuple[tuple[re.Pattern[str], Explain], ...]:
    """The assignment in use's own sentences (its exercise module's KERAS_ERRORS), if any."""
    from grader.config import current_exercise

    return tuple(getattr(current_exercise(), "KERAS_ERRORS", ()))


def explain(message: str) -> str | None:
    """The TA's sentence for a known Keras or TensorFlow error, or None: the exercise's own
    first, then the catalogue's."""
    for pattern, sentence in (*exercise_catalogue(), *CATALOGUE):
        found = pattern.search(message)
        if found:
            return sentence(found)
    return None
