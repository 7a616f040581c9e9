//! `insurance-pool`: the operator, underwriter, member and voter CLI, following Solana
//! CLI conventions (the Solana CLI's `config.yml` for url, keypair and commitment;
//! `--url/-u` with `localhost`/`devnet`/`mainnet-beta` shorthands, `--keypair/-k`,
//! `--commitment`, `--with-compute-unit-price`, `--compute-unit-limit`; v0
//! transactions; `--output display|json|proposal`), amounts in token units of the
//! pool's mint, and the narrated `demo`.

mod actuary_cmd;
mod config;
#[cfg(feature = "demo")]
mod demo;
mod health;
mod keeper;
mod params;
mod render;
mod write;

pub use params::{Amount, ParamArgs};

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{AccountDeserialize, AnchorDeserialize, Discriminator};
use base64::Engine;
use clap::{Args, Parser, Subcommand};
use insurance_pool_sdk::ix::{self, PoolKeys};
use insurance_pool_sdk::state::{
    Claim, Member, Pool, PoolExposure, PremiumQuote, Protocol, Underwriter,
};
use insurance_pool_sdk::{errors, pda};
use serde_json::Value;
use solana_keypair::{read_keypair_file, Keypair};
use solana_message::VersionedMessage;
use solana_rpc_client::rpc_client::RpcClient;
use solana_signer::Signer;
use solana_transaction::versioned::VersionedTransaction;

/// Segregated insurance pools for Solana derivatives venues.
#[derive(Parser, Debug)]
#[command(name = "insurance-pool", version)]
pub struct Cli {
    /// Solana CLI configuration file (default `~/.config/solana/cli/config.yml`, read
    /// when it exists): its `json_rpc_url`, `keypair_path` and `commitment` apply unless
    /// a flag overrides them.
    #[arg(short = 'C', long = "config", global = true, value_name = "PATH")]
    pub config: Option<std::path::PathBuf>,
    /// JSON-RPC URL or moniker: localhost, devnet, mainnet-beta, testnet (default: the
    /// config file's, else localhost).
    #[arg(short = 'u', long = "url", global = true)]
    pub url: Option<String>,
    /// Signer keypair file (default: the config file's, else ~/.config/solana/id.json).
    #[arg(short = 'k', long = "keypair", global = true)]
    pub keypair: Option<String>,
    /// processed, confirmed or finalized (default: the config file's, else confirmed).
    #[arg(long, global = true)]
    pub commitment: Option<String>,
    /// Priority fee: a compute-unit price in micro-lamports, added to every transaction.
    #[arg(long, global = true, value_name = "MICRO_LAMPORTS")]
    pub with_compute_unit_price: Option<u64>,
    /// Compute-unit limit of every transaction (default: the runtime's).
    #[arg(long, global = true, value_name = "UNITS")]
    pub compute_unit_limit: Option<u32>,
    /// Send legacy transactions instead of v0.
    #[arg(long, global = true)]
    pub legacy: bool,
    /// Print JSON instead of tables (the same as `--output json`).
    #[arg(long, global = true)]
    pub json: bool,
    /// `display` (tables), `json`, or `proposal`: a write command prints its
    /// instructions (program, accounts, data in base58 and base64) for a Squads or Realms
    /// proposal instead of sending them.
    #[arg(long, global = true, value_enum, default_value_t = Output::Display)]
    pub output: Output,
    /// With `--output proposal`: the key that will sign the proposal's instructions (a
    /// Squads vault or Realms governance PDA); the keypair's key otherwise.
    #[arg(
        id = "proposal_signer",
        long = "signer",
        global = true,
        value_name = "PUBKEY"
    )]
    pub authority: Option<Pubkey>,
    #[command(subcommand)]
    pub command: Command,
}

/// How results are printed.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    Display,
    Json,
    Proposal,
}

