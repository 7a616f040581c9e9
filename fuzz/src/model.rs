//! The reference model: a second implementation of both programs' rules on plain
//! structs, run in lockstep with the SBF binaries.
//!
//! It holds the expected content of every account the fuzzed world has (protocol,
//! pools and their exposure books, underwriter and member positions, claims and vote
//! records, exchange registrations, the example exchange's markets, price feeds and
//! positions) and the expected balance of every token account. Each instruction is
//! re-implemented here from the rules the README and the program's doc comments state:
//! who may call it, in which state, in which order the checks apply (so which error a
//! refusal names), and what it changes. The harness then requires that the program
//! agrees: the same outcome, the same error name on a refusal, and byte-for-byte the
//! same accounts afterwards.
//!
//! What is shared rather than re-implemented, deliberately: the program's state types
//! (so accounts compare byte for byte) with their small pure helpers (`Pool::quote`,
//! `Pool::shares_for`, `Member::claimable`, `YoungShares`, the exposure and earning
//! books) and the `math/` functions. Those are the project's single source of
//! arithmetic (unit- and property-tested on their own, and shared with the SDK, the CLI
//! and the actuary); a broken formula there is caught by the harness's independent
//! invariants (conservation, exit, payout and rate bounds), a broken rule in an
//! instruction by disagreement with this model.
//!
//! Every method applies an instruction to the model and returns the refusal's error
//! name on failure; the caller restores its copy of the model on a refusal (an
//! instruction is all or nothing).

use std::collections::HashMap;

use anchor_lang::prelude::Pubkey;
use example_exchange::errors::ExchangeError;
use example_exchange::state::{Market, Position, PriceFeed};
use insurance_pool::constants::{pause, CLAIM_CANCEL_WINDOW, MAX_PROTOCOL_FEE_BPS};
use insurance_pool::errors::InsuranceError;
use insurance_pool::math::{
    bond_for, bps_of_floor, cover_amount, ewma, next_epoch, quorum_met, share_reached,
    solvency_floor, within_bps, PodShares, Shares,
};
use insurance_pool::state::{
    Claim, ClaimStatus, EvidenceUri, ExchangeLimits, ExchangeRegistration, Member, Pool,
    PoolExposure, PoolParams, PremiumQuote, Protocol, Underwriter, VolumeQuote, VoteRecord,
};
use insurance_pool_sdk::ix::PoolKeys;

/// A refusal: the error's name as the harness decodes it from the transaction.
pub type Refusal = String;
pub type R<T> = Result<T, Refusal>;

/// Anchor's error for a missing Borsh account (`Account<T>`): `AccountNotInitialized`
/// (3012).
pub const NOT_INITIALIZED: &str = "AccountNotInitialized";
/// Anchor's error for a missing zero-copy account (`AccountLoader<T>` checks the owner
/// first: the underwriter, member, claim and registration accounts):
/// `AccountOwnedByWrongProgram` (3007).
pub const NO_POSITION: &str = "AccountOwnedByWrongProgram";
/// SPL Token / Token-2022 refusing a transfer above the balance.
pub const INSUFFICIENT_FUNDS: &str = "token: InsufficientFunds";

fn ie(e: InsuranceError) -> Refusal {
    e.name()
}

fn xe(e: ExchangeError) -> Refusal {
    e.name()
}

/// The name of an error returned by a shared helper (math overflow and the like).
pub fn an(e: anchor_lang::error::Error) -> Refusal {
    match e {
        anchor_lang::error::Error::AnchorError(a) => a.error_name.clone(),
        anchor_lang::error::Error::ProgramError(p) => format!("{:?}", p.program_error),
    }
}

macro_rules! req {
    ($cond:expr, $err:expr) => {
        if !$cond {
            return Err($err);
        }
    };
}

/// One market of the insurance protocol as the model knows it.
#[derive(Clone, Debug)]
pub struct MPool {
    pub keys: PoolKeys,
    pub pool: Pool,
    pub exposure: PoolExposure,
}

/// One example-exchange market (an "exchange" of the issue) as the model knows it.
#[derive(Clone, Debug)]
pub struct MExchange {
    pub keys: insurance_pool_testkit::exchange_ix::ExchangeKeys,
    /// Index of its pool in [`Model::pools`].
    pub pool: usize,
    pub market: Market,
    pub feed: PriceFeed,
    /// Its registration on its pool (the address exists once registered).
    pub registration: Pubkey,
}

/// A map that can undo every change since the last [`Journal::commit`] (an instruction
/// is all or nothing; cloning the whole model per step would cost more than the step).
#[derive(Clone, Debug)]
pub struct Journal<K, V> {
    map: HashMap<K, V>,
    undo: Vec<(K, Option<V>)>,
}

impl<K: std::hash::Hash + Eq + Clone, V: Clone> Default for Journal<K, V> {
    fn default() -> Self {
        Journal {
            map: HashMap::new(),
            undo: Vec::new(),
        }
    }
}

impl<K: std::hash::Hash + Eq + Clone, V: Clone> Journal<K, V> {
    pub fn get(&self, k: &K) -> Option<&V> {
        self.map.get(k)
    }
    pub fn contains_key(&self, k: &K) -> bool {
        self.map.contains_key(k)
    }
    pub fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        let old = self.map.get(k)?.clone();
        self.undo.push((k.clone(), Some(old)));
        self.map.get_mut(k)
    }
    pub fn insert(&mut self, k: K, v: V) {
        let old = self.map.insert(k.clone(), v);
        self.undo.push((k, old));
    }
    pub fn get_or_insert_with(&mut self, k: K, f: impl FnOnce() -> V) -> &mut V {
        let old = self.map.get(&k).cloned();
        self.undo.push((k.clone(), old));
        self.map.entry(k).or_insert_with(f)
    }
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.map.iter()
    }
    pub fn len(&self) -> usize {
        self.map.len()
    }
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
    pub fn commit(&mut self) {
        self.undo.clear();
    }
    pub fn rollback(&mut self) {
        while let Some((k, old)) = self.undo.pop() {
            match old {
                Some(v) => {
                    self.map.insert(k, v);
                }
                None => {
                    self.map.remove(&k);
                }
            }
        }
    }
}

/// Everything the model expects.
#[derive(Clone, Debug)]
pub struct Model {
    pub protocol: Protocol,
    pub pools: Vec<MPool>,
    pub exchanges: Vec<MExchange>,
    /// Claims filed per pool, oldest first.
    pub claim_lists: Vec<Vec<Pubkey>>,
    /// Claims still open (voting or approved) per pool: few at any time, so the
    /// invariants over them stay cheap however long the run.
    pub open_claims: Vec<Vec<Pubkey>>,
    pub underwriters: Journal<Pubkey, Underwriter>,
    pub members: Journal<Pubkey, Member>,
    pub claims: Journal<Pubkey, Claim>,
    pub votes: Journal<Pubkey, VoteRecord>,
    pub registrations: Journal<Pubkey, ExchangeRegistration>,
    pub positions: Journal<Pubkey, Position>,
    /// Balance of every token account of the world.
    pub tokens: Journal<Pubkey, u64>,
    /// Payouts per member and cover term: (member, cover expiry) -> paid.
    pub paid_in_term: Journal<(Pubkey, i64), u64>,
}

/// The small part of the model, copied before each step (the maps keep journals).
#[derive(Clone, Debug)]
pub struct Snapshot {
    protocol: Protocol,
    pools: Vec<MPool>,
    exchanges: Vec<MExchange>,
    claim_lens: Vec<usize>,
    open_claims: Vec<Vec<Pubkey>>,
}

/// What a successful premium purchase charged (for the harness's rate invariant).
#[derive(Clone, Copy, Debug)]
pub struct Charged {
    pub quote: PremiumQuote,
    pub exposure_after: u64,
}

