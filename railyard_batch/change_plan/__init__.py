"""``railyard-batch plan``: what a config or code change does to the sweep, before it runs.

- ``revisions``: a git revision's project files, read without touching the checkout;
- ``revision_sweep``: the sweep a command line composes at one revision, as members with
  their content keys;
- ``diff``: two revisions' sweeps compared by content key (added, removed, changed, cached);
- ``estimate``: what the members that train will cost, from the recorded durations;
- ``output``: the plan for people (tables, or markdown for a pull request);
- ``command``: the subcommand itself.
"""
