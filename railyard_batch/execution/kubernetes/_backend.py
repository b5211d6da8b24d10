"""The Kubernetes backend: the same run plans and worker as the local backend, run as one
Indexed Job per run (Hydra job), one pod per shard."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from railyard_batch.execution.backends.base import Executed, Execution
from railyard_batch.execution.kubernetes._api import Api, connect, default_namespace
from railyard_batch.execution.kubernetes._claims import Claims, claim_for_jobs
from railyard_batch.execution.kubernetes._names import ATTACHMENT
from railyard_batch.execution.kubernetes._render import render_sweep
from railyard_batch.execution.kubernetes._settings import KubernetesSettings
from railyard_batch.execution.kubernetes._submit import submit
from railyard_batch.execution.kubernetes._template import to_yaml
from railyard_batch.execution.kubernetes._watch import wait
from railyard_batch.planning.plan import RunPlan
from railyard_batch.recording.artifacts import ArtifactStore
from railyard_batch.recording.leases import Heartbeat, lease_seconds, owner_id
from railyard_batch.recording.outcomes import OutcomeRecorder


class KubernetesBackend:
    """Render, validate, submit (idempotently) and, unless ``settings.wait`` is off, follow
    every Job until it ends, keeping the run store current. A dry run prints the objects
    (multi-document YAML) instead of sending them. With ``settings.schedule``, nothing runs
    now: a CronJob re-runs the command line's ``overrides`` on that schedule."""

    name = "kubernetes"
    # The sweep is not leased to the launcher: its Jobs go on without it, and status and wait
    # reconcile them. Its members are (see _claims.py).
    leased = False

    def __init__(
        self,
        settings: KubernetesSettings,
        *,
        api: Api | None = None,
        out: TextIO | None = None,
        overrides: Sequence[str] | None = None,
    ) -> None:
        self.settings = settings
        self.api = api
        self.out = out
        self.overrides = overrides

    def execute(self, plans: list[RunPlan], recorder: OutcomeRecorder) -> Executed:
        if not plans:
            return Executed(Execution.FINISHED)
        s = self.settings
        if s.schedule is not None:
            from railyard_batch.execution.kubernetes._schedule import schedule_sweep

            done = schedule_sweep(plans, s, self.overrides, api=self.api, out=self.out)
            return Executed(Execution.DRY_RUN if s.dry_run else Execution.SCHEDULED, done)
        if s.dry_run:
            namespace = default_namespace(
                kubeconfig=s.kubeconfig, context=s.context, namespace=s.namespace
            )
            runs = render_sweep(plans, s, namespace=namespace)
            text = to_yaml([o for run in runs for o in run.objects])
            if s.dry_run_output and self.out is None:
                Path(s.dry_run_output).write_text(text)
            else:
                (self.out or sys.stdout).write(text)
            return Executed(Execution.DRY_RUN, "dry run: nothing was submitted")
        api = self.api or connect(kubeconfig=s.kubeconfig, context=s.context, namespace=s.namespace)
        # Members are leased to this launcher (see _claims.py): for the lease, renewed while it
        # waits; for the Jobs' whole deadline when it does not wait (nobody renews them).
        lease = lease_seconds() if s.wait else float(s.active_deadline_seconds)
        owner, claims = owner_id(), Claims()
        url = plans[0].store_url
        heartbeat = Heartbeat(
            url, lambda store: store.renew_members(claims.held(), owner, lease), lease / 3
        )
        with heartbeat:
            # Claiming is coordination between sweeps (who trains which member), not a record
            # of an outcome: it is made here, where the pods are sent from.
            narrowed = claim_for_jobs(
                plans,
                recorder.store,
                owner=owner,
                lease_s=lease,
                poll_s=s.poll_seconds,
                claims=claims,
            )
            for before, after in zip(plans, narrowed, strict=True):
                if after is not before:  # status and wait follow the shards the pods run
                    after.save()
            return self._submit(api, narrowed, recorder)

    def _submit(self, api: Api, plans: list[RunPlan], recorder: OutcomeRecorder) -> Executed:
        s = self.settings
        runs = render_sweep(plans, s, namespace=api.namespace)
        write_attachment(plans, s, api.namespace, [run.name for run in runs])
        submit(api, runs)
        sweep_id = plans[0].sweep_id
        err = sys.stderr
        if not s.wait:
            print(
                f"Submitted {len(runs)} Job(s) of sweep {sweep_id} to namespace {api.namespace}. "
                f"Follow it with: railyard-batch status {sweep_id} (or wait {sweep_id})",
                file=err,
            )
            # Nothing submitted (every member cached): the sweep is over.
            return Executed(Execution.SUBMITTED if runs else Execution.FINISHED)
        try:
            wait(
                api,
                plans,
                recorder,
                poll_seconds=s.poll_seconds,
                progress=s.progress,
                image_pull_timeout_s=s.image_pull_timeout_seconds,
            )
        except KeyboardInterrupt:
            print(
                f"\nStopped waiting; the Jobs of sweep {sweep_id} keep running in namespace "
                f"{api.namespace}. Re-attach with: railyard-batch wait {sweep_id}",
                file=err,
            )
            raise
        return Executed(Execution.FINISHED)


def write_attachment(
    plans: list[RunPlan], settings: KubernetesSettings, namespace: str, jobs: list[str]
) -> None:
    """Where the sweep's Jobs are, next to its plans in the artifact store: what ``status``,
    ``wait`` and ``cancel`` read to re-attach."""
    record: dict[str, Any] = {
        "namespace": namespace,
        "context": settings.context,
        "kubeconfig": settings.kubeconfig,
        "jobs": jobs,
        "settings": asdict(settings),
    }
    ArtifactStore(plans[0].artifact_root).put(
        f"{plans[0].sweep_id}/{ATTACHMENT}", json.dumps(record, indent=2).encode()
    )
