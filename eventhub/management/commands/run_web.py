"""`manage.py run_web ADDR`: Django's threaded development server (with static files) plus TCP_NODELAY
on every accepted connection.

Django's server writes a response's headers and body in separate sends; with Nagle's algorithm on,
a keep-alive client's delayed ACK then holds the body back about 40 ms on every request. Setting
TCP_NODELAY removes that stall (measured by bench/reads.py and bench/ingest.py).
"""
from __future__ import annotations

import socket

from django.contrib.staticfiles.management.commands.runserver import Command as RunserverCommand
from django.core.servers.basehttp import WSGIServer


class NoDelayWSGIServer(WSGIServer):
    def get_request(self):
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address


class Command(RunserverCommand):
    help = "Start the web server (runserver with TCP_NODELAY on its connections)."
    server_cls = NoDelayWSGIServer
