//! Segregated insurance pools for Solana derivatives venues.
//!
//! Every market has its own [`state::Pool`] with its own vault: underwriters deposit
//! into one market's pool for shares ([`state::Underwriter`]), and nothing moves value
//! between two pools. See the repository README for the architecture and
//! `docs/DESIGN.md` for the product.

#![allow(unexpected_cfgs)]

use anchor_lang::prelude::*;

pub mod constants;
pub mod errors;
pub mod events;
pub mod instructions;
pub mod math;
pub mod pda;
pub mod state;
pub mod token;

use instructions::*;
use state::{ExchangeLimits, PoolParams, PremiumQuote, VolumeQuote};

declare_id!("GzN2QL4myuf5a7EUsrJ8ntntDocbvjVo5UK5qnNyYbkU");

// The program's security.txt (https://github.com/neodyme-labs/solana-security-txt):
// explorers and `solana-verify` read it from the deployed binary. Its contact is
// `constants::SECURITY_CONTACT` (the IDL's `metadata.contact`; a test checks the
// binary carries it); the policy is SECURITY.md.
#[cfg(not(feature = "no-entrypoint"))]
solana_security_txt::security_txt! {
    name: "Insurance Pool",
    project_url: "https://github.com/insurance-pool/insurance-pool",
    contacts: "link:https://github.com/insurance-pool/insurance-pool/security/advisories/new",
    policy: "https://github.com/insurance-pool/insurance-pool/blob/main/SECURITY.md",
    preferred_languages: "en",
    source_code: "https://github.com/insurance-pool/insurance-pool",
    source_release: "v0.1.0",
    auditors: "None yet: see SECURITY.md for the scope and the attacks the test suite covers"
}

/// A compute-unit probe (`Program consumption: N units remaining`) in builds with the
/// `cu-probes` feature (`scripts/cu-breakdown.sh`); nothing otherwise.
#[inline(always)]
fn probe() {
    #[cfg(all(feature = "cu-probes", target_os = "solana"))]
    // SAFETY: a syscall without arguments.
    unsafe {
        anchor_lang::compat::solana_define_syscall::definitions::sol_log_compute_units_()
    };
}

/// Runs an instruction's handler between two [`probe`]s: before the first, the
/// entrypoint, Anchor's account checks and `validate`; between them, the handler
/// (its CPIs and event included); after the second, Anchor's exit.
macro_rules! probed {
    ($handler:expr) => {{
        crate::probe();
        let result = $handler;
        crate::probe();
        result
    }};
}

/// Short imports for instruction files.
pub mod prelude {
    pub use anchor_lang::prelude::*;
    pub use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

    pub use crate::constants::*;
    pub use crate::errors::InsuranceError;
    pub use crate::events::*;
    pub use crate::math::{PodShares, SafeMath, Shares};
    pub use crate::state::*;
    pub use crate::token::token_account;
}

#[program]
pub mod insurance_pool {
    use super::*;

    /// Creates the protocol singleton with its `authority` and `guardian`.
    #[access_control(ctx.accounts.validate(&authority, &guardian))]
    pub fn initialize_protocol(
        ctx: Context<InitializeProtocol>,
        authority: Pubkey,
        guardian: Pubkey,
    ) -> Result<()> {
        probed!(handle_initialize_protocol(ctx, authority, guardian))
    }

