# expect: {"status": ["not_attempted", "error"], "max_total": 0}
# [new] Close stdout and stderr at import (the pipe the grader reads): grading goes on, the row
# is the template's.
import os as _os

_os.close(1)
_os.close(2)
