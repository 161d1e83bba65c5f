#!/usr/bin/env python3
"""Measures Litestream 0.5's memory and CPU with many tenant databases
replicating to a real SeaweedFS `weed mini` on loopback (issue 14).

Driven by scripts/measure-litestream.sh; Python 3.11 standard library only.

Per run:
1. `weed mini` on free loopback ports with a bucket and credentials (from
   the environment given to it and to Litestream; AWS_CA_BUNDLE removed,
   Litestream refuses to start with it).
2. N tenant databases: one real tenant created by `meldkluis-server tenant
   create` (all migrations, default questionnaire), copied to
   tenants/tNNNNN/tenant.sqlite as the server lays them out.
3. P Litestream processes; tenant -> process by the server's stable hash
   of the tenant id (FNV-1a 64 mod P). The databases reach
   Litestream either through the control socket (POST /register, what the
   server does), a config file listing every database (`dbs:` with `path:`),
   or a directory config (`dir:` + `pattern:` + `watch:`).
4. Time to register all and until every database has its first replica sync
   (GET /list: last_sync_at), then an idle phase and a write phase: an
   open-loop rate of writes to random tenants (a sealed-report-sized row
   with its recipients, synchronous=FULL), each followed by
   POST /sync {"wait": true}, as the server's acknowledgement gate does.
   Litestream's RSS (VmRSS), peak (VmHWM), CPU (utime + stime from
   /proc/PID/stat) and open files are sampled every second.

Prints a table and writes the raw figures as JSON.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import json
import os
import random
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")
BUCKET = "meldkluis"
ACCESS_KEY = "measure-litestream"
SECRET_KEY = "measure-litestream-secret"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# --- processes ------------------------------------------------------------


def free_ports(n: int) -> list[int]:
    """n distinct free loopback ports, each with port+10000 free too (weed's
    components dial some gRPC ports at http port + 10000)."""
    ports: list[int] = []
    held = []
    while len(ports) < n:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        p = s.getsockname()[1]
        if p + 10000 > 65535 or p in ports or p + 10000 in ports:
            s.close()
            continue
        t = socket.socket()
        try:
            t.bind(("127.0.0.1", p + 10000))
        except OSError:
            s.close()
            t.close()
            continue
        held += [s, t]
        ports.append(p)
    for s in held:
        s.close()
    return ports


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("AWS_CA_BUNDLE", None)
    env["AWS_ACCESS_KEY_ID"] = ACCESS_KEY
    env["AWS_SECRET_ACCESS_KEY"] = SECRET_KEY
    return env


def raise_nofile(limit: int):
    def pre_exec() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

    return pre_exec


def wait_until(what: str, check, timeout: float, interval: float = 0.05):
    """Polls `check` until it returns a true value (returned) or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        time.sleep(interval)


class Weed:
    """`weed mini` on loopback: master, volume, filer, S3 (admin UI, WebDAV,
    Iceberg and Lance off; telemetry off)."""

    def __init__(self, weed: Path, work: Path):
        self.dir = work / "weed"
        self.dir.mkdir()
        (m, v, f, s3, a) = free_ports(5)
        self.s3_port = s3
        self.endpoint = f"http://127.0.0.1:{s3}"
        args = [
            str(weed), "mini", f"-dir={self.dir}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-master.port={m}", f"-master.port.grpc={m + 10000}",
            f"-volume.port={v}", f"-volume.port.grpc={v + 10000}",
            f"-filer.port={f}", f"-filer.port.grpc={f + 10000}",
            f"-s3.port={s3}", f"-s3.port.grpc={s3 + 10000}",
            f"-admin.port={a}", f"-admin.port.grpc={a + 10000}", "-admin.ui=false",
            "-webdav=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
            "-master.telemetry=false", f"-bucket={BUCKET}",
        ]
        self.log = open(work / "weed.log", "wb")
        self.proc = subprocess.Popen(args, env=child_env(), stdout=self.log, stderr=subprocess.STDOUT)
        # Ready when the S3 gateway answers for the bucket (403 without a
        # signature: it exists and wants credentials).
        wait_until("weed mini S3 gateway", self._bucket_ready, 60, 0.2)

    def _bucket_ready(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"weed mini exited with {self.proc.returncode}")
        try:
            c = http.client.HTTPConnection("127.0.0.1", self.s3_port, timeout=2)
            c.request("HEAD", f"/{BUCKET}")
            status = c.getresponse().status
            c.close()
            return status in (200, 403)
        except OSError:
            return False

    def replica_url(self, path: str) -> str:
        return (
            f"s3://{BUCKET}/{path}?endpoint={self.endpoint}"
            "&region=us-east-1&force-path-style=true"
        )

    def stop(self) -> None:
        stop(self.proc)
        self.log.close()


