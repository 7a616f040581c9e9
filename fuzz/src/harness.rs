//! One LiteSVM with both SBF binaries, the SPL Token and Token-2022 programs LiteSVM
//! ships, an initialised protocol, one pool and funded actors; it executes [`Op`]s and
//! checks the invariants after every one.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::bpf_loader_upgradeable;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_lang::{AccountDeserialize, InstructionData};
use anchor_spl::token_2022::spl_token_2022;
use litesvm::types::{FailedTransactionMetadata, TransactionMetadata};
use litesvm::LiteSVM;
use solana_clock::Clock;
use solana_instruction::error::InstructionError;
use solana_keypair::Keypair;
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;

use insurance_pool_sdk::ix::{self, PoolKeys};
use insurance_pool_sdk::state::{GovernanceParams, Pool, PoolParams, Underwriter};

use crate::ops::{Op, Shares, ACTORS, FUNDING};

/// Decimals of the fuzzed mint.
pub const DECIMALS: u8 = 6;
/// Unix time the clock starts at (LiteSVM starts at 0).
pub const START_TIME: i64 = 1_700_000_000;
/// Bytes of a ProgramData account's header: bincode
/// `UpgradeableLoaderState::ProgramData { slot, upgrade_authority_address }`.
const PROGRAM_DATA_HEADER: usize = 45;
/// Lamports of every actor: fees of a million transactions and rent of its accounts.
const ACTOR_LAMPORTS: u64 = 100_000_000_000;
/// Deposit cap of the fuzz pool: below the actors' combined funding, so it is reached.
pub const DEPOSIT_CAP: u64 = 3 * FUNDING;

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

/// The pool's parameters: the SDK's defaults with windows short enough for a few
/// thousand operations to go through whole lifecycles (1-hour cooldown, 1-day window,
/// 1-day covers, 2-day deposit lock), and a reachable deposit cap.
pub fn fuzz_params() -> PoolParams {
    PoolParams {
        withdrawal_cooldown: HOUR,
        withdrawal_window: DAY,
        coverage_duration: DAY,
        min_deposit_lock: 2 * DAY,
        claim_waiting_period: HOUR,
        deposit_cap: DEPOSIT_CAP,
        governance: GovernanceParams {
            voting_period: DAY,
            holdup_period: HOUR,
            min_stake_age: DAY,
            ..ix::DEFAULT_GOVERNANCE
        },
        ..ix::default_params()
    }
}

/// Where the SBF binaries are: `$SBF_OUT_DIR`, else the workspace's `target/deploy`.
pub fn default_deploy_dir() -> PathBuf {
    match std::env::var_os("SBF_OUT_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/deploy"),
    }
}

/// The programs' sources that are newer than the oldest of the two binaries, if any
/// (a stale binary is reported, never silently fuzzed).
pub fn stale_sources(deploy_dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut built = None;
    for name in ["insurance_pool.so", "example_exchange.so"] {
        let time = std::fs::metadata(deploy_dir.join(name))?.modified()?;
        built = Some(built.map_or(time, |b: std::time::SystemTime| b.min(time)));
    }
    let built = built.expect("two binaries");
    let mut newer = Vec::new();
    let mut dirs = vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../programs")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let meta = entry.metadata()?;
            if meta.is_dir() {
                dirs.push(entry.path());
            } else if meta.modified()? > built {
                newer.push(entry.path());
            }
        }
    }
    Ok(newer)
}

/// A wallet with a token account of the pool's mint, its program addresses, and one
/// unsigned transaction per instruction it sends, built once by the SDK's builders
/// (deriving PDAs is the costliest host-side work, so no step derives any).
pub struct Actor {
    pub key: Keypair,
    pub token: Pubkey,
    pub underwriter: Pubkey,
    pub member: Pubkey,
    templates: Templates,
}

/// Transactions whose only instruction's data a step replaces with its arguments.
struct Templates {
    deposit: Transaction,
    request_withdrawal: Transaction,
    cancel_withdrawal: Transaction,
    complete_withdrawal: Transaction,
    contribute_premium: Transaction,
}

