//! The tests' default pool parameters (the pool of most scenarios, the demo's and the
//! fuzzer's starting point). Not the SDK's: a pool's economics are its governance's
//! choice, so the CLI's `create-pool` takes every parameter from flags or a file
//! (`docs/pool-params.example.toml` holds these values, checked by a CLI test).

use insurance_pool::math::{Curve, VolumeCurve};
use insurance_pool::state::{GovernanceParams, PoolParams};

/// The premium curve of [`default_params`]: 0.5 % at zero utilisation, +4 % per 100 %
/// of utilisation up to the 80 % kink, +60 % per 100 % above it, within [0.5 %, 20 %].
pub const DEFAULT_CURVE: Curve = Curve {
    base_rate: 50,
    slope1: 400,
    kink: 8_000,
    slope2: 6_000,
    min_rate: 50,
    max_rate: 2_000,
};

/// Claim governance of [`default_params`]: 3-day votes, 20 % quorum, 60 % approval,
/// 2-day hold-up, bond max(50, 1 % of the claim), fraud at 80 % no-votes (with the
/// quorum), votes from shares staked at least 3 days (the voting period) before the
/// filing, a claim at most 50 % of free capital.
pub const DEFAULT_GOVERNANCE: GovernanceParams = GovernanceParams {
    voting_period: 3 * 86_400,
    quorum_bps: 2_000,
    approval_threshold_bps: 6_000,
    holdup_period: 2 * 86_400,
    bond_min: 50,
    bond_bps: 100,
    fraud_threshold_bps: 8_000,
    min_stake_age: 3 * 86_400,
    max_claim_bps: 5_000,
};

/// Volume rate of [`default_params`]: 2 bps of volume with no loss history, plus 5 bps
/// per 1 % of the loss index over free capital (`loss_slope` 500), within [1, 50] bps;
/// the loss index forgets 5 % of itself a day (a half-life of about two weeks).
pub const DEFAULT_VOLUME: VolumeCurve = VolumeCurve {
    base_rate: 2,
    loss_slope: 500,
    min_rate: 1,
    max_rate: 50,
    loss_decay_per_day: 500,
};

/// Parameters used by most tests: 1-day cooldown then a 7-day window, cap 10^15,
/// minimum deposit 1, [`DEFAULT_CURVE`] (no rate memory), 30-day
/// covers claimable after 1 day, exposure up to 5 times free capital, no minimum
/// reserve, deposits locked for 30 days (one term). Their activation delay is
/// 30 + (30 + 1) + 1 = 62 days (a request waits for the cover in force: a term and its
/// expiry day).
pub fn default_params() -> PoolParams {
    PoolParams {
        withdrawal_cooldown: 86_400,
        deposit_cap: 1_000_000_000_000_000,
        min_deposit: 1,
        curve: DEFAULT_CURVE,
        coverage_duration: 30 * 86_400,
        max_exposure_bps: 50_000,
        min_reserve: 0,
        governance: DEFAULT_GOVERNANCE,
        withdrawal_window: 7 * 86_400,
        min_deposit_lock: 30 * 86_400,
        claim_waiting_period: 86_400,
        volume: DEFAULT_VOLUME,
    }
}
