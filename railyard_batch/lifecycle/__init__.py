"""The lifecycle: what happens to a recorded run after training.

- ``export``: ``railyard-batch export MEMBER_ID OUT_DIR``, a trained member as a JVM bundle,
  with the parity gate run on its holdout.
- ``reproduce``: ``railyard-batch reproduce RUN_ID``, re-train a run's members from what it
  recorded and say whether the metrics and the model's hash match.

The packages ``registry/`` (model names, versions, aliases, shadow scoring, promotion),
``compositions/`` (routed and blended compositions of members) and ``reports/`` (the sweep's
HTML report) are the rest of the lifecycle layer; ``bundle/`` sits beside it. The lifecycle
imports configuration, planning, execution and recording, never the entry points (the CLI,
the service).
"""
