//! The fuzzed world: one LiteSVM with both SBF binaries and the SPL Token, Token-2022
//! and associated-token programs LiteSVM ships; an initialised protocol with four
//! insurance markets (SPL Token 6 decimals, Token-2022 9 decimals, SPL Token 9
//! decimals, a second market on the first mint), two example-exchange markets
//! registered on the first two pools (and exchange 0 on pool 3 as well), 16
//! funded actors (8 underwriters, 8 members, all of whom trade), two authority keys,
//! the guardian, the oracle, the treasury and an attacker.
//!
//! [`Harness::step`] resolves an [`Op`] against the [`Model`], applies it to the model,
//! sends it, and then checks, after every step:
//! - **lockstep**: the program's outcome is the model's (success, or refusal with the
//!   error the model names), and every account the transaction could write (all a
//!   transaction can change) equals the model's copy byte for byte, token balances
//!   included; a refusal therefore changes nothing;
//! - **isolation**: no account of another market changed (the step's writable
//!   accounts of other markets are compared before and after);
//! - **invariants** on the chain state, independent of the model: per pool vault =
//!   capital + unearned premiums, bond escrow = bonds held, capital >= reservations,
//!   the positions' shares add up to the pool's; per exchange collateral vault =
//!   collateral + house balance; and per step the bounds of the issue (an exit pays at
//!   most its pro-rata share of free capital net of voting claims; a payout is within its reservation, its amount and the member's matured
//!   cover of the term; a shortfall cover within its per-event cap, epoch room and
//!   solvency floor; a premium's rate exactly the curve at the utilisation the
//!   purchase creates on the capital that stays; a volume fee exactly
//!   `ceil(volume · rate / 10 000)`);
//! - **fairness** ([`crate::fairness`]): every underwriter's position worth its fair
//!   value (its pro-rata share of every income and loss while it held shares, an exit
//!   liable for the claims voting when it left), within rounding;
//! - **named failures**: every refusal decodes to a program, Anchor, token-program or
//!   system-program error.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::bpf_loader_upgradeable;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_lang::{AccountDeserialize, AccountSerialize, AnchorSerialize};
use anchor_spl::token_2022::spl_token_2022;
use example_exchange::state::{Market, MarketParams, Position};
use insurance_pool::instructions::UpdateProtocolArgs;
use insurance_pool::math::{curve_rate, utilisation_bps, volume_fee};
use insurance_pool::state::{
    Claim, ClaimStatus, ExchangeLimits, GovernanceParams, Member, Pool, PoolExposure, PoolParams,
    Protocol, Underwriter,
};
use litesvm::types::{FailedTransactionMetadata, TransactionMetadata};
use litesvm::LiteSVM;
use solana_clock::Clock;
use solana_instruction::error::InstructionError;
use solana_keypair::Keypair;
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;

use insurance_pool_sdk::ix::{self, PoolKeys};
use insurance_pool_testkit::exchange_ix::{self as xix, ExchangeKeys};

use crate::fairness::Fairness;
use crate::model::{MExchange, MPool, Model, Refusal, ShortfallSeen};
use crate::ops::{
    ActorRef, Amount, Bound, ClaimRef, Edge, Op, Shares, Subst, Target, Who, ACTORS, FUNDING,
    MARKETS,
};
use crate::pdas;

/// Unix time the clock starts at (LiteSVM starts at 0).
pub const START_TIME: i64 = 1_700_000_000;
/// Bytes of a ProgramData account's header: bincode
/// `UpgradeableLoaderState::ProgramData { slot, upgrade_authority_address }`.
const PROGRAM_DATA_HEADER: usize = 45;
/// Lamports of every key that signs: fees and rent of a million transactions.
const LAMPORTS: u64 = 1_000_000_000_000;
/// Deposit cap of the fuzz pools: below the underwriters' combined funding.
pub const DEPOSIT_CAP: u64 = 3 * FUNDING;
/// The exchanges' oracle price at the start.
pub const START_PRICE: u64 = 1_000;

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

/// (token program, decimals) of each market.
pub const MINTS: [(Pubkey, u8); MARKETS as usize] = [
    (anchor_spl::token::ID, 6),
    (anchor_spl::token_2022::ID, 9),
    (anchor_spl::token::ID, 9),
    // Market 3 shares market 0's mint (a second market of the same asset).
    (anchor_spl::token::ID, 6),
];

/// The market whose mint market `m` uses.
pub fn mint_of(m: usize) -> usize {
    if m == 3 {
        0
    } else {
        m
    }
}

/// The pools' parameters: the SDK's defaults with windows short enough for a few
/// thousand operations to go through whole lifecycles (1-hour cooldown, claim wait and
/// hold-up, 1-day withdrawal window, cover term, vote and stake age, 2-day deposit
/// lock) and a reachable deposit cap.
pub fn fuzz_params() -> PoolParams {
    PoolParams {
        withdrawal_cooldown: HOUR,
        withdrawal_window: DAY,
        coverage_duration: 2 * DAY,
        min_deposit_lock: 2 * DAY,
        claim_waiting_period: HOUR,
        deposit_cap: DEPOSIT_CAP,
        governance: GovernanceParams {
            voting_period: 6 * HOUR,
            holdup_period: HOUR,
            min_stake_age: DAY,
            ..insurance_pool_testkit::DEFAULT_GOVERNANCE
        },
        ..insurance_pool_testkit::default_params()
    }
}

/// The parameter sets `update_pool_params` proposes (`variant % 10`).
pub fn param_variant(variant: u8) -> PoolParams {
    let base = fuzz_params();
    match variant % 10 {
        0 => base,
        1 => PoolParams {
            deposit_cap: FUNDING,
            ..base
        },
        2 => PoolParams {
            curve: insurance_pool::math::Curve {
                base_rate: 200,
                slope1: 4_000,
                ..base.curve
            },
            ..base
        },
        3 => PoolParams {
            max_exposure_bps: 10_000,
            ..base
        },
        4 => PoolParams {
            min_reserve: FUNDING / 20,
            ..base
        },
        // The stake age is fixed at creation: refused with StakeAgeImmutable.
        5 => PoolParams {
            min_deposit_lock: 4 * DAY,
            governance: GovernanceParams {
                min_stake_age: 2 * DAY,
                ..base.governance
            },
            ..base
        },
        // Refused by validation (InvalidRateBounds).
        6 => PoolParams {
            curve: insurance_pool::math::Curve {
                min_rate: 0,
                ..base.curve
            },
            ..base
        },
        // Claims up to all free capital, approved by a small quorum: concurrent claims
        // whose approval finds less free capital than their amount.
        7 | 8 => PoolParams {
            governance: GovernanceParams {
                max_claim_bps: 10_000,
                quorum_bps: 500,
                approval_threshold_bps: 5_000,
                ..base.governance
            },
            ..base
        },
        _ => PoolParams {
            withdrawal_cooldown: 2 * HOUR,
            coverage_duration: 2 * DAY,
            min_deposit_lock: 3 * DAY,
            governance: GovernanceParams {
                voting_period: 2 * DAY,
                holdup_period: 2 * HOUR,
                ..base.governance
            },
            ..base
        },
    }
}

/// The exchanges' limits at registration: small enough that liquidations' bad debt
/// meets the per-event cap and the epoch cap.
pub fn fuzz_limits() -> ExchangeLimits {
    ExchangeLimits {
        per_event_cap: FUNDING / 200,
        per_epoch_cap: FUNDING / 80,
        epoch_length: DAY,
        per_event_bps: 2_000,
        per_epoch_bps: 5_000,
    }
}

