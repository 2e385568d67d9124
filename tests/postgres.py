"""A real, throwaway PostgreSQL server for the tests (Debian's ``postgresql`` package).

The session fixture ``postgresql_url`` runs ``initdb`` into a fresh temp folder, starts the
server with ``pg_ctl`` on a free port of 127.0.0.1 (trust authentication, fsync off), creates
the database ``specc_test`` and yields its SQLAlchemy URL
(``postgresql+psycopg2://postgres@127.0.0.1:PORT/specc_test``); at the end of the session the
server is stopped and the folder removed. ``new_database(url, name)`` makes another database on
the same server (one study database per test).

initdb and pg_ctl refuse to run as root: as root they run as the ``postgres`` OS user (which
Debian's package creates), in a folder that user owns, outside /tmp/pytest-of-root (mode 700).
Without the server binaries, the ``postgres`` user (as root) or psycopg2, the tests that use the
fixture are skipped with the reason; so is a server that does not start (with its log's tail).
Every command has a timeout: nothing here can hang the suite.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

PG_GLOB = "/usr/lib/postgresql/*/bin"
SERVER_USER = "postgres"  # the database superuser initdb creates, and Debian's OS user
DATABASE = "specc_test"
TIMEOUT_S = 60  # any one command (initdb, pg_ctl start/stop, a connection)
INSTALL_HINT = "apt-get install postgresql"


def find_pg_bin() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` that has initdb, pg_ctl and postgres."""
    def version(path: str) -> tuple[int, ...]:
        v = Path(path).parent.name
        return tuple(int(p) for p in re.findall(r"\d+", v)) or (0,)

    for d in sorted(glob.glob(PG_GLOB), key=version, reverse=True):
        if all(os.access(os.path.join(d, exe), os.X_OK)
               for exe in ("initdb", "pg_ctl", "postgres")):
            return Path(d)
    return None


def server_user() -> tuple[int, int] | None:
    """(uid, gid) to run the server as: None when not root (run as ourselves).

    As root, the ``postgres`` OS user's ids; raises LookupError when there is no such user.
    """
    if os.geteuid() != 0:
        return None
    import pwd
    try:
        pw = pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise LookupError(f"running as root and there is no {SERVER_USER!r} OS user "
                          "to run the PostgreSQL server as") from None
    return pw.pw_uid, pw.pw_gid


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_pg(cmd: list[str], ids: tuple[int, int] | None, cwd: Path,
           timeout: float = TIMEOUT_S) -> subprocess.CompletedProcess:
    """Run a PostgreSQL command (as the server user when ``ids`` is given), output captured.

    A clean C-locale environment; raises subprocess.TimeoutExpired past ``timeout``.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "LC_"))}
    env.update(LANG="C", LC_ALL="C")
    kwargs = {}
    if ids is not None:
        uid, gid = ids
        import pwd
        env["HOME"] = pwd.getpwuid(uid).pw_dir
        env["USER"] = env["LOGNAME"] = SERVER_USER
        kwargs = {"user": uid, "group": gid, "extra_groups": []}
    return subprocess.run(cmd, check=False, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout, **kwargs)


def log_tail(path: Path, lines: int = 15) -> str:
    """The last lines of a server log (or a note that there is none)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no server log)"
    return "\n".join(text.strip().splitlines()[-lines:]) or "(empty server log)"


