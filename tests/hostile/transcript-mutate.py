#!/usr/bin/env python3
"""transcript-mutate.py GOOD OUTDIR: mutated copies of a real transcript.

Writes OUTDIR/NNN-name.log and OUTDIR/MANIFEST, one line per case:
    NNN-name.log<TAB>LINE<TAB>REGEX
where LINE is the line number keyceremony must name ("path:LINE:") and
REGEX (extended) the reason it must give. Every case must be refused by
`keyceremony transcript verify`. Cases marked "chained" are re-numbered
and re-chained after the change (as an attacker who rewrites the tail
would), so that only the strict format can refuse them.
"""
import hashlib
import os
import sys

HEADER_LINES = 2


def sha(line):
    return hashlib.sha256(line).hexdigest().encode()


def rechain(lines):
    """Renumbers and re-chains every record line (b"KC1 ..."), fixing each
    end record's count, as a forger with no access to the paper would."""
    out, prev, seq = [], b"0" * 64, 0
    for l in lines:
        if not l.startswith(b"KC1 "):
            out.append(l)
            continue
        seq += 1
        parts = l.split(b" ", 3)
        rest = parts[3]
        words = rest.split(b" ")
        if len(words) > 1 and words[1] == b"end":
            words = [w if not w.startswith(b"records=") else
                     b"records=%d" % seq for w in words]
        rest = b" ".join(words)
        l = b"KC1 %d %s %s" % (seq, prev, rest)
        prev = sha(l)
        out.append(l)
    return out


