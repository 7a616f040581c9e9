//! Compute-unit benchmark of the insurance pool's SBF binary, and its budgets.
//!
//! For every instruction: the compute units it consumes on `target/deploy/insurance_pool.so`
//! (real SBF virtual machine inside solana-program-test), next to the floor: the
//! `cpi_floor` program performing only the same CPIs, built the same way. [`measure`]
//! returns the rows and the binary sizes; the `cu-bench` binary prints them as the
//! README's Markdown table, and `xtask/tests/cu_budgets.rs` checks every row and size
//! against the committed budgets in `xtask/cu-budgets.tsv` ([`Budgets`]).
//!
//! Compute units are deterministic for a given binary: every key the sequence uses
//! (markets, mints, users, token accounts) is fixed, so PDA bump searches and key
//! comparisons repeat exactly, and so does every row.
//!
//! The sequence follows the pool's time rules (claims on matured cover with votes from
//! seasoned shares, withdrawals after the 30-day deposit lock, draws from the
//! registration's activation 62 days on), warping the clock between steps.
//!
//! `cover_shortfall` must be signed by the exchange authority, which must be a PDA: the
//! benchmark registers the floor program's `["authority"]` PDA and calls
//! `cover_shortfall` through the floor's relay op (an `invoke_signed`), reporting the
//! compute units the insurance program itself consumed inside that transaction (its
//! `Program <id> consumed N of M compute units` log line), which, as for a top-level
//! call, include its own token CPI but not the relay's.

use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_lang::{system_program, Space};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use insurance_pool_testkit::runtime::sbf_out_dir;
use insurance_pool_testkit::*;

/// Address the benchmark gives the floor program.
const FLOOR: Pubkey = Pubkey::new_from_array([0xF1; 32]);

/// One measured instruction.
#[derive(Clone, Debug)]
pub struct Row {
    /// Instruction and variant, e.g. `deposit, top-up (SPL Token)`.
    pub name: String,
    /// Compute units the insurance program consumed.
    pub cu: u64,
    /// Compute units of the floor program performing the same CPIs.
    pub floor: u64,
    /// What the floor performs.
    pub cpis: &'static str,
    /// The transaction's logs (read by [`breakdown`]).
    pub logs: Vec<String>,
}

/// Everything one benchmark run measured.
#[derive(Clone, Debug)]
pub struct Report {
    pub rows: Vec<Row>,
    /// `(file name, bytes, lamports of rent to deploy)` of each binary.
    pub binaries: Vec<(String, u64, u64)>,
}

/// Builds `cpi_floor` instructions operation by operation.
#[derive(Default)]
struct Floor {
    data: Vec<u8>,
    accounts: Vec<AccountMeta>,
}

impl Floor {
    fn transfer(
        mut self,
        from: Pubkey,
        mint: Pubkey,
        to: Pubkey,
        authority: Pubkey,
        token: Pubkey,
    ) -> Self {
        self.data.push(1);
        self.data.extend(1_000u64.to_le_bytes());
        self.data.push(DECIMALS);
        self.accounts.extend([
            AccountMeta::new(from, false),
            AccountMeta::new_readonly(mint, false),
            AccountMeta::new(to, false),
            AccountMeta::new_readonly(authority, true),
            AccountMeta::new_readonly(token, false),
        ]);
        self
    }

    fn pda_transfer(mut self, from: Pubkey, mint: Pubkey, to: Pubkey, token: Pubkey) -> Self {
        let (authority, bump) = Pubkey::find_program_address(&[b"authority"], &FLOOR);
        self.data.push(2);
        self.data.extend(1_000u64.to_le_bytes());
        self.data.extend([DECIMALS, bump]);
        self.accounts.extend([
            AccountMeta::new(from, false),
            AccountMeta::new_readonly(mint, false),
            AccountMeta::new(to, false),
            AccountMeta::new_readonly(authority, false),
            AccountMeta::new_readonly(token, false),
        ]);
        self
    }

    /// Creates the PDA `["account", seed]`; returns its address too.
    fn create(mut self, payer: Pubkey, space: usize, owner: Pubkey, seed: u8) -> (Self, Pubkey) {
        let (account, bump) = Pubkey::find_program_address(&[b"account", &[seed]], &FLOOR);
        self.data.push(3);
        self.data.extend((space as u64).to_le_bytes());
        self.data.extend(owner.to_bytes());
        self.data.extend([seed, bump]);
        self.accounts.extend([
            AccountMeta::new(payer, true),
            AccountMeta::new(account, false),
            AccountMeta::new_readonly(system_program::ID, false),
        ]);
        (self, account)
    }

