//! Outstanding coverage of a pool, bucketed by expiry day, so that expired coverage
//! stops counting without anyone scanning members: every instruction that touches the
//! pool first drops the buckets of days that have fully passed (at most one pass over
//! the ring, however long nobody touched the pool).
//!
//! Granularity: a cover expiring at time `E` leaves the pool's exposure when the day
//! containing `E` ends (up to one day late, never early: utilisation is overstated,
//! in the pool's favour). The member's own coverage ends exactly at `E`.

use anchor_lang::prelude::*;

use super::premium::DAY;
use super::safe_math::SafeMath;

/// Number of daily buckets; covers may last at most `EXPOSURE_BUCKETS - 1` days.
pub const EXPOSURE_BUCKETS: usize = 64;

/// Exposure (sum of active covered amounts) with a ring of daily expiry buckets. Stored
/// zero-copy in its own account ([`crate::state::PoolExposure`]) so that only premium
/// instructions pay for reading it.
#[zero_copy]
#[derive(Debug, PartialEq, Eq)]
pub struct ExposureBook {
    /// Sum of every bucket: the pool's outstanding covered amount.
    pub total: u64,
    /// Day number (`unix time / DAY`) up to which expired buckets have been dropped.
    pub day: i64,
    /// `buckets[d % EXPOSURE_BUCKETS]`: amount whose cover expires during day `d`.
    pub buckets: [u64; EXPOSURE_BUCKETS],
}

impl Default for ExposureBook {
    fn default() -> Self {
        Self {
            total: 0,
            day: 0,
            buckets: [0; EXPOSURE_BUCKETS],
        }
    }
}

/// Day number of a unix time (floor division; times before 1970 map to day 0).
pub fn day_of(time: i64) -> i64 {
    // Unsigned division (SBPF v3 through the upstream BPF backend has no signed one).
    (time.max(0).unsigned_abs() / DAY.unsigned_abs()) as i64
}

impl ExposureBook {
    /// An empty book whose ring starts at `now`.
    pub fn new(now: i64) -> Self {
        Self {
            day: day_of(now),
            ..Self::default()
        }
    }

    /// Ring indices of the buckets whose day has fully passed by `now`.
    fn expired(&self, now: i64) -> impl Iterator<Item = usize> {
        let first = self.day;
        let passed = (day_of(now) - first).clamp(0, EXPOSURE_BUCKETS as i64);
        (0..passed).map(move |k| ((first + k) as usize) % EXPOSURE_BUCKETS)
    }

    /// Exposure still active at `now`, without modifying the book (for quotes).
    pub fn active_at(&self, now: i64) -> u64 {
        let expired = self
            .expired(now)
            .fold(0u64, |sum, i| sum.saturating_add(self.buckets[i]));
        self.total.saturating_sub(expired)
    }

    /// Drops every bucket whose day has fully passed by `now`.
    pub fn roll(&mut self, now: i64) {
        for i in self.expired(now) {
            self.total = self.total.saturating_sub(self.buckets[i]);
            self.buckets[i] = 0;
        }
        self.day = self.day.max(day_of(now));
    }

    /// Adds `amount` of cover expiring at `expiry`. The book must be rolled to `now`
    /// and `expiry` must fall within the ring (`now <= expiry < now + 63 days`), which
    /// `PoolParams::validate` guarantees through the maximum coverage duration.
    pub fn add(&mut self, expiry: i64, amount: u64) -> Result<()> {
        let day = day_of(expiry);
        require!(
            day >= self.day && day < self.day + EXPOSURE_BUCKETS as i64,
            crate::errors::InsuranceError::MathOverflow
        );
        let i = (day as usize) % EXPOSURE_BUCKETS;
        self.buckets[i] = self.buckets[i].safe_add(amount)?;
        self.total = self.total.safe_add(amount)?;
        Ok(())
    }
}

/// Unearned premium by the day it is earned: a premium paid at `now` for a cover ending
/// at `expiry` is spread evenly over the days `day(now) ..= day(expiry)` (the last day
/// takes the rounding remainder) and each day's part is earned — moved into capital —
/// when that day has fully passed. So a premium is earned exactly over its own cover's
/// term, day by day, whoever refreshes the pool and however often.
#[zero_copy]
#[derive(Debug, PartialEq, Eq)]
pub struct EarningBook {
    /// Sum of every bucket: the pool's unearned premium.
    pub total: u64,
    /// Day number up to which earned buckets have been released.
    pub day: i64,
    /// `buckets[d % EXPOSURE_BUCKETS]`: premium earned at the end of day `d`.
    pub buckets: [u64; EXPOSURE_BUCKETS],
}

impl Default for EarningBook {
    fn default() -> Self {
        Self {
            total: 0,
            day: 0,
            buckets: [0; EXPOSURE_BUCKETS],
        }
    }
}

impl EarningBook {
    /// An empty book whose ring starts at `now`.
    pub fn new(now: i64) -> Self {
        Self {
            day: day_of(now),
            ..Self::default()
        }
    }

