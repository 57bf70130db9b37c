"""The bare cost of grading one submission, with no grader: the baseline of benchmarks/run.py.

    python benchmarks/bare.py SUBMISSION.py [--epochs 5] [--train-size 50000]
        [--validation-size N]

One Python process imports the submission, normalizes the first TRAIN_SIZE training images (the
next VALIDATION_SIZE validate; absent, the rest), trains the student's pipeline with a sigmoid for
EPOCHS epochs and predicts MNIST's 10,000 test images: the work `grader grade` must do, without
sandbox, plan or checks. The images come from the grader's verified store, as in grading, so no
network is needed.
"""

import argparse
import importlib.util
import sys
import time
from pathlib import Path

import numpy as np

from grader.config import DataSettings
from grader.datasets import grading_split, load_mnist_arrays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submission", type=Path)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--train-size", type=int, default=50000)
    parser.add_argument("--validation-size", type=int)
    arguments = parser.parse_args()

    started = time.perf_counter()
    spec = importlib.util.spec_from_file_location("submission", arguments.submission)
    module = importlib.util.module_from_spec(spec)
    sys.modules["submission"] = module
    spec.loader.exec_module(module)

    arrays = load_mnist_arrays()
    split = DataSettings(train_size=arguments.train_size, validation_size=arguments.validation_size)
    x_train, y_train, x_val, y_val = grading_split(arrays, split)  # copies, as in grading
    _, (x_test, _) = arrays
    x_train, x_val = module.normalize(x_train), module.normalize(x_val)
    y_train, y_val = module.is_five(y_train), module.is_five(y_val)
    model = module.build_perceptron("sigmoid")
    module.train(model, x_train, y_train, x_val, y_val, epochs=arguments.epochs)
    outputs = model.predict(module.normalize(np.array(x_test)), verbose=0)
    print(f"bare: {outputs.shape[0]} predictions in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
