//! The vault password as something vaultrot manages: where passwords come
//! from ([`sources`]: files, scripts, prompts, age files, in Ansible's order),
//! a vault-id's age-encrypted password file and its recipients, and Ansible's
//! client-script protocol (`vaultrot password-client`), and rotating the
//! password itself ([`rotate`]).

pub mod client;
pub mod recipients;
pub mod rotate;
pub mod sources;
