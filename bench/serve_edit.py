#!/usr/bin/env python3
"""Save-to-visible time of `zhiku serve`: edit a file, then poll the page
until the edit shows, as a browser reloading on the change would.

Usage: bench/serve_edit.py ZHIKU SITE [RUNS]

* Q&A edit: appends a marker line to one Q&A's body (restored afterwards)
  and times from the moment the file is saved until GET of the page
  returns the marker.
* Template edit: copies the built-in theme into SITE/themes/default if the
  site has none, puts a marker comment before </body> in base.html, and
  times until the Q&A page has it.

Prints each run and the median; the server's own timings go to
SITE/serve-bench.log. Only Python's standard library is used.
"""

import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8", "replace")
    except Exception:
        return ""


def wait_for(url, marker, deadline):
    while time.perf_counter() < deadline:
        if marker in fetch(url):
            return True
        time.sleep(0.005)
    return False


def timed_edit(path, url, edited, marker):
    with open(path, "w", encoding="utf-8") as f:
        f.write(edited)
    saved = time.perf_counter()
    found = wait_for(url, marker, saved + 120)
    return (time.perf_counter() - saved) * 1000 if found else None


def main():
    zhiku, site = sys.argv[1], sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    qa_dir = os.path.join(site, "content", "qa")
    qa_files = sorted(
        os.path.join(d, f) for d, _, files in os.walk(qa_dir) for f in files if f.endswith(".md") and f != "_index.md"
    )
    qa = qa_files[len(qa_files) // 2]
    relative = os.path.relpath(qa, os.path.join(site, "content"))[: -len(".md")]
    theme = os.path.join(site, "themes", "default")
    copied_theme = not os.path.exists(theme)
    if copied_theme:
        shutil.copytree(os.path.join(repo, "themes", "default"), theme)
    port = free_port()
    url = f"http://127.0.0.1:{port}/{relative}/"
    log = open(os.path.join(site, "serve-bench.log"), "w")
    server = subprocess.Popen(
        [zhiku, "--root", site, "serve", "--as-of", "2026-11-26", "--port", str(port), "--timings"],
        stdout=log,
        stderr=log,
    )
    template = os.path.join(theme, "templates", "base.html")
    with open(qa, encoding="utf-8") as f:
        qa_original = f.read()
    with open(template, encoding="utf-8") as f:
        template_original = f.read()
    try:
        if not wait_for(url, "<html", time.perf_counter() + 900):
            sys.exit("the server did not come up; see serve-bench.log")
        time.sleep(1)
        print(f"page: /{relative}/")
        qa_times = []
        for run in range(runs):
            marker = f"ZHIKUEDIT{run}X{time.time_ns()}"
            took = timed_edit(qa, url, qa_original + f"\n\n{marker}\n", marker)
            qa_times.append(took)
            print(f"Q&A edit {run + 1}: {took:.0f} ms" if took else f"Q&A edit {run + 1}: not seen")
            time.sleep(1)
        template_times = []
        for run in range(max(1, runs // 2)):
            marker = f"ZHIKUTPL{run}X{time.time_ns()}"
            edited = template_original.replace("</body>", f"<!-- {marker} --></body>", 1)
            took = timed_edit(template, url, edited, marker)
            template_times.append(took)
            print(f"template edit {run + 1}: {took:.0f} ms" if took else f"template edit {run + 1}: not seen")
            time.sleep(1)
        for name, times in [("Q&A edit", qa_times), ("template edit", template_times)]:
            seen = [t for t in times if t is not None]
            if seen:
                print(f"{name}: median {statistics.median(seen):.0f} ms, max {max(seen):.0f} ms over {len(seen)} runs")
    finally:
        with open(qa, "w", encoding="utf-8") as f:
            f.write(qa_original)
        with open(template, "w", encoding="utf-8") as f:
            f.write(template_original)
        time.sleep(1.5)
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        if copied_theme:
            shutil.rmtree(theme)


if __name__ == "__main__":
    main()
