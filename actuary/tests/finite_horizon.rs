//! The Monte Carlo engine's one-year (finite-horizon) ruin probability against an
//! independent numerical reference.
//!
//! **Model.** A pool with a flat 100 bps curve, unlimited caps and exposure cap, no
//! fee, no floor, no volume: the classical compound Poisson surplus process
//! `U(t) = u + c·t − S(t)`, claims Poisson at `λ = 100` a year, exponential of mean
//! `μ` = one token (10⁶ base units), premium at the constant rate
//! `c = exposure · 100 / (10 000 · coverage_duration)` base units a second. Ruin is
//! the first claim larger than the capital (`U < 0`); the horizon is one year.
//!
//! **Reference** (no code shared with the engine; units `μ` and years): Seal's
//! formulae (Dickson, *Insurance Risk and Ruin*, ch. 7; Prabhu). With
//! `F(x, t) = P(S(t) ≤ x) = e^{−λt} + Σ_{n≥1} Pois(n; λt) · Γ(x; n)` (`Γ(x; n)` the
//! Gamma(n, μ) CDF) and `f(x, s) = Σ_{n≥1} Pois(n; λs) · γ(x; n)` the density of
//! `S(s)` at `x > 0`:
//! - `φ(0, t) = (1 / ct) ∫_0^{ct} F(y, t) dy` (Takács' ballot theorem), in closed
//!   form here: `∫_0^x Γ(y; n) dy = x Γ(x; n) − n Γ(x; n + 1)`;
//! - `φ(u, t) = F(u + ct, t) − c ∫_0^t φ(0, t − s) f(u + cs, s) ds`, by composite
//!   Simpson with a step of 0.1 mean claim gaps (2 gaps away from both ends of
//!   horizons over 2 years); `ψ = 1 − φ`.
//!
//! For an integer shape the Gamma CDF is a Poisson tail, `Γ(x; n) = P(N_x ≥ n)` with
//! `N_x ~ Poisson(x/μ)`, summed from the top (positive terms only) with pmfs in log
//! space (`ln n!` by Stirling's series); a separate test checks it against the
//! regularized lower incomplete gamma by series / continued fraction.
//!
//! **Errors.** (1) The reference: Simpson's error, estimated as the whole difference
//! between the result and the one with twice the step (Richardson puts the error of
//! the fine result at 1/15 of that, so the estimate is conservative; it is below
//! 5·10⁻⁷ at one year), plus 10⁻¹² for the Poisson sums (truncated 14 standard
//! deviations out: the mass left out is below 10⁻³⁰) and the f64 arithmetic
//! (~10⁻¹³). The reference is sanity-checked too: `ψ(u, T)` increases with `T`,
//! stays below and tends to the Cramér–Lundberg `ψ(u) = e^{−θu/((1+θ)μ)} / (1 + θ)`
//! (50 years: equal to 6 digits), and the general formula at `u = 0` agrees with
//! `φ(0, t)`.
//! (2) The simulation: the binomial standard error (0.04 % to 0.08 % with 300 000
//! paths). (3) The engine's rounding: claims to the nearest base unit (unbiased),
//! claim times up to whole seconds (1 s of premium, ~4 base units, on the pool's
//! side) and each stretch's income down to a whole base unit (one per claim or
//! 30-day review: ~110 base units a year, ~10⁻⁴ μ). As `|∂ψ/∂u| < 0.1/μ` here
//! (checked on the reference), their effect is below 10⁻⁵ absolute; the allowance is
//! 10⁻⁴.
//!
//! **Tolerance**: `|simulated − reference| ≤ 4 · std error + reference error + 10⁻⁴`.
//! The reference uses the premium rate the engine actually accrues (the integer
//! exposure's), so the loading is exact. A wrong loading shows: with θ off by 0.01
//! in the reference only, the cases below miss by 13 to 20 standard errors (23 to 39
//! with 0.02).

use std::sync::OnceLock;

use actuary::dist::{Frequency, Severity};
use actuary::sim::{simulate, PoolModel, SimConfig};
use actuary::YEAR_SECS;
use insurance_pool::math::premium::Curve;

