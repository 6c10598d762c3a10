#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Doxygen's INPUT_FILTER for the public headers: kernel-doc in, Doxygen out.

The headers keep the kernel's comment style (CONTRIBUTING.md); Doxygen reads
them through this filter, which prints the file with the same number of lines
(so Doxygen's line numbers are the header's) and:

- a kernel-doc block (/** ... */): "NAME() - summary" becomes @brief,
  "@param: text" becomes "@param param text", "Return: text" becomes
  "@return text", and @name in the text becomes \\p name;
- a plain comment just above a declaration (no blank line between) becomes
  that declaration's doc comment (also above "#ifdef __cplusplus" when a
  macro is defined for C++ and C); a comment over a run of #defines is the
  text of each that has none; a comment after code on the same line
  (a struct member, an enum value, a #define) becomes its /**< */ comment;
- the file's first comment after the SPDX line becomes its @file text;
- characters Doxygen would read as markup in the prose (< > & # \\) are
  escaped, so the text reads as written.

Usage: kdoc2doxygen.py FILE  (prints the filtered FILE on stdout)
"""
import re
import sys

KDOC_TITLE = re.compile(r"^(\s*\*\s*)(?:(?:struct|union|enum|typedef)\s+)?"
                        r"[A-Za-z_][A-Za-z0-9_]*(?:\(\))?\s+-\s+(.*)$")
KDOC_PARAM = re.compile(r"^(\s*\*\s*)@([A-Za-z_][A-Za-z0-9_]*|\.\.\.):\s*(.*)$")
KDOC_RETURN = re.compile(r"^(\s*\*\s*)Returns?:\s*(.*)$")
INLINE_PARAM = re.compile(r"@([A-Za-z_][A-Za-z0-9_]*)")
# lines after a comment that are not a declaration it could document
NOT_DECL = re.compile(r"^\s*(#\s*(if|ifdef|ifndef|else|elif|endif|include)\b|}|extern\s+\"C\"|$)")


def escape(text):
    """Prose as prose: no HTML tags, entities, links or commands."""
    text = text.replace("\\", "\\\\")
    for ch in "<>&#":
        text = text.replace(ch, "\\" + ch)
    return INLINE_PARAM.sub(r"\\p \1", text)


def split_comment(line):
    """(code, comment) when @line has code and then a comment start."""
    m = re.match(r"^(\s*\S.*?)(\s*)/\*(?!\*)(.*)$", line)
    if not m or m.group(1).lstrip().startswith(("/*", "*")):
        return None
    return m.group(1) + m.group(2), m.group(3)


def kdoc_block(lines):
    out = []
    for i, line in enumerate(lines):
        if i == 0:
            out.append(line)  # "/**"
            continue
        end = line.rstrip().endswith("*/")
        body = line.rstrip()[:-2] if end else line
        m = KDOC_TITLE.match(body) if i == 1 else None
        p = KDOC_PARAM.match(body)
        r = KDOC_RETURN.match(body)
        if m:
            body = m.group(1) + "@brief " + escape(m.group(2))
        elif p:
            name = "..." if p.group(2) == "..." else p.group(2)
            body = p.group(1) + "@param " + name + " " + escape(p.group(3))
        elif r:
            body = r.group(1) + "@return " + escape(r.group(2))
        else:
            lead = re.match(r"^(\s*\*?\s?)(.*)$", body)
            body = lead.group(1) + escape(lead.group(2))
        out.append(body + ("*/" if end else ""))
    return out


def plain_block(lines, prefix, suffix=""):
    """A plain /* */ comment turned into a doc comment: /**@prefix ... @suffix*/."""
    out = []
    for i, line in enumerate(lines):
        end = line.rstrip().endswith("*/")
        body = line.rstrip()[:-2] if end else line
        if i == 0:
            m = re.match(r"^(\s*)/\*(.*)$", body)
            body = m.group(1) + "/**" + prefix + escape(m.group(2))
        else:
            lead = re.match(r"^(\s*\*?\s?)(.*)$", body)
            body = lead.group(1) + escape(lead.group(2))
        out.append(body + (suffix + "*/" if end else ""))
    return out


def comment_end(lines, i):
    """Index of the line that closes the comment opened on line @i."""
    j = i
    while "*/" not in (lines[j][lines[j].index("/*") + 2:] if j == i else lines[j]):
        j += 1
    return j


def filter_lines(lines):
    out = []
    close_at = []
    i = 0
    seen_file_doc = False
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip()
        if stripped.startswith("/*"):
            j = comment_end(lines, i)
            block = lines[i:j + 1]
            if "SPDX-License-Identifier" in line:
                out.extend(block)
            elif stripped.startswith("/**") and not stripped.startswith("/**/"):
                out.extend(kdoc_block(block))
            elif not seen_file_doc and not out_has_code(out):
                # "@file" last: what follows it on its line would be a file name
                out.extend(plain_block(block, "", " @file "))
                seen_file_doc = True
            elif j + 1 < len(lines) and (not NOT_DECL.match(lines[j + 1]) or cxx_define(lines, j + 1)):
                run = define_run(lines, j + 1)
                if run > 1:
                    # one comment over a run of #defines: a member group
                    # whose text each undocumented member shares
                    doc = plain_block(block, " ")
                    doc[0] = "/** @{ */ " + doc[0]
                    out.extend(doc)
                    out.extend(one_line(l) for l in lines[j + 1:j + run + 1])
                    # the group closes at the start of the line after the run
                    # (at the end of the last #define it would close first)
                    close_at.append(len(out))
                    i = j + run + 1
                    continue
                out.extend(plain_block(block, " "))
            else:
                out.extend(block)
            i = j + 1
            continue
        parts = split_comment(line)
        if parts and not (stripped.startswith("#") and not re.match(r"#\s*define\b", stripped)):
            code, rest = parts
            if rest.rstrip().endswith("*/"):
                out.append(one_line(line))
                i += 1
                continue
            first = "/**<" + escape(rest)
            j = i + 1
            while "*/" not in lines[j]:
                j += 1
            out.append(code + first)
            tail = plain_block(["/*"] + lines[i + 1:j + 1], "")[1:]
            out.extend(tail)
            i = j + 1
            continue
        out.append(line)
        i += 1
    for k in close_at:
        out[k] = "/** @} */ " + out[k]
    return out


def cxx_define(lines, k):
    """Line @k opens a macro defined once for C++ and once for C (Doxygen sees C's)."""
    return (re.match(r"^#\s*ifdef\s+__cplusplus\s*$", lines[k]) is not None and
            k + 1 < len(lines) and re.match(r"^#\s*define\s", lines[k + 1]) is not None)


def define_run(lines, k):
    """How many #define lines follow one another from line @k (whole comments only)."""
    n = 0
    while k + n < len(lines) and re.match(r"^\s*#\s*define\s", lines[k + n]):
        parts = split_comment(lines[k + n])
        if parts and not parts[1].rstrip().endswith("*/"):
            break
        n += 1
        while lines[k + n - 1].rstrip().endswith("\\") and k + n < len(lines):
            n += 1  # the macro goes on on the next line
    return n


def one_line(line):
    """@line with its trailing one-line comment, if any, as a /**< */ comment."""
    parts = split_comment(line)
    if not parts or not parts[1].rstrip().endswith("*/"):
        return line
    return parts[0] + "/**<" + escape(parts[1].rstrip()[:-2]) + "*/"


def out_has_code(out):
    return any(l.strip() and not l.lstrip().startswith(("/*", "*", "#ifndef", "#define"))
               for l in out)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        lines = f.read().split("\n")
    sys.stdout.write("\n".join(filter_lines(lines)))


if __name__ == "__main__":
    main()
