"""The Fashion-MNIST project's typical mistakes: each one edit of solution.py, written as an
example submission by `grader --assignment fashion template`, with what grading must find.
Staff only: a student release never ships this file."""

from grader.course.examples import Mistake

DENSE = 'keras.layers.Dense(CLASSES, activation="softmax"),'
COMPILE = 'model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])'

MISTAKES = (
    Mistake(
        "no_softmax",
        "Dense(10) with no activation: ten raw scores, not probabilities.",
        DENSE,
        "keras.layers.Dense(CLASSES),",
        {"probabilities": "no_softmax", "accuracy": "low_accuracy"},
    ),
    Mistake(
        "unnormalized",
        "normalize converts to float32 but never divides by 255.",
        'return images.astype("float32") / 255',
        'return images.astype("float32")',
        {"normalize": "unnormalized_input", "accuracy": "low_accuracy"},
    ),
    Mistake(
        "integer_labels",
        "one_hot returns the class numbers themselves.",
        'return keras.utils.to_categorical(labels, CLASSES).astype("float32")',
        'return labels.astype("float32")',
        {"labels": "integer_labels", "accuracy": "raised"},
    ),
    Mistake(
        "mse_loss",
        "Compiled with mean squared error, the lesson's loss, instead of crossentropy.",
        COMPILE,
        'model.compile(loss="mse", optimizer="adam", metrics=["accuracy"])',
        {"classifier": "wrong_loss"},
    ),
    Mistake(
        "one_unit",
        "Dense(1) kept from the lesson: one number per image instead of ten.",
        DENSE,
        'keras.layers.Dense(1, activation="softmax"),',
        {"classifier": "one_unit", "probabilities": "no_softmax", "accuracy": "raised"},
    ),
)