impl Templates {
    fn new(owner: &Pubkey, pool: &PoolKeys, token: &Pubkey) -> Self {
        let tx = |ix: Instruction| Transaction::new_with_payer(&[ix], Some(owner));
        Templates {
            deposit: tx(ix::deposit(owner, pool, token, 0, 0)),
            request_withdrawal: tx(ix::request_withdrawal(owner, pool, 0)),
            cancel_withdrawal: tx(ix::cancel_withdrawal(owner, pool)),
            complete_withdrawal: tx(ix::complete_withdrawal(owner, pool, token)),
            contribute_premium: tx(ix::contribute_premium(owner, pool, token, None, 0, 0)),
        }
    }
}

/// What one operation did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The clock moved.
    Warped,
    /// The transaction succeeded, using `cu` compute units.
    Ok { cu: u64 },
    /// The transaction was refused with `reason`; `explained` is false when the error
    /// is neither a named program error nor a token-program error.
    Refused {
        reason: String,
        explained: bool,
        cu: u64,
    },
}

/// The fuzzed world.
pub struct Harness {
    pub svm: LiteSVM,
    pub payer: Keypair,
    pub authority: Keypair,
    pub guardian: Keypair,
    pub pool: PoolKeys,
    pub actors: Vec<Actor>,
    /// The vault balance implied by the token flows seen (the model's books).
    pub model_vault: u64,
    /// Invariant checks performed so far.
    pub checks: u64,
    /// Time spent building, signing and sending the operations' transactions.
    pub tx_time: Duration,
}

/// A deterministic keypair (fixed keys keep PDA bumps, so compute units, repeatable).
fn keypair(tag: u8, index: u8) -> Keypair {
    let mut secret = [tag; 32];
    secret[31] = index;
    Keypair::new_from_array(secret)
}

fn token_amount(data: &[u8]) -> u64 {
    u64::from_le_bytes(data[64..72].try_into().expect("token account amount"))
}

impl Harness {
    /// Loads the binaries from `deploy_dir` and builds the world: protocol, a 6-decimal
    /// SPL Token mint, its pool, and [`ACTORS`] funded actors.
    pub fn new(deploy_dir: &Path, sigverify: bool) -> Result<Self, String> {
        // `new()`: mainnet features (SBPF v3 enabled), builtins, sysvars, and the SPL
        // programs (Token, Token-2022, associated token, memo). No history, so identical
        // transactions (same op twice in one slot) are not refused as duplicates.
        let mut svm = LiteSVM::new()
            .with_sigverify(sigverify)
            .with_transaction_history(0);
        for (id, file) in [
            (insurance_pool::ID, "insurance_pool.so"),
            (example_exchange::ID, "example_exchange.so"),
        ] {
            let path = deploy_dir.join(file);
            svm.add_program_from_file(id, &path)
                .map_err(|e| format!("loading {}: {e}", path.display()))?;
        }
        let payer = keypair(1, 0);
        let authority = keypair(2, 0);
        let guardian = keypair(3, 0);
        svm.airdrop(&payer.pubkey(), 10_000_000_000_000)
            .map_err(|e| format!("airdrop: {:?}", e.err))?;
        let mut clock = svm.get_sysvar::<Clock>();
        clock.unix_timestamp = START_TIME;
        svm.set_sysvar(&clock);

        let mut h = Harness {
            svm,
            payer,
            authority,
            guardian,
            pool: PoolKeys::new(Pubkey::default(), Pubkey::default(), Pubkey::default()),
            actors: Vec::new(),
            model_vault: 0,
            checks: 0,
            tx_time: Duration::ZERO,
        };
        h.set_upgrade_authority(h.payer.pubkey());
        let payer = h.payer.pubkey();
        h.setup(
            &[ix::initialize_protocol(
                &payer,
                &payer,
                h.authority.pubkey(),
                h.guardian.pubkey(),
            )],
            &[],
        )?;

        let token_program = anchor_spl::token::ID;
        let mint = h.create_mint(&token_program)?;
        let market = keypair(4, 0).pubkey();
        h.pool = PoolKeys::new(market, mint, token_program);
        let authority = h.authority.insecure_clone();
        h.setup(
            &[ix::create_pool(
                &payer,
                &authority.pubkey(),
                &h.pool,
                fuzz_params(),
            )],
            &[&authority],
        )?;
        for i in 0..ACTORS {
            let key = keypair(5, i);
            h.svm
                .airdrop(&key.pubkey(), ACTOR_LAMPORTS)
                .map_err(|e| format!("airdrop: {:?}", e.err))?;
            let token = h.create_associated_token_account(&key.pubkey())?;
            h.setup(
                &[spl_token_2022::instruction::mint_to(
                    &token_program,
                    &mint,
                    &token,
                    &payer,
                    &[],
                    FUNDING,
                )
                .map_err(|e| e.to_string())?],
                &[],
            )?;
            h.actors.push(Actor {
                underwriter: h.pool.underwriter(&key.pubkey()),
                member: h.pool.member(&key.pubkey()),
                templates: Templates::new(&key.pubkey(), &h.pool, &token),
                key,
                token,
            });
        }
        h.model_vault = h.balance(&h.pool.vault);
        h.check(None)?;
        Ok(h)
    }

