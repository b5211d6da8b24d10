"""The command line, the top layer: ``main`` (one parser that lists every command, and the
Hydra passthrough for training), ``app`` (the Hydra task that plans and runs a sweep),
``store`` (``railyard-batch store``) and ``hydra_errors`` (Hydra's failures as one line).
The shared ``--store``/``--json`` parsers are :mod:`railyard_batch.cli_options`, which the
command modules of the lower packages use too."""
