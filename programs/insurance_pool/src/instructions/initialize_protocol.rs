use crate::prelude::*;

/// Creates the protocol singleton, once. Only the program's upgrade authority may
/// (read from the program's ProgramData account), so nobody can front-run the
/// deployer's initialisation with their own authority.
#[derive(Accounts)]
pub struct InitializeProtocol<'info> {
    #[account(mut)]
    pub payer: Signer<'info>,
    pub upgrade_authority: Signer<'info>,
    /// The program's ProgramData (upgradeable loader), naming its upgrade authority.
    #[account(
        address = crate::pda::program_data() @ InsuranceError::NotUpgradeAuthority,
        constraint = program_data.upgrade_authority_address == Some(upgrade_authority.key())
            @ InsuranceError::NotUpgradeAuthority,
    )]
    pub program_data: Account<'info, ProgramData>,
    #[account(
        init,
        payer = payer,
        space = 8 + Protocol::INIT_SPACE,
        seeds = [PROTOCOL_SEED],
        bump,
    )]
    pub protocol: AccountLoader<'info, Protocol>,
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
    let mut protocol = ctx.accounts.protocol.load_init()?;
    *protocol = Protocol {
        authority,
        pending_authority: Pubkey::default(),
        guardian,
        treasury: Pubkey::default(),
        protocol_fee_bps: 0,
        paused: 0,
        pool_count: 0,
        bump: ctx.bumps.protocol,
        withdraw_pause: Default::default(),
        reserved: [0; 4],
    };
    emit!(ProtocolInitialized {
        authority,
        guardian
    });
    Ok(())
}
