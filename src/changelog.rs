//! CHANGELOG.md entries (to be built).
