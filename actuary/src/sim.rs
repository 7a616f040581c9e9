//! Monte Carlo of one pool's capital: premium and volume income in, shortfall payouts
//! out, with the per-event cap, the per-epoch cap and the solvency floor applied by the
//! program's own functions ([`cover_amount`], [`current_epoch_start`],
//! [`curve_rate`], [`premium_for`], [`volume_target_rate`], [`decayed_loss`],
//! [`volume_fee`]).
//!
//! Model (one path), in continuous time, event by event:
//! - Losses arrive as a Poisson process (or, for the negative binomial, a Poisson
//!   process whose rate is redrawn from a Gamma every 30 days, the period whose counts
//!   the fit measures, so that a year's count is NB with the model's `r`); sizes follow
//!   the severity.
//!   A path's loss times and sizes do not depend on its capital: each is drawn from
//!   the path's own generator as the path reaches it ([`LossStream`]), the same
//!   draws in the same order as listing them first (the floor, the backtest).
//! - Exposure (active cover notional) is constant, renewed as covers expire, but never
//!   above `max_exposure_bps` of current capital (the program refuses cover beyond it).
//! - **Rate reviews**: at the start, after every loss and after 30 days without one
//!   ([`REVIEW_SECS`]), the rate is the program's `curve_rate` at the utilisation of
//!   the current capital (`exposure_cap`, `utilisation_bps`). It is what every
//!   purchase pays (`Pool::quote`): no smoothing, nothing remembered between reviews.
//! - **Between reviews** (a quiet stretch: no loss) the capital only grows, so the
//!   rate only falls; premium and volume income accrue in closed form (see `Stretch`):
//!   the rate moves linearly to its value at the stretch's predicted end capital. Each
//!   stretch's income is rounded down to whole base units, once, net of the protocol
//!   fee.
//! - Volume income (`contribute_volume`): exchanges report a constant `volume_per_day`.
//!   The volume rate is the program's rule (`volume_target_rate`) in continuous time:
//!   `min(max_rate, base + slope · index / free capital)`, the loss index decaying
//!   continuously by `loss_decay_per_day`; every simulated loss is a shortfall of the
//!   modelled exchange, which can draw, so it adds `min(loss, per-event cap)` to the
//!   index as `cover_shortfall` does, whatever it pays. Fidelity, decided: the volume
//!   does not react to the fee; the index decays continuously rather than by whole UTC
//!   days; the volume rate's round-up is not counted and the free capital is taken at
//!   the stretch's predicted end (both never overstate the income); the per-event cap
//!   is the model's `per_event_cap` (the registration's `per_event_bps` of free
//!   capital is not modelled, here as for the payouts); and fees count as capital as
//!   they are paid, while the program earns them over `VOLUME_EARNING_PERIOD` (7 days).
//! - Each loss is paid `min(loss, per-event cap, epoch room, capital above floor)`
//!   (`cover_amount`, epochs by `current_epoch_start`).
//! - **Ruin** is the first loss whose cap-limited payout the capital above the
//!   solvency floor cannot cover in full (the pool breaks its promise to the exchange).
//!   With unlimited caps and a zero floor this is the classical ruin `capital < 0`.
//!   The path goes on after ruin (paying what it can) so payout and uncovered-loss
//!   distributions stay complete; an emptied pool sells no cover (its exposure cap is
//!   0) until income refills it.
//!
//! Speed: the work is per loss, not per day (a year of 50 losses is ~50 stretches, not
//! 365 steps). `actuary-bench` measures it against the floor of any event-driven
//! engine (drawing the losses alone) and against the vectorised numpy reference.
//!
//! Reproducibility: path `i` draws from its own generator seeded by `(seed, i)`, and
//! results are reduced in path order, so a run depends on the seed only - not on the
//! thread count or scheduling.

use indicatif::{ProgressBar, ProgressStyle};
use insurance_pool::math::premium::{
    bps_of_floor, curve_rate, exposure_cap, premium_for, utilisation_bps, Curve, BPS,
};
use insurance_pool::math::safe_math::mul_div_floor;
use insurance_pool::math::shortfall::{cover_amount, current_epoch_start, solvency_floor};
use insurance_pool::math::volume::{decayed_loss, volume_fee, volume_target_rate, VolumeCurve};
use insurance_pool::math::CoverLimit;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Exp1, Gamma};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::dist::{fmin, Frequency, Severity, SeveritySampler};
use crate::fit::COUNT_PERIOD_DAYS;
use crate::history::YEAR_SECS;

/// Seconds between rate updates: the premium rate is set once a day.
pub const RATE_UPDATE_SECS: i64 = 86_400;

/// Everything about a pool the simulation needs, in the program's units.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PoolModel {
    /// Accounted capital at the start (base units).
    pub capital: u64,
    /// Active cover notional, held constant (base units).
    pub exposure: u64,
    /// The premium curve (bps of notional per coverage term).
    pub curve: Curve,
    /// Length of one cover term in seconds (the curve's rate is per term).
    pub coverage_duration: i64,
    /// Exposure cap in bps of capital.
    pub max_exposure_bps: u64,
    /// Protocol fee, bps of each premium (not capital).
    pub protocol_fee_bps: u64,
    /// Capital shortfall payouts never touch.
    pub min_reserve: u64,
    /// Capital reserved for approved claims (part of the floor).
    pub reserved_for_claims: u64,
    /// The exchange's per-event cap (base units).
    pub per_event_cap: u64,
    /// The exchange's per-epoch cap (base units).
    pub per_epoch_cap: u64,
    /// Epoch length in seconds.
    pub epoch_length: i64,
    /// Trading volume exchanges report through `contribute_volume` per day (base
    /// units), held constant. Absent: 0, no volume income (then the volume fields below
    /// do not matter).
    #[serde(default)]
    pub volume_per_day: u64,
    /// The pool's volume curve (`params.volume`, bps of volume). Absent: all zero (no
    /// volume income whatever the volume).
    #[serde(default = "no_volume_curve")]
    pub volume: VolumeCurve,
    /// The volume rate's loss index at the start (base units): the pool's
    /// `volume_loss` decayed to now (`Pool::volume_loss_at`, the `loss_index` of
    /// `quote_volume`). Absent: 0, no loss history.
    #[serde(default)]
    pub loss_index: u64,
}

/// A volume curve that charges nothing.
pub fn no_volume_curve() -> VolumeCurve {
    VolumeCurve {
        base_rate: 0,
        loss_slope: 0,
        min_rate: 0,
        max_rate: 0,
        loss_decay_per_day: BPS,
    }
}

fn gcd(mut a: i64, mut b: i64) -> i64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl PoolModel {
    /// The pool's rate (bps per term) at `capital`, and the exposure it sells there:
    /// the program's `curve_rate` at the utilisation, what every purchase pays
    /// (`Pool::quote`: no smoothing, no memory of earlier rates).
    pub fn rate_and_exposure(&self, capital: u64) -> (u64, u64) {
        let exposure = self
            .exposure
            .min(exposure_cap(capital, self.max_exposure_bps));
        (
            curve_rate(&self.curve, utilisation_bps(exposure, capital)),
            exposure,
        )
    }

    /// Premium (net of the protocol fee) earned by `exposure` at `rate` over `secs`.
    pub fn net_premium(&self, exposure: u64, rate: u64, secs: i64) -> u64 {
        let term = self.coverage_duration.max(1);
        let full = (secs / term) as u64;
        // `covered / term` reduced by their gcd: the same rational, so exactly the same
        // `premium_for`, but its product usually fits 64 bits (the fast path).
        let rem = secs % term;
        let g = gcd(rem, term).max(1);
        let part = premium_for(exposure, rate, rem / g, term / g).unwrap_or(u64::MAX);
        let gross = match full {
            0 => part,
            _ => premium_for(exposure, rate, term, term)
                .unwrap_or(u64::MAX)
                .saturating_mul(full)
                .saturating_add(part),
        };
        gross.saturating_sub(bps_of_floor(gross, self.protocol_fee_bps).unwrap_or(0))
    }

    /// Net premium per year at the starting capital (for reports).
    pub fn annual_premium_now(&self) -> u64 {
        let (rate, exposure) = self.rate_and_exposure(self.capital);
        self.net_premium(exposure, rate, YEAR_SECS)
    }

    /// The volume rate charged at `capital` with loss index `loss_index` (already
    /// decayed to the day): `Pool::volume_quote`'s rule, the program's
    /// `volume_target_rate` on free capital (capital less `reserved_for_claims`).
    pub fn volume_rate(&self, loss_index: u64, capital: u64) -> u64 {
        let free = capital.saturating_sub(self.reserved_for_claims);
        volume_target_rate(&self.volume, loss_index, free)
    }

    /// A loss index recorded `days` whole days ago, decayed to today by the volume
    /// curve's `loss_decay_per_day` (the program's `decayed_loss`, as
    /// `Pool::volume_loss_at`).
    pub fn decayed_loss_index(&self, index: u64, days: i64) -> u64 {
        decayed_loss(index, self.volume.loss_decay_per_day, days.max(0) as u64)
    }

    /// The loss index after the modelled exchange reports a shortfall of `loss` on day
    /// `day`, from `index` recorded on day `index_day`: decayed to the day, plus the
    /// loss capped at the per-event limit, as `cover_shortfall` records it for a
    /// registration that can draw (`Pool::record_volume_loss`). `(index, day)`.
    pub fn record_volume_loss(
        &self,
        index: u64,
        index_day: i64,
        loss: u64,
        day: i64,
    ) -> (u64, i64) {
        let decayed = self.decayed_loss_index(index, day - index_day);
        (decayed.saturating_add(loss.min(self.per_event_cap)), day)
    }

    /// The volume rate at the start: the program's rule on the starting capital and
    /// loss index.
    pub fn initial_volume_rate(&self) -> u64 {
        self.volume_rate(self.loss_index, self.capital)
    }

    /// Volume fee (net of the protocol fee) on `secs` of the daily volume at `rate`:
    /// `volume_fee` on the volume of that time, rounded up once.
    pub fn net_volume_fee(&self, rate: u64, secs: i64) -> u64 {
        let volume = mul_div_floor(
            self.volume_per_day,
            secs.max(0) as u64,
            RATE_UPDATE_SECS as u64,
        )
        .unwrap_or(u64::MAX);
        let fee = volume_fee(volume, rate).unwrap_or(u64::MAX);
        fee.saturating_sub(bps_of_floor(fee, self.protocol_fee_bps).unwrap_or(0))
    }

    /// Net volume income per year at the starting rate (for reports).
    pub fn annual_volume_income_now(&self) -> u64 {
        if self.volume_per_day == 0 {
            return 0;
        }
        self.net_volume_fee(self.initial_volume_rate(), RATE_UPDATE_SECS)
            .saturating_mul((YEAR_SECS / RATE_UPDATE_SECS) as u64)
    }
}