const TOKEN: u64 = 1_000_000;
/// Claims a year.
const LAMBDA: f64 = 100.0;
const COVERAGE_SECS: i64 = 30 * 86_400;
/// Allowance for the engine's base-unit and whole-second rounding (absolute).
const ROUNDING_ALLOWANCE: f64 = 1e-4;
/// Bound on the Poisson sums' truncation and the f64 arithmetic (absolute).
const SUM_ERROR: f64 = 1e-12;

// ---------------------------------------------------------------------------------
// The engine's model (as in `validation.rs`).
// ---------------------------------------------------------------------------------

fn flat(rate: u64) -> Curve {
    Curve {
        base_rate: rate,
        slope1: 0,
        kink: 8_000,
        slope2: 0,
        min_rate: rate,
        max_rate: rate,
    }
}

/// The classical surplus process: unlimited caps, no floor, a constant premium rate.
fn classical(capital: u64, exposure: u64) -> PoolModel {
    PoolModel {
        capital,
        exposure,
        curve: flat(100),
        coverage_duration: COVERAGE_SECS,
        max_exposure_bps: u64::MAX,
        protocol_fee_bps: 0,
        min_reserve: 0,
        reserved_for_claims: 0,
        per_event_cap: u64::MAX,
        per_epoch_cap: u64::MAX,
        epoch_length: 86_400,
        volume_per_day: 0,
        volume: actuary::sim::no_volume_curve(),
        loss_index: 0,
    }
}

/// The pool earning `(1 + theta)·λ·μ` a year on `u` tokens of capital, and the premium
/// rate it really accrues (integer exposure), in tokens a year.
fn pool(u_tokens: u64, theta: f64) -> (PoolModel, f64) {
    let c_target = (1.0 + theta) * LAMBDA * TOKEN as f64; // base units a year
    let exposure =
        (c_target * 10_000.0 / 100.0 * COVERAGE_SECS as f64 / YEAR_SECS as f64).round() as u64;
    let per_sec = exposure as f64 * 100.0 / (10_000.0 * COVERAGE_SECS as f64);
    let c = per_sec * YEAR_SECS as f64 / TOKEN as f64;
    assert!((c / (LAMBDA * (1.0 + theta)) - 1.0).abs() < 1e-6, "{c}");
    (classical(u_tokens * TOKEN, exposure), c)
}

fn one_year(paths: usize, seed: u64) -> SimConfig {
    SimConfig {
        paths,
        horizon_secs: YEAR_SECS,
        seed,
        checkpoints: 0,
        scenarios: vec![(
            Frequency::Poisson { rate: LAMBDA },
            Severity::Exponential { mean: TOKEN as f64 },
        )],
        progress: false,
    }
}

// ---------------------------------------------------------------------------------
// Special functions (f64, log space).
// ---------------------------------------------------------------------------------

/// `ln Γ(x)` for `x > 0`: shifted to `x ≥ 15`, then Stirling's series (error < 10⁻¹⁴).
fn ln_gamma(mut x: f64) -> f64 {
    assert!(x > 0.0);
    let mut shift = 0.0;
    while x < 15.0 {
        shift += x.ln();
        x += 1.0;
    }
    let (x2, x3) = (x * x, x * x * x);
    (x - 0.5) * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI).ln() + 1.0 / (12.0 * x)
        - 1.0 / (360.0 * x3)
        + 1.0 / (1260.0 * x3 * x2)
        - 1.0 / (1680.0 * x3 * x2 * x2)
        - shift
}

/// `ln n!` for `n` below a generous bound (each from `ln_gamma`: no accumulated error).
fn ln_fact(n: usize) -> f64 {
    static TABLE: OnceLock<Vec<f64>> = OnceLock::new();
    let table = TABLE.get_or_init(|| (0..20_000).map(|k| ln_gamma(k as f64 + 1.0)).collect());
    table[n]
}

/// `ln P(N = k)` for `N ~ Poisson(m)`, `m > 0`.
fn ln_pois(k: usize, m: f64) -> f64 {
    -m + k as f64 * m.ln() - ln_fact(k)
}

