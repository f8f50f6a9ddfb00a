#!/usr/bin/env python3
"""gen_reference.py OUT.html HEADER... [--stubs DIR] - the libsathclient API reference.

Every public function and type is declared after a comment that says what it does and who
owns what (the project's rule), so the reference is those comments, in header order, with
the declaration each one documents.  Generated stubs (sath/v1/*.sath-client.h) are listed
with their first comment line and signature.  No markup language is parsed: comments are
shown as written, preformatted.
"""
import html
import os
import re
import sys

DECL = re.compile(r"^(SATH_EXTERN\s+[^;{]*?\b(sath_\w+)\s*\([^;]*\);"
                  r"|typedef\s[^;]*?\b(sath_\w+)\b[^;]*;"
                  r"|#define\s+(SATH_[A-Z0-9_]+)\b.*$)", re.S | re.M)


def entries(text):
    """(comment, declaration, name) for each documented public declaration."""
    out = []
    for m in re.finditer(r"/\*(.*?)\*/\s*", text, re.S):
        rest = text[m.end():]
        d = DECL.match(rest)
        if not d:
            continue
        name = d.group(2) or d.group(3) or d.group(4)
        decl = d.group(0).strip()
        # declarations that follow without a comment of their own share this one (the
        # generated _async twins)
        rest = rest[d.end():]
        while True:
            more = DECL.match(rest.lstrip())
            if not more or not more.group(2):
                break
            decl += "\n" + more.group(0).strip()
            rest = rest.lstrip()[more.end():]
        body = "\n".join(line.strip()[2:] if line.strip().startswith("* ") else line.strip().lstrip("*")
                         for line in m.group(1).strip("\n").splitlines())
        out.append((body.strip(), decl, name))
    return out


def main():
    out, headers = sys.argv[1], sys.argv[2:]
    if "--stubs" in headers:
        i = headers.index("--stubs")
        stub_dir = headers[i + 1]
        headers = headers[:i] + sorted(os.path.join(stub_dir, n) for n in os.listdir(stub_dir)
                                       if n.endswith(".sath-client.h") and n != "sath.sath-client.h")
    parts = ["<!DOCTYPE html><html><head><meta charset='utf-8'><title>libsathclient reference</title>",
             "<style>body{font-family:sans-serif;max-width:60em;margin:auto}pre{background:#f4f4f4;"
             "padding:.5em;white-space:pre-wrap}h2{border-bottom:1px solid #ccc}</style></head><body>",
             "<h1>libsathclient API reference</h1><p>Generated from the header comments. "
             "Include &lt;sath/sath.h&gt;; link with <code>pkg-config --libs sathclient</code> or "
             "<code>sathclient::sathclient</code>.</p>"]
    index, sections = [], []
    for h in headers:
        text = open(h, encoding="utf-8").read()
        head = re.match(r"\s*/\*(.*?)\*/", text, re.S)
        name = "sath/" + os.path.basename(h).replace(".in", "")
        if "/v1/" in h:
            name = "sath/v1/" + os.path.basename(h)
        items = entries(text)
        if not items:
            continue
        sec = ["<h2 id='%s'>%s</h2>" % (html.escape(name), html.escape(name))]
        if head:
            sec.append("<pre>%s</pre>" % html.escape(re.sub(r"\n\s?\* ?", "\n", head.group(1)).strip()))
        for body, decl, ident in items:
            index.append("<a href='#%s'>%s</a>" % (ident, ident))
            sec.append("<h3 id='%s'>%s</h3><pre><code>%s</code></pre><pre>%s</pre>"
                       % (ident, ident, html.escape(decl), html.escape(body)))
        sections.append("\n".join(sec))
    parts.append("<p>" + " &middot; ".join(index) + "</p>")
    parts.extend(sections)
    parts.append("</body></html>")
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(parts))


if __name__ == "__main__":
    main()
