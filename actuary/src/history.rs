//! Loss histories: from CSV, JSON, or the chain (the program's shortfall events in
//! transaction logs, reconciled with the pool's `loss_stats`, and its paid `Claim`
//! accounts); and the pool's trading volume per day from its `VolumeContributed`
//! events (reconciled with its `total_volume`).

use anchor_lang::prelude::Pubkey;
use anchor_lang::{AnchorDeserialize, Discriminator};
use insurance_pool::events::{ShortfallCovered, VolumeContributed};
use insurance_pool::state::{Claim, ClaimStatus, LossStats};
use serde::{Deserialize, Serialize};

/// Seconds per (365-day) year: the time unit of frequencies.
pub const YEAR_SECS: i64 = 365 * 86_400;

/// One loss: when (unix seconds) and how much (base units of the pool token). For a
/// shortfall this is the amount the exchange *reported*, before the pool's caps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LossEvent {
    pub time: i64,
    pub amount: u64,
}

/// A loss history over an observation window `[start, end]`.
#[derive(Clone, Debug, PartialEq)]
pub struct LossHistory {
    /// Losses sorted by time.
    pub events: Vec<LossEvent>,
    pub start: i64,
    pub end: i64,
}

impl LossHistory {
    /// A history of `events`; the window defaults to the first to the last event.
    /// Refuses an empty history, zero amounts, and a window not covering the events.
    pub fn new(mut events: Vec<LossEvent>, window: Option<(i64, i64)>) -> Result<Self, String> {
        if events.is_empty() {
            return Err("the loss history is empty".into());
        }
        if let Some(e) = events.iter().find(|e| e.amount == 0) {
            return Err(format!("zero loss at time {}", e.time));
        }
        events.sort_by_key(|e| e.time);
        let (first, last) = (events[0].time, events[events.len() - 1].time);
        let (start, end) = window.unwrap_or((first, last));
        if start > first || end < last || end <= start {
            return Err(format!(
                "window [{start}, {end}] does not cover the losses [{first}, {last}]"
            ));
        }
        Ok(LossHistory { events, start, end })
    }

    /// Length of the observation window in seconds.
    pub fn span_secs(&self) -> i64 {
        self.end - self.start
    }

    /// Loss counts in consecutive periods of `period` seconds from `start` (the last,
    /// partial period is dropped unless it is the only one).
    pub fn period_counts(&self, period: i64) -> Vec<u64> {
        let full = (self.span_secs() / period).max(1) as usize;
        let mut counts = vec![0u64; full];
        for e in &self.events {
            let i = ((e.time - self.start) / period) as usize;
            if i < full {
                counts[i] += 1;
            }
        }
        counts
    }