/// The limits `update_exchange` proposes (`variant % 7`).
pub fn limits_variant(variant: u8) -> ExchangeLimits {
    let base = fuzz_limits();
    match variant % 7 {
        0 => base,
        1 => ExchangeLimits {
            per_event_cap: FUNDING / 100,
            ..base
        },
        2 => ExchangeLimits {
            per_event_cap: FUNDING / 4,
            per_epoch_cap: FUNDING / 2,
            per_event_bps: 5_000,
            per_epoch_bps: 10_000,
            ..base
        },
        3 => ExchangeLimits {
            per_event_cap: 0,
            ..base
        },
        4 => ExchangeLimits {
            epoch_length: HOUR,
            ..base
        },
        // An epoch cap barely above the per-event cap: the second draw of an epoch
        // meets it.
        5 => ExchangeLimits {
            per_event_cap: FUNDING / 1_000,
            per_epoch_cap: FUNDING / 700,
            per_event_bps: 100,
            per_epoch_bps: 150,
            ..base
        },
        _ => ExchangeLimits {
            per_event_bps: 0,
            ..base
        },
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

/// A wallet and its associated token account of each market's mint.
pub struct Actor {
    pub key: Keypair,
    pub tokens: Vec<Pubkey>,
}

/// What one operation did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The clock moved.
    Warped,
    /// Nothing to do (e.g. a claim operation before any claim exists).
    Skipped,
    Ok {
        cu: u64,
    },
    Refused {
        reason: String,
        cu: u64,
    },
}

/// Which keys sign a step's transaction (the first pays the fee).
#[derive(Clone, Copy)]
enum Signer_ {
    Actor(u8),
    Attacker,
    Payer,
    Key(Who),
    Oracle,
    PayerAnd(Who),
}

/// The fuzzed world and its model.
pub struct Harness {
    pub svm: LiteSVM,
    pub payer: Keypair,
    /// The two authority keys (the protocol's authority is one of them).
    pub authorities: [Keypair; 2],
    pub guardian: Keypair,
    pub attacker: Actor,
    pub oracle: Keypair,
    pub treasury: Actor,
    pub actors: Vec<Actor>,
    pub pools: Vec<PoolKeys>,
    pub exchanges: Vec<ExchangeKeys>,
    pub model: Model,
    /// The fairness oracle: each underwriter's fair value, checked after every step.
    pub fairness: Fairness,
    /// The market each fixed account belongs to (isolation checks).
    owner_market: HashMap<Pubkey, usize>,
    /// Instructions already built, by what determines their accounts (the builders
    /// derive addresses: costlier than the rest of a step's host-side work).
    ix_cache: HashMap<IxKey, Instruction>,
    /// Invariant and lockstep checks performed so far.
    pub checks: u64,
    /// Time spent sending transactions.
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
    /// Loads the binaries from `deploy_dir` and builds the world (see the module docs);
    /// the model starts as a copy of it.
    pub fn new(deploy_dir: &Path, sigverify: bool) -> Result<Self, String> {
        // `new()`: mainnet features (SBPF v3), builtins, sysvars and the SPL programs.
        // No history, so identical transactions in one slot are not duplicates.
        let mut svm = LiteSVM::new()
            .with_sigverify(sigverify)
            .with_transaction_history(0)
            .with_blockhash_check(false);
        for (id, file) in [
            (insurance_pool::ID, "insurance_pool.so"),
            (example_exchange::ID, "example_exchange.so"),
        ] {
            let path = deploy_dir.join(file);
            svm.add_program_from_file(id, &path)
                .map_err(|e| format!("loading {}: {e}", path.display()))?;
        }
        let mut clock = svm.get_sysvar::<Clock>();
        clock.unix_timestamp = START_TIME;
        svm.set_sysvar(&clock);
        let mints: Vec<Pubkey> = (0..MARKETS as usize)
            .map(|i| keypair(6, mint_of(i) as u8).pubkey())
            .collect();
        let exchanges: Vec<ExchangeKeys> = (0..2u8)
            .map(|i| ExchangeKeys::new(i as u64, mints[i as usize], MINTS[i as usize].0))
            .collect();
        let pools: Vec<PoolKeys> = (0..MARKETS as usize)
            .map(|i| {
                let market = match exchanges.get(i) {
                    Some(x) => x.market,
                    None => keypair(4, i as u8).pubkey(),
                };
                PoolKeys::new(market, mints[i], MINTS[i].0)
            })
            .collect();
        let actor = |tag: u8, i: u8| Actor {
            key: keypair(tag, i),
            tokens: Vec::new(),
        };
        let mut h = Harness {
            svm,
            payer: keypair(1, 0),
            authorities: [keypair(2, 0), keypair(2, 1)],
            guardian: keypair(3, 0),
            attacker: actor(9, 0),
            oracle: keypair(10, 0),
            treasury: actor(11, 0),
            actors: (0..ACTORS).map(|i| actor(5, i)).collect(),
            pools,
            exchanges,
            model: empty_model(),
            fairness: Fairness::default(),
            owner_market: HashMap::new(),
            ix_cache: HashMap::new(),
            checks: 0,
            tx_time: Duration::ZERO,
        };
        let signers: Vec<Pubkey> = [&h.payer, &h.authorities[0], &h.authorities[1], &h.guardian]
            .iter()
            .map(|k| k.pubkey())
            .chain([
                h.attacker.key.pubkey(),
                h.oracle.pubkey(),
                h.treasury.key.pubkey(),
            ])
            .chain(h.actors.iter().map(|a| a.key.pubkey()))
            .collect();
        for key in signers {
            h.svm
                .airdrop(&key, LAMPORTS)
                .map_err(|e| format!("airdrop: {:?}", e.err))?;
        }
        h.set_upgrade_authority(h.payer.pubkey());
        let payer = h.payer.pubkey();
        h.setup(
            &[ix::initialize_protocol(
                &payer,
                &payer,
                h.authorities[0].pubkey(),
                h.guardian.pubkey(),
            )],
            &[],
        )?;
        let authority = h.authorities[0].insecure_clone();
        for m in 0..MARKETS as usize {
            if mint_of(m) == m {
                h.create_mint(m)?;
            }
            let keys = h.pools[m];
            h.setup(
                &[ix::create_pool(
                    &payer,
                    &authority.pubkey(),
                    &keys,
                    fuzz_params(),
                )],
                &[&authority],
            )?;
        }
        // Token accounts: every actor, the attacker and the treasury, in every mint.
        let mut wallets: Vec<Pubkey> = h.actors.iter().map(|a| a.key.pubkey()).collect();
        wallets.push(h.attacker.key.pubkey());
        wallets.push(h.treasury.key.pubkey());
        for (w, owner) in wallets.iter().enumerate() {
            let mut tokens = Vec::new();
            for m in 0..MARKETS as usize {
                if mint_of(m) != m {
                    tokens.push(tokens[mint_of(m)]);
                    continue;
                }
                let token = h.create_associated_token_account(owner, m)?;
                if w < wallets.len() - 1 {
                    h.mint_to(m, &token, FUNDING)?;
                }
                tokens.push(token);
            }
            match w {
                w if w < ACTORS as usize => h.actors[w].tokens = tokens,
                w if w == ACTORS as usize => h.attacker.tokens = tokens,
                _ => h.treasury.tokens = tokens,
            }
        }
        // The exchanges, their prices and their registrations.
        let oracle = h.oracle.pubkey();
        let now = START_TIME;
        for x in 0..2 {
            let keys = h.exchanges[x];
            let params = MarketParams {
                maintenance_margin_bps: 500,
                max_leverage: 10,
                max_price_age: 60,
            };
            h.setup(&[xix::create_market(&payer, &keys, params, oracle)], &[])?;
            let o = h.oracle.insecure_clone();
            h.setup(&[xix::set_price(&oracle, &keys, START_PRICE, now)], &[&o])?;
            h.setup(
                &[ix::register_exchange(
                    &payer,
                    &authority.pubkey(),
                    &h.pools[x],
                    keys.authority,
                    &keys.collateral_vault,
                    fuzz_limits(),
                )],
                &[&authority],
            )?;
        }
        // Exchange 0's authority also registered on pool 3 (same mint, another pool):
        // a registration an exchange could try to use on the wrong pool.
        h.setup(
            &[ix::register_exchange(
                &payer,
                &authority.pubkey(),
                &h.pools[3],
                h.exchanges[0].authority,
                &h.exchanges[0].collateral_vault,
                fuzz_limits(),
            )],
            &[&authority],
        )?;
        // Seed capital: four underwriters in every pool; the attacker underwrites, buys
        // cover and posts collateral too, so its substitutions meet real accounts.
        for m in 0..MARKETS as usize {
            let keys = h.pools[m];
            for i in 0..4 {
                let a = h.actors[i].key.insecure_clone();
                let t = h.actors[i].tokens[m];
                h.setup(
                    &[ix::deposit(&a.pubkey(), &keys, &t, FUNDING / 10, 0)],
                    &[&a],
                )?;
            }
            let a = h.attacker.key.insecure_clone();
            let t = h.attacker.tokens[m];
            h.setup(
                &[
                    ix::deposit(&a.pubkey(), &keys, &t, FUNDING / 100, 0),
                    ix::contribute_premium(&a.pubkey(), &keys, &t, None, FUNDING / 1_000, u64::MAX),
                ],
                &[&a],
            )?;
            if m < 2 {
                let x = h.exchanges[m];
                h.setup(
                    &[xix::deposit_collateral(
                        &a.pubkey(),
                        &x,
                        &t,
                        FUNDING / 1_000,
                    )],
                    &[&a],
                )?;
            }
        }
        // Past the registrations' activation delay, with fresh prices.
        h.warp(4 * DAY);
        let now = h.now();
        let o = h.oracle.insecure_clone();
        for x in 0..2 {
            let keys = h.exchanges[x];
            h.setup(&[xix::set_price(&oracle, &keys, START_PRICE, now)], &[&o])?;
        }
        h.index_markets();
        h.model = h.read_model()?;
        h.fairness = Fairness::new(&h.model);
        h.check_invariants()?;
        Ok(h)
    }

    /// An independent copy of this world and its model (shrinking replays candidates
    /// on copies of the world as it was before the first step).
    pub fn fork(&self) -> Harness {
        let copy = |a: &Actor| Actor {
            key: a.key.insecure_clone(),
            tokens: a.tokens.clone(),
        };
        Harness {
            svm: self.svm.clone(),
            payer: self.payer.insecure_clone(),
            authorities: [
                self.authorities[0].insecure_clone(),
                self.authorities[1].insecure_clone(),
            ],
            guardian: self.guardian.insecure_clone(),
            attacker: copy(&self.attacker),
            oracle: self.oracle.insecure_clone(),
            treasury: copy(&self.treasury),
            actors: self.actors.iter().map(copy).collect(),
            pools: self.pools.clone(),
            exchanges: self.exchanges.clone(),
            model: self.model.clone(),
            fairness: self.fairness.clone(),
            owner_market: self.owner_market.clone(),
            ix_cache: HashMap::new(),
            checks: 0,
            tx_time: Duration::ZERO,
        }
    }

    /// Makes `authority` the insurance program's upgrade authority, as a deployment
    /// would: rewrites the header of the ProgramData account LiteSVM created.
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

    fn create_mint(&mut self, m: usize) -> Result<(), String> {
        let mint = keypair(6, m as u8);
        let (program, decimals) = MINTS[m];
        let space = 82;
        let create = solana_system_interface::instruction::create_account(
            &self.payer.pubkey(),
            &mint.pubkey(),
            self.svm.minimum_balance_for_rent_exemption(space),
            space as u64,
            &program,
        );
        let init = spl_token_2022::instruction::initialize_mint2(
            &program,
            &mint.pubkey(),
            &self.payer.pubkey(),
            None,
            decimals,
        )
        .map_err(|e| e.to_string())?;
        self.setup(&[create, init], &[&mint])
    }

    fn mint_to(&mut self, m: usize, token: &Pubkey, amount: u64) -> Result<(), String> {
        let ix = spl_token_2022::instruction::mint_to(
            &MINTS[m].0,
            &self.pools[m].mint,
            token,
            &self.payer.pubkey(),
            &[],
            amount,
        )
        .map_err(|e| e.to_string())?;
        self.setup(&[ix], &[])
    }

    fn create_associated_token_account(
        &mut self,
        owner: &Pubkey,
        m: usize,
    ) -> Result<Pubkey, String> {
        let (mint, token_program) = (self.pools[m].mint, self.pools[m].token_program);
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

    /// Which market owns each of its fixed accounts and its participants' program
    /// accounts (for the isolation check; wallets belong to no market).
    fn index_markets(&mut self) {
        for m in 0..MARKETS as usize {
            let k = self.pools[m];
            for key in [k.pool, k.vault, k.bond_vault, k.exposure] {
                self.owner_market.insert(key, m);
            }
            let mut owners: Vec<Pubkey> = self.actors.iter().map(|a| a.key.pubkey()).collect();
            owners.push(self.attacker.key.pubkey());
            for owner in &owners {
                self.owner_market
                    .insert(pdas::underwriter(&k.pool, owner).0, m);
                self.owner_market.insert(pdas::member(&k.pool, owner).0, m);
            }
            for x in &self.exchanges {
                self.owner_market
                    .insert(pdas::exchange(&k.pool, &x.authority).0, m);
            }
            if let Some(x) = self.exchanges.get(m) {
                for key in [x.market, x.collateral_vault, x.price_feed] {
                    self.owner_market.insert(key, m);
                }
                for owner in &owners {
                    self.owner_market
                        .insert(pdas::position(&x.market, owner).0, m);
                }
            }
        }
    }

    /// The model as a copy of the world after setup.
    fn read_model(&self) -> Result<Model, String> {
        let mut model = empty_model();
        model.protocol = self
            .fetch(&insurance_pool::pda::protocol().0)
            .ok_or("protocol")?;
        for m in 0..MARKETS as usize {
            let keys = self.pools[m];
            let pool: Pool = self.fetch(&keys.pool).ok_or("pool")?;
            let exposure = self.exposure(&keys.exposure).ok_or("exposure")?;
            model.pools.push(MPool {
                keys,
                pool,
                exposure,
            });
            model.claim_lists.push(Vec::new());
            model.open_claims.push(Vec::new());
            let mut owners: Vec<Pubkey> = self.actors.iter().map(|a| a.key.pubkey()).collect();
            owners.push(self.attacker.key.pubkey());
            for owner in owners {
                let u = pdas::underwriter(&keys.pool, &owner).0;
                if let Some(v) = self.fetch::<Underwriter>(&u) {
                    model.underwriters.insert(u, v);
                }
                let mb = pdas::member(&keys.pool, &owner).0;
                if let Some(v) = self.fetch::<Member>(&mb) {
                    model.members.insert(mb, v);
                }
                if m < 2 {
                    let x = self.exchanges[m];
                    let p = pdas::position(&x.market, &owner).0;
                    if let Some(v) = self.fetch::<Position>(&p) {
                        model.positions.insert(p, v);
                    }
                }
            }
            for t in [keys.vault, keys.bond_vault] {
                model.tokens.insert(t, self.balance(&t));
            }
            for a in self.actors.iter().chain([&self.attacker, &self.treasury]) {
                model.tokens.insert(a.tokens[m], self.balance(&a.tokens[m]));
            }
        }
        let second = pdas::exchange(&self.pools[3].pool, &self.exchanges[0].authority).0;
        model
            .registrations
            .insert(second, self.fetch(&second).ok_or("registration on pool 3")?);
        for (x, keys) in self.exchanges.iter().enumerate() {
            let registration = pdas::exchange(&keys.pool.pool, &keys.authority).0;
            model.registrations.insert(
                registration,
                self.fetch(&registration).ok_or("registration")?,
            );
            model
                .tokens
                .insert(keys.collateral_vault, self.balance(&keys.collateral_vault));
            model.exchanges.push(MExchange {
                keys: *keys,
                pool: x,
                market: self.fetch(&keys.market).ok_or("market")?,
                feed: self.fetch(&keys.price_feed).ok_or("price feed")?,
                registration,
            });
        }
        model.commit();
        Ok(model)
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

    fn exposure(&self, key: &Pubkey) -> Option<PoolExposure> {
        let account = self.svm.get_account(key)?;
        let size = std::mem::size_of::<PoolExposure>();
        Some(*bytemuck::from_bytes::<PoolExposure>(
            account.data.get(8..8 + size)?,
        ))
    }

    pub fn now(&self) -> i64 {
        self.svm.get_sysvar::<Clock>().unix_timestamp
    }

    fn warp(&mut self, seconds: i64) {
        let mut clock = self.svm.get_sysvar::<Clock>();
        clock.slot += 1;
        clock.unix_timestamp += seconds;
        self.svm.set_sysvar(&clock);
    }

    fn who(&self, who: Who) -> &Keypair {
        let current = self.model.protocol.authority;
        let (a, b) = (&self.authorities[0], &self.authorities[1]);
        let (this, other) = if a.pubkey() == current {
            (a, b)
        } else {
            (b, a)
        };
        match who {
            Who::Authority => this,
            Who::OtherAuthority => other,
            Who::Guardian => &self.guardian,
            Who::Attacker => &self.attacker.key,
        }
    }

    fn signer_key(&self, s: Signer_) -> &Keypair {
        match s {
            Signer_::Actor(a) => &self.actors[a as usize].key,
            Signer_::Attacker => &self.attacker.key,
            Signer_::Payer | Signer_::PayerAnd(_) => &self.payer,
            Signer_::Key(w) => self.who(w),
            Signer_::Oracle => &self.oracle,
        }
    }

    fn actor_of(&self, key: &Pubkey) -> Option<usize> {
        self.actors.iter().position(|a| a.key.pubkey() == *key)
    }

    /// The actor an [`ActorRef`] names in market (or exchange) `m` now.
    fn pick(&self, actor: ActorRef, need: Need, m: usize) -> u8 {
        let n = match actor {
            ActorRef::I(i) => return i,
            ActorRef::Nth(n) => n as usize,
        };
        let now = self.now();
        let pool = self.pools[m].pool;
        let eligible: Vec<u8> = (0..ACTORS)
            .filter(|a| {
                let key = self.actors[*a as usize].key.pubkey();
                let u = || {
                    self.model
                        .underwriters
                        .get(&pdas::underwriter(&pool, &key).0)
                };
                let position = || {
                    self.exchanges
                        .get(m)
                        .and_then(|x| self.model.positions.get(&pdas::position(&x.market, &key).0))
                };
                match need {
                    Need::FreeShares => u().is_some_and(|u| u.free_shares() > 0),
                    Need::Pending => u().is_some_and(|u| u.pending_shares.get() > 0),
                    Need::Shares => u().is_some_and(|u| u.shares.get() > 0),
                    Need::Covered => self
                        .model
                        .members
                        .get(&pdas::member(&pool, &key).0)
                        .is_some_and(|mb| mb.is_covered(now)),
                    Need::Collateral => position().is_some_and(|p| p.collateral > 0 && p.size == 0),
                    Need::Open => position().is_some_and(|p| p.size != 0),
                    Need::Flat => position().is_none_or(|p| p.size == 0),
                    Need::Any => true,
                }
            })
            .collect();
        if eligible.is_empty() {
            (n % ACTORS as usize) as u8
        } else {
            eligible[n % eligible.len()]
        }
    }

    /// The claim a [`ClaimRef`] names in market `m` now (`want`: what the step needs).
    fn claim_ref(
        &self,
        m: usize,
        r: ClaimRef,
        want: fn(&Claim) -> bool,
    ) -> Option<(Pubkey, Claim)> {
        let list = &self.model.claim_lists[m];
        if list.is_empty() {
            return None;
        }
        let back = match r {
            ClaimRef::Back(k) => k as usize,
            ClaimRef::Nth(n) => {
                // Among the open claims (few) and the most recent closed ones: the
                // search stays cheap however many claims a long run files.
                let fit: Vec<&Pubkey> = self.model.open_claims[m]
                    .iter()
                    .rev()
                    .chain(list.iter().rev().take(256))
                    .filter(|k| self.model.claims.get(k).is_some_and(want))
                    .collect();
                if let Some(key) = fit.get(n as usize % fit.len().max(1)) {
                    return Some((**key, *self.model.claims.get(key)?));
                }
                n as usize
            }
        };
        let key = list[list.len() - 1 - back.min(list.len() - 1)];
        Some((key, *self.model.claims.get(&key)?))
    }

    fn token_of(&self, owner: &Pubkey, m: usize) -> Pubkey {
        if *owner == self.attacker.key.pubkey() {
            return self.attacker.tokens[m];
        }
        match self.actor_of(owner) {
            Some(a) => self.actors[a].tokens[m],
            None => insurance_pool::pda::associated_token(
                owner,
                &self.pools[m].mint,
                &self.pools[m].token_program,
            ),
        }
    }

    fn amount(&self, amount: Amount, m: usize, wallet: &Pubkey, member: Option<&Pubkey>) -> u64 {
        let pool = &self.model.pools[m].pool;
        let off = |base: u64, d: i64| base.saturating_add_signed(d);
        match amount {
            Amount::Exact(n) => n,
            Amount::Wallet => self.model.balance(wallet),
            Amount::WalletPlus(k) => self.model.balance(wallet).saturating_add(k),
            Amount::CapRoom(d) => off(pool.params.deposit_cap.saturating_sub(pool.capital), d),
            Amount::Claimable(d) => {
                let now = self.now();
                let c = member
                    .and_then(|k| self.model.members.get(k))
                    .map_or(0, |mb| mb.claimable(now));
                off(c, d)
            }
            Amount::ClaimableDiv(n) => {
                let now = self.now();
                member
                    .and_then(|k| self.model.members.get(k))
                    .map_or(0, |mb| mb.claimable(now))
                    / n.max(1) as u64
            }
            Amount::ClaimCap(d) => {
                let cap = (pool.free_capital() as u128
                    * pool.params.governance.max_claim_bps as u128
                    / 10_000) as u64;
                off(cap, d)
            }
            Amount::ExposureRoom(d) => {
                let p = &self.model.pools[m];
                let cap = (p.pool.free_capital() as u128 * p.pool.params.max_exposure_bps as u128
                    / 10_000) as u64;
                off(cap.saturating_sub(p.exposure.book.active_at(self.now())), d)
            }
        }
    }

    fn treasury_for(&self, m: usize, with: bool) -> Option<(Pubkey, Pubkey)> {
        with.then(|| (self.treasury.tokens[m], self.treasury.key.pubkey()))
    }

    /// Runs `op` on the model and the program, then checks the lockstep agreement, the
    /// isolation of the other markets and every invariant. `Err` is a broken rule.
    pub fn step(&mut self, op: &Op) -> Result<Outcome, String> {
        if let Op::Warp { seconds } = *op {
            // The clock changes no account: the invariants (of account state) stand.
            self.warp(seconds);
            return Ok(Outcome::Warped);
        }
        let now = self.now();
        let snapshot = self.model.snapshot();
        let plan = match self.plan(op, now) {
            Ok(Some(plan)) => plan,
            Ok(None) => {
                self.model.rollback(snapshot);
                return Ok(Outcome::Skipped);
            }
            Err(e) => return Err(e),
        };
        let Plan {
            pre,
            ix,
            signer,
            market,
            expected,
            after,
            return_data,
            attack,
        } = plan;
        // Isolation: the writable accounts of other markets, before.
        let ixs: Vec<Instruction> = pre.into_iter().chain([ix]).collect();
        let writable: Vec<Pubkey> = ixs
            .iter()
            .flat_map(|i| i.accounts.iter())
            .filter(|a| a.is_writable)
            .map(|a| a.pubkey)
            .collect();
        let foreign: Vec<(Pubkey, Option<Vec<u8>>)> = writable
            .iter()
            .filter(|k| market.is_some_and(|m| self.market_of(k).is_some_and(|o| o != m)))
            .map(|k| (*k, self.svm.get_account(k).map(|a| a.data)))
            .collect();

        let payer = self.signer_key(signer).pubkey();
        let mut tx = Transaction::new_with_payer(&ixs, Some(&payer));
        let started = Instant::now();
        let blockhash = self.svm.latest_blockhash();
        if self.svm.get_sigverify() {
            let mut keys: Vec<&Keypair> = vec![self.signer_key(signer)];
            if let Signer_::PayerAnd(w) = signer {
                keys.push(self.who(w));
            }
            if ixs.len() > 1 {
                keys.push(&self.oracle);
            }
            tx.sign(&keys, blockhash);
        } else {
            // Unverified: placeholder signatures; the program sees the same signer flags.
            tx.message.recent_blockhash = blockhash;
        }
        let result = self.svm.send_transaction(tx);
        self.tx_time += started.elapsed();

        let outcome = match (&result, &expected) {
            (Ok(meta), Ok(())) => {
                if let Some(want) = &return_data {
                    if meta.return_data.data != *want {
                        return Err(format!(
                            "return data {:?}, the model says {:?}",
                            meta.return_data.data, want
                        ));
                    }
                }
                self.model.commit();
                Outcome::Ok {
                    cu: meta.compute_units_consumed,
                }
            }
            (Err(FailedTransactionMetadata { err, meta }), Err(want)) => {
                self.model.rollback(snapshot);
                let (reason, named) = refusal(err, &meta.logs);
                if !named {
                    return Err(format!(
                        "refused with an unnamed error: {reason}; logs: {:#?}",
                        meta.logs
                    ));
                }
                // An attacker's substitution must be refused; which check catches it
                // first is not the model's business.
                if !attack && reason != *want {
                    return Err(format!(
                        "refused with {reason}, the model says {want}; logs: {:#?}",
                        meta.logs
                    ));
                }
                Outcome::Refused {
                    reason,
                    cu: meta.compute_units_consumed,
                }
            }
            (Ok(TransactionMetadata { logs, .. }), Err(want)) => {
                return Err(format!(
                    "the program accepted what the model refuses with {want}; logs: {logs:#?}"
                ));
            }
            (Err(FailedTransactionMetadata { err, meta }), Ok(())) if attack => {
                // The substitution is what the program refused.
                self.model.rollback(snapshot);
                let (reason, named) = refusal(err, &meta.logs);
                if !named {
                    return Err(format!(
                        "refused with an unnamed error: {reason}; logs: {:#?}",
                        meta.logs
                    ));
                }
                Outcome::Refused {
                    reason,
                    cu: meta.compute_units_consumed,
                }
            }
            (Err(FailedTransactionMetadata { err, meta }), Ok(())) => {
                let (reason, _) = refusal(err, &meta.logs);
                return Err(format!(
                    "the program refused ({reason}) what the model accepts; logs: {:#?}",
                    meta.logs
                ));
            }
        };
        // Lockstep: every account the transaction could write equals the model's.
        for key in &writable {
            self.compare(key)?;
        }
        for (key, before) in &foreign {
            if self.svm.get_account(key).map(|a| a.data) != *before {
                return Err(format!(
                    "isolation: a step on market {market:?} changed {key} of market {:?}",
                    self.market_of(key)
                ));
            }
        }
        if let (Outcome::Ok { .. }, Some(after)) = (&outcome, after) {
            self.check_bounds(after)?;
        }
        self.check_invariants_of(market)?;
        if let Outcome::Ok { .. } = outcome {
            // Fairness, on every pool (a few map reads each).
            for m in 0..self.pools.len() {
                self.fairness.observe(m, &self.model)?;
                self.checks += 1;
            }
        }
        Ok(outcome)
    }

    fn market_of(&self, key: &Pubkey) -> Option<usize> {
        if let Some(m) = self.owner_market.get(key) {
            return Some(*m);
        }
        let pool = self.model.claims.get(key).map(|c| c.pool).or_else(|| {
            self.model
                .votes
                .get(key)
                .and_then(|v| self.model.claims.get(&v.claim))
                .map(|c| c.pool)
        })?;
        self.pools.iter().position(|k| k.pool == pool)
    }

    /// Compares one account of the world with the model's copy.
    fn compare(&mut self, key: &Pubkey) -> Result<(), String> {
        self.checks += 1;
        let account = self.svm.get_account(key);
        let data = account.as_ref().map(|a| a.data.as_slice()).unwrap_or(&[]);
        let exists = account.as_ref().is_some_and(|a| a.lamports > 0);
        let model = &self.model;
        if let Some(balance) = model.tokens.get(key) {
            let actual = if exists { token_amount(data) } else { 0 };
            if actual != *balance {
                return Err(format!(
                    "token account {key}: holds {actual}, the model says {balance}"
                ));
            }
            return Ok(());
        }
        if *key == insurance_pool::constants::PROTOCOL_ADDRESS {
            return same_pod(key, data, &model.protocol);
        }
        for p in &model.pools {
            if *key == p.keys.pool {
                return same_pod(key, data, &p.pool);
            }
            if *key == p.keys.exposure {
                let size = std::mem::size_of::<PoolExposure>();
                let chain = data.get(8..8 + size).ok_or("exposure too small")?;
                if chain != bytemuck::bytes_of(&p.exposure) {
                    let actual: &PoolExposure = bytemuck::from_bytes(chain);
                    return Err(diff(key, actual, &p.exposure));
                }
                return Ok(());
            }
        }
        for x in &model.exchanges {
            if *key == x.keys.market {
                return same(key, data, &x.market);
            }
            if *key == x.keys.price_feed {
                return same(key, data, &x.feed);
            }
        }
        macro_rules! typed {
            ($map:expr, $same:ident) => {
                if let Some(v) = $map.get(key) {
                    if !exists {
                        return Err(format!("{key} does not exist; the model has {v:#?}"));
                    }
                    return $same(key, data, v);
                }
            };
        }
        // Zero-copy accounts compare as raw bytes, Borsh ones as their encoding.
        typed!(model.underwriters, same_pod);
        typed!(model.members, same_pod);
        typed!(model.claims, same_pod);
        typed!(model.votes, same);
        typed!(model.registrations, same_pod);
        typed!(model.positions, same);
        let owner = account.as_ref().map(|a| a.owner);
        if exists && (owner == Some(insurance_pool::ID) || owner == Some(example_exchange::ID)) {
            return Err(format!(
                "{key} exists (owner {owner:?}), unknown to the model"
            ));
        }
        Ok(())
    }

    /// The chain-state invariants of every pool and exchange.
    pub fn check_invariants(&mut self) -> Result<(), String> {
        self.check_invariants_of(None)
    }

    /// [`Harness::check_invariants`] of market `only` (all when `None`): a step's
    /// other markets are proven unchanged by the isolation check.
    fn check_invariants_of(&mut self, only: Option<usize>) -> Result<(), String> {
        self.checks += 1;
        for (m, keys) in self.pools.iter().enumerate() {
            if only.is_some_and(|o| o != m) {
                continue;
            }
            let pool: Pool = self.fetch(&keys.pool).ok_or("pool decodes")?;
            let vault = self.balance(&keys.vault);
            if vault as u128 != pool.capital as u128 + pool.unearned_premiums as u128 {
                return Err(format!(
                    "market {m} conservation: vault {vault} != capital {} + unearned {}",
                    pool.capital, pool.unearned_premiums
                ));
            }
            let book = self.exposure(&keys.exposure).ok_or("exposure decodes")?;
            let buckets: u128 = book.earnings.buckets.iter().map(|b| *b as u128).sum();
            if book.earnings.total != pool.unearned_premiums
                || buckets != book.earnings.total as u128
            {
                return Err(format!(
                    "market {m}: unearned premiums {}, earning book total {} (buckets {buckets})",
                    pool.unearned_premiums, book.earnings.total
                ));
            }
            let bonds = self.balance(&keys.bond_vault);
            if bonds != pool.bonds_held {
                return Err(format!(
                    "market {m}: bond escrow {bonds} != bonds_held {}",
                    pool.bonds_held
                ));
            }
            if pool.capital < pool.reserved_for_claims {
                return Err(format!(
                    "market {m}: capital {} below reserved_for_claims {}",
                    pool.capital, pool.reserved_for_claims
                ));
            }
            let (mut shares, mut pending, mut leaving) = (0u128, 0u128, 0u128);
            for (_, u) in self
                .model
                .underwriters
                .iter()
                .filter(|(_, u)| u.pool == keys.pool)
            {
                if u.pending_shares.get() > u.shares.get() {
                    return Err(format!(
                        "underwriter {} has {} pending of {}",
                        u.owner,
                        u.pending_shares.get(),
                        u.shares.get()
                    ));
                }
                shares += u.shares.get();
                pending += u.pending_shares.get();
                if u.expired == 0 {
                    leaving += u.pending_shares.get();
                }
            }
            if leaving != pool.leaving_shares.get() {
                return Err(format!(
                    "market {m}: requests not expired hold {leaving} shares, the pool counts {} leaving",
                    pool.leaving_shares.get()
                ));
            }
            let (total, total_pending) = (
                pool.total_shares.get(),
                pool.pending_withdrawal_shares.get(),
            );
            if shares != total || pending != total_pending {
                return Err(format!(
                    "market {m}: positions hold {shares} shares ({pending} pending), the pool {total} ({total_pending})"
                ));
            }
            let (mut reserved, mut voting) = (0u64, 0u64);
            for key in &self.model.open_claims[m] {
                let c = self.model.claims.get(key).ok_or("open claim")?;
                // A cancelled claim stays listed while exits still wait for it.
                let held = c.status == ClaimStatus::Cancelled && c.held != 0;
                if !c.is_open() && !held {
                    return Err(format!("claim {key} listed open is {:?}", c.status));
                }
                if c.status == ClaimStatus::Approved {
                    reserved += c.reserved;
                }
                if c.status == ClaimStatus::Voting || held {
                    voting += c.amount;
                }
            }
            if voting != pool.voting_claims {
                return Err(format!(
                    "market {m}: claims voting or held add up to {voting}, the pool says {}",
                    pool.voting_claims
                ));
            }
            if reserved != pool.reserved_for_claims {
                return Err(format!(
                    "market {m}: approved claims reserve {reserved}, the pool {}",
                    pool.reserved_for_claims
                ));
            }
        }
        for (x, keys) in self.exchanges.iter().enumerate() {
            if only.is_some_and(|o| o != x) {
                continue;
            }
            let market: Market = self.fetch(&keys.market).ok_or("market decodes")?;
            let vault = self.balance(&keys.collateral_vault);
            if Some(vault) != market.liabilities() {
                return Err(format!(
                    "exchange {x}: collateral vault {vault} != collateral {} + house {}",
                    market.total_collateral, market.house_balance
                ));
            }
        }
        Ok(())
    }

    /// The per-step bounds of a successful value-moving step.
    fn check_bounds(&mut self, after: After) -> Result<(), String> {
        self.checks += 1;
        match after {
            After::Voted { claim } => {
                let c = self.model.claims.get(&claim).ok_or("voted claim")?;
                if c.yes_weight.get() + c.no_weight.get() > c.eligible_weight.get() {
                    return Err(format!(
                        "claim {claim}: {} yes + {} no of {} eligible",
                        c.yes_weight.get(),
                        c.no_weight.get(),
                        c.eligible_weight.get()
                    ));
                }
            }
            After::Deposited { m, shares, amount } => {
                let pool = &self.model.pools[m].pool;
                let value = pool
                    .value_on_free_capital(shares)
                    .map_err(crate::model::an)?;
                if value > amount {
                    return Err(format!("a deposit of {amount} is worth {value} at once"));
                }
            }
            After::Exit {
                paid,
                at_request,
                pro_rata,
            } => {
                // The value at request is statistics (the shares were full holders
                // until now): only the pro-rata share bounds the exit.
                let _ = at_request;
                if paid > pro_rata {
                    return Err(format!(
                        "an exit paid {paid}: more than its pro-rata share {pro_rata}"
                    ));
                }
            }
            After::Payout { claim, member } => {
                let c = self.model.claims.get(&claim).ok_or("paid claim")?;
                let paid_term = self
                    .model
                    .paid_in_term
                    .get(&(member, c.cover_expiry))
                    .copied()
                    .unwrap_or(0);
                let mb = self.model.members.get(&member).ok_or("member")?;
                if c.paid > c.reserved || c.reserved > c.amount {
                    return Err(format!(
                        "claim {claim} paid {} of {} reserved, amount {}",
                        c.paid, c.reserved, c.amount
                    ));
                }
                if mb.coverage_expiry == c.cover_expiry && paid_term > mb.covered_amount {
                    return Err(format!(
                        "member {member} paid {paid_term} in a term covering {}",
                        mb.covered_amount
                    ));
                }
            }
            After::Filed { member, now } => {
                let mb = self.model.members.get(&member).ok_or("member")?;
                let matured = mb.matured_amount
                    + if now >= mb.matures_at {
                        mb.maturing_amount
                    } else {
                        0
                    };
                if mb.claimed_amount > matured {
                    return Err(format!(
                        "member {member} claims {} with {} matured",
                        mb.claimed_amount, matured
                    ));
                }
            }
            After::Shortfall { amount, seen } => {
                if let Some(s) = seen {
                    let bound = amount.min(s.per_event).min(s.epoch_room).min(s.available);
                    if s.covered > bound {
                        return Err(format!(
                            "a shortfall of {amount} was covered {} (bound {bound})",
                            s.covered
                        ));
                    }
                }
            }
            After::Premium(c) => {
                if c.exposure_after as u128 * 10_000
                    > c.staying_capital as u128 * c.max_exposure_bps as u128
                {
                    return Err(format!(
                        "cover sold to exposure {} above the cap on the capital that stays {}",
                        c.exposure_after, c.staying_capital
                    ));
                }
                // The buyer's fair price (fairness, issue 31): exactly the curve at the
                // utilisation the purchase creates on the capital that stays; below it
                // the underwriters are underpaid, above it the buyer is overcharged.
                let util = utilisation_bps(c.exposure_after, c.staying_capital);
                let fair = curve_rate(&c.curve, util);
                if c.charged.quote.rate_bps != fair {
                    return Err(format!(
                        "fairness: charged {} bps where the fair price is the curve's {fair} \
                         at utilisation {util}",
                        c.charged.quote.rate_bps
                    ));
                }
            }
            After::Volume {
                notional,
                fee,
                rate,
            } => {
                let want = volume_fee(notional, rate).map_err(crate::model::an)?;
                if fee != want {
                    return Err(format!(
                        "a volume fee of {fee} on {notional} at {rate} bps (want {want})"
                    ));
                }
            }
        }
        Ok(())
    }
}

fn voting(c: &Claim) -> bool {
    c.status == ClaimStatus::Voting
}

fn approved(c: &Claim) -> bool {
    c.status == ClaimStatus::Approved
}

fn bond_held(c: &Claim) -> bool {
    !c.is_open() && c.bond_settled == 0
}

/// What determines an instruction's accounts: (kind, and up to three keys and a number).
type IxKey = (u8, Pubkey, Pubkey, Pubkey, u64);

/// The instruction `build` makes for `key` (built once), with `data` as its data.
fn memo(
    cache: &mut HashMap<IxKey, Instruction>,
    key: IxKey,
    data: Vec<u8>,
    build: impl FnOnce() -> Instruction,
) -> Instruction {
    if cache.len() > 50_000 {
        cache.clear();
    }
    let mut ix = cache.entry(key).or_insert_with(build).clone();
    ix.data = data;
    ix
}

/// What makes an actor the subject of a step (see [`ActorRef::Nth`]).
#[derive(Clone, Copy, Debug)]
enum Need {
    FreeShares,
    Pending,
    Shares,
    Covered,
    Collateral,
    Open,
    /// No open position (collateral added to an open one only lowers its leverage;
    /// the example exchange has no way to close a position but liquidation).
    Flat,
    Any,
}

/// What a step's bounds check needs.
#[derive(Clone, Copy, Debug)]
enum After {
    /// A claim's tallies never exceed the weight eligible when it was filed.
    Voted {
        claim: Pubkey,
    },
    /// A deposit's shares, valued right after it, are worth at most what it paid: no
    /// premium paid before it is shared with capital that was not at risk for it.
    Deposited {
        m: usize,
        shares: u128,
        amount: u64,
    },
    Exit {
        paid: u64,
        at_request: u64,
        pro_rata: u64,
    },
    Payout {
        claim: Pubkey,
        member: Pubkey,
    },
    Filed {
        member: Pubkey,
        now: i64,
    },
    Shortfall {
        amount: u64,
        seen: Option<ShortfallSeen>,
    },
    Premium(PremiumSeen),
    Volume {
        notional: u64,
        fee: u64,
        rate: u64,
    },
}

#[derive(Clone, Copy, Debug)]
struct PremiumSeen {
    max_exposure_bps: u64,
    charged: crate::model::Charged,
    exposure_after: u64,
    /// Free capital less the pending withdrawals' value (what cover is priced on).
    staying_capital: u64,
    curve: insurance_pool::math::Curve,
}

/// A resolved step: the instruction, who signs, and what the model expects.
struct Plan {
    /// An oracle update sent first in the same transaction (signed by the oracle).
    pre: Option<Instruction>,
    ix: Instruction,
    signer: Signer_,
    market: Option<usize>,
    expected: Result<(), Refusal>,
    after: Option<After>,
    return_data: Option<Vec<u8>>,
    attack: bool,
}

impl Harness {
    /// Resolves `op`, applies it to the model and builds its instruction.
    fn plan(&mut self, op: &Op, now: i64) -> Result<Option<Plan>, String> {
        use anchor_lang::InstructionData;
        use example_exchange::instruction as xargs;
        use insurance_pool::instruction as args;
        let mut return_data = None;
        let mut after = None;
        let mut market = None;
        let mut pre = None;
        let (ix, signer, expected): (Instruction, Signer_, Result<(), Refusal>) = match *op {
            Op::Warp { .. } => unreachable!("handled by step"),
            Op::Deposit {
                m,
                actor,
                amount,
                min_shares,
            } => {
                let m = m as usize;
                market = Some(m);
                let a = &self.actors[actor as usize];
                let (owner, token) = (a.key.pubkey(), a.tokens[m]);
                let amount = self.amount(amount, m, &token, None);
                let min_shares = match min_shares {
                    Edge::Zero => 0,
                    edge => {
                        let p = &self.model.pools[m];
                        let quoted = crate::rules::projected(
                            &p.pool,
                            &self.model.protocol,
                            &p.exposure.earnings,
                            now,
                        )
                        .and_then(|pool| crate::rules::shares_for(&pool, amount))
                        .unwrap_or(0);
                        if edge == Edge::At {
                            quoted
                        } else {
                            quoted.saturating_add(1)
                        }
                    }
                };
                let r = self
                    .model
                    .deposit(m, &owner, &token, amount, min_shares, now);
                if let Ok(shares) = r {
                    after = Some(After::Deposited { m, shares, amount });
                }
                let r = r.map(|_| ());
                (
                    {
                        let pk = self.pools[m];
                        memo(
                            &mut self.ix_cache,
                            (1, pk.pool, owner, token, 0),
                            args::Deposit { amount, min_shares }.data(),
                            || ix::deposit(&owner, &pk, &token, 0, 0),
                        )
                    },
                    Signer_::Actor(actor),
                    r,
                )
            }
            Op::RequestWithdrawal { m, actor, shares } => {
                let m = m as usize;
                let actor = self.pick(actor, Need::FreeShares, m);
                market = Some(m);
                let owner = self.actors[actor as usize].key.pubkey();
                let u = self
                    .model
                    .underwriters
                    .get(&pdas::underwriter(&self.pools[m].pool, &owner).0);
                let free = u.map_or(1, |u| u.free_shares());
                let shares = match shares {
                    Shares::AllFree => free,
                    Shares::AllFreePlus1 => free.saturating_add(1),
                    Shares::Fraction(n) => (free / n.max(1) as u128).max(1),
                    Shares::Exact(n) => n,
                };
                let r = self.model.request_withdrawal(m, &owner, shares, now);
                (
                    {
                        let pk = self.pools[m];
                        memo(
                            &mut self.ix_cache,
                            (3, pk.pool, owner, Pubkey::default(), 0),
                            args::RequestWithdrawal { shares }.data(),
                            || ix::request_withdrawal(&owner, &pk, 0),
                        )
                    },
                    Signer_::Actor(actor),
                    r,
                )
            }
            Op::CancelWithdrawal { m, actor } => {
                let m = m as usize;
                let actor = self.pick(actor, Need::Pending, m);
                market = Some(m);
                let owner = self.actors[actor as usize].key.pubkey();
                let r = self.model.cancel_withdrawal(m, &owner, now);
                (
                    {
                        let pk = self.pools[m];
                        memo(
                            &mut self.ix_cache,
                            (4, pk.pool, owner, Pubkey::default(), 0),
                            args::CancelWithdrawal {}.data(),
                            || ix::cancel_withdrawal(&owner, &pk),
                        )
                    },
                    Signer_::Actor(actor),
                    r,
                )
            }
            Op::ExpireWithdrawal { m, actor } => {
                let m = m as usize;
                let actor = self.pick(actor, Need::Pending, m);
                market = Some(m);
                let owner = self.actors[actor as usize].key.pubkey();
                let r = self.model.expire_withdrawal(m, &owner, now);
                (
                    {
                        let pk = self.pools[m];
                        memo(
                            &mut self.ix_cache,
                            (16, pk.pool, owner, Pubkey::default(), 0),
                            args::ExpireWithdrawal {}.data(),
                            || ix::expire_withdrawal(&owner, &pk),
                        )
                    },
                    Signer_::Payer,
                    r,
                )
            }
            Op::CompleteWithdrawal { m, actor } => {
                let m = m as usize;
                let actor = self.pick(actor, Need::Pending, m);
                market = Some(m);
                let a = &self.actors[actor as usize];
                let (owner, token) = (a.key.pubkey(), a.tokens[m]);
                // The exit bound from the raw state before the step: the position's
                // pro-rata share of capital (with the premium earned by now) net of
                // approved reservations and of the claims still voting.
                let p = &self.model.pools[m];
                let pending = self
                    .model
                    .underwriters
                    .get(&pdas::underwriter(&p.keys.pool, &owner).0)
                    .map_or(0, |u| u.pending_shares.get());
                let earned = p
                    .exposure
                    .earnings
                    .clone()
                    .release(now)
                    .min(p.pool.unearned_premiums);
                let exit_capital = (p.pool.capital + earned)
                    .saturating_sub(p.pool.reserved_for_claims)
                    .saturating_sub(p.pool.voting_claims);
                let pro_rata = insurance_pool::math::value_of_shares(
                    pending,
                    exit_capital,
                    p.pool.total_shares.get(),
                )
                .unwrap_or(u64::MAX);
                let r = self.model.complete_withdrawal(m, &owner, &token, now);
                if let Ok((paid, at_request, _)) = r {
                    after = Some(After::Exit {
                        paid,
                        at_request,
                        pro_rata,
                    });
                }
                (
                    {
                        let pk = self.pools[m];
                        memo(
                            &mut self.ix_cache,
                            (15, pk.pool, owner, token, 0),
                            args::CompleteWithdrawal {}.data(),
                            || ix::complete_withdrawal(&owner, &pk, &token),
                        )
                    },
                    Signer_::Actor(actor),
                    r.map(|_| ()),
                )
            }
            Op::QuotePremium { m, actor, notional } => {
                let m = m as usize;
                market = Some(m);
                let a = &self.actors[actor as usize];
                let owner = a.key.pubkey();
                let notional = self.amount(notional, m, &a.tokens[m], None);
                let r = self.model.quote_premium(m, &owner, notional, now);
                if let Ok(q) = &r {
                    let mut bytes = Vec::new();
                    q.serialize(&mut bytes).map_err(|e| e.to_string())?;
                    return_data = Some(bytes);
                }
                let member = pdas::member(&self.pools[m].pool, &owner).0;
                let member = self.model.members.contains_key(&member).then_some(member);
                (
                    ix::quote_premium(&self.pools[m], member, notional),
                    Signer_::Actor(actor),
                    r.map(|_| ()),
                )
            }
            Op::QuoteVolume { x, volume } => {
                let x = x as usize;
                market = Some(x);
                let volume = self.amount(volume, x, &self.exchanges[x].collateral_vault, None);
                let r = self.model.quote_volume(x, volume, now);
                if let Ok(q) = &r {
                    let mut bytes = Vec::new();
                    q.serialize(&mut bytes).map_err(|e| e.to_string())?;
                    return_data = Some(bytes);
                }
                (
                    ix::quote_volume(&self.pools[x], volume),
                    Signer_::Payer,
                    r.map(|_| ()),
                )
            }
            Op::ContributePremium {
                m,
                actor,
                notional,
                max_premium,
                treasury,
                min_expiry,
            } => {
                let m = m as usize;
                market = Some(m);
                let a = &self.actors[actor as usize];
                let (owner, token) = (a.key.pubkey(), a.tokens[m]);
                let notional = self.amount(notional, m, &token, None);
                let max = match max_premium {
                    Bound::Any => u64::MAX,
                    b => match self.model.quote_premium(m, &owner, notional, now) {
                        Ok(q) if b == Bound::Quote => q.premium,
                        Ok(q) => q.premium.saturating_sub(1),
                        Err(_) => u64::MAX,
                    },
                };
                let t = self.treasury_for(m, treasury);
                let min_expiry = match min_expiry {
                    Edge::Zero => 0,
                    edge => {
                        let expiry = self
                            .model
                            .quote_premium(m, &owner, notional, now)
                            .map_or(0, |q| q.coverage_expiry);
                        if edge == Edge::At {
                            expiry
                        } else {
                            expiry + 1
                        }
                    }
                };
                let r = self.model.contribute_premium(
                    m,
                    &owner,
                    &token,
                    t.as_ref().map(|(a, b)| (a, b)),
                    notional,
                    max,
                    min_expiry,
                    now,
                );
                if let Ok(c) = r {
                    // The curve the purchase priced on (parameters refreshed by it), and
                    // the capital that stays, worked out here from the pool's fields
                    // (not the model's rule): free capital less the value of the shares
                    // under a request, while any request is live. A purchase changes
                    // neither, so the pool after it shows what it priced on.
                    let pool = &self.model.pools[m].pool;
                    let clock = crate::rules::exit_clock(pool, &self.model.protocol, now);
                    let free = pool.capital.saturating_sub(pool.reserved_for_claims);
                    let lapsed_all = pool.pending_closes_until;
                    let leaving = if clock <= lapsed_all {
                        insurance_pool::math::value_of_shares(
                            pool.leaving_shares.get(),
                            free,
                            pool.total_shares.get(),
                        )
                        .map_err(crate::model::an)?
                    } else {
                        0
                    };
                    after = Some(After::Premium(PremiumSeen {
                        max_exposure_bps: pool.params.max_exposure_bps,
                        charged: c,
                        exposure_after: c.exposure_after,
                        staying_capital: free.saturating_sub(leaving),
                        curve: pool.params.curve,
                    }));
                }
                (
                    {
                        let pk = self.pools[m];
                        let tt = t.map(|t| t.0);
                        memo(
                            &mut self.ix_cache,
                            (2, pk.pool, owner, tt.unwrap_or_default(), 0),
                            args::ContributePremium {
                                notional,
                                max_premium: max,
                                min_expiry,
                            }
                            .data(),
                            || {
                                ix::contribute_premium_until(
                                    &owner, &pk, &token, tt, notional, max, min_expiry,
                                )
                            },
                        )
                    },
                    Signer_::Actor(actor),
                    r.map(|_| ()),
                )
            }
            Op::FileClaim {
                m,
                actor,
                amount,
                uri_len,
            } => {
                let m = m as usize;
                let actor = self.pick(actor, Need::Covered, m);
                market = Some(m);
                let a = &self.actors[actor as usize];
                let (owner, token) = (a.key.pubkey(), a.tokens[m]);
                let member = pdas::member(&self.pools[m].pool, &owner).0;
                let amount = self.amount(amount, m, &token, Some(&member));
                let id = self
                    .model
                    .members
                    .get(&member)
                    .map_or(0, |mb| mb.claim_count);
                let uri = "u".repeat(uri_len as usize);
                let r = self.model.file_claim(m, &owner, &token, amount, &uri, now);
                if r.is_ok() {
                    after = Some(After::Filed { member, now });
                }
                (
                    ix::file_claim(&owner, &self.pools[m], id, &token, amount, [7; 32], &uri),
                    Signer_::Actor(actor),
                    r.map(|_| ()),
                )
            }
            Op::CastVote {
                m,
                actor,
                claim,
                approve,
            } => {
                let m = m as usize;
                let actor = self.pick(actor, Need::Shares, m);
                market = Some(m);
                let Some((claim, _)) = self.claim_ref(m, claim, voting) else {
                    return Ok(None);
                };
                let voter = self.actors[actor as usize].key.pubkey();
                let vote = pdas::vote(&claim, &voter).0;
                let r = self.model.cast_vote(m, &voter, &claim, &vote, approve, now);
                if r.is_ok() {
                    after = Some(After::Voted { claim });
                }
                (
                    {
                        let pk = self.pools[m];
                        memo(
                            &mut self.ix_cache,
                            (7, pk.pool, voter, claim, 0),
                            args::CastVote { approve }.data(),
                            || ix::cast_vote(&voter, &pk, &claim, approve),
                        )
                    },
                    Signer_::Actor(actor),
                    r,
                )
            }
            Op::FinalizeClaim { m, claim } => {
                let m = m as usize;
                market = Some(m);
                let Some((key, c)) = self.claim_ref(m, claim, voting) else {
                    return Ok(None);
                };
                let r = self.model.finalize_claim(m, &key, now).map(|_| ());
                (
                    {
                        let pk = self.pools[m];
                        memo(
                            &mut self.ix_cache,
                            (8, pk.pool, key, Pubkey::default(), 0),
                            args::FinalizeClaim {}.data(),
                            || ix::finalize_claim(&pk, &key, &c.claimant),
                        )
                    },
                    Signer_::Payer,
                    r,
                )
            }
            Op::VetoClaim { m, claim, by } => {
                let m = m as usize;
                market = Some(m);
                let Some((key, c)) = self.claim_ref(m, claim, approved) else {
                    return Ok(None);
                };
                let signer = self.who(by).pubkey();
                let r = self.model.veto_claim(m, &signer, &key, now);
                (
                    ix::veto_claim(&signer, &self.pools[m], &key, &c.claimant),
                    Signer_::Key(by),
                    r,
                )
            }
            Op::PayClaim { m, claim } => {
                let m = m as usize;
                market = Some(m);
                let Some((key, c)) = self.claim_ref(m, claim, approved) else {
                    return Ok(None);
                };
                let token = self.token_of(&c.claimant, m);
                let r = self.model.pay_claim(m, &key, &token, now);
                if r.is_ok() {
                    let member = pdas::member(&self.pools[m].pool, &c.claimant).0;
                    after = Some(After::Payout { claim: key, member });
                }
                (
                    {
                        let pk = self.pools[m];
                        memo(
                            &mut self.ix_cache,
                            (9, pk.pool, key, token, 0),
                            args::PayClaim {}.data(),
                            || ix::pay_claim(&pk, &key, &c.claimant, &token),
                        )
                    },
                    Signer_::Payer,
                    r.map(|_| ()),
                )
            }
            Op::CancelClaim { m, claim, by } => {
                let m = m as usize;
                market = Some(m);
                let Some((key, c)) = self.claim_ref(m, claim, voting) else {
                    return Ok(None);
                };
                let (signer, who) = match by.map(|a| (self.actors[a as usize].key.pubkey(), a)) {
                    Some((k, a)) => (k, Signer_::Actor(a)),
                    None => match self.actor_of(&c.claimant) {
                        Some(a) => (c.claimant, Signer_::Actor(a as u8)),
                        None => (c.claimant, Signer_::Attacker),
                    },
                };
                let r = self.model.cancel_claim(m, &signer, &key, now);
                (ix::cancel_claim(&signer, &self.pools[m], &key), who, r)
            }
            Op::WithdrawBond { m, claim } => {
                let m = m as usize;
                market = Some(m);
                let Some((key, c)) = self.claim_ref(m, claim, bond_held) else {
                    return Ok(None);
                };
                let token = self.token_of(&c.claimant, m);
                let r = self.model.withdraw_bond(m, &key, &token).map(|_| ());
                (
                    {
                        let pk = self.pools[m];
                        memo(
                            &mut self.ix_cache,
                            (10, pk.pool, key, token, 0),
                            args::WithdrawBond {}.data(),
                            || ix::withdraw_bond(&pk, &key, &token),
                        )
                    },
                    Signer_::Payer,
                    r,
                )
            }
            Op::SetPoolPause { m, by, flags } => {
                let m = m as usize;
                market = Some(m);
                let signer = self.who(by).pubkey();
                let r = self.model.set_pool_pause(m, &signer, flags, now);
                (
                    ix::set_pool_pause(&signer, &self.pools[m], flags),
                    Signer_::Key(by),
                    r,
                )
            }
            Op::SetProtocolPause { by, flags } => {
                let signer = self.who(by).pubkey();
                let r = self.model.set_protocol_pause(&signer, flags, now);
                (ix::set_protocol_pause(&signer, flags), Signer_::Key(by), r)
            }
            Op::UpdatePoolParams { m, by, variant } => {
                let m = m as usize;
                market = Some(m);
                let signer = self.who(by).pubkey();
                let params = param_variant(variant);
                let r = self.model.update_pool_params(m, &signer, params, now);
                (
                    ix::update_pool_params(&signer, &self.pools[m], params),
                    Signer_::Key(by),
                    r,
                )
            }
            Op::UpdateProtocol {
                by,
                fee_bps,
                treasury,
                pending,
            } => {
                let signer = self.who(by).pubkey();
                let args = UpdateProtocolArgs {
                    guardian: None,
                    pending_authority: pending.map(|w| self.who(w).pubkey()),
                    treasury: treasury.map(|t| {
                        if t {
                            self.treasury.key.pubkey()
                        } else {
                            Pubkey::default()
                        }
                    }),
                    protocol_fee_bps: fee_bps,
                };
                let r = self.model.update_protocol(&signer, &args);
                (ix::update_protocol(&signer, args), Signer_::Key(by), r)
            }
            Op::AcceptAuthority { by } => {
                let signer = self.who(by).pubkey();
                let r = self.model.accept_authority(&signer);
                (ix::accept_authority(&signer), Signer_::Key(by), r)
            }
            Op::RegisterExchange { m, x, by } => {
                let (m, x) = (m as usize, x as usize);
                market = Some(m);
                let signer = self.who(by).pubkey();
                let keys = self.exchanges[x];
                let r = self
                    .model
                    .register_exchange(
                        m,
                        x,
                        &signer,
                        &keys.collateral_vault,
                        &keys.pool.mint,
                        fuzz_limits(),
                        now,
                    )
                    .map(|_| ());
                (
                    ix::register_exchange(
                        &self.payer.pubkey(),
                        &signer,
                        &self.pools[m],
                        keys.authority,
                        &keys.collateral_vault,
                        fuzz_limits(),
                    ),
                    Signer_::PayerAnd(by),
                    r,
                )
            }
            Op::UpdateExchange {
                x,
                by,
                variant,
                elsewhere,
            } => {
                let x = x as usize;
                market = Some(x);
                let signer = self.who(by).pubkey();
                let keys = self.exchanges[x];
                let destination = if elsewhere {
                    self.treasury.tokens[x]
                } else {
                    keys.collateral_vault
                };
                let registration = self.model.exchanges[x].registration;
                let limits = limits_variant(variant);
                let r = self.model.update_exchange(
                    x,
                    &signer,
                    &registration,
                    &destination,
                    &self.pools[x].mint,
                    limits,
                    now,
                );
                (
                    ix::update_exchange(
                        &signer,
                        &self.pools[x],
                        &registration,
                        &destination,
                        limits,
                    ),
                    Signer_::Key(by),
                    r,
                )
            }
            Op::DeactivateExchange { x, by } => {
                let x = x as usize;
                market = Some(x);
                let signer = self.who(by).pubkey();
                let registration = self.model.exchanges[x].registration;
                let r = self.model.deactivate_exchange(&signer, &registration);
                (
                    ix::deactivate_exchange(&signer, &registration),
                    Signer_::Key(by),
                    r,
                )
            }
            Op::SetPrice {
                x,
                move_bps,
                age,
                by_oracle,
            } => {
                let x = x as usize;
                market = Some(x);
                let old = self.model.exchanges[x].feed.price;
                let price = (old as i128 * (10_000 + move_bps as i128) / 10_000).max(1) as u64;
                let (signer, who) = if by_oracle {
                    (self.oracle.pubkey(), Signer_::Oracle)
                } else {
                    (self.attacker.key.pubkey(), Signer_::Attacker)
                };
                let publish = now - age;
                let r = self.model.set_price(x, &signer, price, publish, now);
                (
                    {
                        let xk = self.exchanges[x];
                        memo(
                            &mut self.ix_cache,
                            (11, xk.market, signer, Pubkey::default(), 0),
                            xargs::SetPrice {
                                price,
                                publish_time: publish,
                            }
                            .data(),
                            || xix::set_price(&signer, &xk, price, publish),
                        )
                    },
                    who,
                    r,
                )
            }
            Op::DepositCollateral { x, actor, amount } => {
                let x = x as usize;
                let actor = self.pick(actor, Need::Flat, x);
                market = Some(x);
                let a = &self.actors[actor as usize];
                let (owner, token) = (a.key.pubkey(), a.tokens[x]);
                let amount = self.amount(amount, x, &token, None);
                let r = self.model.deposit_collateral(x, &owner, &token, amount);
                (
                    {
                        let xk = self.exchanges[x];
                        memo(
                            &mut self.ix_cache,
                            (12, xk.market, owner, token, 0),
                            xargs::DepositCollateral { amount }.data(),
                            || xix::deposit_collateral(&owner, &xk, &token, amount),
                        )
                    },
                    Signer_::Actor(actor),
                    r,
                )
            }
            Op::OpenPosition {
                x,
                actor,
                long,
                leverage_pct,
                max_rate,
                treasury,
                fresh,
            } => {
                let x = x as usize;
                let actor = self.pick(actor, Need::Collateral, x);
                market = Some(x);
                if fresh {
                    pre = Some(self.reprice(x, 0, now)?);
                }
                let owner = self.actors[actor as usize].key.pubkey();
                let e = &self.model.exchanges[x];
                let collateral = self
                    .model
                    .positions
                    .get(&pdas::position(&e.keys.market, &owner).0)
                    .map_or(0, |p| p.collateral);
                let notional =
                    collateral as u128 * e.market.max_leverage as u128 * leverage_pct as u128 / 100;
                let size = (notional / e.feed.price.max(1) as u128).min(i64::MAX as u128) as i64;
                let size = if long { size } else { -size };
                let t = self.treasury_for(x, treasury);
                let r = self.model.open_position(
                    x,
                    &owner,
                    size,
                    max_rate,
                    t.as_ref().map(|(a, b)| (a, b)),
                    now,
                );
                if let Ok(fee) = r {
                    if fee > 0 {
                        let pool = &self.model.pools[x].pool;
                        after = Some(After::Volume {
                            notional: size.unsigned_abs() as u128 as u64
                                * self.model.exchanges[x].feed.price,
                            fee,
                            rate: pool.volume_rate_bps,
                        });
                    }
                }
                (
                    {
                        let xk = self.exchanges[x];
                        let tt = t.map(|t| t.0);
                        memo(
                            &mut self.ix_cache,
                            (13, xk.market, owner, tt.unwrap_or_default(), 0),
                            xargs::OpenPosition {
                                size,
                                max_insurance_rate_bps: max_rate,
                            }
                            .data(),
                            || xix::open_position(&owner, &xk, size, max_rate, tt),
                        )
                    },
                    Signer_::Actor(actor),
                    r.map(|_| ()),
                )
            }
            Op::Liquidate {
                x,
                actor,
                liquidator,
                reprice,
            } => {
                let x = x as usize;
                let actor = self.pick(actor, Need::Open, x);
                market = Some(x);
                if let Some(equity_bps) = reprice {
                    // The price at which the position's equity is `equity_bps` of its
                    // notional: around the maintenance margin (500) and below zero (bad
                    // debt for the pool), whatever collateral was added since opening.
                    let owner = self.actors[actor as usize].key.pubkey();
                    let market = self.exchanges[x].market;
                    let target = self
                        .model
                        .positions
                        .get(&pdas::position(&market, &owner).0)
                        .filter(|p| p.size != 0)
                        .map(|p| {
                            let (c, a, entry) = (
                                p.collateral as i128,
                                p.size.unsigned_abs() as i128,
                                p.entry_price as i128,
                            );
                            let e = equity_bps as i128;
                            let (num, den) = if p.size > 0 {
                                ((a * entry - c) * 10_000, a * (10_000 - e))
                            } else {
                                ((c + a * entry) * 10_000, a * (10_000 + e))
                            };
                            if den <= 0 {
                                1
                            } else {
                                (num / den).clamp(1, u64::MAX as i128) as u64
                            }
                        });
                    pre = Some(match target {
                        Some(price) => self.publish(x, price, 0, now)?,
                        None => self.reprice(x, equity_bps, now)?,
                    });
                }
                let owner = self.actors[actor as usize].key.pubkey();
                let by = self.actors[liquidator as usize].key.pubkey();
                let r = self.model.liquidate(x, &owner, now);
                if let Ok((amount, seen)) = r {
                    after = Some(After::Shortfall { amount, seen });
                }
                let keys = self.exchanges[x];
                let registration = self.model.exchanges[x].registration;
                (
                    memo(
                        &mut self.ix_cache,
                        (14, keys.market, by, owner, 0),
                        xargs::Liquidate {}.data(),
                        || xix::liquidate(&by, &keys, &owner, &keys.pool, &registration),
                    ),
                    Signer_::Actor(liquidator),
                    r.map(|_| ()),
                )
            }
            Op::Attack {
                m,
                actor,
                target,
                slot,
                with,
            } => {
                return Ok(self.attack(m as usize, actor, target, slot, with, now));
            }
        };
        Ok(Some(Plan {
            pre,
            ix,
            signer,
            market,
            expected,
            after,
            return_data,
            attack: false,
        }))
    }

    /// The oracle's `set_price` moving the price by `move_bps`, observed now, applied to
    /// the model (sent first in the step's transaction).
    fn reprice(&mut self, x: usize, move_bps: i16, now: i64) -> Result<Instruction, String> {
        let old = self.model.exchanges[x].feed.price;
        self.publish(x, old, move_bps, now)
    }

    /// The oracle's `set_price` of `base` moved by `move_bps`, observed now.
    fn publish(
        &mut self,
        x: usize,
        old: u64,
        move_bps: i16,
        now: i64,
    ) -> Result<Instruction, String> {
        let price = (old as i128 * (10_000 + move_bps as i128) / 10_000).max(1) as u64;
        let oracle = self.oracle.pubkey();
        self.model
            .set_price(x, &oracle, price, now, now)
            .map_err(|e| format!("the oracle's own update refused by the model: {e}"))?;
        Ok(xix::set_price(&oracle, &self.exchanges[x], price, now))
    }

    /// The accounts of market `m` by role, as `actor` sees them: the attacker's
    /// substitutions swap an account for the one in the same role of another market.
    fn roles(&self, m: usize, actor: &Pubkey) -> Vec<Pubkey> {
        let k = self.pools[m];
        let x = self.exchanges[m % 2];
        let newest_claim = self.model.claim_lists[m].last().copied().unwrap_or(k.pool);
        vec![
            k.pool,
            k.vault,
            k.bond_vault,
            k.exposure,
            k.mint,
            self.token_of(actor, m),
            pdas::underwriter(&k.pool, actor).0,
            pdas::member(&k.pool, actor).0,
            self.treasury.tokens[m],
            x.market,
            x.collateral_vault,
            x.price_feed,
            x.authority,
            // The exchange's registration on this pool (market 3 holds exchange 0's
            // second registration: same mint, another pool).
            pdas::exchange(
                &k.pool,
                &self.exchanges[if m == 3 { 0 } else { m % 2 }].authority,
            )
            .0,
            pdas::position(&x.market, actor).0,
            newest_claim,
        ]
    }

    /// An actor's instruction for `target` on market `m` with one account swapped
    /// (the actor is an ordinary participant, resolved like any step's subject, so the
    /// honest instruction usually succeeds); the model says what the honest one does.
    fn attack(
        &mut self,
        m: usize,
        actor: ActorRef,
        target: Target,
        slot: u8,
        with: Subst,
        now: i64,
    ) -> Option<Plan> {
        let x = m % 2;
        let need = match target {
            Target::CompleteWithdrawal => Need::Pending,
            Target::FileClaim => Need::Covered,
            Target::CastVote => Need::Shares,
            Target::OpenPosition => Need::Collateral,
            Target::Liquidate => Need::Open,
            _ => Need::Any,
        };
        let home = match target {
            Target::OpenPosition | Target::Liquidate => x,
            _ => m,
        };
        let a = self.pick(actor, need, home);
        let signer_key = self.actors[a as usize].key.pubkey();
        let who = signer_key;
        let token = self.actors[a as usize].tokens[m];
        let keys = self.pools[m];
        let xk = self.exchanges[x];
        let reg = self.model.exchanges[x].registration;
        let (mut ix, honest) = match target {
            Target::Deposit => (
                ix::deposit(&who, &keys, &token, 1_000_000, 0),
                self.model
                    .deposit(m, &who, &token, 1_000_000, 0, now)
                    .map(|_| ()),
            ),
            Target::CompleteWithdrawal => (
                ix::complete_withdrawal(&who, &keys, &token),
                self.model
                    .complete_withdrawal(m, &who, &token, now)
                    .map(|_| ()),
            ),
            Target::ContributePremium => (
                ix::contribute_premium(&who, &keys, &token, None, 1_000_000, u64::MAX),
                self.model
                    .contribute_premium(m, &who, &token, None, 1_000_000, u64::MAX, 0, now)
                    .map(|_| ()),
            ),
            Target::FileClaim => {
                let id = self
                    .model
                    .members
                    .get(&pdas::member(&keys.pool, &who).0)
                    .map_or(0, |mb| mb.claim_count);
                (
                    ix::file_claim(&who, &keys, id, &token, 1, [7; 32], ""),
                    self.model
                        .file_claim(m, &who, &token, 1, "", now)
                        .map(|_| ()),
                )
            }
            Target::CastVote => {
                let (c, _) = self.claim_ref(m, ClaimRef::Nth(slot), voting)?;
                let vote = pdas::vote(&c, &who).0;
                (
                    ix::cast_vote(&who, &keys, &c, true),
                    self.model.cast_vote(m, &who, &c, &vote, true, now),
                )
            }
            Target::PayClaim => {
                let (key, c) = self.claim_ref(m, ClaimRef::Nth(slot), approved)?;
                let t = self.token_of(&c.claimant, m);
                (
                    ix::pay_claim(&keys, &key, &c.claimant, &t),
                    self.model.pay_claim(m, &key, &t, now).map(|_| ()),
                )
            }
            Target::WithdrawBond => {
                let (key, c) = self.claim_ref(m, ClaimRef::Nth(slot), bond_held)?;
                let t = self.token_of(&c.claimant, m);
                (
                    ix::withdraw_bond(&keys, &key, &t),
                    self.model.withdraw_bond(m, &key, &t).map(|_| ()),
                )
            }
            Target::OpenPosition => (
                xix::open_position(&who, &xk, 1, u64::MAX, None),
                self.model
                    .open_position(x, &who, 1, u64::MAX, None, now)
                    .map(|_| ()),
            ),
            Target::Liquidate => (
                xix::liquidate(&who, &xk, &who, &xk.pool, &reg),
                self.model.liquidate(x, &who, now).map(|_| ()),
            ),
        };
        // Substitutable: every account but the signer and the programs invoked.
        let programs = [
            anchor_lang::system_program::ID,
            insurance_pool::ID,
            example_exchange::ID,
        ];
        let slots: Vec<usize> = ix
            .accounts
            .iter()
            .enumerate()
            .filter(|(_, a)| !a.is_signer && !programs.contains(&a.pubkey))
            .map(|(i, _)| i)
            .collect();
        if slots.is_empty() {
            return None;
        }
        let i = slots[slot as usize % slots.len()];
        let original = ix.accounts[i].pubkey;
        // Another market: most often the one on the same mint (0 and 3), where the
        // token program cannot tell the accounts apart and the program's own checks
        // must.
        let other = match (m, slot % 3) {
            (0, 0 | 1) => 3,
            (3, 0 | 1) => 0,
            _ => (m + 1 + slot as usize % 3) % MARKETS as usize,
        };
        let mine = self.roles(m, &who);
        let replacement = match with {
            Subst::OtherMarket => match mine.iter().position(|k| *k == original) {
                Some(r) => self.roles(other, &who)[r],
                None => self.pools[other].pool,
            },
            Subst::OtherTokenProgram => {
                if original == anchor_spl::token::ID {
                    anchor_spl::token_2022::ID
                } else if original == anchor_spl::token_2022::ID {
                    anchor_spl::token::ID
                } else {
                    return None;
                }
            }
            Subst::Duplicate => ix.accounts[slots[(slot as usize + 1) % slots.len()]].pubkey,
            // The actor's own other accounts: token, position, membership, stake.
            Subst::Own => mine[[5, 6, 7, 14][slot as usize % 4]],
        };
        if replacement == original {
            return None;
        }
        ix.accounts[i].pubkey = replacement;
        Some(Plan {
            pre: None,
            ix,
            signer: Signer_::Actor(a),
            market: Some(home),
            expected: honest,
            after: None,
            return_data: None,
            attack: true,
        })
    }
}

/// Compares an Anchor (Borsh) account's data with the model's value.
fn same<T: AccountSerialize + AccountDeserialize + std::fmt::Debug>(
    key: &Pubkey,
    data: &[u8],
    model: &T,
) -> Result<(), String> {
    let mut bytes = Vec::with_capacity(data.len());
    model.try_serialize(&mut bytes).map_err(|e| e.to_string())?;
    same_bytes(key, data, &bytes, model)
}

/// Compares a zero-copy account's data with the model's value.
fn same_pod<
    T: bytemuck::Pod + anchor_lang::Discriminator + AccountDeserialize + std::fmt::Debug,
>(
    key: &Pubkey,
    data: &[u8],
    model: &T,
) -> Result<(), String> {
    same_bytes(
        key,
        data,
        &insurance_pool_sdk::encode_zero_copy(model),
        model,
    )
}

/// Compares account `data` with the model's encoding `bytes` of `model`.
fn same_bytes<T: AccountDeserialize + std::fmt::Debug>(
    key: &Pubkey,
    data: &[u8],
    bytes: &[u8],
    model: &T,
) -> Result<(), String> {
    // Only the serialised prefix counts: Anchor leaves stale bytes after a value that
    // shrank (an `Option` set to `None`), and so does the model's comparison.
    let matches = data.len() >= bytes.len() && data[..bytes.len()] == bytes[..];
    if matches {
        return Ok(());
    }
    match T::try_deserialize(&mut &data[..]) {
        Ok(actual) => Err(diff(key, &actual, model)),
        Err(e) => Err(format!(
            "{key}: does not decode ({e}); the model has {model:#?}"
        )),
    }
}

/// The fields where the program's account and the model's differ.
fn diff<T: std::fmt::Debug>(key: &Pubkey, actual: &T, model: &T) -> String {
    let (a, b) = (format!("{actual:#?}"), format!("{model:#?}"));
    let lines: Vec<String> = a
        .lines()
        .zip(b.lines())
        .filter(|(x, y)| x != y)
        .map(|(x, y)| format!("    program: {}\n    model:   {}", x.trim(), y.trim()))
        .collect();
    format!("{key} differs from the model:\n{}", lines.join("\n"))
}

/// A model with nothing in it (the world fills it in; tests build small ones).
pub fn empty_model() -> Model {
    Model {
        protocol: Protocol {
            authority: Pubkey::default(),
            pending_authority: Pubkey::default(),
            guardian: Pubkey::default(),
            paused: 0,
            treasury: Pubkey::default(),
            protocol_fee_bps: 0,
            pool_count: 0,
            bump: 0,
            withdraw_pause: Default::default(),
            reserved: [0; 4],
        },
        pools: Vec::new(),
        exchanges: Vec::new(),
        claim_lists: Vec::new(),
        open_claims: Vec::new(),
        underwriters: Default::default(),
        members: Default::default(),
        claims: Default::default(),
        votes: Default::default(),
        registrations: Default::default(),
        positions: Default::default(),
        tokens: Default::default(),
        paid_in_term: Default::default(),
    }
}

/// Names a refusal: a program or Anchor error by name, a token-program or system
/// error by its program; the second value is false for anything unnamed.
pub fn refusal(err: &TransactionError, logs: &[String]) -> (String, bool) {
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
                    match spl_token_2022::error::TokenError::try_from(*code) {
                        Ok(e) => (format!("token: {e:?}"), true),
                        Err(_) => (format!("token: unknown error {code}"), false),
                    }
                }
                Some(id) if id == anchor_lang::system_program::ID => match code {
                    0 => ("system: AccountAlreadyInUse".into(), true),
                    1 => ("system: ResultWithNegativeLamports".into(), true),
                    c => (format!("system: error {c}"), false),
                },
                _ => {
                    let program = failed.unwrap_or(insurance_pool::ID);
                    // Anchor's own codes (below 6000) mean the same in both programs.
                    let decoded =
                        insurance_pool_sdk::errors::decode_for(&program, *code).or_else(|| {
                            (*code < 6_000)
                                .then(|| insurance_pool_sdk::errors::decode(*code))
                                .flatten()
                        });
                    match decoded {
                        Some(d) => (d.name, true),
                        None => (format!("unknown custom error {code} from {program}"), false),
                    }
                }
            }
        }
        // A runtime error Anchor attributes to a named account while loading it (a
        // token account where a mint belongs: `InvalidAccountData`): documented
        // Anchor behaviour, named by the account.
        TransactionError::InstructionError(_, e) => {
            let account = logs.iter().find_map(|l| {
                let rest = l.split_once("ProgramError caused by account: ")?.1;
                Some(rest.split('.').next()?.to_string())
            });
            match account {
                Some(a) => (format!("{e:?} (account {a})"), true),
                None => (format!("{e:?}"), false),
            }
        }
        other => (format!("{other:?}"), false),
    }
}
