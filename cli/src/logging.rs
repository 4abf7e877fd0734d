//! Logging through `tracing`, to stderr, filtered by `RUST_LOG` (default: alarmlake's own `info`,
//! only warnings from the Delta crates, whose `info` describes every snapshot they build, and only
//! errors from the AWS credential chain).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// The Delta crates, quiet below warnings unless `RUST_LOG` names them: their `info` describes
/// every snapshot they build, which would bury alarmlake's own lines (`RUST_LOG=info`).
const DELTA_CRATES: [&str; 3] = ["deltalake_core", "buoyant_kernel", "delta_kernel"];

/// The AWS configuration loader logs each profile it reads (`info`) and each link of the chain
/// that found nothing (`warn`, even when a later link succeeds). alarmlake reports a chain that
/// fails as one error of its own (`alarmlake_aws::AwsError`), so these stay quiet unless
/// `RUST_LOG` names the crate.
const AWS_CONFIG: &str = "aws_config";

pub fn init(json: bool) {
    let asked = std::env::var("RUST_LOG").unwrap_or_default();
    let mut filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let quiet = DELTA_CRATES
        .iter()
        .map(|name| (*name, "warn"))
        .chain([(AWS_CONFIG, "error")]);
    for (name, level) in quiet {
        if !asked.contains(name)
            && let Ok(directive) = format!("{name}={level}").parse()
        {
            filter = filter.add_directive(directive);
        }
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, not in files or journald.
        .with_ansi(std::io::stderr().is_terminal());
    // A second initialisation (in tests) is harmless, so its error is ignored.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
