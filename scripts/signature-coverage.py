#!/usr/bin/env python3
"""Prints how much of the public SDK bases shelfguard's signatures/ covers.

Reads the pinned reference bases in ../shared/anchors (see its README for
what they are and how coverage is counted) at run time and prints, for the
current signatures/:

  - the eXodus tracker list: a tracker is covered when one of its code
    signature prefixes and one of our class/component prefixes overlap (one
    starts with the other, '/', '.' and regex escapes normalised);
  - LibChecker rules v42: a label is covered when one of our class/component
    prefixes covers one of its component or package names, or one of our
    native_libs globs matches one of its library names. The Chinese ad, game,
    payment, push, analytics and packer labels are picked by our own keyword
    classification below (the rules bundle has no category column);
  - the union of eXodus, AppManager's ad/analytics libraries and those
    LibChecker labels, clustered by shared prefix or library name;
  - APKiD packer/protector families (rule descriptions, version suffixes
    folded) and the ones we know from Chinese apps;
  - the Chinese packer vendors listed in the anchors README.

Then it lists what is still uncovered. It never fails on the figures (exit 0);
it skips with a message when the anchors are absent. Nothing from the anchors
is stored in the repository: this script only reads them.

Usage: scripts/signature-coverage.py [--signatures DIR] [--anchors DIR] [--brief]
"""
import argparse
import fnmatch
import glob
import json
import os
import re
import sqlite3
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# LibChecker rule types (rules_table.type).
LC_NATIVE, LC_PACKAGE = 0, 5
LC_COMPONENT_TYPES = (1, 2, 3, 4, 9)  # service, activity, receiver, provider, action

# Our classification of LibChecker labels: the first category whose keywords
# appear in the label. Chinese = the label is written in Chinese or names a
# Chinese vendor/product family.
CATEGORY_KEYWORDS = [
    ("packer", ["加固", "乐固", "御安全", "爱加密", "梆梆", "聚安全", "易盾", "顶象", "娜迦"]),
    ("push", ["push", "推送", "信鸽"]),
    ("payment", ["支付", "pay", "银联", "米大师", "ping++"]),
    ("ads", ["广告", "ad sdk", "ads kit", "联盟", "推广", "pangle", "anythink", "beizi", "tianmu",
             "tanx", "jad sdk", "admob", "unity ads", "adcolony", "applovin", "ironsource",
             "audience network"]),
    ("game", ["游戏", "手游", "game", "gcloud", "msdk", "tapsdk", "taptap", "u-game", "反外挂",
              "gvoice", "游密"]),
    ("analytics", ["统计", "分析", "analytics", "灯塔", "u-app", "bugly", "apm", "岳鹰", "云捕",
                   "数美", "同盾", "qimei", "utdid", "datafinder", "crasheye", "设备指纹",
                   "可信 id", "msa sdk", "sofire", "xcrash", "matrix", "koom"]),
]
CHINESE_WORDS = ["huawei", "hms", "honor", "mipush", "oppo", "vivo", "meizu", "nubia", "pangle",
                 "kwai", "anythink", "beizi", "tianmu", "tanx", "jad sdk", "u-app", "u-game",
                 "bugly", "gmp", "gme", "qapm", "qimei", "utdid", "datafinder", "apminsight",
                 "crasheye", "tapsdk", "sofire", "msa sdk", "agc", "xcrash", "matrix", "koom",
                 "cfca", "mtop", "mpaas"]

# APKiD families we count as seen in Chinese apps (folded family keys).
CHINESE_APKID = ["alibaba", "baidu", "bangcle", "secneo", "dingxiang", "ijiami", "jiagu",
                 "qihoo 360", "kiwisec", "manxi security", "naga", "nesun", "pangxie",
                 "tencent", "mobile tencent protect", "tongfu shield", "venustech", "yidun",
                 "unicom sdk loader", "cnprotect", "dpt shell", "haiyun'an security", "msa sdk",
                 "oppo protect sdk", "xiaomi security open service client sdk", "virbox",
                 "apkprotect", "g-presto", "dexprotect x", "easyprotector", "alibaba security sdk",
                 "crazy dog wrapper", "gaoxor", "qdbh packer", "jiagu k", "secenh", "appguard"]

