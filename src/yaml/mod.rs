//! yaml (to be built).
