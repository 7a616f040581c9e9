//! Starting `solana-program-test` with the workspace's programs, natively or from their
//! SBF binaries, and the three work-arounds it needs with Anchor 1.2.2 (see
//! `docs/TOOLCHAIN.md`): the sysvar 3.x/4.x syscall-stub bridge, an explicit-import
//! `processor!` call, and a plain-`fn` adapter around Anchor's `entry`.

use std::path::PathBuf;
use std::sync::{Arc, Once};

use solana_program_test::{processor, ProgramTest, ProgramTestContext};

use anchor_lang::solana_program::account_info::AccountInfo;
use anchor_lang::solana_program::entrypoint::ProgramResult;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::solana_program::pubkey::Pubkey;

/// Which build of the program the tests run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    /// The program compiled for the host and registered as a builtin.
    Native,
    /// `target/deploy/insurance_pool.so` run by the real SBF virtual machine.
    Sbf,
}

/// Directory holding `insurance_pool.so`: `$SBF_OUT_DIR`, `$BPF_OUT_DIR`, or the
/// workspace's `target/deploy`.
pub fn sbf_out_dir() -> PathBuf {
    std::env::var_os("SBF_OUT_DIR")
        .or_else(|| std::env::var_os("BPF_OUT_DIR"))
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/deploy"))
}

/// The one switch: `POOL_TEST_RUNTIME=native|sbf`. Unset, the tests use the SBF binary
/// when `insurance_pool.so` exists and is newer than every source file of the program
/// (so `anchor build && anchor test` tests the real binary), and the native build
/// otherwise; a stale binary is reported and never silently tested.
pub fn selected_runtime() -> Runtime {
    match std::env::var("POOL_TEST_RUNTIME").as_deref() {
        Ok("native") => Runtime::Native,
        Ok("sbf") => Runtime::Sbf,
        Ok(other) => panic!("POOL_TEST_RUNTIME must be `native` or `sbf`, not `{other}`"),
        Err(_) => match binaries_fresh() {
            Some(true) => Runtime::Sbf,
            Some(false) => {
                eprintln!(
                    "warning: the .so files in {} are older than the program sources; \
                     testing the native build (rebuild with scripts/build-sbf.sh or \
                     `anchor build`)",
                    sbf_out_dir().display()
                );
                Runtime::Native
            }
            None => Runtime::Native,
        },
    }
}

/// `None` unless every program has a binary; otherwise whether the oldest binary is
/// newer than every file under `programs/`.
fn binaries_fresh() -> Option<bool> {
    let mut built: Option<std::time::SystemTime> = None;
    for (name, _) in PROGRAMS {
        let time = std::fs::metadata(sbf_out_dir().join(format!("{name}.so")))
            .and_then(|m| m.modified())
            .ok()?;
        built = Some(built.map_or(time, |b| b.min(time)));
    }
    let built = built?;
    let sources = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../programs");
    fn newest(dir: &std::path::Path) -> Option<std::time::SystemTime> {
        std::fs::read_dir(dir)
            .ok()?
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let meta = e.metadata().ok()?;
                if meta.is_dir() {
                    newest(&e.path())
                } else {
                    meta.modified().ok()
                }
            })
            .max()
    }
    Some(newest(&sources).is_none_or(|changed| changed <= built))
}

