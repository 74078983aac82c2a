//! Pure readers of FreeBSD command output. No I/O here, so every format has table tests.

pub mod ifconfig;
pub mod jls;
pub mod ngctl;
pub mod route;
pub mod sysctl;
