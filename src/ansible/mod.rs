//! Ansible integration: config discovery ([`config`]), the playbook runner
//! ([`playbook`]) and the scrubbing of secret values from what children print ([`redact`]).

pub mod config;
pub mod playbook;
pub mod redact;
