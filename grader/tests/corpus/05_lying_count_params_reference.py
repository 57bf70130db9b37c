# expect: {"status": ["ok"], "max_total": "baseline:dense10"}
# [5] A Dense(10) model whose count_params claims 785.
import keras

keras.Model.count_params = lambda self: 785


def build_perceptron(activation=None):
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation=activation),
        ]
    )
    model.count_params = lambda: 785
    model.compile(loss="mse", optimizer="adam", metrics=["accuracy"])
    return model
