use crate::prelude::*;

/// Schedules new parameters for a pool (authority only; every field range-checked).
/// They are stored as pending and replace the current ones after the pool's activation
/// delay (the longer exit horizon of the current and the new parameters), so every
/// underwriter can leave before a change it dislikes; until then the current
/// parameters apply. A later update replaces a pending one (and restarts the delay).
/// The minimum stake age is fixed at creation. Pause flags are separate and immediate.
/// Pending withdrawals keep the unlock time fixed when they were requested.
#[derive(Accounts)]
pub struct UpdatePoolParams<'info> {
    pub authority: Signer<'info>,
    #[account(
        address = PROTOCOL_ADDRESS,
        has_one = authority @ InsuranceError::Unauthorized,
    )]
    pub protocol: AccountLoader<'info, Protocol>,
    #[account(mut)]
    pub pool: AccountLoader<'info, Pool>,
}

impl UpdatePoolParams<'_> {
    pub fn validate(&self, params: &PoolParams) -> Result<()> {
        params.validate()?;
        require!(
            params.governance.min_stake_age == self.pool.load()?.params.governance.min_stake_age,
            InsuranceError::StakeAgeImmutable
        );
        Ok(())
    }
}

pub fn handle_update_pool_params(ctx: Context<UpdatePoolParams>, params: PoolParams) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let a = ctx.accounts;
    let pool_key = a.pool.key();
    let mut pool = a.pool.load_mut()?;
    let clock = pool.refresh_at(&*a.protocol.load()?, now);
    let previous = pool.params;
    // The longer horizon of the two parameter sets, and past the cover in force.
    let delay = pool
        .params
        .exit_horizon()
        .max(params.exit_horizon())
        .max(pool.past_cover_delay(now));
    let effective_at = clock.safe_add(delay)?;
    pool.pending_params = params;
    pool.pending_params_at = effective_at;
    emit!(PoolParamsUpdated {
        pool: pool_key,
        previous,
        params,
        effective_at,
    });
    Ok(())
}
