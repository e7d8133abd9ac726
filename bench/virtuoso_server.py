"""A throwaway Virtuoso 7 server on loopback (Debian's virtuoso-opensource-7-bin), for tests and the bench.

Virtuoso is the production store kzkg is measured and tested against. Each instance gets its own
database directory and free ports, and is killed at the end; nothing listens beyond 127.0.0.1.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import requests

BINARY = "virtuoso-t"
INI = """[Database]
DatabaseFile = {d}/virtuoso.db
ErrorLogFile = {d}/virtuoso.log
LockFile = {d}/virtuoso.lck
TransactionFile = {d}/virtuoso.trx
xa_persistent_file = {d}/virtuoso.pxa
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {d}/virtuoso-temp.db
TransactionFile = {d}/virtuoso-temp.trx
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
NumberOfBuffers = 170000
MaxDirtyBuffers = 130000
DirsAllowed = ., {d}
CheckpointInterval = 60

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {d}
MaxClientConnections = 20
ServerThreads = 20

[SPARQL]
; Virtuoso's default of 10000 silently truncates results; kzkg verifies counts instead.
ResultSetMaxRows = {max_rows}
MaxQueryExecutionTime = 120
"""


def available() -> bool:
    return shutil.which(BINARY) is not None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Virtuoso:
    """`sparql_url`, `gsp_url` (digest auth dba/dba, graph parameter `graph-uri`)."""

    user = "dba"
    password = "dba"
    graph_param = "graph-uri"

    def __init__(self, directory: Path, max_rows: int = 10_000):
        directory.mkdir(parents=True, exist_ok=True)
        self.http_port = _free_port()
        ini = directory / "virtuoso.ini"
        ini.write_text(INI.format(d=directory, sql_port=_free_port(), http_port=self.http_port, max_rows=max_rows))
        self.base = f"http://127.0.0.1:{self.http_port}"
        self.sparql_url = self.base + "/sparql"
        self.gsp_url = self.base + "/sparql-graph-crud-auth"
        self.process = subprocess.Popen(
            [BINARY, "+foreground", "+configfile", str(ini)],
            cwd=directory,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._wait()

    def _wait(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"virtuoso-t exited with {self.process.returncode}")
            try:
                if requests.get(self.sparql_url, params={"query": "ASK {}"}, timeout=2).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError("virtuoso did not come up")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
