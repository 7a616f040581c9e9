use crate::prelude::*;

/// Authority: replaces an exchange's destination and limits (and reactivates it). The
/// current epoch keeps what it has paid; a new epoch length applies from the next epoch.
#[derive(Accounts)]
pub struct UpdateExchange<'info> {
    pub authority: Signer<'info>,
    #[account(address = PROTOCOL_ADDRESS, has_one = authority @ InsuranceError::Unauthorized)]
    pub protocol: Box<Account<'info, Protocol>>,
    #[account(mut)]
    pub registration: Box<Account<'info, ExchangeRegistration>>,
    #[account(address = registration.pool @ InsuranceError::WrongExchangeRegistration)]
    pub pool: Box<Account<'info, Pool>>,
    #[account(constraint = destination.mint == pool.mint @ InsuranceError::WrongMint)]
    pub destination: Box<InterfaceAccount<'info, TokenAccount>>,
}

impl UpdateExchange<'_> {
    pub fn validate(&self, limits: &ExchangeLimits) -> Result<()> {
        limits.validate()
    }
}

pub fn handle_update_exchange(ctx: Context<UpdateExchange>, limits: ExchangeLimits) -> Result<()> {
    let registration = &mut ctx.accounts.registration;
    let previous = registration.limits;
    registration.limits = limits;
    registration.destination = ctx.accounts.destination.key();
    registration.active = true;
    emit!(ExchangeUpdated {
        pool: registration.pool,
        registration: registration.key(),
        destination: registration.destination,
        previous,
        limits,
    });
    Ok(())
}
