//! The `tollgate` binary: parse arguments, run the command, exit with its code.

use std::process::ExitCode;

use clap::Parser;
use tollgate::cli::{Cli, Command};
use tollgate::commands::{self, outcome};

fn main() -> ExitCode {
    // A panic's message may quote the data it choked on: a token, a password.
    // Say where it happened, never what it held.
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
            .unwrap_or_else(|| "an unknown place".into());
        eprintln!(
            "error: internal error at {place} (a tollgate bug; please report it with this location; \
             its message is withheld, as it may hold a secret)"
        );
    }));
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Run(args) => commands::run(args),
        Command::Check(args) => commands::check(args),
        Command::Selftest(args) => commands::selftest(args),
        Command::Load(args) => commands::load::load(args),
        Command::Merge(args) => commands::load::merge(args),
        Command::Mock(args) => commands::mock(args),
        Command::Idp(args) => commands::idp(args),
        Command::Keys(command) => commands::keys(command),
        Command::Verify(args) => commands::bundle::verify(args),
        Command::Schema(args) => commands::schema::schema(args),
        Command::Completions(args) => commands::completions(args),
    };
    if let Err(error) = &result {
        // Nothing is left to tell if stderr is gone; the exit code still says it.
        let _ = error.print(&mut std::io::stderr().lock());
    }
    ExitCode::from(outcome::exit_code(&result))
}