/// A market's pool, named by the market address.
#[derive(Args, Debug, Clone)]
pub struct MarketArg {
    /// Market address (the pool is `["pool", market]`).
    pub market: Pubkey,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the narrated demo on an embedded Solana runtime (no validator, no keys).
    #[cfg(feature = "demo")]
    Demo,
    /// Fit a pool's losses, simulate its solvency, recommend premium parameters and
    /// write a report with plots.
    Actuary(actuary_cmd::ActuaryArgs),
    /// List every pool.
    Pools,
    /// One pool in detail.
    Pool(MarketArg),
    /// An underwriter position (default: the signer's).
    Underwriter {
        market: Pubkey,
        #[arg(long)]
        owner: Option<Pubkey>,
    },
    /// A member's coverage (default: the signer's).
    Member {
        market: Pubkey,
        #[arg(long)]
        owner: Option<Pubkey>,
    },
    /// A pool's claims with tallies against quorum and threshold.
    Claims(MarketArg),
    /// Quote cover of `notional` token units (simulated, moves nothing).
    Quote { market: Pubkey, notional: Amount },
    /// The pool's volume rate now (what `contribute_volume` would charge, computed from
    /// the accounts with the program's own `Pool::volume_quote`) and its inputs: the
    /// volume curve, the loss index decayed to now (and the recorded index and day it
    /// decays from), free capital; the last charged rate, lifetime volume and fees.
    VolumeRate {
        market: Pubkey,
        /// Also price this much volume (token units): the fee and its protocol part.
        #[arg(long)]
        volume: Option<Amount>,
    },
    /// Monitoring: per pool the conservation check (vault vs capital, escrow vs
    /// bonds), utilisation vs cap, reservations vs free capital, registrations not yet
    /// drawing. Exits non-zero when an invariant is broken.
    Health {
        #[arg(long)]
        market: Option<Pubkey>,
    },
    /// The permissionless cranks, as a long-running service (or one round with
    /// `--once`, for cron): finalize claims past their vote, pay claims past their
    /// hold-up, settle bonds, and alert about approved claims still in their hold-up
    /// (the guardian's veto window). The keypair only pays fees.
    Keeper {
        /// One round, then exit (non-zero if a crank failed other than by a named
        /// program error).
        #[arg(long)]
        once: bool,
        /// Seconds between rounds.
        #[arg(long, default_value_t = 30)]
        interval: u64,
        /// Most transactions per round (the rest waits for the next round).
        #[arg(long, default_value_t = 20)]
        max_per_round: usize,
        /// Also POST each alert as JSON to this URL.
        #[arg(long)]
        webhook: Option<String>,
        /// Only this market's claims.
        #[arg(long)]
        market: Option<Pubkey>,
    },
    /// Create the protocol singleton.
    Init {
        #[arg(long)]
        authority: Pubkey,
        #[arg(long)]
        guardian: Pubkey,
    },
    /// Create a market's pool: every parameter from flags or `--params FILE` (TOML or
    /// JSON; `docs/pool-params.example.toml`).
    CreatePool {
        market: Pubkey,
        #[arg(long)]
        mint: Pubkey,
        /// SPL Token (default) or Token-2022.
        #[arg(long, default_value = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")]
        token_program: Pubkey,
        #[command(flatten)]
        params: ParamArgs,
    },
    /// Change a pool's parameters (from flags or `--params FILE`; what is not given
    /// keeps its pending, else current, value). Applies after the activation delay.
    UpdateParams {
        market: Pubkey,
        #[command(flatten)]
        params: ParamArgs,
    },
    /// Authority: change the guardian, propose a new authority (`--pending-authority`;
    /// the default key 11111111111111111111111111111111 withdraws a proposal), set the
    /// treasury or the protocol fee. Unset flags change nothing.
    UpdateProtocol {
        #[arg(long)]
        guardian: Option<Pubkey>,
        #[arg(long)]
        pending_authority: Option<Pubkey>,
        #[arg(long)]
        treasury: Option<Pubkey>,
        #[arg(long)]
        protocol_fee_bps: Option<u16>,
    },
    /// Proposed authority: accept the role.
    AcceptAuthority,
    /// Authority: change an exchange's limits or destination (decreases apply at once;
    /// increases and a new destination after the activation delay). Unset flags keep
    /// the current (or pending) value.
    UpdateExchange {
        market: Pubkey,
        #[arg(long)]
        exchange_authority: Pubkey,
        #[arg(long)]
        destination: Option<Pubkey>,
        /// Token units.
        #[arg(long)]
        per_event_cap: Option<Amount>,
        /// Token units.
        #[arg(long)]
        per_epoch_cap: Option<Amount>,
        #[arg(long)]
        epoch_length: Option<i64>,
        #[arg(long)]
        per_event_bps: Option<u64>,
        #[arg(long)]
        per_epoch_bps: Option<u64>,
    },
    /// Authority: stop an exchange's draws at once.
    DeactivateExchange {
        market: Pubkey,
        #[arg(long)]
        exchange_authority: Pubkey,
    },
    /// Exchange authority: draw `amount` token units from the pool to the
    /// registration's destination for a liquidation shortfall. An exchange authority is
    /// a PDA (the program refuses keys on the curve): exchanges do this by CPI, or a
    /// multisig vault signs it from `--output proposal --signer <PDA>`.
    CoverShortfall {
        market: Pubkey,
        amount: Amount,
        /// The registration's next nonce (default: read from the chain).
        #[arg(long)]
        nonce: Option<u64>,
    },
    /// Exchange authority (a PDA, as for cover-shortfall): pay the volume fee on
    /// `volume` token units of traded volume from its token account.
    ContributeVolume {
        market: Pubkey,
        volume: Amount,
        /// Refused if the volume rate is above this (bps of volume).
        #[arg(long)]
        max_rate_bps: u64,
        /// Token account paying the fee (default: the signer's associated account).
        #[arg(long)]
        source: Option<Pubkey>,
        /// The treasury's token account (needed when a protocol fee is due).
        #[arg(long)]
        treasury_token: Option<Pubkey>,
    },
    /// Set pause bits (protocol-wide, or one pool with --market).
    Pause {
        flags: u8,
        #[arg(long)]
        market: Option<Pubkey>,
    },
    /// Deposit `amount` token units into a pool.
    Deposit {
        market: Pubkey,
        amount: Amount,
        #[arg(long, default_value_t = 0)]
        min_shares: u128,
        #[arg(long)]
        token_account: Option<Pubkey>,
    },
    /// Start the withdrawal cooldown on `shares`.
    RequestWithdrawal { market: Pubkey, shares: u128 },
    /// Cancel the pending withdrawal.
    CancelWithdrawal(MarketArg),
    /// Complete the pending withdrawal.
    CompleteWithdrawal {
        market: Pubkey,
        #[arg(long)]
        token_account: Option<Pubkey>,
    },
    /// Buy cover: quotes it (with the signer's member account, so a top-up is priced
    /// to its real expiry), then buys it bounded by the quote's premium (or
    /// --max-premium) and refused if the cover would end before the quoted expiry.
    Contribute {
        market: Pubkey,
        /// Cover in token units.
        notional: Amount,
        /// Most the premium may be, token units (default: the quoted premium).
        #[arg(long)]
        max_premium: Option<Amount>,
        #[arg(long)]
        token_account: Option<Pubkey>,
        #[arg(long)]
        treasury_token: Option<Pubkey>,
    },
    /// Register an exchange authority for a pool.
    RegisterExchange {
        market: Pubkey,
        #[arg(long)]
        exchange_authority: Pubkey,
        #[arg(long)]
        destination: Pubkey,
        /// Token units.
        #[arg(long)]
        per_event_cap: Amount,
        /// Token units.
        #[arg(long)]
        per_epoch_cap: Amount,
        #[arg(long, default_value_t = 86_400)]
        epoch_length: i64,
        /// Per-event cap in bps of the pool's free capital at the draw.
        #[arg(long, default_value_t = 10_000)]
        per_event_bps: u64,
        /// Per-epoch cap in bps of the pool's free capital at each draw.
        #[arg(long, default_value_t = 10_000)]
        per_epoch_bps: u64,
    },
    /// File a claim of `amount` token units with a bond.
    FileClaim {
        market: Pubkey,
        amount: Amount,
        /// 32-byte evidence hash, hex.
        #[arg(long)]
        evidence_hash: String,
        #[arg(long, default_value = "")]
        uri: String,
        #[arg(long)]
        token_account: Option<Pubkey>,
    },
    /// Withdraw your claim (within an hour of filing). `claim_id`: the pool-wide id.
    CancelClaim { market: Pubkey, claim_id: u64 },
    /// Vote on a claim (`claim_id`: the pool-wide id shown by `claims`).
    Vote {
        market: Pubkey,
        claim_id: u64,
        #[arg(long, conflicts_with = "reject", required_unless_present = "reject")]
        approve: bool,
        #[arg(long)]
        reject: bool,
    },
    /// Count a claim's vote after its voting period.
    Finalize { market: Pubkey, claim_id: u64 },
    /// Guardian: veto an approved claim during its hold-up.
    Veto { market: Pubkey, claim_id: u64 },
    /// Pay an approved claim after its hold-up.
    Pay { market: Pubkey, claim_id: u64 },
    /// Return or slash a settled claim's bond.
    WithdrawBond { market: Pubkey, claim_id: u64 },
}

