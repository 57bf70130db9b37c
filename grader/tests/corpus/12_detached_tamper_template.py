# expect: {"status": ["not_attempted"], "max_total": 0}
# [11] A detached process that rewrites every grades.csv it can find after the grader moves on.
import glob
import os
import time

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(8)
        for path in glob.glob("/tmp/**/grades.csv", recursive=True):
            try:
                with open(path, "a") as stream:
                    stream.write("forged,12,12,12,12,12,12,72,12,ok,\n")
            except OSError:
                pass
        for path in glob.glob("/tmp/**/corpus-canary-*", recursive=True):
            try:
                with open(path, "w") as stream:
                    stream.write("tampered")
            except OSError:
                pass
    os._exit(0)
