"""The perceptron's typical mistakes: each one edit of solution.py, written as an example
submission by `grader template`, with what grading must find.
Staff only: a student release never ships this file."""

from grader.course.examples import Mistake

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
