#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every public name has its own text in the API reference.

The names come from the sources, not from Doxygen: the functions of
lib/libioasid.map, and the structs, unions, enums, enum values, typedefs
and IOASID_* macros that include/ioasid/*.h define. Each must appear in
Doxygen's XML output (docs/api/xml, made by `make api-doc`) with a brief or
detailed description. A missing one is named with its header line and
what to write, so that a new header can be fixed at once.

Usage: check-api-doc.py [XML_DIR]   (default $top_builddir/docs/api/xml)
Exit: 0 all documented, 1 some are not, 77 (skip) when the reference was
not built (configure found no doxygen and --enable-api-doc was not given).
"""
import glob
import os
import re
import sys
import xml.etree.ElementTree as ET

top_srcdir = os.environ.get("top_srcdir", ".")
top_builddir = os.environ.get("top_builddir", ".")


def text_of(node):
    return "".join(node.itertext()).strip() if node is not None else ""


def documented(node):
    return bool(text_of(node.find("briefdescription")) or
                text_of(node.find("detaileddescription")) or
                text_of(node.find("inbodydescription")))


def reference(xml_dir):
    """{(kind, name): has_text} from Doxygen's XML."""
    ref = {}
    for path in glob.glob(os.path.join(xml_dir, "*.xml")):
        if os.path.basename(path) in ("index.xml", "Doxyfile.xml"):
            continue
        for cd in ET.parse(path).getroot().iter("compounddef"):
            kind = cd.get("kind")
            if kind in ("struct", "union"):
                ref[("struct", text_of(cd.find("compoundname")))] = documented(cd)
            if kind != "file":
                continue
            for md in cd.iter("memberdef"):
                mk, name = md.get("kind"), text_of(md.find("name"))
                ref[(mk, name)] = ref.get((mk, name), False) or documented(md)
                for ev in md.iter("enumvalue"):
                    key = ("enumvalue", text_of(ev.find("name")))
                    ref[key] = ref.get(key, False) or documented(ev)
    return ref


enum_of = {}  # enum value -> its enum


def wanted():
    """[(kind, name, where)] of every public name, from the sources."""
    names = []
    with open(os.path.join(top_srcdir, "lib/libioasid.map")) as f:
        for n in re.findall(r"^\s*(ioasid_\w+);", f.read(), re.M):
            names.append(("function", n, "lib/libioasid.map"))
    for h in sorted(glob.glob(os.path.join(top_srcdir, "include/ioasid/*.h"))):
        rel = os.path.relpath(h, top_srcdir)
        src = open(h).read()
        code = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), src, flags=re.S)
        in_enum, cur_enum = False, None
        for no, line in enumerate(code.split("\n"), 1):
            where = "%s:%d" % (rel, no)
            m = re.match(r"^\s*#\s*define\s+(IOASID_\w+)", line)
            # not the include guards, nor the visibility attribute
            if m and not m.group(1).endswith("_H") and m.group(1) != "IOASID_EXPORT":
                names.append(("define", m.group(1), where))
            m = re.match(r"^\s*(struct|union|enum)\s+(ioasid_\w+)\s*\{", line)
            if m:
                names.append(("enum" if m.group(1) == "enum" else "struct", m.group(2), where))
                in_enum = m.group(1) == "enum"
                cur_enum = m.group(2)
            elif in_enum:
                m = re.match(r"^\s*(IOASID_\w+)\s*(=|,|$)", line)
                if m:
                    names.append(("enumvalue", m.group(1), where))
                    enum_of[m.group(1)] = cur_enum
                if "}" in line:
                    in_enum = False
            m = re.match(r"^\s*typedef\b.*?\(\s*\*\s*(ioasid_\w+)\s*\)", line) or \
                re.match(r"^\s*typedef\b[^(]*\b(ioasid_\w+)\s*;", line)
            if m:
                names.append(("typedef", m.group(1), where))
    return names


HOW = {
    "function": "a kernel-doc comment (/** NAME() - summary, @param: ..., Return: ... */) above its declaration",
    "define": "a comment on the line above it, or after it on its line (one comment above a run of #defines covers them all)",
    "enumvalue": "a comment after it on its line (or on the line above it)",
}


