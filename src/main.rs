//! The `hwtrace` command: serve, administer accounts, load catalogue versions.

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};

use hwtrace::accounts::{self, NewUser};
use hwtrace::config::{Config, DEFAULT_DB, DEFAULT_LISTEN, DEFAULT_ORIGIN, DEFAULT_PUBLIC_URL};
use hwtrace::store::Db;
use hwtrace::{demo, reference, server};

#[derive(Parser)]
#[command(
    name = "hwtrace",
    version,
    about = "Hazardous-waste chain of custody / 危险废物全过程追溯"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service (web app and API).
    Serve {
        #[arg(long, default_value = DEFAULT_DB, env = "HWTRACE_DB")]
        db: PathBuf,
        #[arg(long, default_value = DEFAULT_LISTEN, env = "HWTRACE_LISTEN")]
        listen: SocketAddr,
        /// Base URL printed in QR labels.
        #[arg(long, default_value = DEFAULT_PUBLIC_URL, env = "HWTRACE_PUBLIC_URL")]
        public_url: String,
        /// Log origin, which names the log key.
        #[arg(long, default_value = DEFAULT_ORIGIN, env = "HWTRACE_ORIGIN")]
        origin: String,
        /// Add the demo accounts and synthetic enterprises (idempotent), and print how to log in.
        #[arg(long)]
        demo: bool,
    },
    /// Manage accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Manage versions of the national hazardous-waste list.
    Catalogue {
        #[command(subcommand)]
        command: CatalogueCommand,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an account; the password is read from standard input (first line).
    CreateUser {
        #[arg(long, default_value = DEFAULT_DB, env = "HWTRACE_DB")]
        db: PathBuf,
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: Option<String>,
        /// admin, regulator, enterprise_admin or enterprise_clerk
        #[arg(long, default_value = "admin")]
        role: String,
        /// The user's enterprise (enterprise roles).
        #[arg(long)]
        enterprise: Option<String>,
        /// The regulator's district.
        #[arg(long)]
        district: Option<String>,
    },
    /// List accounts.
    ListUsers {
        #[arg(long, default_value = DEFAULT_DB, env = "HWTRACE_DB")]
        db: PathBuf,
    },
}

#[derive(Subcommand)]
enum CatalogueCommand {
    /// Load a catalogue CSV (columns category,category_name,industry,code,description,hazard) as a new version.
    Load {
        csv: PathBuf,
        #[arg(long)]
        version: String,
        #[arg(long, default_value = DEFAULT_DB, env = "HWTRACE_DB")]
        db: PathBuf,
        /// Load without making it the version new inputs are checked against.
        #[arg(long)]
        no_activate: bool,
    },
    /// Make a loaded version the active one.
    Activate {
        version: String,
        #[arg(long, default_value = DEFAULT_DB, env = "HWTRACE_DB")]
        db: PathBuf,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,tower_http=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Serve {
            db,
            listen,
            public_url,
            origin,
            demo,
        } => {
            let config = Config {
                listen,
                public_base_url: public_url,
                origin,
                ..Config::with_db(db)
            };
            serve(config, demo).await
        }
        Command::Admin { command } => admin(command).await,
        Command::Catalogue { command } => catalogue(command).await,
    }
}

async fn serve(config: Config, with_demo: bool) -> anyhow::Result<()> {
    let (listener, state) = server::bind(config).await?;
    if with_demo {
        demo::load(&state.db).await.context("loading demo data")?;
        println!("{}", demo::LOGIN_HINT);
    }
    let addr = server::local_addr(&listener)?;
    println!(
        "hwtrace listening on http://{addr}/  (数据库 {})",
        state.db.path.display()
    );
    server::serve(listener, state, server::shutdown_signal()).await
}

async fn open_db(db: PathBuf) -> anyhow::Result<Db> {
    let state = server::open(Config::with_db(db)).await?;
    Ok(state.db)
}

async fn admin(command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::CreateUser {
            db,
            username,
            display_name,
            role,
            enterprise,
            district,
        } => {
            let db = open_db(db).await?;
            let mut password = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']).to_owned();
            let new = NewUser {
                display_name: display_name.unwrap_or_else(|| username.clone()),
                username,
                password,
                role,
                enterprise,
                district,
            };
            match accounts::create_user(&db, new).await {
                Ok(u) => println!("created user {} (id {}, role {})", u.username, u.id, u.role),
                Err(e) => bail!("{e}"),
            }
        }
        AdminCommand::ListUsers { db } => {
            let db = open_db(db).await?;
            for u in db.read(accounts::list_users).await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    u.id,
                    u.username,
                    u.role,
                    u.enterprise.or(u.district).unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}

async fn catalogue(command: CatalogueCommand) -> anyhow::Result<()> {
    match command {
        CatalogueCommand::Load {
            csv,
            version,
            db,
            no_activate,
        } => {
            let data = std::fs::read(&csv).with_context(|| format!("reading {}", csv.display()))?;
            let rows = reference::parse_catalogue_csv(&data).map_err(|r| anyhow::anyhow!("{r}"))?;
            let n = rows.len();
            let db = open_db(db).await?;
            let source = format!("loaded from {}", csv.display());
            let v = version.clone();
            db.write(move |conn| {
                reference::insert_catalogue(conn, &v, &source, &rows)?;
                if !no_activate {
                    reference::activate(conn, &v)?;
                }
                Ok(())
            })
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            let state = if no_activate { "loaded" } else { "loaded and active" };
            println!("catalogue {version}: {n} codes {state}; a running server picks it up at its next start");
        }
        CatalogueCommand::Activate { version, db } => {
            let db = open_db(db).await?;
            let v = version.clone();
            db.write(move |conn| reference::activate(conn, &v))
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("catalogue {version} is now active");
        }
    }
    Ok(())
}
