#!/usr/bin/env python3
"""Hand-made /status.json data for developing and testing the status page.

    fixture.py make SCENARIO [OUT]    write a status.json (stdout without OUT)
    fixture.py serve FIXTURE [PORT]   serve the page at / and FIXTURE at
                                      /status.json on 127.0.0.1 (default 9694)

Scenarios (from node1's point of view, three nodes and a ping node, two
links each, quorum and fencing on):

    healthy    every node active, every link up, node1 runs its group
    peer-dead  node2 went silent 14 s ago: dead, awaiting its fence

`serve` reads FIXTURE again on every request, so replacing the file (make
... > FIXTURE.tmp && mv) switches what the page sees; a missing file
answers 404, which the page must show as stale. Standard library only.
"""

import http.server
import json
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PAGE = os.path.join(HERE, "..", "..", "src", "http", "page.html")

INTERVAL_MS = 500
SAMPLES = 240
KEEPALIVE, WARNTIME, DEADTIME, DEADPING = 200, 1000, 2000, 5000


def link(name, status="up", heard=80, gap=410, packets=41230, deaths=0):
    return {"name": name, "status": status, "last_heard_ms_ago": heard,
            "max_gap_ms": gap, "packets": packets, "deaths": deaths}


def node(name, status, **kw):
    n = {"name": name, "type": "normal", "status": status, "local": False,
         "weight": 100, "site": "", "generation": 7, "deadtime_ms": DEADTIME,
         "last_heard_ms_ago": 90, "dead_in_ms": DEADTIME - 90,
         "max_gap_ms": 430, "late_heartbeats": 0, "lost_packets": 0,
         "recovered_packets": 0, "rtt_us": 310, "deaths": 0, "restarts": 0,
         "links": [link("eth0"), link("eth1")]}
    n.update(kw)
    return n


def silence(rng, blips=(), silent_for=None):
    """240 samples of the longest silence per interval: keepalive jitter,
    a few late heartbeats at `blips` (index, ms), and, with `silent_for`,
    a silence growing until now."""
    s = [KEEPALIVE + rng.randint(-15, 40) for _ in range(SAMPLES)]
    for i in range(6):          # the daemon started 3 s before the window
        s[i] = None
    for i, v in blips:
        s[i] = v
    if silent_for is not None:
        n = silent_for // INTERVAL_MS
        for k in range(n):
            s[SAMPLES - n + k] = (k + 1) * INTERVAL_MS
    return s


