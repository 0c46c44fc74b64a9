"""``gridgis serve --host`` answers for the address it is given, and refuses other hosts."""

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request

from tests.conftest import START_LIMIT_S, _free_port, stop_process


def test_serve_answers_for_its_own_host_only(small_gpkg, tmp_path):
    host, port = "127.0.0.2", _free_port()  # not among the default allowed hosts
    base = f"http://{host}:{port}"
    with open(tmp_path / "server.log", "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gridgis", "serve", str(small_gpkg), "--host", host,
             "--port", str(port), "--store", str(tmp_path / "hosts.sqlite")],
            stdout=subprocess.DEVNULL, stderr=log)
        try:
            deadline = time.monotonic() + START_LIMIT_S
            while True:
                assert proc.poll() is None, (tmp_path / "server.log").read_text()
                try:
                    with urllib.request.urlopen(f"{base}/health", timeout=1) as r:
                        status, body = r.status, json.loads(r.read())
                    break
                except urllib.error.HTTPError as e:  # answered, but refused
                    with e:
                        status, body = e.code, json.loads(e.read())
                    break
                except OSError:
                    assert time.monotonic() < deadline, "the server did not start"
                    time.sleep(0.3)
            assert status == 200 and body["status"] == "ok", body
            links = urllib.request.urlopen(f"{base}/?f=json", timeout=10)
            with links:
                hrefs = [link["href"] for link in json.loads(links.read())["links"]]
            assert all(h.startswith(f"{base}/") for h in hrefs)
            forged = urllib.request.Request(f"{base}/?f=json",
                                            headers={"Host": "evil.example"})
            try:
                urllib.request.urlopen(forged, timeout=10).close()
                raise AssertionError("a forged Host was answered")
            except urllib.error.HTTPError as e:
                with e:
                    assert e.code == 400
                    assert e.headers["content-type"] == "application/problem+json"
                    assert b"evil" not in e.read()
        finally:
            stop_process(proc)
