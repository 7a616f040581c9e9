//! The recommendation's backtest on held-out histories (see `actuary::backtest`):
//! prints the Markdown table, exits 1 if fewer than the required share of cases pass.
//!
//! `cargo run -p insurance-pool-actuary --bin actuary-backtest [-- --histories N]
//! [--search-paths N] [--eval-paths N] [--bootstrap N] [--no-parameter-uncertainty]
//! [--confidence-pct Q | --no-confidence] [--replicates N] [--replicate-paths N]
//! [--seed S] [--json]`; defaults: `BacktestConfig::default()` (the README's run).

use actuary::backtest::{markdown, run, BacktestConfig};
use actuary::sim::PoolModel;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| -> Option<u64> {
        let i = args.iter().position(|a| a == flag)?;
        match args.get(i + 1).and_then(|v| v.parse().ok()) {
            Some(v) => Some(v),
            None => {
                eprintln!("{flag} needs a number");
                std::process::exit(2);
            }
        }
    };
    let mut cfg = BacktestConfig::default();
    if let Some(v) = value("--histories") {
        cfg.histories = v as usize;
    }
    if let Some(v) = value("--search-paths") {
        cfg.search_paths = v as usize;
    }
    if let Some(v) = value("--eval-paths") {
        cfg.eval_paths = v as usize;
    }
    if let Some(v) = value("--bootstrap") {
        cfg.bootstrap = v as usize;
    }
    if let Some(v) = value("--seed") {
        cfg.seed = v;
    }
    if args.iter().any(|a| a == "--no-parameter-uncertainty") {
        cfg.parameter_uncertainty = false;
    }
    if let Some(v) = value("--confidence-pct") {
        cfg.confidence = Some(v as f64 / 100.0);
    }
    if args.iter().any(|a| a == "--no-confidence") {
        cfg.confidence = None;
    }
    if let Some(v) = value("--replicates") {
        cfg.replicates = v as usize;
    }
    if let Some(v) = value("--replicate-paths") {
        cfg.replicate_paths = v as usize;
    }
    let pool: PoolModel = match serde_json::from_str(include_str!("../../data/sample-pool.json")) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("sample pool: {e}");
            std::process::exit(2);
        }
    };
    let start = std::time::Instant::now();
    match run(&pool, &cfg) {
        Ok(b) => {
            if args.iter().any(|a| a == "--json") {
                println!("{}", serde_json::to_string_pretty(&b).unwrap_or_default());
            } else {
                print!("{}", markdown(&b));
                println!("({:.1} s)", start.elapsed().as_secs_f64());
            }
            if !b.ok {
                std::process::exit(1);
            }
        }
        Err(e) => {
            eprintln!("backtest failed: {e}");
            std::process::exit(2);
        }
    }
}
