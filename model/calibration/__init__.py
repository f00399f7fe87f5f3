"""Calibration by the method of simulated moments, and the target table.

``calibration/targets.yaml`` declares which figures of ``seeds/figures.yaml`` are moments, how each
is computed from model output, its tolerance and weight, and the free parameters with their bounds
(the documented range unless narrowed). The loss over the baseline scenario is

    L(theta) = sum_value  w_j ((m_j(theta) - t_j) / tol_j)^2
             + sum_bound  w_j softplus((m_j - limit_j) / s_j)^2   (upper bounds; mirrored for lower)
             + sum_ordinal w_j softplus(-margin_j / s_j)^2         (margin > 0 when the ranking holds)

where m_j(theta) is the mean over seeds of the moment. Every candidate runs the same seeds (common
random numbers), so differences between candidates are not sampling noise. The optimiser is
``scipy.optimize.differential_evolution``; each generation's candidates x seeds run as one batch on
the runner's pool (``model.runner``, the same path as `geese run`). A checkpoint after every
generation lets a run be resumed, and an interrupted run leaves ``calibration/params.yaml`` untouched.

Modules: ``targets`` (the targets file schema), ``loss`` (moments from model output, the loss, the
simulated moments), ``search`` (the optimiser and `geese calibrate`), ``report`` (the target table,
report and figure, and `geese targets`).
"""

from .loss import moment_loss, moment_value, passes, quantity, simulate, total_loss
from .report import format_table, target_table, targets_command
from .search import calibrate
from .targets import FreeParameter, Moment, Quantity, Targets, bounds_of, load_targets

__all__ = ["FreeParameter", "Moment", "Quantity", "Targets", "bounds_of", "calibrate", "format_table",
           "load_targets", "moment_loss", "moment_value", "passes", "quantity", "simulate",
           "target_table", "targets_command", "total_loss"]
