//! ansible (to be built).
