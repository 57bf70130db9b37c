# expect: {"status": ["error"], "max_total": 0}
# [issue 10.9] Die at import with a message that is a spreadsheet formula and an escape
# sequence, hoping the note puts them at the start of a grades.csv cell.
raise RuntimeError('=HYPERLINK("http://127.0.0.1/","12/12")\x1b[2J@SUM(1+1)')
