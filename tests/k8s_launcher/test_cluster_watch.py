"""The informers behind ``wait`` on the real API server: a watch resumed from a version the
server no longer has (etcd compacted it: 410 Gone) lists again and goes on."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from kubernetes import client

from railyard_batch.execution.kubernetes._informer import Gone, Informer
from tests.k8s_cluster import Cluster
from tests.k8s_launcher.cluster_helpers import make_api, wait_until

pytestmark = pytest.mark.k8s
LABEL = "railyard.dev/informer-test"


def config_map(name: str, value: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "labels": {LABEL: value}},
        "data": {"k": "v"},
    }


def test_the_server_answers_a_watch_from_a_compacted_version_with_gone(
    k8s_cluster: Cluster, api: Any, namespace: str
) -> None:
    k8s_cluster.compact_etcd()
    k8s = make_api(api, namespace)
    value = uuid.uuid4().hex[:8]
    informer = Informer(
        k8s,
        k8s.core.list_namespaced_config_map,
        "ConfigMaps",
        f"{LABEL}={value}",
        threading.Event(),
    )
    informer._version = "1"  # compacted away
    with pytest.raises(Gone):
        for event in informer._events():
            informer._apply(event)


def test_an_informer_resumed_from_a_compacted_version_lists_again_and_follows(
    k8s_cluster: Cluster, api: Any, namespace: str
) -> None:
    k8s = make_api(api, namespace)
    core = client.CoreV1Api(api)
    value = uuid.uuid4().hex[:8]
    core.create_namespaced_config_map(namespace, config_map("before", value))
    changed = threading.Event()
    informer = Informer(
        k8s, k8s.core.list_namespaced_config_map, "ConfigMaps", f"{LABEL}={value}", changed
    )
    informer._list()
    k8s_cluster.compact_etcd()
    informer._version = "1"  # as if the watch had been away for longer than the server's history
    follower = threading.Thread(target=informer._run, daemon=True)
    follower.start()
    try:
        wait_until("a second list after 410 Gone", lambda: informer.lists >= 2, timeout_s=30)
        core.create_namespaced_config_map(namespace, config_map("after", value))
        core.create_namespaced_config_map(namespace, config_map("unrelated", "other"))
        names = wait_until(
            "the new ConfigMap in the informer",
            lambda: (lambda n: n if "after" in n else None)(
                sorted(o["metadata"]["name"] for o in informer.snapshot())
            ),
            timeout_s=30,
        )
        assert names == ["after", "before"]
        core.delete_namespaced_config_map("before", namespace)
        wait_until(
            "the deletion in the informer",
            lambda: [o["metadata"]["name"] for o in informer.snapshot()] == ["after"],
            timeout_s=30,
        )
        assert informer.error is None
    finally:
        informer.stop()
