//! stub
use super::Outcome;
use super::args::Args;
use crate::error::Result;
/// stub
pub fn run(_a: &Args) -> Result<Outcome> {
    Ok(Outcome::default())
}
