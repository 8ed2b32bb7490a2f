//! Support shared by the integration tests of `mars-proto`.
#![allow(dead_code)]

pub mod scenario;