    /// Premium earned by `now` that has not been released yet (without releasing it).
    pub fn earned_at(&self, now: i64) -> u64 {
        let first = self.day;
        let passed = (day_of(now) - first).clamp(0, EXPOSURE_BUCKETS as i64);
        (0..passed)
            .map(|k| self.buckets[((first + k) as usize) % EXPOSURE_BUCKETS])
            .fold(0u64, |sum, b| sum.saturating_add(b))
    }

    /// Releases every bucket whose day has fully passed by `now`; returns their sum.
    pub fn release(&mut self, now: i64) -> u64 {
        let first = self.day;
        let passed = (day_of(now) - first).clamp(0, EXPOSURE_BUCKETS as i64);
        let mut earned = 0u64;
        for k in 0..passed {
            let i = ((first + k) as usize) % EXPOSURE_BUCKETS;
            earned = earned.saturating_add(self.buckets[i]);
            self.buckets[i] = 0;
        }
        self.total = self.total.saturating_sub(earned);
        self.day = self.day.max(day_of(now));
        earned
    }

    /// Spreads `amount` of premium over the days from `now` to `expiry` (the book must
    /// be released to `now`; `expiry` within the ring, as for the exposure book).
    pub fn add(&mut self, now: i64, expiry: i64, amount: u64) -> Result<()> {
        let (first, last) = (day_of(now).max(self.day), day_of(expiry));
        require!(
            last >= first && last < self.day + EXPOSURE_BUCKETS as i64,
            crate::errors::InsuranceError::MathOverflow
        );
        let days = (last - first + 1) as u64;
        let share = amount / days;
        for d in first..=last {
            let part = if d == last {
                amount - share * (days - 1)
            } else {
                share
            };
            let i = (d as usize) % EXPOSURE_BUCKETS;
            self.buckets[i] = self.buckets[i].safe_add(part)?;
        }
        self.total = self.total.safe_add(amount)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_700_000_000;

    #[test]
    fn premiums_are_earned_day_by_day_over_their_own_term() {
        let t = day_of(T0) * DAY + 100; // early in a day
        let mut book = EarningBook::new(t);
        // 3 100 over a 30-day cover: 31 day buckets of 100 (first and last partial).
        book.add(t, t + 30 * DAY, 3_100).unwrap();
        assert_eq!((book.total, book.earned_at(t + DAY / 2)), (3_100, 0));
        let day_end = day_of(t) * DAY + DAY;
        assert_eq!(book.earned_at(day_end), 100);
        assert_eq!(book.release(day_end + 10 * DAY), 1_100);
        assert_eq!(book.total, 2_000);
        // A top-up with an hour left is earned within its day, not over a whole term.
        let late = day_end + 10 * DAY + 100;
        book.add(late, late + 3_600, 50).unwrap();
        assert_eq!(book.earned_at(day_end + 11 * DAY), 150);
        // Everything once the cover is over, however rarely it was refreshed.
        assert_eq!(book.release(t + 40 * DAY), 2_050);
        assert_eq!(book.total, 0);
        // Remainders go to the last day; nothing is lost.
        let mut book = EarningBook::new(T0);
        book.add(T0, T0 + 2 * DAY, 10).unwrap();
        assert_eq!(book.buckets.iter().sum::<u64>(), 10);
    }

    #[test]
    fn covers_expire_at_the_end_of_their_day() {
        let mut book = ExposureBook::new(T0);
        book.add(T0 + 10 * DAY, 500).unwrap();
        book.add(T0 + 30 * DAY, 700).unwrap();
        assert_eq!(book.active_at(T0 + 10 * DAY), 1_200, "still in its day");
        let next_day = (day_of(T0 + 10 * DAY) + 1) * DAY;
        assert_eq!(book.active_at(next_day - 1), 1_200);
        assert_eq!(book.active_at(next_day), 700);
        book.roll(next_day);
        assert_eq!(book.total, 700);
        assert_eq!(book.active_at(T0 + 400 * DAY), 0);
        book.roll(T0 + 400 * DAY);
        assert_eq!(book, ExposureBook::new(T0 + 400 * DAY));
    }

    #[test]
    fn active_at_matches_roll_everywhere() {
        let mut book = ExposureBook::new(T0);
        for d in 0..60 {
            book.add(T0 + d * DAY, (d as u64 + 1) * 10).unwrap();
        }
        for step in 0..70 {
            let now = T0 + step * DAY + 123;
            let quoted = book.active_at(now);
            let mut rolled = book;
            rolled.roll(now);
            assert_eq!(quoted, rolled.total, "day {step}");
        }
    }

    #[test]
    fn refuses_expiries_outside_the_ring() {
        let mut book = ExposureBook::new(T0);
        assert!(book.add(T0 - 2 * DAY, 1).is_err());
        assert!(book.add(T0 + 64 * DAY, 1).is_err());
        assert!(book.add(T0 + 62 * DAY, 1).is_ok());
        assert!(book.add(T0 + 62 * DAY, u64::MAX).is_err());
    }
}