/// Expands the Solana CLI URL monikers.
pub fn resolve_url(url: &str) -> String {
    match url {
        "localhost" | "l" => "http://127.0.0.1:8899".into(),
        "devnet" | "d" => "https://api.devnet.solana.com".into(),
        "mainnet-beta" | "m" => "https://api.mainnet-beta.solana.com".into(),
        "testnet" | "t" => "https://api.testnet.solana.com".into(),
        other => other.into(),
    }
}

/// The associated token account of `owner` for `mint` under `token_program`.
pub fn associated_token(owner: &Pubkey, mint: &Pubkey, token_program: &Pubkey) -> Pubkey {
    insurance_pool_sdk::pda::associated_token(owner, mint, token_program)
}

struct Ctx {
    rpc: RpcClient,
    keypair_path: String,
    json: bool,
    output: Output,
    authority: Option<Pubkey>,
    /// Compute-budget instructions put before every transaction's own.
    budget: Vec<Instruction>,
    legacy: bool,
}

/// The compute-budget instructions `--with-compute-unit-price` and
/// `--compute-unit-limit` ask for.
pub fn compute_budget(price: Option<u64>, limit: Option<u32>) -> Vec<Instruction> {
    use solana_compute_budget_interface::ComputeBudgetInstruction;
    let mut ixs = Vec::new();
    if let Some(limit) = limit {
        ixs.push(ComputeBudgetInstruction::set_compute_unit_limit(limit));
    }
    if let Some(price) = price {
        ixs.push(ComputeBudgetInstruction::set_compute_unit_price(price));
    }
    ixs
}

