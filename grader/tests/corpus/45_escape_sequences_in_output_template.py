# expect: {"status": ["not_attempted"], "max_total": 0}
# [issue 10.9] Print ESC/OSC sequences (clear screen, retitle the terminal, a hyperlink) hoping
# the instructor's terminal or the notes replay them; every control must be stripped.
import sys

sys.stdout.write(
    "\x1b[2J\x1b[H\x1b]0;graded 12/12\x07\x1b]8;;http://127.0.0.1/\x1b\\click\x1b]8;;\x1b\\\n"
)
sys.stderr.write("\x9b31m C1 CSI \x9d0;title\x9c\n")
