# expect: {"status": ["error"], "max_total": 0}
# [31] Read the grader's environment secrets (the test sets GRADER_CORPUS_SECRET).
import os

raise RuntimeError("secrets: " + repr(dict(os.environ)))
