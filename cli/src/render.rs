//! Turning decoded accounts into JSON values and human tables (pure, tested).

use insurance_pool_sdk::constants::pause;
use insurance_pool_sdk::math::{day_of, seasoned_from, utilisation_bps, ExposureBook, VolumeCurve};
use insurance_pool_sdk::state::{
    Claim, Member, Pool, PoolExposure, PoolParams, Protocol, Underwriter, VolumeQuote,
};
use serde_json::{json, Value};

/// Shares a unit of capital bought in an empty pool (the virtual offset).
const SHARES_PER_UNIT: u64 = insurance_pool_sdk::constants::VIRTUAL_SHARES;

/// A share amount (`u128`) as JSON: a number while it fits `u64` (what JSON readers take
/// without loss), else its decimal string.
fn big(v: u128) -> Value {
    match u64::try_from(v) {
        Ok(n) => Value::from(n),
        Err(_) => Value::from(v.to_string()),
    }
}

/// A volume curve as JSON (bps of traded volume).
pub fn volume_curve(v: &VolumeCurve) -> Value {
    json!({
        "base_rate": v.base_rate, "loss_slope": v.loss_slope, "min_rate": v.min_rate,
        "max_rate": v.max_rate, "loss_decay_per_day": v.loss_decay_per_day,
    })
}

/// A pool's parameters as JSON.
pub fn params(p: &PoolParams) -> Value {
    let (c, g) = (&p.curve, &p.governance);
    json!({
        "withdrawal_cooldown": p.withdrawal_cooldown,
        "withdrawal_window": p.withdrawal_window,
        "min_deposit_lock": p.min_deposit_lock,
        "deposit_cap": p.deposit_cap,
        "min_deposit": p.min_deposit,
        "coverage_duration": p.coverage_duration,
        "claim_waiting_period": p.claim_waiting_period,
        "max_exposure_bps": p.max_exposure_bps,
        "min_reserve": p.min_reserve,
        "curve": {
            "base_rate": c.base_rate, "slope1": c.slope1, "kink": c.kink,
            "slope2": c.slope2, "min_rate": c.min_rate, "max_rate": c.max_rate,
        },
        "governance": {
            "voting_period": g.voting_period,
            "quorum_bps": g.quorum_bps,
            "approval_threshold_bps": g.approval_threshold_bps,
            "holdup_period": g.holdup_period,
            "bond_min": g.bond_min,
            "bond_bps": g.bond_bps,
            "fraud_threshold_bps": g.fraud_threshold_bps,
            "min_stake_age": g.min_stake_age,
            "max_claim_bps": g.max_claim_bps,
        },
        "volume": volume_curve(&p.volume),
    })
}

/// One pool as JSON (`now` for utilisation: expired cover does not count). Amounts
/// are the account's as of its last update (unearned premium is released into capital
/// by the next instruction that touches the pool).
/// One pool at `now` (`clock`: its exit clock then, which says whether pending
/// withdrawals still count as leaving).
pub fn pool(address: &str, p: &Pool, book: &ExposureBook, clock: i64, now: i64) -> Value {
    let exposure = book.active_at(now);
    let free = p.free_capital();
    // What cover is priced and capped on: free capital less the pending withdrawals.
    let staying = p.staying_capital(clock).unwrap_or(0);
    let pending = (p.pending_params_at != 0).then(|| {
        let mut v = params(&p.pending_params);
        v["effective_at"] = p.pending_params_at.into();
        v
    });
    json!({
        "pool": address,
        "market": p.market.to_string(),
        "mint": p.mint.to_string(),
        "decimals": p.mint_decimals,
        // A trust assumption: the mint's issuer can freeze the pool's vault.
        "mint_has_freeze_authority": p.mint_has_freeze_authority != 0,
        "vault": p.vault.to_string(),
        "capital": p.capital,
        "free_capital": free,
        "unearned_premiums": p.unearned_premiums,
        "shares": big(p.total_shares.get()),
        "pending_withdrawal_shares": big(p.pending_withdrawal_shares.get()),
        // What the shares one unit bought in an empty pool would take out now.
        "share_price": p.value_of(SHARES_PER_UNIT as u128).unwrap_or(0),
        "exposure": exposure,
        "staying_capital": staying,
        "utilisation_bps": utilisation_bps(exposure, staying),
        "rate_bps": p.rate_bps,
        // The volume rate charged by the last `contribute_volume` (statistics), and the
        // volume rate's loss index as of the start of day `volume_loss_day` (unix
        // days); `volume-rate` shows the index decayed to now and the rate now.
        "volume_rate_bps": p.volume_rate_bps,
        "volume_loss": p.volume_loss,
        "volume_loss_day": p.volume_loss_day,
        "total_volume": p.total_volume,
        "total_volume_fees": p.total_volume_fees,
        "reserved_for_claims": p.reserved_for_claims,
        "voting_claims": p.voting_claims,
        // A deposit made now votes on claims filed from this time (the stake-age rule).
        "deposit_votes_from": seasoned_from(now, p.params.governance.min_stake_age),
        "bonds_held": p.bonds_held,
        "total_premiums": p.total_premiums,
        "losses": {
            "count": p.loss_stats.count,
            "reported": p.loss_stats.total_reported,
            "covered": p.loss_stats.total_covered,
            "largest": p.loss_stats.largest,
            "ewma": p.loss_stats.ewma,
        },
        "claims_filed": p.claim_count,
        "claims_paid": p.total_claims_paid,
        "paused": p.paused,
        "params": params(&p.params),
        "pending_params": pending,
    })
}

