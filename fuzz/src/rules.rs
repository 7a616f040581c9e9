//! The rules the program's state types carry in their helper methods, restated for the
//! model from the README and the doc comments, so that the model shares only the pure
//! arithmetic of `math/` (share pricing, the premium curve and its smoothing, the
//! exposure and earning books, stake periods, pause clocks, the volume curve) and
//! never a rule: which capital an exit or a deposit is priced on, when cover matures
//! and what may be claimed, which shares vote, when parameters and registration
//! changes apply, when a registration may draw, what counts as a decrease of limits,
//! the exposure cap and the top-up maturity rule of a quote.

use insurance_pool::constants::ACTIVATION_MARGIN;
use insurance_pool::errors::InsuranceError;
use insurance_pool::math::{
    curve_rate, day_of, decayed_loss, premium_for, shares_for_deposit, stake_period,
    utilisation_bps, value_of_shares, volume_fee, volume_target_rate, within_bps, EarningBook,
    ExposureBook, Shares, BPS,
};
use insurance_pool::state::{
    Claim, ClaimStatus, ExchangeLimits, ExchangeRegistration, Member, Pool, PoolParams,
    PremiumQuote, Protocol, Underwriter, VolumeQuote,
};

use crate::model::{an, R};

/// A flag is paused if the pool or the protocol pauses it.
pub fn paused(pool: &Pool, protocol: &Protocol, flag: u8) -> bool {
    (pool.paused | protocol.paused) & flag != 0
}

/// Wall time minus every second withdrawals could not complete: paused (pool and
/// protocol) or refused while claims voted; never below the highest reading an
/// instruction recorded (overlapping stops would otherwise run it backwards).
pub fn exit_clock(pool: &Pool, protocol: &Protocol, now: i64) -> i64 {
    (now - pool.withdraw_pause.total(now)
        - protocol.withdraw_pause.total(now)
        - pool.voting_pause.total(now)
        - holdup_secs(pool, now))
    .max(pool.exit_clock_high)
}

/// Seconds of hold-ups up to `now`, overlapping ones once: the ended runs, plus the
/// current run from `holdup_from` to `holdup_until`.
pub fn holdup_secs(pool: &Pool, now: i64) -> i64 {
    pool.holdup_secs + (now.min(pool.holdup_until) - pool.holdup_from).max(0)
}

/// An approved claim's hold-up from `now` to `ends_at` (the exit clock was marked).
pub fn start_holdup(pool: &mut Pool, now: i64, ends_at: i64) {
    if now >= pool.holdup_until {
        pool.holdup_secs = holdup_secs(pool, now);
        pool.holdup_from = now;
    }
    pool.holdup_until = pool.holdup_until.max(ends_at);
}

/// Records the exit clock at `now` as the floor of later readings.
pub fn mark_exit_clock(pool: &mut Pool, protocol: &Protocol, now: i64) -> i64 {
    let clock = exit_clock(pool, protocol, now);
    pool.exit_clock_high = clock;
    clock
}

/// Sets the amount of claims voting at `now`; the voting clock runs while it is not 0.
pub fn set_voting_claims(pool: &mut Pool, amount: u64, now: i64) {
    let (was, is) = (pool.voting_claims > 0, amount > 0);
    if !was && is {
        pool.voting_pause.paused_since = now;
    } else if was && !is {
        pool.voting_pause.paused_secs += (now - pool.voting_pause.paused_since).max(0);
        pool.voting_pause.paused_since = 0;
    }
    pool.voting_claims = amount;
}

/// Applies pending parameters due on the exit clock; returns the clock.
pub fn refresh(pool: &mut Pool, protocol: &Protocol, now: i64) -> i64 {
    let clock = mark_exit_clock(pool, protocol, now);
    if pool.pending_params_at != 0 && clock >= pool.pending_params_at {
        pool.params = pool.pending_params;
        pool.pending_params_at = 0;
    }
    clock
}

