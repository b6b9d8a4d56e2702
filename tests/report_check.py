#!/usr/bin/python3
"""Reads back what shelfguard's reports wrote, the way other tools do, for
tests/report_*_test.cc. Prints one JSON object on stdout.

  report_check.py sarif SCHEMA FILE   validate against the SARIF 2.1.0 schema
  report_check.py csv FILE            parse as RFC 4180 (Python's csv module)
  report_check.py xlsx FILE           open with openpyxl
  report_check.py png FILE            count pixels that are not background
  report_check.py dom FILE            the charts, texts and URLs of a dumped DOM
"""
import csv
import html.parser
import io
import json
import re
import struct
import sys
import zlib


def sarif(schema_path, path):
    import jsonschema
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    with open(path, encoding="utf-8") as f:
        log = json.load(f)
    errors = [e.message for e in jsonschema.Draft4Validator(schema).iter_errors(log)]
    run = log["runs"][0]
    return {"errors": errors[:5], "error_count": len(errors), "results": len(run.get("results", [])),
            "rules": len(run["tool"]["driver"].get("rules", [])), "artifacts": len(run.get("artifacts", []))}


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as f:
        text = f.read()
    rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    widths = sorted({len(r) for r in rows})
    return {"rows": len(rows) - 1, "header": rows[0] if rows else [], "widths": widths,
            "crlf": text.count("\r\n") >= len(rows) - 1, "first": rows[1] if len(rows) > 1 else []}


def xlsx(path):
    import openpyxl
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    rows = [r for r in ws.iter_rows(values_only=True)]
    widths = {k: v.width for k, v in ws.column_dimensions.items() if v.width}
    summary = wb.worksheets[1] if len(wb.worksheets) > 1 else None
    summary_cells = [] if summary is None else [c for r in summary.iter_rows(values_only=True) for c in r if c is not None]
    return {"sheets": wb.sheetnames, "rows": len(rows) - 1, "header": list(rows[0]) if rows else [],
            "freeze": ws.freeze_panes, "autofilter": ws.auto_filter.ref, "widths": len(widths),
            "first": [("" if c is None else str(c)) for c in rows[1]] if len(rows) > 1 else [],
            "summary_text": [str(c) for c in summary_cells][:400]}


def png(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype = hdr[0], hdr[1], hdr[2], hdr[3]
    assert depth == 8 and ctype in (2, 6), "unexpected PNG format"
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    counts = {}
    i = 0
    for _ in range(h):
        ft = raw[i]; i += 1
        line = bytearray(raw[i:i + stride]); i += stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if ft == 1: line[x] = (line[x] + a) & 255
            elif ft == 2: line[x] = (line[x] + b) & 255
            elif ft == 3: line[x] = (line[x] + ((a + b) >> 1)) & 255
            elif ft == 4:
                p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        for x in range(0, stride, bpp):
            px = bytes(line[x:x + 3])
            counts[px] = counts.get(px, 0) + 1
        prev = line
    background, bg_count = max(counts.items(), key=lambda kv: kv[1])
    return {"width": w, "height": h, "background": background.hex(), "other_pixels": w * h - bg_count,
            "colours": len(counts)}


class Dom(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.charts, self.current, self.text, self.urls, self.scripts = [], None, [], [], 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag == "svg" and "chart" in (a.get("class") or ""):
            self.current = {"title": "", "bars": []}
            self.charts.append(self.current)
        if tag == "rect" and a.get("class") == "bar" and self.current is not None:
            self.current["bars"].append([a.get("data-label"), int(a.get("data-count"))])
        for k, v in attrs:
            if k in ("src", "href", "xlink:href", "action", "srcset", "poster", "data") and v:
                self.urls.append(v)
            if k == "style" and v and "url(" in v:
                self.urls.append(v)

    def handle_endtag(self, tag):
        if tag == "svg":
            self.current = None

    def handle_data(self, d):
        self.text.append(d)


def dom(path):
    doc = open(path, encoding="utf-8").read()
    p = Dom()
    p.feed(doc)
    remote = [u for u in p.urls if re.match(r"\s*(https?:|//)", u)]
    css_urls = re.findall(r"url\(\s*['\"]?\s*(https?:|//)", doc)
    imports = re.findall(r"@import", doc)
    return {"charts": p.charts, "text": " ".join(p.text), "remote_urls": remote + css_urls + imports,
            "scripts": p.scripts, "bytes": len(doc)}


def main():
    cmd = sys.argv[1]
    out = {"sarif": lambda: sarif(sys.argv[2], sys.argv[3]), "csv": lambda: read_csv(sys.argv[2]),
           "xlsx": lambda: xlsx(sys.argv[2]), "png": lambda: png(sys.argv[2]), "dom": lambda: dom(sys.argv[2])}[cmd]()
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
