//! Reading Anchor events from transaction logs: one parser for the test harness, the
//! actuary's loss history and the CLI.
//!
//! `emit!` writes `Program data: <base64 of discriminator + Borsh body>`; the runtime
//! frames each program's lines with `Program <id> invoke [n]` and
//! `Program <id> success` / `failed`.

use anchor_lang::prelude::Pubkey;
use anchor_lang::{AnchorDeserialize, Discriminator};
use base64::Engine;

/// The event of type `E` a `Program data:` log line carries, if it carries one.
pub fn decode_event<E: AnchorDeserialize + Discriminator>(line: &str) -> Option<E> {
    let data = line.strip_prefix("Program data: ")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .ok()?;
    let mut body = bytes.strip_prefix(E::DISCRIMINATOR)?;
    E::deserialize(&mut body).ok()
}

/// Every event of type `E` in `logs`, whichever program logged it, in order.
pub fn logged_events<E: AnchorDeserialize + Discriminator>(logs: &[String]) -> Vec<E> {
    logs.iter().filter_map(|line| decode_event(line)).collect()
}

/// Every event of type `E` logged by `program`'s own invocation frames, in order: a
/// `Program data:` line written by any other program (one that copies the pool's event
/// bytes into its own frame, say) is ignored.
pub fn program_events<E: AnchorDeserialize + Discriminator>(
    program: &Pubkey,
    logs: &[String],
) -> Vec<E> {
    let ours = program.to_string();
    let mut frames: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for line in logs {
        if let Some(rest) = line.strip_prefix("Program ") {
            let mut words = rest.split_whitespace();
            let (id, verb) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
            match verb {
                "invoke" => {
                    frames.push(id);
                    continue;
                }
                "success" | "failed:" | "failed" => {
                    frames.pop();
                    continue;
                }
                _ => {}
            }
        }
        if frames.last() == Some(&ours.as_str()) {
            out.extend(decode_event::<E>(line));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::Event;
    use insurance_pool::events::ClaimCancelled;

    #[test]
    fn reads_events_of_the_program_frames_only() {
        let event = ClaimCancelled {
            pool: Pubkey::new_unique(),
            claim: Pubkey::new_unique(),
        };
        let line = format!(
            "Program data: {}",
            base64::engine::general_purpose::STANDARD.encode(event.data())
        );
        let (ours, other) = (insurance_pool::ID, Pubkey::new_unique());
        let logs: Vec<String> = vec![
            format!("Program {other} invoke [1]"),
            line.clone(),
            format!("Program {ours} invoke [2]"),
            line.clone(),
            "Program data: not base64".into(),
            format!("Program {ours} success"),
            line.clone(),
            format!("Program {other} success"),
        ];
        let mine = program_events::<ClaimCancelled>(&ours, &logs);
        assert_eq!(mine.len(), 1);
        assert_eq!((mine[0].pool, mine[0].claim), (event.pool, event.claim));
        assert_eq!(logged_events::<ClaimCancelled>(&logs).len(), 3);
        assert!(decode_event::<ClaimCancelled>("Program log: x").is_none());
    }
}