/// The parameters in force at exit clock `clock` (pending ones once due).
pub fn params_at(pool: &Pool, clock: i64) -> &PoolParams {
    if pool.pending_params_at != 0 && clock >= pool.pending_params_at {
        &pool.pending_params
    } else {
        &pool.params
    }
}

/// Moves the premium earned by `now` into capital.
pub fn earn(pool: &mut Pool, earnings: &mut EarningBook, now: i64) -> R<()> {
    let earned = earnings.release(now).min(pool.unearned_premiums);
    pool.unearned_premiums -= earned;
    pool.capital = pool.capital.checked_add(earned).ok_or("MathOverflow")?;
    Ok(())
}

/// Capital not reserved for approved claims.
pub fn free_capital(pool: &Pool) -> u64 {
    pool.capital.saturating_sub(pool.reserved_for_claims)
}

/// Free capital less the value (on it) of the shares pending withdrawal: the capital
/// that stays, which new cover is priced and capped on.
pub fn staying_capital(pool: &Pool, clock: i64) -> R<u64> {
    let free = free_capital(pool);
    // Once every pending request has lapsed (exit clock past the latest window close),
    // none of them counts as leaving.
    if clock > pool.pending_closes_until {
        return Ok(free);
    }
    let leaving =
        value_of_shares(pool.leaving_shares.get(), free, pool.total_shares.get()).map_err(an)?;
    Ok(free.saturating_sub(leaving))
}

/// Free capital net of the claims still voting: what exits are priced on.
pub fn exit_capital(pool: &Pool) -> u64 {
    free_capital(pool).saturating_sub(pool.voting_claims)
}

/// Shares for a deposit, priced on free capital.
pub fn shares_for(pool: &Pool, amount: u64) -> R<Shares> {
    shares_for_deposit(amount, free_capital(pool), pool.total_shares.get()).map_err(an)
}

/// What `shares` may take out now: their part of exit capital.
pub fn value_of(pool: &Pool, shares: Shares) -> R<u64> {
    value_of_shares(shares, exit_capital(pool), pool.total_shares.get()).map_err(an)
}

/// The value a withdrawal request records: on free capital (voting claims not netted).
pub fn value_on_free_capital(pool: &Pool, shares: Shares) -> R<u64> {
    value_of_shares(shares, free_capital(pool), pool.total_shares.get()).map_err(an)
}

pub fn period(pool: &Pool, now: i64) -> i64 {
    stake_period(now, pool.params.governance.min_stake_age)
}

/// Shares staked at `now` are young in the pool's and the position's records.
pub fn stake(pool: &mut Pool, u: &mut Underwriter, shares: Shares, now: i64) -> R<()> {
    let p = period(pool, now);
    pool.young_shares.add(p, shares).map_err(an)?;
    u.young_shares.add(p, shares).map_err(an)?;
    u.last_stake_at = now;
    Ok(())
}

/// Shares that may vote on a claim filed at `now`: all but the young (shares under a
/// request vote: they bear the claim while they are in the pool).
pub fn seasoned_shares(pool: &Pool, now: i64) -> Shares {
    pool.total_shares
        .get()
        .saturating_sub(pool.young_shares.young_at(period(pool, now)))
}

pub fn free_shares(u: &Underwriter) -> Shares {
    u.shares.get().saturating_sub(u.pending_shares.get())
}

/// A position's weight on a claim filed in stake period `period`.
pub fn vote_weight(u: &Underwriter, period: i64) -> Shares {
    u.shares
        .get()
        .saturating_sub(u.young_shares.young_at(period))
}

pub fn within_cap(pool: &Pool, exposure: u64, capital: u64) -> bool {
    within_bps(exposure, capital, pool.params.max_exposure_bps)
}

pub fn covered(m: &Member, now: i64) -> bool {
    now < m.coverage_expiry
}

pub fn active_cover(m: &Member, now: i64) -> u64 {
    if covered(m, now) {
        m.covered_amount
    } else {
        0
    }
}

