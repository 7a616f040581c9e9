use crate::prelude::*;

/// Replaces a pool's parameters (authority only; every field range-checked). Pending
/// withdrawals keep the unlock time fixed when they were requested.
#[derive(Accounts)]
pub struct UpdatePoolParams<'info> {
    pub authority: Signer<'info>,
    #[account(
        address = PROTOCOL_ADDRESS,
        has_one = authority @ InsuranceError::Unauthorized,
    )]
    pub protocol: Box<Account<'info, Protocol>>,
    #[account(mut)]
    pub pool: Box<Account<'info, Pool>>,
}

impl UpdatePoolParams<'_> {
    pub fn validate(&self, params: &PoolParams) -> Result<()> {
        params.validate()
    }
}

pub fn handle_update_pool_params(ctx: Context<UpdatePoolParams>, params: PoolParams) -> Result<()> {
    let pool = &mut ctx.accounts.pool;
    let previous = pool.params;
    pool.params = params;
    emit!(PoolParamsUpdated {
        pool: pool.key(),
        previous,
        params,
    });
    Ok(())
}
