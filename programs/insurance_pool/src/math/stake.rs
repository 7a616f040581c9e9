//! Stake age for claim votes, and the release of unearned premium.
//!
//! **Stake age.** Time is cut into periods of `min_stake_age` seconds. Shares staked
//! (deposited, or returned from a cancelled withdrawal) in period `p` are *young* during
//! periods `p` and `p + 1` and *seasoned* from period `p + 2` on, so a seasoned share is
//! always at least `min_stake_age` old (and at most `2 · min_stake_age`). Only shares
//! seasoned at a claim's filing vote on it, and the claim's eligible weight counts only
//! those. The pool and every underwriter keep the same two-lot record ([`YoungShares`]),
//! so the pool's eligible weight is exactly the sum of what its underwriters may cast.
//!
//! Also the withdrawal-pause clock ([`PauseClock`], [`exit_clock`]).

use anchor_lang::prelude::*;

use super::safe_math::SafeMath;
use super::shares::{PodShares, Shares};

/// Shares staked in the two most recent stake periods (the young ones). Plain old
/// data (it lives in the zero-copy [`crate::state::Pool`]).
#[derive(
    AnchorSerialize,
    AnchorDeserialize,
    InitSpace,
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    bytemuck::Pod,
    bytemuck::Zeroable,
)]
#[repr(C)]
pub struct YoungShares {
    /// Stake period of `current` (`unix time / min_stake_age`).
    pub period: i64,
    /// Shares staked during `period`.
    pub current: PodShares,
    /// Shares staked during `period - 1`.
    pub previous: PodShares,
}

/// Stake period of unix time `now` for periods of `age` seconds (`age > 0`).
pub fn stake_period(now: i64, age: i64) -> i64 {
    // Unsigned division (SBPF v3 through the upstream BPF backend has no signed one).
    (now.max(0).unsigned_abs() / age.max(1).unsigned_abs()) as i64
}

/// First unix time at which shares staked at `staked_at` are seasoned (periods of `age`
/// seconds): the start of the second period after the one holding `staked_at`, between
/// `age` and `2 · age` later. A claim filed at or after it counts them.
pub fn seasoned_from(staked_at: i64, age: i64) -> i64 {
    stake_period(staked_at, age)
        .saturating_add(2)
        .saturating_mul(age.max(1))
}

impl YoungShares {
    /// First unix time (periods of `age` seconds) at which no share of this record is
    /// young any more; `None` when none is young in period `self.period` or later
    /// (`young_at` of every later period is 0).
    pub fn seasoned_at(&self, age: i64) -> Option<i64> {
        // The lots were staked in `period` and `period - 1`.
        let age = age.max(1);
        let staked = if self.current.get() > 0 {
            self.period
        } else if self.previous.get() > 0 {
            self.period.saturating_sub(1)
        } else {
            return None;
        };
        Some(seasoned_from(staked.saturating_mul(age), age))
    }

    /// Shares still young in period `period` (`period >= self.period`; an earlier period
    /// sees everything recorded as young).
    pub fn young_at(&self, period: i64) -> Shares {
        if period <= self.period {
            self.current.get().saturating_add(self.previous.get())
        } else if period == self.period + 1 {
            self.current.get()
        } else {
            0
        }
    }

    /// Moves the record to `period` (forgetting lots that became seasoned).
    pub fn roll(&mut self, period: i64) {
        if period <= self.period {
            return;
        }
        self.previous = if period == self.period + 1 {
            self.current
        } else {
            PodShares::default()
        };
        self.current = PodShares::default();
        self.period = period;
    }

    /// Records `shares` staked in `period`.
    pub fn add(&mut self, period: i64, shares: Shares) -> Result<()> {
        self.roll(period);
        self.current.set(self.current.get().safe_add(shares)?);
        Ok(())
    }
}

/// How long withdrawals have been paused, so that delays meant to let underwriters
/// leave only count time during which they could. A pool's *exit clock* is wall time
/// minus the withdrawal-pause time of the pool and of the protocol
/// ([`exit_clock`]); activation times of new draw rights and parameter changes are on
/// that clock, so a pause stops them from coming due.
#[derive(
    AnchorSerialize,
    AnchorDeserialize,
    InitSpace,
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    bytemuck::Pod,
    bytemuck::Zeroable,
)]
#[repr(C)]
pub struct PauseClock {
    /// Unix time the current pause began (0: not paused).
    pub paused_since: i64,
    /// Seconds of pauses that have ended.
    pub paused_secs: i64,
}

