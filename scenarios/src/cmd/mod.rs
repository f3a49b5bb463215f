//! One module per subcommand.

pub mod demo;
pub mod load;
pub mod run;
pub mod running;
pub mod up;
