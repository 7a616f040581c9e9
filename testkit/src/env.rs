//! [`TestEnv`]: one bank with the protocol initialised, plus everything tests do with
//! it: send transactions, assert refusals (named error AND nothing changed), tokens,
//! clock, events, and the conservation check.

use std::collections::HashSet;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{AccountDeserialize, AnchorDeserialize, Discriminator};
use anchor_spl::token_2022::spl_token_2022;
use solana_account::{Account, AccountSharedData};
use solana_clock::Clock;
use solana_keypair::Keypair;
use solana_program_test::ProgramTestContext;
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;
use spl_token_2022::extension::ExtensionType;

use insurance_pool::state::{Pool, PoolParams, PremiumQuote, Underwriter, VolumeQuote};

use crate::runtime::{self, Runtime};
use insurance_pool_sdk::ix::{self, PoolKeys};

pub use anchor_spl::token::ID as TOKEN;
pub use anchor_spl::token_2022::ID as TOKEN_2022;
pub use solana_instruction::error::InstructionError;

/// Deposit lock of `default_params` (one 30-day coverage term): how long a test waits
/// after its deposits before requesting a withdrawal.
pub const DEPOSIT_LOCK: i64 = 30 * 86_400;
/// Activation delay of `default_params` (30-day lock + a request waiting for 30-day
/// cover and its expiry day + 1-day margin: `PoolParams::exit_horizon`).
pub const ACTIVATION_DELAY: i64 = 62 * 86_400;

/// Bytes of a ProgramData account's header (the ELF follows).
const PROGRAM_DATA_HEADER: usize = 45;

/// Decimals of the mints tests create.
pub const DECIMALS: u8 = 6;
/// Lamports every new test user starts with (fees and rent of its accounts).
const USER_LAMPORTS: u64 = 1_000_000_000;

/// Error code of a program or Anchor error, as it appears in `InstructionError::Custom`.
pub fn code(error: impl Into<u32>) -> u32 {
    error.into()
}

/// A wallet with a token account of one pool's mint.
pub struct User {
    pub key: Keypair,
    pub token: Pubkey,
}

impl User {
    pub fn pubkey(&self) -> Pubkey {
        self.key.pubkey()
    }

    /// A copy (same key and token account) to use while the original is borrowed.
    pub fn insecure_clone(&self) -> User {
        User {
            key: self.key.insecure_clone(),
            token: self.token,
        }
    }
}

/// What a successful transaction left behind.
#[derive(Debug)]
pub struct Outcome {
    pub logs: Vec<String>,
    pub compute_units: u64,
    pub runtime: Runtime,
    /// Return data the transaction's last instruction set, if any.
    pub return_data: Option<Vec<u8>>,
}

impl Outcome {
    /// Every event of type `E` found in the transaction's logs, in order.
    pub fn events<E: AnchorDeserialize + Discriminator>(&self) -> Vec<E> {
        insurance_pool_sdk::logs::logged_events(&self.logs)
    }

    /// The single event of type `E` the transaction emitted. Anchor's `emit!` is a
    /// no-op off-chain (anchor-lang 1.2.2 compiles `sol_log_data` away on the host),
    /// so natively this returns `None`; on the SBF binary it asserts the event exists.
    pub fn event<E: AnchorDeserialize + Discriminator>(&self) -> Option<E> {
        let mut events = self.events::<E>();
        match self.runtime {
            Runtime::Native => events.pop(),
            Runtime::Sbf => {
                assert_eq!(
                    events.len(),
                    1,
                    "expected exactly one event; logs: {:#?}",
                    self.logs
                );
                events.pop()
            }
        }
    }
}

/// A running bank with the insurance pool program and an initialised protocol.
pub struct TestEnv {
    pub ctx: ProgramTestContext,
    pub authority: Keypair,
    pub guardian: Keypair,
    pub runtime: Runtime,
    sent: HashSet<solana_transaction::Signature>,
}

impl TestEnv {
    /// A fresh bank with `initialize_protocol` already run.
    pub async fn new() -> Self {
        Self::with_runtime(runtime::selected_runtime()).await
    }

    /// [`Self::new`] on a given runtime.
    pub async fn with_runtime(runtime: Runtime) -> Self {
        let mut env = Self::uninitialized_with(runtime, &[]).await;
        let payer = env.payer();
        let ix = ix::initialize_protocol(
            &payer,
            &payer,
            env.authority.pubkey(),
            env.guardian.pubkey(),
        );
        env.ok(&[ix], &[]).await;
        env
    }

