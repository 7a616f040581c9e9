use crate::math::SafeMath;
use crate::prelude::*;
use crate::token::{check_treasury, collect};

/// Exchange (by CPI, signed by its registered authority PDA): pays the pool's volume
/// fee on `volume` of trading, `ceil(volume · volume_rate / 10 000)` (see
/// [`crate::math::volume`]), from `source`, a token account the exchange authority
/// owns. The fee net of the protocol fee goes into the pool's unearned reserve and is
/// earned into capital evenly over [`VOLUME_EARNING_PERIOD`]; the protocol fee goes to
/// the treasury. Returns the fee charged (protocol fee included) as return data.
///
/// Same registration and activation rules as `cover_shortfall`, but refusing instead of
/// paying nothing: an inactive registration (`ExchangeInactive`), one not yet active
/// (`ExchangeNotYetActive`), premium contributions paused (`Paused`), a rate above
/// `max_rate_bps` (`VolumeRateAboveMaximum`), a zero volume (`ZeroAmount`).
#[derive(Accounts)]
pub struct ContributeVolume<'info> {
    pub exchange_authority: Signer<'info>,
    #[account(address = PROTOCOL_ADDRESS)]
    pub protocol: AccountLoader<'info, Protocol>,
    #[account(
        mut,
        has_one = mint @ InsuranceError::WrongMint,
        has_one = vault @ InsuranceError::WrongVault,
        has_one = token_program @ InsuranceError::WrongTokenProgram,
    )]
    pub pool: AccountLoader<'info, Pool>,
    #[account(
        mut,
        has_one = pool @ InsuranceError::WrongExchangeRegistration,
        has_one = exchange_authority @ InsuranceError::WrongExchangeAuthority,
    )]
    pub registration: AccountLoader<'info, ExchangeRegistration>,
    #[account(mut, has_one = pool @ InsuranceError::WrongExposure)]
    pub exposure: AccountLoader<'info, PoolExposure>,
    /// The exchange's token account the fee is paid from.
    #[account(
        mut,
        constraint = token_account(&source)?.mint == pool.load()?.mint @ InsuranceError::WrongMint,
        constraint = token_account(&source)?.owner == exchange_authority.key() @ InsuranceError::WrongTokenOwner,
    )]
    /// CHECK: a token account, read by `token_account` in the constraints (its mint and
    /// owner); the token program validates it again on the transfer.
    pub source: UncheckedAccount<'info>,
    #[account(mut)]
    /// CHECK: the pool's own escrow, bound by its `has_one`; the token program validates
    /// it on the transfer (no need to unpack it here).
    pub vault: UncheckedAccount<'info>,
    /// The treasury's token account for this mint; required while the protocol fee is
    /// not zero.
    #[account(mut)]
    /// CHECK: read by `check_treasury` (through `token_account`): the protocol treasury's
    /// account for the pool's mint.
    pub treasury_token: Option<UncheckedAccount<'info>>,
    /// CHECK: the pool's mint, bound by its `has_one`; `transfer_checked` checks it against
    /// both token accounts and the pool's stored decimals.
    pub mint: UncheckedAccount<'info>,
    pub token_program: Interface<'info, TokenInterface>,
}

impl ContributeVolume<'_> {
    pub fn validate(&self, volume: u64) -> Result<()> {
        let pool = self.pool.load()?;
        require!(
            !pool.is_paused(self.protocol.load()?.paused, pause::PREMIUM),
            InsuranceError::Paused
        );
        require!(volume > 0, InsuranceError::ZeroAmount);
        check_treasury(
            &*self.protocol.load()?,
            &pool.mint,
            self.treasury_token.as_deref(),
        )
    }
}

pub fn handle_contribute_volume(
    ctx: Context<ContributeVolume>,
    volume: u64,
    max_rate_bps: u64,
) -> Result<u64> {
    let now = Clock::get()?.unix_timestamp;
    let accounts = ctx.accounts;
    let pool_key = accounts.pool.key();
    let mut pool = accounts.pool.load_mut()?;
    let registration_key = accounts.registration.key();
    let mut registration = accounts.registration.load_mut()?;
    let clock = pool.refresh_at(&*accounts.protocol.load()?, now);
    registration.refresh(clock);
    require!(registration.is_active(), InsuranceError::ExchangeInactive);
    require!(
        registration.can_draw(clock),
        InsuranceError::ExchangeNotYetActive
    );

    let mut exposure = accounts.exposure.load_mut()?;
    pool.earn(&mut exposure.earnings, now)?;
    let quote = pool.volume_quote(volume, accounts.protocol.load()?.protocol_fee_bps, now)?;
    require!(
        quote.rate_bps <= max_rate_bps,
        InsuranceError::VolumeRateAboveMaximum
    );
    let to_pool = quote.fee.safe_sub(quote.protocol_fee)?;
    collect(
        &accounts.token_program.to_account_info(),
        &accounts.source.to_account_info(),
        &accounts.mint.to_account_info(),
        &accounts.vault.to_account_info(),
        accounts
            .treasury_token
            .as_ref()
            .map(|t| t.to_account_info()),
        &accounts.exchange_authority.to_account_info(),
        to_pool,
        quote.protocol_fee,
        pool.mint_decimals,
    )?;

    pool.unearned_premiums = pool.unearned_premiums.safe_add(to_pool)?;
    exposure
        .earnings
        .add(now, now.safe_add(VOLUME_EARNING_PERIOD)?, to_pool)?;
    pool.total_protocol_fees = pool.total_protocol_fees.safe_add(quote.protocol_fee)?;
    pool.total_volume = pool.total_volume.saturating_add(volume);
    pool.total_volume_fees = pool.total_volume_fees.safe_add(quote.fee)?;
    pool.volume_rate_bps = quote.rate_bps;
    registration.total_volume = registration.total_volume.saturating_add(volume);
    registration.total_volume_fees = registration.total_volume_fees.safe_add(quote.fee)?;

    emit!(VolumeContributed {
        pool: pool_key,
        registration: registration_key,
        volume,
        rate_bps: quote.rate_bps,
        fee: quote.fee,
        protocol_fee: quote.protocol_fee,
        loss_index: quote.loss_index,
        free_capital: quote.free_capital,
        pool_capital: pool.capital,
    });
    Ok(quote.fee)
}