impl Model {
    /// What [`Model::rollback`] restores.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            protocol: self.protocol,
            pools: self.pools.clone(),
            exchanges: self.exchanges.clone(),
            claim_lens: self.claim_lists.iter().map(Vec::len).collect(),
            open_claims: self.open_claims.clone(),
        }
    }

    /// Undoes everything since `snapshot` (a refused instruction changes nothing).
    pub fn rollback(&mut self, snapshot: Snapshot) {
        self.protocol = snapshot.protocol;
        self.pools = snapshot.pools;
        self.exchanges = snapshot.exchanges;
        self.open_claims = snapshot.open_claims;
        for (list, len) in self.claim_lists.iter_mut().zip(snapshot.claim_lens) {
            list.truncate(len);
        }
        self.underwriters.rollback();
        self.members.rollback();
        self.claims.rollback();
        self.votes.rollback();
        self.registrations.rollback();
        self.positions.rollback();
        self.tokens.rollback();
        self.paid_in_term.rollback();
    }

    /// Keeps everything since the last snapshot.
    pub fn commit(&mut self) {
        self.underwriters.commit();
        self.members.commit();
        self.claims.commit();
        self.votes.commit();
        self.registrations.commit();
        self.positions.commit();
        self.tokens.commit();
        self.paid_in_term.commit();
    }

    fn transfer(&mut self, from: &Pubkey, to: &Pubkey, amount: u64) -> R<()> {
        if amount == 0 {
            return Ok(());
        }
        let balance = self.tokens.get(from).copied().unwrap_or(0);
        req!(balance >= amount, INSUFFICIENT_FUNDS.into());
        *self.tokens.get_or_insert_with(*from, || 0) -= amount;
        let to_balance = self.tokens.get_or_insert_with(*to, || 0);
        *to_balance = to_balance
            .checked_add(amount)
            .ok_or_else(|| "token: Overflow".to_string())?;
        Ok(())
    }

    pub fn balance(&self, account: &Pubkey) -> u64 {
        self.tokens.get(account).copied().unwrap_or(0)
    }

    fn paused(&self, m: usize, flag: u8) -> bool {
        crate::rules::paused(&self.pools[m].pool, &self.protocol, flag)
    }

    fn refresh(&mut self, m: usize, now: i64) -> i64 {
        let protocol = &self.protocol;
        crate::rules::refresh(&mut self.pools[m].pool, protocol, now)
    }

    fn earn(&mut self, m: usize, now: i64) -> R<()> {
        let p = &mut self.pools[m];
        crate::rules::earn(&mut p.pool, &mut p.exposure.earnings, now)
    }

    /// The treasury rule of premium-like payments: a fee due needs the treasury's
    /// account of the pool's mint; none is needed without a fee.
    fn check_treasury(&self, treasury: Option<(&Pubkey, &Pubkey)>) -> R<()> {
        match treasury {
            // (the treasury's token account, its owner)
            Some((_, owner_of)) => req!(
                *owner_of == self.protocol.treasury,
                ie(InsuranceError::WrongTreasuryAccount)
            ),
            None => req!(
                self.protocol.protocol_fee_bps == 0,
                ie(InsuranceError::MissingTreasuryAccount)
            ),
        }
        Ok(())
    }

    /// Pays `to_pool` into the vault and `fee` to the treasury, pool part first.
    fn collect(
        &mut self,
        m: usize,
        from: &Pubkey,
        treasury: Option<&Pubkey>,
        to_pool: u64,
        fee: u64,
    ) -> R<()> {
        let vault = self.pools[m].keys.vault;
        self.transfer(from, &vault, to_pool)?;
        if fee > 0 {
            let t = treasury.ok_or_else(|| ie(InsuranceError::MissingTreasuryAccount))?;
            self.transfer(from, t, fee)?;
        }
        Ok(())
    }

    // ---------------------------------------------------------------- underwriters

    /// `deposit(amount, min_shares = 0)` by `owner` from `token`.
    pub fn deposit(
        &mut self,
        m: usize,
        owner: &Pubkey,
        token: &Pubkey,
        amount: u64,
        min_shares: Shares,
        now: i64,
    ) -> R<Shares> {
        let address = crate::pdas::underwriter(&self.pools[m].keys.pool, owner).0;
        let pool = &self.pools[m].pool;
        req!(!self.paused(m, pause::DEPOSIT), ie(InsuranceError::Paused));
        req!(amount > 0, ie(InsuranceError::ZeroAmount));
        req!(
            amount >= pool.params.min_deposit,
            ie(InsuranceError::DepositTooSmall)
        );
        req!(
            now >= pool.holdup_until,
            ie(InsuranceError::HoldupDepositsClosed)
        );
        self.refresh(m, now);
        self.earn(m, now)?;
        let pool = &self.pools[m].pool;
        let shares = crate::rules::shares_for(pool, amount)?;
        req!(shares > 0, ie(InsuranceError::ZeroShares));
        req!(shares >= min_shares, ie(InsuranceError::SlippageExceeded));
        let capital = pool
            .capital
            .checked_add(amount)
            .ok_or_else(|| ie(InsuranceError::MathOverflow))?;
        req!(
            capital <= pool.params.deposit_cap,
            ie(InsuranceError::DepositCapExceeded)
        );
        let vault = self.pools[m].keys.vault;
        self.transfer(token, &vault, amount)?;
        let pool_key = self.pools[m].keys.pool;
        let pool = &mut self.pools[m].pool;
        pool.capital = capital;
        let total = pool
            .total_shares
            .get()
            .checked_add(shares)
            .ok_or("MathOverflow")?;
        pool.total_shares.set(total);
        pool.total_deposited = pool
            .total_deposited
            .checked_add(amount)
            .ok_or("MathOverflow")?;
        let u = self
            .underwriters
            .get_or_insert_with(address, || empty_underwriter(pool_key, *owner));
        u.shares
            .set(u.shares.get().checked_add(shares).ok_or("MathOverflow")?);
        u.total_deposited = u
            .total_deposited
            .checked_add(amount)
            .ok_or("MathOverflow")?;
        u.last_deposit_at = now;
        crate::rules::stake(pool, u, shares, now)?;
        Ok(shares)
    }

    pub fn request_withdrawal(
        &mut self,
        m: usize,
        owner: &Pubkey,
        shares: Shares,
        now: i64,
    ) -> R<()> {
        let address = crate::pdas::underwriter(&self.pools[m].keys.pool, owner).0;
        let u = *self.underwriters.get(&address).ok_or(NO_POSITION)?;
        let pool = &self.pools[m].pool;
        req!(!self.paused(m, pause::WITHDRAW), ie(InsuranceError::Paused));
        req!(shares > 0, ie(InsuranceError::ZeroAmount));
        req!(
            u.pending_shares.get() == 0,
            ie(InsuranceError::WithdrawalAlreadyPending)
        );
        req!(
            shares <= crate::rules::free_shares(&u),
            ie(InsuranceError::InsufficientShares)
        );
        // Unrefreshed parameters, as the account check sees them.
        let lock_ends = u
            .last_deposit_at
            .saturating_add(pool.params.min_deposit_lock);
        req!(
            now >= lock_ends && u.young_shares.young_at(crate::rules::period(pool, now)) == 0,
            ie(InsuranceError::DepositLocked)
        );
        let clock = self.refresh(m, now);
        self.earn(m, now)?;
        let in_force = crate::rules::cover_in_force_until(&self.pools[m].pool, now);
        let pool = &mut self.pools[m].pool;
        let value = crate::rules::value_on_free_capital(pool, shares)?;
        // The request waits its cooldown, or for the cover in force to end.
        // The whole cover in force, whatever term it was sold under.
        let wait = pool
            .params
            .withdrawal_cooldown
            .max(in_force.saturating_sub(now));
        let unlock_at = now.checked_add(wait).ok_or("MathOverflow")?;
        let window_closes_at = clock
            .checked_add(wait)
            .and_then(|t| t.checked_add(pool.params.withdrawal_window))
            .ok_or("MathOverflow")?;
        let pending = pool
            .pending_withdrawal_shares
            .get()
            .checked_add(shares)
            .ok_or("MathOverflow")?;
        pool.pending_withdrawal_shares.set(pending);
        let leaving = pool
            .leaving_shares
            .get()
            .checked_add(shares)
            .ok_or("MathOverflow")?;
        pool.leaving_shares.set(leaving);
        pool.pending_closes_until = pool.pending_closes_until.max(window_closes_at);
        let u = self.underwriters.get_mut(&address).expect("checked");
        u.pending_shares.set(shares);
        u.pending_value = value;
        u.requested_at = now;
        u.unlock_at = unlock_at;
        u.window_closes_at = window_closes_at;
        Ok(())
    }

    pub fn cancel_withdrawal(&mut self, m: usize, owner: &Pubkey, now: i64) -> R<()> {
        let address = crate::pdas::underwriter(&self.pools[m].keys.pool, owner).0;
        let u = self.underwriters.get(&address).ok_or(NO_POSITION)?;
        req!(
            u.pending_shares.get() > 0,
            ie(InsuranceError::NoPendingWithdrawal)
        );
        let shares = self.end_request(m, &address)?;
        let pool = &mut self.pools[m].pool;
        let u = self.underwriters.get_mut(&address).expect("checked");
        crate::rules::stake(pool, u, shares, now)
    }

    /// `expire_withdrawal` of `owner`'s request, by anyone: once it has lapsed (on the
    /// parameters in force), it stops counting as leaving; nothing else changes.
    pub fn expire_withdrawal(&mut self, m: usize, owner: &Pubkey, now: i64) -> R<()> {
        let address = crate::pdas::underwriter(&self.pools[m].keys.pool, owner).0;
        let u = *self.underwriters.get(&address).ok_or(NO_POSITION)?;
        req!(
            u.pending_shares.get() > 0,
            ie(InsuranceError::NoPendingWithdrawal)
        );
        req!(u.expired == 0, ie(InsuranceError::WithdrawalExpiredAlready));
        let pool = &self.pools[m].pool;
        let clock = crate::rules::exit_clock(pool, &self.protocol, now);
        req!(
            clock > u.window_closes_at,
            ie(InsuranceError::WithdrawalNotLapsed)
        );
        self.refresh(m, now);
        let pool = &mut self.pools[m].pool;
        let leaving = pool.leaving_shares.get() - u.pending_shares.get();
        pool.leaving_shares.set(leaving);
        self.underwriters
            .get_mut(&address)
            .expect("checked")
            .expired = 1;
        Ok(())
    }

    /// Takes a pending request off the pool's books (cancel, completion): no longer
    /// pending, nor leaving unless it had expired. Returns its shares.
    fn end_request(&mut self, m: usize, address: &Pubkey) -> R<Shares> {
        let u = self.underwriters.get_mut(address).ok_or(NO_POSITION)?;
        let shares = u.pending_shares.get();
        let pool = &mut self.pools[m].pool;
        let pending = pool
            .pending_withdrawal_shares
            .get()
            .checked_sub(shares)
            .ok_or("MathOverflow")?;
        pool.pending_withdrawal_shares.set(pending);
        if u.expired == 0 {
            let leaving = pool
                .leaving_shares
                .get()
                .checked_sub(shares)
                .ok_or("MathOverflow")?;
            pool.leaving_shares.set(leaving);
        }
        if pending == 0 {
            pool.pending_closes_until = 0;
        }
        u.pending_shares = PodShares::default();
        u.pending_value = 0;
        u.requested_at = 0;
        u.unlock_at = 0;
        u.window_closes_at = 0;
        u.expired = 0;
        Ok(shares)
    }

    /// Returns what was paid; `exit_bound` receives (value at request, pro-rata value on
    /// capital net of reservations and voting claims before the step).
    pub fn complete_withdrawal(
        &mut self,
        m: usize,
        owner: &Pubkey,
        destination: &Pubkey,
        now: i64,
    ) -> R<(u64, u64, u64)> {
        let address = crate::pdas::underwriter(&self.pools[m].keys.pool, owner).0;
        let u = *self.underwriters.get(&address).ok_or(NO_POSITION)?;
        let pool = &self.pools[m].pool;
        req!(!self.paused(m, pause::WITHDRAW), ie(InsuranceError::Paused));
        req!(
            u.pending_shares.get() > 0,
            ie(InsuranceError::NoPendingWithdrawal)
        );
        req!(now >= u.unlock_at, ie(InsuranceError::CooldownNotElapsed));
        // The window runs on the exit clock (it stands still while claims vote).
        let clock = crate::rules::exit_clock(pool, &self.protocol, now);
        req!(
            u.expired == 0 && clock <= u.window_closes_at,
            ie(InsuranceError::WithdrawalLapsed)
        );
        // Nothing completes while a claim votes (review 3, finding 1), nor during a
        // hold-up (the fifth review); a voter has no lock of its own.
        req!(pool.voting_claims == 0, ie(InsuranceError::ClaimsVoting));
        req!(
            now >= pool.holdup_until,
            ie(InsuranceError::HoldupExitsClosed)
        );
        self.refuse_pool_escrow(destination)?;
        self.refresh(m, now);
        self.earn(m, now)?;
        let p = &self.pools[m];
        let pool = &p.pool;
        let pending = u.pending_shares.get();
        let value_now = crate::rules::value_of(pool, pending)?;
        // The shares were full holders until now: they leave with their value now.
        let (paid, shares) = (value_now, pending);
        req!(
            pool.capital.checked_sub(paid).ok_or("MathOverflow")? >= pool.reserved_for_claims,
            ie(InsuranceError::ReservedForClaims)
        );
        let exposure = p.exposure.book.active_at(now);
        let free_after = crate::rules::free_capital(pool)
            .checked_sub(paid)
            .ok_or("MathOverflow")?;
        req!(
            crate::rules::within_cap(pool, exposure, free_after),
            ie(InsuranceError::WithdrawalBreachesExposureCap)
        );
        let vault = p.keys.vault;
        self.transfer(&vault, destination, paid)?;
        let value_at_request = u.pending_value;
        self.end_request(m, &address)?;
        let pool = &mut self.pools[m].pool;
        pool.capital -= paid;
        pool.total_shares.set(pool.total_shares.get() - shares);
        pool.total_withdrawn = pool
            .total_withdrawn
            .checked_add(paid)
            .ok_or("MathOverflow")?;
        let u = self.underwriters.get_mut(&address).expect("checked");
        u.shares.set(u.shares.get() - shares);
        u.total_withdrawn = u.total_withdrawn.checked_add(paid).ok_or("MathOverflow")?;
        Ok((paid, value_at_request, value_now))
    }

    /// A pool's vault or bond escrow may not receive an exit or be a registration's
    /// destination.
    fn refuse_pool_escrow(&self, destination: &Pubkey) -> R<()> {
        for p in &self.pools {
            req!(
                *destination != p.keys.vault && *destination != p.keys.bond_vault,
                ie(InsuranceError::ForbiddenDestination)
            );
        }
        Ok(())
    }

    // ---------------------------------------------------------------- members

    /// The quote `quote_premium` returns (a view: nothing changes).
    pub fn quote_premium(
        &self,
        m: usize,
        owner: &Pubkey,
        notional: u64,
        now: i64,
    ) -> R<PremiumQuote> {
        req!(notional > 0, ie(InsuranceError::ZeroAmount));
        let p = &self.pools[m];
        let member = self
            .members
            .get(&crate::pdas::member(&p.keys.pool, owner).0);
        let pool = crate::rules::projected(&p.pool, &self.protocol, &p.exposure.earnings, now)?;
        let clock = crate::rules::exit_clock(&pool, &self.protocol, now);
        crate::rules::quote(&pool, &p.exposure.book, member, notional, clock, now)
    }

    #[allow(clippy::too_many_arguments)]
    pub fn contribute_premium(
        &mut self,
        m: usize,
        owner: &Pubkey,
        token: &Pubkey,
        treasury: Option<(&Pubkey, &Pubkey)>,
        notional: u64,
        max_premium: u64,
        min_expiry: i64,
        now: i64,
    ) -> R<Charged> {
        req!(!self.paused(m, pause::PREMIUM), ie(InsuranceError::Paused));
        req!(notional > 0, ie(InsuranceError::ZeroAmount));
        self.check_treasury(treasury)?;
        let clock = self.refresh(m, now);
        let address = crate::pdas::member(&self.pools[m].keys.pool, owner).0;
        let pool_key = self.pools[m].keys.pool;
        let member = *self
            .members
            .get_or_insert_with(address, || empty_member(pool_key, *owner));
        self.pools[m].exposure.book.roll(now);
        self.earn(m, now)?;
        let p = &self.pools[m];
        let quote = crate::rules::quote(
            &p.pool,
            &p.exposure.book,
            Some(&member),
            notional,
            clock,
            now,
        )?;
        let charged = Charged {
            quote,
            exposure_after: p.exposure.book.active_at(now).saturating_add(notional),
        };
        req!(
            quote.premium <= max_premium,
            ie(InsuranceError::PremiumAboveMaximum)
        );
        req!(
            quote.coverage_expiry >= min_expiry,
            ie(InsuranceError::CoverageEndsTooSoon)
        );
        let fee = bps_of_floor(quote.premium, self.protocol.protocol_fee_bps as u64).map_err(an)?;
        let to_pool = quote.premium - fee;
        self.collect(m, token, treasury.map(|t| t.0), to_pool, fee)?;
        let p = &mut self.pools[m];
        let pool = &mut p.pool;
        pool.unearned_premiums = pool
            .unearned_premiums
            .checked_add(to_pool)
            .ok_or("MathOverflow")?;
        pool.total_premiums = pool
            .total_premiums
            .checked_add(to_pool)
            .ok_or("MathOverflow")?;
        pool.total_protocol_fees = pool
            .total_protocol_fees
            .checked_add(fee)
            .ok_or("MathOverflow")?;
        p.exposure
            .book
            .add(quote.coverage_expiry, notional)
            .map_err(an)?;
        pool.cover_ends_at = pool.cover_ends_at.max(quote.coverage_expiry);
        p.exposure
            .earnings
            .add(now, quote.coverage_expiry, to_pool)
            .map_err(an)?;
        pool.rate_bps = quote.rate_bps;
        pool.rate_updated_at = now;
        let waiting = pool.params.claim_waiting_period;
        let mb = self.members.get_mut(&address).expect("inserted");
        if crate::rules::covered(mb, now) {
            crate::rules::mature(mb, now);
            mb.maturing_amount = mb
                .maturing_amount
                .checked_add(notional)
                .ok_or("MathOverflow")?;
        } else {
            mb.matured_amount = 0;
            mb.maturing_amount = notional;
            mb.claimed_amount = 0;
        }
        mb.matures_at = now.checked_add(waiting).ok_or("MathOverflow")?;
        mb.covered_amount = crate::rules::active_cover(mb, now)
            .checked_add(notional)
            .ok_or("MathOverflow")?;
        mb.coverage_expiry = quote.coverage_expiry;
        mb.premiums_paid = mb
            .premiums_paid
            .checked_add(quote.premium)
            .ok_or("MathOverflow")?;
        Ok(charged)
    }

    // ---------------------------------------------------------------- claims

    /// Files a claim of `amount`; returns its address.
    pub fn file_claim(
        &mut self,
        m: usize,
        claimant: &Pubkey,
        token: &Pubkey,
        amount: u64,
        uri: &str,
        now: i64,
    ) -> R<Pubkey> {
        let keys = self.pools[m].keys;
        let member_key = crate::pdas::member(&keys.pool, claimant).0;
        let member = *self.members.get(&member_key).ok_or(NO_POSITION)?;
        req!(!self.paused(m, pause::CLAIMS), ie(InsuranceError::Paused));
        req!(amount > 0, ie(InsuranceError::ZeroAmount));
        req!(
            uri.len() <= insurance_pool::constants::MAX_URI_LEN,
            ie(InsuranceError::UriTooLong)
        );
        req!(
            crate::rules::covered(&member, now),
            ie(InsuranceError::NotCovered)
        );
        req!(
            amount <= crate::rules::claimable(&member, now),
            ie(InsuranceError::ClaimAboveCoverage)
        );
        req!(
            !member.has_open_claim(),
            ie(InsuranceError::ClaimAlreadyOpen)
        );
        self.refresh(m, now);
        let pool = &self.pools[m].pool;
        let g = pool.params.governance;
        req!(
            // The claims voting at once, this one included.
            within_bps(
                amount.saturating_add(pool.voting_claims),
                crate::rules::free_capital(pool),
                g.max_claim_bps
            ),
            ie(InsuranceError::ClaimTooLarge)
        );
        let bond = bond_for(amount, g.bond_min, g.bond_bps).map_err(an)?;
        self.transfer(token, &keys.bond_vault, bond)?;
        let address = crate::pdas::claim(&keys.pool, claimant, member.claim_count).0;
        let pool = &mut self.pools[m].pool;
        let number = pool.claim_count;
        pool.claim_count += 1;
        pool.bonds_held = pool.bonds_held.checked_add(bond).ok_or("MathOverflow")?;
        let voting = pool
            .voting_claims
            .checked_add(amount)
            .ok_or("MathOverflow")?;
        crate::rules::set_voting_claims(pool, voting, now);
        let eligible = crate::rules::seasoned_shares(pool, now);
        let voting_ends_at = now.checked_add(g.voting_period).ok_or("MathOverflow")?;
        let mb = self.members.get_mut(&member_key).expect("checked");
        crate::rules::mature(mb, now);
        mb.claimed_amount = mb
            .claimed_amount
            .checked_add(amount)
            .ok_or("MathOverflow")?;
        let id = mb.claim_count;
        mb.claim_count += 1;
        mb.open_claim = address;
        let bump = crate::pdas::claim(&keys.pool, claimant, id).1;
        self.claims.insert(
            address,
            Claim {
                pool: keys.pool,
                id,
                claimant: *claimant,
                amount,
                evidence_hash: [7; 32],
                uri: EvidenceUri::new(uri),
                bond,
                bond_settled: 0,
                status: ClaimStatus::Voting.into(),
                filed_at: now,
                voting_ends_at,
                holdup_ends_at: 0,
                eligible_weight: eligible.into(),
                yes_weight: PodShares::default(),
                no_weight: PodShares::default(),
                voters: 0,
                fraud: 0,
                paid: 0,
                unpaid: 0,
                bump,
                reserved: 0,
                cover_expiry: mb.coverage_expiry,
                number,
                held: 0,
                padding: [0; 2],
            },
        );
        self.claim_lists[m].push(address);
        self.open_claims[m].push(address);
        Ok(address)
    }

    pub fn cast_vote(
        &mut self,
        m: usize,
        voter: &Pubkey,
        claim_key: &Pubkey,
        vote_key: &Pubkey,
        approve: bool,
        now: i64,
    ) -> R<()> {
        let keys = self.pools[m].keys;
        let claim = *self.claims.get(claim_key).ok_or(NO_POSITION)?;
        let u_key = crate::pdas::underwriter(&keys.pool, voter).0;
        let u = *self.underwriters.get(&u_key).ok_or(NO_POSITION)?;
        req!(claim.pool == keys.pool, ie(InsuranceError::WrongClaim));
        // Votes are never paused.
        req!(
            claim.status == ClaimStatus::Voting,
            ie(InsuranceError::ClaimNotVoting)
        );
        req!(now < claim.voting_ends_at, ie(InsuranceError::VotingClosed));
        req!(
            !self.votes.contains_key(vote_key),
            ie(InsuranceError::AlreadyVoted)
        );
        req!(
            *voter != claim.claimant,
            ie(InsuranceError::ClaimantCannotVote)
        );
        req!(
            u.last_deposit_at < claim.filed_at && u.last_stake_at < claim.filed_at,
            ie(InsuranceError::VoteWeightTooNew)
        );
        // The pool is read, not refreshed (cast_vote does not write it).
        let pool = &self.pools[m].pool;
        let weight = crate::rules::vote_weight(&u, crate::rules::period(pool, claim.filed_at));
        req!(weight > 0, ie(InsuranceError::NoVotingWeight));
        let settled_by = claim
            .voting_ends_at
            .checked_add(pool.params.governance.holdup_period)
            .ok_or("MathOverflow")?;
        let c = self.claims.get_mut(claim_key).expect("checked");
        if approve {
            c.yes_weight.set(c.yes_weight.get() + weight);
        } else {
            c.no_weight.set(c.no_weight.get() + weight);
        }
        c.voters += 1;
        let u = self.underwriters.get_mut(&u_key).expect("checked");
        u.vote_locked_until = u.vote_locked_until.max(settled_by);
        let bump = crate::pdas::vote(claim_key, voter).1;
        self.votes.insert(
            *vote_key,
            VoteRecord {
                claim: *claim_key,
                voter: *voter,
                weight,
                approve,
                bump,
            },
        );
        Ok(())
    }

    fn claim_in(&self, m: usize, claim_key: &Pubkey) -> R<Claim> {
        let claim = *self.claims.get(claim_key).ok_or(NO_POSITION)?;
        req!(
            claim.pool == self.pools[m].keys.pool,
            ie(InsuranceError::WrongClaim)
        );
        Ok(claim)
    }

    fn close_claim(&mut self, m: usize, claim: &Claim, give_back: bool) {
        let address = crate::pdas::claim(&claim.pool, &claim.claimant, claim.id).0;
        // A cancelled claim stays listed (finalizable) until it is released.
        if claim.held == 0 {
            self.open_claims[m].retain(|k| *k != address);
        }
        let key = crate::pdas::member(&self.pools[m].keys.pool, &claim.claimant).0;
        if let Some(mb) = self.members.get_mut(&key) {
            crate::rules::close_claim(mb, claim, give_back);
        }
    }

    pub fn finalize_claim(&mut self, m: usize, claim_key: &Pubkey, now: i64) -> R<ClaimStatus> {
        let claim = self.claim_in(m, claim_key)?;
        let held = claim.status == ClaimStatus::Cancelled && claim.held != 0;
        req!(
            claim.status == ClaimStatus::Voting || held,
            ie(InsuranceError::ClaimNotVoting)
        );
        req!(
            now >= claim.voting_ends_at,
            ie(InsuranceError::VotingNotOver)
        );
        self.refresh(m, now);
        let pool = &mut self.pools[m].pool;
        let voting = pool.voting_claims.saturating_sub(claim.amount);
        crate::rules::set_voting_claims(pool, voting, now);
        if held {
            // A cancelled claim's period is over: released, exits no longer wait.
            let mut c = claim;
            c.held = 0;
            self.open_claims[m].retain(|k| k != claim_key);
            self.claims.insert(*claim_key, c);
            return Ok(ClaimStatus::Cancelled);
        }
        let g = pool.params.governance;
        let (yes, no) = (claim.yes_weight.get(), claim.no_weight.get());
        let cast = yes + no;
        let quorum = quorum_met(cast, claim.eligible_weight.get(), g.quorum_bps);
        let approved = quorum && share_reached(yes, cast, g.approval_threshold_bps);
        let mut c = claim;
        if approved {
            c.status = ClaimStatus::Approved.into();
            c.holdup_ends_at = now.checked_add(g.holdup_period).ok_or("MathOverflow")?;
            c.reserved = c.amount.min(crate::rules::free_capital(pool));
            pool.reserved_for_claims = pool
                .reserved_for_claims
                .checked_add(c.reserved)
                .ok_or("MathOverflow")?;
            crate::rules::start_holdup(pool, now, c.holdup_ends_at);
        } else {
            c.status = ClaimStatus::Rejected.into();
            c.fraud = (quorum && share_reached(no, cast, g.fraud_threshold_bps)) as u8;
            self.close_claim(m, &c, true);
        }
        let status = c.status.get();
        self.claims.insert(*claim_key, c);
        Ok(status)
    }

    pub fn veto_claim(
        &mut self,
        m: usize,
        guardian: &Pubkey,
        claim_key: &Pubkey,
        now: i64,
    ) -> R<()> {
        req!(
            *guardian == self.protocol.guardian,
            ie(InsuranceError::NotGuardian)
        );
        let mut c = self.claim_in(m, claim_key)?;
        req!(
            c.status == ClaimStatus::Approved,
            ie(InsuranceError::ClaimNotApproved)
        );
        req!(now < c.holdup_ends_at, ie(InsuranceError::HoldupOver));
        c.status = ClaimStatus::Vetoed.into();
        let pool = &mut self.pools[m].pool;
        pool.reserved_for_claims = pool
            .reserved_for_claims
            .checked_sub(c.reserved)
            .ok_or("MathOverflow")?;
        self.close_claim(m, &c, true);
        self.claims.insert(*claim_key, c);
        Ok(())
    }

    /// Pays an approved claim after its hold-up; returns what was paid.
    pub fn pay_claim(
        &mut self,
        m: usize,
        claim_key: &Pubkey,
        claimant_token: &Pubkey,
        now: i64,
    ) -> R<u64> {
        let mut c = self.claim_in(m, claim_key)?;
        req!(!self.paused(m, pause::CLAIMS), ie(InsuranceError::Paused));
        req!(
            c.status == ClaimStatus::Approved,
            ie(InsuranceError::ClaimNotApproved)
        );
        req!(now >= c.holdup_ends_at, ie(InsuranceError::HoldupActive));
        self.refresh(m, now);
        let pool = &self.pools[m].pool;
        let paid = c.reserved.min(pool.capital);
        let vault = self.pools[m].keys.vault;
        self.transfer(&vault, claimant_token, paid)?;
        let pool = &mut self.pools[m].pool;
        pool.capital -= paid;
        pool.reserved_for_claims = pool
            .reserved_for_claims
            .checked_sub(c.reserved)
            .ok_or("MathOverflow")?;
        pool.total_claims_paid = pool
            .total_claims_paid
            .checked_add(paid)
            .ok_or("MathOverflow")?;
        c.status = ClaimStatus::Paid.into();
        c.paid = paid;
        c.unpaid = c.amount - paid;
        self.close_claim(m, &c, false);
        let member = crate::pdas::member(&self.pools[m].keys.pool, &c.claimant).0;
        *self
            .paid_in_term
            .get_or_insert_with((member, c.cover_expiry), || 0) += paid;
        self.claims.insert(*claim_key, c);
        Ok(paid)
    }

    pub fn cancel_claim(
        &mut self,
        m: usize,
        claimant: &Pubkey,
        claim_key: &Pubkey,
        now: i64,
    ) -> R<()> {
        // Accounts are all loaded before any constraint is checked.
        let member_key = crate::pdas::member(&self.pools[m].keys.pool, claimant).0;
        req!(
            self.members.contains_key(&member_key),
            NO_POSITION.to_string()
        );
        let mut c = self.claim_in(m, claim_key)?;
        req!(c.claimant == *claimant, ie(InsuranceError::WrongClaimant));
        req!(
            c.status == ClaimStatus::Voting,
            ie(InsuranceError::ClaimNotVoting)
        );
        req!(c.voters == 0, ie(InsuranceError::ClaimHasVotes));
        req!(
            now < c.filed_at.saturating_add(CLAIM_CANCEL_WINDOW),
            ie(InsuranceError::CancelWindowOver)
        );
        c.status = ClaimStatus::Cancelled.into();
        // Its amount keeps exits waiting until its voting period ends and it is released.
        c.held = 1;
        let _ = now;
        self.close_claim(m, &c, true);
        self.claims.insert(*claim_key, c);
        Ok(())
    }

    /// Settles a closed claim's bond; returns (amount, returned to the claimant).
    pub fn withdraw_bond(
        &mut self,
        m: usize,
        claim_key: &Pubkey,
        claimant_token: &Pubkey,
    ) -> R<(u64, bool)> {
        let mut c = self.claim_in(m, claim_key)?;
        req!(c.bond_settled == 0, ie(InsuranceError::BondAlreadySettled));
        req!(
            !crate::rules::is_open(&c),
            ie(InsuranceError::ClaimStillOpen)
        );
        let returned = match c.status.get() {
            ClaimStatus::Paid | ClaimStatus::Cancelled => true,
            ClaimStatus::Rejected => c.fraud == 0,
            _ => false,
        };
        let keys = self.pools[m].keys;
        let to = if returned {
            *claimant_token
        } else {
            keys.vault
        };
        self.transfer(&keys.bond_vault, &to, c.bond)?;
        let pool = &mut self.pools[m].pool;
        pool.bonds_held = pool.bonds_held.checked_sub(c.bond).ok_or("MathOverflow")?;
        if !returned {
            pool.capital = pool.capital.checked_add(c.bond).ok_or("MathOverflow")?;
        }
        c.bond_settled = 1;
        let bond = c.bond;
        self.claims.insert(*claim_key, c);
        Ok((bond, returned))
    }

    // ---------------------------------------------------------------- governance

    fn pause_change(&self, signer: &Pubkey, current: u8, new: u8) -> R<()> {
        req!(
            new & !pause::ALL == 0,
            ie(InsuranceError::InvalidPauseFlags)
        );
        req!(
            *signer == self.protocol.authority || *signer == self.protocol.guardian,
            ie(InsuranceError::NotAuthorityOrGuardian)
        );
        if *signer != self.protocol.authority {
            req!(
                new & current == current,
                ie(InsuranceError::GuardianCannotUnpause)
            );
        }
        Ok(())
    }

    pub fn set_pool_pause(&mut self, m: usize, signer: &Pubkey, flags: u8, now: i64) -> R<()> {
        let pool = &self.pools[m].pool;
        self.pause_change(signer, pool.paused, flags)?;
        let pool = &mut self.pools[m].pool;
        crate::rules::mark_exit_clock(pool, &self.protocol, now);
        let previous = pool.paused;
        pool.paused = flags;
        pool.withdraw_pause.update(
            previous & pause::WITHDRAW != 0,
            flags & pause::WITHDRAW != 0,
            now,
        );
        Ok(())
    }

    pub fn set_protocol_pause(&mut self, signer: &Pubkey, flags: u8, now: i64) -> R<()> {
        self.pause_change(signer, self.protocol.paused, flags)?;
        let previous = self.protocol.paused;
        self.protocol.paused = flags;
        self.protocol.withdraw_pause.update(
            previous & pause::WITHDRAW != 0,
            flags & pause::WITHDRAW != 0,
            now,
        );
        Ok(())
    }

    pub fn update_pool_params(
        &mut self,
        m: usize,
        signer: &Pubkey,
        params: PoolParams,
        now: i64,
    ) -> R<()> {
        req!(
            *signer == self.protocol.authority,
            ie(InsuranceError::Unauthorized)
        );
        params.validate().map_err(an)?;
        req!(
            params.governance.min_stake_age == self.pools[m].pool.params.governance.min_stake_age,
            ie(InsuranceError::StakeAgeImmutable)
        );
        let clock = self.refresh(m, now);
        let pool = &mut self.pools[m].pool;
        let delay = crate::rules::exit_horizon(&pool.params)
            .max(crate::rules::exit_horizon(&params))
            .max(crate::rules::past_cover_delay(pool, now));
        pool.pending_params = params;
        pool.pending_params_at = clock.checked_add(delay).ok_or("MathOverflow")?;
        Ok(())
    }

    pub fn update_protocol(
        &mut self,
        signer: &Pubkey,
        args: &insurance_pool::instructions::UpdateProtocolArgs,
    ) -> R<()> {
        req!(
            *signer == self.protocol.authority,
            ie(InsuranceError::Unauthorized)
        );
        if let Some(g) = args.guardian {
            req!(g != Pubkey::default(), ie(InsuranceError::InvalidAddress));
        }
        let fee = args
            .protocol_fee_bps
            .unwrap_or(self.protocol.protocol_fee_bps);
        let treasury = args.treasury.unwrap_or(self.protocol.treasury);
        req!(
            fee <= MAX_PROTOCOL_FEE_BPS && (fee == 0 || treasury != Pubkey::default()),
            ie(InsuranceError::InvalidProtocolFee)
        );
        let p = &mut self.protocol;
        if let Some(g) = args.guardian {
            p.guardian = g;
        }
        if let Some(a) = args.pending_authority {
            p.pending_authority = a;
        }
        if let Some(t) = args.treasury {
            p.treasury = t;
        }
        if let Some(f) = args.protocol_fee_bps {
            p.protocol_fee_bps = f;
        }
        Ok(())
    }

    pub fn accept_authority(&mut self, signer: &Pubkey) -> R<()> {
        let p = &mut self.protocol;
        req!(
            p.pending_authority != Pubkey::default(),
            ie(InsuranceError::NoPendingAuthority)
        );
        req!(
            p.pending_authority == *signer,
            ie(InsuranceError::NotPendingAuthority)
        );
        p.authority = p.pending_authority;
        p.pending_authority = Pubkey::default();
        Ok(())
    }

    // ---------------------------------------------------------------- exchanges

    /// Registers exchange `x`'s authority PDA on pool `m` with `destination`.
    #[allow(clippy::too_many_arguments)]
    pub fn register_exchange(
        &mut self,
        m: usize,
        x: usize,
        signer: &Pubkey,
        destination: &Pubkey,
        destination_mint: &Pubkey,
        limits: ExchangeLimits,
        now: i64,
    ) -> R<Pubkey> {
        let keys = self.pools[m].keys;
        let authority = self.exchanges[x].keys.authority;
        let (address, bump) = crate::pdas::exchange(&keys.pool, &authority);
        // `init` runs while the accounts load, before the authority constraint.
        req!(
            !self.registrations.contains_key(&address),
            "system: AccountAlreadyInUse".to_string()
        );
        req!(
            *signer == self.protocol.authority,
            ie(InsuranceError::Unauthorized)
        );
        req!(
            *destination_mint == keys.mint,
            ie(InsuranceError::WrongMint)
        );
        self.refuse_pool_escrow(destination)?;
        limits.validate().map_err(an)?;
        let pool = &self.pools[m].pool;
        let clock = crate::rules::exit_clock(pool, &self.protocol, now);
        let active_from = clock
            .checked_add(crate::rules::activation_delay(pool, now))
            .ok_or("MathOverflow")?;
        self.registrations.insert(
            address,
            ExchangeRegistration {
                pool: keys.pool,
                exchange_authority: authority,
                destination: *destination,
                limits,
                epoch_start: now,
                epoch_paid: 0,
                next_nonce: 0,
                total_reported: 0,
                total_covered: 0,
                active: 1,
                bump,
                active_from,
                pending_limits: limits,
                pending_destination: *destination,
                pending_at: 0,
                epoch_length: limits.epoch_length,
                total_volume: 0,
                total_volume_fees: 0,
                reserved: [0; 6],
            },
        );
        Ok(address)
    }

    #[allow(clippy::too_many_arguments)]
    pub fn update_exchange(
        &mut self,
        m: usize,
        signer: &Pubkey,
        registration: &Pubkey,
        destination: &Pubkey,
        destination_mint: &Pubkey,
        limits: ExchangeLimits,
        now: i64,
    ) -> R<()> {
        // The registration loads before the authority constraint is checked.
        let mut r = *self.registrations.get(registration).ok_or(NO_POSITION)?;
        req!(
            *signer == self.protocol.authority,
            ie(InsuranceError::Unauthorized)
        );
        let keys = self.pools[m].keys;
        req!(
            r.pool == keys.pool,
            ie(InsuranceError::WrongExchangeRegistration)
        );
        req!(
            *destination_mint == keys.mint,
            ie(InsuranceError::WrongMint)
        );
        self.refuse_pool_escrow(destination)?;
        limits.validate().map_err(an)?;
        let pool = &self.pools[m].pool;
        let delay = crate::rules::activation_delay(pool, now);
        let clock = crate::rules::exit_clock(pool, &self.protocol, now);
        crate::rules::refresh_registration(&mut r, clock);
        let immediate = r.active != 0
            && *destination == r.destination
            && crate::rules::is_decrease(&limits, &r.limits);
        if immediate {
            r.limits = limits;
            r.pending_at = 0;
        } else {
            r.pending_limits = limits;
            r.pending_destination = *destination;
            r.pending_at = clock.checked_add(delay).ok_or("MathOverflow")?;
        }
        self.registrations.insert(*registration, r);
        Ok(())
    }

    pub fn deactivate_exchange(&mut self, signer: &Pubkey, registration: &Pubkey) -> R<()> {
        // The registration loads before the authority constraint is checked.
        req!(
            self.registrations.contains_key(registration),
            NOT_INITIALIZED.to_string()
        );
        req!(
            *signer == self.protocol.authority,
            ie(InsuranceError::Unauthorized)
        );
        let r = self
            .registrations
            .get_mut(registration)
            .ok_or(NOT_INITIALIZED)?;
        r.active = 0;
        r.pending_at = 0;
        Ok(())
    }

    /// `cover_shortfall(amount)` by exchange `x` (inside a liquidation); returns
    /// (covered, per-event cap, epoch room, capital above the floor) before the step.
    fn cover_shortfall(&mut self, x: usize, amount: u64, now: i64) -> R<ShortfallSeen> {
        let m = self.exchanges[x].pool;
        let reg_key = self.exchanges[x].registration;
        let destination = self.exchanges[x].keys.collateral_vault;
        let mut r = *self.registrations.get(&reg_key).ok_or(NOT_INITIALIZED)?;
        req!(amount > 0, ie(InsuranceError::ZeroAmount));
        let paused = self.paused(m, pause::SHORTFALL);
        let clock = self.refresh(m, now);
        crate::rules::refresh_registration(&mut r, clock);
        // A destination that is no longer the registration's is paid nothing (the
        // liquidation goes on: review 3, finding 5).
        let stale = destination != r.destination;
        let (epoch_start, epoch_length) =
            next_epoch(r.epoch_start, r.epoch_length, r.limits.epoch_length, now);
        if epoch_start != r.epoch_start {
            r.epoch_start = epoch_start;
            r.epoch_paid = 0;
        }
        r.epoch_length = epoch_length;
        let pool = &mut self.pools[m].pool;
        let free = crate::rules::free_capital(pool);
        let per_event = r
            .limits
            .per_event_cap
            .min(bps_of_floor(free, r.limits.per_event_bps).map_err(an)?);
        let epoch_cap = r
            .limits
            .per_epoch_cap
            .min(bps_of_floor(free, r.limits.per_epoch_bps).map_err(an)?);
        let epoch_room = epoch_cap.saturating_sub(r.epoch_paid);
        let floor = solvency_floor(pool.reserved_for_claims, pool.params.min_reserve);
        let available = pool.capital.saturating_sub(floor);
        let can_draw = crate::rules::can_draw(&r, clock);
        let covered = if paused || !can_draw || stale {
            0
        } else {
            cover_amount(amount, per_event, epoch_room, available).0
        };
        if can_draw {
            crate::rules::record_volume_loss(pool, amount.min(per_event), now);
        }
        pool.capital -= covered;
        let stats = &mut pool.loss_stats;
        stats.ewma = ewma(
            stats.ewma,
            amount,
            insurance_pool::constants::LOSS_EWMA_WEIGHT_BPS,
            stats.count,
        );
        stats.count += 1;
        stats.total_reported = stats.total_reported.saturating_add(amount);
        stats.total_covered = stats
            .total_covered
            .checked_add(covered)
            .ok_or("MathOverflow")?;
        stats.largest = stats.largest.max(amount);
        r.epoch_paid = r.epoch_paid.checked_add(covered).ok_or("MathOverflow")?;
        r.next_nonce += 1;
        r.total_reported = r.total_reported.saturating_add(amount);
        r.total_covered = r.total_covered.checked_add(covered).ok_or("MathOverflow")?;
        self.registrations.insert(reg_key, r);
        let vault = self.pools[m].keys.vault;
        self.transfer(&vault, &destination, covered)?;
        Ok(ShortfallSeen {
            covered,
            per_event,
            epoch_room,
            available,
        })
    }

    /// The fee `contribute_volume(volume)` would charge now (the quote_volume view).
    pub fn quote_volume(&self, m: usize, volume: u64, now: i64) -> R<VolumeQuote> {
        req!(volume > 0, ie(InsuranceError::ZeroAmount));
        let p = &self.pools[m];
        let pool = crate::rules::projected(&p.pool, &self.protocol, &p.exposure.earnings, now)?;
        crate::rules::volume_quote(&pool, volume, self.protocol.protocol_fee_bps, now)
    }

    fn contribute_volume(
        &mut self,
        x: usize,
        volume: u64,
        max_rate: u64,
        treasury: Option<(&Pubkey, &Pubkey)>,
        now: i64,
    ) -> R<u64> {
        let m = self.exchanges[x].pool;
        let reg_key = self.exchanges[x].registration;
        let source = self.exchanges[x].keys.collateral_vault;
        let mut r = *self.registrations.get(&reg_key).ok_or(NOT_INITIALIZED)?;
        req!(!self.paused(m, pause::PREMIUM), ie(InsuranceError::Paused));
        req!(volume > 0, ie(InsuranceError::ZeroAmount));
        self.check_treasury(treasury)?;
        let clock = self.refresh(m, now);
        crate::rules::refresh_registration(&mut r, clock);
        req!(r.active != 0, ie(InsuranceError::ExchangeInactive));
        req!(
            crate::rules::can_draw(&r, clock),
            ie(InsuranceError::ExchangeNotYetActive)
        );
        self.earn(m, now)?;
        let quote = crate::rules::volume_quote(
            &self.pools[m].pool,
            volume,
            self.protocol.protocol_fee_bps,
            now,
        )?;
        req!(
            quote.rate_bps <= max_rate,
            ie(InsuranceError::VolumeRateAboveMaximum)
        );
        let to_pool = quote.fee - quote.protocol_fee;
        self.collect(
            m,
            &source,
            treasury.map(|t| t.0),
            to_pool,
            quote.protocol_fee,
        )?;
        let p = &mut self.pools[m];
        let pool = &mut p.pool;
        pool.unearned_premiums = pool
            .unearned_premiums
            .checked_add(to_pool)
            .ok_or("MathOverflow")?;
        p.exposure
            .earnings
            .add(
                now,
                now + insurance_pool::constants::VOLUME_EARNING_PERIOD,
                to_pool,
            )
            .map_err(an)?;
        pool.total_protocol_fees = pool
            .total_protocol_fees
            .checked_add(quote.protocol_fee)
            .ok_or("MathOverflow")?;
        pool.total_volume = pool.total_volume.saturating_add(volume);
        pool.total_volume_fees = pool
            .total_volume_fees
            .checked_add(quote.fee)
            .ok_or("MathOverflow")?;
        pool.volume_rate_bps = quote.rate_bps;
        r.total_volume = r.total_volume.saturating_add(volume);
        r.total_volume_fees = r
            .total_volume_fees
            .checked_add(quote.fee)
            .ok_or("MathOverflow")?;
        self.registrations.insert(reg_key, r);
        Ok(quote.fee)
    }

    // ---------------------------------------------------------------- example exchange

    pub fn set_price(
        &mut self,
        x: usize,
        signer: &Pubkey,
        price: u64,
        publish_time: i64,
        now: i64,
    ) -> R<()> {
        let e = &mut self.exchanges[x];
        req!(
            *signer == e.market.oracle_authority,
            xe(ExchangeError::WrongOracleAuthority)
        );
        req!(
            price > 0 && publish_time <= now && publish_time >= e.feed.publish_time,
            xe(ExchangeError::InvalidPrice)
        );
        e.feed.price = price;
        e.feed.publish_time = publish_time;
        Ok(())
    }

    pub fn deposit_collateral(
        &mut self,
        x: usize,
        owner: &Pubkey,
        token: &Pubkey,
        amount: u64,
    ) -> R<()> {
        let keys = self.exchanges[x].keys;
        let position = crate::pdas::position(&keys.market, owner).0;
        req!(amount > 0, xe(ExchangeError::ZeroAmount));
        self.transfer(token, &keys.collateral_vault, amount)?;
        let bump = crate::pdas::position(&keys.market, owner).1;
        let p = self.positions.get_or_insert_with(position, || Position {
            market: keys.market,
            owner: *owner,
            collateral: 0,
            size: 0,
            entry_price: 0,
            bump,
        });
        p.collateral = p.collateral.checked_add(amount).ok_or("MathOverflow")?;
        let market = &mut self.exchanges[x].market;
        market.total_collateral = market
            .total_collateral
            .checked_add(amount)
            .ok_or(xe(ExchangeError::MathOverflow))?;
        Ok(())
    }

    fn fresh_price(&self, x: usize, now: i64) -> R<u64> {
        let e = &self.exchanges[x];
        req!(
            e.feed.price > 0 && now.saturating_sub(e.feed.publish_time) <= e.market.max_price_age,
            xe(ExchangeError::StalePrice)
        );
        Ok(e.feed.price)
    }

    /// Whether the pool takes exchange `x`'s volume now (the CPI helper's rule).
    fn accepts_volume(&self, x: usize, now: i64) -> bool {
        let m = self.exchanges[x].pool;
        let Some(r) = self.registrations.get(&self.exchanges[x].registration) else {
            return false;
        };
        if self.paused(m, pause::PREMIUM) {
            return false;
        }
        let clock = crate::rules::exit_clock(&self.pools[m].pool, &self.protocol, now);
        let mut r = *r;
        crate::rules::refresh_registration(&mut r, clock);
        crate::rules::can_draw(&r, clock)
    }

    /// Opens a position of `size`; returns the insurance fee it paid.
    pub fn open_position(
        &mut self,
        x: usize,
        owner: &Pubkey,
        size: i64,
        max_rate: u64,
        treasury: Option<(&Pubkey, &Pubkey)>,
        now: i64,
    ) -> R<u64> {
        let key = crate::pdas::position(&self.exchanges[x].keys.market, owner).0;
        let position = self.positions.get(&key).ok_or(NOT_INITIALIZED)?.clone();
        req!(
            self.registrations
                .contains_key(&self.exchanges[x].registration),
            NOT_INITIALIZED.to_string()
        );
        req!(size != 0, xe(ExchangeError::InvalidOrder));
        let price = self.fresh_price(x, now)?;
        req!(position.size == 0, xe(ExchangeError::PositionOpen));
        let notional = u64::try_from(size.unsigned_abs() as u128 * price as u128)
            .map_err(|_| xe(ExchangeError::MathOverflow))?;
        let fee = if self.accepts_volume(x, now) {
            self.contribute_volume(x, notional, max_rate, treasury, now)?
        } else {
            0
        };
        let market = &self.exchanges[x].market;
        let limit = position.collateral as u128 * market.max_leverage as u128;
        req!(
            notional as u128 <= limit,
            xe(ExchangeError::LeverageTooHigh)
        );
        let collateral = position
            .collateral
            .checked_sub(fee)
            .ok_or(xe(ExchangeError::InsufficientCollateral))?;
        let maintenance = notional as u128 * market.maintenance_margin_bps as u128 / 10_000;
        req!(
            collateral as u128 >= maintenance,
            xe(ExchangeError::InsufficientCollateral)
        );
        let p = self.positions.get_mut(&key).expect("checked");
        p.collateral = collateral;
        p.size = size;
        p.entry_price = price;
        let market = &mut self.exchanges[x].market;
        market.total_collateral = market
            .total_collateral
            .checked_sub(fee)
            .ok_or(xe(ExchangeError::MathOverflow))?;
        market.volume = market.volume.saturating_add(notional);
        market.insurance_fees = market
            .insurance_fees
            .checked_add(fee)
            .ok_or(xe(ExchangeError::MathOverflow))?;
        Ok(fee)
    }

    /// Liquidates `owner`'s position; returns the shortfall and what the pool saw.
    pub fn liquidate(
        &mut self,
        x: usize,
        owner: &Pubkey,
        now: i64,
    ) -> R<(u64, Option<ShortfallSeen>)> {
        let key = crate::pdas::position(&self.exchanges[x].keys.market, owner).0;
        let mut position = self.positions.get(&key).ok_or(NOT_INITIALIZED)?.clone();
        req!(
            self.registrations
                .contains_key(&self.exchanges[x].registration),
            NOT_INITIALIZED.to_string()
        );
        let price = self.fresh_price(x, now)?;
        req!(position.size != 0, xe(ExchangeError::NoOpenPosition));
        let market = self.exchanges[x].market.clone();
        let pnl = (position.size as i128)
            .checked_mul(price as i128 - position.entry_price as i128)
            .ok_or(xe(ExchangeError::MathOverflow))?;
        let equity = (position.collateral as i128)
            .checked_add(pnl)
            .ok_or(xe(ExchangeError::MathOverflow))?;
        let maintenance = (position.size.unsigned_abs() as u128)
            .checked_mul(price as u128)
            .and_then(|n| n.checked_mul(market.maintenance_margin_bps as u128))
            .map(|n| n / 10_000)
            .and_then(|n| i128::try_from(n).ok())
            .ok_or(xe(ExchangeError::MathOverflow))?;
        req!(equity < maintenance, xe(ExchangeError::NotLiquidatable));
        let shortfall =
            u64::try_from((-equity).max(0)).map_err(|_| xe(ExchangeError::MathOverflow))?;
        let collateral = position.collateral;
        let house = market.house_balance;
        let (remaining, unpaid) = if pnl > 0 {
            let profit = u64::try_from(pnl).map_err(|_| xe(ExchangeError::MathOverflow))?;
            let paid = profit.min(house);
            (collateral.saturating_add(paid), profit - paid)
        } else {
            (
                u64::try_from(equity.max(0)).map_err(|_| xe(ExchangeError::MathOverflow))?,
                0,
            )
        };
        let mut seen = None;
        let (mut covered, mut uncovered) = (0, 0);
        if shortfall > 0 {
            let s = self.cover_shortfall(x, shortfall, now)?;
            covered = s.covered;
            uncovered = shortfall - s.covered;
            seen = Some(s);
        }
        let house_balance =
            u64::try_from(house as i128 + collateral as i128 - remaining as i128 + covered as i128)
                .map_err(|_| xe(ExchangeError::MathOverflow))?;
        position.size = 0;
        position.entry_price = 0;
        position.collateral = remaining;
        self.positions.insert(key, position);
        let market = &mut self.exchanges[x].market;
        market.total_collateral = market
            .total_collateral
            .checked_sub(collateral)
            .and_then(|t| t.checked_add(remaining))
            .ok_or(xe(ExchangeError::MathOverflow))?;
        market.house_balance = house_balance;
        market.unpaid_profit = market.unpaid_profit.saturating_add(unpaid);
        market.liquidations += 1;
        market.bad_debt = market
            .bad_debt
            .checked_add(shortfall)
            .ok_or(xe(ExchangeError::MathOverflow))?;
        market.insured_loss = market
            .insured_loss
            .checked_add(covered)
            .ok_or(xe(ExchangeError::MathOverflow))?;
        market.socialized_loss = market
            .socialized_loss
            .checked_add(uncovered)
            .ok_or(xe(ExchangeError::MathOverflow))?;
        Ok((shortfall, seen))
    }
}

