//! Loss histories: from CSV, JSON, or the program's own events in transaction logs.

use anchor_lang::{AnchorDeserialize, Discriminator};
use base64::Engine;
use insurance_pool::events::{ClaimPaid, ShortfallCovered};
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

/// Losses of `pool` in one transaction's logs, as emitted by the program: each
/// `ShortfallCovered` gives its reported `amount`, each `ClaimPaid` its approved
/// amount (`paid + unpaid`). `block_time` dates them. Only events logged by the
/// insurance program's own invocation frames (tracked through the runtime's
/// `Program <id> invoke [n]` / `success` / `failed` lines) and naming `pool` count: a
/// `Program data:` line written by any other program, or for another pool, is ignored.
pub fn losses_from_logs(
    block_time: i64,
    pool: &anchor_lang::prelude::Pubkey,
    logs: &[String],
) -> Vec<LossEvent> {
    let engine = base64::engine::general_purpose::STANDARD;
    let ours = insurance_pool::ID.to_string();
    let mut frames: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for line in logs {
        if let Some(rest) = line.strip_prefix("Program ") {
            let mut words = rest.split_whitespace();
            let (id, verb) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
            if verb == "invoke" {
                frames.push(id);
                continue;
            }
            if verb == "success" || verb == "failed:" || verb == "failed" {
                frames.pop();
                continue;
            }
        }
        let Some(data) = line.strip_prefix("Program data: ") else {
            continue;
        };
        if frames.last() != Some(&ours.as_str()) {
            continue;
        }
        let Ok(bytes) = engine.decode(data.trim()) else {
            continue;
        };
        let amount = if let Some(mut rest) = bytes.strip_prefix(ShortfallCovered::DISCRIMINATOR) {
            match ShortfallCovered::deserialize(&mut rest) {
                Ok(e) if e.pool == *pool => Some(e.amount),
                _ => None,
            }
        } else if let Some(mut rest) = bytes.strip_prefix(ClaimPaid::DISCRIMINATOR) {
            match ClaimPaid::deserialize(&mut rest) {
                Ok(e) if e.pool == *pool => e.paid.checked_add(e.unpaid),
                _ => None,
            }
        } else {
            None
        };
        if let Some(amount) = amount.filter(|&a| a > 0) {
            out.push(LossEvent {
                time: block_time,
                amount,
            });
        }
    }
    out
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

    #[test]
    fn program_events_become_losses() {
        // `Event::data` is what `emit!` logs: discriminator + Borsh body.
        let encode = |v: Vec<u8>| {
            format!(
                "Program data: {}",
                base64::engine::general_purpose::STANDARD.encode(v)
            )
        };
        let pool = Pubkey::new_unique();
        let shortfall = ShortfallCovered {
            pool,
            registration: Pubkey::new_unique(),
            nonce: 1,
            amount: 900,
            covered: 400,
            uncovered: 500,
            limited_by: insurance_pool::state::CoverLimit::PerEvent,
            epoch_paid: 400,
            pool_capital: 10_000,
        };
        let paid = ClaimPaid {
            pool,
            claim: Pubkey::new_unique(),
            claimant: Pubkey::new_unique(),
            paid: 70,
            unpaid: 30,
            pool_capital: 9_930,
        };
        let other_pool = ClaimPaid {
            pool: Pubkey::new_unique(),
            ..paid
        };
        let ours = format!("Program {} invoke [1]", insurance_pool::ID);
        let done = format!("Program {} success", insurance_pool::ID);
        let logs = vec![
            ours.clone(),
            "Program log: Instruction: CoverShortfall".to_string(),
            encode(shortfall.data()),
            encode(paid.data()),
            encode(other_pool.data()),
            "Program data: not-base64!".to_string(),
            done,
            // The same bytes from another program's frame are not ours.
            "Program 11111111111111111111111111111111 invoke [1]".to_string(),
            encode(paid.data()),
            "Program 11111111111111111111111111111111 success".to_string(),
        ];
        assert_eq!(
            losses_from_logs(42, &pool, &logs),
            vec![
                LossEvent {
                    time: 42,
                    amount: 900
                },
                LossEvent {
                    time: 42,
                    amount: 100
                }
            ]
        );
    }
}
