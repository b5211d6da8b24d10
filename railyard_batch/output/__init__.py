"""Output: what a person reads in a terminal, shared by the layers from execution up.

- ``progress``: members done / failed / total as a bar (a line every few seconds without a
  terminal).
- ``report``: the tables people read and every command's JSON (the summary after a sweep,
  ``runs``, ``reproduce``, the Kubernetes commands' ``status`` and ``schedules list``).
- ``plots``: per-member metric distributions, one box per run (``runs compare --plot``).

Nothing here imports those layers at run time: ``report`` names the run plan for type checks
only (planning imports scikit-learn); it imports recording's ``url_secrets`` (which imports
nothing of the package) to show overrides without their passwords.
"""
