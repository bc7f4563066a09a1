"""Measuring update sizes during training (CONTRACT §8; Kosson et al. 2024, arXiv:2410.23922).

* :mod:`warmupctl.monitor.torch` — :class:`~warmupctl.monitor.torch.UpdateMonitor`, optimizer
  step hooks that log ℓ2, relative and angular updates (and, optionally, the relative
  representation change) to a JSON Lines file (needs torch: the ``torch`` extra);
* :mod:`warmupctl.monitor.hf` — :class:`~warmupctl.monitor.hf.UpdateCallback` for the Hugging Face
  ``Trainer``;
* :mod:`warmupctl.monitor.log` — the bounded reader of those logs (NumPy only), used by
  ``warmupctl updates LOG``.

Importing this package imports neither torch nor transformers.
"""

FORMAT = "warmupctl.updates/v1"

#: the metrics of a log line, in the order the contract lists them
METRICS = ("l2", "rel", "angle", "neuron_angle", "rrc")
