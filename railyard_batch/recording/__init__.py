"""Recording: what a sweep leaves behind.

- ``store``: the run store (sweeps, runs, members, compositions), SQLite or PostgreSQL through
  SQLAlchemy Core; ``records`` what it reads (typed, frozen records), ``tables`` its tables,
  ``migrations`` their alembic versions, ``engine`` the connections, ``urls`` the store URLs
  (shown without their passwords), ``admin`` ``store upgrade`` and ``store copy``.
- ``artifacts``: the artifact root (a local directory or any fsspec URL), written atomically.
- ``url_secrets``: passwords in URLs as every message, log line and record shows them
  (``user:***@``): the store and the artifact root here, and above them the Kubernetes
  renderer, the tables of ``output/report`` and the CLI's scrubbed Hydra files.
- ``leases``: which worker holds a member, until when.
"""