/// What to simulate and how.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub paths: usize,
    /// Horizon in seconds.
    pub horizon_secs: i64,
    pub seed: u64,
    /// Capital is recorded at this many equally spaced times (plus time 0).
    pub checkpoints: usize,
    /// Loss scenarios: one (frequency, severity) per path, drawn uniformly - a single
    /// entry for a point estimate, bootstrap replicates for parameter uncertainty.
    pub scenarios: Vec<(Frequency, Severity)>,
    /// Show a progress bar on stderr.
    pub progress: bool,
}

/// One path's outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PathOutcome {
    /// Time of ruin (seconds from start), if any.
    pub ruin_time: Option<i64>,
    pub losses: u32,
    pub payouts: u64,
    /// Losses not paid (caps and capital together).
    pub uncovered: u64,
    /// The part of `uncovered` due to capital only (cap-limited demand not met).
    pub unmet_by_capital: u64,
    pub premiums: u64,
    /// Volume fees earned (net of the protocol fee).
    pub volume_income: u64,
    pub final_capital: u64,
}

/// Aggregated simulation results.
#[derive(Clone, Debug, Serialize)]
pub struct SimSummary {
    pub paths: usize,
    pub horizon_secs: i64,
    pub seed: u64,
    pub ruin_probability: f64,
    /// Standard error of `ruin_probability` (binomial).
    pub ruin_std_error: f64,
    /// VaR / ES at 99.5 % of the capital loss `initial − final` (negative = gain).
    pub capital_loss_var_995: f64,
    pub capital_loss_es_995: f64,
    /// VaR / ES at 99.5 % of total payouts over the horizon.
    pub payouts_var_995: f64,
    pub payouts_es_995: f64,
    pub mean_payouts: f64,
    pub mean_uncovered: f64,
    pub mean_unmet_by_capital: f64,
    pub mean_premiums: f64,
    /// Mean volume income (net of the protocol fee) over the horizon.
    pub mean_volume_income: f64,
    pub mean_losses: f64,
    /// Quantiles (5, 25, 50, 75, 95, 99.5 %) of payouts and of uncovered losses.
    pub payout_quantiles: [f64; 6],
    pub uncovered_quantiles: [f64; 6],
    /// Capital quantiles (5, 25, 50, 75, 95 %) at each checkpoint: (time, quantiles).
    pub fan: Vec<(i64, [f64; 5])>,
}

