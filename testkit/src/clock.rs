//! The test clock. Every bank the harness starts (tests, the CLI's tests and demo, the
//! CU benchmark) begins at one fixed instant, [`START`], never at the machine's wall
//! clock: the program's rules are aligned to unix time (stake periods of
//! `min_stake_age`, days of the exposure and earning books, epochs of exchange caps),
//! so a test that started "now" saw a different schedule on every day it ran.
//!
//! `POOL_TEST_CLOCK_OFFSET=<seconds>` moves the start by that many seconds (negative
//! moves it back), so a suite can be run at several points of a stake period to prove
//! that no test depends on where in a period it starts (`scripts/test.sh` does this;
//! see `docs/testing.md`). Tests that need seasoned stake wait for it with
//! [`crate::TestEnv::season`], which reads the program's own rule.

/// 2026-01-01 00:00:00 UTC: the start of a stake period for the tests' default
/// `min_stake_age` of 3 days (and of a day, the books' unit).
pub const START: i64 = 1_767_225_600;

/// Name of the environment variable that shifts [`START`] (seconds).
pub const OFFSET_VAR: &str = "POOL_TEST_CLOCK_OFFSET";

/// The offset `POOL_TEST_CLOCK_OFFSET` sets (0 when unset or empty). Panics on anything
/// but an integer: a typo must not silently test the default start.
pub fn offset() -> i64 {
    match std::env::var(OFFSET_VAR) {
        Ok(v) if !v.trim().is_empty() => v.trim().parse().unwrap_or_else(|_| {
            panic!("{OFFSET_VAR} must be a whole number of seconds, not `{v}`")
        }),
        _ => 0,
    }
}

/// Unix time every test bank starts at: [`START`] plus [`offset`].
pub fn start() -> i64 {
    START
        .checked_add(offset())
        .filter(|t| *t > 0)
        .unwrap_or_else(|| panic!("{OFFSET_VAR} moves the start before 1970"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_start_is_a_stake_period_and_day_boundary() {
        assert_eq!(START % (3 * 86_400), 0);
        assert_eq!(START % 86_400, 0);
    }
}