def stop(proc: subprocess.Popen, timeout: float = 30) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


class Litestream:
    """One `litestream replicate` with its control socket."""

    def __init__(self, binary: Path, work: Path, index: int, dbs_yaml: str, nofile: int):
        self.socket = str(work / f"litestream-{index}.sock")
        self.config = work / f"litestream-{index}.yml"
        self.config.write_text(
            "socket:\n"
            "  enabled: true\n"
            f"  path: {self.socket}\n"
            "logging:\n"
            "  level: warn\n"
            + dbs_yaml
        )
        self.log = open(work / f"litestream-{index}.log", "wb")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [str(binary), "replicate", "-config", str(self.config)],
            env=child_env(),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            preexec_fn=raise_nofile(nofile),
        )
        self.pid = self.proc.pid

    def wait_socket(self, timeout: float) -> float:
        """Seconds from start until the control socket answers (Litestream
        opens it after every configured database is open)."""
        def ready():
            if self.proc.poll() is not None:
                raise RuntimeError(f"litestream exited with {self.proc.returncode}: see {self.log.name}")
            try:
                self.request("GET", "/info", None, 2)
                return True
            except OSError:
                return False

        wait_until("litestream control socket", ready, timeout, 0.05)
        return time.monotonic() - self.started

    def request(self, method: str, path: str, body: dict | None, timeout: float) -> tuple[int, dict]:
        c = UnixHTTPConnection(self.socket, timeout)
        try:
            data = json.dumps(body).encode() if body is not None else None
            headers = {"Connection": "close"}
            if data is not None:
                headers["Content-Type"] = "application/json"
            c.request(method, path, body=data, headers=headers)
            r = c.getresponse()
            raw = r.read()
            try:
                answer = json.loads(raw) if raw else {}
            except ValueError:
                answer = {"raw": raw.decode(errors="replace")}
            return r.status, answer
        finally:
            c.close()

    def stop(self) -> None:
        stop(self.proc, 60)
        self.log.close()


# --- sampling -------------------------------------------------------------


def proc_sample(pid: int) -> dict:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state): utime = field 14, stime = 15, threads = 20.
    cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK
    threads = int(fields[17])
    status = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                status[key] = int(value.split()[0])
    try:
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        fds = -1
    return {
        "t": time.monotonic(),
        "cpu_s": cpu,
        "rss_kib": status.get("VmRSS", 0),
        "hwm_kib": status.get("VmHWM", 0),
        "threads": threads,
        "fds": fds,
    }


