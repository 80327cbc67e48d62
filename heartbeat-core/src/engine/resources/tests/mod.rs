//! Scenario tests: several [`super::Resources`] wired by hand in virtual time.

mod harness;

mod failures;
mod health;
mod legacy;
mod membership;
mod nice;
mod ownership;
mod random;
