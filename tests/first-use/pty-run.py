#!/usr/bin/env python3
"""pty-run.py [-a ANSWER]... -- CMD ARGS...: runs CMD with a new pseudo
terminal as its controlling terminal (so /dev/tty is that terminal) and
stdin/stdout/stderr on it too. Each time the output ends in a prompt (text
ending in ": " or "] " with nothing after it for a moment), the next ANSWER is
typed with a newline; a prompt with no answer left ends the run (the
command is killed, status 99). Prints the whole terminal transcript (what
the command wrote; typed answers are not echoed by a no-echo prompt) to
stdout and exits with the command's status. Every wait is bounded (20 s
in all)."""
import os
import select
import signal
import sys
import time


def main():
    args = sys.argv[1:]
    answers = []
    while args and args[0] == "-a":
        answers.append(args[1])
        args = args[2:]
    if args and args[0] == "--":
        args = args[1:]
    pid, fd = os.forkpty()
    if pid == 0:
        try:
            os.execvp(args[0], args)
        finally:
            os._exit(127)
    out = b""
    deadline = time.monotonic() + 20
    status = None
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.3)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            if not data:
                break
            out += data
            continue
        # quiet for 0.3 s: a prompt waiting for input?
        done, st = os.waitpid(pid, os.WNOHANG)
        if done:
            status = st
            break
        if out.endswith(b" ") and out.rstrip(b" ")[-1:] in (b":", b"]"):
            if not answers:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                sys.stdout.write(out.decode("utf-8", "replace"))
                sys.stdout.write("\n[pty-run: a prompt with no answer left]\n")
                sys.exit(99)
            os.write(fd, answers.pop(0).encode() + b"\n")
            out += b"\n"
    if status is None:
        if time.monotonic() >= deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            sys.stdout.write(out.decode("utf-8", "replace"))
            sys.stdout.write("\n[pty-run: timed out]\n")
            sys.exit(98)
        _, status = os.waitpid(pid, 0)
    try:
        while True:
            r, _, _ = select.select([fd], [], [], 0.1)
            if not r:
                break
            data = os.read(fd, 4096)
            if not data:
                break
            out += data
    except OSError:
        pass
    sys.stdout.write(out.decode("utf-8", "replace").replace("\r\n", "\n"))
    sys.exit(os.waitstatus_to_exitcode(status) if status is not None else 0)


main()
