"""The isolation core: where student code runs, and the only data that comes back from it.

- child.py runs in the sandboxed process: it imports the submission, makes the planned calls
  and writes what happened as plain data. Nothing else in the grader imports student code.
- sandbox.py starts the child under the strongest tier the machine allows (bubblewrap, a
  separate uid, or resource limits alone), bounds its time, memory and output, and reads its
  records back as hostile data.
- protocol.py is the hand-over's format: the plan going in, the records coming out.
- cgroup.py gives one submission one memory budget where the machine allows it.

Grading (grader.grading, grader.replay) turns those records into verdicts, in a process that
never imports the submission.
"""
