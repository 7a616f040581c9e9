//! `localnet`: a real Solana JSON-RPC + WebSocket node on localhost (surfpool-core, on
//! LiteSVM), offline, running the workspace's **SBF binaries** (`target/deploy/*.so`,
//! built by `scripts/build-sbf.sh`) under the program ids of `Anchor.toml`. The
//! TypeScript tests start it, wait for its `localnet ready` line, and stop it.
//!
//! Because the programs run as SBF in the VM, their logs, events (`Program data:`) and
//! errors reach clients exactly as on a cluster; SPL Token, Token-2022 and the
//! associated-token program are LiteSVM's built-in copies of the real programs.
//!
//! Programs are deployed as on a cluster, through the upgradeable loader: a `Program`
//! account and its `ProgramData` (the ELF after a header naming the upgrade
//! authority). The upgrade authority is the deployer: `initialize_protocol` accepts
//! only its signature (as `anchor deploy` makes the wallet the upgrade authority).
//!
//! ```text
//! localnet [--port 8899] [--ws-port 8900] [--program <ID>=<path.so>]...
//!          [--upgrade-authority <PUBKEY | keypair.json>] [--start-time <unix | now>]
//! ```
//! The node's clock starts at `--start-time` (default [`START_TIME`], 2026-01-01
//! 00:00:00 UTC, the instant `testkit` starts its banks at), not at the machine's
//! time: the program's rules are aligned to unix time (stake periods, days), so a
//! suite run on a node started "now" would see a different schedule every day
//! (`docs/testing.md`). The clock then ticks with the slots (400 ms each) and moves
//! forward with `surfnet_timeTravel`. `--start-time now` keeps the machine's time.
//! Without `--program`, every `[programs.localnet]` entry of `Anchor.toml` is loaded
//! from `target/deploy/<name>.so`. Without `--upgrade-authority`, the Solana CLI's
//! default keypair (`~/.config/solana/id.json`) is the deployer if it exists; otherwise
//! the programs have no upgrade authority (immutable: the protocol cannot be
//! initialised).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use solana_clock::Clock;
use solana_pubkey::Pubkey;
use surfpool_core::runloops::start_local_surfnet_runloop;
use surfpool_core::surfnet::locker::SurfnetSvmLocker;
use surfpool_core::surfnet::svm::{SurfnetSvm, SurfnetSvmConfig};
use surfpool_types::{RpcConfig, SimnetConfig, SimnetEvent, SurfpoolConfig};

/// Default start of the node's clock: 2026-01-01 00:00:00 UTC, a day and a 3-day
/// stake-period boundary; the same instant as `insurance_pool_testkit::clock::START`.
const START_TIME: i64 = 1_767_225_600;

/// Parsed command line.
struct Args {
    port: u16,
    ws_port: u16,
    programs: Vec<(Pubkey, PathBuf)>,
    upgrade_authority: Option<Pubkey>,
    /// Unix time the clock starts at; `None`: the machine's time.
    start_time: Option<i64>,
}

/// Bytes of the upgradeable loader's `ProgramData` header (bincode
/// `UpgradeableLoaderState::ProgramData { slot: u64, upgrade_authority_address:
/// Option<Pubkey> }`: u32 tag 3, u64 slot, u8 option tag, 32-byte key).
const PROGRAM_DATA_HEADER: usize = 45;

