//! The Monte Carlo engine's speed, measured side by side in one run: one thread, every
//! core, the floor of any event-driven engine (drawing the losses and nothing else),
//! and the vectorised numpy reference (`scripts/actuary_numpy.py`, the same pool rules
//! stepped by days). Prints a table and the ratios against their targets; exits
//! non-zero only if a thread count changed a result (never on timing).
//!
//! `cargo run -p insurance-pool-actuary --bin actuary-bench [-- --paths N]` (the engine
//! and its generator are built at opt-level 3 even in the dev profile). Each timing is
//! the best of [`REPEAT`] rounds of [`RUNS`] runs, every round timing every engine: the
//! machine is shared, the best run is the least disturbed, and interleaving the
//! engines lets a disturbance fall on all of them alike.

use std::process::Command;
use std::time::Instant;

use actuary::dist::{Frequency, Severity};
use actuary::sim::{draw_only, simulate_outcomes_into, PathOutcome, PoolModel, SimConfig};
use actuary::YEAR_SECS;
use insurance_pool::math::volume::VolumeCurve;

/// Volume exchanges report per day in the benchmark (1 million tokens of 6 decimals)
/// and its flat volume rate (bps): 190 tokens a day of income net of the protocol fee,
/// passed to the numpy reference as `--volume-per-day` / `--volume-rate-bps`.
const BENCH_VOLUME_PER_DAY: u64 = 1_000_000_000_000;
const BENCH_VOLUME_RATE_BPS: u64 = 2;
/// Rounds of measurement, and runs of each engine in a round: each engine keeps its
/// best of `REPEAT · RUNS` (numpy's runs within one process, `--repeat RUNS`).
const REPEAT: usize = 5;
const RUNS: usize = 5;
/// Targets (issue 20): per core against numpy, and from one thread to two.
const TARGET_VS_NUMPY: f64 = 10.0;
const TARGET_SCALING: f64 = 1.8;

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
    (
        model,
        Frequency::Poisson { rate: 50.0 },
        Severity::sample_history(),
    )
}

/// The time of one run of `f` on a pool of `threads`, and its result.
fn timed<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> (f64, T) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool");
    pool.install(|| {
        let start = Instant::now();
        let r = f();
        (start.elapsed().as_secs_f64(), r)
    })
}

/// The outputs both engines report: ruin probability, mean payouts and mean
/// uncovered loss (tokens), and the number of losses simulated.
fn means(outs: &[PathOutcome]) -> (f64, f64, f64, u64) {
    let n = outs.len() as f64;
    let ruined = outs.iter().filter(|o| o.ruin_time.is_some()).count() as f64;
    let payouts = outs.iter().map(|o| o.payouts as f64).sum::<f64>() / n / 1e6;
    let uncovered = outs.iter().map(|o| o.uncovered as f64).sum::<f64>() / n / 1e6;
    let losses = outs.iter().map(|o| o.losses as u64).sum();
    (ruined / n, payouts, uncovered, losses)
}

