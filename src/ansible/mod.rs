//! Ansible integration: config discovery ([`config`]) and the playbook runner ([`playbook`]).

pub mod config;
pub mod playbook;