/// The quantile levels of [`SimSummary::payout_quantiles`].
pub const OUTCOME_LEVELS: [f64; 6] = [0.05, 0.25, 0.5, 0.75, 0.95, 0.995];
/// The quantile levels of [`SimSummary::fan`].
pub const FAN_LEVELS: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// The generator of path `i` under `seed`.
pub fn path_rng(seed: u64, i: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// Loss arrivals of one path.
struct Arrivals {
    frequency: Frequency,
    /// Mean gap between losses at the current yearly rate, in seconds (`∞` at rate 0).
    mean_gap: f64,
    /// Whether the rate is redrawn each period (negative binomial).
    mixed: bool,
    period_end: i64,
}

/// The negative binomial's mixing period: its rate is redrawn every
/// [`COUNT_PERIOD_DAYS`] days, the period whose counts the fit measures.
const MIXING_PERIOD: i64 = COUNT_PERIOD_DAYS * RATE_UPDATE_SECS;

impl Arrivals {
    fn new<R: Rng + ?Sized>(frequency: Frequency, rng: &mut R) -> Self {
        let mut a = Arrivals {
            frequency,
            mean_gap: f64::INFINITY,
            mixed: matches!(frequency, Frequency::NegativeBinomial { .. }),
            period_end: MIXING_PERIOD,
        };
        a.redraw(rng);
        a
    }

    /// The rate of the next period: fixed for the Poisson; for the negative binomial
    /// `Gamma(r_p, rate / r_p)` with `r_p = r · period / year`, so each period's count
    /// is NB(`r_p`) (what the fit estimates on 30-day counts) and a year's, the sum of
    /// `year / period` independent ones, NB(`r`) with mean `rate`.
    fn redraw<R: Rng + ?Sized>(&mut self, rng: &mut R) {
        let rate = match self.frequency {
            Frequency::Poisson { rate } => rate,
            Frequency::NegativeBinomial { rate, r } => {
                let shape = r * MIXING_PERIOD as f64 / YEAR_SECS as f64;
                match Gamma::new(shape, rate / shape) {
                    Ok(g) => g.sample(rng),
                    Err(_) => rate,
                }
            }
        };
        self.mean_gap = if rate > 0.0 {
            YEAR_SECS as f64 / rate
        } else {
            f64::INFINITY
        };
    }

    /// Time of the next loss after `t` (i64::MAX if none comes before `horizon`): an
    /// exponential gap (ziggurat, no logarithm) rounded up to whole seconds, at least
    /// one. The gap is made whole before it is added, so the chain from one loss time
    /// to the next is a single integer addition (the rounding depends on the draw
    /// only, and overlaps the path's other work).
    #[inline(always)]
    fn next_after<R: Rng + ?Sized>(&mut self, mut t: i64, horizon: i64, rng: &mut R) -> i64 {
        loop {
            let e: f64 = Exp1.sample(rng);
            // `t < horizon <= 2^52` and the gap is at most 2^52: no overflow.
            let next = t + whole_seconds(e * self.mean_gap);
            if self.mixed && next >= self.period_end {
                // Memoryless: restart from the period's end with the next one's rate.
                t = self.period_end;
                if t >= horizon {
                    return i64::MAX;
                }
                self.period_end += MIXING_PERIOD;
                self.redraw(rng);
                continue;
            }
            return if next < horizon { next } else { i64::MAX };
        }
    }
}

/// `x` seconds rounded up to whole ones, at least 1 and at most 2^52 (`∞` and NaN read
/// as 2^52, beyond any horizon: [`MAX_HORIZON`]). Without a libm call or a saturating
/// conversion: below 2^52, adding 2^52 leaves the nearest integer in the low mantissa
/// bits (and at 2^52 itself the exponent's step reads as 2^52).
#[inline(always)]
fn whole_seconds(x: f64) -> i64 {
    // `fmin` first: it maps NaN (`0 · ∞`, a zero draw at rate 0) to 2^52.
    let x = fmax(fmin(x, TWO_52), 1.0);
    let shifted = x + TWO_52;
    let nearest = shifted.to_bits().wrapping_sub(TWO_52.to_bits()) as i64;
    nearest + ((shifted - TWO_52) < x) as i64
}

/// `2^52`: from here on every f64 is an integer.
const TWO_52: f64 = 4_503_599_627_370_496.0;

/// The longest horizon simulated, 2^52 seconds (143 million years): loss times are
/// whole seconds held exactly in f64 below it.
pub const MAX_HORIZON: i64 = 1 << 52;

/// Longest quiet stretch integrated in one piece: a pool without losses for a month
/// has its rate reviewed against its grown capital every 30 days of quiet.
pub const REVIEW_SECS: i64 = 30 * RATE_UPDATE_SECS;

/// Per-simulation constants of the income integrals (f64, per second).
struct Rates {
    /// Premium per second per bps of rate per base unit of exposure, net of the
    /// protocol fee: `(1 − fee) / (BPS · term)`.
    premium: f64,
    /// Volume fee per second per bps of volume rate, net of the protocol fee.
    volume: f64,
    /// `volume · volume_base`: the flat volume income per second (the common case).
    volume_flat: f64,
    /// Decay of the loss index per second, `−ln(1 − decay/BPS) / DAY` (`∞` for a full
    /// daily decay: a loss is forgotten at once).
    kappa: f64,
    /// Whether the volume rate reads the loss index.
    loss_priced: bool,
    /// The volume rate without loss history (`volume_target_rate` with no index).
    volume_base: f64,
    volume_max: f64,
    floor: u64,
    /// The curve in floating point, for the predictor's end rate (see
    /// [`Rates::rate_at`]).
    curve: [f64; 6],
    exposure: f64,
    exposure_cap: f64,
    /// The program's `curve_rate` at every utilisation below [`TABLE_UTILISATION`] bps
    /// (computed once per simulation: a review then costs one division and a load).
    by_utilisation: Vec<u32>,
    /// Above this capital `exposure_cap` admits the whole exposure (`u64::MAX`: never,
    /// also when the exposure is 0 or `exposure · BPS` overflows); and
    /// `exposure · BPS`: there a review is one division.
    uncapped_above: u64,
    uncapped_numerator: u64,
}

/// Utilisations (bps) whose curve rate is tabulated: up to 400 %.
const TABLE_UTILISATION: u64 = 40_000;

impl Rates {
    fn new(model: &PoolModel) -> Self {
        let fee = 1.0 - model.protocol_fee_bps.min(BPS) as f64 / BPS as f64;
        let day = RATE_UPDATE_SECS as f64;
        let keep = BPS.saturating_sub(model.volume.loss_decay_per_day) as f64 / BPS as f64;
        let volume = model.volume_per_day as f64 / day * fee / BPS as f64;
        let volume_base = model.volume_rate(0, model.capital) as f64;
        Rates {
            premium: fee / (BPS as f64 * model.coverage_duration.max(1) as f64),
            volume,
            volume_flat: volume * volume_base,
            kappa: if keep > 0.0 {
                -keep.ln() / day
            } else {
                f64::INFINITY
            },
            loss_priced: model.volume_per_day > 0 && model.volume.loss_slope > 0,
            volume_base,
            volume_max: model.volume.max_rate.max(model.volume.min_rate) as f64,
            floor: solvency_floor(model.reserved_for_claims, model.min_reserve),
            curve: {
                let c = &model.curve;
                let bps = BPS as f64;
                [
                    real(c.base_rate),
                    real(c.slope1) / bps,
                    real(c.kink),
                    real(c.slope2) / bps,
                    real(c.min_rate),
                    real(c.max_rate.max(c.min_rate)),
                ]
            },
            exposure: real(model.exposure),
            exposure_cap: real(model.max_exposure_bps) / BPS as f64,
            uncapped_above: match (model.exposure.checked_mul(BPS), model.max_exposure_bps) {
                (Some(n), bps) if n > 0 && bps > 0 => {
                    // capital · bps >= exposure · BPS, i.e. capital >= ceil(n / bps) >= 1.
                    u64::try_from((n as u128).div_ceil(bps as u128) - 1).unwrap_or(u64::MAX)
                }
                _ => u64::MAX,
            },
            uncapped_numerator: model.exposure.saturating_mul(BPS),
            by_utilisation: match u32::try_from(model.curve.max_rate.max(model.curve.min_rate)) {
                Ok(_) => (0..TABLE_UTILISATION)
                    .map(|u| curve_rate(&model.curve, u) as u32)
                    .collect(),
                Err(_) => Vec::new(),
            },
        }
    }

    /// The program's rate at `capital` and the exposure sold there: exactly
    /// [`PoolModel::rate_and_exposure`] (`exposure_cap`, `utilisation_bps`, then
    /// `curve_rate`, read from the table when tabulated).
    #[inline]
    fn rate_and_exposure(&self, model: &PoolModel, capital: u64) -> (u64, u64) {
        let (u, exposure) = if capital > self.uncapped_above {
            // The whole exposure is sold: `utilisation_bps`' own division.
            (self.uncapped_numerator.div_ceil(capital), model.exposure)
        } else {
            let exposure = model
                .exposure
                .min(exposure_cap(capital, model.max_exposure_bps));
            (utilisation_bps(exposure, capital), exposure)
        };
        let rate = match self.by_utilisation.get(u as usize) {
            Some(&r) => r as u64,
            None => curve_rate(&model.curve, u),
        };
        (rate, exposure)
    }

    /// The end rate of a quiet stretch from capital `c0` at rate `t0`, given its
    /// income at the starting rates, `upper`, and its income on a rate line ending at
    /// `t1`, `line(t1)`: the curve's rate at the predicted end capital `c0 + upper`
    /// (the highest the stretch can reach), corrected once, when the rate moves by
    /// more than a tenth, to the rate at `c0 + line(t1)` (a long stretch after a large
    /// loss: the predictor alone would understate the income by several per cent).
    /// Never above `t0`. Both engine paths call it, so they agree to the bit.
    #[inline]
    fn end_rate(&self, c0: f64, t0: f64, upper: f64, line: impl Fn(f64) -> f64) -> f64 {
        let t1 = fmin(self.rate_at(c0 + upper), t0);
        if t0 - t1 > 0.1 * t0 {
            fmin(self.rate_at(c0 + line(t1)), t0)
        } else {
            t1
        }
    }

    /// The curve's rate at capital `c`, in floating point without the program's
    /// round-ups (which only ever add a fraction of a bps): the predictor's estimate of
    /// where a stretch ends. One division, no branch; every review still charges the
    /// program's own rounded rate.
    #[inline]
    fn rate_at(&self, c: f64) -> f64 {
        let [base, s1, kink, s2, lo, hi] = self.curve;
        let exposure = fmin(self.exposure, c * self.exposure_cap);
        let u = exposure * BPS as f64 / c;
        fmin(
            fmax(base + s1 * fmin(u, kink) + s2 * fmax(u - kink, 0.0), lo),
            hi,
        )
    }
}

/// Rounds an income down to whole base units (saturating; negative or NaN is nothing).
/// Through `i64`: one instruction on any x86-64 (an unsigned conversion is a sequence).
#[inline]
fn units(x: f64) -> u64 {
    fmax(x, 0.0) as i64 as u64
}

/// `max(a, b)` as one instruction (`f64::max` also handles NaN, which the income
/// arithmetic never produces: its inputs are finite and non-negative).
#[inline]
fn fmax(a: f64, b: f64) -> f64 {
    if a > b {
        a
    } else {
        b
    }
}

/// `c` as f64, through `i64` (one instruction and a clamp; see [`units`]): amounts
/// above `i64::MAX` (9.2·10^18 base units) read as `i64::MAX`.
#[inline]
fn real(c: u64) -> f64 {
    c.min(i64::MAX as u64) as i64 as f64
}

/// A whole stretch's rate integral: the rate line from `t0` to `t1` over `dt`, a
/// trapezoid (the same expression in every engine path, so they agree to the bit).
#[inline(always)]
fn trapezoid(t0: f64, t1: f64, dt: f64) -> f64 {
    0.5 * (t0 + t1) * dt
}

/// The income of one quiet stretch (no loss inside), in closed form.
///
/// From its start (capital `C0`, rate `T0`: the program's `curve_rate` at `C0`, what
/// every purchase pays) the capital only grows, so the rate only falls. The rate at
/// the stretch's end is taken at the highest capital the stretch can reach (`C0` plus
/// the income at the starting rates: a *predictor*), corrected once when it moves far
/// ([`Rates::end_rate`]); in between the rate moves linearly in time from `T0` to
/// that end rate `T1` (second-order accurate; the predictor errs on the low side, and
/// so does the line when the rate sits on the curve's `max_rate` for part of the
/// stretch: the line is a chord under that plateau; measured against the rule stepped
/// each minute in `actuary/tests/validation.rs`: within +0.2 % / −0.7 % of premium).
/// The premium is the line's integral, a trapezoid over the whole stretch. Nothing
/// carries over: the next stretch starts from the program's rate at its own capital.
/// The exposure is the one sold at `C0` (a capped exposure grows with capital: not
/// counted, again never overstating the income).
///
/// The volume rate with a loss slope is the program's rule in continuous time:
/// `min(max_rate, base + slope · I(t) / F)` with the index `I` decaying continuously at
/// `loss_decay_per_day` and `F` the free capital at the predicted end (never
/// overstated; the rule's round-up is not counted either): integrated in closed form.
struct Stretch {
    /// The rate at the start and at the end, and the stretch's length.
    t0: f64,
    t1: f64,
    dt: f64,
    /// Slope of the rate line (bps per second, `>= 0`).
    g: f64,
    /// Premium per second per bps of charged rate.
    premium: f64,
    /// Volume: fee per second per bps, the rate's floor and cap, the loss term at the
    /// start (bps), its decay per second and the time it stops being capped.
    volume: f64,
    v_base: f64,
    v_max: f64,
    loss_term: f64,
    kappa: f64,
    v_capped: f64,
}

impl Stretch {
    /// The rate's integral over the first `x` seconds.
    #[inline]
    fn rate_integral(&self, x: f64) -> f64 {
        if x <= 0.0 {
            0.0
        } else if x == self.dt {
            // The whole stretch: the common path's own trapezoid.
            trapezoid(self.t0, self.t1, x)
        } else {
            self.t0 * x - 0.5 * self.g * x * x
        }
    }

    #[inline]
    fn volume_integral(&self, x: f64) -> f64 {
        if self.loss_term <= 0.0 || self.kappa.is_infinite() {
            return self.v_base * x;
        }
        let c = self.v_capped;
        if x <= c {
            return self.v_max * x;
        }
        self.v_max * c
            + self.v_base * (x - c)
            + self.loss_term / self.kappa * ((-self.kappa * c).exp() - (-self.kappa * x).exp())
    }

    /// Premium and volume income (whole base units, rounded down) `x` seconds in.
    #[inline]
    fn income(&self, x: f64) -> (u64, u64) {
        (
            units(self.premium * self.rate_integral(x)),
            match self.volume {
                0.0 => 0,
                v => units(v * self.volume_integral(x)),
            },
        )
    }
}

/// A path's losses in time order, one at a time: a listed sequence ([`Listed`]) or
/// drawn as the path reaches them ([`Drawn`]).
trait LossSource {
    /// The next loss `(time, amount)`; time `i64::MAX` once none is left.
    fn peek(&self) -> (i64, u64);
    /// Moves past the next loss (only while there is one: the engine pops a loss it
    /// has just met).
    fn pop(&mut self);
}

/// Losses given in advance (a replayed history).
struct Listed<'a> {
    losses: &'a [(i64, u64)],
    next: usize,
}

