# Example submission with a typical mistake: normalize converts to float32 but never divides by 255.
"""Check your understanding: a classifier for ten kinds of clothing (Fashion-MNIST).

The perceptron answered one question, "five or not". This model answers "which of ten?": one
Dense unit per class and a softmax that turns the ten outputs into probabilities. Fill in
every function below, run this file (`python fashion_classifier.py`) to train the starter
model and then the fixed one, and check your work with
`grader check fashion_classifier.py --assignment fashion`.

Read INSTRUCTIONS.md (next to this file) first.
"""

import keras
import numpy as np

# How many passes over the training images `train` makes. You may change it.
EPOCHS = 5

# Each Fashion-MNIST image is 28 by 28 grayscale pixels, of one of ten classes.
IMAGE_SHAPE = (28, 28)
CLASSES = 10
CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


def load_fashion():
    """Return (x_train, y_train), (x_test, y_test) from keras.datasets.fashion_mnist.load_data().

    The images are raw uint8 arrays of shape (N, 28, 28), the labels classes 0-9 of shape (N,).
    """
    return keras.datasets.fashion_mnist.load_data()


def normalize(images):
    """Return the images as float32 scaled into [0, 1], leaving `images` unchanged."""
    return images.astype("float32")


def one_hot(labels):
    """Return float32 one-hot rows: row i holds 1.0 in column labels[i] and 0.0 elsewhere."""
    return keras.utils.to_categorical(labels, CLASSES).astype("float32")


def build_classifier():
    """Return a compiled model: 28x28 input -> Flatten -> Dense(CLASSES, softmax).

    Compile it with loss "categorical_crossentropy", optimizer "adam", metrics ["accuracy"].
    """
    model = keras.Sequential(
        [
            keras.Input(shape=IMAGE_SHAPE),
            keras.layers.Flatten(),
            keras.layers.Dense(CLASSES, activation="softmax"),
        ]
    )
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def train(model, x_train, y_train, x_val, y_val, epochs=EPOCHS):
    """Fit the model for `epochs` epochs, validating on (x_val, y_val); return the History."""
    return model.fit(x_train, y_train, epochs=epochs, validation_data=(x_val, y_val))


def starter_model():
    """The project's starting point: Dense(10) with no activation, compiled with mse."""
    model = keras.Sequential(
        [keras.Input(shape=IMAGE_SHAPE), keras.layers.Flatten(), keras.layers.Dense(CLASSES)]
    )
    model.compile(loss="mse", optimizer="adam", metrics=["accuracy"])
    return model


def report(title, model, x_test, y_test):
    """Print the test accuracy and what the outputs of one image look like."""
    outputs = model.predict(x_test, verbose=0)
    accuracy = float(np.mean(outputs.argmax(axis=1) == y_test))
    print(f"{title}: test accuracy {accuracy:.4f}")
    print(f"  outputs of the first image: {np.round(outputs[0], 3)} (sum {outputs[0].sum():.3f})")


if __name__ == "__main__":
    (x_train, y_train), (x_test, y_test) = load_fashion()
    print(f"Guessing one class for every image scores {1 / CLASSES:.2f}: beat that.")

    # The starting point: raw pixels, no activation, mse. Its outputs are not probabilities.
    model = starter_model()
    model.fit(x_train, one_hot(y_train), epochs=1, verbose=0)
    report("Raw pixels, no softmax, mse", model, x_test, y_test)

    # The fix: scaled pixels, a softmax over ten units, categorical crossentropy.
    x_train_scaled, x_test_scaled = normalize(x_train), normalize(x_test)
    model = build_classifier()
    train(model, x_train_scaled, one_hot(y_train), x_test_scaled, one_hot(y_test))
    report("Scaled pixels, softmax", model, x_test_scaled, y_test)
