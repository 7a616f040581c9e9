//! Seeds, protocol-wide limits and pause bits. Every PDA seed lives here so that the
//! program, the tests and the off-chain crates derive addresses from one definition;
//! the seeds and pause bits are `#[constant]`s, so the IDL carries them and the
//! TypeScript client reads them from there.

/// Seed of the singleton [`crate::state::Protocol`] account: `["protocol"]`.
#[anchor_lang::constant]
pub const PROTOCOL_SEED: &[u8] = b"protocol";
/// Address of the protocol singleton, derived at compile time from [`PROTOCOL_SEED`], so
/// instructions check it with a 32-byte compare instead of a PDA derivation.
pub const PROTOCOL_ADDRESS: anchor_lang::prelude::Pubkey =
    anchor_lang::prelude::Pubkey::new_from_array(
        anchor_lang::derive_program_address(&[PROTOCOL_SEED], crate::ID.as_array()).0,
    );

/// Seed of a market's [`crate::state::Pool`]: `["pool", market]`.
#[anchor_lang::constant]
pub const POOL_SEED: &[u8] = b"pool";
/// Seed of a pool's vault token account: `["vault", pool]`.
#[anchor_lang::constant]
pub const VAULT_SEED: &[u8] = b"vault";
/// Seed of an [`crate::state::Underwriter`] position: `["underwriter", pool, owner]`.
#[anchor_lang::constant]
pub const UNDERWRITER_SEED: &[u8] = b"underwriter";

/// Seed of a [`crate::state::Member`] (a trader's coverage): `["member", pool, owner]`.
#[anchor_lang::constant]
pub const MEMBER_SEED: &[u8] = b"member";

/// Seed of an [`crate::state::ExchangeRegistration`]:
/// `["exchange", pool, exchange_authority]`.
#[anchor_lang::constant]
pub const EXCHANGE_SEED: &[u8] = b"exchange";

/// Seed of a pool's [`crate::state::PoolExposure`]: `["exposure", pool]`.
#[anchor_lang::constant]
pub const EXPOSURE_SEED: &[u8] = b"exposure";
/// Seed of a pool's bond escrow token account: `["bonds", pool]`.
#[anchor_lang::constant]
pub const BOND_VAULT_SEED: &[u8] = b"bonds";
/// Seed of a [`crate::state::Claim`]: `["claim", pool, claimant, index (u64 LE)]`, where
/// `index` is the claimant's own `Member::claim_count`, so nobody can take the address
/// another member's next claim needs.
#[anchor_lang::constant]
pub const CLAIM_SEED: &[u8] = b"claim";
/// Seed of a [`crate::state::VoteRecord`]: `["vote", claim, voter]`.
#[anchor_lang::constant]
pub const VOTE_SEED: &[u8] = b"vote";
/// The associated token program: claim payouts and bond returns go only to the
/// claimant's associated token account ([`crate::pda::associated_token`]), never to an
/// account the claimant merely owns (and may have delegated or closed).
pub const ASSOCIATED_TOKEN_PROGRAM: anchor_lang::prelude::Pubkey =
    anchor_lang::pubkey!("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL");

/// Longest evidence URI of a claim, in bytes.
pub const MAX_URI_LEN: usize = 200;
/// Bounds of a pool's claim voting period and hold-up window (1 hour to 30 days).
pub const MIN_GOVERNANCE_WINDOW: i64 = 3_600;
pub const MAX_GOVERNANCE_WINDOW: i64 = 30 * 86_400;

/// Shortest exchange payout epoch (1 hour).
pub const MIN_EPOCH_LENGTH: i64 = 3_600;
/// Longest exchange payout epoch (365 days).
pub const MAX_EPOCH_LENGTH: i64 = 365 * 86_400;
/// Weight of the newest shortfall in the pool's loss EWMA (bps): 20 %.
pub const LOSS_EWMA_WEIGHT_BPS: u64 = 2_000;

/// Virtual shares added to the share supply in every price computation (ERC-4626 style
/// offset). With [`VIRTUAL_ASSETS`] it makes the first-depositor inflation attack cost
/// the attacker ~10^6 times what it could steal, and keeps an empty pool's price at
/// `VIRTUAL_SHARES / VIRTUAL_ASSETS` shares per base unit.
#[anchor_lang::constant]
pub const VIRTUAL_SHARES: u64 = 1_000_000;
/// Virtual assets added to the accounted capital in every price computation.
#[anchor_lang::constant]
pub const VIRTUAL_ASSETS: u64 = 1;

