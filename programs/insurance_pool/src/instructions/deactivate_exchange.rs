use crate::prelude::*;

/// Authority: stops an exchange from drawing on the pool at once, and drops any pending
/// change (`update_exchange` reactivates, after the activation delay).
#[derive(Accounts)]
pub struct DeactivateExchange<'info> {
    pub authority: Signer<'info>,
    #[account(address = PROTOCOL_ADDRESS, has_one = authority @ InsuranceError::Unauthorized)]
    pub protocol: Box<Account<'info, Protocol>>,
    #[account(mut)]
    pub registration: Box<Account<'info, ExchangeRegistration>>,
}

pub fn handle_deactivate_exchange(ctx: Context<DeactivateExchange>) -> Result<()> {
    let registration = &mut ctx.accounts.registration;
    registration.active = false;
    registration.pending_at = 0;
    emit!(ExchangeDeactivated {
        pool: registration.pool,
        registration: registration.key(),
    });
    Ok(())
}