impl LossSource for Listed<'_> {
    #[inline(always)]
    fn peek(&self) -> (i64, u64) {
        match self.losses.get(self.next) {
            Some(&l) => l,
            None => (i64::MAX, 0),
        }
    }

    #[inline(always)]
    fn pop(&mut self) {
        self.next += 1;
    }
}

/// The loss process of `frequency` × `severity` over `[0, horizon)`, one loss ahead:
/// exponential gaps of at least one second, rounded up to whole seconds; amounts to
/// the nearest base unit, at least 1. The generator is the caller's, so the same
/// draws come in the same order whether a path's losses are listed first
/// ([`sample_losses`]) or drawn as the engine reaches them ([`Drawn`]).
struct LossStream {
    arrivals: Arrivals,
    severity: SeveritySampler,
    horizon: i64,
    /// The next loss (time `i64::MAX`, amount 0 once none is left).
    next: (i64, u64),
}

impl LossStream {
    #[inline(always)]
    fn new<R: Rng + ?Sized>(
        frequency: Frequency,
        severity: Severity,
        horizon: i64,
        rng: &mut R,
    ) -> Self {
        let arrivals = Arrivals::new(frequency, rng);
        let horizon = horizon.min(MAX_HORIZON);
        let mut s = LossStream {
            arrivals,
            severity: SeveritySampler::new(severity),
            horizon,
            next: (0, 0),
        };
        s.draw_from(0, rng);
        s
    }

    /// Draws the loss after the current one.
    #[inline(always)]
    fn advance<R: Rng + ?Sized>(&mut self, rng: &mut R) {
        self.draw_from(self.next.0, rng);
    }

    #[inline(always)]
    fn draw_from<R: Rng + ?Sized>(&mut self, t: i64, rng: &mut R) {
        let t = self.arrivals.next_after(t, self.horizon, rng);
        self.next = if t < self.horizon {
            (t, base_units(self.severity.sample(rng)))
        } else {
            (i64::MAX, 0)
        };
    }
}

/// A loss amount in base units: the nearest, at least 1 (`+ 0.5` then truncation:
/// no libm call), saturating at `i64::MAX` base units (9.2·10^18: beyond any
/// realistic cap, so no payout changes, though the uncovered part of such a loss is
/// counted to there; through `i64`, a single conversion instruction where `u64` takes
/// a sequence).
#[inline(always)]
fn base_units(x: f64) -> u64 {
    ((x + 0.5) as i64).max(1) as u64
}

/// A path's loss model: the only scenario, or one drawn uniformly (the path's first
/// draw) when there are several.
fn path_scenario<R: Rng>(cfg: &SimConfig, rng: &mut R) -> (Frequency, Severity) {
    if cfg.scenarios.len() == 1 {
        cfg.scenarios[0]
    } else {
        cfg.scenarios[rng.random_range(0..cfg.scenarios.len())]
    }
}

/// A simulated path's losses, drawn as the engine reaches them: the drawing then
/// fills the time the engine's arithmetic spends waiting on its divisions.
struct Drawn {
    stream: LossStream,
    rng: Xoshiro256PlusPlus,
}

impl Drawn {
    /// Path `i`'s losses: its own generator ([`path_rng`]), its scenario
    /// ([`path_scenario`]), then its loss process.
    fn new(cfg: &SimConfig, i: u64) -> Self {
        let mut rng = path_rng(cfg.seed, i);
        let (frequency, severity) = path_scenario(cfg, &mut rng);
        let stream = LossStream::new(frequency, severity, cfg.horizon_secs, &mut rng);
        Drawn { stream, rng }
    }
}

impl LossSource for Drawn {
    #[inline(always)]
    fn peek(&self) -> (i64, u64) {
        self.stream.next
    }

    #[inline(always)]
    fn pop(&mut self) {
        self.stream.advance(&mut self.rng);
    }
}

/// Draws losses of `frequency` × `severity` over `[0, horizon)` into `losses` (cleared
/// first): `(time in seconds, amount in base units)`, in time order. The simulation's
/// own loss process ([`LossStream`]), also what the backtest's synthetic histories
/// are made of. A horizon beyond [`MAX_HORIZON`] is cut there.
pub fn sample_losses<R: Rng>(
    frequency: Frequency,
    severity: Severity,
    horizon: i64,
    rng: &mut R,
    losses: &mut Vec<(i64, u64)>,
) {
    // `LossStream`'s draws in a tight loop (the same calls in the same order: a test
    // checks both give the same losses).
    let mut arrivals = Arrivals::new(frequency, rng);
    let severity = SeveritySampler::new(severity);
    let horizon = horizon.min(MAX_HORIZON);
    losses.clear();
    let mut t = arrivals.next_after(0, horizon, rng);
    while t < horizon {
        losses.push((t, base_units(severity.sample(rng))));
        t = arrivals.next_after(t, horizon, rng);
    }
}

/// One path of `model` over `horizon` seconds with the given losses (`(time, amount)`
/// in time order, times in `[0, horizon)`): the engine's arithmetic on a known loss
/// sequence (a held-out history replayed, or a test's hand-made one).
pub fn replay(
    model: &PoolModel,
    horizon: i64,
    losses: &[(i64, u64)],
) -> Result<PathOutcome, String> {
    validate_model(model)?;
    if horizon <= 0 {
        return Err("replay needs a positive horizon".into());
    }
    if losses.windows(2).any(|w| w[1].0 < w[0].0)
        || losses.iter().any(|&(t, a)| t < 0 || t >= horizon || a == 0)
    {
        return Err("replayed losses must be positive, in time order, within [0, horizon)".into());
    }
    let rates = Rates::new(model);
    let mut p = PathState::new(model, &rates, horizon);
    let mut row = [model.capital];
    let mut marks = Checkpoints::new(&mut row, 1, horizon);
    let mut listed = Listed { losses, next: 0 };
    while p.event(&mut listed, &mut marks) {}
    Ok(PathOutcome {
        final_capital: p.capital,
        ..p.out
    })
}

