//! The keeper: the permissionless cranks nobody should have to remember.
//!
//! Each round it reads every claim (server-side filtered) and
//! - finalises claims whose voting period has ended (`finalize_claim`),
//! - pays approved claims whose hold-up has ended (`pay_claim`, to the claimant's
//!   associated token account, the only account the program pays),
//! - settles the bonds of closed claims (`withdraw_bond`: returned, or slashed into the
//!   pool when the vote found fraud),
//! - expires lapsed withdrawal requests (`expire_withdrawal`: a lapsed request among
//!   live ones would keep counting as leaving, and so keep cover priced on less capital),
//! - alerts the guardian about every approved claim still in its hold-up, with the time
//!   left to veto (a stdout line starting `ALERT`, and a JSON POST to `--webhook`).
//!
//! Every action is permissionless and checked by the program, so the keeper needs no
//! authority: its key only pays fees. It is idempotent and safe to run twice at once:
//! a claim another keeper already moved fails with a named program error
//! ([`RACE_ERRORS`]: `ClaimNotVoting`, `ClaimNotApproved`, `BondAlreadySettled`, ...),
//! and a keeper sharing the key may send the very same transaction (refused as already
//! processed); both are logged as `skipped` and are not failures. Every other error
//! (a claimant without its token account, a pause, ...) is `FAILED`, and makes
//! `--once` exit non-zero.
//!
//! Alerts: each claim's alert is printed once per hold-up by a running keeper and sent
//! to the webhook until a POST succeeds (a failed POST is retried next round); a
//! `--once` run from cron has no memory, so it repeats the alert of every claim still in
//! its hold-up at each run (a reminder until the window closes). Rounds send at most `--max-per-round` transactions
//! (rate limit), and `--once` runs one round (for cron).

use std::collections::HashSet;

use anchor_lang::prelude::Pubkey;
use anchor_lang::solana_program::instruction::Instruction;
use anchor_lang::{AccountDeserialize, Discriminator};
use insurance_pool_sdk::ix::{self, PoolKeys};
use insurance_pool_sdk::state::{Claim, ClaimStatus, Pool, Protocol, Underwriter};
use insurance_pool_sdk::units::format_amount;
use serde_json::{json, Value};

use crate::{associated_token, fetch, Chain, CliResult};

/// What a claim needs now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    Finalize,
    Pay,
    SettleBond,
    Expire,
}

impl Task {
    pub fn name(self) -> &'static str {
        match self {
            Task::Finalize => "finalize",
            Task::Pay => "pay",
            Task::SettleBond => "settle-bond",
            Task::Expire => "expire-withdrawal",
        }
    }
}

/// One due crank: the claim (or, to expire, the withdrawing position), its pool's
/// market, and the instruction that does it.
#[derive(Debug, Clone)]
pub struct Due {
    pub task: Task,
    pub market: Pubkey,
    pub claim: Pubkey,
    /// The claim's number (0 for a position).
    pub number: u64,
    pub instruction: Instruction,
}

/// An approved claim in its hold-up: the guardian's last chance to veto.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub market: Pubkey,
    pub claim: Pubkey,
    pub number: u64,
    pub claimant: Pubkey,
    pub amount: u64,
    pub decimals: u8,
    pub holdup_ends_at: i64,
    pub seconds_left: i64,
}

impl Alert {
    /// The stdout line.
    pub fn line(&self) -> String {
        format!(
            "ALERT claim {} of market {} approved: {} to {} becomes payable at {} \
             ({} s left to veto: insurance-pool veto {} {})",
            self.number,
            self.market,
            format_amount(self.amount, self.decimals),
            self.claimant,
            self.holdup_ends_at,
            self.seconds_left,
            self.market,
            self.number
        )
    }

