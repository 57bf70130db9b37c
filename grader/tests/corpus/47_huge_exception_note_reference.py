# expect: {"status": ["error"], "max_total": 0}
# [issue 10.9] Die at import with a 5 MB message, hoping the note and grades.csv grow with it
# (notes are capped; csv stays readable).
raise RuntimeError("+cmd|' /C calc'!A0 " + "x" * 5_000_000)
