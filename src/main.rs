//! The `relink` command: serve (default), token, schema, migrate.

use std::process::ExitCode;

// glibc's allocator spends a third of a dashboard request in malloc under load (measured with
// relink-bench and perf); mimalloc does not.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use relink::{
    auth::TokenKeys,
    clock::{Clock as _, SystemClock},
    config::{Config, parse_duration},
    db, graphql, people,
    server::{self, Server},
    telemetry,
};

/// Relink keeps the social accounts of a social-media dashboard connected.
#[derive(Parser, Debug)]
#[command(name = "relink", version, about)]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Migrate, then serve GraphQL, GraphiQL and the OAuth routes (the default).
    Serve,
    /// Print a dashboard JWT for a user of the database.
    Token {
        /// The user's email.
        email: String,
        /// How long the token is valid (e.g. 30m, 12h, 7d).
        #[arg(long, default_value = "12h", value_parser = parse_duration)]
        ttl: std::time::Duration,
    },
    /// Print the GraphQL schema (SDL), the same text as schema.graphql.
    Schema,
    /// Apply pending migrations and exit.
    Migrate,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Schema) = cli.command {
        print!("{}", graphql::sdl());
        return ExitCode::SUCCESS;
    }
    telemetry::init(cli.config.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Server::build(config).await?;
            tracing::info!(
                port = app.port(),
                metrics_port = app.metrics_port(),
                "serving GraphQL at /graphql and GraphiQL at /"
            );
            app.run_until_stopped(server::shutdown_signal()).await
        }
        Command::Migrate => {
            let (db, _) = db::connect(&config).await?;
            db::migrate(&db).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Token { email, ttl } => {
            let keys = TokenKeys::from_config(&config)?;
            let (db, _) = db::connect(&config).await?;
            db::migrate(&db).await?;
            let user = people::repo::user_by_email(&db, &email)
                .await?
                .with_context(|| format!("no user with email {email} in this database"))?;
            let ttl = chrono::Duration::from_std(ttl).context("--ttl is too long")?;
            println!(
                "{}",
                keys.issue(&user.external_subject, SystemClock.now(), ttl)?
            );
            Ok(())
        }
        Command::Schema => Ok(()),
    }
}
