use crate::prelude::*;

/// Sets the protocol-wide pause bits (every pool). The authority may set or clear any
/// bit; the guardian may only add bits.
#[derive(Accounts)]
pub struct SetProtocolPause<'info> {
    pub signer: Signer<'info>,
    #[account(mut, address = PROTOCOL_ADDRESS)]
    pub protocol: AccountLoader<'info, Protocol>,
}

impl SetProtocolPause<'_> {
    pub fn validate(&self, flags: u8) -> Result<()> {
        let protocol = self.protocol.load()?;
        protocol.check_pause_change(&self.signer.key(), protocol.paused, flags)
    }
}

pub fn handle_set_protocol_pause(ctx: Context<SetProtocolPause>, flags: u8) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let mut protocol = ctx.accounts.protocol.load_mut()?;
    let previous = protocol.paused;
    protocol.paused = flags;
    protocol.withdraw_pause.update(
        previous & pause::WITHDRAW != 0,
        flags & pause::WITHDRAW != 0,
        now,
    );
    emit!(PauseFlagsSet {
        pool: None,
        previous,
        flags,
        signer: ctx.accounts.signer.key(),
    });
    Ok(())
}
