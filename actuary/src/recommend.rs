//! Premium recommendation: the smallest base rate (and, when the rate alone cannot do
//! it, the largest per-event cap) that keeps the ruin probability at or below a
//! target, found by bisection on the simulated ruin probability.
//!
//! Every candidate is simulated with the same seed (common random numbers), so the
//! estimated ruin probability is, path by path, non-increasing in the base rate and
//! non-decreasing in the per-event cap; the bisection is therefore well defined on the
//! estimate itself. [`sweep_base_rate`] records the curve it searched on.

use insurance_pool::constants::MAX_RATE_BPS;
use serde::Serialize;

use crate::sim::{simulate, PoolModel, SimConfig, SimSummary};

/// Default ruin-probability target over the horizon (0.5 %).
pub const DEFAULT_TARGET: f64 = 0.005;

/// The result of a search.
#[derive(Clone, Debug, Serialize)]
pub struct Recommendation {
    pub target: f64,
    /// Ruin probability with the current parameters.
    pub current_ruin: f64,
    /// Smallest base rate (bps per coverage term) meeting the target, if any base rate
    /// up to `MAX_RATE_BPS` does.
    pub base_rate: Option<u64>,
    /// The curve's `max_rate` must be at least the base rate, or the clamp undoes it.
    pub max_rate: Option<u64>,
    pub ruin_at_base_rate: Option<f64>,
    /// Largest per-event cap meeting the target at the current base rate (searched
    /// only when the current parameters miss it).
    pub per_event_cap: Option<u64>,
    pub ruin_at_per_event_cap: Option<f64>,
    /// Simulations run by the search.
    pub evaluations: usize,
}

fn with_base_rate(model: &PoolModel, base: u64) -> PoolModel {
    let mut m = model.clone();
    m.curve.base_rate = base;
    m.curve.max_rate = m.curve.max_rate.max(base);
    m
}

fn ruin(model: &PoolModel, cfg: &SimConfig, evaluations: &mut usize) -> Result<f64, String> {
    *evaluations += 1;
    Ok(simulate(model, cfg)?.ruin_probability)
}

/// Searches the base rate and, if needed, the per-event cap. `cfg.progress` is
/// ignored (searches run many short simulations).
pub fn recommend(
    model: &PoolModel,
    cfg: &SimConfig,
    target: f64,
) -> Result<Recommendation, String> {
    let cfg = SimConfig {
        progress: false,
        ..cfg.clone()
    };
    let mut evaluations = 0;
    let current_ruin = ruin(model, &cfg, &mut evaluations)?;
    let mut rec = Recommendation {
        target,
        current_ruin,
        base_rate: None,
        max_rate: None,
        ruin_at_base_rate: None,
        per_event_cap: None,
        ruin_at_per_event_cap: None,
        evaluations: 0,
    };

    // Base rate: bisection on [0, MAX_RATE_BPS] for the smallest passing value.
    let top = ruin(&with_base_rate(model, MAX_RATE_BPS), &cfg, &mut evaluations)?;
    if top <= target {
        let (mut lo, mut hi, mut at_hi) = (0u64, MAX_RATE_BPS, top); // hi passes
        let bottom = ruin(&with_base_rate(model, 0), &cfg, &mut evaluations)?;
        if bottom <= target {
            (hi, at_hi) = (0, bottom);
        } else {
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                let r = ruin(&with_base_rate(model, mid), &cfg, &mut evaluations)?;
                if r <= target {
                    (hi, at_hi) = (mid, r);
                } else {
                    lo = mid;
                }
            }
        }
        rec.base_rate = Some(hi);
        rec.max_rate = Some(model.curve.max_rate.max(hi));
        rec.ruin_at_base_rate = Some(at_hi);
    }

    // Per-event cap at the current rate: largest passing cap, bisected to 0.5 %.
    if current_ruin > target {
        let mut m = model.clone();
        let (mut lo, mut hi) = (1u64, model.per_event_cap); // hi fails
        m.per_event_cap = lo;
        let at_lo = ruin(&m, &cfg, &mut evaluations)?;
        if at_lo <= target {
            let mut best = (lo, at_lo);
            while hi > lo + lo / 200 + 1 {
                let mid = lo + (hi - lo) / 2;
                m.per_event_cap = mid;
                let r = ruin(&m, &cfg, &mut evaluations)?;
                if r <= target {
                    lo = mid;
                    best = (mid, r);
                } else {
                    hi = mid;
                }
            }
            rec.per_event_cap = Some(best.0);
            rec.ruin_at_per_event_cap = Some(best.1);
        }
    }
    rec.evaluations = evaluations;
    Ok(rec)
}

/// Ruin probability (with its summary) at each base rate of `rates`.
pub fn sweep_base_rate(
    model: &PoolModel,
    cfg: &SimConfig,
    rates: &[u64],
) -> Result<Vec<(u64, SimSummary)>, String> {
    let cfg = SimConfig {
        progress: false,
        ..cfg.clone()
    };
    rates
        .iter()
        .map(|&r| Ok((r, simulate(&with_base_rate(model, r), &cfg)?)))
        .collect()
}
