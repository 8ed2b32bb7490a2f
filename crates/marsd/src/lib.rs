//! marsd

pub mod atm_udp;
