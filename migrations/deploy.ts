// Migrations are an early feature of Anchor: `anchor migrate` runs this script against
// the cluster in Anchor.toml's [provider] after `anchor deploy`.
//
// Initialise the protocol right after deploying: `initialize_protocol` is one-shot and
// permissionless, so whoever calls it first chooses the authority and guardian. Check
// the stored roles afterwards (see README, "Deploying").

import * as anchor from "@anchor-lang/core";

module.exports = async function (provider: anchor.AnchorProvider) {
  anchor.setProvider(provider);
  // Example (uncomment and set the keys):
  // const program = anchor.workspace.InsurancePool;
  // await program.methods
  //   .initializeProtocol(authorityPubkey, guardianPubkey)
  //   .rpc();
};
