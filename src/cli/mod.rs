//! Command line (to be built).
pub fn main() -> i32 {
    0
}
