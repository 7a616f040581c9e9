use crate::prelude::*;

/// Step two of an authority transfer: the proposed authority signs to take the role.
#[derive(Accounts)]
pub struct AcceptAuthority<'info> {
    pub new_authority: Signer<'info>,
    #[account(mut, address = PROTOCOL_ADDRESS)]
    pub protocol: AccountLoader<'info, Protocol>,
}

impl AcceptAuthority<'_> {
    pub fn validate(&self) -> Result<()> {
        let protocol = self.protocol.load()?;
        require_keys_neq!(
            protocol.pending_authority,
            Pubkey::default(),
            InsuranceError::NoPendingAuthority
        );
        require_keys_eq!(
            protocol.pending_authority,
            self.new_authority.key(),
            InsuranceError::NotPendingAuthority
        );
        Ok(())
    }
}

pub fn handle_accept_authority(ctx: Context<AcceptAuthority>) -> Result<()> {
    let mut protocol = ctx.accounts.protocol.load_mut()?;
    let previous = protocol.authority;
    protocol.authority = protocol.pending_authority;
    protocol.pending_authority = Pubkey::default();
    emit!(AuthorityTransferred {
        previous,
        new: protocol.authority,
    });
    Ok(())
}
