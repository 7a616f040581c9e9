use anchor_lang::prelude::*;

/// A trader's coverage in one pool, PDA `["member", pool, owner]`.
///
/// One cover at a time: contributing while covered adds to the covered amount with the
/// same expiry (charged pro-rata for the remaining time); contributing after expiry
/// starts a new cover of `coverage_duration`.
#[account]
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
    /// The member's open claim (voting or approved, not yet paid), if any.
    pub open_claim: Option<Pubkey>,
    pub bump: u8,
}

impl Member {
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
}