    /// Parses `time,amount` CSV (a header line is skipped; extra columns ignored;
    /// `#` comments allowed; a `# window <start> <end>` comment sets the observation
    /// window, which otherwise runs from the first to the last loss).
    pub fn from_csv(text: &str) -> Result<Self, String> {
        let mut events = Vec::new();
        let mut window = None;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if let Some(w) = line.strip_prefix("# window") {
                let v: Vec<i64> = w
                    .split_whitespace()
                    .filter_map(|x| x.parse().ok())
                    .collect();
                match v[..] {
                    [start, end] => window = Some((start, end)),
                    _ => return Err(format!("line {}: expected `# window <start> <end>`", n + 1)),
                }
                continue;
            }
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut cols = line.split(',').map(str::trim);
            let (t, a) = (cols.next().unwrap_or(""), cols.next().unwrap_or(""));
            match (t.parse::<i64>(), a.parse::<u64>()) {
                (Ok(time), Ok(amount)) => events.push(LossEvent { time, amount }),
                _ if n == 0 || events.is_empty() && t.parse::<i64>().is_err() => continue, // header
                _ => {
                    return Err(format!(
                        "line {}: expected `time,amount`, got `{line}`",
                        n + 1
                    ))
                }
            }
        }
        Self::new(events, window)
    }

    /// Parses JSON: either `[{"time":…,"amount":…}, …]` or
    /// `{"start":…, "end":…, "events":[…]}` (an explicit observation window).
    pub fn from_json(text: &str) -> Result<Self, String> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Doc {
            List(Vec<LossEvent>),
            Window {
                start: i64,
                end: i64,
                events: Vec<LossEvent>,
            },
        }
        match serde_json::from_str::<Doc>(text).map_err(|e| format!("loss history JSON: {e}"))? {
            Doc::List(events) => Self::new(events, None),
            Doc::Window { start, end, events } => Self::new(events, Some((start, end))),
        }
    }

    /// Reads a file, by extension (`.json`, else CSV).
    pub fn from_file(path: &std::path::Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        {
            Self::from_json(&text)
        } else {
            Self::from_csv(&text)
        }
    }

    /// Writes the history as CSV (the format [`LossHistory::from_csv`] reads).
    pub fn to_csv(&self) -> String {
        let mut s = format!("# window {} {}\ntime,amount\n", self.start, self.end);
        for e in &self.events {
            s.push_str(&format!("{},{}\n", e.time, e.amount));
        }
        s
    }
}

/// Shortfalls of `pool` in one transaction's logs, as emitted by the program: each
/// `ShortfallCovered` gives its reported `amount` (also a report that paid nothing,
/// while shortfall cover was paused or the registration inactive: the pool records
/// those too). `block_time` dates them. Only events logged by the insurance program's
/// own invocation frames (tracked through the runtime's `Program <id> invoke [n]` /
/// `success` / `failed` lines) and naming `pool` count: a `Program data:` line written
/// by any other program, or for another pool, is ignored.
///
/// Claims are not read from logs (a padded transaction can truncate its logs and hide
/// the event): they come from the pool's `Claim` accounts, see [`claim_losses`].
pub fn shortfalls_from_logs(block_time: i64, pool: &Pubkey, logs: &[String]) -> Vec<LossEvent> {
    program_events::<ShortfallCovered>(logs)
        .into_iter()
        .filter(|e| e.pool == *pool && e.amount > 0)
        .map(|e| LossEvent {
            time: block_time,
            amount: e.amount,
        })
        .collect()
}

/// Every event of type `E` logged by the insurance program's own invocation frames
/// (the SDK's one log parser).
pub fn program_events<E: AnchorDeserialize + Discriminator>(logs: &[String]) -> Vec<E> {
    insurance_pool_sdk::logs::program_events(&insurance_pool::ID, logs)
}

/// One `contribute_volume` of a pool: when (the block time), the volume reported, the
/// fee paid (protocol fee included) and the rate charged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeEvent {
    pub time: i64,
    pub volume: u64,
    pub fee: u64,
    pub rate_bps: u64,
}

/// The `VolumeContributed` events of `pool` in one transaction's logs (the insurance
/// program's own frames only, as for [`shortfalls_from_logs`]), dated `block_time`.
pub fn volumes_from_logs(block_time: i64, pool: &Pubkey, logs: &[String]) -> Vec<VolumeEvent> {
    program_events::<VolumeContributed>(logs)
        .into_iter()
        .filter(|e| e.pool == *pool)
        .map(|e| VolumeEvent {
            time: block_time,
            volume: e.volume,
            fee: e.fee,
            rate_bps: e.rate_bps,
        })
        .collect()
}

