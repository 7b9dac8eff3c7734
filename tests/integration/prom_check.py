#!/usr/bin/env python3
"""Helpers of prometheus.sh (python3 stdlib only): the Prometheus HTTP API and checks of the
files in deploy/.

    prom_check.py query URL EXPR          one line per sample: VALUE {label="v",...}
                                          (nothing for an empty result; exit 2 on an API error);
                                          evaluated at $PROM_TIME (unix seconds) when set
    prom_check.py wait URL EXPR SECONDS   poll EXPR until it returns a sample; exit 1 on timeout
    prom_check.py rules URL               one line per loaded rule: GROUP NAME HEALTH [ERROR]
    prom_check.py alerts URL              one line per active alert: NAME STATE {labels}
    prom_check.py dashboard URL FILE      structural checks of the Grafana dashboard, then every
                                          panel and variable query evaluated by Prometheus;
                                          prints one line per problem and a summary, exit 1 on
                                          any problem
    prom_check.py names SCRAPE SRC FILE...
                                          every intransit_* family the FILEs use is exposed in
                                          SCRAPE (text format) or registered in the C++ sources
                                          of the modules under SRC (.Name("...")); prints the
                                          unknown ones
"""
import json
import os
import pathlib
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


def api(url, path, params=None):
    q = ("?" + urllib.parse.urlencode(params)) if params else ""
    try:
        with urllib.request.urlopen(url.rstrip("/") + path + q, timeout=10) as r:
            body = json.load(r)
    except urllib.error.HTTPError as e:
        try:
            body = json.load(e)
        except ValueError:
            raise SystemExit(f"HTTP {e.code} from {path}")
    if body.get("status") != "success":
        raise RuntimeError(f"{body.get('errorType')}: {body.get('error')}")
    return body["data"]


def fmt_labels(m):
    return "{" + ",".join(f'{k}="{v}"' for k, v in sorted(m.items())) + "}"


def instant(url, expr, at=None):
    params = {"query": expr}
    if at:
        params["time"] = at
    data = api(url, "/api/v1/query", params)
    t = data["resultType"]
    if t == "scalar":
        return [({}, float(data["result"][1]))]
    if t == "vector":
        return [(s["metric"], float(s["value"][1])) for s in data["result"]]
    raise RuntimeError(f"unexpected result type {t}")


def cmd_query(url, expr):
    try:
        for m, v in instant(url, expr, os.environ.get("PROM_TIME")):
            print(f"{v:.17g} {fmt_labels(m)}")
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


def cmd_wait(url, expr, secs):
    end = time.time() + float(secs)
    while time.time() < end:
        try:
            if instant(url, expr):
                return 0
        except (RuntimeError, OSError):
            pass
        time.sleep(0.25)
    return 1


def cmd_rules(url):
    for g in api(url, "/api/v1/rules")["groups"]:
        for r in g["rules"]:
            err = r.get("lastError", "")
            print(g["name"], r["name"], r.get("health", "?"), err)
    return 0


def cmd_alerts(url):
    for a in api(url, "/api/v1/alerts")["alerts"]:
        labels = dict(a["labels"])
        name = labels.pop("alertname", "?")
        print(name, a["state"], fmt_labels(labels))
    return 0


# ---- dashboard ------------------------------------------------------------------------------
VARS = {"$job": "intransit", "$instance": ".*", "$listener": ".*", "$backend": ".*",
        "$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h"}


def substitute(expr):
    for k in sorted(VARS, key=len, reverse=True):
        expr = expr.replace("${" + k[1:] + "}", VARS[k]).replace(k, VARS[k])
    return expr


def walk_panels(panels):
    for p in panels:
        yield p
        yield from walk_panels(p.get("panels", []))


