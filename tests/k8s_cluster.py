"""A real Kubernetes control plane on 127.0.0.1, for tests (issue 3).

It runs etcd, kube-apiserver (RBAC on), kube-controller-manager, kube-scheduler
and the KWOK controller as local processes. KWOK fakes the nodes and drives pod
status through the stage files in ``scripts/k8s/stages``: no container ever runs.
The binaries come from ``scripts/k8s-control-plane build``.

    cluster = Cluster.create(state_dir)    # or: python tests/k8s_cluster.py up
    cluster.up()
    api = cluster.api_client()             # a kubernetes.client.ApiClient
    cluster.restart_apiserver()
    cluster.down()

Everything lives in the state directory: certificates, the kubeconfig (never
``~/.kube/config``), etcd data, one log file and one pid file per component.
Only the standard library is needed to bring the cluster up; ``api_client()``
imports the ``kubernetes`` package.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
SCRIPT = REPO_ROOT / "scripts" / "k8s-control-plane"
STAGES_DIR = REPO_ROOT / "scripts" / "k8s" / "stages"

# Pods with this label fail (see scripts/k8s/stages/pod-fail.yaml); the annotations
# choose the exit code and the reason of the failure.
FAIL_LABEL = "pod-container-running-failed.stage.kwok.x-k8s.io"
FAIL_EXIT_CODE_ANNOTATION = f"{FAIL_LABEL}/exit-code"
FAIL_REASON_ANNOTATION = f"{FAIL_LABEL}/reason"
FAIL_MESSAGE_ANNOTATION = f"{FAIL_LABEL}/message"
# How long a Job's pod runs before it succeeds, as a Go duration such as "8s" (default 300ms).
RUN_FOR_ANNOTATION = "railyard.test/run-for"
# Pods with this label wait for their image forever (scripts/k8s/stages/pod-image-pull-fail.yaml).
IMAGE_PULL_FAILS_LABEL = "railyard.test/image-pull-fails"

POOL_LABEL = "railyard.test/pool"
GPU_RESOURCE = "nvidia.com/gpu"
GPU_LABEL = "nvidia.com/gpu.present"
GPU_TAINT = {"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}
KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node"

COMPONENTS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
START_TIMEOUT_S = 120.0


class ClusterError(RuntimeError):
    """The control plane could not be built, started or reached."""


@dataclasses.dataclass(frozen=True)
class FakeNode:
    """A KWOK node: a Node object with made-up capacity and no kubelet behind it."""

    name: str
    pool: str
    cpu: str
    memory: str
    gpus: int = 0

    def manifest(self) -> dict[str, Any]:
        resources = {"cpu": self.cpu, "memory": self.memory, "pods": "110"}
        labels = {POOL_LABEL: self.pool, "type": "kwok", "kubernetes.io/hostname": self.name}
        spec: dict[str, Any] = {}
        if self.gpus:
            resources[GPU_RESOURCE] = str(self.gpus)
            labels[GPU_LABEL] = "true"
            spec["taints"] = [GPU_TAINT]
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": self.name,
                "labels": labels,
                "annotations": {KWOK_NODE_ANNOTATION: "fake"},
            },
            "spec": spec,
            "status": {"capacity": resources, "allocatable": resources},
        }


NODES = (
    FakeNode("cpu-0", pool="cpu", cpu="8", memory="32Gi"),
    FakeNode("cpu-1", pool="cpu", cpu="8", memory="32Gi"),
    FakeNode("cpu-2", pool="cpu", cpu="8", memory="32Gi"),
    FakeNode("highmem-0", pool="highmem", cpu="16", memory="512Gi"),
    FakeNode("gpu-0", pool="gpu", cpu="32", memory="256Gi", gpus=8),
    FakeNode("gpu-1", pool="gpu", cpu="32", memory="256Gi", gpus=8),
)


# ---------------------------------------------------------------------------
# Binaries


def bin_dir() -> Path:
    """The cache directory that holds (or will hold) the control-plane binaries."""
    if os.environ.get("RAILYARD_K8S_BIN_DIR"):
        return Path(os.environ["RAILYARD_K8S_BIN_DIR"])
    result = subprocess.run([str(SCRIPT), "bin-dir"], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ClusterError(f"`{SCRIPT} bin-dir` failed: {result.stderr.strip()}")
    return Path(result.stdout.strip())


def missing_binaries(directory: Path) -> list[str]:
    return [name for name in COMPONENTS if not os.access(directory / name, os.X_OK)]


def ensure_binaries() -> Path:
    """Returns the binary directory, building the binaries first if any is missing.

    The build prints its progress on this process's stderr. Raises ClusterError if it fails.
    """
    directory = bin_dir()
    if not missing_binaries(directory):
        return directory
    result = subprocess.run([str(SCRIPT), "build"], check=False)
    still_missing = missing_binaries(directory)
    if result.returncode != 0 or still_missing:
        raise ClusterError(
            f"`{SCRIPT} build` failed (exit {result.returncode}, output above); "
            f"missing {still_missing} in {directory}"
        )
    return directory


# ---------------------------------------------------------------------------
# Files the cluster needs: certificates, tokens, kubeconfig


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def write_certificates(pki: Path) -> None:
    """A CA, a serving certificate for 127.0.0.1 signed by it, and the service-account key."""
    pki.mkdir(parents=True, exist_ok=True)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "3650",
             "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=railyard-test-ca",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=pki)  # fmt: skip
    (pki / "serving.ext").write_text(
        "basicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default\n"
        "authorityKeyIdentifier=keyid\n"
    )
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "apiserver.key",
             "-out", "apiserver.csr", "-subj", "/CN=kube-apiserver", cwd=pki)  # fmt: skip
    _openssl("x509", "-req", "-in", "apiserver.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-CAcreateserial", "-days", "3650", "-extfile", "serving.ext",
             "-out", "apiserver.crt", cwd=pki)  # fmt: skip
    _openssl("genrsa", "-out", "service-account.key", "2048", cwd=pki)


def kubeconfig_document(server: str, ca_file: Path, token: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "railyard-test",
                "cluster": {"server": server, "certificate-authority": str(ca_file)},
            }
        ],
        "users": [{"name": "admin", "user": {"token": token}}],
        "contexts": [
            {"name": "railyard-test", "context": {"cluster": "railyard-test", "user": "admin"}}
        ],
        "current-context": "railyard-test",
    }


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"(no {path})"


# ---------------------------------------------------------------------------
# The cluster


@dataclasses.dataclass(frozen=True)
class Ports:
    etcd: int
    etcd_peer: int
    apiserver: int
    controller_manager: int
    scheduler: int
    kwok: int

    @classmethod
    def pick_free(cls) -> Ports:
        return cls(*_free_ports(len(dataclasses.fields(cls))))


class Cluster:
    """One control plane whose files all live in ``state_dir``."""

    def __init__(self, state_dir: Path, binaries: Path, ports: Ports, token: str) -> None:
        self.state_dir = state_dir
        self.binaries = binaries
        self.ports = ports
        self.token = token
        # When true, each component is killed if the thread that started it dies (Linux
        # parent-death signal): a test session killed by a timeout leaves nothing running.
        # Start components from a thread that outlives the cluster, e.g. the main thread.
        self.die_with_starter = False
        self._children: dict[str, subprocess.Popen[bytes]] = {}

    # -- construction ------------------------------------------------------

    @classmethod
    def create(cls, state_dir: Path, binaries: Path | None = None) -> Cluster:
        """A new cluster description (fresh ports and token) saved in an emptied ``state_dir``."""
        if state_dir.exists():
            shutil.rmtree(state_dir)
        state_dir.mkdir(parents=True)
        cluster = cls(state_dir, binaries or bin_dir(), Ports.pick_free(), secrets.token_hex(16))
        cluster._save()
        return cluster

    @classmethod
    def load(cls, state_dir: Path) -> Cluster:
        """The cluster described in ``state_dir`` by an earlier ``create``."""
        try:
            saved = json.loads((state_dir / "cluster.json").read_text())
        except FileNotFoundError:
            raise ClusterError(f"no cluster in {state_dir}") from None
        return cls(state_dir, Path(saved["binaries"]), Ports(**saved["ports"]), saved["token"])

    def _save(self) -> None:
        saved = {
            "binaries": str(self.binaries),
            "ports": dataclasses.asdict(self.ports),
            "token": self.token,
        }
        (self.state_dir / "cluster.json").write_text(json.dumps(saved, indent=2))

    # -- paths ---------------------------------------------------------------

    @property
    def kubeconfig(self) -> Path:
        return self.state_dir / "kubeconfig"

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.ports.apiserver}"

    @property
    def pki(self) -> Path:
        return self.state_dir / "pki"

    def log_path(self, component: str) -> Path:
        return self.state_dir / "logs" / f"{component}.log"

    def _pid_path(self, component: str) -> Path:
        return self.state_dir / f"{component}.pid"

    # -- lifecycle -----------------------------------------------------------

    def up(self) -> None:
        """Starts every component and waits until the cluster can run pods."""
        missing = missing_binaries(self.binaries)
        if missing:
            raise ClusterError(f"missing {missing} in {self.binaries}; run `{SCRIPT} build`")
        self._write_files()
        try:
            self._start("etcd")
            self._wait_for("etcd /health", self._etcd_healthy)
            self._start("kube-apiserver")
            self._wait_for("kube-apiserver /readyz", self._apiserver_ready)
            for component in ("kube-controller-manager", "kube-scheduler", "kwok"):
                self._start(component)
            self._register_nodes()
            self._wait_for("the default ServiceAccount", self._default_service_account_exists)
            self._wait_for("controller-manager and scheduler /healthz", self._controllers_healthy)
            self._wait_for("all nodes Ready", self._nodes_ready)
        except BaseException:
            self.down()
            raise

    def down(self) -> None:
        """Stops every component this cluster started, newest first, then any stray one."""
        for component in reversed(COMPONENTS):
            self._stop(component)
        for pid in self._stray_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def start_apiserver(self) -> None:
        """Starts the stopped API server again; returns once the controllers act again."""
        self._start("kube-apiserver")
        self._wait_for("kube-apiserver /readyz", self._apiserver_ready)
        # The controller manager reconnects with backoff: wait until it acts again (a new
        # namespace gets its default ServiceAccount), so that what follows finds a whole cluster.
        probe = f"probe-{secrets.token_hex(4)}"
        self._request("POST", "/api/v1/namespaces", {"metadata": {"name": probe}})
        self._wait_for(
            "the controller manager after the restart",
            lambda: self._service_account_exists(probe),
        )
        self._request("DELETE", f"/api/v1/namespaces/{probe}")

    def stop_apiserver(self, grace_s: float = 5.0) -> None:
        """Stops the API server: SIGTERM, then SIGKILL after ``grace_s``.

        While clients hold watches open, its graceful shutdown waits for them for up to
        its request timeout (60s), so in practice this is a short drain, then a crash.
        """
        self._stop("kube-apiserver", timeout_s=grace_s)

    def compact_etcd(self) -> int:
        """Compact etcd's history up to its current revision, as the API server itself does
        every 5 minutes: a watch from an older resourceVersion then gets 410 Gone. Returns
        the revision (etcd's v3 JSON gateway, as ``etcdctl compaction`` would)."""
        base = f"http://127.0.0.1:{self.ports.etcd}/v3"

        def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            request = urllib.request.Request(
                f"{base}/{path}", data=json.dumps(body).encode(), method="POST"
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                answer: dict[str, Any] = json.loads(response.read())
                return answer

        revision = int(
            post("kv/range", {"key": base64.b64encode(b"/").decode()})["header"]["revision"]
        )
        post("kv/compaction", {"revision": str(revision), "physical": True})
        return revision

    def restart_apiserver(self) -> None:
        """Stops the API server and starts it again on the same port, with the same etcd."""
        self.stop_apiserver()
        self.start_apiserver()

    def pids(self) -> dict[str, int | None]:
        """The pid of each component; None for those not running."""
        return {component: self._running_pid(component) for component in COMPONENTS}

    def status(self) -> dict[str, bool]:
        """Which components are running."""
        return {component: pid is not None for component, pid in self.pids().items()}

    def api_client(self) -> Any:
        """A ``kubernetes.client.ApiClient`` authenticated as cluster admin."""
        from kubernetes import config

        return config.new_client_from_config(config_file=str(self.kubeconfig))

    # -- files ---------------------------------------------------------------

    def _write_files(self) -> None:
        write_certificates(self.pki)
        (self.state_dir / "logs").mkdir(exist_ok=True)
        (self.pki / "tokens.csv").write_text(f'{self.token},admin,admin,"system:masters"\n')
        document = kubeconfig_document(self.server, self.pki / "ca.crt", self.token)
        self.kubeconfig.write_text(json.dumps(document, indent=2))
        self.kubeconfig.chmod(0o600)

    # -- component command lines ----------------------------------------------

    def _command(self, component: str) -> list[str]:
        binary = str(self.binaries / component)
        arguments = {
            "etcd": self._etcd_arguments,
            "kube-apiserver": self._apiserver_arguments,
            "kube-controller-manager": self._controller_manager_arguments,
            "kube-scheduler": self._scheduler_arguments,
            "kwok": self._kwok_arguments,
        }[component]()
        return [binary, *arguments]

    def _etcd_arguments(self) -> list[str]:
        client = f"http://127.0.0.1:{self.ports.etcd}"
        peer = f"http://127.0.0.1:{self.ports.etcd_peer}"
        return [
            "--name=railyard",
            f"--data-dir={self.state_dir / 'etcd'}",
            f"--listen-client-urls={client}",
            f"--advertise-client-urls={client}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=railyard={peer}",
            "--unsafe-no-fsync=true",
            "--log-level=warn",
        ]

    def _apiserver_arguments(self) -> list[str]:
        pki = self.pki
        return [
            f"--etcd-servers=http://127.0.0.1:{self.ports.etcd}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={self.ports.apiserver}",
            f"--cert-dir={pki}",
            f"--tls-cert-file={pki / 'apiserver.crt'}",
            f"--tls-private-key-file={pki / 'apiserver.key'}",
            f"--client-ca-file={pki / 'ca.crt'}",
            f"--token-auth-file={pki / 'tokens.csv'}",
            "--authorization-mode=RBAC",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={pki / 'service-account.key'}",
            f"--service-account-signing-key-file={pki / 'service-account.key'}",
            "--service-cluster-ip-range=10.96.0.0/16",
            "--allow-privileged=true",
            # The kubernetes Service cannot point at a loopback address; don't try.
            "--endpoint-reconciler-type=none",
            "--enable-priority-and-fairness=false",
            "--max-requests-inflight=0",
            "--max-mutating-requests-inflight=0",
            # ConfigMaps are watched straight from etcd (no watch cache), so a test can make a
            # watch's resourceVersion too old for real: compact etcd (compact_etcd) and the
            # server answers 410 Gone. The launcher watches Jobs and pods, which keep the cache.
            "--watch-cache-sizes=configmaps#0",
        ]

    def _controller_manager_arguments(self) -> list[str]:
        return [
            f"--kubeconfig={self.kubeconfig}",
            "--leader-elect=false",
            "--bind-address=127.0.0.1",
            f"--secure-port={self.ports.controller_manager}",
            f"--service-account-private-key-file={self.pki / 'service-account.key'}",
            f"--root-ca-file={self.pki / 'ca.crt'}",
            "--kube-api-qps=200",
            "--kube-api-burst=400",
        ]

    def _scheduler_arguments(self) -> list[str]:
        return [
            f"--kubeconfig={self.kubeconfig}",
            "--leader-elect=false",
            "--bind-address=127.0.0.1",
            f"--secure-port={self.ports.scheduler}",
        ]

    def _kwok_arguments(self) -> list[str]:
        stages = sorted(STAGES_DIR.glob("*.yaml"))
        return [
            f"--kubeconfig={self.kubeconfig}",
            f"--manage-nodes-with-annotation-selector={KWOK_NODE_ANNOTATION}=fake",
            f"--server-address=127.0.0.1:{self.ports.kwok}",
            "--node-lease-duration-seconds=40",
            *(f"--config={stage}" for stage in stages),
        ]

    # -- processes -------------------------------------------------------------

    def _start(self, component: str) -> None:
        if self._running_pid(component) is not None:
            raise ClusterError(f"{component} of {self.state_dir} is already running")
        command = self._command(component)
        if self.die_with_starter and shutil.which("setpriv"):
            command = ["setpriv", "--pdeathsig", "KILL", "--", *command]
        log_path = self.log_path(component)
        with log_path.open("ab") as log:
            child = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C in the terminal reaches pytest only
            )
        self._children[component] = child
        self._pid_path(component).write_text(str(child.pid))

    def _stray_pids(self) -> list[int]:
        """Our binaries still running with this cluster's state directory in their arguments.

        Every component names a file in it (data dir, cert dir or kubeconfig). Catches one
        whose pid file was lost, e.g. when a session was killed in the middle of a restart.
        """
        binaries, marker = str(self.binaries).encode(), f"{self.state_dir}/".encode()
        pids = []
        for proc in Path("/proc").iterdir():
            try:
                cmdline = (proc / "cmdline").read_bytes() if proc.name.isdigit() else b""
            except OSError:
                continue  # exited meanwhile
            if cmdline.startswith(binaries) and marker in cmdline:
                pids.append(int(proc.name))
        return pids

    def _running_pid(self, component: str) -> int | None:
        """The pid of our running ``component``; None if it isn't running."""
        child = self._children.get(component)
        if child is not None:  # started by this object
            return child.pid if child.poll() is None else None
        try:  # started by another process, e.g. `scripts/k8s-control-plane up`
            pid = int(self._pid_path(component).read_text())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (FileNotFoundError, ValueError):
            return None
        # Guard against a reused pid: it must be our binary.
        return pid if cmdline.startswith(str(self.binaries / component).encode()) else None

    def _stop(self, component: str, timeout_s: float = 20.0) -> None:
        pid = self._running_pid(component)
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):  # it may exit on its own meanwhile
                os.kill(pid, signal.SIGTERM)
                if not self._wait_until_gone(component, timeout_s):
                    os.kill(pid, signal.SIGKILL)
                    self._wait_until_gone(component, timeout_s)
        child = self._children.pop(component, None)
        if child is not None:
            child.wait(timeout=timeout_s)
        self._pid_path(component).unlink(missing_ok=True)

    def _wait_until_gone(self, component: str, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._running_pid(component) is None:
                return True
            time.sleep(0.1)
        return False

    def _wait_for(
        self, what: str, ready: Callable[[], bool], timeout_s: float = START_TIMEOUT_S
    ) -> None:
        """Polls ``ready`` until it is true; fails early, with its log, if a component died."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self._fail_if_a_component_died()
            try:
                if ready():
                    return
            except (OSError, ValueError):  # URLError and HTTPError are OSErrors
                pass  # not listening yet, or not ready
            time.sleep(0.2)
        raise ClusterError(
            f"timed out after {timeout_s:.0f}s waiting for {what}; "
            f"logs in {self.state_dir / 'logs'}"
        )

    def _fail_if_a_component_died(self) -> None:
        for component, child in self._children.items():
            if child.poll() is not None:
                log = self.log_path(component)
                raise ClusterError(
                    f"{component} exited with code {child.returncode}; end of {log}:\n{_tail(log)}"
                )

    # -- talking to the cluster without the kubernetes package -----------------------

    def _ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.pki / "ca.crt"))

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> bytes:
        request = urllib.request.Request(
            self.server + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, context=self._ssl_context(), timeout=5) as response:
            return response.read()

    def _get_json(self, path: str) -> dict[str, Any]:
        return json.loads(self._request("GET", path))

    def _etcd_healthy(self) -> bool:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{self.ports.etcd}/health", timeout=2
        ) as response:
            return json.loads(response.read()).get("health") == "true"

    def _apiserver_ready(self) -> bool:
        return self._request("GET", "/readyz") == b"ok"

    def _default_service_account_exists(self) -> bool:
        return self._service_account_exists("default")

    def _service_account_exists(self, namespace: str) -> bool:
        try:
            self._get_json(f"/api/v1/namespaces/{namespace}/serviceaccounts/default")
            return True
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return False
            raise

    def _controllers_healthy(self) -> bool:
        # Their serving certificates are self-signed; /healthz carries no secrets.
        insecure = ssl.create_default_context()
        insecure.check_hostname = False
        insecure.verify_mode = ssl.CERT_NONE
        for port in (self.ports.controller_manager, self.ports.scheduler):
            with urllib.request.urlopen(
                f"https://127.0.0.1:{port}/healthz", context=insecure, timeout=2
            ) as response:
                if response.read() != b"ok":
                    return False
        return True

    def _register_nodes(self) -> None:
        for node in NODES:
            self._request("POST", "/api/v1/nodes", node.manifest())

    def _nodes_ready(self) -> bool:
        nodes = self._get_json("/api/v1/nodes")["items"]
        ready = {
            node["metadata"]["name"]
            for node in nodes
            for condition in node.get("status", {}).get("conditions", [])
            if condition["type"] == "Ready" and condition["status"] == "True"
        }
        return ready >= {node.name for node in NODES}


# ---------------------------------------------------------------------------
# Command line: scripts/k8s-control-plane up|down|status


def _default_state_dir() -> Path:
    cache = Path(
        os.environ.get("RAILYARD_K8S_CACHE", Path.home() / ".cache" / "railyard-batch" / "k8s")
    )
    return Path(os.environ.get("RAILYARD_K8S_STATE", cache / "clusters" / "default"))


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    state_dir = _default_state_dir()
    if command == "up":
        if (state_dir / "cluster.json").exists() and any(Cluster.load(state_dir).status().values()):
            print(f"a cluster is already running in {state_dir}; run `down` first", file=sys.stderr)
            return 1
        started = time.monotonic()
        cluster = Cluster.create(state_dir, ensure_binaries())
        cluster.up()
        print(
            f"cluster up in {time.monotonic() - started:.1f}s; logs in {state_dir / 'logs'}",
            file=sys.stderr,
        )
        print(f"export KUBECONFIG={cluster.kubeconfig}")
        return 0
    if command == "down":
        Cluster.load(state_dir).down()
        print(f"cluster in {state_dir} stopped", file=sys.stderr)
        return 0
    if command == "status":
        running = Cluster.load(state_dir).status()
        for component, is_running in running.items():
            print(f"{component:25} {'running' if is_running else 'stopped'}")
        return 0 if all(running.values()) else 1
    print("usage: k8s_cluster.py up|down|status", file=sys.stderr)
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except ClusterError as error:
        print(f"ClusterError: {error}", file=sys.stderr)
        sys.exit(1)