class Sampler(threading.Thread):
    """Samples every process each second, tagging samples with the phase."""

    def __init__(self, pids: dict[str, int]):
        super().__init__(daemon=True)
        self.pids = pids
        self.phase = "start"
        self.samples: list[dict] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            t = {"phase": self.phase, "procs": {}}
            for name, pid in self.pids.items():
                try:
                    t["procs"][name] = proc_sample(pid)
                except OSError:
                    pass
            self.samples.append(t)
            self.stopping.wait(1.0)

    def mark(self, phase: str) -> None:
        self.phase = phase
        # A sample at each boundary, so CPU over the phase is exact.
        t = {"phase": phase, "procs": {}}
        for name, pid in self.pids.items():
            try:
                t["procs"][name] = proc_sample(pid)
            except OSError:
                pass
        self.samples.append(t)

    def phase_figures(self, phase: str, names: list[str]) -> dict:
        """Summed over `names`: RSS at the end and largest, peak (VmHWM),
        CPU seconds per minute, fds at the end."""
        rows = [s for s in self.samples if s["phase"] == phase and all(n in s["procs"] for n in names)]
        if len(rows) < 2:
            return {}
        first, last = rows[0], rows[-1]
        secs = last["procs"][names[0]]["t"] - first["procs"][names[0]]["t"]
        cpu = sum(last["procs"][n]["cpu_s"] - first["procs"][n]["cpu_s"] for n in names)
        return {
            "seconds": round(secs, 1),
            "cpu_s_per_min": round(cpu / secs * 60, 2) if secs > 0 else None,
            "rss_mib_end": round(sum(last["procs"][n]["rss_kib"] for n in names) / 1024, 1),
            "rss_mib_max": round(max(sum(r["procs"][n]["rss_kib"] for n in names) for r in rows) / 1024, 1),
            "hwm_mib": round(sum(last["procs"][n]["hwm_kib"] for n in names) / 1024, 1),
            "fds_end": sum(last["procs"][n]["fds"] for n in names),
            "threads_end": sum(last["procs"][n]["threads"] for n in names),
        }


# --- tenant databases -----------------------------------------------------


def make_tenants(server_bin: Path, template: Path | None, work: Path, n: int) -> list[tuple[str, Path]]:
    """One real tenant from the server CLI (or `template`, a tenant.sqlite),
    copied to n tenant directories."""
    if template is None:
        data = work / "data"
        config = work / "server.toml"
        config.write_text(f'data_dir = "{data}"\n')
        subprocess.run(
            [str(server_bin), "--config", str(config), "tenant", "create", "template", "--name", "Template"],
            check=True,
            stdout=subprocess.DEVNULL,
            env={**os.environ, "MELDKLUIS_LOG": "warn"},
        )
        template = data / "tenants" / "template" / "tenant.sqlite"
    with sqlite3.connect(template) as c:
        mode = c.execute("PRAGMA journal_mode").fetchone()[0]
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    if mode != "wal":
        raise RuntimeError(f"template tenant database is in {mode} mode, not WAL")
    tenants = []
    root = work / "tenants"
    for i in range(n):
        tid = f"t{i:05d}"
        d = root / tid
        d.mkdir(parents=True)
        shutil.copyfile(template, d / "tenant.sqlite")
        tenants.append((tid, d / "tenant.sqlite"))
    return tenants


def owner(tenant: str, processes: int) -> int:
    """The Litestream process of `tenant`: FNV-1a (64 bit) of the id modulo
    the number of processes, as the server's `[replication]
    litestream_sockets` spreads tenants (server/src/replication/mod.rs)."""
    h = 0xCBF29CE484222325
    for b in tenant.encode():
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h % processes


def write_report(db: Path) -> None:
    """One sealed-report-sized row with four recipients, durable, as the
    server's report insert writes it."""
    c = sqlite3.connect(db, timeout=30, isolation_level=None)
    try:
        c.execute("PRAGMA synchronous=FULL")
        c.execute("BEGIN IMMEDIATE")
        rid = os.urandom(16)
        c.execute(
            "INSERT INTO reports (id, mailbox_id, mailbox_key, auth_hash, item, padded_len, created_day)"
            " VALUES (?, ?, ?, ?, ?, ?, '2026-12-01')",
            (rid, os.urandom(16), os.urandom(32), os.urandom(32), os.urandom(4736), 4736),
        )
        for _ in range(4):
            c.execute("INSERT INTO report_recipients (report_id, public_key) VALUES (?, ?)", (rid, os.urandom(32)))
        c.execute("COMMIT")
    finally:
        c.close()


