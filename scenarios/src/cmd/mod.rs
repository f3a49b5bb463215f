//! One module per subcommand.

pub mod demo;
pub mod load;
pub mod run;
pub mod up;
