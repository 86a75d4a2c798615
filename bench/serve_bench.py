"""The cost of `serve` (issue #20.6), driven by bench/serve.sh, which starts the
daemons, the fake targets and the servers; this measures and prints one JSON object.

  serve_bench.py view URL TOKEN CHROMEDRIVER_PORT RUNS
      The dashboard's first view in Chromium (W3C WebDriver over HTTP, no client
      library): log in once, then RUNS times open / afresh and read the page's
      Navigation Timing: until its load event (every row rendered by the server, the
      script run) and until the live updates are on (the event stream open).
  serve_bench.py scrape URL TOKEN TARGETS_FILE RUNS
      One scrape of /metrics against the slowest single target's getAllProcessInfo
      (each target asked alone: a unix socket path or http://HOST:PORT a line;
      medians), and against all of them asked at once (the targets' share when they
      share this machine's cores). Scrapes are 1.2 s apart: /metrics serves an
      answer again while it is under 1 s old.
  serve_bench.py memory URL TOKEN PID SECONDS
      The server's resident memory with 10 open dashboards (each loads / and keeps
      /events open) and a scrape every second for SECONDS: VmRSS each second, VmHWM.
"""

from __future__ import annotations

import http.client
import json
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request

sys.path.insert(0, "bench")
from benchlib import post  # noqa: E402

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1300,1000",
]


