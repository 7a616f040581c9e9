use crate::prelude::*;

/// Creates the protocol singleton. Permissionless but one-shot (the PDA can be created
/// once): deployers run it right after deploying and check the stored authority.
#[derive(Accounts)]
pub struct InitializeProtocol<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    #[account(
        init,
        payer = payer,
        space = 8 + Protocol::INIT_SPACE,
        seeds = [PROTOCOL_SEED],
        bump,
    )]
    pub protocol: Box<Account<'info, Protocol>>,
    pub system_program: Program<'info, System>,
}

impl InitializeProtocol<'_> {
    pub fn validate(&self, authority: &Pubkey, guardian: &Pubkey) -> Result<()> {
        require_keys_neq!(
            *authority,
            Pubkey::default(),
            InsuranceError::InvalidAddress
        );
        require_keys_neq!(*guardian, Pubkey::default(), InsuranceError::InvalidAddress);
        Ok(())
    }
}

pub fn handle_initialize_protocol(
    ctx: Context<InitializeProtocol>,
    authority: Pubkey,
    guardian: Pubkey,
) -> Result<()> {
    let protocol = &mut ctx.accounts.protocol;
    protocol.set_inner(Protocol {
        authority,
        pending_authority: Pubkey::default(),
        guardian,
        treasury: Pubkey::default(),
        protocol_fee_bps: 0,
        paused: 0,
        pool_count: 0,
        bump: ctx.bumps.protocol,
    });
    emit!(ProtocolInitialized {
        authority,
        guardian
    });
    Ok(())
}
