//! The rotation state machine (DESIGN.md §1): plan, start, finish, abort,
//! rotate; the manifest lock and value generation.

pub mod generate;
pub mod lock;
