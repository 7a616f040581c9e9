use crate::prelude::*;

/// Authority: replaces an exchange's destination and limits. A change that grants
/// nothing new (same destination, every cap at most the current one, an epoch at least
/// as long) on an active registration applies at once. Anything else (a higher cap, a
/// new destination, a shorter epoch, a reactivation) is stored as pending and applies
/// after the pool's activation delay, so underwriters can leave first; a later update
/// replaces a pending one. The current epoch keeps what it has paid and its length; a
/// new epoch length applies from the next epoch.
#[derive(Accounts)]
pub struct UpdateExchange<'info> {
    pub authority: Signer<'info>,
    #[account(address = PROTOCOL_ADDRESS, has_one = authority @ InsuranceError::Unauthorized)]
    pub protocol: AccountLoader<'info, Protocol>,
    #[account(mut)]
    pub registration: AccountLoader<'info, ExchangeRegistration>,
    #[account(address = registration.load()?.pool @ InsuranceError::WrongExchangeRegistration)]
    pub pool: AccountLoader<'info, Pool>,
    #[account(constraint = token_account(&destination)?.mint == pool.load()?.mint @ InsuranceError::WrongMint)]
    /// CHECK: a token account, read by `token_account` (its mint and owner); the token
    /// program validates it again on the transfer.
    pub destination: UncheckedAccount<'info>,
}

impl UpdateExchange<'_> {
    pub fn validate(&self, limits: &ExchangeLimits) -> Result<()> {
        crate::token::refuse_pool_escrow(
            &self.destination.key(),
            &token_account(&self.destination)?.owner,
        )?;
        limits.validate()
    }
}

pub fn handle_update_exchange(ctx: Context<UpdateExchange>, limits: ExchangeLimits) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let pool = ctx.accounts.pool.load()?;
    let delay = pool.activation_delay(now);
    let clock = pool.exit_clock(&*ctx.accounts.protocol.load()?, now);
    drop(pool);
    let destination = ctx.accounts.destination.key();
    let registration_key = ctx.accounts.registration.key();
    let mut registration = ctx.accounts.registration.load_mut()?;
    registration.refresh(clock);
    let previous = registration.limits;
    let immediate = registration.is_active()
        && destination == registration.destination
        && limits.is_decrease_of(&previous);
    let effective_at = if immediate {
        registration.limits = limits;
        registration.pending_at = 0;
        clock
    } else {
        let at = clock.safe_add(delay)?;
        registration.pending_limits = limits;
        registration.pending_destination = destination;
        registration.pending_at = at;
        at
    };
    emit!(ExchangeUpdated {
        pool: registration.pool,
        registration: registration_key,
        destination,
        previous,
        limits,
        effective_at,
    });
    Ok(())
}
