# expect: {"status": ["timeout"], "max_total": 0}
# [12] Spin forever at import.
while True:
    pass