# Chinese packer vendors of the anchors README, each with the words one of
# our packer entries' id/name/vendor must contain.
CN_PACKER_VENDORS = [
    ("appguard.us", ["appguard.us"]), ("深盾 Virbox", ["virbox"]), ("网秦", ["网秦"]),
    ("腾讯乐固 (old)", ["乐固"]), ("腾讯乐固 VMP", ["乐固 vmp"]), ("通付盾", ["通付盾"]),
    ("阿里加固", ["阿里加固"]), ("阿里云", ["阿里云"]), ("阿里聚安全", ["聚安全"]), ("顶像", ["顶象"]),
    ("CFCA", ["cfca"]), ("爱加密 3rd", ["爱加密"]), ("爱加密 5th", ["爱加密 5"]),
    ("爱加密 enterprise", ["爱加密企业"]), ("腾讯云加固", ["腾讯云加固"]), ("腾讯御安全", ["御安全"]),
    ("腾讯手游加固", ["手游加固"]), ("360加固", ["360"]), ("APKProtect", ["apkprotect"]),
    ("OPPO 应用加固", ["oppo"]), ("梆梆 free", ["梆梆"]), ("梆梆 custom", ["梆梆定制"]),
    ("梆梆 enterprise", ["梆梆企业"]), ("LIAPP", ["liapp"]), ("ApkToolPlus", ["apktoolplus"]),
    ("能信安", ["能信安"]), ("娜迦 2022", ["娜迦"]), ("娜迦 enterprise", ["娜迦企业"]),
    ("娜迦 VMP", ["娜迦 vmp"]), ("瑞星", ["瑞星"]), ("网易易盾", ["易盾"]), ("中国移动", ["中国移动"]),
    ("百度加固", ["百度"]), ("蛮犀", ["蛮犀"]), ("几维", ["几维"]), ("启明星辰", ["启明星辰"]),
    ("珊瑚灵御", ["珊瑚灵御"]), ("G-Presto", ["g-presto"]), ("DexProtect", ["dexprotect"]),
    ("UU安全", ["uu安全"]), ("海云安", ["海云安"]), ("盛大", ["盛大"]),
]


def norm_prefix(p):
    """A class-name regex/prefix as a plain dotted prefix (None if unusable)."""
    p = p.strip().replace("\\.", ".").replace("/", ".").replace("\\$", "$")
    p = p.lstrip("^").lstrip("L")  if p.startswith("^L") else p.lstrip("^")
    p = re.split(r"[\[\(\*\+\?\\|$]", p)[0]
    p = p.rstrip(";")
    return p if len(p) >= 4 and "." in p.strip(".") else None


def overlap(a, b):
    return a.startswith(b) or b.startswith(a)


class Ours:
    def __init__(self, sigdir):
        self.entries = []
        for f in sorted(glob.glob(os.path.join(sigdir, "*.json"))):
            with open(f, encoding="utf-8") as fh:
                self.entries.extend(json.load(fh).get("sdks", []))
        self.prefixes, self.libs, self.assets = [], [], []
        for e in self.entries:
            pats = e.get("patterns", {})
            for p in pats.get("classes", []) + pats.get("components", []):
                if p.startswith("re:"):
                    continue
                self.prefixes.append((p.split("*")[0], p, e["id"]))
            for p in pats.get("native_libs", []):
                self.libs.append((p, e["id"]))
            for p in pats.get("assets", []):
                self.assets.append((p, e["id"]))

    def covers_name(self, name):
        """A component/class/package name covered by one of our prefixes."""
        for lit, pat, _ in self.prefixes:
            if name.startswith(lit) and fnmatch.fnmatchcase(name, pat + "*"):
                return True
        return False

    def overlaps(self, prefix):
        return any(overlap(prefix, lit) for lit, _, _ in self.prefixes if len(lit) >= 4)

    def covers_lib(self, lib_or_regex, is_regex=False):
        cands = [lib_or_regex]
        if is_regex:
            cands = [re.sub(r"\(\.\*\)|\.\*", "x1", lib_or_regex).replace("\\.", ".")]
        for c in cands:
            base = c.rsplit("/", 1)[-1]
            if any(fnmatch.fnmatchcase(base, p) for p, _ in self.libs):
                return True
        return False

    def covers_path(self, path):
        base = path.rsplit("/", 1)[-1]
        if any(fnmatch.fnmatchcase(base, p) for p, _ in self.libs):
            return True
        for p, _ in self.assets:
            if p.endswith("/") and path.startswith(p):
                return True
            if fnmatch.fnmatchcase(path, p) or path.startswith(p.rstrip("*")) and p.endswith("*"):
                return True
        return False