fn numpy(paths: usize) -> Option<serde_json::Value> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/actuary_numpy.py");
    Command::new("python3")
        .args([
            script,
            "--paths",
            &paths.to_string(),
            "--volume-per-day",
            &BENCH_VOLUME_PER_DAY.to_string(),
            "--volume-rate-bps",
            &BENCH_VOLUME_RATE_BPS.to_string(),
            "--repeat",
            &RUNS.to_string(),
            "--json",
        ])
        // One core for numpy too (its element-wise kernels are single-threaded anyway).
        .env("OMP_NUM_THREADS", "1")
        .env("OPENBLAS_NUM_THREADS", "1")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| serde_json::from_slice::<serde_json::Value>(&o.stdout).ok())
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "MISSED"
    }
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
        .unwrap_or(1)
        .max(2);
    // Each thread count writes into its own buffers, allocated and first touched once
    // (the first run's page faults are not the engine's: a search reuses its buffers
    // the same way), so every run after the first times the simulation alone.
    let run = |outs: &mut [PathOutcome], fan: &mut [u64]| {
        simulate_outcomes_into(&model, &cfg, outs, fan).expect("simulation")
    };
    let mut one = vec![PathOutcome::default(); paths];
    let mut many = one.clone();
    let (mut fan_one, mut fan_many) = (vec![0u64; paths], vec![0u64; paths]);
    // Warm-up (page faults, thread start).
    let _ = timed(1, || draw_only(&cfg, 0, paths as u64 / 20 + 1));
    // REPEAT rounds, each timing every engine RUNS times, numpy included: a
    // disturbance of the shared machine then falls on all of them alike, and each
    // keeps its best.
    let (mut t_floor, mut t1, mut tn, mut t_np) =
        (f64::INFINITY, f64::INFINITY, f64::INFINITY, f64::INFINITY);
    let (mut events, mut np) = (0, None);
    for _ in 0..REPEAT {
        for _ in 0..RUNS {
            let (t, (e, _)) = timed(1, || draw_only(&cfg, 0, paths as u64));
            (t_floor, events) = (t_floor.min(t), e);
            let (t, ()) = timed(1, || run(&mut one, &mut fan_one));
            t1 = t1.min(t);
            let (t, ()) = timed(cores, || run(&mut many, &mut fan_many));
            tn = tn.min(t);
        }
        if let Some(v) = numpy(paths) {
            t_np = t_np.min(v["seconds"].as_f64().unwrap_or(f64::NAN));
            np = Some(v);
        }
    }
    let identical = one == many;
    let (ruin, payouts, uncovered, losses) = means(&one);
    assert_eq!(losses, events, "the floor draws the engine's losses");

    println!(
        "Monte Carlo benchmark: sample pool with {} tokens of volume a day at {BENCH_VOLUME_RATE_BPS} bps, Poisson 50/yr, spliced severity, 1 year, {paths} paths (best of {})",
        BENCH_VOLUME_PER_DAY / 1_000_000,
        REPEAT * RUNS
    );
    println!();
    println!("| engine | threads | paths/s | paths/s per core | ns per loss | ruin probability | mean payouts (tokens) | mean uncovered (tokens) |");
    println!("|---|---|---|---|---|---|---|---|");
    let per_loss = |secs: f64, threads: usize| secs * threads as f64 * 1e9 / events as f64;
    let row = |name: &str, threads: usize, secs: f64, r: &str, p: &str, u: &str| {
        let pps = paths as f64 / secs;
        println!(
            "| {name} | {threads} | {pps:.0} | {:.0} | {:.1} | {r} | {p} | {u} |",
            pps / threads as f64,
            per_loss(secs, threads),
        )
    };
    let (r, p, u) = (
        format!("{:.3} %", ruin * 100.0),
        format!("{payouts:.0}"),
        format!("{uncovered:.0}"),
    );
    row("floor: draw the losses only", 1, t_floor, "", "", "");
    row("rust (actuary, event-driven)", 1, t1, &r, &p, &u);
    row("rust (actuary, event-driven)", cores, tn, &r, &p, &u);
    if let Some(v) = &np {
        let secs = t_np;
        let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
        row(
            &format!(
                "numpy {} (vectorised, daily steps)",
                v["numpy"].as_str().unwrap_or("?")
            ),
            1,
            secs,
            &format!("{:.3} %", f("ruin_probability") * 100.0),
            &format!("{:.0}", f("mean_payouts")),
            &format!("{:.0}", f("mean_uncovered")),
        );
    }
    println!();
    println!(
        "ruin standard error: {:.3} % (binomial, {paths} paths)",
        (ruin * (1.0 - ruin) / paths as f64).sqrt() * 100.0
    );
    let scaling = t1 / tn;
    println!(
        "scaling 1 -> {cores} threads: {scaling:.2}x (target >= {TARGET_SCALING}x from 1 to 2: {})",
        verdict(cores != 2 || scaling >= TARGET_SCALING)
    );
    println!(
        "results at 1 and {cores} threads bit-identical: {}",
        if identical { "yes" } else { "NO" }
    );
    println!(
        "engine / floor: {:.2}x the floor's {:.1} ns per loss ({:.1} ns per loss above it: the rate review, the closed-form income and the payout)",
        t1 / t_floor,
        per_loss(t_floor, 1),
        per_loss(t1 - t_floor, 1)
    );
    match np {
        Some(_) => {
            let ratio = t_np / t1;
            println!(
                "rust / numpy, per core: {ratio:.1}x (target >= {TARGET_VS_NUMPY}x: {})",
                verdict(ratio >= TARGET_VS_NUMPY)
            );
        }
        None => println!("numpy reference unavailable (python3 with numpy needed): no ratio"),
    }
    if !identical {
        eprintln!("a thread count changed the result");
        std::process::exit(1);
    }
}
