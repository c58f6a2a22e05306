//! Ansible integration: config discovery ([`config`]) and the playbook runner.

pub mod config;
