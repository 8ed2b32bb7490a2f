//! marsd