/// Cover bought at least the waiting period ago counts as matured.
pub fn mature(m: &mut Member, now: i64) {
    if m.maturing_amount > 0 && now >= m.matures_at {
        m.matured_amount = m.matured_amount.saturating_add(m.maturing_amount);
        m.maturing_amount = 0;
    }
}

/// What a member may still claim in its current term: matured cover not yet claimed.
pub fn claimable(m: &Member, now: i64) -> u64 {
    if !covered(m, now) {
        return 0;
    }
    let mut matured = m.matured_amount;
    if now >= m.matures_at {
        matured = matured.saturating_add(m.maturing_amount);
    }
    matured.saturating_sub(m.claimed_amount)
}

/// A claim closes; a claim that paid nothing (rejected, vetoed, cancelled) gives its
/// amount back to the term it was filed in, if that term still runs.
pub fn close_claim(m: &mut Member, claim: &Claim, give_back: bool) {
    m.open_claim = anchor_lang::prelude::Pubkey::default();
    if give_back && m.coverage_expiry == claim.cover_expiry {
        m.claimed_amount = m.claimed_amount.saturating_sub(claim.amount);
    }
}

pub fn is_open(c: &Claim) -> bool {
    matches!(c.status.get(), ClaimStatus::Voting | ClaimStatus::Approved)
}

/// The longest an underwriter needs to get out after seeing a change coming (its
/// locks, then a request that waits its cooldown or for a whole term of cover in force
/// and that cover's expiry day), plus the margin.
pub fn exit_horizon(p: &PoolParams) -> i64 {
    let vote_lock = p
        .governance
        .voting_period
        .saturating_add(p.governance.holdup_period);
    let longest_wait = p
        .withdrawal_cooldown
        .max(p.coverage_duration.saturating_add(86_400));
    p.min_deposit_lock
        .max(vote_lock)
        .saturating_add(longest_wait)
        .saturating_add(ACTIVATION_MARGIN)
}

/// How long new draw rights and parameter changes wait (current and pending params).
pub fn activation_delay(pool: &Pool, now: i64) -> i64 {
    let pending = if pool.pending_params_at != 0 {
        exit_horizon(&pool.pending_params)
    } else {
        0
    };
    exit_horizon(&pool.params)
        .max(pending)
        .max(past_cover_delay(pool, now))
}

/// When the cover sold so far has left the pool's book: the end of the day of the
/// latest expiry sold, if that day is not over at `now` (0 otherwise).
pub fn cover_in_force_until(pool: &Pool, now: i64) -> i64 {
    const DAY: i64 = 86_400;
    let day = pool.cover_ends_at.div_euclid(DAY);
    if pool.cover_ends_at == 0 || day < now.div_euclid(DAY) {
        0
    } else {
        (day + 1) * DAY
    }
}

/// What an underwriter seeing a change at `now` needs to get out past the cover in
/// force: its locks, then a request waiting for that cover, plus the margin.
pub fn past_cover_delay(pool: &Pool, now: i64) -> i64 {
    let p = &pool.params;
    let vote_lock = p.governance.voting_period + p.governance.holdup_period;
    let wait = cover_in_force_until(pool, now).saturating_sub(now);
    p.min_deposit_lock.max(vote_lock) + p.withdrawal_cooldown.max(wait) + ACTIVATION_MARGIN
}

/// A registration's pending change applies once the exit clock reaches its time.
pub fn refresh_registration(r: &mut ExchangeRegistration, clock: i64) {
    if r.pending_at != 0 && clock >= r.pending_at {
        r.limits = r.pending_limits;
        r.destination = r.pending_destination;
        r.active = 1;
        r.pending_at = 0;
    }
}

pub fn can_draw(r: &ExchangeRegistration, clock: i64) -> bool {
    r.active != 0 && clock >= r.active_from
}

