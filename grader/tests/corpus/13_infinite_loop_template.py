# expect: {"status": ["timeout"], "max_total": 0, "endless": true}
# [12] Spin forever at import.
while True:
    pass
