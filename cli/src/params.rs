//! Pool parameters from flags or a file, and token amounts on the command line.
//!
//! `create-pool` and `update-params` take every [`PoolParams`] field as a flag
//! (`--deposit-cap 1000000`) or from `--params FILE` (TOML, or JSON when the name ends in
//! `.json`; the keys are the flags' names with `_`, e.g. `docs/pool-params.example.toml`);
//! a flag overrides the file. `create-pool` needs all of them (a pool's economics are
//! its governance's decision: there are no silent defaults); `update-params` starts from
//! the pool's pending parameters, or its current ones, and changes what is given.
//! Amounts (`deposit_cap`, `min_deposit`, `min_reserve`, `bond_min`) are token units
//! of the pool's mint; rates are bps; durations seconds.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use insurance_pool_sdk::state::PoolParams;
use insurance_pool_sdk::units::{parse_amount, AmountError};

use crate::CliResult;

/// An amount in token units (`1500.25`), converted to base units with the mint's
/// decimals once they are known. Syntax is checked when the argument is parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Amount(String);

impl Amount {
    /// Base units in a mint of `decimals`.
    pub fn base_units(&self, decimals: u8) -> CliResult<u64> {
        parse_amount(&self.0, decimals).map_err(|e| e.to_string())
    }
}

impl FromStr for Amount {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        // The syntax does not depend on the decimals: only precision and range do.
        match parse_amount(s, u8::MAX) {
            Err(AmountError::Malformed(_)) => Err(AmountError::Malformed(s.into()).to_string()),
            _ => Ok(Self(s.to_string())),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Amount {
    /// A string (`"1500.25"`) or a whole number of token units (`1500`).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Text(String),
            Whole(u64),
        }
        match Raw::deserialize(d)? {
            Raw::Text(s) => s.parse().map_err(serde::de::Error::custom),
            Raw::Whole(n) => Ok(Self(n.to_string())),
        }
    }
}

/// One parameter's value as the program stores it.
trait ParamValue {
    type Out;
    fn value(&self, decimals: u8) -> CliResult<Self::Out>;
}

impl ParamValue for u64 {
    type Out = u64;
    fn value(&self, _: u8) -> CliResult<u64> {
        Ok(*self)
    }
}

impl ParamValue for i64 {
    type Out = i64;
    fn value(&self, _: u8) -> CliResult<i64> {
        Ok(*self)
    }
}

impl ParamValue for Amount {
    type Out = u64;
    fn value(&self, decimals: u8) -> CliResult<u64> {
        self.base_units(decimals)
    }
}