SELF_TEST_HEADER = """/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libioasid: a header for check-api-doc's self-test.
 */
#define IOASID_T_GOOD 1 /* documented */
#define IOASID_T_BARE 2

/* A documented struct. */
struct ioasid_t_good {
	int x;
};

struct ioasid_t_bare {
	int x;
};

/**
 * ioasid_t_good() - documented.
 * @x: a value.
 * Return: 0.
 */
IOASID_EXPORT int ioasid_t_good(int x);

IOASID_EXPORT int ioasid_t_bare(int x);
"""


def self_test(doxyfile):
    """The check fails, naming each, on a header with undocumented names."""
    global top_srcdir
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "include/ioasid"))
        os.makedirs(os.path.join(d, "lib"))
        with open(os.path.join(d, "include/ioasid/t.h"), "w") as f:
            f.write(SELF_TEST_HEADER)
        with open(os.path.join(d, "lib/libioasid.map"), "w") as f:
            f.write("T {\nglobal:\n\tioasid_t_good;\n\tioasid_t_bare;\nlocal:\n\t*;\n};\n")
        conf = open(doxyfile).read() + "\nINPUT = %s/include/ioasid\nOUTPUT_DIRECTORY = %s/out\n" \
            "GENERATE_HTML = NO\nGENERATE_MAN = NO\nWARN_LOGFILE =\n" % (d, d)
        subprocess.run([os.environ.get("DOXYGEN", "doxygen"), "-"], input=conf.encode(),
                       check=True, cwd=d)
        saved, top_srcdir = top_srcdir, d
        try:
            ref = reference(os.path.join(d, "out/xml"))
            missing = sorted(name for kind, name, _ in wanted() if not ref.get((kind, name)))
        finally:
            top_srcdir = saved
    want = ["IOASID_T_BARE", "ioasid_t_bare", "ioasid_t_bare"]
    if missing != want:
        print("check-api-doc: self-test: undocumented %s, expected %s" % (missing, want))
        return False
    return True


def main():
    xml_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(top_builddir, "docs/api/xml")
    if not os.path.isfile(os.path.join(xml_dir, "index.xml")):
        print("check-api-doc: %s/index.xml not built (configure --enable-api-doc): skipped" % xml_dir)
        return 77
    doxyfile = os.path.join(top_builddir, "docs/Doxyfile")
    if len(sys.argv) == 1 and not self_test(doxyfile):
        return 1
    ref = reference(xml_dir)
    bad = 0
    warnings = os.path.join(os.path.dirname(xml_dir), "warnings.log")
    if os.path.isfile(warnings) and os.path.getsize(warnings):
        print("check-api-doc: Doxygen's warnings (%s):" % warnings)
        print(open(warnings).read().rstrip())
        bad += 1
    names = wanted()
    for kind, name, where in names:
        # an enum's comment describes its values; a value may add its own
        if kind == "enumvalue" and ref.get((kind, name)) is False and ref.get(("enum", enum_of[name])):
            continue
        if (kind, name) not in ref:
            print("check-api-doc: %s: %s %s is not in the API reference at all "
                  "(declared outside include/ioasid/*.h, or Doxygen cannot parse it)" % (where, kind, name))
            bad += 1
        elif not ref[(kind, name)]:
            print("check-api-doc: %s: %s %s has no text in the API reference: give it %s" %
                  (where, kind, name, HOW.get(kind, "a comment on the line above its definition")))
            bad += 1
    if bad:
        print("check-api-doc: %d problems (undocumented names of %d, or Doxygen warnings)" %
              (bad, len(names)))
        return 1
    print("check-api-doc: %d public names (functions, structs, enums, flags, typedefs), each documented: ok"
          % len(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