/// One event of each of `N` paths ([`PathState::event`] on each, the same operations
/// in the same order, so the same bits), in passes over the paths: their stretches'
/// floating-point arithmetic side by side (packed two to an instruction), then each
/// path's credit, payout, next draw and review. The paths' chains of dependent
/// operations (a division, the clamps, the integral, the payout, the review's
/// division and table read) then overlap where one path's alone would leave the CPU
/// waiting. Unless every path's stretch is the common one (and none is at its
/// horizon), all go one at a time.
#[inline(always)]
fn events<L: LossSource, const N: usize>(mut lanes: [&mut Lane<'_, L>; N]) {
    let mut next = [Next::default(); N];
    let mut all_common = true;
    for (n, l) in next.iter_mut().zip(lanes.iter()) {
        // At its horizon (`None`): not common, so all go one at a time.
        *n = l.path.next_event(&l.losses, &l.marks).unwrap_or_default();
        all_common &= n.common;
    }
    if !all_common {
        return one_by_one(lanes);
    }
    let r = lanes[0].path.rates;
    let (mut t0, mut dt, mut premium) = ([0.0; N], [0.0; N], [0.0; N]);
    let (mut volume, mut upper, mut c0, mut t1) = ([0.0; N], [0.0; N], [0.0; N], [0.0; N]);
    for i in 0..N {
        let p = &lanes[i].path;
        (t0[i], dt[i], premium[i]) = (p.rate, (next[i].until - p.t) as f64, p.premium);
        volume[i] = r.volume_flat * dt[i];
        upper[i] = premium[i] * t0[i] * dt[i] + volume[i];
        c0[i] = real(p.capital);
    }
    for i in 0..N {
        t1[i] = r.end_rate(c0[i], t0[i], upper[i], |t1| {
            premium[i] * trapezoid(t0[i], t1, dt[i]) + volume[i]
        });
    }
    for i in 0..N {
        let integral = trapezoid(t0[i], t1[i], dt[i]);
        let (p, v) = (units(premium[i] * integral), units(volume[i]));
        let l = &mut lanes[i];
        l.path.credit(p, v, next[i].until);
        l.path
            .finish_event(&mut l.losses, next[i].hit, next[i].loss);
    }
}

/// [`events`]' fallback: one path at a time (kept out of line: the lockstep code stays
/// small).
#[cold]
#[inline(never)]
fn one_by_one<L: LossSource, const N: usize>(lanes: [&mut Lane<'_, L>; N]) {
    for l in lanes {
        l.event();
    }
}

/// One path being simulated: its state, its losses and its checkpoints.
struct Lane<'a, L> {
    path: PathState<'a>,
    losses: L,
    marks: Checkpoints<'a>,
}

impl<'a> Lane<'a, Drawn> {
    /// Simulated path `i` from its start, recording its checkpoints into `row` (its
    /// `row[0]` set to the starting capital).
    fn start(
        model: &'a PoolModel,
        rates: &'a Rates,
        cfg: &SimConfig,
        i: u64,
        row: &'a mut [u64],
    ) -> Self {
        row[0] = model.capital;
        Lane {
            path: PathState::new(model, rates, cfg.horizon_secs),
            losses: Drawn::new(cfg, i),
            marks: Checkpoints::new(row, cfg.checkpoints as i64, cfg.horizon_secs),
        }
    }
}

impl<L: LossSource> Lane<'_, L> {
    /// [`PathState::event`].
    #[inline(always)]
    fn event(&mut self) -> bool {
        self.path.event(&mut self.losses, &mut self.marks)
    }
}

/// A path's next event.
#[derive(Clone, Copy, Default)]
struct Next {
    /// Its time.
    until: i64,
    /// The next loss's amount (paid only if `hit`).
    loss: u64,
    /// Whether the event is that loss (not a review or the horizon).
    hit: bool,
    /// Whether its stretch is the common one: a flat volume rate, no checkpoint inside.
    common: bool,
}

/// The state of one path between events.
struct PathState<'a> {
    model: &'a PoolModel,
    rates: &'a Rates,
    horizon: i64,
    t: i64,
    capital: u64,
    /// The rate charged at `capital` (bps: the program's `curve_rate`, set at each
    /// review) and the exposure sold there.
    rate: f64,
    exposure: u64,
    /// The volume rate's loss index now (base units).
    loss_index: f64,
    epoch_start: i64,
    epoch_paid: u64,
    out: PathOutcome,
    /// Premium per second per bps of charged rate on the exposure sold now
    /// (`Rates::premium · exposure`, set at each review).
    premium: f64,
}

impl<'a> PathState<'a> {
    fn new(model: &'a PoolModel, rates: &'a Rates, horizon: i64) -> Self {
        let (rate, exposure) = rates.rate_and_exposure(model, model.capital);
        PathState {
            model,
            rates,
            horizon,
            t: 0,
            capital: model.capital,
            rate: real(rate),
            exposure,
            loss_index: model.loss_index as f64,
            epoch_start: 0,
            epoch_paid: 0,
            out: PathOutcome::default(),
            premium: rates.premium * real(exposure),
        }
    }

    /// The rate review at an event: the program's rate at the current capital.
    #[inline]
    fn review(&mut self) {
        let (rate, exposure) = self.rates.rate_and_exposure(self.model, self.capital);
        (self.rate, self.exposure) = (real(rate), exposure);
        self.premium = self.rates.premium * real(self.exposure);
    }

    /// The quiet stretch from now, `dt` seconds long.
    #[inline]
    fn stretch(&self, dt: f64) -> Stretch {
        let (m, r) = (self.model, self.rates);
        let (t0, premium) = (self.rate, self.premium);
        // Volume loss term at the start, on the start's free capital (predictor) and on
        // the predicted end's (the stretch).
        let free = |c: u64| real(c.saturating_sub(m.reserved_for_claims));
        let slope = real(m.volume.loss_slope);
        let (lt0, v_rate0) = if r.loss_priced && self.loss_index > 0.0 {
            let lt = slope * self.loss_index / free(self.capital);
            (lt, (r.volume_base + lt).min(r.volume_max))
        } else {
            (0.0, r.volume_base)
        };
        // Predictor: the whole stretch at the starting rates (an upper bound).
        let volume = r.volume * v_rate0 * dt;
        let upper = premium * t0 * dt + volume;
        let c1 = self.capital.saturating_add(units(upper));
        let t1 = r.end_rate(real(self.capital), t0, upper, |t1| {
            premium * trapezoid(t0, t1, dt) + volume
        });
        let g = if dt > 0.0 { (t0 - t1) / dt } else { 0.0 };
        let loss_term = if lt0 > 0.0 {
            slope * self.loss_index / free(c1)
        } else {
            0.0
        };
        let room = r.volume_max - r.volume_base;
        let v_capped = if loss_term > room && r.kappa.is_finite() {
            if room > 0.0 {
                (loss_term / room).ln() / r.kappa
            } else {
                f64::INFINITY
            }
        } else {
            0.0
        };
        Stretch {
            t0,
            t1,
            dt,
            g,
            premium,
            volume: r.volume,
            v_base: r.volume_base,
            v_max: r.volume_max,
            loss_term,
            kappa: r.kappa,
            v_capped,
        }
    }

    /// Advances to `until` without a loss; records the capital at the checkpoints that
    /// fall in `(now, until]`.
    #[inline]
    fn advance(&mut self, until: i64, marks: &mut Checkpoints<'_>) {
        let dt = (until - self.t) as f64;
        let s = self.stretch(dt);
        while let Some(at) = marks.next_in(until) {
            let (p, v) = s.income((at - self.t) as f64);
            marks.record(self.capital.saturating_add(p).saturating_add(v));
        }
        let (p, v) = s.income(dt);
        self.capital = self.capital.saturating_add(p).saturating_add(v);
        self.out.premiums = self.out.premiums.saturating_add(p);
        self.out.volume_income = self.out.volume_income.saturating_add(v);
        if self.rates.loss_priced && dt > 0.0 {
            self.loss_index *= (-self.rates.kappa * dt).exp();
        }
        self.t = until;
    }

    /// One event: the stretch to the next loss (or review, or the horizon), the loss's
    /// payout, then the rate review. `false` (and nothing done) once the path is at its
    /// horizon. The common stretch (a flat volume rate, no checkpoint inside) is
    /// inlined here: [`Stretch`]'s arithmetic without its general parts, the
    /// same operations in the same order, so both give the same bits.
    #[inline(always)]
    fn event<L: LossSource>(&mut self, losses: &mut L, marks: &mut Checkpoints<'_>) -> bool {
        let Some(Next {
            until,
            loss,
            hit,
            common,
        }) = self.next_event(losses, marks)
        else {
            return false;
        };
        if common {
            let r = self.rates;
            let (t0, dt, premium) = (self.rate, (until - self.t) as f64, self.premium);
            let volume = r.volume_flat * dt;
            let upper = premium * t0 * dt + volume;
            let t1 = r.end_rate(real(self.capital), t0, upper, |t1| {
                premium * trapezoid(t0, t1, dt) + volume
            });
            let integral = trapezoid(t0, t1, dt);
            self.credit(units(premium * integral), units(volume), until);
        } else {
            self.advance(until, marks);
        }
        self.finish_event(losses, hit, loss);
        true
    }

