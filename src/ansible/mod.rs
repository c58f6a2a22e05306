//! Ansible integration: config discovery and the playbook runner ([`playbook`]).

pub mod playbook;
