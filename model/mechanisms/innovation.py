"""R&D and innovation.

Whether to do R&D (firm i, logit, re-decided each year):

    P(active) = logistic(b0 + trend (t - 2012) + talent ln(h_r / h_nat) + size ln(S_i / median S) + 2 sub_r)

b0 is solved at start so that innovation.performer_share_2012 of firms do R&D; size =
innovation.performer_size_effect (large firms are far likelier to do R&D). Spending and stock:

    R_i = active * rho_s * kappa * S_i * (1 + sub_r)     rho_s = innovation.rd_share_of_value_added
    firm pays (1 - sub_r) R_i;  K^R_i = (1 - delta_R) K^R_i + R_i

kappa is set at start so that enterprise R&D equals the 2012 figure in the data file (7,842.2 yi yuan).
Success is stochastic (one draw per firm):

    p_i = 1 - exp(-phi (K^R_i / S_i + tt_r PR_r / IVA_r) (h_r / h_nat)^0.5)
    on success: A_i <- A_i exp(g x lognormal(-1/8, 1/2))

phi = innovation.success_rate, g = innovation.success_tfp_gain, tt_r = tech-transfer rate
(innovation.tech_transfer_rate plus the rd_support lever; Liaoning ~10%, seed 001), PR_r public R&D
(government institutes and universities, shared by high-skill talent, growing with GDP).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit


def performer_logit(b0: float, trend: float, years: int, talent_effect: float, rel_talent: np.ndarray,
                    rel_size: np.ndarray, subsidy: np.ndarray, size_effect: float) -> np.ndarray:
    return (b0 + trend * years + talent_effect * np.log(np.maximum(rel_talent, 1e-9))
            + size_effect * np.log(np.maximum(rel_size, 1e-9)) + 2.0 * subsidy)


def performer_probability(logit: np.ndarray) -> np.ndarray:
    return expit(logit)


def success_probability(phi: float, rd_stock: np.ndarray, sales: np.ndarray, public_term: np.ndarray,
                        rel_talent: np.ndarray) -> np.ndarray:
    x = rd_stock / np.maximum(sales, 1e-9) + public_term
    return 1.0 - np.exp(-phi * x * np.sqrt(np.maximum(rel_talent, 1e-9)))
