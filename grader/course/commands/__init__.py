"""The staff commands: `grader grade`, `merge`, `calibrate`, `template`, `release`, `export`."""
