//! vaultrot: rotate the secrets of an Ansible deployment.
//!
//! The library holds every concern; `main.rs` only calls [`cli::main`].
//! Module map (docs/architecture.md):
//! - [`vault`]: the ansible-vault envelope and its crypto (pure, over bytes).
//! - [`passwords`]: where vault passwords come from, age files, recipients.
//! - [`yaml`]: lossless, span-based editing of hand-written YAML.
//! - [`manifest`]: `_secrets_manifest.yml`, policies, durations and ages.
//! - [`rotation`]: the rotation state machine, lock and intent log.
//! - [`ansible`]: ansible.cfg discovery and the playbook runner.
//! - [`scan`]: the leak guard (every vaulted value, wherever it leaked).
//! - [`changelog`], [`fsutil`], [`cli`].

pub mod ansible;
pub mod changelog;
pub mod cli;
pub mod exit_codes;
pub mod fsutil;
pub mod manifest;
pub mod passwords;
pub mod report;
pub mod rotation;
pub mod scan;
pub mod vault;
pub mod vaultfile;
pub mod yaml;
