//! `cargo run --release -p insurance-pool-fuzz -- --ops 20000 --seed 1`
//!
//! Generates the seed's operation sequence, runs it on the SBF binaries in LiteSVM,
//! checks the invariants after every step, and prints operations per second and the
//! counts per instruction (succeeded / refused by error name). Exits 1 on a broken
//! invariant, printing the seed, the step and the operations up to it.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use insurance_pool_fuzz::harness::{self, Harness};
use insurance_pool_fuzz::{ops, run};

const USAGE: &str = "usage: fuzz [--ops N] [--seed N] [--sigverify] [--deploy-dir DIR]

  --ops N           operations to run (default 20000)
  --seed N          seed of the operation sequence (default 1)
  --sigverify       verify transaction signatures (off by default: the programs see
                    the same signer flags either way, and it costs throughput)
  --deploy-dir DIR  where insurance_pool.so and example_exchange.so are
                    (default $SBF_OUT_DIR, else target/deploy)";

struct Args {
    ops: usize,
    seed: u64,
    sigverify: bool,
    deploy_dir: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        ops: 20_000,
        seed: 1,
        sigverify: false,
        deploy_dir: harness::default_deploy_dir(),
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
            "--sigverify" => args.sigverify = true,
            "--deploy-dir" => args.deploy_dir = value("--deploy-dir")?.into(),
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

    let sequence = ops::generate(args.seed, args.ops);
    let setup = Instant::now();
    let mut h = match Harness::new(&args.deploy_dir, args.sigverify) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("error: setup: {e}");
            return ExitCode::from(2);
        }
    };
    let setup = setup.elapsed();
    let checks_before = h.checks;
    let (report, failure) = run(&mut h, &sequence);

    let secs = report.elapsed.as_secs_f64();
    let txs = report.ops - report.warps;
    println!(
        "seed {}: {} operations on the SBF binaries in {} (LiteSVM 0.16.0, sigverify {})",
        args.seed,
        report.ops,
        args.deploy_dir.display(),
        if args.sigverify { "on" } else { "off" }
    );
    println!(
        "setup (programs, protocol, mint, pool, {} actors): {:.1} ms",
        h.actors.len(),
        setup.as_secs_f64() * 1e3
    );
    println!(
        "{:.2} s: {:.0} ops/s ({} transactions, {} clock moves); {:.0} % of the time in transactions, the rest reading accounts and checking",
        secs,
        report.ops as f64 / secs,
        txs,
        report.warps,
        100.0 * report.in_svm.as_secs_f64() / secs
    );
    println!(
        "invariant checks: {} (after every step: vault = flows = capital + unearned, escrow = bonds, capital >= reservations, positions' shares = pool's)",
        h.checks - checks_before
    );
    println!();
    println!(
        "{:<22} {:>9} {:>9} {:>10} {:>10}",
        "instruction", "ok", "refused", "CU/ok", "CU/refused"
    );
    for (name, c) in &report.per_instruction {
        let refused = c.refused_total();
        let avg = |cu: u64, n: u64| cu.checked_div(n).unwrap_or(0);
        println!(
            "{:<22} {:>9} {:>9} {:>10} {:>10}",
            name,
            c.ok,
            refused,
            avg(c.cu_ok, c.ok),
            avg(c.cu_refused, refused)
        );
        let mut reasons: Vec<_> = c.refused.iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (reason, n) in reasons {
            println!("    {reason:<36} {n:>9}");
        }
    }

    match failure {
        None => {
            println!("\nall invariants held");
            ExitCode::SUCCESS
        }
        Some(f) => {
            println!(
                "\nINVARIANT BROKEN at step {} (seed {}) by {:?}: {}",
                f.step, args.seed, f.op, f.message
            );
            println!(
                "replay: --seed {} --ops {}; its last operations:",
                args.seed,
                f.step + 1
            );
            let from = f.step.saturating_sub(40);
            for (i, op) in sequence.iter().enumerate().take(f.step + 1).skip(from) {
                println!("  {i:>7} {op:?}");
            }
            ExitCode::FAILURE
        }
    }
}
