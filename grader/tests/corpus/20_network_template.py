# expect: {"status": ["error", "not_attempted"], "max_total": 0}
# [18] Send data out over the network (the test listens on this port).
import socket

with socket.create_connection(("127.0.0.1", 47811), timeout=3) as connection:
    connection.sendall(b"exfiltrated")