# --- phases ---------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * q))]


def ms(v: float | None) -> float | None:
    return None if v is None else round(v * 1000, 2)


@dataclass
class RunResult:
    tenants: int
    processes: int
    mode: str
    figures: dict = field(default_factory=dict)
    samples: list = field(default_factory=list)


def register_all(procs: list[Litestream], tenants, weed: Weed, workers: int) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def one(item):
        tid, path = item
        ls = procs[owner(tid, len(procs))]
        t0 = time.monotonic()
        try:
            status, answer = ls.request(
                "POST", "/register", {"path": str(path), "replica_url": weed.replica_url(f"replica/tenants/{tid}")}, 60
            )
        except OSError as e:
            status, answer = 0, {"error": f"{type(e).__name__}: {e}"}
        dt = time.monotonic() - t0
        with lock:
            if status == 200 and answer.get("status") in ("registered", "already_registered"):
                latencies.append(dt)
            else:
                errors.append(f"{tid}: {status} {answer}")

    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, tenants))
    return {
        "register_secs": round(time.monotonic() - t0, 2),
        "register_p50_ms": ms(percentile(latencies, 0.5)),
        "register_p99_ms": ms(percentile(latencies, 0.99)),
        "register_errors": len(errors),
        "register_error_examples": errors[:5],
    }


def wait_first_sync(procs: list[Litestream], n: int, timeout: float, stall: float = 90) -> dict:
    """Until GET /list shows a last_sync_at for every database (their first
    snapshot is in the object store), or no more for `stall` seconds (a
    Litestream out of file descriptors stops syncing and answering)."""
    t0 = time.monotonic()
    progress_at, best = t0, -1

    def synced() -> int:
        total = 0
        for ls in procs:
            try:
                status, answer = ls.request("GET", "/list", None, 120)
            except OSError:
                continue
            if status == 200:
                total += sum(1 for d in answer.get("databases", []) if d.get("last_sync_at"))
        return total

    done = 0
    while time.monotonic() - t0 < timeout:
        done = synced()
        if done >= n:
            break
        if done > best:
            progress_at, best = time.monotonic(), done
        elif time.monotonic() - progress_at > stall:
            log(f"first sync stalled at {best} of {n} databases")
            break
        time.sleep(1)
    return {
        "first_sync_all_secs": round(time.monotonic() - t0, 1) if done >= n else None,
        "first_synced": max(done, best),
    }