/// A transaction of `ixs` paid and signed by `signer`: v0 (no lookup tables) unless
/// `legacy`.
pub fn transaction(
    ixs: &[Instruction],
    signer: &Keypair,
    blockhash: solana_hash::Hash,
    legacy: bool,
) -> CliResult<VersionedTransaction> {
    let message = if legacy {
        VersionedMessage::Legacy(solana_message::Message::new_with_blockhash(
            ixs,
            Some(&signer.pubkey()),
            &blockhash,
        ))
    } else {
        VersionedMessage::V0(
            solana_message::v0::Message::try_compile(&signer.pubkey(), ixs, &[], blockhash)
                .map_err(|e| e.to_string())?,
        )
    };
    VersionedTransaction::try_new(message, &[signer]).map_err(|e| e.to_string())
}

type CliResult<T> = Result<T, String>;

/// Where the read commands get accounts and time: a JSON-RPC node, or (in tests) a
/// snapshot of the embedded runtime's accounts.
pub trait Chain {
    /// Raw data of an account.
    fn account_data(&self, key: &Pubkey) -> CliResult<Vec<u8>>;
    /// The accounts the insurance program owns whose data holds each `(offset, bytes)`
    /// of `memcmp` (a node filters them server-side), with their data.
    fn program_accounts(&self, memcmp: &[(usize, &[u8])]) -> CliResult<Vec<(Pubkey, Vec<u8>)>>;
    /// Current unix time of the chain.
    fn now(&self) -> CliResult<i64>;
    /// Every successful transaction of `address` with its logs: the whole history.
    fn transaction_logs(&self, _address: &Pubkey) -> CliResult<Vec<actuary_cmd::TransactionLogs>> {
        Err("this source has no transaction history: pass --history".into())
    }
}

impl Chain for RpcClient {
    fn account_data(&self, key: &Pubkey) -> CliResult<Vec<u8>> {
        self.get_account_data(key)
            .map_err(|e| format!("{key}: {e}"))
    }

    fn program_accounts(&self, memcmp: &[(usize, &[u8])]) -> CliResult<Vec<(Pubkey, Vec<u8>)>> {
        use solana_rpc_client::api::config::{RpcAccountInfoConfig, RpcProgramAccountsConfig};
        use solana_rpc_client::api::filter::{Memcmp, RpcFilterType};
        let config = RpcProgramAccountsConfig {
            filters: Some(
                memcmp
                    .iter()
                    .map(|(offset, bytes)| {
                        RpcFilterType::Memcmp(Memcmp::new_raw_bytes(*offset, bytes.to_vec()))
                    })
                    .collect(),
            ),
            account_config: RpcAccountInfoConfig {
                encoding: Some(solana_account_decoder_client_types::UiAccountEncoding::Base64),
                ..Default::default()
            },
            ..Default::default()
        };
        let accounts = self
            .get_program_ui_accounts_with_config(&insurance_pool_sdk::ID, config)
            .map_err(|e| e.to_string())?;
        accounts
            .into_iter()
            .map(|(key, a)| {
                let data = a.data.decode().ok_or(format!("{key}: undecodable data"))?;
                Ok((key, data))
            })
            .collect()
    }

    /// The clock sysvar's `unix_timestamp`: the time the program's next instruction
    /// sees (a block time can differ from it, e.g. on a local node moved in time).
    fn now(&self) -> CliResult<i64> {
        let clock = self
            .get_account_data(&clock_sysvar())
            .map_err(|e| format!("clock sysvar: {e}"))?;
        clock_unix_timestamp(&clock)
    }

    fn transaction_logs(&self, address: &Pubkey) -> CliResult<Vec<actuary_cmd::TransactionLogs>> {
        actuary_cmd::rpc_transaction_logs(self, address)
    }
}

