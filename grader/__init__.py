"""Trusted grader for the "five or not five" perceptron exercise."""

__version__ = "0.1.0"
