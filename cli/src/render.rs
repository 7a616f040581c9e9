//! Turning decoded accounts into JSON values and human tables (pure, tested).

use insurance_pool_sdk::math::{utilisation_bps, value_of_shares, ExposureBook};
use insurance_pool_sdk::state::{Claim, Member, Pool, Underwriter};
use serde_json::{json, Value};

/// Shares a unit of capital bought in an empty pool (the virtual offset).
const SHARES_PER_UNIT: u64 = insurance_pool_sdk::constants::VIRTUAL_SHARES;

/// One pool as JSON (`now` for utilisation: expired cover does not count).
pub fn pool(address: &str, p: &Pool, book: &ExposureBook, now: i64) -> Value {
    let exposure = book.active_at(now);
    json!({
        "pool": address,
        "market": p.market.to_string(),
        "mint": p.mint.to_string(),
        "vault": p.vault.to_string(),
        "capital": p.capital,
        "shares": p.total_shares,
        "pending_withdrawal_shares": p.pending_withdrawal_shares,
        // Value of the shares one unit bought in an empty pool.
        "share_price": value_of_shares(SHARES_PER_UNIT, p.capital, p.total_shares).unwrap_or(0),
        "exposure": exposure,
        "utilisation_bps": utilisation_bps(exposure, p.capital),
        "rate_bps": p.rate_bps,
        "reserved_for_claims": p.reserved_for_claims,
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
    })
}

pub fn underwriter(address: &str, u: &Underwriter, p: &Pool) -> Value {
    json!({
        "underwriter": address,
        "owner": u.owner.to_string(),
        "shares": u.shares,
        "value": value_of_shares(u.shares, p.capital, p.total_shares).unwrap_or(0),
        "pending_shares": u.pending_shares,
        "pending_value": u.pending_value,
        "unlock_at": u.unlock_at,
        "vote_locked_until": u.vote_locked_until,
        "last_deposit_at": u.last_deposit_at,
    })
}

pub fn member(address: &str, m: &Member, now: i64) -> Value {
    json!({
        "member": address,
        "owner": m.owner.to_string(),
        "covered_amount": m.active_cover(now),
        "coverage_expiry": m.coverage_expiry,
        "covered": m.is_covered(now),
        "premiums_paid": m.premiums_paid,
        "open_claim": m.open_claim.map(|c| c.to_string()),
    })
}

pub fn claim(address: &str, c: &Claim, p: &Pool) -> Value {
    let g = p.params.governance;
    let cast = c.yes_weight.saturating_add(c.no_weight);
    json!({
        "claim": address,
        "id": c.id,
        "claimant": c.claimant.to_string(),
        "amount": c.amount,
        "bond": c.bond,
        "status": format!("{:?}", c.status),
        "yes_weight": c.yes_weight,
        "no_weight": c.no_weight,
        "eligible_weight": c.eligible_weight,
        "turnout_bps": if c.eligible_weight == 0 { 0 } else { (cast as u128 * 10_000 / c.eligible_weight as u128) as u64 },
        "quorum_bps": g.quorum_bps,
        "approval_threshold_bps": g.approval_threshold_bps,
        "voting_ends_at": c.voting_ends_at,
        "holdup_ends_at": c.holdup_ends_at,
        "paid": c.paid,
        "unpaid": c.unpaid,
        "uri": c.uri,
    })
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
