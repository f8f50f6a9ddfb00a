"""idle_conns.py - holds N idle client connections to a server, for scripts/bench's
memory rows: `grpc` connections send the HTTP/2 preface and an empty SETTINGS frame (what
a gRPC channel does before its first call) and acknowledge the server's SETTINGS; `rest`
connections make one keep-alive request (GET /healthz) and then stay open.  Prints
"ready N" once all are open, then waits until it is killed.

    python3 idle_conns.py grpc|rest HOST PORT N
"""
import resource
import socket
import sys
import time


def main():
    kind, host, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, n + 64) if hard != resource.RLIM_INFINITY else n + 64
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    socks = []
    preface = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
    settings_ack = b"\x00\x00\x00\x04\x01\x00\x00\x00\x00"
    for _ in range(n):
        s = socket.create_connection((host, port), timeout=10)
        if kind == "grpc":
            s.sendall(preface)
            s.recv(4096)  # the server's SETTINGS (and maybe more)
            s.sendall(settings_ack)
        else:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n")
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    raise SystemExit("server closed a REST connection")
                data += chunk
        socks.append(s)
    print("ready %d" % len(socks), flush=True)
    time.sleep(86400)


if __name__ == "__main__":
    main()
