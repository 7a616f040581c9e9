//! `insurance-pool health`: the monitoring read. Per pool: conservation (the vault
//! holds at least capital + unearned premiums, the bond escrow at least the bonds the
//! pool records; tokens sent from outside are a reported surplus, not a fault),
//! approved claims covered by capital, utilisation against the exposure cap,
//! reservations against free capital, and exchange registrations not yet drawing
//! (activation or a pending change, with their times on the pool's exit clock).
//! The command exits non-zero when any pool breaks an invariant, for alerting.

use anchor_lang::prelude::Pubkey;
use anchor_lang::{AccountDeserialize, Discriminator};
use insurance_pool_sdk::math::{exposure_cap, utilisation_bps};
use insurance_pool_sdk::pda;
use insurance_pool_sdk::state::{ExchangeRegistration, Pool, PoolExposure, Protocol};
use serde_json::{json, Value};

use crate::{fetch, Chain, CliResult};

/// The `amount` of an SPL Token / Token-2022 account (bytes 64..72).
pub fn token_amount(chain: &dyn Chain, account: &Pubkey) -> CliResult<u64> {
    let data = chain.account_data(account)?;
    data.get(64..72)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_le_bytes)
        .ok_or_else(|| format!("{account} is not a token account"))
}

/// One pool's health: its JSON row and the invariants it breaks (empty: healthy).
pub fn pool_health(
    chain: &dyn Chain,
    address: &Pubkey,
    pool: &Pool,
    protocol: &Protocol,
    now: i64,
) -> CliResult<(Value, Vec<String>)> {
    let mut broken = Vec::new();
    let vault = token_amount(chain, &pool.vault)?;
    let escrow = token_amount(chain, &pda::bond_vault(address).0)?;
    let owed = pool.capital.saturating_add(pool.unearned_premiums);
    if vault < owed {
        broken.push(format!(
            "vault holds {vault} < capital {} + unearned premiums {}",
            pool.capital, pool.unearned_premiums
        ));
    }
    if escrow < pool.bonds_held {
        broken.push(format!(
            "bond escrow holds {escrow} < bonds {}",
            pool.bonds_held
        ));
    }
    if pool.capital < pool.reserved_for_claims {
        broken.push(format!(
            "capital {} < reserved for approved claims {}",
            pool.capital, pool.reserved_for_claims
        ));
    }
    let exposure: PoolExposure = fetch(chain, &pda::exposure(address).0)?;
    let active = exposure.book.active_at(now);
    let free = pool.free_capital();
    let cap = exposure_cap(free, pool.params.max_exposure_bps);
    let clock = pool.exit_clock(protocol, now);
    let mut waiting = Vec::new();
    let filter = [
        (0, ExchangeRegistration::DISCRIMINATOR),
        (8, address.as_ref()),
    ];
    for (key, data) in chain.program_accounts(&filter)? {
        let mut r = ExchangeRegistration::try_deserialize(&mut data.as_slice())
            .map_err(|e| format!("{key}: {e}"))?;
        // As the program sees it now: a pending change whose time has come applies
        // (and reactivates the registration) on its next use.
        r.refresh(clock);
        let mut wait = |what: &str, at: i64| {
            waiting.push(json!({
                "registration": key.to_string(),
                "exchange_authority": r.exchange_authority.to_string(),
                "waits_for": what,
                "at_exit_clock": at,
                "seconds_left": at - clock,
            }))
        };
        if r.is_active() && !r.can_draw(clock) {
            wait("activation", r.active_from);
        }
        if r.pending_at != 0 {
            wait("pending change", r.pending_at);
        }
    }
    let row = json!({
        "market": pool.market.to_string(),
        "pool": address.to_string(),
        "decimals": pool.mint_decimals,
        "healthy": broken.is_empty(),
        "vault": vault,
        "capital": pool.capital,
        "unearned_premiums": pool.unearned_premiums,
        "surplus": vault.saturating_sub(owed),
        "escrow": escrow,
        "bonds_held": pool.bonds_held,
        "exposure": active,
        "exposure_cap": cap,
        "utilisation_bps": utilisation_bps(active, free),
        // Cover sold before a loss may exceed the cap the loss lowered: new sales stop
        // until it expires (a warning, not a broken invariant).
        "over_cap": active > cap,
        "free_capital": free,
        "reserved_for_claims": pool.reserved_for_claims,
        "voting_claims": pool.voting_claims,
        "exit_capital": pool.exit_capital(),
        "registrations_waiting": waiting,
        "paused": pool.paused,
        "broken": broken,
    });
    Ok((row, broken))
}

/// Every pool's health (or one market's), and whether all are healthy.
pub fn health(chain: &dyn Chain, market: Option<Pubkey>) -> CliResult<(Value, bool)> {
    let now = chain.now()?;
    let protocol: Protocol = fetch(chain, &pda::protocol().0)?;
    let mut rows = Vec::new();
    let mut healthy = true;
    for (key, data) in chain.program_accounts(&[(0, Pool::DISCRIMINATOR)])? {
        let pool =
            Pool::try_deserialize(&mut data.as_slice()).map_err(|e| format!("{key}: {e}"))?;
        if market.is_some_and(|m| m != pool.market) {
            continue;
        }
        let (row, broken) = pool_health(chain, &key, &pool, &protocol, now)?;
        healthy &= broken.is_empty();
        rows.push(row);
    }
    if let (Some(m), true) = (market, rows.is_empty()) {
        return Err(format!("no pool for market {m}"));
    }
    Ok((Value::Array(rows), healthy))
}

/// Table columns of `health`.
pub const HEALTH_COLUMNS: &[&str] = &[
    "market",
    "healthy",
    "vault",
    "capital",
    "unearned_premiums",
    "surplus",
    "escrow",
    "bonds_held",
    "utilisation_bps",
    "over_cap",
    "reserved_for_claims",
    "free_capital",
];
