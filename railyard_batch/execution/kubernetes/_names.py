"""Deterministic Kubernetes names and label values.

The same sweep and job always give the same names, so a second submit finds (and adopts) the
Jobs of the first. Names are DNS-1123 labels; Job names stay at most 52 characters so that an
Indexed Job's pod hostname (``<job>-<index>``) also fits in 63.
"""

from __future__ import annotations

import hashlib
import re

SWEEP_LABEL = "railyard.dev/sweep-id"
JOB_NUM_LABEL = "railyard.dev/job-num"
QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
# Next to a sweep's run plans in the artifact store: where its Jobs are (for re-attaching).
ATTACHMENT = "kubernetes.json"
DNS_LABEL_MAX = 63
# Room for "-<index>" (up to 99,999 shards) and "-plan" after a Job name.
JOB_NAME_MAX = 52
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def dns_label(text: str, limit: int = DNS_LABEL_MAX) -> str:
    """``text`` as a DNS-1123 label of at most ``limit`` characters. A text that had to be
    changed or cut keeps a hash of the original, so two different texts never collide."""
    cleaned = re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", text.lower())).strip("-")
    if cleaned == text and len(cleaned) <= limit and cleaned:
        return cleaned
    keep = limit - 9
    return f"{cleaned[:keep].strip('-') or 'x'}-{_digest(text)}"


def is_dns_label(name: str, limit: int = DNS_LABEL_MAX) -> bool:
    return len(name) <= limit and bool(_DNS_LABEL.match(name))


def label_value(text: str) -> str:
    """``text`` as a label value (63 characters of ``[A-Za-z0-9_.-]``, alphanumeric ends)."""
    if len(text) <= DNS_LABEL_MAX and _LABEL_VALUE.match(text):
        return text
    cleaned = re.sub(r"[^A-Za-z0-9_.-]", "-", text).strip("-_.")[: DNS_LABEL_MAX - 9]
    return f"{cleaned.strip('-_.') or 'x'}-{_digest(text)}"


def is_label_value(value: str) -> bool:
    return len(value) <= DNS_LABEL_MAX and bool(_LABEL_VALUE.match(value))


def job_name(sweep_id: str, job_num: int, prefix: str = "railyard") -> str:
    """The Job of one run (Hydra job): ``railyard-<sweep>-<job>``."""
    return dns_label(f"{prefix}-{sweep_id}-{job_num:03d}", JOB_NAME_MAX)


def configmap_name(job: str) -> str:
    return f"{job}-plan"
