//! `localnet`: a real Solana JSON-RPC + WebSocket node on localhost (surfpool-core, on
//! LiteSVM), offline, running the workspace's **SBF binaries** (`target/deploy/*.so`,
//! built by `scripts/build-sbf.sh`) under the program ids of `Anchor.toml`. The
//! TypeScript tests start it, wait for its `localnet ready` line, and stop it.
//!
//! Because the programs run as SBF in the VM, their logs, events (`Program data:`) and
//! errors reach clients exactly as on a cluster; SPL Token, Token-2022 and the
//! associated-token program are LiteSVM's built-in copies of the real programs.
//!
//! ```text
//! localnet [--port 8899] [--ws-port 8900] [--program <ID>=<path.so>]...
//! ```
//! Without `--program`, every `[programs.localnet]` entry of `Anchor.toml` is loaded
//! from `target/deploy/<name>.so`.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use solana_pubkey::Pubkey;
use surfpool_core::runloops::start_local_surfnet_runloop;
use surfpool_core::surfnet::locker::SurfnetSvmLocker;
use surfpool_core::surfnet::svm::{SurfnetSvm, SurfnetSvmConfig};
use surfpool_types::{RpcConfig, SimnetConfig, SimnetEvent, SurfpoolConfig};

/// Parsed command line.
struct Args {
    port: u16,
    ws_port: u16,
    programs: Vec<(Pubkey, PathBuf)>,
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
            "-h" | "--help" => {
                println!("localnet [--port 8899] [--ws-port 8900] [--program <ID>=<path.so>]...");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.programs.is_empty() {
        args.programs = anchor_programs(&workspace_root())?;
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
                for (id, path, bytes) in &programs {
                    svm.inner
                        .svm
                        .add_program(*id, bytes)
                        .map_err(|e| format!("{}: {e:?}", path.display()))?;
                    println!("localnet: loaded {id} from {}", path.display());
                }
                drop(svm);
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

fn main() {
    if let Err(e) = run() {
        eprintln!("localnet: {e}");
        std::process::exit(1);
    }
}
