//! Writes the sample loss history shipped in `actuary/data/sample-losses.csv`:
//! four years of synthetic shortfalls of a USDC-denominated pool (6 decimals), drawn
//! from a known model so a reader can compare the report's fit with the truth:
//! Poisson, 50 losses a year; lognormal body (median 8 000 USDC, sigma 1.0) below
//! 40 000 USDC, 10 % of losses above it with a GPD excess (xi 0.3, sigma 25 000 USDC).
//!
//! `cargo run -p insurance-pool-actuary --example sample-history > actuary/data/sample-losses.csv`
//!
//! The shipped file was written by this example at commit 2b63803; the severity's
//! draws have since changed (the inlined `exp`, one 64-bit draw choosing the part), so
//! a rerun now gives a different history from the same model. The file is kept as is:
//! the README's report figures are computed on it.

use actuary::dist::Severity;
use rand::SeedableRng;
use rand_distr::{Distribution, Exp1};

const START: i64 = 1_672_531_200; // 2023-01-01T00:00:00Z

fn main() {
    let severity = Severity::sample_history();
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(2023);
    let end = START + 4 * actuary::YEAR_SECS;
    println!("# Synthetic shortfalls (see actuary/examples/sample-history.rs for the model)");
    println!("# window {START} {end}");
    println!("time,amount");
    let mut t = START as f64;
    loop {
        let gap: f64 = Exp1.sample(&mut rng);
        t += gap / 50.0 * actuary::YEAR_SECS as f64;
        if t >= end as f64 {
            break;
        }
        println!("{},{}", t as i64, severity.sample(&mut rng).round() as u64);
    }
}