def main():
    good, outdir = sys.argv[1], sys.argv[2]
    data = open(good, "rb").read()
    assert data.endswith(b"\n")
    lines = data[:-1].split(b"\n")
    recs = [i for i, l in enumerate(lines) if l.startswith(b"KC1 ")]
    assert recs and recs[0] == HEADER_LINES, "unexpected transcript layout"
    first, last = recs[0], recs[-1]       # 0-based indexes
    nrec = len(recs)
    cases = []

    def add(name, body, line, regex):
        cases.append((name, body, line, regex))

    def join(ls):
        return b"\n".join(ls) + b"\n"

    # A quoted value and a plain value somewhere in the records.
    quoted = next(i for i in recs if b'="' in lines[i])
    plain = next(i for i in recs[1:-1] if b" result=" in lines[i])

    # --- planted comments and blank lines, between every two records ----
    for i in recs[1:]:
        for text, what in ((b"# note", "comment"), (b"#", "comment"),
                           (b"", "empty"), (b"   ", "space"),
                           (b"# keyceremony transcript, format 1",
                            "comment")):
            if what != "comment" and i not in (recs[1], recs[nrec // 2]):
                continue
            if what == "comment" and text != b"# note" and i != recs[2]:
                continue
            ls = lines[:i] + [text] + lines[i:]
            regex = {"comment": "comment line after the header",
                     "empty": "empty line",
                     "space": "not a transcript record"}[what]
            add("planted-%s-%d-%d" % (what, i + 1, len(text)), join(ls),
                i + 1, regex)
    # after the end record
    for text in (b"# signed: Olga", b"", b"KC1 junk", b"x"):
        add("after-end-%d" % len(text), join(lines + [text]), last + 2,
            "after the end record")
    # a second header in the middle (both lines)
    ls = lines[:recs[3]] + lines[:HEADER_LINES] + lines[recs[3]:]
    add("second-header", join(ls), recs[3] + 1, "comment line after the header")
    # the header changed or missing
    add("header-missing", join(lines[HEADER_LINES:]), 1, "not a transcript")
    add("header-line2-missing", join(lines[:1] + lines[2:]), 2,
        "not line 2 of the transcript header")
    add("header-edited", join([lines[0].replace(b"format 1", b"format 2")] +
                              lines[1:]), 1, "not a transcript")
    add("header-extra-comment", join(lines[:2] + [b"# extra"] + lines[2:]),
        3, "comment line after the header")
    add("header-trailing-space", join([lines[0] + b" "] + lines[1:]), 1,
        "not a transcript")
    add("bom", b"\xef\xbb\xbf" + data, 1, "byte-order mark")

    # --- line ends ---------------------------------------------------------
    add("crlf-all", data.replace(b"\n", b"\r\n"), 1, "carriage return")
    for i in (recs[1], quoted, last):
        ls = list(lines)
        ls[i] += b"\r"
        add("crlf-line-%d" % (i + 1), join(ls), i + 1, "carriage return")
    ls = list(lines)
    ls[recs[2]] = ls[recs[2]].replace(b" ", b"\r", 1)
    add("cr-inside", join(ls), recs[2] + 1, "carriage return")
    add("no-final-newline", data[:-1], last + 1, "cut short")
    for cut in (1, 10, 70, 200, len(lines[last]) + 1):
        t = data[:-cut]
        if t.endswith(b"\n"):
            add("truncated-%d" % cut, t, t.count(b"\n"), "no end record")
        else:
            add("truncated-%d" % cut, t, t.count(b"\n") + 1, "cut short")
    add("lf-cr-swap", data.replace(b"\n", b"\n\r"), 2, "carriage return")

    # --- NUL bytes -----------------------------------------------------------
    for i in (0, recs[1], last):
        ls = list(lines)
        ls[i] = ls[i][:5] + b"\0" + ls[i][5:]
        add("nul-line-%d" % (i + 1), join(ls), i + 1, "NUL byte")
    add("nul-at-end", data + b"\0", last + 2, "NUL byte")

    # --- duplicated, reordered, deleted records -------------------------
    for i in recs:
        ls = lines[:i + 1] + [lines[i]] + lines[i + 1:]
        regex = ("after the end record" if i == last else
                 "already at line %d .*duplicated" % (i + 1))
        add("duplicate-%d" % (i + 1), join(ls), i + 2, regex)
    ls = lines[:recs[5]] + [lines[recs[1]]] + lines[recs[5]:]
    add("replayed-record-2", join(ls), recs[5] + 1, "already at line")
    for i in recs[:-1]:
        ls = list(lines)
        ls[i], ls[i + 1] = ls[i + 1], ls[i]
        add("swap-%d" % (i + 1), join(ls), i + 1, "record number")
    for i in recs:
        ls = lines[:i] + lines[i + 1:]
        if i == last:
            add("delete-end", join(ls), i, "no end record")
        else:
            add("delete-%d" % (i + 1), join(ls), i + 1,
                "first record must be|record number")
    add("reverse", join(lines[:2] + lines[2:][::-1]), 3, "record number")

    # --- spacing -----------------------------------------------------------
    for i in (recs[0], plain, quoted, last):
        ls = list(lines)
        ls[i] += b" "
        add("trailing-space-%d" % (i + 1), join(ls), i + 1,
            "trailing space")
        ls = list(lines)
        ls[i] += b"\t"
        add("trailing-tab-%d" % (i + 1), join(ls), i + 1,
            "0x09|after the closing quote|bad record kind")
    for i, key in ((plain, b" result="), (last, b" records=")):
        ls = list(lines)
        ls[i] = ls[i].replace(key, b" " + key, 1)
        add("double-space-%d" % (i + 1), join(ls), i + 1, "two spaces")
    ls = list(lines)
    ls[plain] = b" " + ls[plain]
    add("leading-space", join(ls), plain + 1, "not a transcript record")
    ls = list(lines)
    ls[plain] = ls[plain].replace(b"KC1 ", b"KC1  ", 1)
    add("space-after-magic", join(ls), plain + 1, "bad record number")

    # --- the fixed fields ------------------------------------------------
    def field_mut(name, i, old, new, regex, count=1):
        ls = list(lines)
        assert old in ls[i], (name, old)
        ls[i] = ls[i].replace(old, new, count)
        add(name, join(ls), i + 1, regex)

    r = plain
    seq, prev, stamp, kind = lines[r].split(b" ")[1:5]
    field_mut("magic-lower", r, b"KC1 ", b"kc1 ", "not a transcript record")
    field_mut("magic-kc2", r, b"KC1 ", b"KC2 ", "not a transcript record")
    field_mut("seq-leading-zero", r, b" " + seq + b" ", b" 0" + seq + b" ",
              "bad record number")
    field_mut("seq-plus", r, b" " + seq + b" ", b" +" + seq + b" ",
              "bad record number")
    field_mut("seq-hex", r, b" " + seq + b" ", b" 0x" + seq + b" ",
              "bad record number")
    field_mut("prev-upper", r, prev, prev.upper(), "previous-record digest")
    field_mut("prev-short", r, prev, prev[:63], "previous-record digest")
    field_mut("prev-long", r, prev, prev + b"0", "previous-record digest")
    field_mut("time-month-13", r, stamp, stamp[:5] + b"13" + stamp[7:],
              "bad time stamp")
    field_mut("time-no-z", r, stamp, stamp[:-1], "bad time stamp")
    field_mut("time-offset", r, stamp, stamp[:-1] + b"+01:00",
              "bad time stamp")
    field_mut("time-space", r, stamp, stamp.replace(b"T", b" "),
              "bad time stamp")
    field_mut("kind-upper", r, b" " + kind + b" ", b" " + kind.upper() + b" ",
              "bad record kind")
    field_mut("kind-empty", r, b" " + stamp + b" " + kind,
              b" " + stamp + b" ", "bad record kind")
    field_mut("kind-bidi", r, b" " + kind + b" ",
              b" " + kind + "\u202e".encode() + b" ", "bad record kind")

    # --- field syntax and value spelling ----------------------------------
    field_mut("field-twice", r, b" result=", b" result=x result=",
              "appears twice")
    field_mut("field-empty-plain", r, b" result=", b" note= result=",
              "has no value")
    field_mut("field-no-equals", r, b" result=", b" result result=",
              "bad field")
    field_mut("field-upper-key", r, b" result=", b" Result=", "bad field")
    field_mut("field-key-utf8", r, b" result=", " r\u00e9sult=".encode(),
              "bad field")
    field_mut("needless-quotes", r, b" result=", b' note="ok" result=',
              "not written the way keyceremony writes it")
    field_mut("plain-with-quote", r, b" result=", b' note=a"b result=',
              "not allowed in an unquoted value")
    field_mut("plain-with-backslash", r, b" result=", b" note=a\\b result=",
              "not allowed in an unquoted value")
    field_mut("plain-c1-csi", r, b" result=", b" note=a\xc2\x9b2J result=",
              "not allowed in an unquoted value")
    field_mut("plain-rlo", r, b" result=",
              b" note=a" + "\u202e".encode() + b"b result=",
              "not allowed in an unquoted value")
    field_mut("plain-invalid-utf8", r, b" result=", b" note=a\xff result=",
              "not allowed in an unquoted value")
    field_mut("plain-overlong-utf8", r, b" result=", b" note=\xc0\xaf result=",
              "not allowed in an unquoted value")
    field_mut("plain-esc", r, b" result=", b" note=\x1b[2J result=",
              "not allowed in an unquoted value")
    field_mut("plain-del", r, b" result=", b" note=a\x7f result=",
              "not allowed in an unquoted value")
    field_mut("plain-zwsp", r, b" result=",
              b" note=a" + "\u200b".encode() + b" result=",
              "not allowed in an unquoted value")
    for name, esc, regex in (
            ("escape-unknown", b"\\q", "bad escape"),
            ("escape-tab", b"\\t", "bad escape"),
            ("escape-upper-hex", b"\\x0A", "bad escape"),
            ("escape-one-hex", b"\\x4", "bad escape"),
            ("escape-nul", b"\\x00", "bad escape"),
            ("escape-unicode", b"\\u202e", "bad escape"),
            ("escape-printable", b"\\x41", "not written the way"),
            ("escape-space", b"\\x20", "not written the way"),
            ("escape-newline-hex", b"\\x0a", "not written the way"),
            ("escape-quote-hex", b"\\x22", "not written the way"),
            ("escape-utf8-hex", b"\\xc3\\xa9", "not written the way"),
            ("raw-tab", b"\t", "must be written as an escape"),
            ("raw-esc", b"\x1b[2J", "must be written as an escape"),
            ("raw-csi", b"\xc2\x9b", "must be written as an escape"),
            ("raw-rlo", "\u202e".encode(), "must be written as an escape"),
            ("raw-lre", "\u202a".encode(), "must be written as an escape"),
            ("raw-bom", "\ufeff".encode(), "must be written as an escape"),
            ("raw-line-sep", "\u2028".encode(),
             "must be written as an escape"),
            ("raw-invalid-utf8", b"\xfe", "must be written as an escape"),
            ("raw-surrogate", b"\xed\xa0\x80", "must be written as an escape"),
            ("raw-del", b"\x7f", "must be written as an escape")):
        field_mut(name, quoted, b'="', b'="' + esc, regex)
    field_mut("quote-unclosed", r, b" result=", b' note="abc result=',
              "not closed|text after the closing quote")
    ls = list(lines)
    ls[quoted] = ls[quoted] + b' tail="open'
    add("quote-unclosed-end", join(ls), quoted + 1, "not closed")
    field_mut("text-after-quote", r, b" result=", b' note="a b"c result=',
              "after the closing quote")
    field_mut("quoted-empty-ok-but-dup", r, b" result=",
              b' note="" note="" result=', "appears twice")

    # --- overlong lines ----------------------------------------------------
    big = b"a" * 40000
    field_mut("overlong-value", r, b" result=", b" note=" + big + b" result=",
              "longer than any record")
    add("overlong-garbage", join(lines[:4] + [b"#" + big] + lines[4:]), 5,
        "longer than any record")
    add("overlong-after-end", join(lines + [b"z" * 70000]), last + 2,
        "longer than any record")

    # --- semantic changes, re-chained so that the chain holds --------------
    def chained(name, ls, line, regex):
        add("chained-" + name, join(rechain(ls)), line, regex)

    begin = lines[first]
    chained("second-begin", lines[:recs[3]] + [begin] + lines[recs[3]:],
            recs[3] + 1, "second 'begin'")
    chained("begin-not-first", lines[:first] + lines[first + 1:first + 2] +
            [begin] + lines[first + 2:], first + 1, "first record must be")
    ls = list(lines)
    ls[last] = ls[last].replace(b" end ", b" step ", 1)
    chained("end-renamed", ls, last + 1, "no end record")
    ls = rechain(list(lines))
    ls[last] = ls[last].replace(b"records=%d" % nrec, b"records=0%d" % nrec)
    add("end-count-leading-zero", join(ls), last + 1, "end record counts")
    ls = list(lines)
    ls[last] = ls[last].replace(b"records=%d" % nrec,
                                b"records=%d" % (nrec + 1))
    add("end-count-wrong", join(ls), last + 1, "end record counts")
    chained("end-twice", lines + [lines[last]], last + 2,
            "after the end record")
    chained("comment-planted", lines[:recs[4]] + [b"# officer left"] +
            lines[recs[4]:], recs[4] + 1, "comment line after the header")
    ls = list(lines)
    ls[plain] = ls[plain].replace(b" result=", b' note="" result=', 1)
    ls[plain] = ls[plain].replace(b' note="" ', b" note= ", 1)
    chained("empty-plain", ls, plain + 1, "has no value")
    ls = list(lines)
    ls[plain] += b" x=\xe2\x80\xae"
    chained("rlo-rechained", ls, plain + 1,
            "not allowed in an unquoted value")
    add("only-header", join(lines[:2]), 2, "no records")
    add("empty-file", b"", 1, "empty file")

    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "MANIFEST"), "w") as m:
        for n, (name, body, line, regex) in enumerate(cases, 1):
            fn = "%03d-%s.log" % (n, name)
            with open(os.path.join(outdir, fn), "wb") as f:
                f.write(body)
            m.write("%s\t%s\t%s\n" % (fn, line if line else "-", regex))
    print(len(cases))


if __name__ == "__main__":
    main()