    /// Makes `authority` the insurance program's upgrade authority, as a deployment
    /// would: rewrites the header of the ProgramData account LiteSVM created (it loads
    /// upgradeable programs with no authority), keeping the ELF after it.
    fn set_upgrade_authority(&mut self, authority: Pubkey) {
        let address = insurance_pool::pda::program_data();
        let mut account = self
            .svm
            .get_account(&address)
            .filter(|a| a.owner == bpf_loader_upgradeable::ID)
            .expect("LiteSVM creates the ProgramData of an upgradeable program");
        assert!(account.data.len() >= PROGRAM_DATA_HEADER);
        assert_eq!(account.data[0..4], 3u32.to_le_bytes(), "ProgramData tag");
        account.data[12] = 1;
        account.data[13..45].copy_from_slice(authority.as_ref());
        self.svm
            .set_account(address, account)
            .expect("set ProgramData");
    }

    /// Sends a setup transaction paid and signed by the payer (and `signers`).
    fn setup(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> Result<(), String> {
        let mut all: Vec<&Keypair> = vec![&self.payer];
        all.extend_from_slice(signers);
        let tx = Transaction::new_signed_with_payer(
            ixs,
            Some(&self.payer.pubkey()),
            &all,
            self.svm.latest_blockhash(),
        );
        self.svm
            .send_transaction(tx)
            .map(|_| ())
            .map_err(|e| format!("setup failed: {:?}; logs: {:#?}", e.err, e.meta.logs))
    }

    fn create_mint(&mut self, token_program: &Pubkey) -> Result<Pubkey, String> {
        let mint = keypair(6, 0);
        let space = 82;
        let create = solana_system_interface::instruction::create_account(
            &self.payer.pubkey(),
            &mint.pubkey(),
            self.svm.minimum_balance_for_rent_exemption(space),
            space as u64,
            token_program,
        );
        let init = spl_token_2022::instruction::initialize_mint2(
            token_program,
            &mint.pubkey(),
            &self.payer.pubkey(),
            None,
            DECIMALS,
        )
        .map_err(|e| e.to_string())?;
        self.setup(&[create, init], &[&mint])?;
        Ok(mint.pubkey())
    }

    fn create_associated_token_account(&mut self, owner: &Pubkey) -> Result<Pubkey, String> {
        let (mint, token_program) = (self.pool.mint, self.pool.token_program);
        let ata = insurance_pool::pda::associated_token(owner, &mint, &token_program);
        let ix = Instruction {
            program_id: insurance_pool::constants::ASSOCIATED_TOKEN_PROGRAM,
            accounts: vec![
                AccountMeta::new(self.payer.pubkey(), true),
                AccountMeta::new(ata, false),
                AccountMeta::new_readonly(*owner, false),
                AccountMeta::new_readonly(mint, false),
                AccountMeta::new_readonly(anchor_lang::system_program::ID, false),
                AccountMeta::new_readonly(token_program, false),
            ],
            data: vec![1], // CreateIdempotent
        };
        self.setup(&[ix], &[])?;
        Ok(ata)
    }

    /// Token balance of a token account (0 if it does not exist).
    pub fn balance(&self, account: &Pubkey) -> u64 {
        self.svm
            .get_account(account)
            .map_or(0, |a| token_amount(&a.data))
    }

    /// Decodes an Anchor account, if it exists.
    pub fn fetch<T: AccountDeserialize>(&self, key: &Pubkey) -> Option<T> {
        let account = self.svm.get_account(key)?;
        T::try_deserialize(&mut account.data.as_slice()).ok()
    }

    pub fn pool_state(&self) -> Pool {
        self.fetch(&self.pool.pool).expect("pool decodes")
    }

    pub fn now(&self) -> i64 {
        self.svm.get_sysvar::<Clock>().unix_timestamp
    }

    /// Runs `op`, then checks every invariant. `Err` is an invariant violation.
    pub fn step(&mut self, op: &Op) -> Result<Outcome, String> {
        use insurance_pool::instruction as args;
        let (actor, template, data) = match *op {
            Op::Warp { seconds } => {
                let mut clock = self.svm.get_sysvar::<Clock>();
                clock.slot += 1;
                clock.unix_timestamp += seconds;
                self.svm.set_sysvar(&clock);
                self.check(None)?;
                return Ok(Outcome::Warped);
            }
            Op::Deposit { actor, amount } => (
                actor,
                &self.actors[actor as usize].templates.deposit,
                args::Deposit {
                    amount,
                    min_shares: 0,
                }
                .data(),
            ),
            Op::RequestWithdrawal { actor, shares } => {
                let a = &self.actors[actor as usize];
                let free = self
                    .fetch::<Underwriter>(&a.underwriter)
                    .map_or(1, |u| u.free_shares());
                let shares = match shares {
                    Shares::AllFree => free,
                    Shares::Fraction(n) => (free / n.max(1) as u128).max(1),
                    Shares::Exact(n) => n,
                };
                (
                    actor,
                    &a.templates.request_withdrawal,
                    args::RequestWithdrawal { shares }.data(),
                )
            }
            Op::CancelWithdrawal { actor } => (
                actor,
                &self.actors[actor as usize].templates.cancel_withdrawal,
                args::CancelWithdrawal {}.data(),
            ),
            Op::CompleteWithdrawal { actor } => (
                actor,
                &self.actors[actor as usize].templates.complete_withdrawal,
                args::CompleteWithdrawal {}.data(),
            ),
            Op::ContributePremium { actor, notional } => (
                actor,
                &self.actors[actor as usize].templates.contribute_premium,
                args::ContributePremium {
                    notional,
                    max_premium: u64::MAX,
                    min_expiry: 0,
                }
                .data(),
            ),
        };
        let mut tx = template.clone();
        tx.message.instructions[0].data = data;
        let token = self.actors[actor as usize].token;
        let wallet_before = self.balance(&token);
        let vault_before = self.balance(&self.pool.vault);
        let started = Instant::now();
        let blockhash = self.svm.latest_blockhash();
        if self.svm.get_sigverify() {
            tx.sign(&[&self.actors[actor as usize].key], blockhash);
        } else {
            // Unverified: placeholder signatures; the program sees the same signer flags.
            tx.message.recent_blockhash = blockhash;
        }
        let result = self.svm.send_transaction(tx);
        self.tx_time += started.elapsed();
        let wallet_after = self.balance(&token);
        let vault_after = self.balance(&self.pool.vault);
        let outcome = match result {
            Ok(TransactionMetadata {
                compute_units_consumed,
                ..
            }) => {
                // Token flows: the only tokens that move are between the actor and the
                // vault, by exactly the amount the operation names.
                let (paid, received) = (
                    wallet_before.saturating_sub(wallet_after),
                    wallet_after.saturating_sub(wallet_before),
                );
                match *op {
                    Op::Deposit { amount, .. } => {
                        if paid != amount || received != 0 {
                            return Err(format!("deposit of {amount} moved {paid} out of the wallet and {received} in"));
                        }
                        self.model_vault += paid;
                    }
                    Op::ContributePremium { .. } => {
                        if paid == 0 || received != 0 {
                            return Err(format!(
                                "a premium was charged {paid} (received {received})"
                            ));
                        }
                        self.model_vault += paid;
                    }
                    Op::CompleteWithdrawal { .. } => {
                        if paid != 0 {
                            return Err(format!("a withdrawal took {paid} from the wallet"));
                        }
                        self.model_vault -= received;
                    }
                    _ => {
                        if paid != 0 || received != 0 {
                            return Err(format!("{} moved tokens", op.name()));
                        }
                    }
                }
                Outcome::Ok {
                    cu: compute_units_consumed,
                }
            }
            Err(FailedTransactionMetadata { err, meta }) => {
                if wallet_after != wallet_before || vault_after != vault_before {
                    return Err(format!("refused {} moved tokens", op.name()));
                }
                let (reason, explained) = refusal(&err, &meta.logs);
                Outcome::Refused {
                    reason,
                    explained,
                    cu: meta.compute_units_consumed,
                }
            }
        };
        self.check(Some(vault_after))?;
        Ok(outcome)
    }

    /// The invariants: the vault holds what the flows say and exactly capital +
    /// unearned premiums; the bond escrow holds the bonds; capital covers the
    /// reservations; the positions' shares add up to the pool's.
    pub fn check(&mut self, vault: Option<u64>) -> Result<(), String> {
        self.checks += 1;
        let pool = self.pool_state();
        let vault = vault.unwrap_or_else(|| self.balance(&self.pool.vault));
        if vault != self.model_vault {
            return Err(format!(
                "vault holds {vault}, the flows say {}",
                self.model_vault
            ));
        }
        if vault as u128 != pool.capital as u128 + pool.unearned_premiums as u128 {
            return Err(format!(
                "conservation: vault {vault} != capital {} + unearned {}",
                pool.capital, pool.unearned_premiums
            ));
        }
        let bonds = self.balance(&self.pool.bond_vault);
        if bonds != pool.bonds_held {
            return Err(format!(
                "bond escrow {bonds} != bonds_held {}",
                pool.bonds_held
            ));
        }
        if pool.capital < pool.reserved_for_claims {
            return Err(format!(
                "capital {} below reserved_for_claims {}",
                pool.capital, pool.reserved_for_claims
            ));
        }
        let (mut shares, mut pending) = (0u128, 0u128);
        for a in &self.actors {
            if let Some(u) = self.fetch::<Underwriter>(&a.underwriter) {
                if u.pending_shares > u.shares {
                    return Err(format!(
                        "underwriter {} has {} pending of {} shares",
                        a.key.pubkey(),
                        u.pending_shares,
                        u.shares
                    ));
                }
                shares += u.shares;
                pending += u.pending_shares;
            }
        }
        if shares != pool.total_shares || pending != pool.pending_withdrawal_shares {
            return Err(format!(
                "positions hold {shares} shares ({pending} pending), the pool {} ({})",
                pool.total_shares, pool.pending_withdrawal_shares
            ));
        }
        Ok(())
    }
}

/// Names a refusal: a program or Anchor error by name, a token-program error by its
/// program and code; anything else is reported as unexplained.
fn refusal(err: &TransactionError, logs: &[String]) -> (String, bool) {
    match err {
        TransactionError::InstructionError(_, InstructionError::Custom(code)) => {
            // The program that raised the error is the first (innermost) one whose
            // failure the logs report; its callers fail with the same code after it.
            let failed = logs.iter().find_map(|l| {
                let (id, tail) = l.strip_prefix("Program ")?.split_once(' ')?;
                tail.starts_with("failed")
                    .then(|| id.parse::<Pubkey>().ok())?
            });
            match failed {
                Some(id) if id == anchor_spl::token::ID || id == anchor_spl::token_2022::ID => {
                    // SPL Token's codes are the first of Token-2022's, same meaning.
                    match spl_token_2022::error::TokenError::try_from(*code) {
                        Ok(e) => (format!("token: {e:?}"), true),
                        Err(_) => (format!("token: unknown error {code}"), false),
                    }
                }
                _ => {
                    let program = failed.unwrap_or(insurance_pool::ID);
                    match insurance_pool_sdk::errors::decode_for(&program, *code) {
                        Some(d) => (d.name, true),
                        None => (format!("unknown custom error {code} from {program}"), false),
                    }
                }
            }
        }
        TransactionError::InstructionError(_, e) => (format!("{e:?}"), false),
        other => (format!("{other:?}"), false),
    }
}
