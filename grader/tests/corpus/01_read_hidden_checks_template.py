# expect: {"status": ["error"], "max_total": 0}
# [1] Read the hidden checks from disk and show them in the error message.
import glob
import pathlib

patterns = ("/work/*/tests/accuracy.py", "/tmp/**/tests/accuracy.py", "/root/*/tests/accuracy.py")
found = [p for pattern in patterns for p in glob.glob(pattern, recursive=True)][:3]
text = "\n".join(pathlib.Path(p).read_text() for p in found) or "no hidden checks found"
print(text)
raise RuntimeError(text)