    fn init_token_account(
        mut self,
        account: Pubkey,
        mint: Pubkey,
        owner: Pubkey,
        token: Pubkey,
    ) -> Self {
        self.data.push(4);
        self.data.extend(owner.to_bytes());
        self.accounts.extend([
            AccountMeta::new(account, false),
            AccountMeta::new_readonly(mint, false),
            AccountMeta::new_readonly(token, false),
        ]);
        self
    }

    /// Relays `inner` signed by the floor's `["authority"]` PDA (not a floor: the way to
    /// call an instruction whose signer must be a PDA).
    fn relay(mut self, inner: &Instruction) -> Self {
        let (_, bump) = Pubkey::find_program_address(&[b"authority"], &FLOOR);
        self.data.extend([5, bump, inner.accounts.len() as u8]);
        self.data.extend(
            inner
                .accounts
                .iter()
                .map(|m| m.is_signer as u8 | (m.is_writable as u8) << 1),
        );
        self.data.extend((inner.data.len() as u16).to_le_bytes());
        self.data.extend(&inner.data);
        self.accounts
            .push(AccountMeta::new_readonly(inner.program_id, false));
        self.accounts
            .extend(inner.accounts.iter().map(|m| AccountMeta {
                pubkey: m.pubkey,
                is_signer: false,
                is_writable: m.is_writable,
            }));
        self
    }

    fn ix(self) -> Instruction {
        Instruction {
            program_id: FLOOR,
            accounts: self.accounts,
            data: self.data,
        }
    }
}

struct Bench {
    env: TestEnv,
    rows: Vec<Row>,
    seed: u8,
}

impl Bench {
    async fn run(&mut self, ix: Instruction, signers: &[&Keypair]) -> u64 {
        self.env.ok(&[ix], signers).await.compute_units
    }

    async fn row(
        &mut self,
        name: &str,
        ours: (Instruction, Vec<&Keypair>),
        floor: (Instruction, Vec<&Keypair>),
        cpis: &'static str,
    ) {
        let out = self.env.ok(&[ours.0], &ours.1).await;
        trace(name, &out.logs);
        let cu = out.compute_units;
        let floor = self.run(floor.0, &floor.1).await;
        self.rows.push(Row {
            name: name.into(),
            cu,
            floor,
            cpis,
            logs: out.logs,
        });
    }

    /// Like [`Self::row`] for an instruction reached by CPI inside `ours`: the compute
    /// units `program` consumed (its `consumed` log line), not the whole transaction's.
    async fn inner_row(
        &mut self,
        name: &str,
        ours: (Instruction, Vec<&Keypair>),
        program: Pubkey,
        floor: (Instruction, Vec<&Keypair>),
        cpis: &'static str,
    ) {
        let out = self.env.ok(&[ours.0], &ours.1).await;
        trace(name, &out.logs);
        let prefix = format!("Program {program} consumed ");
        let cu = out
            .logs
            .iter()
            .find_map(|l| l.strip_prefix(&prefix)?.split(' ').next()?.parse().ok())
            .unwrap_or_else(|| panic!("no `{prefix}` line in {:#?}", out.logs));
        let floor = self.run(floor.0, &floor.1).await;
        self.rows.push(Row {
            name: name.into(),
            cu,
            floor,
            cpis,
            logs: out.logs,
        });
    }

    fn next_seed(&mut self) -> u8 {
        self.seed += 1;
        self.seed
    }
}

/// Prints the logs of the rows whose name contains `$CU_BENCH_LOGS` (to read where an
/// instruction's compute units go, e.g. with `sol_log_compute_units` probes).
fn trace(name: &str, logs: &[String]) {
    if let Ok(filter) = std::env::var("CU_BENCH_LOGS") {
        if name.contains(&filter) {
            eprintln!("--- {name}");
            for line in logs {
                eprintln!("{line}");
            }
        }
    }
}

/// Conservation: the vault holds the pool's capital plus its unearned premium, the bond
/// escrow its bonds.
async fn conserved(env: &mut TestEnv, keys: &PoolKeys) {
    let pool = env.pool(keys).await;
    let (vault, bonds) = (
        env.balance(keys.vault).await,
        env.balance(keys.bond_vault).await,
    );
    assert_eq!(
        vault,
        pool.capital + pool.unearned_premiums,
        "vault of {}",
        keys.pool
    );
    assert_eq!(bonds, pool.bonds_held, "bond escrow of {}", keys.pool);
}

