use anchor_lang::prelude::*;

/// A trader's coverage in one pool, PDA `["member", pool, owner]`.
///
/// One cover (term) at a time: contributing while covered adds to the covered amount
/// with the same expiry (charged pro-rata for all the remaining time); contributing
/// after expiry starts a new term of `coverage_duration`. Cover becomes claimable only
/// `claim_waiting_period` after the purchase or top-up that added it (a top-up restarts
/// the wait of the part still maturing), and every claim filed in a term uses it up:
/// the claims of a term (open and paid) never exceed its matured cover.
#[account(zero_copy)]
#[derive(InitSpace, Debug)]
pub struct Member {
    pub pool: Pubkey,
    pub owner: Pubkey,
    /// Amount covered until `coverage_expiry` (0 before the first contribution).
    pub covered_amount: u64,
    /// Unix time the cover ends; covered while `now < coverage_expiry`.
    pub coverage_expiry: i64,
    /// Lifetime premiums paid, protocol fee included.
    pub premiums_paid: u64,
    /// Part of `covered_amount` that has matured (claimable).
    pub matured_amount: u64,
    /// Part of `covered_amount` still in its waiting period, maturing at `matures_at`.
    pub maturing_amount: u64,
    pub matures_at: i64,
    /// Claimed in the current term: open claims plus paid ones.
    pub claimed_amount: u64,
    /// Claims this member has filed (its next claim's index, part of the claim's seeds).
    pub claim_count: u64,
    /// The member's open claim (voting or approved, not yet paid);
    /// `Pubkey::default()` when none ([`Member::has_open_claim`]).
    pub open_claim: Pubkey,
    pub bump: u8,
    /// Keeps the account a multiple of 8 bytes (zero).
    pub reserved: [u8; 7],
}

// Zero-copy: no padding (enforced by `Pod`), so the Borsh size is the in-memory size.
const _: () = assert!(Member::INIT_SPACE == std::mem::size_of::<Member>());
const _: () = assert!(std::mem::align_of::<Member>() <= 8);

impl Member {
    /// Whether the member has a claim open (voting or approved, not yet paid).
    pub fn has_open_claim(&self) -> bool {
        self.open_claim != Pubkey::default()
    }

    /// Whether the member is covered at `now`.
    pub fn is_covered(&self, now: i64) -> bool {
        now < self.coverage_expiry
    }

    /// The amount covered at `now` (0 once expired).
    pub fn active_cover(&self, now: i64) -> u64 {
        if self.is_covered(now) {
            self.covered_amount
        } else {
            0
        }
    }

    /// Matures the waiting part of the cover if its time has come.
    pub fn mature(&mut self, now: i64) {
        if self.maturing_amount > 0 && now >= self.matures_at {
            self.matured_amount = self.matured_amount.saturating_add(self.maturing_amount);
            self.maturing_amount = 0;
        }
    }

    /// What the member may still claim at `now`: matured cover not yet claimed this term.
    pub fn claimable(&self, now: i64) -> u64 {
        if !self.is_covered(now) {
            return 0;
        }
        let mut matured = self.matured_amount;
        if now >= self.matures_at {
            matured = matured.saturating_add(self.maturing_amount);
        }
        matured.saturating_sub(self.claimed_amount)
    }

    /// Closes the member's open claim `claim`. A claim that failed (rejected,
    /// cancelled, vetoed: `give_back`) returns the cover it used to its term; a claim
    /// from an earlier term gives nothing back, that term being over.
    pub fn close_claim(&mut self, claim: &crate::state::Claim, give_back: bool) {
        self.open_claim = Pubkey::default();
        if give_back && self.coverage_expiry == claim.cover_expiry {
            self.claimed_amount = self.claimed_amount.saturating_sub(claim.amount);
        }
    }
}