def cmd_dashboard(url, path):
    problems = []
    d = json.loads(pathlib.Path(path).read_text())
    for key in ("title", "uid", "panels", "templating", "schemaVersion"):
        if key not in d:
            problems.append(f"dashboard has no {key!r}")
    if d.get("id") is not None:
        problems.append("dashboard id must be null (Grafana assigns it on import)")
    ids = set()
    cells = {}
    queries = []  # (where, expr, must_have_data)
    for p in walk_panels(d.get("panels", [])):
        where = f"panel {p.get('id')} {p.get('title')!r}"
        if p.get("id") in ids:
            problems.append(f"{where}: duplicate id")
        ids.add(p.get("id"))
        g = p.get("gridPos", {})
        if not all(k in g for k in ("x", "y", "w", "h")) or g["x"] + g["w"] > 24:
            problems.append(f"{where}: bad gridPos {g}")
            continue
        for yy in range(g["y"], g["y"] + g["h"]):
            for xx in range(g["x"], g["x"] + g["w"]):
                if (xx, yy) in cells:
                    problems.append(f"{where}: overlaps panel {cells[(xx, yy)]}")
                    break
                cells[(xx, yy)] = p.get("id")
            else:
                continue
            break
        if p.get("type") == "row":
            continue
        ds = p.get("datasource", {})
        if ds.get("uid") != "${datasource}":
            problems.append(f"{where}: datasource is not the ${{datasource}} variable: {ds}")
        targets = p.get("targets", [])
        if not targets:
            problems.append(f"{where}: no queries")
        for t in targets:
            if not t.get("expr"):
                problems.append(f"{where}: target {t.get('refId')} has no expr")
                continue
            queries.append((where, t["expr"]))
    for a in d.get("annotations", {}).get("list", []):
        if a.get("expr"):
            queries.append((f"annotation {a.get('name')!r}", a["expr"]))
    names = [v.get("name") for v in d.get("templating", {}).get("list", [])]
    for want in ("datasource", "job", "instance", "listener", "backend"):
        if want not in names:
            problems.append(f"no template variable {want!r}")
    variables_with_data = 0
    for v in d.get("templating", {}).get("list", []):
        if v.get("type") != "query":
            continue
        q = v.get("definition") or v.get("query", {}).get("query", "")
        m = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", q.strip())
        if not m:
            problems.append(f"variable {v['name']}: not a label_values(selector, label) query: {q}")
            continue
        expr = f"group by ({m.group(2)}) ({substitute(m.group(1))})"
        try:
            got = instant(url, expr)
        except RuntimeError as e:
            problems.append(f"variable {v['name']}: {e}")
            continue
        if got:
            variables_with_data += 1
        else:
            problems.append(f"variable {v['name']}: {q} has no values")
    evaluated = with_data = 0
    empty = []
    for where, expr in queries:
        e = substitute(expr)
        if "$" in e:
            problems.append(f"{where}: unknown variable in {expr}")
            continue
        try:
            got = instant(url, e)
        except RuntimeError as err:
            problems.append(f"{where}: {err} in {e}")
            continue
        evaluated += 1
        if got:
            with_data += 1
        else:
            empty.append(where)
    for p in problems:
        print("PROBLEM", p)
    print(f"panels={len(ids)} queries={len(queries)} evaluated={evaluated} with_data={with_data} "
          f"variables_with_data={variables_with_data} empty=[{'; '.join(empty)}]")
    return 1 if problems else 0


# ---- metric names -----------------------------------------------------------------------------
def cmd_names(scrape, src, files):
    exposed = set(re.findall(r"^# TYPE (\S+) ", pathlib.Path(scrape).read_text(), re.M))
    registered = set()
    for d in ("metrics", "gateway", "smb", "tls", "policy", "ipsec"):
        for f in (pathlib.Path(src) / d).rglob("*.cc"):
            try:
                text = f.read_text(errors="replace")
            except OSError:  # a file being replaced by an editor
                continue
            registered.update(re.findall(r'\.Name\("(intransit_[a-z0-9_]+)"\)', text))
    used = set()
    for f in files:
        text = pathlib.Path(f).read_text()
        # Recording-rule names contain ':' and are not families.
        used.update(re.findall(r"(?<![:\w])(intransit_[a-z0-9_]+)(?![:\w])", text))
    known = exposed | registered
    # A histogram's series are <family>_bucket, _count and _sum.
    used = {re.sub(r"_(bucket|count|sum)$", "", n)
            if n not in known and re.sub(r"_(bucket|count|sum)$", "", n) in known else n
            for n in used}
    unknown = sorted(n for n in used if n not in known)
    for n in unknown:
        print("UNKNOWN", n)
    print(f"used={len(used)} exposed={len(used & exposed)} registered_only="
          f"{len((used & registered) - exposed)} unknown={len(unknown)}")
    return 1 if unknown else 0


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == "query":
        return cmd_query(*args)
    if cmd == "wait":
        return cmd_wait(*args)
    if cmd == "rules":
        return cmd_rules(*args)
    if cmd == "alerts":
        return cmd_alerts(*args)
    if cmd == "dashboard":
        return cmd_dashboard(*args)
    if cmd == "names":
        return cmd_names(args[0], args[1], args[2:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