/// Address of the clock sysvar.
pub fn clock_sysvar() -> Pubkey {
    use anchor_lang::solana_program::sysvar::SysvarId;
    anchor_lang::prelude::Clock::id()
}

/// `unix_timestamp` of a clock sysvar's data (bincode `Clock`: slot, epoch start
/// timestamp, epoch, leader schedule epoch, unix timestamp; 8 bytes each).
pub fn clock_unix_timestamp(data: &[u8]) -> CliResult<i64> {
    data.get(32..40)
        .and_then(|b| b.try_into().ok())
        .map(i64::from_le_bytes)
        .ok_or_else(|| format!("clock sysvar: {} bytes, expected 40", data.len()))
}

/// Decodes an Anchor account of type `T` at `key`.
pub fn fetch<T: AccountDeserialize>(chain: &dyn Chain, key: &Pubkey) -> CliResult<T> {
    let data = chain.account_data(key)?;
    T::try_deserialize(&mut data.as_slice()).map_err(|e| format!("{key}: {e}"))
}

/// The addresses and state of a market's pool.
pub fn pool_keys(chain: &dyn Chain, market: &Pubkey) -> CliResult<(PoolKeys, Pool)> {
    let address = pda::pool(market).0;
    let pool: Pool = fetch(chain, &address)?;
    Ok((PoolKeys::new(*market, pool.mint, pool.token_program), pool))
}

/// `render::pool` with the pool's exposure account fetched.
fn render_pool(chain: &dyn Chain, address: &Pubkey, pool: &Pool, now: i64) -> CliResult<Value> {
    let exposure: PoolExposure = fetch(chain, &pda::exposure(address).0)?;
    let protocol: Protocol = fetch(chain, &pda::protocol().0)?;
    Ok(render::pool(
        &address.to_string(),
        pool,
        &exposure.book,
        pool.exit_clock(&protocol, now),
        now,
    ))
}

/// Table columns of the list reads.
pub const POOL_COLUMNS: &[&str] = &[
    "market",
    "mint",
    "capital",
    "shares",
    "share_price",
    "utilisation_bps",
    "rate_bps",
    "volume_rate_bps",
    "unearned_premiums",
    "deposit_votes_from",
    "mint_has_freeze_authority",
    "losses",
    "paused",
];
pub const CLAIM_COLUMNS: &[&str] = &[
    "id",
    "status",
    "amount",
    "turnout_bps",
    "quorum_bps",
    "yes_weight",
    "no_weight",
    "voting_ends_at",
    "holdup_ends_at",
];

/// Every claim of `pool`, by pool-wide number (claim addresses are per claimant, so
/// they are found by scanning the program's accounts).
pub fn pool_claims(chain: &dyn Chain, pool: &Pubkey) -> CliResult<Vec<(Pubkey, Claim)>> {
    let mut claims = Vec::new();
    for (key, data) in chain.program_accounts(&[(0, Claim::DISCRIMINATOR), (8, pool.as_ref())])? {
        let c = Claim::try_deserialize(&mut data.as_slice()).map_err(|e| format!("{key}: {e}"))?;
        if c.pool == *pool {
            claims.push((key, c));
        }
    }
    claims.sort_by_key(|(_, c)| c.number);
    Ok(claims)
}

/// The claim of `pool` whose pool-wide number is `number`.
pub fn find_claim(chain: &dyn Chain, pool: &Pubkey, number: u64) -> CliResult<(Pubkey, Claim)> {
    pool_claims(chain, pool)?
        .into_iter()
        .find(|(_, c)| c.number == number)
        .ok_or_else(|| format!("pool {pool} has no claim {number}"))
}