def write_load(procs, tenants, rate: float, secs: float, workers: int, sync_timeout: int) -> dict:
    """Open loop: a write every 1/rate s to a random tenant, then its sync wait."""
    write_lat: list[float] = []
    sync_lat: list[float] = []
    total_lat: list[float] = []
    late: list[float] = []
    errors: list[str] = []
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    rng = random.Random(14)

    def one(scheduled: float, tid: str, path: Path) -> None:
        start = time.monotonic()
        try:
            write_report(path)
            written = time.monotonic()
            status, answer = procs[owner(tid, len(procs))].request(
                "POST", "/sync", {"path": str(path), "wait": True, "timeout": sync_timeout}, sync_timeout + 5
            )
            done = time.monotonic()
        except Exception as e:  # noqa: BLE001 - counted and reported
            with lock:
                errors.append(f"{tid}: {type(e).__name__}: {e}")
            return
        with lock:
            late.append(start - scheduled)
            write_lat.append(written - start)
            if status == 200:
                sync_lat.append(done - written)
                total_lat.append(done - scheduled)
                statuses[answer.get("status", "?")] = statuses.get(answer.get("status", "?"), 0) + 1
            else:
                errors.append(f"{tid}: sync {status} {answer}")

    t0 = time.monotonic()
    count = int(rate * secs)
    pool = concurrent.futures.ThreadPoolExecutor(workers)
    try:
        futures = []
        for i in range(count):
            at = t0 + i / rate
            delay = at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            tid, path = tenants[rng.randrange(len(tenants))]
            futures.append(pool.submit(one, at, tid, path))
        # The phase ends on time: writes still queued behind busy writers
        # (Litestream slower than the offered rate) are not started.
        not_started = sum(f.cancel() for f in futures)
        concurrent.futures.wait(futures)
    finally:
        # Stopped (signal) or not, queued writes are dropped, not waited for.
        pool.shutdown(wait=True, cancel_futures=True)
    elapsed = time.monotonic() - t0
    return {
        "writes_offered": count,
        "writes_not_started": not_started,
        "writes_synced": len(sync_lat),
        "writes_per_sec": round(len(sync_lat) / elapsed, 1),
        "write_p50_ms": ms(percentile(write_lat, 0.5)),
        "write_p99_ms": ms(percentile(write_lat, 0.99)),
        "sync_p50_ms": ms(percentile(sync_lat, 0.5)),
        "sync_p99_ms": ms(percentile(sync_lat, 0.99)),
        "sync_max_ms": ms(max(sync_lat) if sync_lat else None),
        "write_and_sync_p99_ms": ms(percentile(total_lat, 0.99)),
        "start_late_p99_ms": ms(percentile(late, 0.99)),
        "sync_statuses": statuses,
        "load_errors": len(errors),
        "load_error_examples": errors[:5],
    }


def dir_size(path: Path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(root, f)).st_size
            except OSError:
                pass
    return total


