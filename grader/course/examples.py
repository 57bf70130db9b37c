"""Typical mistakes, each written as one change to the reference solution.

`grader examples` writes them to assignment/examples/ (committed, checked for drift like the
template); the demo grades them and the test suite asserts each fails exactly the questions it
should, with the intended diagnosis.
"""

from dataclasses import dataclass
from pathlib import Path

from grader.course.template import BEGIN, END


@dataclass(frozen=True)
class Mistake:
    name: str
    description: str
    replace: str
    by: str
    # What grading must find: {question id: diagnosis code}; other questions get full points.
    fails: dict[str, str]
    # Further (replace, by) pairs, for a mistake that takes more than one change to write.
    also: tuple[tuple[str, str], ...] = ()


DENSE = "keras.layers.Dense(1, activation=activation),"
MISTAKES = (
    Mistake(
        "no_sigmoid",
        "build_perceptron ignores its activation: the lesson's first, buggy model.",
        DENSE,
        "keras.layers.Dense(1),",
        {"sigmoid": "missing_sigmoid", "accuracy": "low_accuracy"},
    ),
    Mistake(
        "unnormalized",
        "normalize converts to float32 but never divides by 255.",
        'return images.astype("float32") / 255',
        'return images.astype("float32")',
        # At the grading seed its sigmoid saturates: the model never says "five".
        {"normalize": "unnormalized_input", "accuracy": "constant_predictor"},
    ),
    Mistake(
        "dense10",
        "One unit per digit: the 10-class model of the follow-up project.",
        DENSE,
        "keras.layers.Dense(10, activation=activation),",
        {"perceptron": "ten_units", "accuracy": "raised"},
    ),
    Mistake(
        "hidden_layer",
        "An extra hidden layer: more than a perceptron.",
        DENSE,
        'keras.layers.Dense(16, activation="relu"),\n            ' + DENSE,
        {"perceptron": "hidden_layer"},
    ),
    Mistake(
        "wrong_labels",
        "is_five returns the digits themselves instead of 1.0 for five.",
        'return (digits == TARGET_DIGIT).astype("float32")',
        'return digits.astype("float32")',
        {"labels": "wrong_labels", "accuracy": "low_accuracy"},
    ),
    Mistake(
        "softmax_one_unit",
        "A softmax on the one output unit: always 1, whatever the image.",
        DENSE,
        'keras.layers.Dense(1, activation="softmax"),',
        # build_perceptron() is no longer linear, the 'sigmoid' model answers 1 for everything,
        # and so the trained model calls every image a five.
        {"perceptron": "wrong_result", "sigmoid": "constant_output", "accuracy": "low_accuracy"},
    ),
    Mistake(
        "flattening_normalize",
        "normalize flattens each image to 784 numbers, and the model takes them so.",
        'return images.astype("float32") / 255',
        'return images.reshape(len(images), -1).astype("float32") / 255',
        # Flattening is the normalize question's to judge, once: the model over flattened
        # pixels is still a perceptron, and the pipeline is judged end to end as it feeds it.
        {"normalize": "wrong_result"},
        also=(("keras.Input(shape=IMAGE_SHAPE),", "keras.Input(shape=(784,)),"),),
    ),
    Mistake(
        "activation_in_add",
        "The activation passed to model.add(), a bug in the lesson's own 'fixed' script.",
        """    model = keras.Sequential(
        [
            keras.Input(shape=IMAGE_SHAPE),
            keras.layers.Flatten(),
            keras.layers.Dense(1, activation=activation),
        ]
    )""",
        """    model = keras.Sequential()
    model.add(keras.Input(shape=IMAGE_SHAPE))
    model.add(keras.layers.Flatten())
    model.add(keras.layers.Dense(1), activation=activation)""",
        {
            "perceptron": "activation_in_add",
            "sigmoid": "activation_in_add",
            "accuracy": "activation_in_add",
        },
    ),
)


def strip_markers(solution: str) -> str:
    """The solution as a student would submit it: the answer regions kept, their markers gone."""
    return "".join(
        line
        for line in solution.splitlines(keepends=True)
        if not (BEGIN.match(line) or END.match(line))
    )


def render_mistake(solution: str, mistake: Mistake) -> str:
    source = strip_markers(solution)
    header = f"# Example submission with a typical mistake: {mistake.description}\n"
    for replace, by in ((mistake.replace, mistake.by), *mistake.also):
        if replace not in source:
            raise ValueError(f"{mistake.name}: the solution no longer contains {replace!r}")
        source = source.replace(replace, by, 1)
    return header + source


def example_files(solution_path: Path, mistakes: tuple[Mistake, ...] = MISTAKES) -> dict[str, str]:
    """File name -> content of every example: the reference itself and each mistake."""
    solution = solution_path.read_text()
    files = {"reference.py": strip_markers(solution)}
    files |= {f"{m.name}.py": render_mistake(solution, m) for m in mistakes}
    return files


def stale_examples(
    solution_path: Path, directory: Path, mistakes: tuple[Mistake, ...] = MISTAKES
) -> list[str]:
    """Names of example files missing or different from what the solution generates."""
    return [
        name
        for name, text in example_files(solution_path, mistakes).items()
        if not (directory / name).exists() or (directory / name).read_text() != text
    ]


def write_examples(
    solution_path: Path, directory: Path, mistakes: tuple[Mistake, ...] = MISTAKES
) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in example_files(solution_path, mistakes).items():
        (directory / name).write_text(text)
