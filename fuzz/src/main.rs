//! `cargo run --release -p insurance-pool-fuzz -- --ops 1000000 --seed 1`
//!
//! Generates the seed's operation sequence, runs it on the SBF binaries in LiteSVM in
//! lockstep with the reference model, and prints operations per second, the checks
//! done and the counts per instruction (succeeded / refused by error name / skipped).
//! On a broken rule it prints the seed and the step, shrinks the sequence, prints the
//! shrunk case and writes it to `fuzz/regressions/seed-<seed>.json` (replayed by the
//! normal test suite), and exits 1.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use insurance_pool_fuzz::harness::{self, Harness};
use insurance_pool_fuzz::{ops, regressions_dir, run, save_regression, shrink};

const USAGE: &str = "usage: fuzz [--ops N] [--seed N | --random-seed] [--sigverify] [--no-shrink]
            [--deploy-dir DIR] [--regressions DIR]

  --ops N            operations to run (default 20000)
  --seed N           seed of the operation sequence (default 1)
  --random-seed      a seed from the clock (printed, so a failure can be replayed)
  --sigverify        verify transaction signatures (off by default: the programs see
                     the same signer flags either way, and it costs throughput)
  --no-shrink        on a failure, print it without shrinking or writing a case
  --deploy-dir DIR   where insurance_pool.so and example_exchange.so are
                     (default $SBF_OUT_DIR, else target/deploy)
  --regressions DIR  where shrunk cases are written (default fuzz/regressions)";

struct Args {
    ops: usize,
    seed: u64,
    sigverify: bool,
    shrink: bool,
    deploy_dir: PathBuf,
    regressions: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        ops: 20_000,
        seed: 1,
        sigverify: false,
        shrink: true,
        deploy_dir: harness::default_deploy_dir(),
        regressions: regressions_dir(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--ops" => args.ops = value("--ops")?.parse().map_err(|e| format!("--ops: {e}"))?,
            "--seed" => {
                args.seed = value("--seed")?
                    .parse()
                    .map_err(|e| format!("--seed: {e}"))?
            }
            "--random-seed" => {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_err(|e| e.to_string())?
                    .as_nanos();
                args.seed = (nanos as u64) ^ ((nanos >> 64) as u64) ^ std::process::id() as u64;
            }
            "--sigverify" => args.sigverify = true,
            "--no-shrink" => args.shrink = false,
            "--deploy-dir" => args.deploy_dir = value("--deploy-dir")?.into(),
            "--regressions" => args.regressions = value("--regressions")?.into(),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("error: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match harness::stale_sources(&args.deploy_dir) {
        Ok(newer) if newer.is_empty() => {}
        Ok(newer) => eprintln!(
            "warning: {} program source file(s) are newer than the binaries in {} \
             (e.g. {}): fuzzing a STALE build; rebuild with scripts/build-sbf.sh",
            newer.len(),
            args.deploy_dir.display(),
            newer[0].display()
        ),
        Err(e) => {
            eprintln!(
                "error: cannot read the SBF binaries in {}: {e} (build them with \
                 scripts/build-sbf.sh)",
                args.deploy_dir.display()
            );
            return ExitCode::from(2);
        }
    }

    println!("seed {} ({} operations)", args.seed, args.ops);
    let sequence = ops::generate(args.seed, args.ops);
    let setup = Instant::now();
    let pristine = match Harness::new(&args.deploy_dir, args.sigverify) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("error: setup: {e}");
            return ExitCode::from(2);
        }
    };
    let setup = setup.elapsed();
    let mut h = pristine.fork();
    let (report, failure) = run(&mut h, &sequence);

    let secs = report.elapsed.as_secs_f64();
    let txs = report.ops - report.warps;
    println!(
        "on the SBF binaries in {} (LiteSVM 0.16.0, sigverify {})",
        args.deploy_dir.display(),
        if args.sigverify { "on" } else { "off" }
    );
    println!(
        "setup (protocol, 4 markets, 2 exchanges, {} actors): {:.1} ms",
        h.actors.len(),
        setup.as_secs_f64() * 1e3
    );
    println!(
        "{:.2} s: {:.0} ops/s ({} transactions, {} clock moves); {:.0} % of the time in transactions, the rest the model and the checks",
        secs,
        report.ops as f64 / secs,
        txs,
        report.warps,
        100.0 * report.in_svm.as_secs_f64() / secs
    );
    println!(
        "checks: {} (accounts compared with the model, invariant sweeps of every pool and exchange, per-step bounds)",
        report.checks
    );
    println!();
    println!(
        "{:<38} {:>8} {:>8} {:>8} {:>8} {:>10}",
        "instruction", "ok", "refused", "skipped", "CU/ok", "CU/refused"
    );
    for (name, c) in &report.per_instruction {
        let refused = c.refused_total();
        let avg = |cu: u64, n: u64| cu.checked_div(n).unwrap_or(0);
        println!(
            "{:<38} {:>8} {:>8} {:>8} {:>8} {:>10}",
            name,
            c.ok,
            refused,
            c.skipped,
            avg(c.cu_ok, c.ok),
            avg(c.cu_refused, refused)
        );
        let mut reasons: Vec<_> = c.refused.iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (reason, n) in reasons {
            println!("    {reason:<42} {n:>8}");
        }
    }

    let Some(f) = failure else {
        println!("\nall rules held");
        return ExitCode::SUCCESS;
    };
    println!(
        "\nRULE BROKEN at step {} (seed {}) by {:?}:\n{}",
        f.step, args.seed, f.op, f.message
    );
    println!("replay: --seed {} --ops {}", args.seed, f.step + 1);
    if !args.shrink {
        return ExitCode::FAILURE;
    }
    let started = Instant::now();
    let (case, shrunk) = shrink(&pristine, &sequence, &f);
    println!(
        "\nshrunk from {} to {} operations in {:.1} s; it breaks:\n{}",
        f.step + 1,
        case.len(),
        started.elapsed().as_secs_f64(),
        shrunk.message
    );
    for (i, op) in case.iter().enumerate() {
        println!("  {i:>4} {op:?}");
    }
    let first_line = shrunk.message.lines().next().unwrap_or("").to_string();
    match save_regression(&args.regressions, args.seed, &first_line, &case) {
        Ok(path) => println!("written to {} (the test suite replays it)", path.display()),
        Err(e) => eprintln!("error: writing the regression case: {e}"),
    }
    ExitCode::FAILURE
}