/// Declares [`ParamArgs`] from one list: each flag, its type and the [`PoolParams`]
/// field it sets (so flags, file keys and fields cannot drift apart).
macro_rules! param_args {
    ($( $(#[doc = $doc:literal])* $name:ident: $ty:ty => $($field:ident).+; )*) => {
        /// Every pool parameter, as flags or from `--params FILE`.
        #[derive(clap::Args, serde::Deserialize, Debug, Default, Clone)]
        #[serde(deny_unknown_fields)]
        pub struct ParamArgs {
            /// TOML (or `.json`) file of parameters, keyed by the flags' names with `_`;
            /// flags override it.
            #[arg(long = "params", value_name = "FILE")]
            #[serde(skip)]
            pub file: Option<PathBuf>,
            $( $(#[doc = $doc])* #[arg(long)] pub $name: Option<$ty>, )*
        }

        impl ParamArgs {
            /// These flags, each falling back to `file`'s value.
            fn over(self, file: ParamArgs) -> ParamArgs {
                ParamArgs { file: self.file, $( $name: self.$name.or(file.$name), )* }
            }

            /// Writes every given value into `p`.
            fn apply(&self, p: &mut PoolParams, decimals: u8) -> CliResult<()> {
                $( if let Some(v) = &self.$name {
                    p.$($field).+ = v.value(decimals).map_err(|e| format!("{}: {e}", stringify!($name)))?;
                } )*
                Ok(())
            }

            /// The parameters neither a flag nor the file gives.
            fn missing(&self) -> Vec<&'static str> {
                let mut missing = Vec::new();
                $( if self.$name.is_none() { missing.push(stringify!($name)); } )*
                missing
            }
        }
    };
}

param_args! {
    /// Seconds between request-withdrawal and the earliest complete-withdrawal.
    withdrawal_cooldown: i64 => withdrawal_cooldown;
    /// Largest capital deposits may bring the pool to (token units).
    deposit_cap: Amount => deposit_cap;
    /// Smallest deposit (token units).
    min_deposit: Amount => min_deposit;
    /// Premium rate at zero utilisation (bps of notional per coverage term).
    base_rate: u64 => curve.base_rate;
    /// Rate added per 100 % utilisation below the kink (bps).
    slope1: u64 => curve.slope1;
    /// Utilisation of the kink (bps).
    kink: u64 => curve.kink;
    /// Rate added per 100 % utilisation above the kink (bps).
    slope2: u64 => curve.slope2;
    /// Floor of the premium rate (bps).
    min_rate: u64 => curve.min_rate;
    /// Ceiling of the premium rate (bps).
    max_rate: u64 => curve.max_rate;
    /// Most the charged rate moves per day (bps).
    /// Length of a cover (seconds).
    coverage_duration: i64 => coverage_duration;
    /// Cap on exposure (bps of capital).
    max_exposure_bps: u64 => max_exposure_bps;
    /// Capital shortfall payouts never touch (token units).
    min_reserve: Amount => min_reserve;
    /// Seconds underwriters may vote on a claim.
    voting_period: i64 => governance.voting_period;
    /// Turnout needed (bps of eligible weight).
    quorum_bps: u64 => governance.quorum_bps;
    /// Yes-votes needed (bps of cast weight).
    approval_threshold_bps: u64 => governance.approval_threshold_bps;
    /// Seconds between approval and payability (the guardian's veto window).
    holdup_period: i64 => governance.holdup_period;
    /// Smallest claim bond (token units).
    bond_min: Amount => governance.bond_min;
    /// Claim bond as bps of the claimed amount (the larger of the two applies).
    bond_bps: u64 => governance.bond_bps;
    /// No-votes (bps of cast weight) that mark a rejected claim fraudulent.
    fraud_threshold_bps: u64 => governance.fraud_threshold_bps;
    /// Seconds shares must be staked before a claim's filing to vote on it.
    min_stake_age: i64 => governance.min_stake_age;
    /// Largest single claim (bps of free capital).
    max_claim_bps: u64 => governance.max_claim_bps;
    /// Seconds after the cooldown a withdrawal can still be completed.
    withdrawal_window: i64 => withdrawal_window;
    /// Seconds after an underwriter's last deposit before it may request a withdrawal.
    min_deposit_lock: i64 => min_deposit_lock;
    /// Seconds after a purchase or top-up before its cover can be claimed.
    claim_waiting_period: i64 => claim_waiting_period;
    /// Volume rate with no loss history (bps of traded volume).
    volume_base_rate: u64 => volume.base_rate;
    /// Volume rate added per 100 % of loss index over free capital (bps of volume).
    volume_loss_slope: u64 => volume.loss_slope;
    /// Floor of the volume rate (bps of volume).
    volume_min_rate: u64 => volume.min_rate;
    /// Ceiling of the volume rate (bps of volume).
    volume_max_rate: u64 => volume.max_rate;
    /// Share of the volume rate's loss index forgotten per day (bps, 1 to 10 000).
    volume_loss_decay_per_day: u64 => volume.loss_decay_per_day;
}

/// Reads a parameter file: JSON when its name ends in `.json`, TOML otherwise.
pub fn read_file(path: &Path) -> CliResult<ParamArgs> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let parsed = if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text).map_err(|e| e.to_string())
    } else {
        toml::from_str(&text).map_err(|e| e.to_string())
    };
    parsed.map_err(|e| format!("{}: {e}", path.display()))
}

impl ParamArgs {
    /// The parameters these flags (over their file) describe: on top of `base` (an
    /// update), or complete on their own (a new pool: every parameter must be given).
    pub fn resolve(self, base: Option<PoolParams>, decimals: u8) -> CliResult<PoolParams> {
        let given = match &self.file {
            Some(path) => {
                let file = read_file(path)?;
                self.over(file)
            }
            None => self,
        };
        let mut params = match base {
            Some(base) => base,
            None => {
                let missing = given.missing();
                if !missing.is_empty() {
                    return Err(format!(
                        "a new pool needs every parameter (flags or --params FILE); missing: {}",
                        missing.join(", ")
                    ));
                }
                bytemuck::Zeroable::zeroed()
            }
        };
        given.apply(&mut params, decimals)?;
        Ok(params)
    }
}