/// The pool as `quote_volume` sees it at `now` (`instructions/quote_volume.rs`): a copy
/// with the pending parameters due on its exit clock applied and the premium (and
/// volume fees) earned by `now` moved into capital; and its `Pool::volume_quote` for
/// `volume` (0 prices nothing but still gives the rates). The program's own code, so
/// the rate shown is the rate `contribute_volume` charges at `now`.
pub fn volume_quote_at(
    pool: &Pool,
    exposure: &PoolExposure,
    protocol: &Protocol,
    volume: u64,
    now: i64,
) -> Result<(Pool, VolumeQuote), String> {
    let pool = *pool
        .projected(protocol, &exposure.earnings, now)
        .map_err(|e| e.to_string())?;
    let quote = pool
        .volume_quote(volume, protocol.protocol_fee_bps, now)
        .map_err(|e| e.to_string())?;
    Ok((pool, quote))
}

/// A pool's volume rate at `now` and its inputs (the `volume-rate` command): the rate
/// `contribute_volume` charges now (`rate_bps`: the curve in effect now on
/// `loss_index` and `free_capital`, after earning), the loss index decayed to now and
/// what it decays from (`recorded_loss_index`, as of the start of unix day
/// `recorded_loss_day`, `days_decayed` whole days ago at the curve's
/// `loss_decay_per_day`), the rate the last contribution paid (`last_rate_bps`,
/// statistics: nothing is smoothed from it), lifetime volume and fees, and, with
/// `volume`, the fee on it.
///
/// Decided: the rate is computed from the accounts with the program's `volume_quote`
/// (no transaction, no signer, the same numbers as a simulated `quote_volume` at the
/// same time); `now` is the chain's clock as the node reports it.
pub fn volume_rate(
    address: &str,
    p: &Pool,
    exposure: &PoolExposure,
    protocol: &Protocol,
    volume: Option<u64>,
    now: i64,
) -> Result<Value, String> {
    let (at, q) = volume_quote_at(p, exposure, protocol, volume.unwrap_or(0), now)?;
    let pending = (at.pending_params_at != 0).then(|| {
        let mut v = volume_curve(&at.pending_params.volume);
        v["effective_at"] = at.pending_params_at.into();
        v
    });
    let priced =
        volume.map(|v| json!({ "volume": v, "fee": q.fee, "protocol_fee": q.protocol_fee }));
    Ok(json!({
        "pool": address,
        "market": p.market.to_string(),
        "decimals": p.mint_decimals,
        "now": now,
        "rate_bps": q.rate_bps,
        "curve": volume_curve(&at.params.volume),
        "pending_curve": pending,
        "loss_index": q.loss_index,
        "recorded_loss_index": at.volume_loss,
        "recorded_loss_day": at.volume_loss_day,
        "days_decayed": day_of(now).saturating_sub(at.volume_loss_day).max(0),
        "free_capital": q.free_capital,
        "capital": at.capital,
        "reserved_for_claims": at.reserved_for_claims,
        "protocol_fee_bps": protocol.protocol_fee_bps,
        // `contribute_volume` is refused while premium contributions are paused.
        "contributions_paused": at.is_paused(protocol.paused, pause::PREMIUM),
        "total_volume": at.total_volume,
        "total_volume_fees": at.total_volume_fees,
        "last_rate_bps": at.volume_rate_bps,
        "quote": priced,
    }))
}

