//! Shortfall cover: how much a pool pays an exchange, its epochs, and loss statistics.

use super::premium::BPS;
use anchor_lang::prelude::*;

/// The binding limit of a shortfall payout.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CoverLimit {
    /// Paid in full.
    None,
    /// `per_event_cap`.
    PerEvent,
    /// Room left in the epoch.
    PerEpoch,
    /// Capital above the solvency floor.
    SolvencyFloor,
    /// Nothing paid: shortfall cover is paused, or the registration is inactive or not
    /// yet active (the report is still recorded).
    Suspended,
    /// Nothing paid: the destination passed is no longer the registration's (a change
    /// governance made has taken effect). The report is recorded and the exchange's
    /// liquidation goes on, socialising the shortfall, instead of aborting.
    StaleDestination,
}

/// Start of the epoch containing `now`, for epochs of `length` seconds aligned to
/// `start` (unchanged while `now` is still inside the epoch or before it).
#[inline]
pub fn current_epoch_start(start: i64, length: i64, now: i64) -> i64 {
    if length <= 0 || now < start.saturating_add(length) {
        return start;
    }
    // Unsigned division: the upstream BPF backend has no signed division for SBPF v3,
    // and both operands are positive here.
    let passed = (now.abs_diff(start) / length.unsigned_abs()) as i64;
    start.saturating_add(passed.saturating_mul(length))
}

/// The epoch containing `now` and its length, for a registration whose current epoch
/// started at `start` with `current_length`, and whose limits now say `new_length`:
/// the current epoch runs its course with its own length, and every later one uses
/// `new_length`.
#[inline]
pub fn next_epoch(start: i64, current_length: i64, new_length: i64, now: i64) -> (i64, i64) {
    let current_length = if current_length > 0 {
        current_length
    } else {
        new_length
    };
    let end = start.saturating_add(current_length);
    if now < end {
        return (start, current_length);
    }
    (current_epoch_start(end, new_length, now), new_length)
}

/// Capital a pool keeps no matter what: reserved for approved claims plus its minimum
/// reserve.
#[inline]
pub fn solvency_floor(reserved_for_claims: u64, min_reserve: u64) -> u64 {
    reserved_for_claims.saturating_add(min_reserve)
}

/// `covered = min(amount, per_event_cap, epoch_room, capital above floor)` and the
/// limit that bound it (the first binding one in that order when several tie).
#[inline]
pub fn cover_amount(
    amount: u64,
    per_event_cap: u64,
    epoch_room: u64,
    available: u64,
) -> (u64, CoverLimit) {
    let mut covered = amount;
    let mut limit = CoverLimit::None;
    for (cap, which) in [
        (per_event_cap, CoverLimit::PerEvent),
        (epoch_room, CoverLimit::PerEpoch),
        (available, CoverLimit::SolvencyFloor),
    ] {
        if cap < covered {
            covered = cap;
            limit = which;
        }
    }
    (covered, limit)
}

/// Exponentially weighted moving average: `prev + (sample − prev) · weight / BPS`,
/// rounded towards `prev`. The first sample (`count == 0`) is taken as is.
pub fn ewma(prev: u64, sample: u64, weight_bps: u64, count: u64) -> u64 {
    if count == 0 {
        return sample;
    }
    let w = weight_bps.min(BPS) as u128;
    let step = |d: u64| (d as u128 * w / BPS as u128) as u64;
    if sample >= prev {
        prev + step(sample - prev)
    } else {
        prev - step(prev - sample)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn epochs_roll_on_aligned_boundaries() {
        assert_eq!(current_epoch_start(1_000, 100, 1_050), 1_000);
        assert_eq!(current_epoch_start(1_000, 100, 1_100), 1_100);
        assert_eq!(current_epoch_start(1_000, 100, 1_399), 1_300);
        assert_eq!(current_epoch_start(1_000, 100, 900), 1_000);
        assert_eq!(current_epoch_start(0, 1, i64::MAX), i64::MAX);
    }

    #[test]
    fn a_new_epoch_length_applies_from_the_next_epoch() {
        // Day-long epoch from 0; the length becomes one hour.
        assert_eq!(next_epoch(0, 86_400, 3_600, 5_000), (0, 86_400));
        assert_eq!(next_epoch(0, 86_400, 3_600, 86_400), (86_400, 3_600));
        assert_eq!(
            next_epoch(0, 86_400, 3_600, 86_400 + 7_300),
            (86_400 + 7_200, 3_600)
        );
        assert_eq!(next_epoch(0, 3_600, 3_600, 7_300), (7_200, 3_600));
    }

    #[test]
    fn each_limit_can_bind() {
        assert_eq!(cover_amount(100, 500, 500, 500), (100, CoverLimit::None));
        assert_eq!(
            cover_amount(600, 500, 800, 900),
            (500, CoverLimit::PerEvent)
        );
        assert_eq!(
            cover_amount(600, 500, 300, 900),
            (300, CoverLimit::PerEpoch)
        );
        assert_eq!(
            cover_amount(600, 500, 300, 200),
            (200, CoverLimit::SolvencyFloor)
        );
        assert_eq!(
            cover_amount(600, 500, 500, 0),
            (0, CoverLimit::SolvencyFloor)
        );
    }

    #[test]
    fn ewma_moves_a_fifth_of_the_way() {
        assert_eq!(ewma(0, 1_000, 2_000, 0), 1_000);
        assert_eq!(ewma(1_000, 2_000, 2_000, 1), 1_200);
        assert_eq!(ewma(1_000, 0, 2_000, 1), 800);
        assert_eq!(ewma(u64::MAX, 0, 10_000, 1), 0);
    }

    proptest! {
        #[test]
        fn covered_never_exceeds_any_limit(a: u64, e: u64, r: u64, f: u64) {
            let (covered, _) = cover_amount(a, e, r, f);
            prop_assert!(covered <= a && covered <= e && covered <= r && covered <= f);
            prop_assert!(covered == a.min(e).min(r).min(f));
        }

        #[test]
        fn ewma_stays_between_prev_and_sample(p: u64, s: u64, w in 0u64..=20_000, n in 1u64..10) {
            let v = ewma(p, s, w, n);
            prop_assert!(v >= p.min(s) && v <= p.max(s));
        }

        #[test]
        fn epoch_start_is_aligned_and_not_in_the_future(start in 0i64..1 << 40, len in 1i64..1 << 30, now in 0i64..1 << 41) {
            let s = current_epoch_start(start, len, now);
            prop_assert!((s - start) % len == 0);
            prop_assert!(s <= now.max(start));
            prop_assert!(now < s + len || now < start);
        }
    }
}
