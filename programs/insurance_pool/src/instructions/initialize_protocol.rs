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
        constraint = upgrade_authority_of(&program_data)? == Some(upgrade_authority.key())
            @ InsuranceError::NotUpgradeAuthority,
    )]
    /// CHECK: read by `upgrade_authority_of` (owner: upgradeable loader; a ProgramData).
    pub program_data: UncheckedAccount<'info>,
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

/// The upgrade authority a ProgramData account names (`None`: the program is
/// immutable), read from its bincode layout (`u32` variant 3, `u64` slot,
/// `Option<Pubkey>`) without the bincode/serde machinery `Account<ProgramData>` links
/// (~50 KB of binary). Anything not owned by the upgradeable loader or not a
/// ProgramData state is `NotUpgradeAuthority`.
pub fn upgrade_authority_of(info: &AccountInfo) -> Result<Option<Pubkey>> {
    const PROGRAM_DATA_VARIANT: u32 = 3;
    const OPTION_AT: usize = 4 + 8;
    require_keys_eq!(
        *info.owner,
        anchor_lang::solana_program::bpf_loader_upgradeable::ID,
        InsuranceError::NotUpgradeAuthority
    );
    let data = info.try_borrow_data()?;
    let header = data
        .get(..OPTION_AT + 1 + 32)
        .ok_or(InsuranceError::NotUpgradeAuthority)?;
    let variant = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
    require!(
        variant == PROGRAM_DATA_VARIANT,
        InsuranceError::NotUpgradeAuthority
    );
    match header[OPTION_AT] {
        0 => Ok(None),
        1 => {
            let mut key = [0u8; 32];
            key.copy_from_slice(&header[OPTION_AT + 1..]);
            Ok(Some(Pubkey::new_from_array(key)))
        }
        _ => err!(InsuranceError::NotUpgradeAuthority),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::solana_program::bpf_loader_upgradeable::ID as LOADER;

    fn read(owner: &Pubkey, mut data: Vec<u8>) -> Result<Option<Pubkey>> {
        let key = Pubkey::new_unique();
        let mut lamports = 1;
        let info = AccountInfo::new(&key, false, false, &mut lamports, &mut data, owner, false);
        upgrade_authority_of(&info)
    }

    fn program_data(variant: u32, authority: Option<Pubkey>) -> Vec<u8> {
        let mut data = variant.to_le_bytes().to_vec();
        data.extend(42u64.to_le_bytes());
        match authority {
            Some(key) => {
                data.push(1);
                data.extend(key.to_bytes());
            }
            None => data.extend([0u8; 33]),
        }
        data.extend([0xAA; 100]); // the ELF
        data
    }

    #[test]
    fn reads_the_authority_of_program_data_only() {
        let authority = Pubkey::new_unique();
        assert_eq!(
            read(&LOADER, program_data(3, Some(authority))).unwrap(),
            Some(authority)
        );
        assert_eq!(read(&LOADER, program_data(3, None)).unwrap(), None);
        let refusals = [
            read(&LOADER, program_data(2, Some(authority))),
            read(&Pubkey::new_unique(), program_data(3, Some(authority))),
            read(&LOADER, program_data(3, Some(authority))[..44].to_vec()),
            read(&LOADER, {
                let mut d = program_data(3, Some(authority));
                d[12] = 2;
                d
            }),
        ];
        for refusal in refusals {
            match refusal {
                Err(Error::AnchorError(e)) => assert_eq!(
                    e.error_code_number,
                    u32::from(InsuranceError::NotUpgradeAuthority)
                ),
                other => panic!("expected NotUpgradeAuthority, got {other:?}"),
            }
        }
    }
}