def classify_label(label):
    low = label.lower()
    for cat, words in CATEGORY_KEYWORDS:
        if any(w in low for w in words):
            chinese = bool(re.search(r"[\u4e00-\u9fff]", label)) or any(w in low for w in CHINESE_WORDS)
            return cat, chinese
    return None, False


def load_exodus(anchors):
    with open(os.path.join(anchors, "exodus-trackers.json"), encoding="utf-8") as fh:
        trackers = json.load(fh)["trackers"]
    out = []
    for t in trackers.values():
        prefs = [norm_prefix(p) for p in t.get("code_signature", "").split("|")]
        prefs = [p for p in prefs if p]
        if prefs:
            out.append((t["name"], prefs))
    return out


def load_libchecker(anchors):
    con = sqlite3.connect("file:" + os.path.join(anchors, "libchecker-rules-v42.db") + "?mode=ro",
                          uri=True)
    labels = {}
    for name, label, typ, is_re in con.execute(
            "select name, label, type, isRegexRule from rules_table"):
        labels.setdefault(label, []).append((name, typ, bool(is_re)))
    con.close()
    return labels


def load_appmanager(anchors):
    root = ET.parse(os.path.join(anchors, "appmanager-libs.xml")).getroot()
    arr = {a.get("name"): [(i.text or "") for i in a] for a in root}
    libs = {}
    for sig, name, typ in zip(arr["lib_signatures"], arr["lib_names"], arr["lib_types"]):
        if typ in ("Advertisement", "Mobile Analytics"):
            p = norm_prefix(sig)
            if p:
                libs.setdefault(name, []).append(p)
    return libs


def label_covered(ours, rules):
    for name, typ, is_re in rules:
        if typ == LC_NATIVE and ours.covers_lib(name, is_re):
            return True
        if typ in LC_COMPONENT_TYPES and not is_re and ours.covers_name(name):
            return True
        if typ == LC_PACKAGE and ours.overlaps(name if name.endswith(".") else name + "."):
            return True
    return False


def fold_family(desc):
    d = re.sub(r"\(.*?\)", "", desc).strip().lower()
    d = re.sub(r"\s+(v?\d[\w.]*|\d\.x|core version.*|loader.*)$", "", d).strip()
    d = {"secneo.a": "secneo", "secneo.b": "secneo", "secneo.c": "secneo",
         "newer-style bangcle/secneo": "bangcle", "bangcle/secneo": "bangcle",
         "tencent's legu": "tencent", "tencent security enterprise edition": "tencent",
         "appsealing": "appsealing", "medusah": "medusah", "nhn appguard": "appguard",
         "contains a upx arm stub": "upx", "contains a upx stub": "upx",
         "contains an unmodified upx stub": "upx", "sharelib upx": "upx",
         "ahnlab v3 engine": "ahnlab v3 engine", "aegis - android republic mods": "aegis",
         "dexprotector for aide": "dexprotector", "dexprotect x": "dexprotect x"}.get(d, d)
    if d.startswith("upx"):
        d = "upx"
    return d