/// One underwriter position (`now` for its young shares and lock; `clock`: the pool's
/// exit clock at `now`, which its withdrawal window runs on).
pub fn underwriter(address: &str, u: &Underwriter, p: &Pool, clock: i64, now: i64) -> Value {
    let age = p.params.governance.min_stake_age;
    let y = &u.young_shares;
    let young_until = y.seasoned_at(age).unwrap_or(0);
    let locked_until = u.last_deposit_at.saturating_add(p.params.min_deposit_lock);
    json!({
        "underwriter": address,
        "owner": u.owner.to_string(),
        "decimals": p.mint_decimals,
        "shares": big(u.shares.get()),
        "value": p.value_of(u.shares.get()).unwrap_or(0),
        "young_shares": big(y.young_at(p.stake_period(now))),
        "pending_shares": big(u.pending_shares.get()),
        "pending_value": u.pending_value,
        "unlock_at": u.unlock_at,
        // The window runs on the pool's exit clock (`clock` now): it stands still while
        // claims vote or withdrawals are paused, and the lapse time moves with it.
        "lapses_at": u.lapses_at(clock, now),
        // A completion waits while the pool's claims vote (`ClaimsVoting`).
        "claims_voting": p.voting_claims,
        // Earliest request_withdrawal: after the deposit lock, with no young shares.
        "requestable_from": locked_until.max(young_until),
        // Earliest filing time of a claim this position votes on with all its shares
        // (pending ones vote too; the program's rule: between one and two stake periods
        // after its last stake, depending on where in its period that fell); null
        // without shares.
        "votes_from": u.votes_from(age),
        // Statistics: the end of the hold-up of its latest vote (a vote binds through
        // the pool's claims voting and hold-ups, not a lock of its own).
        "vote_locked_until": u.vote_locked_until,
        "last_deposit_at": u.last_deposit_at,
        "last_stake_at": u.last_stake_at,
    })
}

pub fn member(address: &str, m: &Member, decimals: u8, now: i64) -> Value {
    json!({
        "member": address,
        "owner": m.owner.to_string(),
        "decimals": decimals,
        "covered_amount": m.active_cover(now),
        "coverage_expiry": m.coverage_expiry,
        "covered": m.is_covered(now),
        "claimable": m.claimable(now),
        "matured_amount": m.matured_amount,
        "maturing_amount": m.maturing_amount,
        "matures_at": m.matures_at,
        "claimed_amount": m.claimed_amount,
        "premiums_paid": m.premiums_paid,
        "open_claim": m.has_open_claim().then(|| m.open_claim.to_string()),
        "claims_filed": m.claim_count,
    })
}

/// One claim; `id` is its pool-wide number (what the claim commands take),
/// `claimant_index` its index among its claimant's claims (part of its address).
pub fn claim(address: &str, c: &Claim, p: &Pool) -> Value {
    let g = p.params.governance;
    let (yes, no, eligible) = (
        c.yes_weight.get(),
        c.no_weight.get(),
        c.eligible_weight.get(),
    );
    let cast = yes.saturating_add(no);
    json!({
        "claim": address,
        "id": c.number,
        "decimals": p.mint_decimals,
        "claimant": c.claimant.to_string(),
        "claimant_index": c.id,
        "amount": c.amount,
        "bond": c.bond,
        "bond_settled": c.bond_settled != 0,
        "status": format!("{:?}", c.status),
        "filed_at": c.filed_at,
        "cover_expiry": c.cover_expiry,
        "yes_weight": big(yes),
        "no_weight": big(no),
        "eligible_weight": big(eligible),
        "voters": c.voters,
        "turnout_bps": if eligible == 0 { 0 } else { insurance_pool_sdk::math::mul_div_floor_u192(10_000, cast, eligible).unwrap_or(u128::MAX).min(u64::MAX as u128) as u64 },
        "quorum_bps": g.quorum_bps,
        "approval_threshold_bps": g.approval_threshold_bps,
        "voting_ends_at": c.voting_ends_at,
        "holdup_ends_at": c.holdup_ends_at,
        "reserved": c.reserved,
        "fraud": c.fraud != 0,
        "paid": c.paid,
        "unpaid": c.unpaid,
        "uri": c.uri.as_str(),
    })
}

