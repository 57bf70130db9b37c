"""Your first neural network: a perceptron that tells "five" from "not five".

Fill in every function below, then run this file (`python student_template.py`) to
train the model twice: once without a sigmoid, so you can see what goes wrong, and
once with it. Check your work before submitting with `grader check student_template.py`.

Read INSTRUCTIONS.md (next to this file) first: it walks through every line you will write.
"""

import keras

# How many passes over the training images `train` makes. You may change it.
EPOCHS = 5

# Each MNIST image is 28 by 28 grayscale pixels.
IMAGE_SHAPE = (28, 28)

# The digit our perceptron learns to recognize.
TARGET_DIGIT = 5


def load_mnist():
    """Return (x_train, y_train), (x_test, y_test) from keras.datasets.mnist.load_data().

    The images are raw uint8 arrays of shape (N, 28, 28), the labels digits 0-9 of shape (N,).
    """
    return keras.datasets.mnist.load_data()


def normalize(images):
    """Return the images as float32 scaled into [0, 1], leaving `images` unchanged."""
    # Scale pixels from 0..255 to the [0, 1] range.
    return images.astype("float32") / 255


def is_five(digits):
    """Return a float32 array holding 1.0 where the digit is 5 and 0.0 elsewhere."""
    return (digits == TARGET_DIGIT).astype("float32")


def build_perceptron(activation=None):
    """Return a compiled model: 28x28 input -> Flatten -> Dense(1, activation=activation).

    Compile it with loss "mse", optimizer "adam" and metrics ["accuracy"].
    """
    model = keras.Sequential(
        [
            keras.Input(shape=IMAGE_SHAPE),
            keras.layers.Flatten(),
            keras.layers.Dense(1, activation=activation),
        ]
    )
    model.compile(loss="mse", optimizer="adam", metrics=["accuracy"])
    return model


def train(model, x_train, y_train, x_val, y_val, epochs=EPOCHS):
    """Fit the model for `epochs` epochs, validating on (x_val, y_val); return the History."""
    return model.fit(x_train, y_train, epochs=epochs, validation_data=(x_val, y_val))


def report(title, model, history, x_val):
    """Print the final validation accuracy and the range of the model's outputs."""
    validation_accuracy = history.history["val_accuracy"][-1]
    outputs = model.predict(x_val, verbose=0)
    print(f"{title}: validation accuracy {validation_accuracy:.4f}")
    print(f"  outputs range from {outputs.min():.3f} to {outputs.max():.3f}")


if __name__ == "__main__":
    (x_train, y_train), (x_test, y_test) = load_mnist()
    y_train, y_test = is_five(y_train), is_five(y_test)
    print(f"Always answering 'not five' scores {1 - y_test.mean():.4f}: beat that.")

    # The first model, as the lesson builds it: raw pixels (0 to 255), no activation. Its
    # outputs run far outside [0, 1] and its accuracy jumps around instead of improving.
    model = build_perceptron()
    history = train(model, x_train, y_train, x_test, y_test)
    report("Raw pixels, no activation", model, history, x_test)

    # The fix: pixels scaled into [0, 1], and a sigmoid that squashes every output into [0, 1].
    x_train, x_test = normalize(x_train), normalize(x_test)
    model = build_perceptron("sigmoid")
    history = train(model, x_train, y_train, x_test, y_test)
    report("Scaled pixels, sigmoid", model, history, x_test)
