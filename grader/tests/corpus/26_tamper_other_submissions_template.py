# expect: {"status": ["not_attempted"], "max_total": 0}
# [30] Overwrite every other submission and the grader's files with a "correct" one.
import glob

for pattern in (
    "../*.py",
    "../../*/*.py",
    "/tmp/**/*.py",
    "/work/**/tests/*.py",
    "/work/**/config.toml",
):
    for path in glob.glob(pattern, recursive=True):
        try:
            with open(path, "a") as stream:
                stream.write("\n# tampered\n")
        except OSError:
            pass