/// Where `Poisson(m)` lives: `m ∓ 14 sd` (and a margin for small `m`); outside, the
/// mass is below 10⁻³⁰.
fn window(m: f64) -> (usize, usize) {
    let sd = m.sqrt();
    (
        (m - 14.0 * sd - 20.0).floor().max(0.0) as usize,
        (m + 14.0 * sd + 30.0).ceil() as usize,
    )
}

/// `P(N_x ≥ n)` for `N_x ~ Poisson(x)`, `n = lo..=hi`: the Gamma(n, 1) CDF at `x`,
/// summed from the top of the distribution down (positive terms only).
fn gamma_cdfs(x: f64, lo: usize, hi: usize) -> Vec<f64> {
    let top = hi.max(window(x).1);
    let mut out = vec![0.0; hi + 1 - lo];
    let mut tail = 0.0;
    for k in (lo..=top).rev() {
        let l = ln_pois(k, x);
        if l > -745.0 {
            tail += l.exp();
        }
        if k <= hi {
            out[k - lo] = tail.min(1.0);
        }
    }
    out
}

/// The regularized lower incomplete gamma `P(a, x)`: series below `a + 1`, Lentz's
/// continued fraction above, the prefactor in log space (Numerical Recipes §6.2).
/// Used only to check [`gamma_cdfs`].
fn gamma_p(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let prefactor = (-x + a * x.ln() - ln_gamma(a)).exp();
    if x < a + 1.0 {
        let (mut ap, mut del) = (a, 1.0 / a);
        let mut sum = del;
        for _ in 0..10_000 {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * 1e-17 {
                break;
            }
        }
        (sum * prefactor).min(1.0)
    } else {
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let (mut c, mut d) = (1.0 / tiny, 1.0 / b);
        let mut h = d;
        for i in 1..10_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-16 {
                break;
            }
        }
        1.0 - prefactor * h
    }
}

// ---------------------------------------------------------------------------------
// Seal's formulae (units: μ = 1, years).
// ---------------------------------------------------------------------------------

struct Seal {
    /// Claims a year.
    lambda: f64,
    /// Premium per year, in mean claims.
    c: f64,
}

/// A reference ruin probability and its estimated numerical error (absolute).
#[derive(Clone, Copy, Debug)]
struct Reference {
    psi: f64,
    error: f64,
}

impl Seal {
    /// `F(x, t) = P(S(t) ≤ x)`.
    fn aggregate_cdf(&self, x: f64, t: f64) -> f64 {
        let m = self.lambda * t;
        let (lo, hi) = window(m);
        let lo = lo.max(1);
        let cdfs = gamma_cdfs(x, lo, hi);
        (-m).exp()
            + (lo..=hi)
                .map(|n| ln_pois(n, m).exp() * cdfs[n - lo])
                .sum::<f64>()
    }

    /// `f(x, s)`, the density of `S(s)` at `x > 0`: `Σ Pois(n; λs) · γ(x; n)`, the
    /// Gamma(n, 1) density being `Pois(n − 1; x)`.
    fn aggregate_density(&self, x: f64, s: f64) -> f64 {
        if s <= 0.0 {
            return 0.0;
        }
        let m = self.lambda * s;
        let (lo, hi) = window(m);
        (lo.max(1)..=hi)
            .map(|n| (ln_pois(n, m) + ln_pois(n - 1, x)).exp())
            .sum()
    }

    /// `φ(0, t) = (1/ct) ∫_0^{ct} F(y, t) dy`, with
    /// `∫_0^x Γ(y; n) dy = x Γ(x; n) − n Γ(x; n + 1)`.
    fn survival_from_zero(&self, t: f64) -> f64 {
        if t <= 0.0 {
            return 1.0;
        }
        let (m, x) = (self.lambda * t, self.c * t);
        let (lo, hi) = window(m);
        let lo = lo.max(1);
        let cdfs = gamma_cdfs(x, lo, hi + 1);
        let integral: f64 = (lo..=hi)
            .map(|n| {
                ln_pois(n, m).exp() * (x * cdfs[n - lo] - n as f64 * cdfs[n + 1 - lo]).max(0.0)
            })
            .sum();
        ((-m).exp() + integral / x).min(1.0)
    }

