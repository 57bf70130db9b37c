# expect: {"status": ["not_attempted"], "max_total": 0}
# [new] Fork at import and let both copies return into the harness: two processes would write
# the records. Only the harness's own process may; the copy must end silently.
import os as _os

_os.fork()