    /// A fresh bank where the protocol singleton does not exist yet.
    pub async fn uninitialized() -> Self {
        Self::uninitialized_with(runtime::selected_runtime(), &[]).await
    }

    /// [`Self::uninitialized`] on a given runtime, with `extra` SBF programs loaded.
    pub async fn uninitialized_with(runtime: Runtime, extra: &[(&'static str, Pubkey)]) -> Self {
        let ctx = runtime::start_with(runtime, extra).await;
        let mut env = Self {
            ctx,
            authority: Keypair::new(),
            guardian: Keypair::new(),
            runtime,
            sent: HashSet::new(),
        };
        let payer = env.payer();
        env.set_upgrade_authority(Some(payer)).await;
        env
    }

    /// Makes `authority` the insurance program's upgrade authority: writes the header
    /// of its ProgramData account (creating the account when the runtime loaded the
    /// program without one, as the native builtin is), keeping any ELF after it.
    pub async fn set_upgrade_authority(&mut self, authority: Option<Pubkey>) {
        let address = insurance_pool::pda::program_data();
        let loader = anchor_lang::solana_program::bpf_loader_upgradeable::ID;
        let mut account = match self.account(address).await {
            Some(a) if a.owner == loader && a.data.len() >= PROGRAM_DATA_HEADER => a,
            _ => Account {
                lamports: 1_000_000_000,
                data: vec![0; PROGRAM_DATA_HEADER],
                owner: loader,
                executable: false,
                rent_epoch: 0,
            },
        };
        // bincode UpgradeableLoaderState::ProgramData { slot, upgrade_authority_address }.
        account.data[0..4].copy_from_slice(&3u32.to_le_bytes());
        match authority {
            Some(key) => {
                account.data[12] = 1;
                account.data[13..45].copy_from_slice(key.as_ref());
            }
            None => {
                account.data[12] = 0;
                account.data[13..45].fill(0);
            }
        }
        self.ctx
            .set_account(&address, &AccountSharedData::from(account));
    }

    /// The fee payer of every transaction (also mint authority of every test mint).
    pub fn payer(&self) -> Pubkey {
        self.ctx.payer.pubkey()
    }

    // ---- transactions ----------------------------------------------------------------

    /// Signs with the payer and `signers` and processes the transaction.
    pub async fn send(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<Outcome, (TransactionError, Vec<String>)> {
        let payer = self.ctx.payer.insecure_clone();
        let mut all: Vec<&Keypair> = vec![&payer];
        all.extend(
            signers
                .iter()
                .copied()
                .filter(|k| k.pubkey() != payer.pubkey()),
        );
        let mut tx = Transaction::new_with_payer(ixs, Some(&payer.pubkey()));
        tx.sign(&all, self.ctx.last_blockhash);
        if !self.sent.insert(tx.signatures[0]) {
            // The same transaction again (e.g. a retried refusal): move to a new
            // blockhash so the bank does not drop it as already processed.
            self.advance_slot().await;
            tx.sign(&all, self.ctx.last_blockhash);
            self.sent.insert(tx.signatures[0]);
        }
        let result = self
            .ctx
            .banks_client
            .process_transaction_with_metadata(tx)
            .await
            .expect("banks client reachable");
        let meta = result
            .metadata
            .map(|m| {
                (
                    m.log_messages,
                    m.compute_units_consumed,
                    m.return_data.map(|r| r.data),
                )
            })
            .unwrap_or_default();
        match result.result {
            Ok(()) => Ok(Outcome {
                logs: meta.0,
                compute_units: meta.1,
                runtime: self.runtime,
                return_data: meta.2,
            }),
            Err(err) => Err((err, meta.0)),
        }
    }

    /// Sends and panics (with the program logs) unless the transaction succeeds.
    pub async fn ok(&mut self, ixs: &[Instruction], signers: &[&Keypair]) -> Outcome {
        match self.send(ixs, signers).await {
            Ok(outcome) => outcome,
            Err((err, logs)) => panic!("transaction failed: {err:?}\nlogs: {logs:#?}"),
        }
    }

    /// Sends a transaction that must fail with custom error `expected` (a program or
    /// Anchor error code, see [`code`]), and asserts that no account it names, other
    /// than the fee payer, changed in any way.
    pub async fn refused(&mut self, ixs: &[Instruction], signers: &[&Keypair], expected: u32) {
        self.refused_with(ixs, signers, InstructionError::Custom(expected))
            .await
    }

    /// Like [`Self::refused`] for any instruction error (e.g. a signature or token
    /// program error).
    pub async fn refused_with(
        &mut self,
        ixs: &[Instruction],
        signers: &[&Keypair],
        expected: InstructionError,
    ) {
        let payer = self.payer();
        let mut keys: Vec<Pubkey> = ixs
            .iter()
            .flat_map(|ix| ix.accounts.iter().map(|m| m.pubkey))
            .filter(|k| *k != payer)
            .collect();
        keys.sort();
        keys.dedup();
        let before = self.snapshot(&keys).await;
        match self.send(ixs, signers).await {
            Ok(outcome) => panic!(
                "expected {expected:?} but the transaction succeeded; logs: {:#?}",
                outcome.logs
            ),
            Err((TransactionError::InstructionError(_, err), logs)) => {
                let name = |e: &InstructionError| match e {
                    InstructionError::Custom(c) => insurance_pool_sdk::errors::decode(*c)
                        .map_or_else(|| format!("Custom({c})"), |d| d.to_string()),
                    other => format!("{other:?}"),
                };
                assert_eq!(
                    err,
                    expected,
                    "wrong error: got {}, expected {}; logs: {logs:#?}",
                    name(&err),
                    name(&expected)
                )
            }
            Err((err, logs)) => panic!("expected {expected:?}, got {err:?}; logs: {logs:#?}"),
        }
        let after = self.snapshot(&keys).await;
        for ((key, b), a) in keys.iter().zip(&before).zip(&after) {
            assert_eq!(
                b, a,
                "account {key} changed although the transaction failed"
            );
        }
    }

    /// Moves the bank to the next slot (new blockhash), keeping the clock's time.
    pub async fn advance_slot(&mut self) {
        self.warp(0).await;
    }

    /// Runs `quote_premium` and decodes its return data.
    pub async fn quote(
        &mut self,
        pool: &PoolKeys,
        member: Option<Pubkey>,
        notional: u64,
    ) -> PremiumQuote {
        let out = self
            .ok(&[ix::quote_premium(pool, member, notional)], &[])
            .await;
        let data = out.return_data.expect("quote_premium sets return data");
        PremiumQuote::deserialize(&mut data.as_slice()).expect("quote decodes")
    }

    /// `who` requests the withdrawal of all its shares.
    pub async fn request_all(&mut self, pool: &PoolKeys, who: &User) {
        let shares = self.underwriter(pool, &who.pubkey()).await.shares.get();
        let ix = ix::request_withdrawal(&who.pubkey(), pool, shares);
        self.ok(&[ix], &[&who.key]).await;
    }

    /// `who` completes its pending withdrawal into its token account; returns what it
    /// received.
    pub async fn complete(&mut self, pool: &PoolKeys, who: &User) -> u64 {
        let before = self.balance(who.token).await;
        let ix = ix::complete_withdrawal(&who.pubkey(), pool, &who.token);
        self.ok(&[ix], &[&who.key]).await;
        self.balance(who.token).await - before
    }

    /// Runs `quote_volume` and decodes its return data.
    pub async fn quote_volume(&mut self, pool: &PoolKeys, volume: u64) -> VolumeQuote {
        let out = self.ok(&[ix::quote_volume(pool, volume)], &[]).await;
        let data = out.return_data.expect("quote_volume sets return data");
        VolumeQuote::deserialize(&mut data.as_slice()).expect("quote decodes")
    }

    // ---- accounts ----------------------------------------------------------------------

    /// Raw account, if it exists.
    pub async fn account(&mut self, key: Pubkey) -> Option<Account> {
        self.ctx
            .banks_client
            .get_account(key)
            .await
            .expect("get_account")
    }

    /// Raw state of each of `keys`, for before/after comparisons.
    pub async fn snapshot(&mut self, keys: &[Pubkey]) -> Vec<Option<Account>> {
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            out.push(self.account(*key).await);
        }
        out
    }

    /// Decodes an Anchor account (discriminator checked).
    pub async fn fetch<T: AccountDeserialize>(&mut self, key: Pubkey) -> T {
        let account = self
            .account(key)
            .await
            .unwrap_or_else(|| panic!("{key} missing"));
        T::try_deserialize(&mut account.data.as_slice()).expect("account decodes")
    }

    pub async fn pool(&mut self, keys: &PoolKeys) -> Pool {
        self.fetch(keys.pool).await
    }

    /// The pool as the program sees it now: pending parameters due on its exit clock
    /// applied and the premium earned so far moved into capital (what the next
    /// instruction that prices shares computes first).
    pub async fn pool_now(&mut self, keys: &PoolKeys) -> Pool {
        let pool = self.pool(keys).await;
        let protocol: insurance_pool::state::Protocol = self
            .fetch(insurance_pool::constants::PROTOCOL_ADDRESS)
            .await;
        let now = self.now().await;
        let exposure: insurance_pool::state::PoolExposure = self.fetch(keys.exposure).await;
        *pool
            .projected(&protocol, &exposure.earnings, now)
            .expect("earn")
    }

    /// The pool's exposure book (its own zero-copy account).
    pub async fn exposure(&mut self, keys: &PoolKeys) -> insurance_pool::math::ExposureBook {
        let account: insurance_pool::state::PoolExposure = self.fetch(keys.exposure).await;
        account.book
    }

    pub async fn underwriter(&mut self, keys: &PoolKeys, owner: &Pubkey) -> Underwriter {
        self.fetch(keys.underwriter(owner)).await
    }

    // ---- clock -------------------------------------------------------------------------

    pub async fn clock(&mut self) -> Clock {
        self.ctx
            .banks_client
            .get_sysvar::<Clock>()
            .await
            .expect("clock")
    }

    /// Current unix time of the bank.
    pub async fn now(&mut self) -> i64 {
        self.clock().await.unix_timestamp
    }

    /// Moves to the next slot and advances the clock by `seconds`.
    pub async fn warp(&mut self, seconds: i64) {
        let clock = self.clock().await;
        let slot = clock.slot + 1;
        self.ctx.warp_to_slot(slot).expect("warp");
        self.ctx.set_sysvar(&Clock {
            slot,
            unix_timestamp: clock.unix_timestamp + seconds,
            ..clock
        });
    }

    /// Moves the clock to unix time `at` in a new slot (panics if `at` is in the past).
    pub async fn warp_to(&mut self, at: i64) {
        let now = self.now().await;
        assert!(at >= now, "cannot warp back from {now} to {at}");
        self.warp(at - now).await;
    }

    /// The pool's exit clock now: wall time less every second its withdrawals were paused
    /// or refused while claims voted. Activation times (registrations, parameters) and
    /// withdrawal windows are on it.
    pub async fn exit_clock(&mut self, pool: &PoolKeys) -> i64 {
        let p = self.pool(pool).await;
        let protocol: insurance_pool::state::Protocol = self
            .fetch(insurance_pool::constants::PROTOCOL_ADDRESS)
            .await;
        let now = self.now().await;
        p.exit_clock(&protocol, now)
    }

    /// Moves time until the pool's exit clock reads `at` (no move if it already does).
    /// Panics if the clock stands still (claims voting, withdrawals paused): waiting
    /// would never get there.
    pub async fn warp_exit_clock_to(&mut self, pool: &PoolKeys, at: i64) {
        let clock = self.exit_clock(pool).await;
        if clock >= at {
            return;
        }
        self.warp(at - clock).await;
        let reached = self.exit_clock(pool).await;
        assert!(
            reached >= at,
            "the exit clock stands still (claims voting or withdrawals paused): {reached} < {at}"
        );
    }

    /// Waits until every share staked in `pool` so far is seasoned, so that a claim
    /// filed now is voted on by every position's free shares. This is the program's
    /// rule as written ([`insurance_pool::math::stake`]): shares season at the start of
    /// the second stake period after their staking, between `min_stake_age` and
    /// `2 · min_stake_age` later depending on where in its period the stake fell. Waits
    /// nothing when nothing is young; returns the seconds waited.
    pub async fn season(&mut self, pool: &PoolKeys) -> i64 {
        let p = self.pool(pool).await;
        let now = self.now().await;
        let seasoned = p
            .young_shares
            .seasoned_at(p.params.governance.min_stake_age)
            .unwrap_or(now);
        let wait = seasoned.saturating_sub(now).max(0);
        self.warp(wait).await;
        wait
    }

    // ---- tokens ------------------------------------------------------------------------

    /// New mint owned by `token_program`, `DECIMALS` decimals, payer as mint authority.
    pub async fn create_mint(&mut self, token_program: Pubkey) -> Pubkey {
        self.create_mint_with(token_program, &[], |_| vec![]).await
    }

    /// [`Self::create_mint`] at a chosen address (the benchmark uses fixed keys so that
    /// PDA bump searches over the mint, and so compute units, repeat on every run).
    pub async fn create_mint_at(&mut self, token_program: Pubkey, mint: Keypair) -> Pubkey {
        self.create_mint_keyed(mint, token_program, &[], |_| vec![])
            .await
    }

    /// New mint with Token-2022 `extensions`; `init_extensions(mint)` returns the
    /// instructions that initialise them (they must run before `initialize_mint2`).
    pub async fn create_mint_with(
        &mut self,
        token_program: Pubkey,
        extensions: &[ExtensionType],
        init_extensions: impl FnOnce(&Pubkey) -> Vec<Instruction>,
    ) -> Pubkey {
        self.create_mint_keyed(Keypair::new(), token_program, extensions, init_extensions)
            .await
    }

    async fn create_mint_keyed(
        &mut self,
        mint: Keypair,
        token_program: Pubkey,
        extensions: &[ExtensionType],
        init_extensions: impl FnOnce(&Pubkey) -> Vec<Instruction>,
    ) -> Pubkey {
        let space =
            ExtensionType::try_calculate_account_len::<spl_token_2022::state::Mint>(extensions)
                .expect("mint size");
        let mut ixs = vec![
            self.create_account_ix(&mint.pubkey(), space, &token_program)
                .await,
        ];
        ixs.extend(init_extensions(&mint.pubkey()));
        ixs.push(
            spl_token_2022::instruction::initialize_mint2(
                &token_program,
                &mint.pubkey(),
                &self.payer(),
                None,
                DECIMALS,
            )
            .expect("initialize_mint2"),
        );
        self.ok(&ixs, &[&mint]).await;
        mint.pubkey()
    }

    async fn create_account_ix(
        &mut self,
        key: &Pubkey,
        space: usize,
        owner: &Pubkey,
    ) -> Instruction {
        let rent = self.ctx.banks_client.get_rent().await.expect("rent");
        solana_system_interface::instruction::create_account(
            &self.payer(),
            key,
            rent.minimum_balance(space),
            space as u64,
            owner,
        )
    }

    /// New token account of `mint` owned by `owner`.
    pub async fn create_token_account(
        &mut self,
        mint: &Pubkey,
        owner: &Pubkey,
        token_program: &Pubkey,
    ) -> Pubkey {
        let account = Keypair::new();
        let space = if *token_program == TOKEN {
            165
        } else {
            // Token-2022 accounts carry ImmutableOwner (and whatever the mint requires).
            ExtensionType::try_calculate_account_len::<spl_token_2022::state::Account>(&[
                ExtensionType::ImmutableOwner,
            ])
            .expect("account size")
        };
        let mut ixs = vec![
            self.create_account_ix(&account.pubkey(), space, token_program)
                .await,
        ];
        if *token_program == TOKEN_2022 {
            ixs.push(
                spl_token_2022::instruction::initialize_immutable_owner(
                    token_program,
                    &account.pubkey(),
                )
                .expect("immutable owner"),
            );
        }
        ixs.push(
            spl_token_2022::instruction::initialize_account3(
                token_program,
                &account.pubkey(),
                mint,
                owner,
            )
            .expect("initialize_account3"),
        );
        self.ok(&ixs, &[&account]).await;
        account.pubkey()
    }

    /// `owner`'s associated token account of `mint` (created by the associated token
    /// program, idempotently): where claim payouts and bond returns must go.
    pub async fn create_associated_token_account(
        &mut self,
        mint: &Pubkey,
        owner: &Pubkey,
        token_program: &Pubkey,
    ) -> Pubkey {
        use anchor_lang::solana_program::instruction::AccountMeta;
        let ata = insurance_pool::pda::associated_token(owner, mint, token_program);
        let ix = Instruction {
            program_id: insurance_pool::constants::ASSOCIATED_TOKEN_PROGRAM,
            accounts: vec![
                AccountMeta::new(self.payer(), true),
                AccountMeta::new(ata, false),
                AccountMeta::new_readonly(*owner, false),
                AccountMeta::new_readonly(*mint, false),
                AccountMeta::new_readonly(anchor_lang::system_program::ID, false),
                AccountMeta::new_readonly(*token_program, false),
            ],
            data: vec![1], // CreateIdempotent
        };
        self.ok(&[ix], &[]).await;
        ata
    }

    /// Mints `amount` of `mint` into `account` (payer is every test mint's authority).
    pub async fn mint_to(
        &mut self,
        mint: &Pubkey,
        token_program: &Pubkey,
        account: &Pubkey,
        amount: u64,
    ) {
        let payer = self.payer();
        let ix =
            spl_token_2022::instruction::mint_to(token_program, mint, account, &payer, &[], amount)
                .expect("mint_to");
        self.ok(&[ix], &[]).await;
    }

    /// Plain token transfer signed by `owner` (e.g. a donation straight to a vault).
    pub async fn transfer_tokens(
        &mut self,
        owner: &Keypair,
        pool: &PoolKeys,
        from: &Pubkey,
        to: &Pubkey,
        amount: u64,
    ) {
        #[allow(deprecated)]
        let ix = spl_token_2022::instruction::transfer_checked(
            &pool.token_program,
            from,
            &pool.mint,
            to,
            &owner.pubkey(),
            &[],
            amount,
            DECIMALS,
        )
        .expect("transfer_checked");
        self.ok(&[ix], &[owner]).await;
    }

    /// Token amount of a token account (SPL Token or Token-2022).
    pub async fn balance(&mut self, account: Pubkey) -> u64 {
        let data = self
            .account(account)
            .await
            .expect("token account exists")
            .data;
        u64::from_le_bytes(data[64..72].try_into().expect("amount bytes"))
    }

    /// A new funded wallet holding `tokens` of the pool's mint.
    pub async fn user(&mut self, pool: &PoolKeys, tokens: u64) -> User {
        self.user_with_key(Keypair::new(), pool, tokens).await
    }

    /// [`Self::user`] with a chosen key (the benchmark uses fixed keys so that PDA bump
    /// searches, and so compute units, are the same on every run).
    pub async fn user_with_key(&mut self, key: Keypair, pool: &PoolKeys, tokens: u64) -> User {
        let fund = solana_system_interface::instruction::transfer(
            &self.payer(),
            &key.pubkey(),
            USER_LAMPORTS,
        );
        self.ok(&[fund], &[]).await;
        let token = self
            .create_associated_token_account(&pool.mint, &key.pubkey(), &pool.token_program)
            .await;
        if tokens > 0 {
            self.mint_to(&pool.mint, &pool.token_program, &token, tokens)
                .await;
        }
        User { key, token }
    }

    // ---- pools -------------------------------------------------------------------------

    /// Creates a pool for a new market on a new mint of `token_program`.
    pub async fn create_pool(&mut self, token_program: Pubkey) -> PoolKeys {
        self.create_pool_with_params(token_program, crate::params::default_params())
            .await
    }

    pub async fn create_pool_with_params(
        &mut self,
        token_program: Pubkey,
        params: PoolParams,
    ) -> PoolKeys {
        let mint = self.create_mint(token_program).await;
        self.create_pool_for_mint(mint, token_program, params).await
    }

    /// Creates a pool for a new market on an existing `mint`.
    pub async fn create_pool_for_mint(
        &mut self,
        mint: Pubkey,
        token_program: Pubkey,
        params: PoolParams,
    ) -> PoolKeys {
        self.create_pool_at(Keypair::new().pubkey(), mint, token_program, params)
            .await
    }

    /// Creates the pool of `market` on `mint`.
    pub async fn create_pool_at(
        &mut self,
        market: Pubkey,
        mint: Pubkey,
        token_program: Pubkey,
        params: PoolParams,
    ) -> PoolKeys {
        let keys = PoolKeys::new(market, mint, token_program);
        let authority = self.authority.insecure_clone();
        let ix = ix::create_pool(&self.payer(), &authority.pubkey(), &keys, params);
        self.ok(&[ix], &[&authority]).await;
        self.assert_conserved(&keys).await;
        keys
    }

    /// `user` deposits `amount` (no slippage bound); returns the shares minted.
    pub async fn deposit(&mut self, user: &User, pool: &PoolKeys, amount: u64) -> u128 {
        self.deposit_with_surplus(user, pool, amount, 0).await
    }

    /// [`Self::deposit`] for a pool whose vault holds `surplus` donated tokens.
    pub async fn deposit_with_surplus(
        &mut self,
        user: &User,
        pool: &PoolKeys,
        amount: u64,
        surplus: u64,
    ) -> u128 {
        let before = self.pool(pool).await.total_shares;
        let ix = ix::deposit(&user.pubkey(), pool, &user.token, amount, 0);
        self.ok(&[ix], &[&user.key]).await;
        self.assert_conserved_with_surplus(pool, surplus).await;
        self.pool(pool).await.total_shares.get() - before.get()
    }

    // ---- invariants --------------------------------------------------------------------

    /// Conservation: the vault holds exactly the pool's accounted capital plus its
    /// unearned premiums; and approved claims stay covered by capital.
    pub async fn assert_conserved(&mut self, pool: &PoolKeys) {
        self.assert_conserved_with_surplus(pool, 0).await
    }

    /// Conservation when `surplus` tokens were sent to the vault outside the program
    /// (donations are not capital). Also checks the bond escrow holds exactly the
    /// bonds the pool records.
    pub async fn assert_conserved_with_surplus(&mut self, pool: &PoolKeys, surplus: u64) {
        let state = self.pool(pool).await;
        let vault = self.balance(pool.vault).await;
        assert_eq!(
            vault,
            state.capital + state.unearned_premiums + surplus,
            "conservation broken for pool {}: vault {vault}, capital {}, unearned {}, surplus {surplus}",
            pool.pool,
            state.capital,
            state.unearned_premiums
        );
        // No one escapes a known loss: capital always covers what approved claims
        // reserve, and exits are priced below free capital by every voting claim.
        assert!(
            state.capital >= state.reserved_for_claims,
            "pool {} reserves {} for claims but holds {}",
            pool.pool,
            state.reserved_for_claims,
            state.capital
        );
        assert_eq!(
            state.exit_capital(),
            state
                .capital
                .saturating_sub(state.reserved_for_claims)
                .saturating_sub(state.voting_claims)
        );
        let bonds = self.balance(pool.bond_vault).await;
        assert_eq!(
            bonds, state.bonds_held,
            "bond escrow of pool {} out of balance",
            pool.pool
        );
    }

    /// A loss outside any instruction (what a shortfall payout does, without an exchange): removes `amount`
    /// from the pool's capital and burns it from the vault, so every share loses value
    /// pro-rata and conservation still holds.
    pub async fn simulate_loss(&mut self, pool: &PoolKeys, amount: u64) {
        self.adjust_capital(pool, -(amount as i128)).await
    }

    /// Stands in for premium income until premiums exist: mints `amount` into the vault
    /// and adds it to the pool's capital.
    pub async fn simulate_gain(&mut self, pool: &PoolKeys, amount: u64) {
        self.adjust_capital(pool, amount as i128).await
    }

    /// Rewrites the pool's capital, the vault's balance and the mint's supply by
    /// `delta` together (test-only state surgery).
    async fn adjust_capital(&mut self, pool: &PoolKeys, delta: i128) {
        let shift = |bytes: &mut [u8]| {
            let v = u64::from_le_bytes(bytes[..8].try_into().expect("u64")) as i128 + delta;
            bytes[..8].copy_from_slice(&u64::try_from(v).expect("in range").to_le_bytes());
        };
        let mut state = self.pool(pool).await;
        state.capital = u64::try_from(state.capital as i128 + delta).expect("capital in range");
        let mut account = self.account(pool.pool).await.expect("pool");
        let data = insurance_pool_sdk::encode_zero_copy(&state);
        account.data[..data.len()].copy_from_slice(&data);
        self.ctx
            .set_account(&pool.pool, &AccountSharedData::from(account));

        let mut vault = self.account(pool.vault).await.expect("vault");
        shift(&mut vault.data[64..72]);
        self.ctx
            .set_account(&pool.vault, &AccountSharedData::from(vault));

        let mut mint = self.account(pool.mint).await.expect("mint");
        shift(&mut mint.data[36..44]);
        self.ctx
            .set_account(&pool.mint, &AccountSharedData::from(mint));
        self.assert_conserved(pool).await;
    }
}