    /// `ψ(u, t)` by `φ(u, t) = F(u + ct, t) − c ∫_0^t φ(0, t − s) f(u + cs, s) ds`:
    /// composite Simpson on panels with the step `h` near both ends (the first and the
    /// last year) and `20 h` in between; the error is the whole difference from the
    /// same rule with twice the steps, plus [`SUM_ERROR`].
    fn ruin(&self, u: f64, t: f64) -> Reference {
        let h = 0.1 / self.lambda;
        let panels: Vec<(f64, f64, f64)> = if t <= 2.0 {
            vec![(0.0, t, h)]
        } else {
            vec![(0.0, 1.0, h), (1.0, t - 1.0, 20.0 * h), (t - 1.0, t, h)]
        };
        let integrand =
            |s: f64| self.survival_from_zero(t - s) * self.aggregate_density(u + self.c * s, s);
        let (mut fine, mut coarse) = (0.0, 0.0);
        for (a, b, step) in panels {
            // Fine intervals: a multiple of 4, so the coarse rule (every other node)
            // is Simpson's too.
            let n = 4 * ((b - a) / (4.0 * step)).ceil().max(1.0) as usize;
            let hf = (b - a) / n as f64;
            let values: Vec<f64> = (0..=n).map(|i| integrand(a + i as f64 * hf)).collect();
            let simpson = |stride: usize| {
                let hh = hf * stride as f64;
                let k = n / stride;
                let mut sum = values[0] + values[n];
                for j in 1..k {
                    sum += if j % 2 == 1 { 4.0 } else { 2.0 } * values[j * stride];
                }
                sum * hh / 3.0
            };
            fine += simpson(1);
            coarse += simpson(2);
        }
        let head = self.aggregate_cdf(u + self.c * t, t);
        let psi = |integral: f64| 1.0 - (head - self.c * integral);
        Reference {
            psi: psi(fine),
            error: (psi(fine) - psi(coarse)).abs() + SUM_ERROR,
        }
    }
}

/// The Cramér–Lundberg infinite-horizon ruin probability (exponential claims, μ = 1).
fn cramer_lundberg(u: f64, theta: f64) -> f64 {
    (-theta * u / (1.0 + theta)).exp() / (1.0 + theta)
}

/// The test cases: (capital in tokens, loading).
const CASES: [(u64, f64); 3] = [(10, 0.1), (5, 0.25), (15, 0.2)];

// ---------------------------------------------------------------------------------
// Tests.
// ---------------------------------------------------------------------------------

#[test]
fn poisson_tail_gamma_cdf_matches_the_incomplete_gamma_function() {
    // Known values first: Γ(1/2) = √π, 10! and P(1, x) = 1 − e^{−x}.
    assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-13);
    assert!((ln_fact(10) - 3_628_800f64.ln()).abs() < 1e-12);
    for x in [0.01, 0.7, 3.0, 25.0] {
        let d = (gamma_p(1.0, x) - (1.0 - (-x).exp())).abs();
        assert!(
            d < 1e-13,
            "P(1, {x}): {} vs {}",
            gamma_p(1.0, x),
            1.0 - (-x).exp()
        );
    }
    let mut worst: f64 = 0.0;
    for x in [0.3, 4.0, 37.5, 99.0, 131.0, 260.0, 1_250.0] {
        let cdfs = gamma_cdfs(x, 1, 1_600);
        for n in [
            1usize, 2, 7, 30, 90, 100, 125, 140, 200, 290, 1_100, 1_250, 1_400,
        ] {
            let d = (cdfs[n - 1] - gamma_p(n as f64, x)).abs();
            worst = worst.max(d);
            assert!(
                d < 1e-12,
                "P({n}, {x}): {} vs {}",
                cdfs[n - 1],
                gamma_p(n as f64, x)
            );
        }
    }
    println!("Poisson-tail Gamma CDF vs series/continued fraction: max |diff| {worst:.1e}");
}

