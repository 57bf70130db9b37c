# expect: {"status": ["not_attempted", "ok"], "max_total": 0}
# [2] Leak the grader's data through a failing message from a student function.
import glob


def normalize(images):
    patterns = ("/root/.local/share/perceptron-grader/**", "/tmp/**/perceptron-grader/**")
    names = sorted(p for pattern in patterns for p in glob.glob(pattern, recursive=True))[:50]
    raise AssertionError("leak: " + " ".join(names))
