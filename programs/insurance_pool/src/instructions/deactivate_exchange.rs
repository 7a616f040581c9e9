use crate::prelude::*;

/// Authority: stops an exchange from drawing on the pool at once, and drops any pending
/// change (`update_exchange` reactivates, after the activation delay).
#[derive(Accounts)]
pub struct DeactivateExchange<'info> {
    pub authority: Signer<'info>,
    #[account(address = PROTOCOL_ADDRESS, has_one = authority @ InsuranceError::Unauthorized)]
    pub protocol: AccountLoader<'info, Protocol>,
    #[account(mut)]
    pub registration: AccountLoader<'info, ExchangeRegistration>,
}

pub fn handle_deactivate_exchange(ctx: Context<DeactivateExchange>) -> Result<()> {
    let registration_key = ctx.accounts.registration.key();
    let mut registration = ctx.accounts.registration.load_mut()?;
    registration.active = 0;
    registration.pending_at = 0;
    emit!(ExchangeDeactivated {
        pool: registration.pool,
        registration: registration_key,
    });
    Ok(())
}
