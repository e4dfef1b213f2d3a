#!/usr/bin/env python3
"""The NAT lab's round-trip probe (the namespaces have no ping): a UDP echo and its client.

  udp_rtt.py echo HOST PORT            answers every datagram with itself until killed
  udp_rtt.py probe HOST PORT COUNT     COUNT probes, 50 ms apart; prints "min median max" in ms
"""
import socket
import statistics
import sys
import time


def echo(host, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host, port))
    print("ready", flush=True)
    while True:
        data, peer = s.recvfrom(2048)
        s.sendto(data, peer)


def probe(host, port, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2.0)
    rtts = []
    for i in range(count):
        payload = b"probe %d" % i
        start = time.monotonic()
        s.sendto(payload, (host, port))
        while True:
            data, _ = s.recvfrom(2048)  # a timeout raises: the test fails, naming it
            if data == payload:
                break
        rtts.append((time.monotonic() - start) * 1000.0)
        time.sleep(0.05)
    print("%.2f %.2f %.2f" % (min(rtts), statistics.median(rtts), max(rtts)))


if __name__ == "__main__":
    if sys.argv[1] == "echo":
        echo(sys.argv[2], int(sys.argv[3]))
    else:
        probe(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
