use crate::prelude::*;

/// Sets one pool's pause bits. The authority may set or clear any bit; the guardian may
/// only add bits.
#[derive(Accounts)]
pub struct SetPoolPause<'info> {
    pub signer: Signer<'info>,
    #[account(address = PROTOCOL_ADDRESS)]
    pub protocol: AccountLoader<'info, Protocol>,
    #[account(mut)]
    pub pool: AccountLoader<'info, Pool>,
}

impl SetPoolPause<'_> {
    pub fn validate(&self, flags: u8) -> Result<()> {
        self.protocol.load()?.check_pause_change(
            &self.signer.key(),
            self.pool.load()?.paused,
            flags,
        )
    }
}

pub fn handle_set_pool_pause(ctx: Context<SetPoolPause>, flags: u8) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let pool_key = ctx.accounts.pool.key();
    let mut pool = ctx.accounts.pool.load_mut()?;
    // Before a pause can overlap another stop of the exit clock (see `Pool::exit_clock`).
    pool.mark_exit_clock(&*ctx.accounts.protocol.load()?, now);
    let previous = pool.paused;
    pool.paused = flags;
    pool.withdraw_pause.update(
        previous & pause::WITHDRAW != 0,
        flags & pause::WITHDRAW != 0,
        now,
    );
    emit!(PauseFlagsSet {
        pool: Some(pool_key),
        previous,
        flags,
        signer: ctx.accounts.signer.key(),
    });
    Ok(())
}
