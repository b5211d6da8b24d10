"""Following a sweep's Jobs and keeping the run store current.

The sweep's Jobs and pods (by the sweep label) are listed once and then followed by the API
server's watch streams (:mod:`railyard_batch.execution.kubernetes._informer`), so a waiting launcher
costs the server nothing while nothing changes. After each change (at most one pass every
``poll_seconds``), one pass over the local copies, per shard (Job completion index): marks its
members running when its pod runs; when it completes or fails, syncs the outcome files its pod
wrote (:func:`railyard_batch.execution.sync.sync_outcomes`) and records a legible reason for every member
left without an outcome.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from railyard_batch.execution.kubernetes import _names
from railyard_batch.execution.kubernetes._api import Api, KubernetesError
from railyard_batch.execution.kubernetes._indexes import parse_indexes
from railyard_batch.execution.kubernetes._informer import Informer
from railyard_batch.execution.kubernetes._reasons import (
    job_failure_reason,
    pod_failure_reason,
    pod_waiting_reason,
    waits_for_image,
)
from railyard_batch.output.progress import MemberProgress
from railyard_batch.recording.outcomes import OutcomeRecorder
from railyard_batch.recording.store import FINISHED_STATES, MemberOutcome, now

if TYPE_CHECKING:
    from railyard_batch.planning.plan import MemberPlan, RunPlan

INDEX_LABEL = "batch.kubernetes.io/job-completion-index"
# With nothing changing, one pass over the sweep this often all the same (seconds).
IDLE_PASS_S = 30.0


def sweep_selector(sweep_id: str) -> str:
    return f"{_names.SWEEP_LABEL}={_names.label_value(sweep_id)}"


@dataclass
class _Run:
    plan: RunPlan
    job: str
    by_shard: dict[int, list[MemberPlan]]
    running: set[int] = field(default_factory=set)
    done: set[int] = field(default_factory=set)
    finished: bool = False


@dataclass(frozen=True)
class ShardView:
    """What the cluster says about one shard right now."""

    phase: str
    node: str | None
    reason: str | None
    attempts: int


def pods_by_index(pods: list[dict[str, Any]], job: str) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    for pod in pods:
        meta = pod["metadata"]
        if meta.get("labels", {}).get("job-name") != job and not any(
            ref.get("name") == job for ref in meta.get("ownerReferences") or []
        ):
            continue
        index = meta.get("labels", {}).get(INDEX_LABEL)
        if index is not None:
            out.setdefault(int(index), []).append(pod)
    for group in out.values():
        group.sort(key=lambda p: p["metadata"].get("creationTimestamp") or "")
    return out


def shard_view(pods: list[dict[str, Any]], memory: str) -> ShardView:
    last = pods[-1]
    status = last.get("status", {})
    phase = status.get("phase", "Pending")
    failed = [p for p in pods if p.get("status", {}).get("phase") == "Failed"]
    reason = None
    if phase == "Failed":
        reason = pod_failure_reason(last, memory)
    elif phase in ("Pending", "Running"):
        reason = pod_waiting_reason(last)
    return ShardView(
        phase, last.get("spec", {}).get("nodeName"), reason, len(failed) + (phase != "Failed")
    )


class SweepWatch:
    """Follows the Jobs of ``plans`` until every one has finished; see the module docstring."""

    def __init__(
        self, api: Api, plans: list[RunPlan], *, image_pull_timeout_s: float = 600.0
    ) -> None:
        self.api = api
        self.plans = plans
        # A Job whose pods cannot pull their image for this long is deleted and its members
        # failed with the reason (Kubernetes itself would retry the pull until the deadline).
        self.image_pull_timeout_s = image_pull_timeout_s
        self._pull_since: dict[str, float] = {}
        self.sweep_id = plans[0].sweep_id
        self.runs = [
            _Run(
                plan=p,
                job=_names.job_name(p.sweep_id, p.job_num),
                by_shard={s: p.shard_members(s) for s in range(p.n_shards)},
            )
            for p in plans
            if p.n_shards > 0
        ]
        #: Set by the informers whenever a Job or pod of the sweep changed.
        self.changed = threading.Event()
        selector = sweep_selector(self.sweep_id)
        self.jobs = Informer(
            api, api.batch.list_namespaced_job, "the sweep's Jobs", selector, self.changed
        )
        self.pods = Informer(
            api, api.core.list_namespaced_pod, "the sweep's pods", selector, self.changed
        )
        self.pods_seen: list[dict[str, Any]] = []

    def start(self) -> None:
        self.jobs.start()
        self.pods.start()

    def stop(self) -> None:
        self.jobs.stop()
        self.pods.stop()

    def look(self) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
        for informer in (self.jobs, self.pods):
            if informer.error is not None:
                raise informer.error
        jobs = self.jobs.snapshot()
        return {j["metadata"]["name"]: j for j in jobs}, self.pods.snapshot()

    def poll(self, recorder: OutcomeRecorder) -> bool:
        """One look at the cluster; True once every Job has finished (and the store knows)."""
        jobs, pods = self.look()
        self.pods_seen = pods
        live = {pod["metadata"]["name"] for pod in pods}
        for name in [n for n in self._pull_since if n not in live]:
            del self._pull_since[name]  # its pod is gone: no image wait to time
        for run in self.runs:
            if not run.finished:
                self._update(run, jobs.get(run.job), pods, recorder)
        return all(run.finished for run in self.runs)

    def _update(
        self,
        run: _Run,
        job: dict[str, Any] | None,
        pods: list[dict[str, Any]],
        recorder: OutcomeRecorder,
    ) -> None:
        memory = run.plan.typed.resources.memory
        by_index = pods_by_index(pods, run.job)
        status = (job or {}).get("status", {})
        completed = parse_indexes(status.get("completedIndexes"))
        failed = parse_indexes(status.get("failedIndexes"))
        job_reason = (
            job_failure_reason(job)
            if job
            else f"the Job {run.job} no longer exists (deleted or cancelled)"
        )
        conditions = {
            c.get("type") for c in status.get("conditions") or [] if c.get("status") == "True"
        }
        job_over = job is None or bool(conditions & {"Complete", "Failed"})
        if not job_over and self._image_never_pulled(run, by_index):
            self._delete_job(run.job)
            job_over = True
            job_reason = (
                f"the launcher deleted the Job {run.job}: its pods could not pull their image "
                f"for {self.image_pull_timeout_s:.0f}s (hydra.launcher.image_pull_timeout_seconds)"
            )

        newly_running = [
            i
            for i, group in by_index.items()
            if i not in run.running and group[-1].get("status", {}).get("phase") == "Running"
        ]
        for index in newly_running:
            node = by_index[index][-1].get("spec", {}).get("nodeName")
            recorder.running([m.id for m in run.by_shard.get(index, [])], node=node)
            run.running.add(index)

        ended = {
            i
            for i in run.by_shard
            if i not in run.done and (i in completed or i in failed or job_over)
        }
        if ended:
            self._record_ended(
                run, ended, completed, failed, by_index, job_reason, memory, recorder
            )
        run.finished = job_over and len(run.done) == len(run.by_shard)

    def _image_never_pulled(self, run: _Run, by_index: dict[int, list[dict[str, Any]]]) -> bool:
        """True once a shard's pod has waited for its image for image_pull_timeout_s."""
        now_s = time.monotonic()
        stuck = False
        for index, group in by_index.items():
            if index in run.done:
                continue
            pod = group[-1]
            name = pod["metadata"]["name"]
            if waits_for_image(pod):
                since = self._pull_since.setdefault(name, now_s)
                stuck = stuck or now_s - since >= self.image_pull_timeout_s
            else:
                self._pull_since.pop(name, None)
        return stuck

    def next_deadline(self) -> float | None:
        """When the earliest image-pull wait runs out (monotonic seconds), if any is running."""
        if not self._pull_since:
            return None
        return min(self._pull_since.values()) + self.image_pull_timeout_s

    def _delete_job(self, name: str) -> None:
        try:
            self.api.call(
                f"deleting Job {self.api.namespace}/{name}",
                self.api.batch.delete_namespaced_job,
                name,
                self.api.namespace,
                propagation_policy="Background",
            )
        except KubernetesError as exc:
            if exc.status != 404:
                raise

    def _record_ended(
        self,
        run: _Run,
        ended: set[int],
        completed: set[int],
        failed: set[int],
        by_index: dict[int, list[dict[str, Any]]],
        job_reason: str | None,
        memory: str,
        recorder: OutcomeRecorder,
    ) -> None:
        from railyard_batch.execution.sync import (
            sync_outcomes,  # imports the worker: only when needed
        )

        sync_outcomes(run.plan, recorder)
        finished_ids = {
            m.id
            for m in recorder.store.members(run_id=run.plan.run_id)
            if m.state in FINISHED_STATES
        }
        missing: list[MemberOutcome] = []
        stamp = now()
        for index in sorted(ended):
            if index in completed:
                reason = (
                    f"the pod of shard {index} succeeded but wrote no outcome.json under "
                    f"{run.plan.artifact_root}; is the artifact store shared with the pods?"
                )
            else:
                group = by_index.get(index)
                pod_reason = pod_failure_reason(group[-1], memory) if group else None
                attempts = len(
                    [p for p in group or [] if p.get("status", {}).get("phase") == "Failed"]
                )
                if index in failed and pod_reason:
                    reason = f"shard {index} failed after {attempts} attempt(s): {pod_reason}"
                else:
                    reason = (
                        "; ".join(r for r in (job_reason, pod_reason) if r)
                        or "the Job ended before this shard ran"
                    )
            group = by_index.get(index)
            node = group[-1].get("spec", {}).get("nodeName") if group else None
            for member in run.by_shard.get(index, []):
                if member.id not in finished_ids:
                    missing.append(
                        MemberOutcome(member.id, "failed", stamp, stamp, reason=reason, node=node)
                    )
        recorder.record(missing)
        run.done.update(ended)