def wd(port: int, method: str, path: str, body: dict | None = None) -> dict:
    """One WebDriver command; its `value`."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())["value"]


def view(url: str, token: str, port: int, runs: int, profile: str) -> dict:
    caps = {"browserName": "chrome", "goog:chromeOptions": {
        "binary": "/usr/bin/chromium", "args": FLAGS + [f"--user-data-dir={profile}"]}}
    sid = wd(port, "POST", "/session", {"capabilities": {"alwaysMatch": caps}})["sessionId"]
    s = f"/session/{sid}"

    def js(script: str):
        return wd(port, "POST", f"{s}/execute/sync", {"script": script, "args": []})

    def until(script: str, secs: float = 30) -> None:
        end = time.monotonic() + secs
        while js(script) is not True:
            if time.monotonic() > end:
                raise SystemExit(f"timed out: {script}\n{js('return document.body.innerText')[:2000]}")
            time.sleep(0.02)

    try:
        wd(port, "POST", f"{s}/url", {"url": f"{url}/login"})
        el = wd(port, "POST", f"{s}/element", {"using": "css selector", "value": "#token"})
        key = next(iter(el.values()))
        wd(port, "POST", f"{s}/element/{key}/value", {"text": token})
        js("document.querySelector('form button[type=submit]').click(); return true")
        until("return location.pathname === '/' && !!document.querySelector('#processes')")
        rows, load, live = 0, [], []
        for _ in range(runs):
            wd(port, "POST", f"{s}/url", {"url": "about:blank"})
            wd(port, "POST", f"{s}/url", {"url": f"{url}/"})
            until("return document.body.dataset.live === 'on'")
            rows = js("return document.querySelectorAll('tr.proc').length")
            nav = js("const n = performance.getEntriesByType('navigation')[0]; "
                     "return [n.responseStart, n.loadEventEnd, performance.now()]")
            load.append(nav[1])
            live.append(nav[2])
        return {"rows": rows, "runs": runs, "load_event_ms": statistics.median(load),
                "load_event_ms_max": max(load), "live_on_ms_at_most": statistics.median(live)}
    finally:
        wd(port, "DELETE", s)


def get(url: str, token: str, path: str, timeout: float = 30) -> tuple[int, bytes]:
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    c.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, body


def call(target: str, body: str) -> None:
    """One XML-RPC call of `target` (a unix socket path or http://HOST:PORT)."""
    if not target.startswith("http://"):
        post(target, body)
        return
    u = urllib.parse.urlsplit(target)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    c.request("POST", "/RPC2", body=body, headers={"Content-Type": "text/xml"})
    c.getresponse().read()
    c.close()


def scrape(url: str, token: str, targets_file: str, runs: int) -> dict:
    body = ("<?xml version='1.0'?><methodCall><methodName>supervisor.getAllProcessInfo"
            "</methodName><params/></methodCall>")
    targets = open(targets_file).read().split()
    singles = []
    for target in targets:
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            call(target, body)
            times.append((time.perf_counter() - t) * 1000)
        singles.append(statistics.median(times))
    together = []
    for _ in range(runs):
        threads = [threading.Thread(target=call, args=(tg, body)) for tg in targets]
        t = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        together.append((time.perf_counter() - t) * 1000)
    scrapes, inside, ages, up = [], [], [], 0
    for _ in range(runs):
        time.sleep(1.2)
        t = time.perf_counter()
        status, text = get(url, token, "/metrics")
        scrapes.append((time.perf_counter() - t) * 1000)
        now = time.time()
        assert status == 200, status
        lines = text.decode().splitlines()
        # How old the answer was (the time its targets were asked).
        ages.append(max(now - float(line.rsplit(" ", 1)[1]) for line in lines
                        if line.startswith("supervisord_scrape_timestamp_seconds{")))
        up = sum(1 for line in lines if line.startswith("supervisord_up{") and line.endswith(" 1"))
        # The slowest target's own time within the scrape (its deadline's clock).
        inside.append(1000 * max(float(line.rsplit(" ", 1)[1]) for line in lines
                                 if line.startswith("supervisord_scrape_duration_seconds{")))
    slowest = max(singles)
    return {"targets": len(singles), "up": up, "runs": runs, "scrape_ms": statistics.median(scrapes),
            "slowest_getAllProcessInfo_ms": slowest, "fastest_getAllProcessInfo_ms": min(singles),
            "all_at_once_ms": statistics.median(together),
            "slowest_target_within_scrape_ms": statistics.median(inside),
            "answer_age_s_median": statistics.median(ages), "answer_age_s_max": max(ages),
            "ratio": statistics.median(scrapes) / slowest,
            "ratio_to_all_at_once": statistics.median(scrapes) / statistics.median(together)}


def rss_kb(pid: int) -> tuple[int, int]:
    fields = dict(line.split(":", 1) for line in open(f"/proc/{pid}/status").read().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def dashboard(url: str, token: str, stop: threading.Event, opened: list) -> None:
    """One open dashboard: the overview, then its event stream, read until `stop`."""
    get(url, token, "/")
    u = urllib.parse.urlsplit(url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=2)
    c.request("GET", "/events", headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"})
    r = c.getresponse()
    opened.append(r.status)
    while not stop.is_set():
        try:
            if not r.read1(65536):
                break
        except TimeoutError:
            continue
        except OSError:
            break
    c.close()


def memory(url: str, token: str, pid: int, seconds: int) -> dict:
    before, _ = rss_kb(pid)
    stop, opened = threading.Event(), []
    threads = [threading.Thread(target=dashboard, args=(url, token, stop, opened)) for _ in range(10)]
    for t in threads:
        t.start()
    samples = []
    try:
        for _ in range(seconds):
            t = time.monotonic()
            status, _ = get(url, token, "/metrics")
            assert status == 200, status
            samples.append(rss_kb(pid)[0])
            time.sleep(max(0.0, 1 - (time.monotonic() - t)))
    finally:
        stop.set()
        for t in threads:
            t.join()
    _, hwm = rss_kb(pid)
    return {"dashboards": len(opened), "streams_ok": opened.count(200), "seconds": seconds,
            "rss_mb_before": before / 1024, "rss_mb_last": samples[-1] / 1024,
            "rss_mb_max": max(samples) / 1024, "hwm_mb": hwm / 1024}


def main() -> None:
    what, url, token = sys.argv[1], sys.argv[2], sys.argv[3]
    if what == "view":
        out = view(url, token, int(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
    elif what == "scrape":
        out = scrape(url, token, sys.argv[4], int(sys.argv[5]))
    else:
        out = memory(url, token, int(sys.argv[4]), int(sys.argv[5]))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