/// The keys whose values are token amounts (base units in JSON).
pub const AMOUNT_KEYS: &[&str] = &[
    "escrow",
    "exit_capital",
    "exposure_cap",
    "surplus",
    "vault",
    "voting_claims",
    "amount",
    "bond",
    "bond_min",
    "bonds_held",
    "capital",
    "claimable",
    "claimed_amount",
    "claims_paid",
    "covered",
    "covered_amount",
    "deposit_cap",
    "ewma",
    "exposure",
    "fee",
    "free_capital",
    "largest",
    "loss_index",
    "matured_amount",
    "maturing_amount",
    "min_deposit",
    "min_reserve",
    "paid",
    "pending_value",
    "premium",
    "premiums_paid",
    "protocol_fee",
    "recorded_loss_index",
    "reported",
    "reserved",
    "reserved_for_claims",
    "share_price",
    "total_premiums",
    "total_volume",
    "total_volume_fees",
    "unearned_premiums",
    "unpaid",
    "value",
    "volume",
    "volume_loss",
];

/// `value` with every amount under an object that states its mint's `decimals`
/// written in token units (`1500.25`): what the tables show. JSON output keeps base
/// units (exact integers) and the `decimals` to read them with.
pub fn in_token_units(value: &Value) -> Value {
    fn walk(v: &Value, decimals: Option<u8>) -> Value {
        match v {
            Value::Array(items) => Value::Array(items.iter().map(|i| walk(i, decimals)).collect()),
            Value::Object(map) => {
                let decimals = map
                    .get("decimals")
                    .and_then(Value::as_u64)
                    .and_then(|d| u8::try_from(d).ok())
                    .or(decimals);
                Value::Object(
                    map.iter()
                        .map(|(k, v)| {
                            let v = match (decimals, v.as_u64()) {
                                (Some(d), Some(units)) if AMOUNT_KEYS.contains(&k.as_str()) => {
                                    Value::from(insurance_pool_sdk::units::format_amount(units, d))
                                }
                                _ => walk(v, decimals),
                            };
                            (k.clone(), v)
                        })
                        .collect(),
                )
            }
            other => other.clone(),
        }
    }
    walk(value, None)
}

/// Renders JSON objects as an aligned table of the chosen `columns` (nested values are
/// shown as compact JSON).
pub fn table(rows: &[Value], columns: &[&str]) -> String {
    let cell = |v: &Value, c: &str| match v.get(c) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => "-".to_string(),
        Some(other) => other.to_string(),
    };
    let widths: Vec<usize> = columns
        .iter()
        .map(|c| {
            rows.iter()
                .map(|r| cell(r, c).len())
                .chain([c.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(s, w)| format!("{s:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![line(columns.iter().map(|c| c.to_string()).collect())];
    out.push(line(widths.iter().map(|w| "-".repeat(*w)).collect()));
    out.extend(
        rows.iter()
            .map(|r| line(columns.iter().map(|c| cell(r, c)).collect())),
    );
    out.join("\n")
}

/// One object as a two-column table (key, value).
pub fn detail(value: &Value) -> String {
    let Some(map) = value.as_object() else {
        return value.to_string();
    };
    let width = map.keys().map(|k| k.len()).max().unwrap_or(0);
    map.iter()
        .map(|(k, v)| {
            let v = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            format!("{k:<width$}  {v}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}