def run(args, n: int, processes: int, mode: str) -> RunResult:
    result = RunResult(n, processes, mode)
    work = Path(tempfile.mkdtemp(prefix=f"measure-litestream-{n}-", dir=args.tmpdir))
    log(f"run: {n} tenants, {processes} Litestream process(es), databases via {mode}; in {work}")
    weed = None
    procs: list[Litestream] = []
    sampler = None
    try:
        weed = Weed(args.weed, work)
        tenants = make_tenants(args.server_bin, args.template, work, n)
        log(f"{n} tenant databases made ({dir_size(work / 'tenants') / 2**20:.0f} MiB)")
        # Litestream polls every database (WAL) and its replica once per
        # interval (1 s by default); a configured database can poll less,
        # one registered over the socket cannot (0.5.17 takes no settings
        # with POST /register).
        tuning = f"    monitor-interval: {args.monitor_interval}\n" if args.monitor_interval else ""
        replica_tuning = f"      sync-interval: {args.sync_interval}\n" if args.sync_interval else ""
        if mode == "socket" and (tuning or replica_tuning):
            raise ValueError("--monitor-interval and --sync-interval need --mode config or dir")
        result.figures["monitor_interval"] = args.monitor_interval or "1s (default)"
        result.figures["sync_interval"] = args.sync_interval or "1s (default)"
        for i in range(processes):
            mine = [(t, p) for (t, p) in tenants if owner(t, processes) == i]
            if mode == "socket":
                dbs = "dbs: []\n"
            elif mode == "config":
                dbs = "dbs:\n" + "".join(
                    f"  - path: {p}\n{tuning}    replica:\n      url: \"{weed.replica_url(f'replica/tenants/{t}')}\"\n"
                    f"{replica_tuning}"
                    for (t, p) in mine
                )
            elif mode == "dir":
                if processes != 1:
                    raise ValueError("the directory config is one process per directory")
                dbs = (
                    "dbs:\n"
                    f"  - dir: {work / 'tenants'}\n"
                    "    pattern: \"tenant.sqlite\"\n"
                    "    recursive: true\n"
                    "    watch: true\n"
                    f"{tuning}"
                    f"    replica:\n      url: \"{weed.replica_url('replica/tenants')}\"\n"
                    f"{replica_tuning}"
                )
            else:
                raise ValueError(mode)
            procs.append(Litestream(args.litestream, work, i, dbs, args.nofile))
        open_secs = [ls.wait_socket(args.register_timeout) for ls in procs]
        result.figures["startup_secs"] = round(max(open_secs), 2)
        pids = {f"litestream-{i}": ls.pid for i, ls in enumerate(procs)}
        pids["weed"] = weed.proc.pid
        sampler = Sampler(pids)
        sampler.start()
        names = [f"litestream-{i}" for i in range(processes)]

        sampler.mark("register")
        result.figures["base_rss_mib"] = round(
            sum(sampler.samples[-1]["procs"][n]["rss_kib"] for n in names) / 1024, 1
        )
        if mode == "socket":
            result.figures.update(register_all(procs, tenants, weed, args.register_workers))
        else:
            result.figures["register_secs"] = result.figures["startup_secs"]
        counts = []
        for ls in procs:
            status, info = ls.request("GET", "/info", None, 30)
            counts.append(info.get("database_count") or 0)
        result.figures["database_counts"] = counts
        log(f"registered: {result.figures.get('register_secs')} s; databases per process {counts}")
        if sum(counts) < n:
            log(f"only {sum(counts)} of {n} databases registered: {result.figures.get('register_error_examples')}")
        result.figures.update(wait_first_sync(procs, sum(counts), args.register_timeout))
        log(f"first sync of all: {result.figures.get('first_sync_all_secs')} s")
        result.figures["after_register"] = sampler.phase_figures("register", names)

        sampler.mark("idle")
        time.sleep(args.idle_secs)  # the idle phase is a fixed measuring window
        sampler.mark("load")
        result.figures["idle"] = sampler.phase_figures("idle", names)
        result.figures["weed_idle"] = sampler.phase_figures("idle", ["weed"])
        log(f"idle: {result.figures['idle']}")
        result.figures["load"] = write_load(
            procs, tenants, args.rate, args.load_secs, args.load_workers, args.sync_timeout
        )
        sampler.mark("after")
        result.figures["load"].update(sampler.phase_figures("load", names))
        result.figures["weed_load"] = sampler.phase_figures("load", ["weed"])
        log(f"load: {result.figures['load']}")
        for i, ls in enumerate(procs):
            if ls.proc.poll() is not None:
                result.figures.setdefault("exited", []).append(f"litestream-{i}: {ls.proc.returncode}")
        result.figures["disk_mib"] = {
            "tenants_and_litestream_meta": round(dir_size(work / "tenants") / 2**20, 1),
            "object_store": round(dir_size(work / "weed") / 2**20, 1),
        }
        result.figures["litestream_log_lines"] = []
        for ls in procs:
            ls.log.flush()
            lines = Path(ls.log.name).read_text(errors="replace").splitlines()
            result.figures["litestream_log_lines"].append(len(lines))
            result.figures.setdefault("litestream_log_examples", []).extend(
                [l[:300] for l in lines if "no databases specified" not in l][:3]
            )
        result.samples = sampler.samples
    finally:
        if sampler:
            sampler.stopping.set()
        for ls in procs:
            ls.stop()
        if weed:
            weed.stop()
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return result


