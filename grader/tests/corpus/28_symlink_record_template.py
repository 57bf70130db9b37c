# expect: {"status": ["not_attempted", "ok"], "max_total": 0}
# Records that are links to the grader's files or to a device that never ends.
import os

os.makedirs("out", exist_ok=True)
for number, target in enumerate(("/etc/shadow", "/dev/zero", "/dev/urandom")):
    try:
        os.symlink(target, f"out/call-{number}.json")
    except OSError:
        pass
