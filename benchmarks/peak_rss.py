#!/usr/bin/python3
"""Runs a command and writes its peak resident memory (KiB) to a file; exits with its status.

    /usr/bin/python3 benchmarks/peak_rss.py OUT_FILE COMMAND [ARGS...]

The peak is the largest of the waited-for processes' (ru_maxrss of RUSAGE_CHILDREN): taskset execs
the program, so it is the program's own.
"""
import resource
import subprocess
import sys

status = subprocess.run(sys.argv[2:]).returncode
with open(sys.argv[1], "w") as f:
    f.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(status)