/// Runs the whole sequence on the SBF binaries in [`sbf_out_dir`] and returns every
/// row and the binary sizes. Panics (with a message) if a binary is missing or a step
/// fails: it is a benchmark and a test fixture, not program code.
pub async fn measure() -> Report {
    let so = sbf_out_dir().join("insurance_pool.so");
    let floor_so = sbf_out_dir().join("cpi_floor.so");
    assert!(
        so.exists() && floor_so.exists(),
        "run `bash scripts/build-sbf.sh` first"
    );
    let env = TestEnv::uninitialized_with(Runtime::Sbf, &[("cpi_floor", FLOOR)]).await;
    let mut b = Bench {
        env,
        rows: Vec::new(),
        seed: 0,
    };
    let payer = b.env.payer();
    let authority = b.env.authority.insecure_clone();
    let guardian = b.env.guardian.insecure_clone();
    let a = authority.pubkey();
    let empty = || (Floor::default().ix(), vec![]);

    // Protocol.
    let seed = b.next_seed();
    let (floor, _) = Floor::default().create(payer, 8 + Protocol::INIT_SPACE, FLOOR, seed);
    b.row(
        "initialize_protocol",
        (
            initialize_protocol(&payer, &payer, a, guardian.pubkey()),
            vec![],
        ),
        (floor.ix(), vec![]),
        "create account",
    )
    .await;
    let args = UpdateProtocolArgs {
        guardian: Some(guardian.pubkey()),
        pending_authority: Some(a),
        ..Default::default()
    };
    b.row(
        "update_protocol",
        (update_protocol(&a, args), vec![&authority]),
        empty(),
        "none",
    )
    .await;
    b.row(
        "accept_authority",
        (accept_authority(&a), vec![&authority]),
        empty(),
        "none",
    )
    .await;
    b.row(
        "set_protocol_pause",
        (set_protocol_pause(&a, 0), vec![&authority]),
        empty(),
        "none",
    )
    .await;

    // Fixed market and user keys: PDA bump searches (and so compute units) are the same
    // on every run.
    for (n, (label, program)) in [("SPL Token", TOKEN), ("Token-2022", TOKEN_2022)]
        .into_iter()
        .enumerate()
    {
        // create_pool: pool account, vault account, InitializeAccount3.
        let mint_key = Keypair::new_from_array([0x90 + n as u8; 32]);
        let mint = b.env.create_mint_at(program, mint_key).await;
        let keys = PoolKeys::new(Pubkey::new_from_array([0xA0 + n as u8; 32]), mint, program);
        // Pool, vault, bond escrow and exposure accounts; two InitializeAccount3.
        let seeds = [b.next_seed(), b.next_seed(), b.next_seed(), b.next_seed()];
        let (floor, _) = Floor::default().create(payer, 8 + Pool::INIT_SPACE, FLOOR, seeds[0]);
        let (floor, vault) = floor.create(payer, 165, program, seeds[1]);
        let floor = floor.init_token_account(vault, mint, payer, program);
        let (floor, bonds) = floor.create(payer, 165, program, seeds[2]);
        let floor = floor.init_token_account(bonds, mint, payer, program);
        let exposure_space = 8 + std::mem::size_of::<PoolExposure>();
        let (floor, _) = floor.create(payer, exposure_space, FLOOR, seeds[3]);
        b.row(
            &format!("create_pool ({label})"),
            (
                create_pool(&payer, &a, &keys, default_params()),
                vec![&authority],
            ),
            (floor.ix(), vec![]),
            "4 create account + 2 InitializeAccount3",
        )
        .await;
        b.row(
            &format!("update_pool_params ({label})"),
            (
                update_pool_params(&a, &keys, default_params()),
                vec![&authority],
            ),
            empty(),
            "none",
        )
        .await;
        b.row(
            &format!("set_pool_pause ({label})"),
            (set_pool_pause(&a, &keys, 0), vec![&authority]),
            empty(),
            "none",
        )
        .await;

        // Deposits: the first creates the Underwriter account.
        let user_key = Keypair::new_from_array([0xB0 + n as u8; 32]);
        let user = b.env.user_with_key(user_key, &keys, 1_000_000).await;
        // Fixed addresses for the token accounts too (associated accounts of fixed
        // owners): register_exchange derives PDAs of the sink's owner, and key
        // comparisons stop at the first differing byte.
        let sink_owner = Pubkey::new_from_array([0xC0 + n as u8; 32]);
        let sink = b
            .env
            .create_associated_token_account(&mint, &sink_owner, &program)
            .await;
        let seed = b.next_seed();
        let (floor, _) =
            Floor::default().create(user.pubkey(), 8 + Underwriter::INIT_SPACE, FLOOR, seed);
        let floor = floor.transfer(user.token, mint, sink, user.pubkey(), program);
        b.row(
            &format!("deposit, first ({label})"),
            (
                deposit(&user.pubkey(), &keys, &user.token, 10_000, 0),
                vec![&user.key],
            ),
            (floor.ix(), vec![&user.key]),
            "create account + TransferChecked",
        )
        .await;
        let floor = Floor::default().transfer(user.token, mint, sink, user.pubkey(), program);
        b.row(
            &format!("deposit, top-up ({label})"),
            (
                deposit(&user.pubkey(), &keys, &user.token, 10_000, 0),
                vec![&user.key],
            ),
            (floor.ix(), vec![&user.key]),
            "TransferChecked",
        )
        .await;

        // The exchange is registered now, so its draw right (62 days on) applies by the
        // end. Its authority is the floor's PDA, which signs by the relay op.
        let floor_authority = Pubkey::find_program_address(&[b"authority"], &FLOOR).0;
        let seed = b.next_seed();
        let (floor, _) =
            Floor::default().create(payer, 8 + ExchangeRegistration::INIT_SPACE, FLOOR, seed);
        let limits = ExchangeLimits {
            per_event_cap: 1_000,
            per_epoch_cap: 10_000,
            epoch_length: 86_400,
            per_event_bps: 10_000,
            per_epoch_bps: 10_000,
        };
        b.row(
            &format!("register_exchange ({label})"),
            (
                register_exchange(&payer, &a, &keys, floor_authority, &sink, limits),
                vec![&authority],
            ),
            (floor.ix(), vec![]),
            "create account",
        )
        .await;
        let registration = insurance_pool::pda::exchange(&keys.pool, &floor_authority).0;
        b.row(
            &format!("update_exchange ({label})"),
            (
                update_exchange(&a, &keys, &registration, &sink, limits),
                vec![&authority],
            ),
            empty(),
            "none",
        )
        .await;

        // A second underwriter, the voter (the claimant cannot vote on its own claim).
        let voter_key = Keypair::new_from_array([0xD0 + n as u8; 32]);
        let voter = b.env.user_with_key(voter_key, &keys, 10_000).await;
        b.env
            .ok(
                &[deposit(&voter.pubkey(), &keys, &voter.token, 10_000, 0)],
                &[&voter.key],
            )
            .await;

        // Premiums: a quote (no CPI), then a first contribution (creates the Member) and
        // a top-up, each bounded by the quote's expiry.
        b.row(
            &format!("quote_premium ({label})"),
            (quote_premium(&keys, None, 5_000), vec![]),
            empty(),
            "none",
        )
        .await;
        let seed = b.next_seed();
        let (floor, _) =
            Floor::default().create(user.pubkey(), 8 + Member::INIT_SPACE, FLOOR, seed);
        let floor = floor.transfer(user.token, mint, sink, user.pubkey(), program);
        let expiry = b.env.quote(&keys, None, 5_000).await.coverage_expiry;
        let buy = || {
            contribute_premium_until(
                &user.pubkey(),
                &keys,
                &user.token,
                None,
                5_000,
                u64::MAX,
                expiry,
            )
        };
        b.row(
            &format!("contribute_premium, first ({label})"),
            (buy(), vec![&user.key]),
            (floor.ix(), vec![&user.key]),
            "create account + TransferChecked",
        )
        .await;
        b.env.warp(1).await;
        let floor = Floor::default().transfer(user.token, mint, sink, user.pubkey(), program);
        b.row(
            &format!("contribute_premium, top-up ({label})"),
            (buy(), vec![&user.key]),
            (floor.ix(), vec![&user.key]),
            "TransferChecked",
        )
        .await;

        // Floor of the PDA-signed transfers: out of a token account the floor's PDA owns.
        let floor_vault = b
            .env
            .create_associated_token_account(&mint, &floor_authority, &program)
            .await;
        b.env
            .mint_to(&mint, &program, &floor_vault, 1_000_000)
            .await;

        // Claims, once the cover matured and the voter's shares are seasoned (the end
        // of the stake period after its deposit's): the user is the member.
        b.env.season(&keys).await;
        let u = user.pubkey();
        let hash = [1u8; 32];
        let seed = b.next_seed();
        let (floor, _) = Floor::default().create(u, 8 + Claim::INIT_SPACE, FLOOR, seed);
        let floor = floor.transfer(user.token, mint, sink, u, program);
        b.row(
            &format!("file_claim ({label})"),
            (
                file_claim(&u, &keys, 0, &user.token, 1_000, hash, "ipfs://evidence"),
                vec![&user.key],
            ),
            (floor.ix(), vec![&user.key]),
            "create account + TransferChecked",
        )
        .await;
        let first = claim_address(&keys, &u, 0);
        b.row(
            &format!("cancel_claim ({label})"),
            (cancel_claim(&u, &keys, &first), vec![&user.key]),
            empty(),
            "none",
        )
        .await;
        let floor = Floor::default().pda_transfer(floor_vault, mint, user.token, program);
        b.row(
            &format!("withdraw_bond ({label})"),
            (withdraw_bond(&keys, &first, &user.token), vec![]),
            (floor.ix(), vec![]),
            "TransferChecked signed by a PDA",
        )
        .await;
        b.env
            .ok(
                &[file_claim(&u, &keys, 1, &user.token, 1_000, hash, "")],
                &[&user.key],
            )
            .await;
        let claim = claim_address(&keys, &u, 1);
        let v = voter.pubkey();
        let seed = b.next_seed();
        let (floor, _) = Floor::default().create(v, 8 + VoteRecord::INIT_SPACE, FLOOR, seed);
        b.row(
            &format!("cast_vote ({label})"),
            (cast_vote(&v, &keys, &claim, true), vec![&voter.key]),
            (floor.ix(), vec![&voter.key]),
            "create account",
        )
        .await;
        b.env.warp(DEFAULT_GOVERNANCE.voting_period).await;
        b.row(
            &format!("finalize_claim ({label})"),
            (finalize_claim(&keys, &claim, &u), vec![]),
            empty(),
            "none",
        )
        .await;
        // The cancelled claim's period is over too: released, exits no longer wait.
        b.env.ok(&[finalize_claim(&keys, &first, &u)], &[]).await;
        b.env.warp(DEFAULT_GOVERNANCE.holdup_period).await;
        let floor = Floor::default().pda_transfer(floor_vault, mint, user.token, program);
        b.row(
            &format!("pay_claim ({label})"),
            (pay_claim(&keys, &claim, &u, &user.token), vec![]),
            (floor.ix(), vec![]),
            "TransferChecked signed by a PDA",
        )
        .await;
        conserved(&mut b.env, &keys).await;

        // Withdrawals, after the deposit lock: the user requests and lets the request
        // lapse (anyone expires it), then cancels it (which re-stakes its shares as
        // young), the voter requests and completes.
        let lock = default_params().min_deposit_lock;
        let since = b.env.now().await - b.env.underwriter(&keys, &u).await.last_deposit_at;
        b.env.warp((lock - since).max(0)).await;
        let shares = b.env.underwriter(&keys, &u).await.shares.get();
        b.row(
            &format!("request_withdrawal ({label})"),
            (request_withdrawal(&u, &keys, shares / 2), vec![&user.key]),
            empty(),
            "none",
        )
        .await;
        // Left to lapse, the request is ended by anyone (no signer but the fee payer).
        let p = default_params();
        b.env
            .warp(p.withdrawal_cooldown + p.withdrawal_window + 1)
            .await;
        b.row(
            &format!("expire_withdrawal ({label})"),
            (expire_withdrawal(&u, &keys), vec![]),
            empty(),
            "none",
        )
        .await;
        // The expired request is then cancelled by its owner.
        b.row(
            &format!("cancel_withdrawal ({label})"),
            (cancel_withdrawal(&u, &keys), vec![&user.key]),
            empty(),
            "none",
        )
        .await;
        let shares = b.env.underwriter(&keys, &v).await.shares.get();
        b.env
            .ok(&[request_withdrawal(&v, &keys, shares)], &[&voter.key])
            .await;
        b.env.warp(default_params().withdrawal_cooldown).await;
        let floor = Floor::default().pda_transfer(floor_vault, mint, voter.token, program);
        b.row(
            &format!("complete_withdrawal ({label})"),
            (
                complete_withdrawal(&v, &keys, &voter.token),
                vec![&voter.key],
            ),
            (floor.ix(), vec![]),
            "TransferChecked signed by a PDA",
        )
        .await;

        // The draw right applies (on the pool's exit clock, which stood still while the
        // claim voted): a shortfall covered by CPI from the floor's PDA.
        let active_from = b
            .env
            .fetch::<ExchangeRegistration>(registration)
            .await
            .active_from;
        b.env.warp_exit_clock_to(&keys, active_from).await;
        let cover = cover_shortfall(&floor_authority, &keys, &registration, &sink, 500, 0);
        let floor = Floor::default().pda_transfer(floor_vault, mint, sink, program);
        let before = b.env.balance(sink).await;
        b.inner_row(
            &format!("cover_shortfall ({label}, by CPI)"),
            (Floor::default().relay(&cover).ix(), vec![]),
            insurance_pool::ID,
            (floor.ix(), vec![]),
            "TransferChecked signed by a PDA",
        )
        .await;
        assert_eq!(
            b.env.balance(sink).await - before,
            500 + 1_000,
            "the pool paid the shortfall (and the floor its transfer)"
        );
        // Volume fees: a quote (no CPI), then a contribution by CPI from the floor's PDA,
        // paid from the token account it owns (the floor: the same PDA-signed relay
        // and transfer).
        b.row(
            &format!("quote_volume ({label})"),
            (quote_volume(&keys, 1_000_000), vec![]),
            empty(),
            "none",
        )
        .await;
        let fee = b.env.quote_volume(&keys, 1_000_000).await.fee;
        let volume = contribute_volume(
            &floor_authority,
            &keys,
            &registration,
            &floor_vault,
            None,
            1_000_000,
            u64::MAX,
        );
        let floor = Floor::default().pda_transfer(floor_vault, mint, sink, program);
        let before = b.env.balance(keys.vault).await;
        b.inner_row(
            &format!("contribute_volume ({label}, by CPI)"),
            (Floor::default().relay(&volume).ix(), vec![]),
            insurance_pool::ID,
            (floor.ix(), vec![]),
            "TransferChecked (signer by CPI)",
        )
        .await;
        assert_eq!(
            b.env.balance(keys.vault).await - before,
            fee,
            "the fee landed"
        );
        b.row(
            &format!("deactivate_exchange ({label})"),
            (deactivate_exchange(&a, &registration), vec![&authority]),
            empty(),
            "none",
        )
        .await;
        conserved(&mut b.env, &keys).await;
    }

    let rent = b.env.ctx.banks_client.get_rent().await.expect("rent");
    let exchange_so = sbf_out_dir().join("example_exchange.so");
    let binaries = [&so, &exchange_so, &floor_so]
        .into_iter()
        .map(|path| {
            let len = std::fs::metadata(path).expect("so").len();
            // Upgradeable loader: ProgramData = 45-byte header + the ELF; Program = 36 bytes.
            let lamports = rent.minimum_balance(45 + len as usize) + rent.minimum_balance(36);
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
            (name.to_string(), len, lamports)
        })
        .collect();
    Report {
        rows: b.rows,
        binaries,
    }
}

