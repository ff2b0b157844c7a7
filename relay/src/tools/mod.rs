//! Small pieces the benchmark and the end-to-end tests share.

pub mod child;
