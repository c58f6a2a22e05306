//! The vault password itself as something vaultrot manages: where a
//! vault-id's age-encrypted password file is, and opening it for Ansible's
//! client-script protocol (`vaultrot password-client`).

pub mod client;
pub mod recipients;
