//! Paths per second of the Monte Carlo engine, single- and multi-threaded, against a
//! vectorised numpy implementation of the same model (`scripts/actuary_numpy.py`).
//! Prints a table; never fails on timing.
//!
//! `cargo run -p insurance-pool-actuary --bin actuary-bench [-- --paths N]` (the engine
//! and its generator are built at opt-level 3 even in the dev profile).

use std::process::Command;
use std::time::Instant;

use actuary::dist::{Frequency, Gpd, LogNormal, Severity};
use actuary::sim::{simulate, PoolModel, SimConfig, SimSummary};
use actuary::YEAR_SECS;
use insurance_pool::math::volume::VolumeCurve;

/// Volume exchanges report per day in the benchmark (1 million tokens of 6 decimals)
/// and its flat volume rate (bps): 190 tokens a day of income net of the protocol fee,
/// passed to the numpy reference as `--volume-per-day` / `--volume-rate-bps`.
const BENCH_VOLUME_PER_DAY: u64 = 1_000_000_000_000;
const BENCH_VOLUME_RATE_BPS: u64 = 2;

/// The fixed benchmark model: the sample pool (`actuary/data/sample-pool.json`) with a
/// flat volume income (a volume curve without loss slope: the same constant income per
/// day in both engines), and the sample history's generating loss model.
fn bench_model() -> (PoolModel, Frequency, Severity) {
    let mut model: PoolModel =
        serde_json::from_str(include_str!("../../data/sample-pool.json")).expect("sample pool");
    model.volume_per_day = BENCH_VOLUME_PER_DAY;
    model.volume = VolumeCurve {
        base_rate: BENCH_VOLUME_RATE_BPS,
        loss_slope: 0,
        min_rate: BENCH_VOLUME_RATE_BPS,
        max_rate: BENCH_VOLUME_RATE_BPS,
        loss_decay_per_day: 500,
    };
    let severity = Severity::Spliced {
        body: LogNormal {
            mu: (8_000.0f64 * 1e6).ln(),
            sigma: 1.0,
        },
        threshold: 40_000.0 * 1e6,
        tail_prob: 0.1,
        tail: Gpd {
            xi: 0.3,
            sigma: 25_000.0 * 1e6,
        },
    };
    (model, Frequency::Poisson { rate: 50.0 }, severity)
}

fn run(threads: usize, paths: usize, model: &PoolModel, cfg: &SimConfig) -> (f64, SimSummary) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    let cfg = SimConfig {
        paths,
        ..cfg.clone()
    };
    let start = Instant::now();
    let s = pool.install(|| simulate(model, &cfg)).expect("simulation");
    (paths as f64 / start.elapsed().as_secs_f64(), s)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let paths: usize = args
        .iter()
        .position(|a| a == "--paths")
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(200_000);
    let (model, frequency, severity) = bench_model();
    let cfg = SimConfig {
        paths,
        horizon_secs: YEAR_SECS,
        seed: 1,
        checkpoints: 0,
        scenarios: vec![(frequency, severity)],
        progress: false,
    };
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    // Warm-up (page faults, thread start).
    run(1, paths / 20 + 1, &model, &cfg);
    let (single, s1) = run(1, paths, &model, &cfg);
    let (multi, sn) = run(cores, paths, &model, &cfg);
    assert_eq!(
        s1.ruin_probability, sn.ruin_probability,
        "thread count changed the result"
    );

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/actuary_numpy.py");
    let numpy = Command::new("python3")
        .args([
            script,
            "--paths",
            &paths.to_string(),
            "--volume-per-day",
            &BENCH_VOLUME_PER_DAY.to_string(),
            "--volume-rate-bps",
            &BENCH_VOLUME_RATE_BPS.to_string(),
            "--json",
        ])
        // One core for numpy too (its element-wise kernels are single-threaded anyway).
        .env("OMP_NUM_THREADS", "1")
        .env("OPENBLAS_NUM_THREADS", "1")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| serde_json::from_slice::<serde_json::Value>(&o.stdout).ok());

    println!(
        "Monte Carlo benchmark: sample pool with {} tokens of volume a day at {BENCH_VOLUME_RATE_BPS} bps, Poisson 50/yr, spliced severity, 1 year, {paths} paths",
        BENCH_VOLUME_PER_DAY / 1_000_000
    );
    println!();
    println!("| engine | threads | paths/s | paths/s per core | ruin probability | mean payouts (tokens) |");
    println!("|---|---|---|---|---|---|");
    let row = |name: &str, threads: usize, pps: f64, ruin: f64, payouts: f64| {
        println!(
            "| {name} | {threads} | {pps:.0} | {:.0} | {:.3} % | {:.0} |",
            pps / threads as f64,
            ruin * 100.0,
            payouts / 1e6
        );
    };
    row(
        "rust (actuary)",
        1,
        single,
        s1.ruin_probability,
        s1.mean_payouts,
    );
    row(
        "rust (actuary)",
        cores,
        multi,
        sn.ruin_probability,
        sn.mean_payouts,
    );
    match numpy {
        Some(v) => {
            let pps = v["paths_per_sec"].as_f64().unwrap_or(f64::NAN);
            row(
                &format!("numpy {} (vectorised)", v["numpy"].as_str().unwrap_or("?")),
                1,
                pps,
                v["ruin_probability"].as_f64().unwrap_or(f64::NAN),
                v["mean_payouts"].as_f64().unwrap_or(f64::NAN) * 1e6,
            );
            println!();
            println!("rust / numpy, per core: {:.1}x", single / pps);
        }
        None => println!("\nnumpy reference unavailable (python3 with numpy needed): no ratio"),
    }
}