def table(results: list[RunResult]) -> str:
    head = (
        f"{'tenants':>7} {'procs':>5} {'via':>6} | {'reg s':>6} {'1st sync s':>10} | "
        f"{'idle RSS MiB':>12} {'KiB/db':>6} {'idle CPU s/min':>14} | "
        f"{'load RSS MiB':>12} {'peak MiB':>8} {'load CPU s/min':>14} {'writes/s':>8} "
        f"{'sync p50':>8} {'sync p99':>8} {'errors':>6} | {'fds':>6}"
    )
    lines = [head, "-" * len(head)]
    for r in results:
        f = r.figures
        idle, load = f.get("idle", {}), f.get("load", {})
        # Whole RSS over the databases: with a config, the first sample is
        # taken with every database already open, so there is no empty base.
        per_db = idle.get("rss_mib_end", 0) * 1024 / r.tenants if idle else 0
        errors = f.get("register_errors", 0) + load.get("load_errors", 0)
        lines.append(
            f"{r.tenants:>7} {r.processes:>5} {r.mode + ('' if f.get('monitor_interval', '1s (default)') == '1s (default)' else '*'):>6} | {f.get('register_secs', '-'):>6} "
            f"{str(f.get('first_sync_all_secs')):>10} | {idle.get('rss_mib_end', '-'):>12} {per_db:>6.0f} "
            f"{idle.get('cpu_s_per_min', '-'):>14} | {load.get('rss_mib_end', '-'):>12} "
            f"{load.get('hwm_mib', '-'):>8} {load.get('cpu_s_per_min', '-'):>14} "
            f"{load.get('writes_per_sec', '-'):>8} {str(load.get('sync_p50_ms')):>8} "
            f"{str(load.get('sync_p99_ms')):>8} {errors:>6} | {idle.get('fds_end', '-'):>6}"
        )
    return "\n".join(lines)


def main() -> int:
    # Stopped by a signal, still stop weed and Litestream and remove the
    # temporary directory (the `finally` in run); a shell's background job
    # would otherwise ignore SIGINT.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    here = Path(__file__).resolve().parent.parent
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tenants", type=int, nargs="+", default=[1000], help="tenant counts to run")
    p.add_argument("--processes", type=int, nargs="+", default=[1], help="Litestream processes per run")
    p.add_argument("--mode", nargs="+", default=["socket"], choices=["socket", "config", "dir"])
    p.add_argument("--idle-secs", type=float, default=60)
    p.add_argument("--load-secs", type=float, default=60)
    p.add_argument("--rate", type=float, default=200, help="writes per second in the load phase")
    p.add_argument("--load-workers", type=int, default=64, help="concurrent writers")
    p.add_argument("--register-workers", type=int, default=4)
    p.add_argument("--register-timeout", type=float, default=1800)
    p.add_argument("--monitor-interval", default=None, help="config/dir modes: each database's monitor-interval (e.g. 10s)")
    p.add_argument("--sync-interval", default=None, help="config/dir modes: each replica's sync-interval (e.g. 10s)")
    p.add_argument("--sync-timeout", type=int, default=5, help="POST /sync timeout, seconds")
    p.add_argument(
        "--nofile", type=int, default=resource.getrlimit(resource.RLIMIT_NOFILE)[1],
        help="Litestream's open-files limit (default: this process's hard limit)",
    )
    p.add_argument("--server-bin", type=Path, default=here / "target/release/meldkluis-server")
    p.add_argument("--template", type=Path, default=None, help="a tenant.sqlite to copy instead of creating one")
    p.add_argument("--litestream", type=Path, default=here / ".tools/py/bin/litestream")
    p.add_argument("--weed", type=Path, default=here / ".tools/py/bin/weed")
    p.add_argument("--tmpdir", default=None)
    p.add_argument("--out", type=Path, default=None, help="raw results (JSON); default target/measure-litestream-*.json")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = p.parse_args()

    out = args.out or here / "target" / f"measure-litestream-{time.strftime('%Y%m%dT%H%M%S')}.json"
    results = []
    for n in args.tenants:
        for procs in args.processes:
            for mode in args.mode:
                if mode == "dir" and procs != 1:
                    continue
                results.append(run(args, n, procs, mode))
                out.write_text(json.dumps([r.__dict__ for r in results], indent=1))
                print(table(results[-1:]), flush=True)
    print()
    print(f"Litestream {subprocess.run([str(args.litestream), 'version'], capture_output=True, text=True).stdout.strip()}, "
          f"{args.rate:.0f} writes/s offered for {args.load_secs:.0f} s after {args.idle_secs:.0f} s idle; "
          f"{os.cpu_count()} cores")
    print(table(results))
    print(f"raw results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
