//! The Solana CLI's configuration (`~/.config/solana/cli/config.yml`, or `--config`),
//! read the way `solana` reads it: `json_rpc_url`, `keypair_path` and `commitment`.
//! A flag wins over the file, the file over the defaults (`localhost`, `~/.config/solana/id.json`,
//! `confirmed`). The file is flat YAML (`key: value` per line, written by `solana config
//! set`); only these three keys are read, quoted or not, other keys are ignored.

use std::path::{Path, PathBuf};

use solana_commitment_config::CommitmentConfig;

use crate::CliResult;

/// The values a config file sets (each `None` when absent).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SolanaConfig {
    pub json_rpc_url: Option<String>,
    pub keypair_path: Option<String>,
    pub commitment: Option<String>,
}

impl SolanaConfig {
    /// Parses the text of a config file.
    pub fn parse(text: &str) -> Self {
        let mut config = Self::default();
        for line in text.lines() {
            // Top-level scalars only: nested maps (`address_labels:`) are indented.
            if line.starts_with([' ', '\t', '#', '-']) {
                continue;
            }
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(value);
            if value.is_empty() || value == "~" {
                continue;
            }
            let slot = match key.trim() {
                "json_rpc_url" => &mut config.json_rpc_url,
                "keypair_path" => &mut config.keypair_path,
                "commitment" => &mut config.commitment,
                _ => continue,
            };
            *slot = Some(value.to_string());
        }
        config
    }

    /// The file at `path` (given by `--config`: it must exist), or the default file
    /// when it exists (an absent default file sets nothing).
    pub fn load(path: Option<&Path>) -> CliResult<Self> {
        match path {
            Some(path) => std::fs::read_to_string(path)
                .map(|t| Self::parse(&t))
                .map_err(|e| format!("cannot read config {}: {e}", path.display())),
            None => Ok(default_path()
                .and_then(|p| std::fs::read_to_string(p).ok())
                .map(|t| Self::parse(&t))
                .unwrap_or_default()),
        }
    }
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from)
}

/// `~/.config/solana/cli/config.yml`.
pub fn default_path() -> Option<PathBuf> {
    home().map(|h| h.join(".config/solana/cli/config.yml"))
}

/// `~/.config/solana/id.json`.
pub fn default_keypair() -> String {
    home()
        .map(|h| h.join(".config/solana/id.json").display().to_string())
        .unwrap_or_else(|| "id.json".into())
}

/// A commitment level by the names the Solana CLI takes.
pub fn commitment(name: &str) -> CliResult<CommitmentConfig> {
    match name {
        "processed" => Ok(CommitmentConfig::processed()),
        "confirmed" => Ok(CommitmentConfig::confirmed()),
        "finalized" => Ok(CommitmentConfig::finalized()),
        other => Err(format!(
            "unknown commitment `{other}` (processed, confirmed, finalized)"
        )),
    }
}

/// What the CLI connects with, after flags, config file and defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub url: String,
    pub keypair: String,
    pub commitment: String,
}

/// Flags first, then the config file, then the defaults.
pub fn resolve(
    url: Option<&str>,
    keypair: Option<&str>,
    commitment: Option<&str>,
    file: &SolanaConfig,
) -> Resolved {
    Resolved {
        url: crate::resolve_url(url.or(file.json_rpc_url.as_deref()).unwrap_or("localhost")),
        keypair: keypair
            .map(str::to_string)
            .or_else(|| file.keypair_path.clone())
            .unwrap_or_else(default_keypair),
        commitment: commitment
            .or(file.commitment.as_deref())
            .unwrap_or("confirmed")
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRITTEN_BY_SOLANA: &str = "---
json_rpc_url: \"https://api.devnet.solana.com\"
websocket_url: \"\"
keypair_path: /home/op/.config/solana/devnet.json
address_labels:
  \"11111111111111111111111111111111\": System Program
commitment: finalized
";

    #[test]
    fn reads_what_solana_config_set_writes() {
        let c = SolanaConfig::parse(WRITTEN_BY_SOLANA);
        assert_eq!(
            c,
            SolanaConfig {
                json_rpc_url: Some("https://api.devnet.solana.com".into()),
                keypair_path: Some("/home/op/.config/solana/devnet.json".into()),
                commitment: Some("finalized".into()),
            }
        );
        assert_eq!(
            SolanaConfig::parse("json_rpc_url: ''\n"),
            SolanaConfig::default()
        );
    }

    #[test]
    fn flags_win_over_the_file_and_the_file_over_defaults() {
        let file = SolanaConfig::parse(WRITTEN_BY_SOLANA);
        let r = resolve(None, None, None, &file);
        assert_eq!(r.url, "https://api.devnet.solana.com");
        assert_eq!(r.keypair, "/home/op/.config/solana/devnet.json");
        assert_eq!(r.commitment, "finalized");
        let r = resolve(Some("localhost"), Some("k.json"), Some("processed"), &file);
        assert_eq!(
            (r.url.as_str(), r.keypair.as_str(), r.commitment.as_str()),
            ("http://127.0.0.1:8899", "k.json", "processed")
        );
        let r = resolve(None, None, None, &SolanaConfig::default());
        assert_eq!(
            (r.url.as_str(), r.commitment.as_str()),
            ("http://127.0.0.1:8899", "confirmed")
        );
        assert!(r.keypair.ends_with(".config/solana/id.json"));
        assert!(commitment("finalized").is_ok());
        assert!(commitment("max")
            .unwrap_err()
            .contains("unknown commitment"));
    }

    #[test]
    fn a_named_config_file_must_exist() {
        let err = SolanaConfig::load(Some(Path::new("/nonexistent/config.yml"))).unwrap_err();
        assert!(err.contains("cannot read config"), "{err}");
        let dir = std::env::temp_dir().join(format!("ip-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("config.yml");
        std::fs::write(&path, WRITTEN_BY_SOLANA).unwrap();
        assert_eq!(
            SolanaConfig::load(Some(&path))
                .unwrap()
                .commitment
                .as_deref(),
            Some("finalized")
        );
    }
}