    /// Credits a common stretch's premium `p` and volume income `v`, ending at time
    /// `until`.
    #[inline(always)]
    fn credit(&mut self, p: u64, v: u64, until: i64) {
        self.capital = self.capital.saturating_add(p).saturating_add(v);
        self.out.premiums = self.out.premiums.saturating_add(p);
        self.out.volume_income = self.out.volume_income.saturating_add(v);
        self.t = until;
    }

    /// The next event ([`Next`]); `None` once the path is at its horizon.
    #[inline(always)]
    fn next_event<L: LossSource>(&self, losses: &L, marks: &Checkpoints<'_>) -> Option<Next> {
        let t = self.t;
        if t >= self.horizon {
            return None;
        }
        let (next_loss, loss) = losses.peek();
        let until = next_loss
            .min(t.saturating_add(REVIEW_SECS))
            .min(self.horizon);
        Some(Next {
            until,
            loss,
            hit: until == next_loss,
            common: !self.rates.loss_priced && !marks.due(until),
        })
    }

    /// The end of an event after its stretch: the loss's payout (`hit`: the event is
    /// the next loss), the rate review, then the next loss's draw.
    #[inline(always)]
    fn finish_event<L: LossSource>(&mut self, losses: &mut L, hit: bool, loss: u64) {
        if hit && loss > 0 {
            self.pay_loss(loss);
        }
        self.review();
        // The next loss's draw depends on nothing above: the CPU overlaps it with the
        // review's division.
        if hit {
            losses.pop();
        }
    }

    /// Pays `loss` now: the per-event cap, the epoch's room and the capital above the
    /// floor (the program's `cover_amount`).
    #[inline]
    fn pay_loss(&mut self, loss: u64) {
        let (model, t) = (self.model, self.t);
        // The modelled exchange can draw: every shortfall it reports adds to the loss
        // index, capped at the per-event limit, whatever it pays (`cover_shortfall`).
        if self.rates.loss_priced {
            self.loss_index += loss.min(model.per_event_cap) as f64;
        }
        let start = current_epoch_start(self.epoch_start, model.epoch_length, t);
        if start != self.epoch_start {
            self.epoch_start = start;
            self.epoch_paid = 0;
        }
        let room = model.per_epoch_cap.saturating_sub(self.epoch_paid);
        let (covered, limit) = cover_amount(
            loss,
            model.per_event_cap,
            room,
            self.capital.saturating_sub(self.rates.floor),
        );
        let out = &mut self.out;
        if limit == CoverLimit::SolvencyFloor {
            let demand = loss.min(model.per_event_cap).min(room);
            out.unmet_by_capital = out.unmet_by_capital.saturating_add(demand - covered);
            out.ruin_time.get_or_insert(t);
        }
        self.capital -= covered;
        self.epoch_paid += covered;
        out.losses = out.losses.saturating_add(1);
        out.payouts = out.payouts.saturating_add(covered);
        out.uncovered = out.uncovered.saturating_add(loss - covered);
    }
}

/// The capital checkpoints of one path: times `round(k · horizon / steps)`, `k = 1..=steps`.
struct Checkpoints<'r> {
    /// The path's row of the capital matrix.
    row: &'r mut [u64],
    k: usize,
    steps: i64,
    horizon: i64,
    /// Time of checkpoint `k` (`i64::MAX` once all are recorded): one division per
    /// checkpoint, not per event.
    at: i64,
}

impl<'r> Checkpoints<'r> {
    /// `steps` checkpoints over `horizon` after the starting capital `row[0]`.
    fn new(row: &'r mut [u64], steps: i64, horizon: i64) -> Self {
        let mut c = Checkpoints {
            row,
            k: 1,
            steps: steps.max(1),
            horizon,
            at: 0,
        };
        c.at = c.time_of_next();
        c
    }

    fn time_of_next(&self) -> i64 {
        if self.k >= self.row.len() {
            return i64::MAX;
        }
        // In i128: `k · horizon` may exceed i64 (the quotient, at most the horizon, not).
        ((self.k as i128 * self.horizon as i128 + (self.steps / 2) as i128) / self.steps as i128)
            as i64
    }

    /// Whether a checkpoint falls in `(now, until]`: every checkpoint up to the
    /// path's time is recorded, so only `until` needs a comparison.
    #[inline(always)]
    fn due(&self, until: i64) -> bool {
        self.at <= until
    }

    /// The next checkpoint time if it falls in `(now, until]`.
    #[inline]
    fn next_in(&self, until: i64) -> Option<i64> {
        self.due(until).then_some(self.at)
    }

    #[inline]
    fn record(&mut self, capital: u64) {
        self.row[self.k] = capital;
        self.k += 1;
        self.at = self.time_of_next();
    }
}

/// Paths whose events are computed together ([`events`]).
const LANES: usize = 4;

/// Simulates paths `first..first + outs.len()`, writing each path's capital at the
/// checkpoints into its row of `fans` (`outs.len()` rows of `checkpoints + 1`):
/// `row[0]` is the starting capital, `row[k]` the capital at time
/// `round(k · horizon / checkpoints)`. The checks of [`simulate_outcomes`] first;
/// `fans` must hold `outs.len() · (checkpoints + 1)` values.
pub fn simulate_paths(
    model: &PoolModel,
    cfg: &SimConfig,
    first: u64,
    outs: &mut [PathOutcome],
    fans: &mut [u64],
) -> Result<(), String> {
    validate(model, cfg)?;
    if fans.len() != outs.len() * (cfg.checkpoints + 1) {
        return Err("fans needs checkpoints + 1 values per path".into());
    }
    if first.checked_add(outs.len() as u64).is_none() {
        return Err("path indices past u64::MAX".into());
    }
    run_paths(model, &Rates::new(model), cfg, first, outs, fans);
    Ok(())
}

/// A simulation's checks: paths, a horizon in `(0, MAX_HORIZON]`, a loss model whose
/// every scenario passes [`Frequency::check`] and [`Severity::check`], and
/// [`validate_model`].
fn validate(model: &PoolModel, cfg: &SimConfig) -> Result<(), String> {
    if cfg.paths == 0 || cfg.horizon_secs <= 0 || cfg.scenarios.is_empty() {
        return Err("simulation needs paths > 0, a positive horizon and a loss model".into());
    }
    if cfg.horizon_secs > MAX_HORIZON {
        return Err(format!("the horizon is at most {MAX_HORIZON} seconds"));
    }
    for (frequency, severity) in &cfg.scenarios {
        frequency.check()?;
        severity.check()?;
    }
    validate_model(model)
}

/// Simulates paths `first..first + outs.len()` (unchecked: [`simulate_paths`]'
/// contract), [`LANES`] at a time.
fn run_paths<'a>(
    model: &'a PoolModel,
    rates: &'a Rates,
    cfg: &SimConfig,
    first: u64,
    outs: &mut [PathOutcome],
    fans: &'a mut [u64],
) {
    let width = cfg.checkpoints + 1;
    let horizon = cfg.horizon_secs;
    let mut rows = fans.chunks_mut(width).enumerate();
    let mut start = |(j, row): (usize, &'a mut [u64])| {
        (j, Lane::start(model, rates, cfg, first + j as u64, row))
    };
    let outcome = |l: &Lane<'_, Drawn>| PathOutcome {
        final_capital: l.path.capital,
        ..l.path.out
    };
    // `LANES` paths side by side, event by event ([`events`]); a path reaching its
    // horizon hands its lane to the next path at once, so every lane stays busy until
    // the paths run out. The paths are independent: results do not depend on which
    // lane ran them or beside which others.
    let mut lanes: Vec<(usize, Lane<'_, Drawn>)> =
        rows.by_ref().take(LANES).map(&mut start).collect();
    if let Ok(quad) = <&mut [(usize, Lane<'_, Drawn>); LANES]>::try_from(lanes.as_mut_slice()) {
        'run: loop {
            events(quad.each_mut().map(|(_, l)| l));
            for (j, l) in quad.iter_mut() {
                if l.path.t >= horizon {
                    outs[*j] = outcome(l);
                    match rows.next() {
                        Some(r) => (*j, *l) = start(r),
                        None => {
                            // The last paths: finish the other lanes one at a time.
                            *j = usize::MAX;
                            break 'run;
                        }
                    }
                }
            }
        }
    }
    for (j, l) in &mut lanes {
        if *j != usize::MAX {
            while l.event() {}
            outs[*j] = outcome(l);
        }
    }
}