/// Binaries whose size has a budget (the deployable programs).
pub const BUDGETED_BINARIES: [&str; 2] = ["insurance_pool.so", "example_exchange.so"];

/// Committed budgets: the most compute units each row may consume and the most bytes
/// each deployable binary may have, read from a `name<TAB>limit` file
/// (`xtask/cu-budgets.tsv`; `#` starts a comment). A budget is the measurement it was
/// set from plus 2 % for compute units and 1 % for sizes, rounded up
/// ([`Budgets::from_report`]): room for an unrelated change of a few instructions,
/// none for a regression.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Budgets(pub BTreeMap<String, u64>);

impl Budgets {
    /// The committed budget file.
    pub fn path() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("cu-budgets.tsv")
    }

    /// The measurements before issue 16's levers (same format), for the README's
    /// "before" column.
    pub fn baseline_path() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("cu-baseline.tsv")
    }

    /// Reads a `name<TAB>limit` file.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut map = BTreeMap::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (name, limit) = line
                .split_once('\t')
                .ok_or_else(|| format!("{}:{}: expected name<TAB>limit", path.display(), n + 1))?;
            let limit = limit
                .trim()
                .parse()
                .map_err(|e| format!("{}:{}: {e}", path.display(), n + 1))?;
            map.insert(name.to_string(), limit);
        }
        Ok(Self(map))
    }

    /// Budgets set from `report`: CU + 2 % rounded up to 100, sizes + 1 % rounded up
    /// to 1,000 bytes.
    pub fn from_report(report: &Report) -> Self {
        let mut map = BTreeMap::new();
        for r in &report.rows {
            map.insert(r.name.clone(), (r.cu + r.cu / 50).div_ceil(100) * 100);
        }
        for (name, bytes, _) in &report.binaries {
            if BUDGETED_BINARIES.contains(&name.as_str()) {
                map.insert(name.clone(), (bytes + bytes / 100).div_ceil(1000) * 1000);
            }
        }
        Self(map)
    }

    /// Measurements of `report` in the same format (no margin): the baseline file.
    pub fn exact(report: &Report) -> Self {
        let mut map: BTreeMap<String, u64> =
            report.rows.iter().map(|r| (r.name.clone(), r.cu)).collect();
        for (name, bytes, _) in &report.binaries {
            map.insert(name.clone(), *bytes);
        }
        Self(map)
    }

    /// The file text of these budgets, with a header saying how they were made.
    pub fn to_file(&self, header: &str) -> String {
        let mut out = String::new();
        for line in header.lines() {
            out.push_str(&format!("# {line}\n"));
        }
        for (name, limit) in &self.0 {
            out.push_str(&format!("{name}\t{limit}\n"));
        }
        out
    }

    /// Every way `report` breaks these budgets: a row or binary above its budget, a
    /// row without one, a budget no row measured (renamed or removed instructions must
    /// update the file). Empty when all hold.
    pub fn violations(&self, report: &Report) -> Vec<String> {
        let mut out = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        let measured = report.rows.iter().map(|r| (r.name.as_str(), r.cu)).chain(
            report
                .binaries
                .iter()
                .filter(|(n, _, _)| BUDGETED_BINARIES.contains(&n.as_str()))
                .map(|(n, b, _)| (n.as_str(), *b)),
        );
        for (name, value) in measured {
            seen.insert(name.to_string());
            match self.0.get(name) {
                Some(&limit) if value > limit => {
                    out.push(format!("`{name}`: {value} > budget {limit}"))
                }
                Some(_) => {}
                None => out.push(format!("`{name}`: {value}, no budget")),
            }
        }
        for name in self.0.keys().filter(|n| !seen.contains(*n)) {
            out.push(format!("`{name}`: budget but not measured"));
        }
        out
    }
}

