//! rotation (to be built).
