//! The operations both front ends offer, each written once: what supervisorctl and
//! the Python peer do, without their bugs (idempotent start/stop, restart from any
//! state, lines that are lines, updates that apply).

pub mod control;
pub mod diagnose;
pub(crate) mod exits;
pub mod info;
pub(crate) mod lines;
pub mod logs;
pub(crate) mod look;
pub(crate) mod names;
pub(crate) mod poll;
pub mod programs;
pub mod ready;
pub mod result;
pub mod status;
pub mod update;
pub mod wait;