/// The README's Markdown tables: every row with its floor, the baseline ("before"),
/// the measurement ("after"), the ratio to the floor and the budget; then the binaries.
pub fn markdown(report: &Report, baseline: &Budgets, budgets: &Budgets) -> String {
    let cell = |m: &Budgets, name: &str| m.0.get(name).map_or("-".into(), |v| v.to_string());
    let mut out = String::from(
        "| instruction | floor CU | before | after | after / floor | budget | floor performs |\n\
         |---|---:|---:|---:|---:|---:|---|\n",
    );
    for r in &report.rows {
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {:.1}x | {} | {} |\n",
            r.name,
            r.floor,
            cell(baseline, &r.name),
            r.cu,
            r.cu as f64 / r.floor.max(1) as f64,
            cell(budgets, &r.name),
            r.cpis
        ));
    }
    out.push_str(
        "\n| binary | before (bytes) | after (bytes) | budget | rent to deploy (ProgramData + program account) |\n\
         |---|---:|---:|---:|---:|\n",
    );
    for (name, bytes, lamports) in &report.binaries {
        out.push_str(&format!(
            "| `{name}` | {} | {bytes} | {} | {:.4} SOL |\n",
            cell(baseline, name),
            cell(budgets, name),
            *lamports as f64 / 1e9
        ));
    }
    out
}