def kill_postmaster(data: Path) -> None:
    """Last resort after a failed stop: SIGKILL the postmaster named in postmaster.pid."""
    try:
        pid = int((data / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGKILL)
    except (OSError, ValueError, IndexError):
        pass


def stop_server(pg_bin: Path, data: Path, ids: tuple[int, int] | None, cwd: Path) -> None:
    """``pg_ctl stop -m fast -w``; if that fails or times out, an immediate stop, then SIGKILL."""
    if not (data / "postmaster.pid").exists():
        return
    for mode in ("fast", "immediate"):
        try:
            r = run_pg([str(pg_bin / "pg_ctl"), "-D", str(data), "-m", mode, "-w",
                        "-t", str(TIMEOUT_S), "stop"], ids, cwd, timeout=TIMEOUT_S + 10)
            if r.returncode == 0:
                return
        except subprocess.TimeoutExpired:
            pass
    kill_postmaster(data)


def connect(url: str):
    """A psycopg2 connection (autocommit) for a ``postgresql[+driver]://`` URL."""
    import psycopg2
    u = urlsplit(url)
    conn = psycopg2.connect(host=u.hostname, port=u.port or 5432, user=u.username or SERVER_USER,
                            password=u.password, dbname=u.path.lstrip("/") or "postgres",
                            connect_timeout=10)
    conn.autocommit = True
    return conn


def new_database(url: str, name: str) -> str:
    """Create database ``name`` on the server of ``url``; return ``url`` pointing at it."""
    from psycopg2 import sql
    conn = connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()
    u = urlsplit(url)
    return urlunsplit((u.scheme, u.netloc, "/" + name, u.query, u.fragment))


def start_server(pg_bin: Path, root: Path, ids: tuple[int, int] | None) -> int:
    """initdb into ``root/data`` and start it on a free port (tries 3 ports); return the port.

    Raises RuntimeError with the command's output or the server log's tail when it fails.
    """
    data, sock, log = root / "data", root / "sock", root / "server.log"
    sock.mkdir()
    if ids is not None:
        os.chown(sock, *ids)
    r = run_pg([str(pg_bin / "initdb"), "-D", str(data), "-U", SERVER_USER, "--auth=trust",
                "-E", "UTF8", "--no-locale", "--no-sync"], ids, root)
    if r.returncode != 0:
        raise RuntimeError(f"initdb failed (exit {r.returncode}):\n{r.stdout[-2000:]}")
    for _ in range(3):
        port = free_port()
        opts = f"-h 127.0.0.1 -p {port} -k {sock} -c fsync=off -c full_page_writes=off"
        try:
            r = run_pg([str(pg_bin / "pg_ctl"), "-D", str(data), "-w", "-t", str(TIMEOUT_S),
                        "-l", str(log), "-o", opts, "start"], ids, root, timeout=TIMEOUT_S + 10)
            ok = r.returncode == 0
        except subprocess.TimeoutExpired:
            ok = False
        if ok:
            return port
        stop_server(pg_bin, data, ids, root)  # a half-started server must not linger
        if "could not bind" not in log_tail(log, 50):
            break  # not a port race: do not retry
    raise RuntimeError(f"the PostgreSQL server did not start; server log:\n{log_tail(log)}")


@pytest.fixture(scope="session")
def postgresql_url():
    """URL of database ``specc_test`` on a real PostgreSQL server that lives for the session."""
    try:
        import psycopg2
    except ImportError:
        pytest.skip("psycopg2 is not installed (pip install psycopg2-binary)")
    pg_bin = find_pg_bin()
    if pg_bin is None:
        pytest.skip(f"PostgreSQL server binaries not found under {PG_GLOB} ({INSTALL_HINT})")
    try:
        ids = server_user()
    except LookupError as e:
        pytest.skip(f"{e} ({INSTALL_HINT})")

    root = Path(tempfile.mkdtemp(prefix="specc-pg-"))  # mode 700, in /tmp (which all can cross)
    if ids is not None:
        os.chown(root, *ids)
    try:
        try:
            port = start_server(pg_bin, root, ids)
        except (RuntimeError, OSError, subprocess.SubprocessError) as e:
            pytest.skip(f"could not start a PostgreSQL server ({pg_bin.parent.name}): {e}")
        base = f"postgresql+psycopg2://{SERVER_USER}@127.0.0.1:{port}/postgres"
        deadline = time.monotonic() + TIMEOUT_S
        while True:  # pg_ctl -w waited for it; a connection may still need a moment
            try:
                url = new_database(base, DATABASE)
                break
            except psycopg2.OperationalError as e:  # while it comes up
                if time.monotonic() > deadline:
                    pytest.skip(f"PostgreSQL server on port {port} does not accept connections: "
                                f"{e}\nserver log:\n{log_tail(root / 'server.log')}")
                time.sleep(0.2)
        yield url
    finally:
        stop_server(pg_bin, root / "data", ids, root)
        shutil.rmtree(root, ignore_errors=True)
