"""Compositions of a sweep's members (issue 13): ``spec`` reads and checks
``conf/composition/<name>.yaml``; ``evaluate`` scores a composition on the rows no compared
model trained on, next to the global model alone; ``command`` is ``railyard-batch compose``."""