#[test]
fn the_reference_is_increasing_in_the_horizon_and_tends_to_cramer_lundberg() {
    for (u_tokens, theta) in CASES {
        let (_, c) = pool(u_tokens, theta);
        let seal = Seal { lambda: LAMBDA, c };
        let theta = c / LAMBDA - 1.0;
        let u = u_tokens as f64;
        let limit = cramer_lundberg(u, theta);
        let horizons = [0.05, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 50.0];
        let refs: Vec<Reference> = horizons.iter().map(|&t| seal.ruin(u, t)).collect();
        for (t, r) in horizons.iter().zip(&refs) {
            println!(
                "u = {u} μ, θ = {theta:.4}: ψ(u, {t:>5} y) = {:.6} ± {:.1e}  (ψ(u, ∞) = {limit:.6})",
                r.psi, r.error
            );
            assert!(r.error < 1e-5, "mesh too coarse at T = {t}: {r:?}");
            assert!(
                r.psi > 0.0 && r.psi <= limit + r.error,
                "T = {t}: {r:?} vs {limit}"
            );
        }
        for w in refs.windows(2) {
            assert!(w[1].psi > w[0].psi - w[0].error - w[1].error, "{w:?}");
        }
        let last = refs.last().unwrap();
        assert!(
            (last.psi - limit).abs() < 0.01 * limit,
            "ψ(u, 50 y) = {} vs Cramér–Lundberg {limit}",
            last.psi
        );
        // Zero capital: the general formula against Takács' (two different formulae),
        // and its limit 1/(1+θ).
        for t in [0.1, 1.0, 10.0] {
            let general = seal.ruin(0.0, t);
            let direct = 1.0 - seal.survival_from_zero(t);
            assert!(
                (general.psi - direct).abs() < general.error + 1e-9,
                "ψ(0, {t}): {general:?} vs {direct}"
            );
        }
        let at_zero = 1.0 - seal.survival_from_zero(50.0);
        assert!(
            (at_zero - cramer_lundberg(0.0, theta)).abs() < 0.01 * cramer_lundberg(0.0, theta),
            "ψ(0, 50 y) = {at_zero}"
        );
    }
}

/// The simulated one-year ruin probability of case `(u_tokens, theta)` against Seal's.
fn check_one_year(u_tokens: u64, theta: f64, seed: u64) {
    let (model, c) = pool(u_tokens, theta);
    let seal = Seal { lambda: LAMBDA, c };
    let u = u_tokens as f64;
    let reference = seal.ruin(u, 1.0);
    assert!(
        reference.psi > 0.03 && reference.psi < 0.3,
        "the case should be informative: {reference:?}"
    );
    // The rounding allowance rests on the sensitivity to capital (the secant over
    // one μ).
    let slope = seal.ruin(u - 0.5, 1.0).psi - seal.ruin(u + 0.5, 1.0).psi;
    assert!(slope > 0.0 && slope < 0.1, "∂ψ/∂u ≈ −{slope} per μ");
    let s = simulate(&model, &one_year(300_000, seed)).unwrap();
    let diff = s.ruin_probability - reference.psi;
    let tolerance = 4.0 * s.ruin_std_error + reference.error + ROUNDING_ALLOWANCE;
    println!(
        "u = {u_tokens} μ, θ = {:.4}, λ = {LAMBDA}/y, T = 1 y: Seal ψ = {:.6} ± {:.1e}; \
         simulated {:.6} ± {:.6} (std error); diff {:+.6} = {:+.2} se; tolerance {:.6} (∂ψ/∂u ≈ −{slope:.3}/μ)",
        c / LAMBDA - 1.0,
        reference.psi,
        reference.error,
        s.ruin_probability,
        s.ruin_std_error,
        diff,
        diff / s.ruin_std_error,
        tolerance
    );
    assert!(s.ruin_std_error < 1e-3, "{}", s.ruin_std_error);
    assert!(
        diff.abs() <= tolerance,
        "simulated {} ± {} vs reference {reference:?}",
        s.ruin_probability,
        s.ruin_std_error
    );
}

#[test]
fn one_year_ruin_matches_seal_with_ten_tokens_and_ten_percent_loading() {
    let (u, theta) = CASES[0];
    check_one_year(u, theta, 11);
}

#[test]
fn one_year_ruin_matches_seal_with_five_tokens_and_twenty_five_percent_loading() {
    let (u, theta) = CASES[1];
    check_one_year(u, theta, 12);
}

#[test]
fn one_year_ruin_matches_seal_with_fifteen_tokens_and_twenty_percent_loading() {
    let (u, theta) = CASES[2];
    check_one_year(u, theta, 13);
}
