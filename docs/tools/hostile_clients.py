#!/usr/bin/env python3
"""Hostile-but-fair clients against a running ingest (./emostream up), as in issue 12 item 3.

Opens STALLED connections that send only "POST /clips HTTP/1.1\\r\\nHost: x\\r\\n", and SLOW uploads that trickle
1 KB/s, then times a normal upload of a real file and GET /health while they are held. Then: how long until a stalled
client is cut off, what a stalled body gets, and whether a retry with the same Idempotency-Key is analysed again.
Prints one line per figure. Python 3 standard library only.

  python3 docs/tools/hostile_clients.py --url http://127.0.0.1:8080 --file samples/happy-speech.mp4
"""
import argparse
import http.client
import json
import socket
import threading
import time
import urllib.parse
import uuid


def stalled(host, port):
    s = socket.create_connection((host, port))
    s.sendall(b"POST /clips HTTP/1.1\r\nHost: x\r\n")
    return s


def slow_upload(host, port, stop, cut):
    s = socket.create_connection((host, port))
    s.sendall(b"POST /clips?name=slow.mp4 HTTP/1.1\r\nHost: x\r\nContent-Type: video/mp4\r\n"
              b"Content-Length: 10000000\r\n\r\n")
    while not stop.is_set():
        try:
            s.sendall(b"\0" * 1024)
        except OSError:
            cut.append(time.monotonic())
            return
        stop.wait(1.0)
    s.close()


def upload(host, port, body, name, key=None, token=None):
    headers = {"Content-Type": "video/mp4"}
    if key:
        headers["Idempotency-Key"] = key
    if token:
        headers["Authorization"] = "Bearer " + token
    conn = http.client.HTTPConnection(host, port, timeout=300)
    start = time.monotonic()
    conn.request("POST", "/clips?name=" + urllib.parse.quote(name), body=body, headers=headers)
    response = conn.getresponse()
    text = response.read().decode()
    took = time.monotonic() - start
    conn.close()
    return response.status, text, took, response.getheader("Idempotent-Replayed")


def health(host, port):
    conn = http.client.HTTPConnection(host, port, timeout=300)
    start = time.monotonic()
    conn.request("GET", "/health")
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status, time.monotonic() - start


def wait_closed(s, limit):
    """Seconds until the server closes s (reads until EOF), or None after limit."""
    s.settimeout(limit)
    start = time.monotonic()
    try:
        while s.recv(4096):
            pass
    except socket.timeout:
        return None, b""
    except OSError:
        pass
    return time.monotonic() - start, b""


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", default="http://127.0.0.1:8080")
    p.add_argument("--file", default="samples/happy-speech.mp4")
    p.add_argument("--stalled", type=int, default=50)
    p.add_argument("--slow", type=int, default=8)
    p.add_argument("--token")
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    u = urllib.parse.urlparse(a.url)
    host, port = u.hostname, u.port or 80
    body = open(a.file, "rb").read()

    status, _, took, _ = upload(host, port, body, "warm-up.mp4", token=a.token)
    print(f"warm-up upload alone: {status} in {took * 1000:.0f} ms")
    alone = [upload(host, port, body, "alone.mp4", token=a.token)[2] for _ in range(a.repeat)]
    print(f"upload alone, {a.repeat} in a row: " + ", ".join(f"{t * 1000:.0f}" for t in alone) + " ms")

    held = [stalled(host, port) for _ in range(a.stalled)]
    stop, cut = threading.Event(), []
    slow = [threading.Thread(target=slow_upload, args=(host, port, stop, cut), daemon=True) for _ in range(a.slow)]
    for t in slow:
        t.start()
    time.sleep(2)  # a script, not a test: let the slow uploads get going
    loaded = []
    for _ in range(a.repeat):
        status, text, took, _ = upload(host, port, body, "normal.mp4", token=a.token)
        h_status, h_took = health(host, port)
        loaded.append(f"upload {status} in {took * 1000:.0f} ms, /health {h_status} in {h_took * 1000:.0f} ms")
    print(f"with {a.stalled} stalled and {a.slow} slow (1 KB/s) clients held: " + "; ".join(loaded)
          + f"; slow uploads cut meanwhile: {len(cut)}")

    start = time.monotonic()
    s = stalled(host, port)
    closed, _ = wait_closed(s, 60)
    print(f"a stalled request head: connection closed after "
          f"{'%.1f s' % closed if closed is not None else 'more than 60 s'}")
    for h in held:
        h.close()
    stop.set()

    s = socket.create_connection((host, port))
    s.sendall(b"POST /clips?name=stops.mp4 HTTP/1.1\r\nHost: x\r\nContent-Type: video/mp4\r\n"
              b"Content-Length: 100000\r\n\r\n" + b"\0" * 1000)
    s.settimeout(120)
    start = time.monotonic()
    answer = b""
    try:
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
    except OSError:
        pass
    first_line = answer.split(b"\r\n", 1)[0].decode(errors="replace")
    print(f"a body that stops after 1000 of 100000 bytes: '{first_line}' after {time.monotonic() - start:.1f} s")

    key = str(uuid.uuid4())
    s1, t1, took1, _ = upload(host, port, body, "retry.mp4", key=key, token=a.token)
    s2, t2, took2, replayed = upload(host, port, body, "retry.mp4", key=key, token=a.token)
    same = t1 == t2
    print(f"Idempotency-Key retry: first {s1} in {took1 * 1000:.0f} ms, retry {s2} in {took2 * 1000:.0f} ms, "
          f"same answer: {same}, Idempotent-Replayed: {replayed}, source ids: {json.loads(t1).get('sourceId')} / "
          f"{json.loads(t2).get('sourceId')}")


if __name__ == "__main__":
    main()
