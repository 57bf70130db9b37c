# expect: {"status": ["error"], "max_total": 0}
# [7] Crash the interpreter.
import ctypes

ctypes.string_at(0)