/// Where one instruction's compute units go, read from a run of the binary built with
/// the `cu-probes` feature (a `sol_log_compute_units` before and after the handler;
/// `scripts/cu-breakdown.sh`). Each probe's own 100 CU are taken out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Breakdown {
    pub name: String,
    /// From the program's invocation to the handler: the entrypoint's input parsing,
    /// Anchor's dispatch, instruction-data decoding, account checks (`try_accounts`:
    /// owners, discriminators, `has_one`, constraints) and `validate`.
    pub entry: u64,
    /// The handler, its CPIs and its event included.
    pub handler: u64,
    /// Part of `handler` spent inside the programs it invoked (token, system).
    pub inner: u64,
    /// After the handler: Anchor's `exit` of every account, return data, the return.
    pub exit: u64,
}

impl Breakdown {
    pub fn total(&self) -> u64 {
        self.entry + self.handler + self.exit
    }
}

/// Cost of one `sol_log_compute_units` probe.
const PROBE_CU: u64 = 100;

/// The [`Breakdown`] of a row measured on the probed binary, from its logs: the
/// insurance program's frame (`invoke`, its two `Program consumption` lines, its
/// `consumed N of M` line) and the `consumed` lines of the frames it invoked.
pub fn breakdown(row: &Row) -> Option<Breakdown> {
    let ours = insurance_pool::ID.to_string();
    let mut stack: Vec<String> = Vec::new();
    let (mut probes, mut inner, mut consumed) = (Vec::new(), 0u64, None);
    for line in &row.logs {
        let Some(rest) = line.strip_prefix("Program ") else {
            continue;
        };
        if let Some(remaining) = rest.strip_prefix("consumption: ") {
            if stack.last() == Some(&ours) {
                probes.push(remaining.split(' ').next()?.parse::<u64>().ok()?);
            }
            continue;
        }
        let mut words = rest.split(' ');
        let (program, verb) = (words.next()?.to_string(), words.next().unwrap_or(""));
        match verb {
            "invoke" => stack.push(program),
            "consumed" => {
                let used: u64 = words.next()?.parse().ok()?;
                let budget: u64 = words.nth(1)?.parse().ok()?;
                if program == ours {
                    consumed = Some((used, budget));
                } else if stack.len() >= 2 && stack[stack.len() - 2] == ours {
                    inner += used;
                }
            }
            "success" | "failed:" => {
                stack.pop();
            }
            _ => {}
        }
    }
    let (used, budget) = consumed?;
    let [first, second] = probes[..] else {
        return None;
    };
    Some(Breakdown {
        name: row.name.clone(),
        entry: budget.checked_sub(first)?.checked_sub(PROBE_CU)?,
        handler: first.checked_sub(second)?.checked_sub(PROBE_CU)?,
        inner,
        exit: used.checked_sub(budget.checked_sub(second)?)?,
    })
}

