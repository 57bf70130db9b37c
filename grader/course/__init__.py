"""Course staff's tools: batch grading, the report, the releases, Gradescope, calibration.

A student release ships the grader without this package (grader/course/release.py).
"""