def progress_note(pods: list[dict[str, Any]]) -> str:
    """How many of the sweep's pods run, and the commonest reason others wait (Unschedulable,
    ImagePullBackOff, ...), for the progress line."""
    running = sum(p.get("status", {}).get("phase") == "Running" for p in pods)
    reasons: Counter[str] = Counter()
    for pod in pods:
        if pod.get("status", {}).get("phase") in ("Pending", "Running"):
            reason = pod_waiting_reason(pod)
            if reason:
                reasons[reason] += 1
    note = f"{running} pod(s) running" if running else ""
    if reasons:
        reason, n = reasons.most_common(1)[0]
        reason = reason if len(reason) <= 160 else reason[:157] + "..."
        note = f"{note}; " if note else ""
        note += f"{n} pod(s) waiting: {reason}"
    return note


def wait(
    api: Api,
    plans: list[RunPlan],
    recorder: OutcomeRecorder,
    *,
    poll_seconds: float,
    timeout_s: float | None = None,
    watch: SweepWatch | None = None,
    progress: bool = False,
    image_pull_timeout_s: float = 600.0,
) -> None:
    """Follow every Job of ``plans`` until it has finished; the run store follows each shard.
    A pass runs after each change the watches report, at most one every ``poll_seconds``.
    With ``progress``, members done / failed / total and what pods wait for go to stderr."""
    watch = watch or SweepWatch(api, plans, image_pull_timeout_s=image_pull_timeout_s)
    sweep_id = plans[0].sweep_id
    bar = MemberProgress(sum(recorder.store.state_counts(sweep_id).values()), enabled=progress)
    watch.start()
    try:
        with bar:
            _follow(watch, recorder, bar, poll_seconds=poll_seconds, timeout_s=timeout_s)
    finally:
        watch.stop()


def _follow(
    watch: SweepWatch,
    recorder: OutcomeRecorder,
    bar: MemberProgress,
    *,
    poll_seconds: float,
    timeout_s: float | None,
) -> None:
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while True:
        started = time.monotonic()
        watch.changed.clear()
        finished = watch.poll(recorder)
        counts = recorder.store.state_counts(watch.sweep_id)
        finished_counts = {k: v for k, v in counts.items() if k in FINISHED_STATES}
        bar.update(finished_counts, progress_note(watch.pods_seen))
        if finished:
            return
        if deadline is not None and time.monotonic() > deadline:
            raise KubernetesError(f"sweep {watch.sweep_id} is still running after {timeout_s:.0f}s")
        idle = IDLE_PASS_S
        for until in (deadline, watch.next_deadline()):
            if until is not None:
                idle = max(0.0, min(idle, until - time.monotonic()))
        watch.changed.wait(idle)
        # Changes that arrive together are handled in one pass.
        time.sleep(max(0.0, started + poll_seconds - time.monotonic()))
