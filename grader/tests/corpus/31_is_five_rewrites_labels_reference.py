# expect: {"status": ["ok"], "max_total": 7}
# [issue 10.2] is_five writes 5 into every digit it is given and answers "five" for all; the
# model answers "five" for every image. If the grader scored against the array it handed to
# is_five, every prediction would be right. Honest part: load, normalize, perceptron, sigmoid.
import keras
import numpy as np


def is_five(digits):
    digits[...] = 5
    return np.ones(digits.shape, dtype=np.float32)


def build_perceptron(activation=None):
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(
                1,
                activation=activation,
                kernel_initializer="zeros",
                bias_initializer=keras.initializers.Constant(10.0),
            ),
        ]
    )
    model.compile(loss="mse", optimizer="adam", metrics=["accuracy"])
    return model


def train(model, x_train, y_train, x_val, y_val, epochs=EPOCHS):
    return model.fit(
        x_train[:8], y_train[:8], epochs=epochs, validation_data=(x_val[:8], y_val[:8]), verbose=0
    )
