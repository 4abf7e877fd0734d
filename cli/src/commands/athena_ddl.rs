//! `alarmlake athena-ddl`: `CREATE EXTERNAL TABLE` statements for Athena over an S3 lake.

use std::process::ExitCode;

use alarmlake_query::athena::create_tables;
use anyhow::{Result, bail};
use clap::Args;

#[derive(Args, Debug)]
pub struct AthenaDdlArgs {
    /// The lake on S3: s3://bucket/prefix.
    #[arg(long, env = "ALARMLAKE_LAKE")]
    lake: String,
    /// The Athena (Glue) database the tables go in.
    #[arg(long, default_value = "alarmlake")]
    database: String,
}

pub fn run(args: AthenaDdlArgs) -> Result<ExitCode> {
    if !args.lake.starts_with("s3://") {
        bail!(
            "Athena reads lakes on S3: --lake must be s3://bucket/prefix, got {:?}",
            args.lake
        );
    }
    println!("{}", create_tables(&args.lake, &args.database));
    Ok(ExitCode::SUCCESS)
}
