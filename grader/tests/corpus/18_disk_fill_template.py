# expect: {"status": ["error", "timeout"], "max_total": 0}
# [16] Fill the disk.
block = b"0" * (1 << 24)
with open("filler.bin", "wb") as stream:
    while True:
        stream.write(block)