/// Every limit tighter or equal (a longer epoch is tighter).
pub fn is_decrease(new: &ExchangeLimits, old: &ExchangeLimits) -> bool {
    new.per_event_cap <= old.per_event_cap
        && new.per_epoch_cap <= old.per_epoch_cap
        && new.per_event_bps <= old.per_event_bps
        && new.per_epoch_bps <= old.per_epoch_bps
        && new.epoch_length >= old.epoch_length
}

/// The pool as the next instruction at `now` sees it (refreshed and earned), on copies.
pub fn projected(pool: &Pool, protocol: &Protocol, earnings: &EarningBook, now: i64) -> R<Pool> {
    let mut pool = *pool;
    refresh(&mut pool, protocol, now);
    let mut earnings = *earnings;
    earn(&mut pool, &mut earnings, now)?;
    Ok(pool)
}

/// A premium quote: refused above the exposure cap on the capital that stays (free
/// capital less what the pending withdrawals are worth), and for a top-up
/// that could not mature before its cover ends; the rate is the curve's at the
/// utilisation the purchase creates, falls only at the configured speed, within the
/// curve's bounds; a top-up pays for the time its cover has left.
pub fn quote(
    pool: &Pool,
    book: &ExposureBook,
    member: Option<&Member>,
    notional: u64,
    clock: i64,
    now: i64,
) -> R<PremiumQuote> {
    let p = &pool.params;
    let exposure = book
        .active_at(now)
        .checked_add(notional)
        .ok_or_else(|| InsuranceError::MathOverflow.name())?;
    let staying = staying_capital(pool, clock)?;
    if !within_cap(pool, exposure, staying) {
        return Err(InsuranceError::ExposureCapExceeded.name());
    }
    let utilisation = utilisation_bps(exposure, staying);
    let rate = curve_rate(&p.curve, utilisation);
    let (covered_secs, coverage_expiry) = match member {
        Some(m) if covered(m, now) => {
            let ready = now
                .checked_add(p.claim_waiting_period)
                .ok_or_else(|| InsuranceError::MathOverflow.name())?;
            if ready >= m.coverage_expiry {
                return Err(InsuranceError::CoverCannotMature.name());
            }
            (m.coverage_expiry - now, m.coverage_expiry)
        }
        _ => (
            p.coverage_duration,
            now.checked_add(p.coverage_duration)
                .ok_or_else(|| InsuranceError::MathOverflow.name())?,
        ),
    };
    Ok(PremiumQuote {
        premium: premium_for(notional, rate, covered_secs, p.coverage_duration).map_err(an)?,
        rate_bps: rate,
        utilisation_bps: utilisation,
        covered_secs,
        coverage_expiry,
    })
}

/// The loss index decayed to the day of `now`.
pub fn volume_loss_at(pool: &Pool, now: i64) -> u64 {
    let days = day_of(now).saturating_sub(pool.volume_loss_day);
    decayed_loss(
        pool.volume_loss,
        pool.params.volume.loss_decay_per_day,
        days.max(0) as u64,
    )
}

pub fn record_volume_loss(pool: &mut Pool, sample: u64, now: i64) {
    pool.volume_loss = volume_loss_at(pool, now).saturating_add(sample);
    pool.volume_loss_day = day_of(now);
}

/// The volume fee at the rate the loss index over free capital sets, the protocol
/// fee split out (rounded down).
pub fn volume_quote(pool: &Pool, volume: u64, protocol_fee_bps: u16, now: i64) -> R<VolumeQuote> {
    let loss_index = volume_loss_at(pool, now);
    let free = free_capital(pool);
    let rate = volume_target_rate(&pool.params.volume, loss_index, free);
    let fee = volume_fee(volume, rate).map_err(an)?;
    Ok(VolumeQuote {
        fee,
        protocol_fee: (fee as u128 * protocol_fee_bps as u128 / BPS as u128) as u64,
        rate_bps: rate,
        loss_index,
        free_capital: free,
    })
}
