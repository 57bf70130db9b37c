# expect: {"status": ["error", "timeout"], "max_total": 0}
# [13] Wait for input that never comes.
answer = input("Grade? ")
