"""Planning: from a validated config and its dataset to recorded run plans.

- ``plan``: the run plan (members, shards, the checks that need the data); ``member_keys`` the
  members' internal names; ``fanout_index`` fan-out counts remembered by dataset md5.
- ``data``: the dataset's DVC identity and schema, and reading the columns and rows a shard
  needs; ``dvc_objects`` a dataset found by its md5 (cache, remote); ``plan_data`` the
  dataset a recorded plan names, read back.
- ``provenance``: what a plan records of where it came from: the code version (the package's
  and a digest of ``pipelines/``), git commit and dirtiness, package versions.
"""