/// What a shortfall report met in the pool (for the payout-bound invariant).
#[derive(Clone, Copy, Debug)]
pub struct ShortfallSeen {
    pub covered: u64,
    pub per_event: u64,
    pub epoch_room: u64,
    pub available: u64,
}

fn empty_underwriter(pool: Pubkey, owner: Pubkey) -> Underwriter {
    let bump = crate::pdas::underwriter(&pool, &owner).1;
    Underwriter {
        pool,
        owner,
        shares: PodShares::default(),
        pending_shares: PodShares::default(),
        pending_value: 0,
        requested_at: 0,
        unlock_at: 0,
        window_closes_at: 0,
        last_deposit_at: 0,
        vote_locked_until: 0,
        total_deposited: 0,
        total_withdrawn: 0,
        bump,
        last_stake_at: 0,
        young_shares: Default::default(),
        expired: 0,
        reserved: [0; 6],
    }
}

fn empty_member(pool: Pubkey, owner: Pubkey) -> Member {
    let bump = crate::pdas::member(&pool, &owner).1;
    Member {
        pool,
        owner,
        covered_amount: 0,
        coverage_expiry: 0,
        premiums_paid: 0,
        open_claim: Pubkey::default(),
        bump,
        matured_amount: 0,
        maturing_amount: 0,
        matures_at: 0,
        claimed_amount: 0,
        claim_count: 0,
        reserved: [0; 7],
    }
}