/// Runs a read command: its JSON output, and the table columns when it is a list.
/// `signer` is the default owner of `underwriter` and `member`.
pub fn read(
    chain: &dyn Chain,
    command: &Command,
    signer: Option<Pubkey>,
) -> CliResult<(Value, Option<&'static [&'static str]>)> {
    let owner_or_signer = |owner: &Option<Pubkey>| {
        owner
            .or(signer)
            .ok_or_else(|| "pass --owner or a keypair".to_string())
    };
    Ok(match command {
        Command::Pools => {
            let now = chain.now()?;
            let mut rows = Vec::new();
            for (key, data) in chain.program_accounts(&[(0, Pool::DISCRIMINATOR)])? {
                let pool =
                    Pool::try_deserialize(&mut data.as_slice()).map_err(|e| e.to_string())?;
                rows.push(render_pool(chain, &key, &pool, now)?);
            }
            (Value::Array(rows), Some(POOL_COLUMNS))
        }
        Command::Pool(m) => {
            let (keys, pool) = pool_keys(chain, &m.market)?;
            (render_pool(chain, &keys.pool, &pool, chain.now()?)?, None)
        }
        Command::Underwriter { market, owner } => {
            let (keys, pool) = pool_keys(chain, market)?;
            let address = keys.underwriter(&owner_or_signer(owner)?);
            let u: Underwriter = fetch(chain, &address)?;
            (
                {
                    let protocol: Protocol = fetch(chain, &pda::protocol().0)?;
                    let now = chain.now()?;
                    let clock = pool.exit_clock(&protocol, now);
                    render::underwriter(&address.to_string(), &u, &pool, clock, now)
                },
                None,
            )
        }
        Command::Member { market, owner } => {
            let (keys, pool) = pool_keys(chain, market)?;
            let address = keys.member(&owner_or_signer(owner)?);
            let m: Member = fetch(chain, &address)?;
            (
                render::member(&address.to_string(), &m, pool.mint_decimals, chain.now()?),
                None,
            )
        }
        Command::VolumeRate { market, volume } => {
            let (keys, pool) = pool_keys(chain, market)?;
            let exposure: PoolExposure = fetch(chain, &keys.exposure)?;
            let protocol: Protocol = fetch(chain, &pda::protocol().0)?;
            let volume = volume
                .as_ref()
                .map(|v| v.base_units(pool.mint_decimals))
                .transpose()?;
            let value = render::volume_rate(
                &keys.pool.to_string(),
                &pool,
                &exposure,
                &protocol,
                volume,
                chain.now()?,
            )?;
            (value, None)
        }
        Command::Claims(m) => {
            let (keys, pool) = pool_keys(chain, &m.market)?;
            let rows = pool_claims(chain, &keys.pool)?
                .iter()
                .map(|(address, c)| render::claim(&address.to_string(), c, &pool))
                .collect();
            (Value::Array(rows), Some(CLAIM_COLUMNS))
        }
        other => return Err(format!("not a read command: {other:?}")),
    })
}

impl Ctx {
    fn signer(&self) -> CliResult<Keypair> {
        let path = &self.keypair_path;
        read_keypair_file(path).map_err(|e| format!("cannot read keypair {path}: {e}"))
    }

    fn pool_keys(&self, market: &Pubkey) -> CliResult<(PoolKeys, Pool)> {
        pool_keys(&self.rpc, market)
    }

    /// JSON (amounts in base units, with the mint's `decimals`), or a table with
    /// amounts in token units.
    fn print(&self, value: &Value, columns: Option<&[&str]>) {
        if self.json {
            println!(
                "{}",
                serde_json::to_string_pretty(value).unwrap_or_default()
            );
            return;
        }
        let value = render::in_token_units(value);
        if let (Some(columns), Some(rows)) = (columns, value.as_array()) {
            println!("{}", render::table(rows, columns));
        } else {
            println!("{}", render::detail(&value));
        }
    }

