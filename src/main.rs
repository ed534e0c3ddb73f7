//! The `tollgate` binary: parse arguments, run the command, exit with its code.

use std::process::ExitCode;

use clap::Parser;
use tollgate::cli::{Cli, Command};
use tollgate::commands::{self, outcome};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Run(args) => commands::run(args),
        Command::Check(args) => commands::check(args),
        Command::Selftest(args) => commands::selftest(args),
        Command::Load(args) => commands::load::load(args),
        Command::Merge(args) => commands::load::merge(args),
        Command::Mock(args) => commands::mock(args),
        Command::Keys(command) => commands::keys(command),
        Command::Schema => commands::schema(),
    };
    if let Err(error) = &result {
        // Nothing is left to tell if stderr is gone; the exit code still says it.
        let _ = error.print(&mut std::io::stderr().lock());
    }
    ExitCode::from(outcome::exit_code(&result))
}