/// A base58 public key, or a keypair file as `solana-keygen` writes it (a JSON array
/// of the 64 bytes secret key ‖ public key): its public key.
fn authority_arg(value: &str) -> Result<Pubkey, String> {
    if let Ok(key) = Pubkey::from_str(value) {
        return Ok(key);
    }
    let text = std::fs::read_to_string(value)
        .map_err(|e| format!("--upgrade-authority {value}: not a public key, and {e}"))?;
    let bytes = text
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(',')
        .map(|b| b.trim().parse::<u8>())
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|e| format!("{value}: not a keypair file: {e}"))?;
    let public: [u8; 32] = bytes
        .get(32..64)
        .filter(|_| bytes.len() == 64)
        .and_then(|b| b.try_into().ok())
        .ok_or(format!(
            "{value}: a keypair file holds 64 bytes, found {}",
            bytes.len()
        ))?;
    Ok(Pubkey::new_from_array(public))
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `[programs.localnet]` of `Anchor.toml`: `name = "id"` lines.
fn anchor_programs(root: &Path) -> Result<Vec<(Pubkey, PathBuf)>, String> {
    let text = std::fs::read_to_string(root.join("Anchor.toml"))
        .map_err(|e| format!("Anchor.toml: {e}"))?;
    let mut in_section = false;
    let mut out = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_section = line == "[programs.localnet]";
            continue;
        }
        if let (true, Some((name, id))) = (in_section, line.split_once('=')) {
            let id = Pubkey::from_str(id.trim().trim_matches('"'))
                .map_err(|e| format!("{name}: {e}"))?;
            out.push((
                id,
                root.join("target/deploy")
                    .join(format!("{}.so", name.trim())),
            ));
        }
    }
    Ok(out)
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        port: 8899,
        ws_port: 8900,
        programs: Vec::new(),
        upgrade_authority: None,
        start_time: Some(START_TIME),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--port" => args.port = value()?.parse().map_err(|e| format!("--port: {e}"))?,
            "--ws-port" => {
                args.ws_port = value()?.parse().map_err(|e| format!("--ws-port: {e}"))?
            }
            "--program" => {
                let v = value()?;
                let (id, path) = v.split_once('=').ok_or("--program takes <ID>=<path.so>")?;
                args.programs.push((
                    Pubkey::from_str(id).map_err(|e| format!("{id}: {e}"))?,
                    path.into(),
                ));
            }
            "--upgrade-authority" => args.upgrade_authority = Some(authority_arg(&value()?)?),
            "--start-time" => {
                args.start_time = match value()?.as_str() {
                    "now" => None,
                    v => Some(
                        v.parse()
                            .ok()
                            .filter(|t: &i64| *t > 0)
                            .ok_or(format!("--start-time: `{v}` is not a unix time or `now`"))?,
                    ),
                }
            }
            "-h" | "--help" => {
                println!(
                    "localnet [--port 8899] [--ws-port 8900] [--program <ID>=<path.so>]... \
                     [--upgrade-authority <PUBKEY | keypair.json>] [--start-time <unix | now>] \
                     (default start {START_TIME}: 2026-01-01 00:00:00 UTC)"
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.programs.is_empty() {
        args.programs = anchor_programs(&workspace_root())?;
    }
    if args.upgrade_authority.is_none() {
        if let Some(home) = std::env::var_os("HOME") {
            let default = Path::new(&home).join(".config/solana/id.json");
            if default.exists() {
                args.upgrade_authority = Some(authority_arg(&default.to_string_lossy())?);
            }
        }
    }
    Ok(args)
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    // Read every binary first: a missing .so is an error before anything starts.
    let mut programs = Vec::new();
    for (id, path) in &args.programs {
        let bytes = std::fs::read(path).map_err(|e| {
            format!(
                "{}: {e} (build it with `bash scripts/build-sbf.sh`)",
                path.display()
            )
        })?;
        programs.push((*id, path.clone(), bytes));
    }

    let (svm, events, geyser) =
        SurfnetSvm::new(SurfnetSvmConfig::default()).map_err(|e| format!("{e:?}"))?;
    let locker = SurfnetSvmLocker::new(svm);
    let handle = SurfnetSvmLocker(locker.0.clone());
    let config = SurfpoolConfig {
        simnets: vec![SimnetConfig {
            offline_mode: true,
            remote_rpc_url: None,
            ..SimnetConfig::default()
        }],
        rpc: RpcConfig {
            bind_host: "127.0.0.1".into(),
            bind_port: args.port,
            ws_port: args.ws_port,
            ..RpcConfig::default()
        },
        ..SurfpoolConfig::default()
    };
    let (commands_tx, commands_rx) = crossbeam_channel::unbounded();
    std::thread::Builder::new()
        .name("surfnet".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("localnet: tokio runtime: {e}");
                    std::process::exit(1);
                }
            };
            if let Err(e) = runtime.block_on(start_local_surfnet_runloop(
                locker,
                config,
                commands_tx,
                commands_rx,
                geyser,
            )) {
                eprintln!("localnet: surfnet stopped: {e}");
                std::process::exit(1);
            }
        })
        .map_err(|e| e.to_string())?;

    // Drain the event channel for the node's whole life (it is bounded: a full channel
    // would block the node). Load the programs once the core has started.
    for event in events.iter() {
        match event {
            SimnetEvent::CoreStarted(_) => {
                let mut svm = handle.0.blocking_write();
                if let Some(start) = args.start_time {
                    set_clock(&mut svm, start);
                    println!("localnet: clock starts at unix time {start}");
                }
                for (id, path, bytes) in &programs {
                    // Program + ProgramData under the upgradeable loader (no authority).
                    svm.inner
                        .svm
                        .add_program(*id, bytes)
                        .map_err(|e| format!("{}: {e:?}", path.display()))?;
                    if let Some(authority) = args.upgrade_authority {
                        // The Program account holds `UpgradeableLoaderState::Program {
                        // programdata_address }` (u32 tag 2, then the address).
                        let program = svm
                            .inner
                            .svm
                            .get_account(id)
                            .ok_or(format!("{id}: no program account after deployment"))?;
                        let programdata: [u8; 32] = program
                            .data
                            .get(4..36)
                            .and_then(|b| b.try_into().ok())
                            .ok_or(format!("{id}: not an upgradeable program account"))?;
                        let programdata = Pubkey::new_from_array(programdata);
                        let mut account = svm
                            .inner
                            .svm
                            .get_account(&programdata)
                            .filter(|a| a.data.len() >= PROGRAM_DATA_HEADER)
                            .ok_or(format!("{id}: no ProgramData account {programdata}"))?;
                        account.data[12] = 1;
                        account.data[13..PROGRAM_DATA_HEADER].copy_from_slice(authority.as_ref());
                        svm.set_account(&programdata, account)
                            .map_err(|e| format!("{id}: writing its ProgramData: {e:?}"))?;
                    }
                    println!("localnet: loaded {id} from {}", path.display());
                }
                drop(svm);
                match args.upgrade_authority {
                    Some(key) => println!("localnet: upgrade authority of every program: {key}"),
                    None => println!(
                        "localnet: no upgrade authority (pass --upgrade-authority): the programs are immutable"
                    ),
                }
                println!(
                    "localnet ready: http://127.0.0.1:{} ws://127.0.0.1:{}",
                    args.port, args.ws_port
                );
            }
            SimnetEvent::Aborted(reason) => return Err(format!("surfnet aborted: {reason}")),
            SimnetEvent::ErrorLog(_, message) => eprintln!("localnet error: {message}"),
            SimnetEvent::Shutdown => return Ok(()),
            _ => {}
        }
    }
    Ok(())
}

/// Moves the node's clock to unix time `start` before anything runs: the clock sysvar,
/// the time the next block adds its slot time to, and the origin block times are
/// computed from (so `getBlockTime` agrees with the clock).
fn set_clock(svm: &mut SurfnetSvm, start: i64) {
    let start_ms = start.unsigned_abs().saturating_mul(1_000);
    let slots = svm
        .get_latest_absolute_slot()
        .saturating_sub(svm.genesis_slot);
    svm.updated_at = start_ms;
    svm.genesis_updated_at = start_ms.saturating_sub(slots.saturating_mul(svm.slot_time));
    let mut clock: Clock = svm.inner.get_sysvar();
    clock.unix_timestamp = start;
    clock.epoch_start_timestamp = start;
    svm.inner.set_sysvar(&clock);
}

fn main() {
    if let Err(e) = run() {
        eprintln!("localnet: {e}");
        std::process::exit(1);
    }
}
