//! manifest (to be built).