def load_apkid(anchors):
    fams = {}
    for f in sorted(glob.glob(os.path.join(anchors, "apkid", "*.yara"))):
        base = os.path.basename(f)
        if "packer" not in base and "protector" not in base:
            continue
        with open(f, encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        for m in re.finditer(r"rule\s+(\w+)\s*:\s*(\w+)\s*\{(.*?)\n\}", text, re.S):
            if m.group(2) not in ("packer", "protector"):
                continue
            body = m.group(3)
            d = re.search(r'description\s*=\s*"([^"]*)"', body)
            fam = fold_family(d.group(1) if d else m.group(1))
            lits = re.findall(r'^\s*\$\w*\s*=\s*"([^"]+)"', body, re.M)
            # Hex strings without wildcards: their printable runs (class and
            # library names stored in DEX/ELF string tables).
            for hx in re.findall(r"=\s*\{([0-9A-Fa-f\s]+)\}", body):
                raw = bytes.fromhex("".join(hx.split()))
                lits.extend(r.decode() for r in re.findall(rb"[\x21-\x7e]{5,}", raw))
            regs = re.findall(r"^\s*\$\w*\s*=\s*/(.+)/\s*$", body, re.M)
            e = fams.setdefault(fam, ([], []))
            e[0].extend(lits)
            e[1].extend(regs)
    return fams


def apkid_covered(ours, lits, regs):
    for s in lits:
        if "/" in s and not s.startswith("L") and ours.covers_path(s):
            return True
        if s.endswith(".so") and ours.covers_lib(s):
            return True
        cls = s[1:].rstrip(";").replace("/", ".") if s.startswith("L") and s.endswith(";") else None
        if cls and ours.covers_name(cls):
            return True
    # Regex strings: try our literal library and asset names against them.
    names = [p.replace("*", "") for p, _ in ours.libs] + [p.replace("*", "") for p, _ in ours.assets]
    for r in regs:
        try:
            rx = re.compile(r.replace("\\/", "/"))
        except re.error:
            continue
        for n in names:
            if rx.search("lib/arm64-v8a/" + n) or rx.search(n):
                return True
    return False


def pct(a, b):
    return f"{a} / {b} ({100.0 * a / b:.0f} %)" if b else "0 / 0"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--signatures", default=os.path.join(ROOT, "signatures"))
    ap.add_argument("--anchors", default=os.path.join(ROOT, "..", "shared", "anchors"))
    ap.add_argument("--brief", action="store_true", help="table only, no uncovered lists")
    args = ap.parse_args()
    if not os.path.isfile(os.path.join(args.anchors, "exodus-trackers.json")):
        print(f"signature coverage: skipped, no reference bases at {args.anchors}")
        return 0
    ours = Ours(args.signatures)
    uncovered = {}

    exodus = load_exodus(args.anchors)
    ex_cov = [n for n, ps in exodus if any(ours.overlaps(p) for p in ps)]
    uncovered["eXodus trackers"] = sorted(set(n for n, _ in exodus) - set(ex_cov))

    lc = load_libchecker(args.anchors)
    cn_labels = {}
    for label, rules in lc.items():
        cat, chinese = classify_label(label)
        if cat and chinese:
            cn_labels[label] = (cat, rules)
    lc_cov = [l for l, (_, r) in cn_labels.items() if label_covered(ours, r)]
    lc_rules = sum(len(r) for _, r in cn_labels.values())
    lc_rules_cov = sum(1 for _, r in cn_labels.values() for x in r if label_covered(ours, [x]))
    uncovered["LibChecker Chinese labels"] = sorted(
        f"{l} [{cn_labels[l][0]}]" for l in set(cn_labels) - set(lc_cov))
    lc_all_cov = sum(1 for r in lc.values() if label_covered(ours, r))

    # The union, clustered by shared prefix or library name (union-find).
    am = load_appmanager(args.anchors)
    items = []  # (name, prefixes, libs, covered)
    for n, ps in exodus:
        items.append(("eXodus: " + n, ps, [], n in ex_cov))
    for n, ps in am.items():
        items.append(("AppManager: " + n, ps, [], any(ours.overlaps(p) for p in ps)))
    for l, (_, rules) in cn_labels.items():
        ps = [n if n.endswith(".") or t != LC_PACKAGE else n + "." for n, t, r in rules
              if t != LC_NATIVE and not r]
        libs = [n for n, t, r in rules if t == LC_NATIVE]
        items.append(("LibChecker: " + l, ps, libs, l in lc_cov))
    parent = list(range(len(items)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner = {}
    for i, (_, ps, libs, _) in enumerate(items):
        keys = [("lib", x) for x in libs]
        # Package keys: the first three name components identify a vendor SDK.
        keys += [("pkg", ".".join(p.strip(".").split(".")[:3])) for p in ps
                 if len(p.strip(".").split(".")) >= 2]
        for k in keys:
            if k in owner:
                parent[find(i)] = find(owner[k])
            else:
                owner[k] = i
    clusters = {}
    for i, it in enumerate(items):
        clusters.setdefault(find(i), []).append(it)
    cl_cov = [c for c in clusters.values() if any(it[3] for it in c)]
    uncovered["union clusters"] = sorted(c[0][0] for c in clusters.values() if c not in cl_cov)

    fams = load_apkid(args.anchors)
    fam_cov = [f for f, (l, r) in fams.items() if apkid_covered(ours, l, r)]
    cn_fams = [f for f in fams if any(f == k or f.startswith(k) for k in CHINESE_APKID)]
    cn_fam_cov = [f for f in cn_fams if f in fam_cov]
    uncovered["APKiD families seen in Chinese apps"] = sorted(set(cn_fams) - set(cn_fam_cov))
    uncovered["APKiD families, other"] = sorted(set(fams) - set(fam_cov) - set(cn_fams))

    packer_text = [(e["id"] + " " + e["name"] + " " + e["vendor"]).lower()
                   for e in ours.entries if e["category"] == "packer"]
    vend_cov = [v for v, words in CN_PACKER_VENDORS
                if any(all(w in t for w in words) for t in packer_text)]
    uncovered["Chinese packer vendors"] = [v for v, _ in CN_PACKER_VENDORS if v not in vend_cov]

    cats = {}
    for e in ours.entries:
        cats[e["category"]] = cats.get(e["category"], 0) + 1
    print(f"== signature coverage of {os.path.relpath(args.signatures, os.getcwd())} "
          f"({len(ours.entries)} SDK entries)")
    print("   by category: " + ", ".join(f"{k} {v}" for k, v in sorted(cats.items())))
    print(f"| base | size | covered |")
    print(f"| --- | --- | --- |")
    print(f"| SDK entries | goal >= 650 | {len(ours.entries)} |")
    print(f"| eXodus trackers with code signatures | {len(exodus)} | {pct(len(ex_cov), len(exodus))} |")
    print(f"| LibChecker v42 Chinese ad/game/payment/push/analytics/packer labels | {len(cn_labels)} "
          f"labels, {lc_rules} rules | {pct(len(lc_cov), len(cn_labels))}; rules "
          f"{pct(lc_rules_cov, lc_rules)} |")
    print(f"| LibChecker v42, all labels | {len(lc)} | {pct(lc_all_cov, len(lc))} |")
    print(f"| union (eXodus + AppManager ad/analytics + LibChecker six) | {len(clusters)} clusters | "
          f"{pct(len(cl_cov), len(clusters))} |")
    print(f"| APKiD packer/protector families | {len(fams)} | {pct(len(fam_cov), len(fams))} |")
    print(f"| APKiD families seen in Chinese apps | {len(cn_fams)} | {pct(len(cn_fam_cov), len(cn_fams))} |")
    print(f"| Chinese packer vendors (anchors README) | {len(CN_PACKER_VENDORS)} | "
          f"{pct(len(vend_cov), len(CN_PACKER_VENDORS))} |")
    if not args.brief:
        for what, names in uncovered.items():
            print(f"-- uncovered {what} ({len(names)}): " + "; ".join(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