/// The README's breakdown table: for every row of `real` (the deployable binary), its
/// compute units, the floor, and where the probed binary's compute units go.
pub fn breakdown_markdown(real: &Report, probed: &Report) -> String {
    let mut out = String::from(
        "| instruction | total | floor | entry + accounts + `validate` | handler | of which inner programs | handler without them | exit |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for row in &real.rows {
        let Some(b) = probed
            .rows
            .iter()
            .find(|p| p.name == row.name)
            .and_then(breakdown)
        else {
            out.push_str(&format!(
                "| `{}` | {} | {} | - | - | - | - | - |\n",
                row.name, row.cu, row.floor
            ));
            continue;
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {} | {} |\n",
            row.name,
            row.cu,
            row.floor,
            b.entry,
            b.handler,
            b.inner,
            b.handler - b.inner.min(b.handler),
            b.exit
        ));
    }
    out
}

#[cfg(test)]
mod breakdown_tests {
    use super::*;

    #[test]
    fn reads_the_probes_of_the_insurance_frame_only() {
        let ours = insurance_pool::ID;
        let token = anchor_spl::token::ID;
        let logs = [
            format!("Program {FLOOR} invoke [1]"),
            format!("Program {ours} invoke [2]"),
            "Program consumption: 190000 units remaining".to_string(),
            format!("Program {token} invoke [3]"),
            "Program consumption: 1 units remaining".to_string(),
            format!("Program {token} consumed 105 of 189000 compute units"),
            format!("Program {token} success"),
            "Program consumption: 185000 units remaining".to_string(),
            format!("Program {ours} consumed 9000 of 193000 compute units"),
            format!("Program {ours} success"),
            format!("Program {FLOOR} consumed 20000 of 200000 compute units"),
            format!("Program {FLOOR} success"),
        ];
        let row = Row {
            name: "x".into(),
            cu: 0,
            floor: 0,
            cpis: "",
            logs: logs.to_vec(),
        };
        let b = breakdown(&row).expect("breakdown");
        assert_eq!(
            (b.entry, b.handler, b.inner, b.exit),
            (
                193_000 - 190_000 - 100,
                190_000 - 185_000 - 100,
                105,
                9_000 - 8_000
            )
        );
        assert_eq!(b.total(), 9_000 - 200);
        let unprobed = Row {
            logs: logs[..2].to_vec(),
            ..row
        };
        assert_eq!(breakdown(&unprobed), None);
    }
}
