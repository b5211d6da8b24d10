"""``railyard-batch serve``: the training service, a JSON API over the run store.

    app.py        the app factory (``create_app``) and ``serve``: uvicorn on --host/--port
    routes.py     the endpoints: trainings, sweeps, runs, members, logs, cancel, health
    auth.py       bearer tokens and roles (reader < trainer < promoter) as a dependency
    tokens.py     ``railyard-batch tokens create``: a token printed once, kept hashed
    tables.py     the service's own tables (SQLAlchemy Core) in the run store's database
    submit.py     a training request: checked as the CLI checks it, then run by the CLI
    cancel.py     stopping a sweep: its process group (local) or its Jobs (Kubernetes)
    schemas.py    request and response bodies (the OpenAPI document)
    metrics.py    Prometheus counters and histograms behind ``/metrics``
    commands.py   the ``serve`` and ``tokens`` subcommands (argparse only: the CLI stays light)

Import what you need from its module (``railyard_batch.service.app.create_app``): importing
the package alone loads nothing, so the rest of the CLI never pays for FastAPI.
"""
