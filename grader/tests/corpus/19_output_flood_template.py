# expect: {"status": ["timeout", "error"], "max_total": 0, "endless": true, "output_at_least": 200000}
# [17] Flood the output.
line = "x" * 1_000_000
while True:
    print(line)
