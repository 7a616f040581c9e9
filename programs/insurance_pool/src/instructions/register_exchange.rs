use crate::prelude::*;

/// Authority: allows `exchange_authority` (a PDA of the exchange program, never a
/// wallet key) to draw on this pool by `cover_shortfall`, paying only into
/// `destination`, within `limits`, from `active_from` on: the pool's exit horizon
/// (deposit lock + cooldown + a margin) after registration, so every underwriter can
/// leave before a new draw right applies.
#[derive(Accounts)]
#[instruction(exchange_authority: Pubkey)]
pub struct RegisterExchange<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    pub authority: Signer<'info>,
    #[account(address = PROTOCOL_ADDRESS, has_one = authority @ InsuranceError::Unauthorized)]
    pub protocol: AccountLoader<'info, Protocol>,
    pub pool: AccountLoader<'info, Pool>,
    #[account(
        init,
        payer = payer,
        space = 8 + ExchangeRegistration::INIT_SPACE,
        seeds = [EXCHANGE_SEED, pool.key().as_ref(), exchange_authority.as_ref()],
        bump,
    )]
    pub registration: AccountLoader<'info, ExchangeRegistration>,
    /// The token account payouts go to; must hold the pool's mint.
    #[account(constraint = token_account(&destination)?.mint == pool.load()?.mint @ InsuranceError::WrongMint)]
    /// CHECK: a token account, read by `token_account` (its mint and owner); the token
    /// program validates it again on the transfer.
    pub destination: UncheckedAccount<'info>,
    pub system_program: Program<'info, System>,
}

impl RegisterExchange<'_> {
    pub fn validate(&self, exchange_authority: &Pubkey, limits: &ExchangeLimits) -> Result<()> {
        require_keys_neq!(
            *exchange_authority,
            Pubkey::default(),
            InsuranceError::InvalidAddress
        );
        require!(
            !exchange_authority.is_on_curve(),
            InsuranceError::ExchangeAuthorityNotPda
        );
        crate::token::refuse_pool_escrow(
            &self.destination.key(),
            &token_account(&self.destination)?.owner,
        )?;
        limits.validate()
    }
}

pub fn handle_register_exchange(
    ctx: Context<RegisterExchange>,
    exchange_authority: Pubkey,
    limits: ExchangeLimits,
) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let pool = ctx.accounts.pool.load()?;
    let clock = pool.exit_clock(&*ctx.accounts.protocol.load()?, now);
    let active_from = clock.safe_add(pool.activation_delay(now))?;
    drop(pool);
    let registration_key = ctx.accounts.registration.key();
    let mut registration = ctx.accounts.registration.load_init()?;
    *registration = ExchangeRegistration {
        pool: ctx.accounts.pool.key(),
        exchange_authority,
        destination: ctx.accounts.destination.key(),
        limits,
        epoch_start: now,
        epoch_paid: 0,
        next_nonce: 0,
        total_reported: 0,
        total_covered: 0,
        active: 1,
        bump: ctx.bumps.registration,
        active_from,
        pending_limits: limits,
        pending_destination: ctx.accounts.destination.key(),
        pending_at: 0,
        epoch_length: limits.epoch_length,
        total_volume: 0,
        total_volume_fees: 0,
        reserved: [0; 6],
    };
    emit!(ExchangeRegistered {
        pool: registration.pool,
        registration: registration_key,
        exchange_authority,
        destination: registration.destination,
        limits,
        active_from,
    });
    Ok(())
}
