# expect: {"status": ["ok"], "max_total": 4}
# [issue 10.3] Ten unbuilt Conv2D layers: cheap to describe, minutes of compute when the
# grader predicts with them. Honest part: load, normalize, labels.
import keras


def build_perceptron(activation=None):
    layers = [keras.layers.Reshape((28, 28, 1))]
    layers += [keras.layers.Conv2D(256, 5, padding="same") for _ in range(10)]
    layers += [keras.layers.Flatten(), keras.layers.Dense(1, activation=activation)]
    model = keras.Sequential(layers)
    model.compile(loss="mse", optimizer="adam", metrics=["accuracy"])
    return model


def train(model, x_train, y_train, x_val, y_val, epochs=EPOCHS):
    raise RuntimeError("no training here")