/// Shortest withdrawal cooldown a pool may be configured with (1 hour). A cooldown is
/// what stops an underwriter from leaving in the same block a loss becomes known.
pub const MIN_WITHDRAWAL_COOLDOWN: i64 = 3_600;
/// Longest withdrawal cooldown a pool may be configured with (90 days).
pub const MAX_WITHDRAWAL_COOLDOWN: i64 = 90 * 86_400;

/// Shortest and longest time a matured withdrawal request stays completable before it
/// lapses (1 hour to 30 days).
pub const MIN_WITHDRAWAL_WINDOW: i64 = 3_600;
pub const MAX_WITHDRAWAL_WINDOW: i64 = 30 * 86_400;
/// Longest deposit lock a pool may set (365 days); the shortest is its coverage term.
pub const MAX_DEPOSIT_LOCK: i64 = 365 * 86_400;
/// Bounds of a pool's minimum stake age for claim votes (1 to 30 days).
pub const MIN_STAKE_AGE: i64 = 86_400;
pub const MAX_STAKE_AGE: i64 = 30 * 86_400;
/// Shortest claim waiting period (1 hour); the longest is below the coverage term.
pub const MIN_CLAIM_WAITING_PERIOD: i64 = 3_600;
/// A claimant may cancel its claim only within this time after filing (1 hour), and
/// only before the first vote.
pub const CLAIM_CANCEL_WINDOW: i64 = 3_600;
/// Added to the longest exit time (deposit lock + withdrawal cooldown) to get the
/// activation delay of new draw rights and parameter changes (1 day).
pub const ACTIVATION_MARGIN: i64 = 86_400;

/// Shortest coverage term a pool may sell (1 day).
pub const MIN_COVERAGE_DURATION: i64 = 86_400;
/// Longest coverage term a pool may sell (60 days; the exposure ring holds 64 days).
pub const MAX_COVERAGE_DURATION: i64 = 60 * 86_400;
/// Highest rate a curve may charge: 100 % of notional.
pub const MAX_RATE_BPS: u64 = 10_000;
/// Steepest slope of a curve: +1000 % of notional per 100 % of utilisation.
pub const MAX_SLOPE_BPS: u64 = 100_000;
/// Largest exposure a pool may take on: 10 times its capital.
pub const MAX_EXPOSURE_BPS: u64 = 100_000;
/// Highest volume rate a pool may charge: 10 % of traded volume.
pub const MAX_VOLUME_RATE_BPS: u64 = 1_000;
/// Steepest loss slope of a volume curve: +1000 % of volume per 100 % of loss EWMA over
/// free capital.
pub const MAX_VOLUME_SLOPE_BPS: u64 = 100_000;
/// A volume contribution is earned into capital evenly over this time (7 days, in day
/// buckets like premiums): capital that joins after the trade shares only what is
/// earned while it is at risk.
pub const VOLUME_EARNING_PERIOD: i64 = 7 * 86_400;
/// Largest protocol fee: 50 % of each premium.
pub const MAX_PROTOCOL_FEE_BPS: u16 = 5_000;

/// Per-operation pause bits, used both on the [`crate::state::Protocol`] (all pools) and
/// on each [`crate::state::Pool`]. An operation is paused if its bit is set at either level.
pub mod pause {
    /// `deposit`.
    #[anchor_lang::constant]
    pub const DEPOSIT: u8 = 1 << 0;
    /// `request_withdrawal`, `cancel_withdrawal` and `complete_withdrawal`.
    #[anchor_lang::constant]
    pub const WITHDRAW: u8 = 1 << 1;
    /// `contribute_premium` and `contribute_volume` (quotes stay available).
    #[anchor_lang::constant]
    pub const PREMIUM: u8 = 1 << 2;
    /// `cover_shortfall`.
    #[anchor_lang::constant]
    pub const SHORTFALL: u8 = 1 << 3;
    /// Claims: filing and paying them (votes are never paused: a pause must not freeze a
    /// tally; finalising still runs, so a paused pool's claims end and release exits).
    #[anchor_lang::constant]
    pub const CLAIMS: u8 = 1 << 4;
    /// Every defined bit; any other bit is refused with `InvalidPauseFlags`.
    #[anchor_lang::constant]
    pub const ALL: u8 = DEPOSIT | WITHDRAW | PREMIUM | SHORTFALL | CLAIMS;
}

/// Where to report a vulnerability: the `contacts` of the program's security.txt
/// (`lib.rs`) and the IDL's `metadata.contact` (set by the IDL generator). Policy:
/// SECURITY.md.
pub const SECURITY_CONTACT: &str =
    "link:https://github.com/insurance-pool/insurance-pool/security/advisories/new";