/// Anchor's generated `entry` functions with lifetimes `processor!` accepts.
fn insurance_pool_entry(
    program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> ProgramResult {
    // SAFETY: only the lifetime parameters change; the account infos live for the whole
    // call, which is all `entry` needs.
    let accounts: &[AccountInfo] = unsafe { std::mem::transmute(accounts) };
    insurance_pool::entry(program_id, accounts, data)
}

fn example_exchange_entry(
    program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> ProgramResult {
    // SAFETY: as above.
    let accounts: &[AccountInfo] = unsafe { std::mem::transmute(accounts) };
    example_exchange::entry(program_id, accounts, data)
}

/// The workspace's programs every test bank carries, `(name, id)`; the SBF binary of
/// each is `<name>.so`.
pub const PROGRAMS: [(&str, Pubkey); 2] = [
    ("insurance_pool", insurance_pool::ID),
    ("example_exchange", example_exchange::ID),
];

/// Starts a bank with the insurance pool program (and program-test's SPL Token and
/// Token-2022 SBF programs), its clock at [`crate::clock::start`].
pub async fn start(runtime: Runtime) -> ProgramTestContext {
    start_with(runtime, &[]).await
}

/// [`start`] plus `extra` programs `(name, id)` loaded from `<sbf_out_dir>/<name>.so`
/// (e.g. the benchmark's `cpi_floor`).
pub async fn start_with(runtime: Runtime, extra: &[(&'static str, Pubkey)]) -> ProgramTestContext {
    // program-test logs every instruction at debug level; failures already print the
    // transaction's logs, so keep the output readable unless RUST_LOG says otherwise.
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", "error");
    }
    let mut test = ProgramTest::default();
    match runtime {
        Runtime::Native => {
            test.prefer_bpf(false);
            test.add_program(
                "insurance_pool",
                insurance_pool::ID,
                processor!(insurance_pool_entry),
            );
            test.add_program(
                "example_exchange",
                example_exchange::ID,
                processor!(example_exchange_entry),
            );
        }
        Runtime::Sbf => {
            let dir = sbf_out_dir();
            // program-test looks for `<name>.so` in $BPF_OUT_DIR first.
            std::env::set_var("BPF_OUT_DIR", &dir);
            test.prefer_bpf(true);
            for (name, id) in PROGRAMS {
                let so = dir.join(format!("{name}.so"));
                assert!(
                    so.exists(),
                    "POOL_TEST_RUNTIME=sbf but {} is missing",
                    so.display()
                );
                test.add_program(name, id, None);
            }
        }
    }
    if !extra.is_empty() {
        std::env::set_var("BPF_OUT_DIR", sbf_out_dir());
        for (name, id) in extra {
            test.add_account(*id, sbf_program_account(name));
        }
    }
    let context = test.start_with_context().await;
    install_sysvar_bridge();
    // The genesis clock is the machine's wall clock: replace it before anything runs.
    let clock = context
        .banks_client
        .get_sysvar::<solana_clock::Clock>()
        .await
        .expect("clock");
    context.set_sysvar(&solana_clock::Clock {
        unix_timestamp: crate::clock::start(),
        epoch_start_timestamp: crate::clock::start(),
        ..clock
    });
    context
}

/// An executable account holding `<sbf_out_dir>/<name>.so`, owned by the BPF loader.
fn sbf_program_account(name: &str) -> solana_account::Account {
    let path = sbf_out_dir().join(format!("{name}.so"));
    let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    solana_account::Account {
        lamports: 1_000_000_000,
        data,
        owner: solana_sdk_ids::bpf_loader::ID,
        executable: true,
        rent_epoch: 0,
    }
}

/// anchor-lang 1.2.2 calls the `solana-sysvar` 3.x syscall stubs off-chain, while
/// program-test 4.2 installs its stubs (sysvars, CPI, logs, return data) into
/// `solana-sysvar` 4.x. Once per process, take program-test's stubs out of 4.x and
/// install a forwarder to them in both.
fn install_sysvar_bridge() {
    static BRIDGE: Once = Once::new();
    BRIDGE.call_once(|| {
        // Take program-test's stubs out (a placeholder holds the slot for an instant).
        let inner: Arc<Box<dyn sysvar4::program_stubs::SyscallStubs>> =
            Arc::new(sysvar4::program_stubs::set_syscall_stubs(Box::new(NoStubs)));
        sysvar4::program_stubs::set_syscall_stubs(Box::new(Forward(inner.clone())));
        sysvar3::program_stubs::set_syscall_stubs(Box::new(Forward(inner)));
    });
}

/// Placeholder used for the instant between taking program-test's stubs and installing
/// the forwarder.
struct NoStubs;
impl sysvar4::program_stubs::SyscallStubs for NoStubs {}

/// Forwards every syscall stub to program-test's implementation.
struct Forward(Arc<Box<dyn sysvar4::program_stubs::SyscallStubs>>);

macro_rules! forward_stubs {
    ($trait:path) => {
        impl $trait for Forward {
            fn sol_log(&self, message: &str) {
                self.0.sol_log(message)
            }
            fn sol_log_compute_units(&self) {
                self.0.sol_log_compute_units()
            }
            fn sol_remaining_compute_units(&self) -> u64 {
                self.0.sol_remaining_compute_units()
            }
            fn sol_invoke_signed(
                &self,
                instruction: &Instruction,
                account_infos: &[AccountInfo],
                signers_seeds: &[&[&[u8]]],
            ) -> ProgramResult {
                self.0
                    .sol_invoke_signed(instruction, account_infos, signers_seeds)
            }
            fn sol_get_sysvar(&self, id: *const u8, var: *mut u8, offset: u64, length: u64) -> u64 {
                self.0.sol_get_sysvar(id, var, offset, length)
            }
            fn sol_get_clock_sysvar(&self, var: *mut u8) -> u64 {
                self.0.sol_get_clock_sysvar(var)
            }
            fn sol_get_epoch_schedule_sysvar(&self, var: *mut u8) -> u64 {
                self.0.sol_get_epoch_schedule_sysvar(var)
            }
            fn sol_get_fees_sysvar(&self, var: *mut u8) -> u64 {
                self.0.sol_get_fees_sysvar(var)
            }
            fn sol_get_rent_sysvar(&self, var: *mut u8) -> u64 {
                self.0.sol_get_rent_sysvar(var)
            }
            fn sol_get_epoch_rewards_sysvar(&self, var: *mut u8) -> u64 {
                self.0.sol_get_epoch_rewards_sysvar(var)
            }
            fn sol_get_last_restart_slot(&self, var: *mut u8) -> u64 {
                self.0.sol_get_last_restart_slot(var)
            }
            fn sol_get_epoch_stake(&self, vote_address: *const u8) -> u64 {
                self.0.sol_get_epoch_stake(vote_address)
            }
            fn sol_get_return_data(&self) -> Option<(Pubkey, Vec<u8>)> {
                self.0.sol_get_return_data()
            }
            fn sol_set_return_data(&self, data: &[u8]) {
                self.0.sol_set_return_data(data)
            }
            fn sol_log_data(&self, fields: &[&[u8]]) {
                self.0.sol_log_data(fields)
            }
            fn sol_get_processed_sibling_instruction(&self, index: usize) -> Option<Instruction> {
                self.0.sol_get_processed_sibling_instruction(index)
            }
            fn sol_get_stack_height(&self) -> u64 {
                self.0.sol_get_stack_height()
            }
        }
    };
}

forward_stubs!(sysvar3::program_stubs::SyscallStubs);
forward_stubs!(sysvar4::program_stubs::SyscallStubs);
