//! Writes the sample loss history shipped in `actuary/data/sample-losses.csv`:
//! four years of synthetic shortfalls of a USDC-denominated pool (6 decimals), drawn
//! from a known model so a reader can compare the report's fit with the truth:
//! Poisson, 50 losses a year; lognormal body (median 8 000 USDC, sigma 1.0) below
//! 40 000 USDC, 10 % of losses above it with a GPD excess (xi 0.3, sigma 25 000 USDC).
//!
//! `cargo run -p insurance-pool-actuary --example sample-history > actuary/data/sample-losses.csv`

use actuary::dist::{Gpd, LogNormal, Severity};
use rand::SeedableRng;
use rand_distr::{Distribution, Exp1};

const USDC: f64 = 1e6;
const START: i64 = 1_672_531_200; // 2023-01-01T00:00:00Z

fn main() {
    let severity = Severity::Spliced {
        body: LogNormal {
            mu: (8_000.0 * USDC).ln(),
            sigma: 1.0,
        },
        threshold: 40_000.0 * USDC,
        tail_prob: 0.1,
        tail: Gpd {
            xi: 0.3,
            sigma: 25_000.0 * USDC,
        },
    };
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