/// Checks the volume events found against the pool's `total_volume` read before
/// (`before`) and after (`after`) its transactions were listed: contributions keep
/// coming while the history is read (every trade is one), so the events must add up to
/// at least what the pool had recorded before and at most what it had recorded after
/// (`total_volume` saturates on chain, and so does the sum). Fewer means events are
/// missing (`truncated`: the pool's transactions whose logs were cut short, named in
/// the refusal).
pub fn reconcile_volume(
    events: &[VolumeEvent],
    before: u64,
    after: u64,
    truncated: usize,
) -> Result<(), String> {
    let total = events.iter().map(|e| e.volume as u128).sum::<u128>();
    let total = total.min(u64::MAX as u128) as u64;
    if (before..=after).contains(&total) {
        return Ok(());
    }
    let gap = if total < before {
        format!(
            "{} of volume missing ({})",
            before - total,
            if truncated > 0 {
                format!("{truncated} of the pool's transactions have truncated logs")
            } else {
                "truncated logs?".to_string()
            }
        )
    } else {
        format!("{} more than the pool recorded", total - after)
    };
    Err(format!(
        "the pool's VolumeContributed events total {total}, its total_volume says {before}: \
         {gap}; refusing to guess the volume (pass --volume-per-day to give it)"
    ))
}

/// Trading volume per day estimated from a pool's volume events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct VolumeEstimate {
    /// Base units per day.
    pub volume_per_day: u64,
    /// The window the rate is measured over.
    pub start: i64,
    pub end: i64,
    /// Contributions and their volume in the window.
    pub contributions: usize,
    pub volume: u64,
}

/// The volume per day of `events` over the trailing `window_secs` before `now`, or
/// since the first contribution when the pool has traded for less than that (volume
/// only flows once an exchange's registration is active: the time before would dilute
/// the rate). The window is at least one day. No events: 0.
pub fn volume_per_day(events: &[VolumeEvent], now: i64, window_secs: i64) -> VolumeEstimate {
    const DAY: i64 = 86_400;
    let first = events.iter().map(|e| e.time).min().unwrap_or(now);
    let start = now.saturating_sub(window_secs.max(DAY)).max(first);
    let start = start.min(now.saturating_sub(DAY));
    let inside = events.iter().filter(|e| e.time >= start && e.time <= now);
    let (contributions, volume) =
        inside.fold((0usize, 0u128), |(n, v), e| (n + 1, v + e.volume as u128));
    let per_day = volume * DAY as u128 / (now - start).max(1) as u128;
    VolumeEstimate {
        volume_per_day: per_day.min(u64::MAX as u128) as u64,
        start,
        end: now,
        contributions,
        volume: volume.min(u64::MAX as u128) as u64,
    }
}

/// Whether the runtime cut these logs short (its log collector stops at a byte limit
/// and writes `Log truncated`): events after that point are lost.
pub fn logs_truncated(logs: &[String]) -> bool {
    logs.iter().any(|l| l.trim() == "Log truncated")
}

/// Losses from a pool's `Claim` accounts (state, which no log truncation can hide):
/// each claim of `pool` with status `Paid` is a loss of `paid + unpaid` (the approved
/// amount, whatever the pool could pay), dated by its `filed_at`: when the loss was
/// reported, as a shortfall is dated by its report (`holdup_ends_at` is only when it
/// became payable, a governance delay later). Approved claims not yet paid are not
/// losses of the history: the pool model already holds them as `reserved_for_claims`.
pub fn claim_losses<'a>(
    pool: &Pubkey,
    claims: impl IntoIterator<Item = &'a Claim>,
) -> Vec<LossEvent> {
    claims
        .into_iter()
        .filter(|c| c.pool == *pool && c.status == ClaimStatus::Paid)
        .filter_map(|c| {
            Some(LossEvent {
                time: c.filed_at,
                amount: c.paid.checked_add(c.unpaid)?,
            })
        })
        .filter(|e| e.amount > 0)
        .collect()
}