    /// The webhook body.
    pub fn json(&self) -> Value {
        json!({
            "event": "claim_approved_in_holdup",
            "market": self.market.to_string(),
            "claim": self.claim.to_string(),
            "id": self.number,
            "claimant": self.claimant.to_string(),
            "amount": self.amount,
            "decimals": self.decimals,
            "holdup_ends_at": self.holdup_ends_at,
            "seconds_left": self.seconds_left,
            "text": self.line(),
        })
    }
}

/// What is due at `now`, and the claims to alert about (of `market` only, when given).
pub fn scan(
    chain: &dyn Chain,
    now: i64,
    market: Option<Pubkey>,
) -> CliResult<(Vec<Due>, Vec<Alert>)> {
    let mut pools: Vec<(Pubkey, Pool)> = Vec::new();
    let mut due = Vec::new();
    let mut alerts = Vec::new();
    let mut claims = Vec::new();
    for (key, data) in chain.program_accounts(&[(0, Claim::DISCRIMINATOR)])? {
        let c = Claim::try_deserialize(&mut data.as_slice()).map_err(|e| format!("{key}: {e}"))?;
        claims.push((key, c));
    }
    // Oldest first: a backlog drains in filing order.
    claims.sort_by_key(|(_, c)| (c.filed_at, c.number));
    for (key, c) in claims {
        let pool = match pools.iter().find(|(k, _)| *k == c.pool) {
            Some((_, p)) => *p,
            None => {
                let p: Pool = fetch(chain, &c.pool)?;
                pools.push((c.pool, p));
                p
            }
        };
        if market.is_some_and(|m| m != pool.market) {
            continue;
        }
        let keys = PoolKeys::new(pool.market, pool.mint, pool.token_program);
        let claimant_token = associated_token(&c.claimant, &keys.mint, &keys.token_program);
        let task = match c.status.get() {
            ClaimStatus::Voting if now >= c.voting_ends_at => {
                Some((Task::Finalize, ix::finalize_claim(&keys, &key, &c.claimant)))
            }
            // A cancelled claim keeps exits waiting until its voting period is over and
            // `finalize_claim` releases it.
            ClaimStatus::Cancelled if c.held != 0 && now >= c.voting_ends_at => {
                Some((Task::Finalize, ix::finalize_claim(&keys, &key, &c.claimant)))
            }
            ClaimStatus::Approved if now >= c.holdup_ends_at => Some((
                Task::Pay,
                ix::pay_claim(&keys, &key, &c.claimant, &claimant_token),
            )),
            ClaimStatus::Approved => {
                alerts.push(Alert {
                    market: pool.market,
                    claim: key,
                    number: c.number,
                    claimant: c.claimant,
                    amount: c.amount,
                    decimals: pool.mint_decimals,
                    holdup_ends_at: c.holdup_ends_at,
                    seconds_left: c.holdup_ends_at - now,
                });
                None
            }
            _ if !c.is_open() && c.bond_settled == 0 => Some((
                Task::SettleBond,
                ix::withdraw_bond(&keys, &key, &claimant_token),
            )),
            _ => None,
        };
        if let Some((task, instruction)) = task {
            due.push(Due {
                task,
                market: pool.market,
                claim: key,
                number: c.number,
                instruction,
            });
        }
    }
    // Lapsed withdrawal requests (their window closed on the pool's exit clock).
    let mut protocol: Option<Protocol> = None;
    for (key, data) in chain.program_accounts(&[(0, Underwriter::DISCRIMINATOR)])? {
        let u = Underwriter::try_deserialize(&mut data.as_slice())
            .map_err(|e| format!("{key}: {e}"))?;
        if !u.has_pending_withdrawal() || u.expired != 0 {
            continue;
        }
        let protocol = match protocol {
            Some(p) => p,
            None => *protocol.insert(fetch(chain, &insurance_pool_sdk::pda::protocol().0)?),
        };
        let pool: Pool = fetch(chain, &u.pool)?;
        if market.is_some_and(|m| m != pool.market) {
            continue;
        }
        let clock = pool.exit_clock(&protocol, now);
        if u.has_lapsed(clock) {
            let keys = PoolKeys::new(pool.market, pool.mint, pool.token_program);
            due.push(Due {
                task: Task::Expire,
                market: pool.market,
                claim: key,
                number: 0,
                instruction: ix::expire_withdrawal(&u.owner, &keys),
            });
        }
    }
    Ok((due, alerts))
}