/// Paths per progress-bar tick and per parallel task.
const BLOCK: usize = 1_024;

/// Runs `cfg.paths` paths in parallel (rayon's global pool) and summarises them.
pub fn simulate(model: &PoolModel, cfg: &SimConfig) -> Result<SimSummary, String> {
    let (outcomes, fan) = simulate_outcomes(model, cfg)?;
    Ok(summarise(model, cfg, &outcomes, &fan))
}

/// The checks a pool model must pass to be simulated (the program's own parameter
/// rules where it has them).
pub fn validate_model(model: &PoolModel) -> Result<(), String> {
    if model.per_event_cap == 0 || model.epoch_length <= 0 || model.coverage_duration <= 0 {
        return Err("per-event cap, epoch length and coverage duration must be positive".into());
    }
    let v = &model.volume;
    if model.volume_per_day > 0 && !(v.min_rate <= v.base_rate && v.base_rate <= v.max_rate) {
        return Err(format!(
            "the volume curve needs min_rate <= base_rate <= max_rate (as update_pool_params \
             requires), got {} / {} / {}",
            v.min_rate, v.base_rate, v.max_rate
        ));
    }
    if model.volume_per_day > 0 && !(1..=BPS).contains(&v.loss_decay_per_day) {
        return Err(format!(
            "the volume curve's loss_decay_per_day must be in [1, 10000] bps (as \
             update_pool_params requires), got {}",
            v.loss_decay_per_day
        ));
    }
    Ok(())
}

/// The ruin probability alone (what a search needs: no summary, no sort; the same
/// number as [`simulate`]'s `ruin_probability`).
pub fn ruin_probability(model: &PoolModel, cfg: &SimConfig) -> Result<f64, String> {
    let cfg = SimConfig {
        checkpoints: 0,
        ..cfg.clone()
    };
    let (outcomes, _) = simulate_outcomes(model, &cfg)?;
    let ruined = outcomes.iter().filter(|o| o.ruin_time.is_some()).count();
    Ok(ruined as f64 / outcomes.len() as f64)
}

/// Runs the paths and returns every outcome and the capital matrix (row-major,
/// `checkpoints + 1` per path).
pub fn simulate_outcomes(
    model: &PoolModel,
    cfg: &SimConfig,
) -> Result<(Vec<PathOutcome>, Vec<u64>), String> {
    validate(model, cfg)?;
    let mut outcomes = vec![PathOutcome::default(); cfg.paths];
    let mut fan = vec![0u64; cfg.paths.saturating_mul(cfg.checkpoints.saturating_add(1))];
    simulate_outcomes_into(model, cfg, &mut outcomes, &mut fan)?;
    Ok((outcomes, fan))
}

