//! Compute-unit and size budgets on the SBF binary: every instruction's compute units
//! (deterministic for a given binary: fixed keys, fixed sequence) and the deployable
//! binaries' sizes stay within `xtask/cu-budgets.tsv`. Runs on the SBF runtime only
//! (native programs are not metered); the budgets are for the binaries built by
//! `scripts/build-sbf.sh` (a platform-tools build differs: set `CU_BUDGETS=off`).

use insurance_pool_testkit::{selected_runtime, Runtime};
use insurance_pool_xtask::cu::{measure, Budgets};

#[tokio::test]
async fn every_instruction_and_binary_within_its_budget() {
    if selected_runtime() != Runtime::Sbf || std::env::var("CU_BUDGETS").as_deref() == Ok("off") {
        eprintln!("skipped: compute-unit budgets apply to the SBF binary");
        return;
    }
    let budgets = Budgets::load(&Budgets::path()).expect("budget file");
    let report = measure().await;
    let violations = budgets.violations(&report);
    assert!(
        violations.is_empty(),
        "over budget (after a justified change, `cargo run -p insurance-pool-xtask --bin cu-bench -- --write-budgets`):\n{}",
        violations.join("\n")
    );
}

#[test]
fn a_regression_of_one_unit_is_caught() {
    use insurance_pool_xtask::cu::{Report, Row};
    let report = Report {
        rows: vec![Row {
            name: "x".into(),
            cu: 1_000,
            floor: 35,
            cpis: "none",
            logs: Vec::new(),
        }],
        binaries: vec![("insurance_pool.so".into(), 10_000, 0)],
    };
    let budgets = Budgets::from_report(&report);
    assert_eq!(budgets.0["x"], 1_100);
    assert_eq!(budgets.0["insurance_pool.so"], 11_000);
    assert!(budgets.violations(&report).is_empty());
    let mut worse = report.clone();
    worse.rows[0].cu = 1_101;
    worse.binaries[0].1 = 11_001;
    assert_eq!(
        budgets.violations(&worse),
        vec![
            "`x`: 1101 > budget 1100".to_string(),
            "`insurance_pool.so`: 11001 > budget 11000".to_string()
        ]
    );
    let mut renamed = report.clone();
    renamed.rows[0].name = "y".into();
    assert_eq!(
        budgets.violations(&renamed).len(),
        2,
        "unbudgeted row and stale budget"
    );
}

/// The deployable binary carries its security.txt (what explorers and `solana-verify`
/// read) with the contact the IDL names.
#[test]
fn the_binary_carries_its_security_txt() {
    let so =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/deploy/insurance_pool.so");
    let Ok(bytes) = std::fs::read(&so) else {
        eprintln!("skipped: {} not built (scripts/build-sbf.sh)", so.display());
        assert_ne!(
            selected_runtime(),
            Runtime::Sbf,
            "the SBF suite needs the binary"
        );
        return;
    };
    let text = String::from_utf8_lossy(&bytes);
    let begin = text
        .find("=======BEGIN SECURITY.TXT V1=======")
        .expect("security.txt in the binary");
    let end = text
        .find("=======END SECURITY.TXT V1=======")
        .expect("its end marker");
    let body = &text[begin..end];
    assert!(
        body.contains(insurance_pool::constants::SECURITY_CONTACT),
        "{body}"
    );
    assert!(body.contains("SECURITY.md"), "{body}");
}
