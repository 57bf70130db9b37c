# expect: {"status": ["not_attempted", "ok"], "max_total": 0}
# [2] Leak the grader's data through a failing message from a student function.
import glob


def normalize(images):
    names = sorted(glob.glob("/**/perceptron-grader/**", recursive=True))[:50]
    raise AssertionError("leak: " + " ".join(names))