/// How one crank went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done(String),
    /// Refused by the program with a named error (another keeper got there first, or
    /// the claim's state moved): harmless.
    Skipped(String),
    Failed(String),
}

/// The keeper's loop state: alerts already delivered (once per claim and hold-up).
#[derive(Default)]
pub struct Keeper {
    alerted: HashSet<(Pubkey, i64)>,
}

/// A round's report.
#[derive(Debug, Default)]
pub struct Round {
    pub log: Vec<String>,
    pub new_alerts: Vec<Alert>,
    pub failed: usize,
}

impl Keeper {
    /// One round: scans `chain` at `now`, sends at most `max` cranks through `send`,
    /// and returns what it did and the alerts not sent before.
    pub fn round(
        &mut self,
        chain: &dyn Chain,
        now: i64,
        market: Option<Pubkey>,
        max: usize,
        send: &mut dyn FnMut(&Instruction) -> Outcome,
    ) -> CliResult<Round> {
        let (due, alerts) = scan(chain, now, market)?;
        let mut round = Round::default();
        let deferred = due.len().saturating_sub(max);
        for d in due.into_iter().take(max) {
            let what = match d.task {
                Task::Expire => format!(
                    "{} position {} of market {}",
                    d.task.name(),
                    d.claim,
                    d.market
                ),
                _ => format!(
                    "{} claim {} ({}) of market {}",
                    d.task.name(),
                    d.number,
                    d.claim,
                    d.market
                ),
            };
            let line = match send(&d.instruction) {
                Outcome::Done(signature) => format!("{what}: done ({signature})"),
                Outcome::Skipped(why) => format!("{what}: skipped ({why})"),
                Outcome::Failed(why) => {
                    round.failed += 1;
                    format!("{what}: FAILED ({why})")
                }
            };
            round.log.push(line);
        }
        if deferred > 0 {
            round.log.push(format!(
                "{deferred} more due: left for the next round (--max-per-round {max})"
            ));
        }
        round.new_alerts = alerts
            .into_iter()
            .filter(|a| !self.alerted.contains(&(a.claim, a.holdup_ends_at)))
            .collect();
        Ok(round)
    }

    /// Records `alert` as delivered: later rounds do not repeat it.
    pub fn delivered(&mut self, alert: &Alert) {
        self.alerted.insert((alert.claim, alert.holdup_ends_at));
    }
}

/// The program errors that mean "another keeper (or anyone) already moved this claim"
/// (or its time has not come on the program's clock): a race, harmless. Any other
/// error is a failure the operator must see (a missing token account, a pause, a node
/// refusing the transaction...).
pub const RACE_ERRORS: &[&str] = &[
    "ClaimNotVoting",
    "ClaimNotApproved",
    "BondAlreadySettled",
    "ClaimStillOpen",
    "VotingNotOver",
    "HoldupActive",
    "NoPendingWithdrawal",
];

/// Sorts a send error into skipped (one of [`RACE_ERRORS`]; or the very same
/// transaction already processed: a second keeper with the same key built it in the
/// same slot) or failed (named when the program named it).
pub fn classify(error: &str) -> Outcome {
    if error.contains("already been processed") || error.contains("AlreadyProcessed") {
        return Outcome::Skipped(
            "AlreadyProcessed (the same crank, sent by another keeper)".into(),
        );
    }
    match crate::program_error(error) {
        Some(e) if RACE_ERRORS.contains(&e.name.as_str()) => Outcome::Skipped(e.name),
        Some(e) => Outcome::Failed(e.to_string()),
        None => Outcome::Failed(error.to_string()),
    }
}