def scenario(name):
    rng = random.Random(694)
    now = int(time.time() * 1000)
    dead = name == "peer-dead"
    if name not in ("healthy", "peer-dead"):
        sys.exit("unknown scenario %r (healthy, peer-dead)" % name)

    node1 = node("node1", "active", local=True, generation=12,
                 last_heard_ms_ago=None, dead_in_ms=None, max_gap_ms=0,
                 rtt_us=None, links=[link("eth0", heard=40, gap=220),
                                     link("eth1", heard=40, gap=230)])
    node3 = node("node3", "active", generation=9, last_heard_ms_ago=120,
                 dead_in_ms=DEADTIME - 120, max_gap_ms=1240,
                 late_heartbeats=1, lost_packets=1, recovered_packets=6,
                 rtt_us=284,
                 links=[link("eth0", heard=120, gap=460, packets=40988),
                        link("eth1", heard=130, gap=1240, packets=40801)])
    ping = node("10.0.0.1", "ping", type="ping", generation=None,
                deadtime_ms=DEADPING, last_heard_ms_ago=640,
                dead_in_ms=DEADPING - 640, max_gap_ms=0, rtt_us=None,
                links=[link("10.0.0.1", heard=640, gap=0, packets=412)])
    if dead:
        node2 = node("node2", "dead", last_heard_ms_ago=14030,
                     dead_in_ms=None, max_gap_ms=14030, late_heartbeats=2,
                     deaths=1, rtt_us=355,
                     links=[link("eth0", "dead", 14030, 14030, 39112, 1),
                            link("eth1", "dead", 14090, 14090, 39087, 1)])
    else:
        node2 = node("node2", "active", rtt_us=355,
                     links=[link("eth0", heard=60, gap=440, packets=41107),
                            link("eth1", heard=70, gap=450, packets=41090)])

    groups = [
        {"key": "IPaddr::10.0.0.50/24", "preferred_node": "node1",
         "owner": "node1", "activity": "running"},
        {"key": "drbddisk::r0", "preferred_node": "node2",
         "owner": None if dead else "node2", "activity": "stopped"},
    ]
    safety = {
        "quorum": {"quorate": True, "votes": 2 if dead else 3, "needed": 2,
                   "nodes": 3},
        "fencing_configured": True,
        "watchdog": {"timeout_ms": 5000, "petting": True, "withheld": None},
        "awaiting_fence": [{"node": "node2", "since_ms_ago": 12030,
                            "fencer": "node1", "failures": 1,
                            "watchdog_expires_in_ms": None}] if dead else [],
        "fence_history": [{"target": "node2", "by": "node1",
                           "method": "stonith external/ipmi", "ok": False,
                           "at_ms_ago": 2010}] if dead else [],
    }
    params = {"keepalive": "%dms" % KEEPALIVE, "warntime": "%dms" % WARNTIME,
              "deadtime": "%dms" % DEADTIME, "initdead": "10000ms",
              "deadping": "%dms" % DEADPING, "udpport": "694",
              "auto_failback": "on", "hbversion": "3.0.6 (heartbeat-rs 0.9.0)"}
    status = {
        "daemon_version": "0.9.0", "local_node": "node1", "generation": 12,
        "comm_up": True, "resources": "all" if dead else "local",
        "nodes": [node1, node2, node3, ping], "groups": groups,
        "parameters": params,
        "media": [{"name": "eth0", "received": 123400, "rejected": 0},
                  {"name": "eth1", "received": 122980, "rejected": 2}],
        "safety": safety,
    }
    links = [
        {"node": "node2", "link": "eth0",
         "silence_ms": silence(rng, silent_for=14000 if dead else None)},
        {"node": "node2", "link": "eth1",
         "silence_ms": silence(rng, silent_for=14000 if dead else None)},
        {"node": "node3", "link": "eth0",
         "silence_ms": silence(rng, blips=[(151, 460)])},
        {"node": "node3", "link": "eth1",
         "silence_ms": silence(rng, blips=[(150, 780), (151, 1240)])},
        {"node": "10.0.0.1", "link": "10.0.0.1",
         "silence_ms": [None] * 6 + [rng.randint(40, 1000)
                                     for _ in range(SAMPLES - 6)]},
    ]
    ago = lambda ms: now - ms  # noqa: E731
    events = [
        {"unix_ms": ago(125000), "text": "node node2: up"},
        {"unix_ms": ago(124000), "text": "node node2: active"},
        {"unix_ms": ago(123500), "text": "node node3: active"},
        {"unix_ms": ago(123000), "text": "ping node 10.0.0.1: ping"},
        {"unix_ms": ago(121000), "text": "group IPaddr::10.0.0.50/24: running on node1"},
        {"unix_ms": ago(44500), "text": "node node3: late heartbeat on eth1 (1240 ms)"},
    ]
    if dead:
        events += [
            {"unix_ms": ago(13000), "text": "node node2: link eth0 dead"},
            {"unix_ms": ago(12950), "text": "node node2: link eth1 dead"},
            {"unix_ms": ago(12030), "text": "node node2: dead"},
            {"unix_ms": ago(12020), "text": "fencing node2 (stonith external/ipmi)"},
            {"unix_ms": ago(2010), "text": "fencing node2 failed, retrying"},
        ]
    return {"status": status,
            "timeline": {"interval_ms": INTERVAL_MS, "links": links},
            "events": events}


class Handler(http.server.BaseHTTPRequestHandler):
    fixture = None

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/":
            self.answer(PAGE, "text/html; charset=utf-8")
        elif path == "/status.json":
            self.answer(self.fixture, "application/json")
        else:
            self.send_error(404)

    def answer(self, file, ctype):
        try:
            with open(file, "rb") as f:
                body = f.read()
        except OSError:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def main(argv):
    if len(argv) >= 2 and argv[0] == "make":
        text = json.dumps(scenario(argv[1]), indent=1)
        if len(argv) > 2:
            tmp = argv[2] + ".tmp"
            with open(tmp, "w") as f:
                f.write(text)
            os.replace(tmp, argv[2])    # atomic: a poll never sees half
        else:
            print(text)
    elif len(argv) >= 2 and argv[0] == "serve":
        Handler.fixture = os.path.abspath(argv[1])
        port = int(argv[2]) if len(argv) > 2 else 9694
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        print("serving on http://127.0.0.1:%d/" % port, flush=True)
        server.serve_forever()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
