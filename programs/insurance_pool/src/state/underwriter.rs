use anchor_lang::prelude::*;

use crate::math::{PodShares, Shares, YoungShares};

/// One owner's position in one pool, PDA `["underwriter", pool, owner]` (zero-copy).
/// Shares are not transferable: they live only here.
#[account(zero_copy)]
#[derive(InitSpace, Debug)]
pub struct Underwriter {
    pub pool: Pubkey,
    pub owner: Pubkey,
    /// All shares held, including `pending_shares`.
    pub shares: PodShares,
    /// Shares under a withdrawal request (0 when none). Until they leave they bear
    /// losses, earn income and vote like the others; they only stop counting in the
    /// capital new cover is priced on.
    pub pending_shares: PodShares,
    /// Value of `pending_shares` when requested (statistics: the completion pays their
    /// value then).
    pub pending_value: u64,
    /// Unix time the pending request was made.
    pub requested_at: i64,
    /// Earliest unix time `complete_withdrawal` is accepted.
    pub unlock_at: i64,
    /// The last exit-clock time the pending request can complete: the exit clock at the
    /// request, plus its wait (cooldown or cover in force), plus the withdrawal window
    /// then in force. Fixed at the request, so a later change of the window neither
    /// revives a lapsed request nor shortens a live one (review 3's third attacker
    /// review). On the exit clock, so it does not lapse while withdrawals are paused or
    /// refused because claims vote.
    pub window_closes_at: i64,
    /// Unix time of the last deposit (the deposit lock runs from it).
    pub last_deposit_at: i64,
    /// The end of the hold-up of the latest claim this underwriter voted on
    /// (statistics: a vote binds through the pool-wide refusals instead, no completion
    /// while a claim votes or during a hold-up; a lock of its own ran on past a
    /// rejected claim and lapsed the voter's window, the fifth attacker review).
    pub vote_locked_until: i64,
    /// Sum of deposits (statistics).
    pub total_deposited: u64,
    /// Sum of withdrawals paid (statistics).
    pub total_withdrawn: u64,
    /// Unix time shares were last staked (deposit or cancelled withdrawal): a claim
    /// filed at or before it gets no vote from this position.
    pub last_stake_at: i64,
    /// Shares staked in the last two stake periods (not yet able to vote).
    pub young_shares: YoungShares,
    pub bump: u8,
    /// 1 once `expire_withdrawal` ended the pending request's part in pricing (it had
    /// lapsed): its shares stay pending, and it can only be cancelled.
    pub expired: u8,
    /// Keeps the account a multiple of 8 bytes (zero).
    pub reserved: [u8; 6],
}

// Zero-copy: no padding (enforced by `Pod`), so the Borsh size is the in-memory size.
const _: () = assert!(Underwriter::INIT_SPACE == std::mem::size_of::<Underwriter>());
const _: () = assert!(std::mem::align_of::<Underwriter>() <= 8);

impl Underwriter {
    /// Shares not under a withdrawal request.
    pub fn free_shares(&self) -> Shares {
        self.shares.get().saturating_sub(self.pending_shares.get())
    }

    /// Weight this position may cast on a claim filed in stake period `period`: its
    /// shares not young at the filing. Shares under a withdrawal request vote: they bear
    /// the claim as long as they are in the pool (no completion while it votes, none by
    /// a voter before its hold-up ends), and a request may wait a whole term of cover.
    pub fn vote_weight(&self, period: i64) -> Shares {
        self.shares
            .get()
            .saturating_sub(self.young_shares.young_at(period))
    }

    /// Earliest filing time of a claim on which every free share of this position votes
    /// (`min_stake_age` = `age`): after its last deposit and stake, with none of its
    /// shares young at the filing ([`crate::math::stake`]). Between `age` and `2 · age`
    /// after the last stake, depending on where in its stake period that fell. `None`
    /// when the position has no share.
    pub fn votes_from(&self, age: i64) -> Option<i64> {
        (self.shares.get() > 0).then(|| {
            // `cast_vote` wants the filing strictly after the last deposit and stake.
            let after = self
                .last_stake_at
                .max(self.last_deposit_at)
                .saturating_add(1);
            self.young_shares
                .seasoned_at(age)
                .map_or(after, |seasoned| seasoned.max(after))
        })
    }

    /// Last exit-clock time the pending withdrawal can complete; `None` without a
    /// pending withdrawal. The exit clock stands still while withdrawals are paused or
    /// the pool's claims vote, so the request lapses at [`Underwriter::lapses_at`] only
    /// if it keeps running.
    pub fn closes_at(&self) -> Option<i64> {
        self.has_pending_withdrawal()
            .then_some(self.window_closes_at)
    }

    /// Whether the pending request can no longer complete at exit clock `clock`: past
    /// its window, or expired. `false` without a pending request.
    pub fn has_lapsed(&self, clock: i64) -> bool {
        self.closes_at().is_some_and(|closes| clock > closes)
    }

    /// Unix time the pending withdrawal lapses if the pool's exit clock, reading `clock`
    /// at unix time `now`, keeps running (no pause, no claim voting meanwhile).
    pub fn lapses_at(&self, clock: i64, now: i64) -> Option<i64> {
        self.closes_at()
            .map(|closes| now.saturating_add(closes.saturating_sub(clock)))
    }

    /// Whether a withdrawal request is pending.
    pub fn has_pending_withdrawal(&self) -> bool {
        self.pending_shares.get() > 0
    }
}
