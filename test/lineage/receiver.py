#!/usr/bin/python3
"""A loopback OpenLineage endpoint for dtecert's lineage tests.

    /usr/bin/python3 test/lineage/receiver.py --port-file PORTFILE [--port N] [--mode ok]

It listens on 127.0.0.1 (an ephemeral port unless --port; the port is written
to PORTFILE once it listens) and takes events at POST /api/v1/lineage.  Every
event it receives is validated against the OpenLineage 2-0-2 schemas and facet
schemas (validate.py), whatever it answers.  What it answers depends on its mode:

    ok      store the event, answer 201 (or ?status=200 ...)
    500, 503, 400
            answer that status with a small JSON body; the event is not stored
    hang    answer nothing and keep the connection open (until the mode changes
            or 120 s pass)
    drop    store the next event, then close the connection without answering
            (a lost reply: the sender must retry, and a duplicate is expected);
            the mode is ok again after that one event

Control and inspection (GET):
    /control?mode=503[&status=201]   change the mode
    /stats                           JSON: counts, every stored event, validation
                                     problems, and whether each request carried
                                     the expected bearer token

The expected api key, if any, comes from the environment (DTECERT_TEST_API_KEY),
so it is never on a command line or in the receiver's output.
"""
import argparse
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import validate

LOCK = threading.Lock()
STATE = {
    "mode": "ok",
    "status": 201,
    "received": 0,      # every POST with a body
    "answered": {},     # status -> count
    "events": [],       # stored (accepted) events, in arrival order
    "problems": [],     # validation problems of any received event
    "auth_ok": 0,
    "auth_bad": 0,
}
API_KEY = os.environ.get("DTECERT_TEST_API_KEY", "")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once

    def log_message(self, fmt, *args):  # quiet
        pass

    def _reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        if url.path == "/control":
            with LOCK:
                if "mode" in query:
                    STATE["mode"] = query["mode"][0]
                if "status" in query:
                    STATE["status"] = int(query["status"][0])
                self._reply(200, {"mode": STATE["mode"], "status": STATE["status"]})
        elif url.path == "/stats":
            with LOCK:
                self._reply(200, STATE)
        else:
            self._reply(404, {"error": "unknown path"})

    def _check_auth(self):
        expected = "Bearer " + API_KEY if API_KEY else None
        ok = self.headers.get("Authorization") == expected
        STATE["auth_ok" if ok else "auth_bad"] += 1

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        text = self.rfile.read(length).decode("utf-8", "replace")
        with LOCK:
            STATE["received"] += 1
            self._check_auth()
            for p in validate.errors(text):
                STATE["problems"].append(p)
            mode = STATE["mode"]
            status = STATE["status"]
        if self.path != "/api/v1/lineage":
            self._reply(404, {"error": "unknown path"})
            return
        if mode == "hang":
            deadline = time.time() + 120
            while time.time() < deadline:
                with LOCK:
                    if STATE["mode"] != "hang":
                        break
                time.sleep(0.05)
            self.close_connection = True
            return
        if mode in ("ok", "drop"):
            with LOCK:
                if mode == "drop":
                    STATE["mode"] = "ok"
                try:
                    STATE["events"].append(json.loads(text))
                except ValueError:
                    pass
        if mode == "drop":
            self.close_connection = True
            return
        answer = status if mode == "ok" else int(mode)
        with LOCK:
            STATE["answered"][str(answer)] = STATE["answered"].get(str(answer), 0) + 1
        if answer >= 300:
            self._reply(answer, {"error": "receiver in mode %s" % mode})
        else:
            self._reply(answer, {})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--mode", default="ok")
    args = parser.parse_args()
    STATE["mode"] = args.mode
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
