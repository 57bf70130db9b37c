# expect: {"status": ["memory", "error", "timeout"], "max_total": 0}
# [15] Allocate until something breaks.
hoard = []
while True:
    hoard.append(bytearray(1 << 28))