impl PauseClock {
    /// Records a change of the paused state at `now`.
    pub fn update(&mut self, was_paused: bool, is_paused: bool, now: i64) {
        if !was_paused && is_paused {
            self.paused_since = now;
        } else if was_paused && !is_paused {
            self.paused_secs = self
                .paused_secs
                .saturating_add(now.saturating_sub(self.paused_since).max(0));
            self.paused_since = 0;
        }
    }

    /// Seconds paused up to `now`, including a pause still running.
    pub fn total(&self, now: i64) -> i64 {
        let running = if self.paused_since != 0 {
            now.saturating_sub(self.paused_since).max(0)
        } else {
            0
        };
        self.paused_secs.saturating_add(running)
    }
}

/// The exit clock at `now`: wall time minus every second withdrawals were paused for
/// this pool (`pool`) or for all pools (`protocol`). Overlapping pauses count twice,
/// which only makes delays longer.
pub fn exit_clock(now: i64, pool: &PauseClock, protocol: &PauseClock) -> i64 {
    now.saturating_sub(pool.total(now))
        .saturating_sub(protocol.total(now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn shares_season_after_two_periods() {
        let mut y = YoungShares::default();
        y.add(10, 100).unwrap();
        assert_eq!(
            (y.young_at(10), y.young_at(11), y.young_at(12)),
            (100, 100, 0)
        );
        y.add(11, 50).unwrap();
        assert_eq!(
            (y.young_at(11), y.young_at(12), y.young_at(13)),
            (150, 50, 0)
        );
        y.add(14, 7).unwrap();
        assert_eq!(
            (y.previous.get(), y.current.get(), y.young_at(14)),
            (0, 7, 7)
        );
        assert_eq!(stake_period(86_400 * 3 + 5, 86_400), 3);
        assert_eq!(stake_period(-5, 86_400), 0);
    }

    #[test]
    fn seasoning_waits_out_the_rest_of_the_period_and_one_more() {
        let age = 3 * 86_400;
        // Staked at the very start of a period: seasoned exactly 2 · age later; in its
        // last second: one second over age later.
        assert_eq!(seasoned_from(10 * age, age), 12 * age);
        assert_eq!(seasoned_from(11 * age - 1, age), 12 * age);
        for staked in [10 * age, 10 * age + 1, 10 * age + age / 2, 11 * age - 1] {
            let from = seasoned_from(staked, age);
            assert!(from - staked > age && from - staked <= 2 * age);
            // The record agrees: young one second before, seasoned at `from`.
            let mut y = YoungShares::default();
            y.add(stake_period(staked, age), 5).unwrap();
            assert_eq!(y.seasoned_at(age), Some(from));
            assert_eq!(y.young_at(stake_period(from - 1, age)), 5);
            assert_eq!(y.young_at(stake_period(from, age)), 0);
        }
        // Only the previous lot left: it seasons one period after the record's.
        let mut y = YoungShares::default();
        y.add(10, 5).unwrap();
        y.roll(11);
        assert_eq!(y.seasoned_at(age), Some(12 * age));
        assert_eq!(YoungShares::default().seasoned_at(age), None);
    }

    #[test]
    fn the_exit_clock_stops_while_withdrawals_are_paused() {
        let (mut pool, protocol) = (PauseClock::default(), PauseClock::default());
        assert_eq!(exit_clock(1_000, &pool, &protocol), 1_000);
        pool.update(false, true, 1_000);
        assert_eq!(exit_clock(5_000, &pool, &protocol), 1_000);
        pool.update(true, true, 6_000); // still paused
        pool.update(true, false, 9_000);
        assert_eq!(exit_clock(9_000, &pool, &protocol), 1_000);
        assert_eq!(exit_clock(9_500, &pool, &protocol), 1_500);
    }

    proptest! {
        /// The pool's record is the sum of its underwriters': two underwriters staking
        /// at arbitrary times, read at any later period, add up exactly.
        #[test]
        fn pool_record_is_the_sum_of_positions(
            stakes in proptest::collection::vec((0i64..40, 0u128..1_000, any::<bool>()), 0..30),
            read in 0i64..60,
        ) {
            let mut stakes = stakes;
            stakes.sort_by_key(|s| s.0);
            let (mut pool, mut a, mut b) = (YoungShares::default(), YoungShares::default(), YoungShares::default());
            for (period, shares, first) in &stakes {
                pool.add(*period, *shares).unwrap();
                if *first { a.add(*period, *shares).unwrap() } else { b.add(*period, *shares).unwrap() }
            }
            let last = stakes.last().map_or(0, |s| s.0);
            let read = read.max(last);
            prop_assert_eq!(pool.young_at(read), a.young_at(read) + b.young_at(read));
        }

    }
}
