use crate::prelude::*;

/// Changes applied by `update_protocol`; `None` leaves a field as it is.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UpdateProtocolArgs {
    /// New guardian.
    pub guardian: Option<Pubkey>,
    /// Proposes a new authority, which must then call `accept_authority`.
    /// `Some(Pubkey::default())` withdraws a pending proposal.
    pub pending_authority: Option<Pubkey>,
    /// New owner of the fee-receiving token accounts.
    pub treasury: Option<Pubkey>,
    /// New protocol fee (bps of each premium, at most `MAX_PROTOCOL_FEE_BPS`).
    pub protocol_fee_bps: Option<u16>,
}

/// Authority-only changes to the protocol singleton (step one of an authority transfer).
#[derive(Accounts)]
pub struct UpdateProtocol<'info> {
    pub authority: Signer<'info>,
    #[account(
        mut,
        address = PROTOCOL_ADDRESS,
        has_one = authority @ InsuranceError::Unauthorized,
    )]
    pub protocol: AccountLoader<'info, Protocol>,
}

impl UpdateProtocol<'_> {
    pub fn validate(&self, args: &UpdateProtocolArgs) -> Result<()> {
        if let Some(guardian) = args.guardian {
            require_keys_neq!(guardian, Pubkey::default(), InsuranceError::InvalidAddress);
        }
        let protocol = self.protocol.load()?;
        let fee = args.protocol_fee_bps.unwrap_or(protocol.protocol_fee_bps);
        let treasury = args.treasury.unwrap_or(protocol.treasury);
        require!(
            fee <= MAX_PROTOCOL_FEE_BPS && (fee == 0 || treasury != Pubkey::default()),
            InsuranceError::InvalidProtocolFee
        );
        Ok(())
    }
}

pub fn handle_update_protocol(
    ctx: Context<UpdateProtocol>,
    args: UpdateProtocolArgs,
) -> Result<()> {
    let mut protocol = ctx.accounts.protocol.load_mut()?;
    if let Some(guardian) = args.guardian {
        protocol.guardian = guardian;
    }
    if let Some(pending) = args.pending_authority {
        protocol.pending_authority = pending;
    }
    if let Some(treasury) = args.treasury {
        protocol.treasury = treasury;
    }
    if let Some(fee) = args.protocol_fee_bps {
        protocol.protocol_fee_bps = fee;
    }
    emit!(ProtocolUpdated {
        guardian: protocol.guardian,
        pending_authority: protocol.pending_authority,
        treasury: protocol.treasury,
        protocol_fee_bps: protocol.protocol_fee_bps,
    });
    Ok(())
}