    /// Simulates `quote_premium` for `owner` (with its member account when it has one,
    /// so a top-up is quoted to its real expiry) and decodes the return data.
    fn quote(&self, keys: &PoolKeys, owner: &Keypair, notional: u64) -> CliResult<PremiumQuote> {
        let member = keys.member(&owner.pubkey());
        let member = self.rpc.get_account(&member).ok().map(|_| member);
        let mut ixs = self.budget.clone();
        ixs.push(ix::quote_premium(keys, member, notional));
        let blockhash = self.rpc.get_latest_blockhash().map_err(|e| e.to_string())?;
        let tx = transaction(&ixs, owner, blockhash, self.legacy)?;
        let sim = self
            .rpc
            .simulate_transaction(&tx)
            .map_err(|e| e.to_string())?
            .value;
        if let Some(err) = sim.err {
            return Err(explain(&format!("{err:?}")));
        }
        let data = sim.return_data.ok_or("no return data")?.data.0;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|e| e.to_string())?;
        PremiumQuote::deserialize(&mut bytes.as_slice()).map_err(|e| e.to_string())
    }

    /// Signs with the keypair and sends; the signature, or the raw RPC error.
    fn submit(&self, ixs: &[Instruction], signer: &Keypair) -> CliResult<String> {
        let blockhash = self.rpc.get_latest_blockhash().map_err(|e| e.to_string())?;
        let all: Vec<Instruction> = self.budget.iter().chain(ixs).cloned().collect();
        let tx = transaction(&all, signer, blockhash, self.legacy)?;
        self.rpc
            .send_and_confirm_transaction(&tx)
            .map(|signature| signature.to_string())
            .map_err(|e| e.to_string())
    }

    /// [`Self::submit`], printing the signature (decoded program errors on failure).
    fn send(&self, ixs: &[Instruction], signer: &Keypair) -> CliResult<()> {
        let signature = self.submit(ixs, signer).map_err(|e| explain(&e))?;
        println!("signature: {signature}");
        Ok(())
    }

    /// The keeper's loop (see [`keeper`]).
    fn keeper(
        &self,
        once: bool,
        interval: u64,
        max: usize,
        webhook: Option<&str>,
        market: Option<Pubkey>,
    ) -> CliResult<()> {
        let signer = self.signer()?;
        let mut state = keeper::Keeper::default();
        let http = webhook.map(|_| reqwest::blocking::Client::new());
        loop {
            let now = self.rpc.now()?;
            let mut send = |ix: &Instruction| match self.submit(std::slice::from_ref(ix), &signer) {
                Ok(signature) => keeper::Outcome::Done(signature),
                Err(e) => keeper::classify(&e),
            };
            let round = match state.round(&self.rpc, now, market, max, &mut send) {
                Ok(round) => round,
                // A node hiccup is not the end of a service: log and retry next round.
                Err(e) if !once => {
                    eprintln!("keeper: round failed: {e}");
                    std::thread::sleep(std::time::Duration::from_secs(interval));
                    continue;
                }
                Err(e) => return Err(e),
            };
            for line in &round.log {
                println!("{line}");
            }
            for alert in &round.new_alerts {
                println!("{}", alert.line());
                let delivered = match (webhook, &http) {
                    (Some(url), Some(http)) => match http
                        .post(url)
                        .json(&alert.json())
                        .send()
                        .and_then(|r| r.error_for_status())
                    {
                        Ok(_) => true,
                        Err(e) => {
                            eprintln!("keeper: webhook {url}: {e} (retried next round)");
                            false
                        }
                    },
                    _ => true,
                };
                if delivered {
                    state.delivered(alert);
                }
            }
            println!(
                "keeper: round at {now}: {} crank(s), {} new alert(s)",
                round.log.len(),
                round.new_alerts.len()
            );
            if once {
                return match round.failed {
                    0 => Ok(()),
                    n => Err(format!("{n} crank(s) failed")),
                };
            }
            std::thread::sleep(std::time::Duration::from_secs(interval));
        }
    }
}

/// A premium quote as JSON (`decimals`: the pool mint's).
pub fn quote_json(q: &PremiumQuote, decimals: u8) -> Value {
    serde_json::json!({
        "decimals": decimals,
        "premium": q.premium, "rate_bps": q.rate_bps,
        "utilisation_bps": q.utilisation_bps, "covered_secs": q.covered_secs,
        "coverage_expiry": q.coverage_expiry,
    })
}

/// The program error named by a `custom program error: 0x…` in an RPC error message.
pub fn program_error(message: &str) -> Option<errors::DecodedError> {
    let rest = message.split("custom program error: 0x").nth(1)?;
    let hex = rest.split(|c: char| !c.is_ascii_hexdigit()).next()?;
    u32::from_str_radix(hex, 16).ok().and_then(errors::decode)
}

/// Replaces a `custom program error: 0x…` in an RPC error with the error's name and
/// message.
pub fn explain(message: &str) -> String {
    match program_error(message) {
        Some(decoded) => format!("{decoded}\n({message})"),
        None => message.to_string(),
    }
}

