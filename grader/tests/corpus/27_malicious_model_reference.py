# expect: {"status": ["ok"], "max_total": 4}
# [29] A model whose Lambda layer runs a command when rebuilt.
import keras


def build_perceptron(activation=None):
    model = keras.Sequential(
        [
            keras.Input(shape=(28, 28)),
            keras.layers.Lambda(
                lambda x: __import__("os").system("touch /tmp/corpus-lambda-marker") or x
            ),
            keras.layers.Flatten(),
            keras.layers.Dense(1, activation=activation),
        ]
    )
    model.compile(loss="mse", optimizer="adam", metrics=["accuracy"])
    return model
