# expect: {"status": ["ok", "memory", "error"], "max_total": 4}
# [issue 10.3] A model whose config asks for Dense(3,000,000) but is never built in the child:
# rebuilt and run in the grader, it would take 9.4 GB. Honest part: load, normalize, labels.
import keras


def build_perceptron(activation=None):
    model = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(3_000_000, activation=activation)])
    model.compile(loss="mse", optimizer="adam", metrics=["accuracy"])
    return model


def train(model, x_train, y_train, x_val, y_val, epochs=EPOCHS):
    raise RuntimeError("no training here")