/// [`simulate_outcomes`] into buffers the caller keeps (`cfg.paths` outcomes and
/// `cfg.paths · (checkpoints + 1)` capitals, every value overwritten): a caller running
/// many simulations of one size (a search, the benchmark) allocates and first touches
/// them once.
pub fn simulate_outcomes_into(
    model: &PoolModel,
    cfg: &SimConfig,
    outcomes: &mut [PathOutcome],
    fan: &mut [u64],
) -> Result<(), String> {
    validate(model, cfg)?;
    let width = cfg.checkpoints + 1;
    if outcomes.len() != cfg.paths || fan.len() != cfg.paths * width {
        return Err("buffers need cfg.paths outcomes and checkpoints + 1 values per path".into());
    }
    let rates = Rates::new(model);
    let bar = if cfg.progress {
        let b = ProgressBar::new(cfg.paths as u64);
        b.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} paths  {per_sec}  eta {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    // One task per block (`with_max_len(1)`): rayon's default splitting stops at a
    // few pieces per thread, each then run whole, and the last of them can leave one
    // thread working alone (measured on two threads: 1.64–1.78× in most runs before,
    // 1.89–1.90× after; two separate single-thread processes lose only ~2 %).
    outcomes
        .par_chunks_mut(BLOCK)
        .zip(fan.par_chunks_mut(BLOCK * width))
        .enumerate()
        .with_max_len(1)
        .for_each(|(b, (outs, fans))| {
            run_paths(model, &rates, cfg, (b * BLOCK) as u64, outs, fans);
            bar.inc(outs.len() as u64);
        });
    bar.finish_and_clear();
    Ok(())
}

fn value_at_risk_and_es(mut xs: Vec<f64>, level: f64) -> (f64, f64) {
    xs.sort_by(f64::total_cmp);
    let var = crate::fit::sorted_quantile(&xs, level);
    let tail: Vec<f64> = xs.iter().copied().filter(|&x| x >= var).collect();
    let es = if tail.is_empty() {
        var
    } else {
        tail.iter().sum::<f64>() / tail.len() as f64
    };
    (var, es)
}

fn quantiles<const N: usize>(mut xs: Vec<f64>, levels: [f64; N]) -> [f64; N] {
    xs.sort_by(f64::total_cmp);
    levels.map(|q| crate::fit::sorted_quantile(&xs, q))
}

/// Summarises outcomes (in path order, so the result is deterministic).
pub fn summarise(
    model: &PoolModel,
    cfg: &SimConfig,
    outcomes: &[PathOutcome],
    fan: &[u64],
) -> SimSummary {
    let n = outcomes.len() as f64;
    let ruined = outcomes.iter().filter(|o| o.ruin_time.is_some()).count() as f64;
    let p = ruined / n;
    let mean = |f: &dyn Fn(&PathOutcome) -> f64| outcomes.iter().map(f).sum::<f64>() / n;
    let capital_loss: Vec<f64> = outcomes
        .iter()
        .map(|o| model.capital as f64 - o.final_capital as f64)
        .collect();
    let payouts: Vec<f64> = outcomes.iter().map(|o| o.payouts as f64).collect();
    let uncovered: Vec<f64> = outcomes.iter().map(|o| o.uncovered as f64).collect();
    let (cl_var, cl_es) = value_at_risk_and_es(capital_loss, 0.995);
    let (p_var, p_es) = value_at_risk_and_es(payouts.clone(), 0.995);
    let width = cfg.checkpoints + 1;
    let fan_q = (0..width)
        .map(|k| {
            let col: Vec<f64> = fan
                .iter()
                .skip(k)
                .step_by(width)
                .map(|&c| c as f64)
                .collect();
            (
                (cfg.horizon_secs as i128 * k as i128 / cfg.checkpoints.max(1) as i128) as i64,
                quantiles(col, FAN_LEVELS),
            )
        })
        .collect();
    SimSummary {
        paths: outcomes.len(),
        horizon_secs: cfg.horizon_secs,
        seed: cfg.seed,
        ruin_probability: p,
        ruin_std_error: (p * (1.0 - p) / n).sqrt(),
        capital_loss_var_995: cl_var,
        capital_loss_es_995: cl_es,
        payouts_var_995: p_var,
        payouts_es_995: p_es,
        mean_payouts: mean(&|o| o.payouts as f64),
        mean_uncovered: mean(&|o| o.uncovered as f64),
        mean_unmet_by_capital: mean(&|o| o.unmet_by_capital as f64),
        mean_premiums: mean(&|o| o.premiums as f64),
        mean_volume_income: mean(&|o| o.volume_income as f64),
        mean_losses: mean(&|o| o.losses as f64),
        payout_quantiles: quantiles(payouts, OUTCOME_LEVELS),
        uncovered_quantiles: quantiles(uncovered, OUTCOME_LEVELS),
        fan: fan_q,
    }
}

/// The floor of an event-driven simulation: per path, only what no engine can skip:
/// the path's generator, its loss times and sizes (the engine's own [`Drawn`]).
/// Returns `(events, checksum)`; the benchmark times it to state the cost per loss
/// event below which no engine of this model can go.
pub fn draw_only(cfg: &SimConfig, first: u64, paths: u64) -> (u64, u64) {
    let (mut events, mut sum) = (0u64, 0u64);
    let mut losses = Vec::with_capacity(128);
    for i in first..first + paths {
        let mut rng = path_rng(cfg.seed, i);
        let (frequency, severity) = path_scenario(cfg, &mut rng);
        sample_losses(frequency, severity, cfg.horizon_secs, &mut rng, &mut losses);
        events += losses.len() as u64;
        sum = losses.iter().fold(sum, |s, &(_, l)| s.wrapping_add(l));
    }
    (events, sum)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::{Gpd, LogNormal};
    use insurance_pool::math::volume::VolumeCurve;

    /// The engine draws each path's losses as it reaches them ([`Drawn`]); the floor
    /// and the backtest's histories list them first ([`sample_losses`]): both must be
    /// the same losses, for every frequency and severity.
    #[test]
    fn losses_drawn_as_reached_are_the_listed_ones() {
        let severities = [
            Severity::sample_history(),
            Severity::LogNormal(LogNormal {
                mu: (8_000.0f64 * 1e6).ln(),
                sigma: 1.0,
            }),
            Severity::Exponential { mean: 1e10 },
        ];
        let frequencies = [
            Frequency::Poisson { rate: 50.0 },
            Frequency::NegativeBinomial { rate: 50.0, r: 3.0 },
        ];
        for (k, (&frequency, &severity)) in frequencies
            .iter()
            .flat_map(|f| severities.iter().map(move |s| (f, s)))
            .enumerate()
        {
            let cfg = SimConfig {
                paths: 1,
                horizon_secs: 2 * YEAR_SECS,
                seed: 7 + k as u64,
                checkpoints: 0,
                scenarios: vec![(frequency, severity)],
                progress: false,
            };
            for i in 0..200 {
                let mut listed = Vec::new();
                sample_losses(
                    frequency,
                    severity,
                    cfg.horizon_secs,
                    &mut path_rng(cfg.seed, i),
                    &mut listed,
                );
                let mut drawn = Drawn::new(&cfg, i);
                let mut seen = Vec::new();
                while drawn.peek().0 < i64::MAX {
                    seen.push(drawn.peek());
                    drawn.pop();
                }
                assert!(!listed.is_empty());
                assert_eq!(seen, listed, "{frequency:?} {severity:?} path {i}");
            }
        }
    }

    /// Paths run four at a time ([`events`]) give exactly what each path's losses
    /// replayed alone give ([`replay`]: one event at a time), with the common
    /// stretch, the general one (loss-priced volume, checkpoints) and ruin all met.
    #[test]
    fn paths_run_side_by_side_equal_each_replayed_alone() {
        let base: PoolModel =
            serde_json::from_str(include_str!("../data/sample-pool.json")).expect("sample pool");
        let mut priced = base.clone();
        priced.volume_per_day = 1_000_000_000_000;
        priced.volume = VolumeCurve {
            base_rate: 2,
            loss_slope: 20,
            min_rate: 1,
            max_rate: 30,
            loss_decay_per_day: 500,
        };
        let mut thin = base.clone();
        thin.capital = 150_000_000_000;
        let severity = Severity::sample_history();
        for (model, checkpoints) in [(&base, 0), (&base, 12), (&priced, 0), (&thin, 0)] {
            let cfg = SimConfig {
                paths: 203,
                horizon_secs: YEAR_SECS,
                seed: 11,
                checkpoints,
                scenarios: vec![(Frequency::Poisson { rate: 80.0 }, severity)],
                progress: false,
            };
            let (outs, fans) = simulate_outcomes(model, &cfg).expect("simulation");
            let width = checkpoints + 1;
            let mut ruined = 0;
            for (i, out) in outs.iter().enumerate() {
                // The path alone (fewer paths than lanes: no lockstep), checkpoints too.
                let (mut one, mut row) = ([PathOutcome::default()], vec![0; width]);
                simulate_paths(model, &cfg, i as u64, &mut one, &mut row).expect("one path");
                assert_eq!(
                    (&one[0], &row[..]),
                    (out, &fans[i * width..(i + 1) * width]),
                    "path {i} alone, checkpoints {checkpoints}"
                );
                let mut losses = Vec::new();
                let mut rng = path_rng(cfg.seed, i as u64);
                sample_losses(
                    cfg.scenarios[0].0,
                    severity,
                    YEAR_SECS,
                    &mut rng,
                    &mut losses,
                );
                let alone = replay(model, YEAR_SECS, &losses).expect("replay");
                assert_eq!(*out, alone, "path {i}, checkpoints {checkpoints}");
                ruined += out.ruin_time.is_some() as usize;
            }
            if std::ptr::eq(model, &thin) {
                assert!(ruined > 0, "the thin pool is ruined on some paths");
            }
        }
    }

    /// The review's shortcut for a pool whose cap admits the whole exposure gives the
    /// program's own rate and exposure, on both sides of where the cap starts binding.
    #[test]
    fn the_uncapped_review_is_the_programs() {
        let base: PoolModel =
            serde_json::from_str(include_str!("../data/sample-pool.json")).expect("sample pool");
        for (exposure, bps) in [
            (450_000_000_000, 50_000),
            (7, 3),
            (1 << 50, 10_001),
            (0, 5),
            (9, 0),
        ] {
            let model = PoolModel {
                exposure,
                max_exposure_bps: bps,
                ..base.clone()
            };
            let rates = Rates::new(&model);
            let edge = rates.uncapped_above.min(1 << 60) + 1;
            for c in [
                1,
                2,
                1_000,
                edge - 1,
                edge,
                edge + 1,
                600_000_000_000,
                u64::MAX / 3,
                u64::MAX,
            ] {
                assert_eq!(
                    rates.rate_and_exposure(&model, c),
                    model.rate_and_exposure(c),
                    "exposure {exposure}, bps {bps}, capital {c}"
                );
            }
        }
    }

    /// Checkpoints closer together than a second (more of them than half the
    /// horizon's seconds) are all recorded, the ones at time 0 with the starting
    /// capital; and a horizon beyond `MAX_HORIZON` is refused.
    #[test]
    fn checkpoints_finer_than_a_second_are_recorded() {
        let model: PoolModel =
            serde_json::from_str(include_str!("../data/sample-pool.json")).expect("sample pool");
        let cfg = SimConfig {
            paths: 3,
            horizon_secs: 10,
            seed: 1,
            checkpoints: 52,
            scenarios: vec![(
                Frequency::Poisson { rate: 50.0 },
                Severity::Exponential { mean: 1e9 },
            )],
            progress: false,
        };
        let (_, fan) = simulate_outcomes(&model, &cfg).expect("simulation");
        assert!(fan.iter().all(|&c| c >= model.capital), "{fan:?}");
        let far = SimConfig {
            horizon_secs: MAX_HORIZON + 1,
            ..cfg
        };
        assert!(simulate_outcomes(&model, &far).is_err());
    }

    /// A loss model outside what the sampler assumes (a non-positive scale or
    /// threshold, a tail probability outside [0, 1], a negative or infinite rate) is
    /// refused by name, never simulated.
    #[test]
    fn invalid_loss_models_are_refused() {
        let model: PoolModel =
            serde_json::from_str(include_str!("../data/sample-pool.json")).expect("sample pool");
        let Severity::Spliced {
            body,
            threshold,
            tail_prob,
            tail,
        } = Severity::sample_history()
        else {
            panic!("the sample history is spliced");
        };
        let spliced =
            |body: LogNormal, threshold: f64, tail_prob: f64, sigma: f64| Severity::Spliced {
                body,
                threshold,
                tail_prob,
                tail: Gpd { sigma, ..tail },
            };
        let poisson = Frequency::Poisson { rate: 50.0 };
        let bad = [
            (
                poisson,
                spliced(
                    LogNormal {
                        sigma: -1.0,
                        ..body
                    },
                    threshold,
                    tail_prob,
                    tail.sigma,
                ),
            ),
            (poisson, spliced(body, 0.0, tail_prob, tail.sigma)),
            (poisson, spliced(body, -threshold, tail_prob, tail.sigma)),
            (poisson, spliced(body, threshold, 1.5, tail.sigma)),
            (poisson, spliced(body, threshold, tail_prob, 0.0)),
            (poisson, spliced(body, f64::NAN, tail_prob, tail.sigma)),
            (
                poisson,
                Severity::LogNormal(LogNormal { sigma: 0.0, ..body }),
            ),
            (poisson, Severity::Exponential { mean: -1.0 }),
            (
                Frequency::Poisson { rate: -1.0 },
                Severity::sample_history(),
            ),
            (
                Frequency::Poisson {
                    rate: f64::INFINITY,
                },
                Severity::sample_history(),
            ),
            (
                Frequency::NegativeBinomial { rate: 50.0, r: 0.0 },
                Severity::sample_history(),
            ),
        ];
        for (frequency, severity) in bad {
            let cfg = SimConfig {
                paths: 8,
                horizon_secs: YEAR_SECS,
                seed: 1,
                checkpoints: 0,
                scenarios: vec![(poisson, Severity::sample_history()), (frequency, severity)],
                progress: false,
            };
            let err = simulate_outcomes(&model, &cfg).expect_err("refused");
            assert!(err.starts_with("invalid "), "{err}");
        }
        // The sample history itself, and a rate of 0, are fine.
        let cfg = SimConfig {
            paths: 8,
            horizon_secs: YEAR_SECS,
            seed: 1,
            checkpoints: 0,
            scenarios: vec![(Frequency::Poisson { rate: 0.0 }, Severity::sample_history())],
            progress: false,
        };
        let (outs, _) = simulate_outcomes(&model, &cfg).expect("simulation");
        assert!(outs.iter().all(|o| o.losses == 0));
    }
}
