//! Password sources (to be built).
