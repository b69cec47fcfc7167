#!/usr/bin/env python3
# tests/help-options.py PROG: every command of PROG and every option its
# --help shows, read from the programs themselves (not from the sources):
# the commands from "PROG --help" (the lines under "commands:"), then
# "PROG CMD --help" for each. Prints one "CMD<TAB>--OPTION" line per
# option, and "CMD<TAB>" for a command whose --help names none. Exits 1
# when PROG --help or some CMD --help does not exit 0 or prints nothing on
# stdout. Works with the generated help of the option table and with an
# older one-line usage (only the --NAME tokens are read).
import re, subprocess, sys

prog = sys.argv[1]

def run(args):
    p = subprocess.run([prog] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout.decode("utf-8", "replace")

def commands():
    rc, out = run(["--help"])
    if rc != 0 or not out.strip():
        sys.exit("%s --help: exit %d, %d bytes" % (prog, rc, len(out)))
    cmds, inside = [], False
    for line in out.splitlines():
        if line.strip() == "commands:":
            inside = True
            continue
        if not inside:
            continue
        if not line.startswith("  ") or line.startswith("   "):
            if line.strip() == "":
                if cmds:
                    break
            continue
        words = []
        for w in line.split():
            if not re.fullmatch(r"[a-z][a-z0-9-]*", w) or len(words) == 2:
                break
            words.append(w)
        if words and " ".join(words) not in cmds:
            cmds.append(" ".join(words))
    return cmds

def main():
    bad = 0
    for c in commands():
        rc, out = run(c.split() + ["--help"])
        if rc != 0 or not out.strip():
            print("%s --help: exit %d, %d bytes" % (c, rc, len(out)),
                  file=sys.stderr)
            bad = 1
        opts = sorted(set(re.findall(r"(?<![A-Za-z0-9-])--[a-z][a-z0-9-]*",
                                     out)))
        if not opts:
            print("%s\t" % c)
        for o in opts:
            print("%s\t%s" % (c, o))
    sys.exit(bad)

main()
