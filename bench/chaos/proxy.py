#!/usr/bin/env python3
"""A TCP proxy on 127.0.0.1 that can blackhole: on SIGUSR1 it stops forwarding in both directions but keeps every
socket open (a link whose peer vanished without a FIN); on SIGUSR2 it forwards again (the bytes held meanwhile
flow on). Connections after a failover: the targets are tried in order until one accepts.

    proxy.py LISTEN_PORT TARGET_PORT[,TARGET_PORT...]
"""
import selectors, signal, socket, sys, threading, time

listen_port = int(sys.argv[1])
targets = [int(p) for p in sys.argv[2].split(",")]
held = threading.Event()
signal.signal(signal.SIGUSR1, lambda *_: held.set())
signal.signal(signal.SIGUSR2, lambda *_: held.clear())


def pump(a, b):
    sel = selectors.DefaultSelector()
    sel.register(a, selectors.EVENT_READ, b)
    sel.register(b, selectors.EVENT_READ, a)
    try:
        while True:
            if held.is_set():
                time.sleep(0.1)
                continue
            for key, _ in sel.select(0.1):
                data = key.fileobj.recv(65536)
                if not data:
                    return
                key.data.sendall(data)
    except OSError:
        pass
    finally:
        a.close()
        b.close()


def connect():
    for port in targets:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=5)
        except OSError:
            continue
    return None


server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", listen_port))
server.listen(128)
while True:
    client, _ = server.accept()
    upstream = connect()
    if upstream is None:
        client.close()
        continue
    upstream.settimeout(None)
    threading.Thread(target=pump, args=(client, upstream), daemon=True).start()
