#!/usr/bin/env python3
"""Times every staff page and API read of a running cxloop (the page benchmark).

    python3 bench/pages.py --url http://127.0.0.1:8080 [--runs 7] [--json out.json]

Signs in as the demo admin (the scale demo's account), finds the surveys,
segments and personas through the API, then asks each page and API read once
to warm up and --runs times more, and prints the median, p95 and size of
each (a POST read, the segment preview, uses the read token in
CXLOOP_BENCH_TOKEN). Only the Python standard library is used. The scales and the
comparison between them are bench/scale.sh's.
"""
import argparse
import http.cookiejar
import json
import os
import re
import statistics
import sys
import time
import urllib.parse
import urllib.request

EMAIL = "demo@cxloop.example"
PASSWORD = "cxloop-demo-2026"


def opener():
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def sign_in(op, base):
    page = op.open(base + "/login").read().decode()
    csrf = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"_csrf": csrf, "next": "/", "email": EMAIL, "password": PASSWORD}).encode()
    op.open(urllib.request.Request(base + "/login", data=body, method="POST")).read()


def get_json(op, base, path):
    return json.loads(op.open(base + path).read())


def timed(op, url, method="GET", body=None):
    headers = {"content-type": "application/json"} if body is not None else {}
    if body is not None and os.environ.get("CXLOOP_BENCH_TOKEN"):
        # An API call by POST (the segment preview) needs a bearer token.
        headers["authorization"] = "Bearer " + os.environ["CXLOOP_BENCH_TOKEN"]
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    start = time.perf_counter()
    try:
        with op.open(req, timeout=600) as r:
            size = len(r.read())
            status = r.status
    except urllib.error.HTTPError as e:
        size, status = len(e.read()), e.code
    return time.perf_counter() - start, size, status


def calls(op, base):
    surveys = get_json(op, base, "/api/v1/surveys")["surveys"]
    nps = next(s for s in surveys if any(q["type"] == "nps" for q in s["questions"]))
    sid = nps["id"]
    segments = get_json(op, base, "/api/v1/segments")["segments"]
    seg = segments[0]["id"] if segments else None
    personas = get_json(op, base, "/api/v1/personas").get("personas", [])
    year = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 364 * 86400))
    pro = urllib.parse.quote('plan = "pro"')
    out = [
        ("page /", "/"),
        ("page /dashboard", "/dashboard"),
        ("page /surveys", "/surveys"),
        ("page survey, 90 days", f"/surveys/{sid}"),
        ("page survey, 12 months", f"/surveys/{sid}?from={year}&interval=month"),
        ("page survey cut by a saved segment", f"/surveys/{sid}?segment_id={seg}" if seg else None),
        ("page wows & woes, 90 days", f"/surveys/{sid}/themes"),
        ("page /comments", "/comments"),
        ("page /customers", "/customers"),
        ("page /segments", "/segments"),
        ("page segment", f"/segments/{seg}" if seg else None),
        ("page /personas", "/personas"),
        ("page /ideal", "/ideal"),
        ("page /channels", "/channels"),
        ("page /taxonomy", "/taxonomy"),
        ("API metrics 90 days", f"/api/v1/surveys/{sid}/metrics"),
        ("API metrics 12 months", f"/api/v1/surveys/{sid}/metrics?from={year}&interval=month"),
        ("API metrics cut by plan = \"pro\"", f"/api/v1/surveys/{sid}/metrics?segment={pro}"),
        ("API metrics cut by a saved segment", f"/api/v1/surveys/{sid}/metrics?segment_id={seg}" if seg else None),
        ("API themes 90 days", f"/api/v1/surveys/{sid}/themes"),
        ("API emerging 90 days", f"/api/v1/surveys/{sid}/emerging"),
        ("API responses, first page", f"/api/v1/surveys/{sid}/responses"),
        ("API comments, no match", "/api/v1/comments?q=zzqxv"),
        ("API customers, first page", "/api/v1/customers"),
        ("API segments", "/api/v1/segments"),
        ("API segment detail", f"/api/v1/segments/{seg}" if seg else None),
        ("API personas", "/api/v1/personas"),
    ]
    posts = [("API segment preview", "/api/v1/segments/preview", json.dumps({"expression": 'plan = "pro" and last_nps <= 6'}).encode())]
    return [(n, p, "GET", None) for n, p in out if p] + [(n, p, "POST", b) for n, p, b in posts], personas


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--json")
    ap.add_argument("--only", help="a substring: time only the calls whose name contains it")
    a = ap.parse_args()
    op = opener()
    sign_in(op, a.url)
    todo, _ = calls(op, a.url)
    if a.only:
        todo = [t for t in todo if a.only in t[0]]
    rows = []
    print(f"{'call':45} {'median':>10} {'p95':>10} {'bytes':>10}  status")
    for name, path, method, body in todo:
        timed(op, a.url + path, method, body)
        times, size, status = [], 0, 0
        for _ in range(a.runs):
            t, size, status = timed(op, a.url + path, method, body)
            times.append(t)
        times.sort()
        med = statistics.median(times)
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        rows.append({"call": name, "path": path, "median_ms": med * 1000, "p95_ms": p95 * 1000, "bytes": size, "status": status})
        print(f"{name:45} {med * 1000:9.1f}ms {p95 * 1000:9.1f}ms {size:10d}  {status}", flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