    /// Authority: change the guardian and/or propose a new authority.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn update_protocol(ctx: Context<UpdateProtocol>, args: UpdateProtocolArgs) -> Result<()> {
        probed!(handle_update_protocol(ctx, args))
    }

    /// Proposed authority: accept the role.
    #[access_control(ctx.accounts.validate())]
    pub fn accept_authority(ctx: Context<AcceptAuthority>) -> Result<()> {
        probed!(handle_accept_authority(ctx))
    }

    /// Authority or guardian: set the protocol-wide pause bits (guardian may only add).
    #[access_control(ctx.accounts.validate(flags))]
    pub fn set_protocol_pause(ctx: Context<SetProtocolPause>, flags: u8) -> Result<()> {
        probed!(handle_set_protocol_pause(ctx, flags))
    }

    /// Authority or guardian: set one pool's pause bits (guardian may only add).
    #[access_control(ctx.accounts.validate(flags))]
    pub fn set_pool_pause(ctx: Context<SetPoolPause>, flags: u8) -> Result<()> {
        probed!(handle_set_pool_pause(ctx, flags))
    }

    /// Authority: create the pool and vault of `market`.
    #[access_control(ctx.accounts.validate(&market, &params))]
    pub fn create_pool(ctx: Context<CreatePool>, market: Pubkey, params: PoolParams) -> Result<()> {
        probed!(handle_create_pool(ctx, market, params))
    }

    /// Authority: replace a pool's parameters.
    #[access_control(ctx.accounts.validate(&params))]
    pub fn update_pool_params(ctx: Context<UpdatePoolParams>, params: PoolParams) -> Result<()> {
        probed!(handle_update_pool_params(ctx, params))
    }

    /// Authority: allow `exchange_authority` to draw on this pool within `limits`.
    #[access_control(ctx.accounts.validate(&exchange_authority, &limits))]
    pub fn register_exchange(
        ctx: Context<RegisterExchange>,
        exchange_authority: Pubkey,
        limits: ExchangeLimits,
    ) -> Result<()> {
        probed!(handle_register_exchange(ctx, exchange_authority, limits))
    }

    /// Authority: replace an exchange's destination and limits (reactivates it).
    #[access_control(ctx.accounts.validate(&limits))]
    pub fn update_exchange(ctx: Context<UpdateExchange>, limits: ExchangeLimits) -> Result<()> {
        probed!(handle_update_exchange(ctx, limits))
    }

    /// Authority: stop an exchange from drawing on the pool.
    pub fn deactivate_exchange(ctx: Context<DeactivateExchange>) -> Result<()> {
        probed!(handle_deactivate_exchange(ctx))
    }

    /// Exchange, by CPI: cover a liquidation shortfall of `amount`; returns
    /// `ShortfallCover { covered, uncovered }`.
    #[access_control(ctx.accounts.validate(amount, nonce))]
    pub fn cover_shortfall(
        ctx: Context<CoverShortfall>,
        amount: u64,
        nonce: u64,
    ) -> Result<ShortfallCover> {
        probed!(handle_cover_shortfall(ctx, amount, nonce))
    }

    /// Exchange, by CPI: pay the volume fee on `volume` of trading (refused above
    /// `max_rate_bps`); returns the fee charged.
    #[access_control(ctx.accounts.validate(volume))]
    pub fn contribute_volume(
        ctx: Context<ContributeVolume>,
        volume: u64,
        max_rate_bps: u64,
    ) -> Result<u64> {
        probed!(handle_contribute_volume(ctx, volume, max_rate_bps))
    }

    /// Anyone: quote the volume fee on `volume` (return data: `VolumeQuote`); moves
    /// nothing.
    #[access_control(ctx.accounts.validate(volume))]
    pub fn quote_volume(ctx: Context<QuoteVolume>, volume: u64) -> Result<VolumeQuote> {
        probed!(handle_quote_volume(ctx, volume))
    }

    /// Member: claim `amount` of its cover, with evidence, posting the bond.
    #[access_control(ctx.accounts.validate(amount, &uri, Clock::get()?.unix_timestamp))]
    pub fn file_claim(
        ctx: Context<FileClaim>,
        amount: u64,
        evidence_hash: [u8; 32],
        uri: String,
    ) -> Result<()> {
        probed!(handle_file_claim(ctx, amount, evidence_hash, uri))
    }

    /// Underwriter: vote on a claim with shares that predate it.
    #[access_control(ctx.accounts.validate(Clock::get()?.unix_timestamp))]
    pub fn cast_vote(ctx: Context<CastVote>, approve: bool) -> Result<()> {
        probed!(handle_cast_vote(ctx, approve))
    }

    /// Anyone, after the voting period: count the vote.
    #[access_control(ctx.accounts.validate(Clock::get()?.unix_timestamp))]
    pub fn finalize_claim(ctx: Context<FinalizeClaim>) -> Result<()> {
        probed!(handle_finalize_claim(ctx))
    }

    /// Guardian, during the hold-up window: veto an approved claim.
    #[access_control(ctx.accounts.validate(Clock::get()?.unix_timestamp))]
    pub fn veto_claim(ctx: Context<VetoClaim>) -> Result<()> {
        probed!(handle_veto_claim(ctx))
    }

    /// Anyone, after the hold-up window: pay an approved claim.
    #[access_control(ctx.accounts.validate(Clock::get()?.unix_timestamp))]
    pub fn pay_claim(ctx: Context<PayClaim>) -> Result<()> {
        probed!(handle_pay_claim(ctx))
    }

    /// Claimant: withdraw a claim nobody voted on yet, within its cancel window.
    #[access_control(ctx.accounts.validate(Clock::get()?.unix_timestamp))]
    pub fn cancel_claim(ctx: Context<CancelClaim>) -> Result<()> {
        probed!(handle_cancel_claim(ctx))
    }

    /// Anyone, once a claim is settled: return or slash its bond.
    #[access_control(ctx.accounts.validate())]
    pub fn withdraw_bond(ctx: Context<WithdrawBond>) -> Result<()> {
        probed!(handle_withdraw_bond(ctx))
    }

    /// Underwriter: deposit `amount`, receiving at least `min_shares` shares.
    #[access_control(ctx.accounts.validate(amount))]
    pub fn deposit(ctx: Context<Deposit>, amount: u64, min_shares: u128) -> Result<()> {
        probed!(handle_deposit(ctx, amount, min_shares))
    }

    /// Underwriter: start the cooldown on `shares`.
    #[access_control(ctx.accounts.validate(shares, Clock::get()?.unix_timestamp))]
    pub fn request_withdrawal(ctx: Context<RequestWithdrawal>, shares: u128) -> Result<()> {
        probed!(handle_request_withdrawal(ctx, shares))
    }

    /// Underwriter: cancel the pending withdrawal.
    #[access_control(ctx.accounts.validate())]
    pub fn cancel_withdrawal(ctx: Context<CancelWithdrawal>) -> Result<()> {
        probed!(handle_cancel_withdrawal(ctx))
    }

    /// Anyone (a keeper): end a lapsed withdrawal request; its shares are free again.
    #[access_control(ctx.accounts.validate())]
    pub fn expire_withdrawal(ctx: Context<ExpireWithdrawal>) -> Result<()> {
        probed!(handle_expire_withdrawal(ctx))
    }

    /// Anyone: quote cover of `notional` (return data: `PremiumQuote`); moves nothing.
    #[access_control(ctx.accounts.validate(notional))]
    pub fn quote_premium(ctx: Context<QuotePremium>, notional: u64) -> Result<PremiumQuote> {
        probed!(handle_quote_premium(ctx, notional))
    }

    /// Member: buy cover of `notional`, paying at most `max_premium`, for a cover
    /// ending no earlier than `min_expiry` (unix time; 0 for no bound).
    #[access_control(ctx.accounts.validate(notional))]
    pub fn contribute_premium(
        ctx: Context<ContributePremium>,
        notional: u64,
        max_premium: u64,
        min_expiry: i64,
    ) -> Result<()> {
        probed!(handle_contribute_premium(
            ctx,
            notional,
            max_premium,
            min_expiry
        ))
    }

    /// Underwriter: complete the pending withdrawal after its cooldown.
    #[access_control(ctx.accounts.validate(Clock::get()?.unix_timestamp))]
    pub fn complete_withdrawal(ctx: Context<CompleteWithdrawal>) -> Result<()> {
        probed!(handle_complete_withdrawal(ctx))
    }
}
