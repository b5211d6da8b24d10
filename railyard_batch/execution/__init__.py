"""Execution: where and how a recorded run plan's shards run.

- ``backends/``: the one seam (``base.py``): the local spawn pool (``local.py``) and, in
  ``kubernetes/``, Indexed Jobs rendered from the reviewed templates, submitted and watched;
  both run the same worker code.
- ``worker``: one shard (claim, read once, train each member, commit in batches), its log
  (``worker_log``), and ``sync``: the pods' outcome files into the run store.
- ``training``: one member (``splits``, fit, ``metrics``, write); ``member_logs``: a member's
  lines of its shard's log, read back.
"""