/// Checks a per-event shortfall history against the pool's on-chain `loss_stats`:
/// the same number of reports and the same reported total (`total_reported`
/// saturates on chain, and so does the comparison). `truncated` is the number of the
/// pool's transactions whose logs were cut short (named in the refusal).
pub fn reconcile_shortfalls(
    events: &[LossEvent],
    stats: &LossStats,
    truncated: usize,
) -> Result<(), String> {
    let count = events.len() as u64;
    let total = events.iter().map(|e| e.amount as u128).sum::<u128>();
    let total = total.min(u64::MAX as u128) as u64;
    if count == stats.count && total == stats.total_reported {
        return Ok(());
    }
    let gap = if count < stats.count {
        let n = stats.count - count;
        format!(
            "{n} event{} missing ({})",
            if n == 1 { "" } else { "s" },
            if truncated > 0 {
                format!("{truncated} of the pool's transactions have truncated logs")
            } else {
                "truncated logs?".to_string()
            }
        )
    } else if count > stats.count {
        format!(
            "{} event{} more than the pool recorded",
            count - stats.count,
            if count - stats.count == 1 { "" } else { "s" }
        )
    } else {
        format!(
            "the same count but the amounts differ by {}",
            total.abs_diff(stats.total_reported)
        )
    };
    Err(format!(
        "history has {count} shortfalls totalling {total}, the pool's loss_stats say {} \
         totalling {}: {gap}; refusing an incomplete history (pass --history to give one)",
        stats.count, stats.total_reported
    ))
}

/// Checks the paid claims found against the pool's `total_claims_paid` (claim accounts
/// are never closed, so every payout has its account).
pub fn reconcile_claims<'a>(
    pool: &Pubkey,
    claims: impl IntoIterator<Item = &'a Claim>,
    total_claims_paid: u64,
) -> Result<(), String> {
    let (count, paid) = claims
        .into_iter()
        .filter(|c| c.pool == *pool && c.status == ClaimStatus::Paid)
        .fold((0u64, 0u128), |(n, s), c| (n + 1, s + c.paid as u128));
    if paid == total_claims_paid as u128 {
        return Ok(());
    }
    Err(format!(
        "the pool's Claim accounts show {count} paid claims paying {paid}, its \
         total_claims_paid says {total_claims_paid}: claim accounts missing; refusing an \
         incomplete history (pass --history to give one)"
    ))
}

