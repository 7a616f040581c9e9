use crate::math::{
    curve_rate, volume_target_rate, EarningBook, ExposureBook, PodShares, YoungShares,
};
use crate::prelude::*;
use crate::token::check_mint_extensions;

/// Creates one market's pool, its vault and its bond escrow (token account PDAs owned
/// by the pool).
/// Authority only. The mint may be SPL Token or Token-2022 (with the extensions in
/// [`crate::token::ALLOWED_MINT_EXTENSIONS`] only).
#[derive(Accounts)]
#[instruction(market: Pubkey)]
pub struct CreatePool<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    pub authority: Signer<'info>,
    #[account(
        mut,
        address = PROTOCOL_ADDRESS,
        has_one = authority @ InsuranceError::Unauthorized,
    )]
    pub protocol: AccountLoader<'info, Protocol>,
    #[account(
        init,
        payer = payer,
        space = 8 + Pool::INIT_SPACE,
        seeds = [POOL_SEED, market.as_ref()],
        bump,
    )]
    pub pool: AccountLoader<'info, Pool>,
    #[account(mint::token_program = token_program)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    #[account(
        init,
        payer = payer,
        seeds = [VAULT_SEED, pool.key().as_ref()],
        bump,
        token::mint = mint,
        token::authority = pool,
        token::token_program = token_program,
    )]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,
    /// Escrow of claim bonds (not capital), also owned by the pool.
    #[account(
        init,
        payer = payer,
        seeds = [BOND_VAULT_SEED, pool.key().as_ref()],
        bump,
        token::mint = mint,
        token::authority = pool,
        token::token_program = token_program,
    )]
    pub bond_vault: Box<InterfaceAccount<'info, TokenAccount>>,
    /// Outstanding coverage by expiry day (zero-copy).
    #[account(
        init,
        payer = payer,
        space = 8 + std::mem::size_of::<PoolExposure>(),
        seeds = [EXPOSURE_SEED, pool.key().as_ref()],
        bump,
    )]
    pub exposure: AccountLoader<'info, PoolExposure>,
    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

impl CreatePool<'_> {
    pub fn validate(&self, market: &Pubkey, params: &PoolParams) -> Result<()> {
        require_keys_neq!(*market, Pubkey::default(), InsuranceError::InvalidAddress);
        params.validate()?;
        check_mint_extensions(&self.mint.to_account_info())
    }
}

pub fn handle_create_pool(
    ctx: Context<CreatePool>,
    market: Pubkey,
    params: PoolParams,
) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let mut protocol = ctx.accounts.protocol.load_mut()?;
    let index = protocol.pool_count;
    protocol.pool_count = index.safe_add(1)?;
    drop(protocol);

    let mut exposure = ctx.accounts.exposure.load_init()?;
    exposure.pool = ctx.accounts.pool.key();
    exposure.book = ExposureBook::new(now);
    exposure.earnings = EarningBook::new(now);
    drop(exposure);

    let pool_key = ctx.accounts.pool.key();
    let mut pool = ctx.accounts.pool.load_init()?;
    *pool = Pool {
        market,
        mint: ctx.accounts.mint.key(),
        vault: ctx.accounts.vault.key(),
        token_program: ctx.accounts.token_program.key(),
        mint_decimals: ctx.accounts.mint.decimals,
        index,
        capital: 0,
        total_shares: PodShares::default(),
        pending_withdrawal_shares: PodShares::default(),
        leaving_shares: PodShares::default(),
        total_deposited: 0,
        total_withdrawn: 0,
        paused: 0,
        rate_bps: curve_rate(&params.curve, 0),
        rate_updated_at: now,
        total_premiums: 0,
        total_protocol_fees: 0,
        reserved_for_claims: 0,
        loss_stats: LossStats::default(),
        params,
        created_at: now,
        bump: ctx.bumps.pool,
        vault_bump: ctx.bumps.vault,
        bond_vault: ctx.accounts.bond_vault.key(),
        bonds_held: 0,
        claim_count: 0,
        total_claims_paid: 0,
        voting_claims: 0,
        unearned_premiums: 0,
        young_shares: YoungShares::default(),
        pending_params: params,
        pending_params_at: 0,
        mint_has_freeze_authority: ctx.accounts.mint.freeze_authority.is_some() as u8,
        withdraw_pause: Default::default(),
        voting_pause: Default::default(),
        pending_closes_until: 0,
        exit_clock_high: 0,
        holdup_until: 0,
        holdup_from: 0,
        holdup_secs: 0,
        cover_ends_at: 0,
        volume_rate_bps: volume_target_rate(&params.volume, 0, 0),
        volume_loss: 0,
        volume_loss_day: crate::math::day_of(now),
        total_volume: 0,
        total_volume_fees: 0,
        reserved: [0; 3],
    };
    emit!(PoolCreated {
        pool: pool_key,
        market,
        mint: pool.mint,
        vault: pool.vault,
        token_program: pool.token_program,
        params,
    });
    Ok(())
}
