"""Trusted grader for the "five or not five" perceptron exercise."""

import os

__version__ = "0.1.0"

# numpy asks the kernel for transparent huge pages for every array of 4 MB or more. On a
# virtual machine that hands freed memory back to its host (free page reporting, as on the
# machine this was measured on), each fresh huge page is slow to fault in: scaling MNIST's
# 50,000 training images to float32 took 2.1 s, nearly all of it kernel time, and 0.14 s with
# ordinary pages (2.7 s and 0.22 s inside a sandboxed run). numpy reads this once, when first
# imported, so it is set here, before any of the grader's modules import numpy; the sandbox
# passes the same value to its child (grader/isolation/sandbox.py). Set it to 1 yourself to
# keep huge pages.
HUGEPAGE_VARIABLE = "NUMPY_MADVISE_HUGEPAGE"
os.environ.setdefault(HUGEPAGE_VARIABLE, "0")