/// A pool's loss history from the chain: its shortfalls (from the events of its
/// transactions, reconciled with `stats`) and its paid claims (from its `Claim`
/// accounts, reconciled with `total_claims_paid`), observed over `window` (the pool's
/// creation to now).
pub fn pool_history<'a>(
    pool: &Pubkey,
    stats: &LossStats,
    total_claims_paid: u64,
    shortfalls: Vec<LossEvent>,
    truncated: usize,
    claims: impl IntoIterator<Item = &'a Claim> + Clone,
    window: (i64, i64),
) -> Result<LossHistory, String> {
    reconcile_shortfalls(&shortfalls, stats, truncated)?;
    reconcile_claims(pool, claims.clone(), total_claims_paid)?;
    let mut events = shortfalls;
    events.extend(claim_losses(pool, claims));
    LossHistory::new(events, Some(window))
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::prelude::Pubkey;
    use anchor_lang::Event;

    #[test]
    fn csv_and_json_round_trip() {
        let csv = "time,amount\n# comment\n100,5\n50,7\n";
        let h = LossHistory::from_csv(csv).unwrap();
        assert_eq!(
            h.events,
            vec![
                LossEvent {
                    time: 50,
                    amount: 7
                },
                LossEvent {
                    time: 100,
                    amount: 5
                }
            ]
        );
        assert_eq!(LossHistory::from_csv(&h.to_csv()).unwrap(), h);
        let w = LossHistory::from_csv("# window 0 1000\n100,5\n").unwrap();
        assert_eq!((w.start, w.end), (0, 1000));
        assert!(LossHistory::from_csv("# window 5\n100,5\n")
            .unwrap_err()
            .contains("window"));
        let j =
            LossHistory::from_json(r#"{"start":0,"end":1000,"events":[{"time":100,"amount":5}]}"#)
                .unwrap();
        assert_eq!((j.start, j.end, j.events.len()), (0, 1000, 1));
        let l = LossHistory::from_json(r#"[{"time":1,"amount":2},{"time":3,"amount":4}]"#).unwrap();
        assert_eq!(l.span_secs(), 2);
    }

    #[test]
    fn bad_histories_are_refused_with_a_reason() {
        assert!(LossHistory::from_csv("time,amount\n")
            .unwrap_err()
            .contains("empty"));
        assert!(LossHistory::from_csv("1,2\nx,3\n")
            .unwrap_err()
            .contains("line 2"));
        assert!(LossHistory::from_csv("1,0\n")
            .unwrap_err()
            .contains("zero loss"));
        assert!(
            LossHistory::from_json(r#"{"start":5,"end":9,"events":[{"time":1,"amount":2}]}"#)
                .unwrap_err()
                .contains("window")
        );
        assert!(LossHistory::from_json("{").unwrap_err().contains("JSON"));
    }

    #[test]
    fn period_counts_bin_by_period() {
        let h = LossHistory::new(
            vec![
                LossEvent { time: 0, amount: 1 },
                LossEvent { time: 5, amount: 1 },
                LossEvent {
                    time: 25,
                    amount: 1,
                },
            ],
            Some((0, 30)),
        )
        .unwrap();
        assert_eq!(h.period_counts(10), vec![2, 0, 1]);
    }

    fn encode(event: &impl Event) -> String {
        // `Event::data` is what `emit!` logs: discriminator + Borsh body.
        format!(
            "Program data: {}",
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, event.data())
        )
    }

    fn shortfall(pool: Pubkey, amount: u64, covered: u64) -> ShortfallCovered {
        ShortfallCovered {
            pool,
            registration: Pubkey::new_unique(),
            nonce: 1,
            amount,
            covered,
            uncovered: amount - covered,
            limited_by: insurance_pool::state::CoverLimit::PerEvent,
            epoch_paid: covered,
            pool_capital: 10_000,
        }
    }

    #[test]
    fn only_the_programs_own_shortfall_events_for_the_pool_count() {
        let pool = Pubkey::new_unique();
        let paid = insurance_pool::events::ClaimPaid {
            pool,
            claim: Pubkey::new_unique(),
            claimant: Pubkey::new_unique(),
            paid: 70,
            unpaid: 30,
            pool_capital: 9_930,
        };
        let ours = format!("Program {} invoke [1]", insurance_pool::ID);
        let done = format!("Program {} success", insurance_pool::ID);
        let logs = vec![
            ours.clone(),
            "Program log: Instruction: CoverShortfall".to_string(),
            encode(&shortfall(pool, 900, 400)),
            // A report that paid nothing (paused, inactive) is still a loss.
            encode(&shortfall(pool, 50, 0)),
            // Claims come from accounts, not logs; another pool's event is not ours.
            encode(&paid),
            encode(&shortfall(Pubkey::new_unique(), 700, 700)),
            "Program data: not-base64!".to_string(),
            done,
            // The same bytes from another program's frame are not ours.
            "Program 11111111111111111111111111111111 invoke [1]".to_string(),
            encode(&shortfall(pool, 900, 400)),
            "Program 11111111111111111111111111111111 success".to_string(),
        ];
        assert_eq!(
            shortfalls_from_logs(42, &pool, &logs),
            vec![
                LossEvent {
                    time: 42,
                    amount: 900
                },
                LossEvent {
                    time: 42,
                    amount: 50
                }
            ]
        );
        assert!(!logs_truncated(&logs));
        assert!(logs_truncated(&[ours, "Log truncated".to_string()]));
    }

    fn claim(pool: Pubkey, status: ClaimStatus, filed_at: i64, paid: u64, unpaid: u64) -> Claim {
        Claim {
            pool,
            id: 0,
            claimant: Pubkey::new_unique(),
            amount: paid + unpaid,
            evidence_hash: [0; 32],
            uri: insurance_pool::state::EvidenceUri::new(""),
            bond: 50,
            bond_settled: 0,
            status: status.into(),
            filed_at,
            voting_ends_at: filed_at + 10,
            holdup_ends_at: filed_at + 20,
            eligible_weight: Default::default(),
            yes_weight: Default::default(),
            no_weight: Default::default(),
            voters: 0,
            fraud: 0,
            paid,
            unpaid,
            bump: 0,
            reserved: paid,
            cover_expiry: 0,
            number: 0,
            held: 0,
            padding: [0; 2],
        }
    }

    #[test]
    fn paid_claim_accounts_are_losses_dated_by_filing() {
        let pool = Pubkey::new_unique();
        let claims = [
            claim(pool, ClaimStatus::Paid, 100, 70, 30),
            claim(pool, ClaimStatus::Approved, 110, 500, 0),
            claim(pool, ClaimStatus::Rejected, 120, 0, 0),
            claim(Pubkey::new_unique(), ClaimStatus::Paid, 130, 9, 0),
        ];
        assert_eq!(
            claim_losses(&pool, &claims),
            vec![LossEvent {
                time: 100,
                amount: 100
            }]
        );
        assert!(reconcile_claims(&pool, &claims, 70).is_ok());
        let e = reconcile_claims(&pool, &claims[1..], 70).unwrap_err();
        assert!(
            e.contains("0 paid claims paying 0, its total_claims_paid says 70"),
            "{e}"
        );
    }

    #[test]
    fn shortfalls_reconcile_with_the_pools_loss_stats_or_are_refused() {
        let events = |amounts: &[u64]| -> Vec<LossEvent> {
            amounts
                .iter()
                .enumerate()
                .map(|(i, &amount)| LossEvent {
                    time: i as i64,
                    amount,
                })
                .collect()
        };
        let stats = LossStats {
            count: 3,
            total_reported: 600,
            total_covered: 300,
            largest: 300,
            ewma: 0,
        };
        assert!(reconcile_shortfalls(&events(&[100, 200, 300]), &stats, 0).is_ok());
        let e = reconcile_shortfalls(&events(&[100, 200]), &stats, 1).unwrap_err();
        assert!(
            e.starts_with(
                "history has 2 shortfalls totalling 300, the pool's loss_stats say 3 totalling \
                 600: 1 event missing (1 of the pool's transactions have truncated logs)"
            ),
            "{e}"
        );
        let e = reconcile_shortfalls(&events(&[100]), &stats, 0).unwrap_err();
        assert!(e.contains("2 events missing (truncated logs?)"), "{e}");
        let e = reconcile_shortfalls(&events(&[100, 200, 300, 1]), &stats, 0).unwrap_err();
        assert!(e.contains("1 event more than the pool recorded"), "{e}");
        let e = reconcile_shortfalls(&events(&[100, 200, 301]), &stats, 0).unwrap_err();
        assert!(e.contains("amounts differ by 1"), "{e}");
        // The chain's total saturates; so does the comparison.
        let huge = LossStats {
            count: 2,
            total_reported: u64::MAX,
            ..stats
        };
        assert!(reconcile_shortfalls(&events(&[u64::MAX, 5]), &huge, 0).is_ok());

        // The whole history: shortfalls and paid claims over the pool's lifetime.
        let pool = Pubkey::new_unique();
        let claims = [claim(pool, ClaimStatus::Paid, 50, 70, 30)];
        let h = pool_history(
            &pool,
            &stats,
            70,
            events(&[100, 200, 300]),
            0,
            &claims,
            (0, 1_000),
        )
        .unwrap();
        assert_eq!((h.events.len(), h.start, h.end), (4, 0, 1_000));
        assert_eq!(
            h.events[3],
            LossEvent {
                time: 50,
                amount: 100
            }
        );
        assert!(pool_history(
            &pool,
            &stats,
            71,
            events(&[100, 200, 300]),
            0,
            &claims,
            (0, 1_000)
        )
        .unwrap_err()
        .contains("claim accounts missing"));
    }

    fn contributed(pool: Pubkey, volume: u64) -> VolumeContributed {
        VolumeContributed {
            pool,
            registration: Pubkey::new_unique(),
            volume,
            rate_bps: 7,
            fee: (volume * 7).div_ceil(10_000),
            protocol_fee: 0,
            loss_index: 1_000,
            free_capital: 100_000,
            pool_capital: 100_000,
        }
    }

    #[test]
    fn only_the_programs_own_volume_events_for_the_pool_count() {
        let pool = Pubkey::new_unique();
        let exchange = Pubkey::new_unique();
        // A trade: the exchange's frame, then the pool's by CPI (the event is logged in
        // the insurance program's frame), then back in the exchange's.
        let logs = vec![
            format!("Program {exchange} invoke [1]"),
            "Program log: Instruction: OpenPosition".to_string(),
            // The exchange logging the same bytes itself does not count.
            encode(&contributed(pool, 999)),
            format!("Program {} invoke [2]", insurance_pool::ID),
            encode(&contributed(pool, 10_000)),
            encode(&shortfall(pool, 5, 0)),
            encode(&contributed(Pubkey::new_unique(), 50)),
            format!("Program {} success", insurance_pool::ID),
            encode(&contributed(pool, 777)),
            format!("Program {exchange} success"),
        ];
        assert_eq!(
            volumes_from_logs(9, &pool, &logs),
            vec![VolumeEvent {
                time: 9,
                volume: 10_000,
                fee: 7,
                rate_bps: 7
            }]
        );
        // The shortfall in the same frame is still read by its own parser.
        assert_eq!(shortfalls_from_logs(9, &pool, &logs).len(), 1);
    }

    #[test]
    fn volume_events_reconcile_with_the_pools_total_volume_while_trading_goes_on() {
        let e = |time: i64, volume: u64| VolumeEvent {
            time,
            volume,
            fee: 0,
            rate_bps: 0,
        };
        let events = [e(0, 100), e(10, 200), e(20, 300)];
        assert!(reconcile_volume(&events, 600, 600, 0).is_ok());
        // A trade landed while the history was read: between the two reads is fine.
        assert!(reconcile_volume(&events, 300, 700, 0).is_ok());
        let err = reconcile_volume(&events[..2], 600, 600, 1).unwrap_err();
        assert!(
            err.contains("events total 300, its total_volume says 600: 300 of volume missing (1 of the pool's transactions have truncated logs)")
                && err.contains("--volume-per-day"),
            "{err}"
        );
        assert!(reconcile_volume(&events, 100, 500, 0)
            .unwrap_err()
            .contains("100 more than the pool recorded"));

        // Per day over the trailing window, or since the first trade when younger.
        const DAY: i64 = 86_400;
        let daily: Vec<VolumeEvent> = (0..60).map(|d| e(d * DAY, 1_000)).collect();
        let now = 60 * DAY;
        let w = volume_per_day(&daily, now, 30 * DAY);
        assert_eq!(
            (w.volume_per_day, w.contributions, w.volume, w.start, w.end),
            (1_000, 30, 30_000, 30 * DAY, now)
        );
        let young = volume_per_day(&daily[50..], now, 30 * DAY);
        assert_eq!((young.volume_per_day, young.start), (1_000, 50 * DAY));
        // At least a day; nothing traded is 0.
        let burst = volume_per_day(&[e(now - 60, 5_000)], now, 30 * DAY);
        assert_eq!((burst.volume_per_day, burst.start), (5_000, now - DAY));
        assert_eq!(volume_per_day(&[], now, 30 * DAY).volume_per_day, 0);
    }
}