fn run(cli: Cli) -> CliResult<()> {
    #[cfg(feature = "demo")]
    if let Command::Demo = cli.command {
        return demo::run();
    }
    let writes = !matches!(
        cli.command,
        Command::Actuary(_)
            | Command::Pools
            | Command::Pool(_)
            | Command::Underwriter { .. }
            | Command::Member { .. }
            | Command::VolumeRate { .. }
            | Command::Claims(_)
            | Command::Quote { .. }
            | Command::Health { .. }
            | Command::Keeper { .. }
    );
    if cli.output == Output::Proposal && !writes {
        return Err("--output proposal prints a write command's instructions: this command has none to propose (the keeper sends its own)".into());
    }
    if cli.authority.is_some() && cli.output != Output::Proposal {
        return Err("--signer names the signer of a proposal and needs --output proposal (without it the keypair would sign and send)".into());
    }
    let file = config::SolanaConfig::load(cli.config.as_deref())?;
    let resolved = config::resolve(
        cli.url.as_deref(),
        cli.keypair.as_deref(),
        cli.commitment.as_deref(),
        &file,
    );
    let commitment = config::commitment(&resolved.commitment)?;
    if let Command::Actuary(args) = &cli.command {
        let rpc = args
            .market
            .map(|_| RpcClient::new_with_commitment(resolved.url.clone(), commitment));
        let chain = rpc.as_ref().map(|r| r as &dyn Chain);
        println!("{}", actuary_cmd::run(chain, args, cli.json)?);
        return Ok(());
    }
    let ctx = Ctx {
        rpc: RpcClient::new_with_commitment(resolved.url, commitment),
        keypair_path: resolved.keypair,
        json: cli.json || cli.output == Output::Json,
        output: cli.output,
        authority: cli.authority,
        budget: compute_budget(cli.with_compute_unit_price, cli.compute_unit_limit),
        legacy: cli.legacy,
    };
    match cli.command {
        #[cfg(feature = "demo")]
        Command::Demo => unreachable!("handled above"),
        Command::Actuary(_) => unreachable!("handled above"),
        Command::Pools
        | Command::Pool(_)
        | Command::Underwriter { .. }
        | Command::Member { .. }
        | Command::VolumeRate { .. }
        | Command::Claims(_) => {
            let signer = ctx.signer().ok().map(|k| k.pubkey());
            let (value, columns) = read(&ctx.rpc, &cli.command, signer)?;
            ctx.print(&value, columns);
        }
        Command::Health { market } => {
            let (value, healthy) = health::health(&ctx.rpc, market)?;
            ctx.print(&value, Some(health::HEALTH_COLUMNS));
            if !healthy {
                for row in value.as_array().into_iter().flatten() {
                    for broken in row["broken"].as_array().into_iter().flatten() {
                        eprintln!(
                            "market {}: {}",
                            row["market"].as_str().unwrap_or("?"),
                            broken.as_str().unwrap_or("?")
                        );
                    }
                }
                return Err("invariant broken".into());
            }
        }
        Command::Keeper {
            once,
            interval,
            max_per_round,
            webhook,
            market,
        } => ctx.keeper(once, interval, max_per_round, webhook.as_deref(), market)?,
        Command::Quote { market, notional } => {
            let (keys, pool) = ctx.pool_keys(&market)?;
            let notional = notional.base_units(pool.mint_decimals)?;
            let q = ctx.quote(&keys, &ctx.signer()?, notional)?;
            ctx.print(&quote_json(&q, pool.mint_decimals), None);
        }
        command => write(&ctx, command)?,
    }
    Ok(())
}

/// The write commands: plan, then sign and send (printing the resulting pool state), or
/// print the plan as a governance proposal (`--output proposal`: nothing is sent).
fn write(ctx: &Ctx, command: Command) -> CliResult<()> {
    if ctx.output == Output::Proposal {
        let me = match ctx.authority {
            Some(key) => key,
            None => ctx.signer()?.pubkey(),
        };
        let no_quote = |_: &PoolKeys, _: u64| -> CliResult<PremiumQuote> {
            Err("a cover purchase is not a governance action".into())
        };
        let plan = write::plan(&ctx.rpc, me, command, &no_quote)?;
        println!(
            "{}",
            serde_json::to_string_pretty(&proposal(&plan.instructions)).unwrap_or_default()
        );
        return Ok(());
    }
    let signer = ctx.signer()?;
    let quote = |keys: &PoolKeys, notional: u64| {
        let q = ctx.quote(keys, &signer, notional)?;
        Ok(q)
    };
    let plan = write::plan(&ctx.rpc, signer.pubkey(), command, &quote)?;
    ctx.send(&plan.instructions, &signer)?;
    if let Some(market) = plan.market {
        let (keys, pool) = ctx.pool_keys(&market)?;
        let now = ctx.rpc.now()?;
        ctx.print(&render_pool(&ctx.rpc, &keys.pool, &pool, now)?, None);
    }
    Ok(())
}

/// Instructions as a Squads or Realms proposal takes them: per instruction its program,
/// its accounts (signer, writable) and its data in base58 and base64.
pub fn proposal(instructions: &[Instruction]) -> Value {
    let b64 = base64::engine::general_purpose::STANDARD;
    Value::Array(
        instructions
            .iter()
            .map(|ix| {
                serde_json::json!({
                    "program_id": ix.program_id.to_string(),
                    "accounts": ix.accounts.iter().map(|a| serde_json::json!({
                        "pubkey": a.pubkey.to_string(),
                        "is_signer": a.is_signer,
                        "is_writable": a.is_writable,
                    })).collect::<Vec<_>>(),
                    "data_base58": bs58::encode(&ix.data).into_string(),
                    "data_base64": b64.encode(&ix.data),
                })
            })
            .collect(),
    )
}

fn main() {
    if let Err(e) = run(Cli::parse()) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests;
