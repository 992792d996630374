//! The `cxloop` binary: parses the command line and hands over to the
//! server and store crates. Subcommands: serve, demo, user, token, backup.

mod demo;
mod import;
mod text;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use cxloop_server::platform::auth;
use cxloop_server::{Application, Config};
use cxloop_store::{NewUser, Role, Store, StoreError};
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "cxloop", version, about = "Self-hosted customer-experience platform: listen, measure, act, learn.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the data lives; every data command takes these.
#[derive(Args, Clone)]
struct DataArgs {
    /// Folder for the embedded database (created if missing).
    #[arg(long, env = "CXLOOP_DATA_DIR", default_value = "./cxloop-data")]
    data_dir: PathBuf,
    /// Database URL (`sqlite:PATH`); overrides --data-dir.
    #[arg(long, env = "CXLOOP_DATABASE_URL")]
    database_url: Option<String>,
}

impl DataArgs {
    fn url(&self) -> String {
        match &self.database_url {
            Some(u) => u.clone(),
            None => format!("sqlite:{}", self.data_dir.join("cxloop.db").display()),
        }
    }

    async fn open(&self) -> Result<Arc<dyn Store>> {
        let url = self.url();
        cxloop_store::open(&url).await.with_context(|| format!("cannot open the database at {url}"))
    }
}

#[derive(Args, Clone)]
struct ServeArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Address to listen on.
    #[arg(long, env = "CXLOOP_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Public base URL for links (default: http://LISTEN).
    #[arg(long, env = "CXLOOP_PUBLIC_URL")]
    public_url: Option<String>,
    /// Mark cookies Secure (serve behind HTTPS).
    #[arg(long, env = "CXLOOP_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Seconds a background job stays leased to this process; after a crash,
    /// another process takes the job over once the lease runs out.
    #[arg(long, env = "CXLOOP_JOB_LEASE_SECS", default_value_t = 300)]
    job_lease_secs: u64,
    /// Outgoing mail for invitations: smtp://HOST:PORT (a local relay),
    /// smtp://USER:PASS@HOST:587?tls=required (STARTTLS) or smtps://USER:PASS@HOST.
    #[arg(long, env = "CXLOOP_SMTP_URL")]
    smtp_url: Option<String>,
    /// The sender of invitations.
    #[arg(long, env = "CXLOOP_MAIL_FROM", default_value = "cxloop <cxloop@localhost>")]
    mail_from: String,
    /// Nobody is invited again within this many days, across all surveys.
    #[arg(long, env = "CXLOOP_CONTACT_FREQUENCY_DAYS", default_value_t = 30)]
    contact_frequency_days: u32,
    /// Unauthenticated posts (survey answers, widget, webhooks) one client
    /// address may make per minute; raise it for kiosks or an office behind one NAT.
    #[arg(long, env = "CXLOOP_PUBLIC_RATE_LIMIT", default_value_t = 120)]
    public_rate_limit: u32,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server on a data folder (empty or existing).
    Serve(ServeArgs),
    /// Load a realistic demo organisation (once) and run the server on it.
    Demo {
        #[command(flatten)]
        serve: ServeArgs,
        /// Throw away an existing demo database first.
        #[arg(long)]
        reset: bool,
        /// Load the demo data and exit without serving.
        #[arg(long)]
        load_only: bool,
        /// Instead of the demo year, build a data set of this many responses
        /// over two years, with a directory of one customer per ten responses
        /// (for benchmarks and trying cxloop at scale).
        #[arg(long, value_name = "RESPONSES")]
        scale: Option<u64>,
    },
    /// Copy a whole installation to another database (e.g. SQLite to
    /// PostgreSQL), then verify every table by row count and checksum.
    MigrateData {
        /// Source database URL (sqlite:PATH or postgres://…).
        #[arg(long)]
        from: String,
        /// Target database URL; it must hold no data yet.
        #[arg(long)]
        to: String,
    },
    /// Staff accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// The background job queue.
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Import data from files.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Text analytics from the command line: sentiment, evaluation, training.
    #[command(subcommand)]
    Text(text::TextCommand),
    /// Write a consistent copy of the SQLite database (VACUUM INTO).
    Backup {
        #[command(flatten)]
        data: DataArgs,
        /// Destination file (must not exist).
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a staff account; the password is asked for, or read from stdin.
    Add {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
        /// admin, analyst, agent or viewer (README: Roles and permissions).
        #[arg(long, default_value = "agent", value_parser = ["admin", "analyst", "agent", "member", "viewer"])]
        role: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List staff accounts.
    List {
        #[command(flatten)]
        data: DataArgs,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Customers from a CSV file with a header row (external_id, name, email,
    /// and defined attributes by key or label). Every bad row is reported by
    /// line and column.
    Customers {
        #[command(flatten)]
        data: DataArgs,
        file: PathBuf,
        /// Import nothing if any row is bad (otherwise the good rows are imported).
        #[arg(long)]
        all_or_nothing: bool,
        /// Check the file and report, without importing.
        #[arg(long)]
        dry_run: bool,
        /// Map a column: HEADER=external_id|name|email|ATTRIBUTE|ignore (repeatable).
        #[arg(long = "map", value_name = "HEADER=TARGET")]
        maps: Vec<String>,
    },
    /// Feedback gathered elsewhere (reviews, interview or focus-group notes,
    /// social posts) from CSV or JSON into a survey, as responses marked by
    /// source. Columns: text (required), date, rating, customer, author,
    /// touchpoint, source_id. Every bad row is reported by line (or item).
    Feedback {
        #[command(flatten)]
        data: DataArgs,
        file: PathBuf,
        /// The survey (id or slug); it needs a free-text question.
        #[arg(long)]
        survey: String,
        /// Where it comes from: app-store, interview, focus-group, social …
        #[arg(long)]
        source: String,
        /// csv or json (default: from the file name).
        #[arg(long)]
        format: Option<String>,
        /// Import nothing if any row is bad (otherwise the good rows are imported).
        #[arg(long)]
        all_or_nothing: bool,
        /// Check the file and report, without importing.
        #[arg(long)]
        dry_run: bool,
        /// Map a column: HEADER=text|date|rating|customer|author|touchpoint|source_id|ignore (repeatable).
        #[arg(long = "map", value_name = "HEADER=TARGET")]
        maps: Vec<String>,
    },
}

#[derive(Subcommand)]
enum JobsCommand {
    /// Queue a diagnostic job that any running `serve` process will run;
    /// prints its id. Proves the queue works across processes.
    Probe {
        #[command(flatten)]
        data: DataArgs,
        /// Milliseconds the job works on every attempt.
        #[arg(long, default_value_t = 0)]
        sleep_ms: u64,
        /// Fail this many attempts before succeeding (shows retries and backoff).
        #[arg(long, default_value_t = 0)]
        fail_attempts: u32,
    },
    /// Show a job's state as JSON.
    Show {
        #[command(flatten)]
        data: DataArgs,
        id: uuid::Uuid,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token for a user; the token is the last line printed.
    Create {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long)]
        email: String,
        /// What the token is for (e.g. "helpdesk integration").
        #[arg(long)]
        name: String,
        /// What the token may do, as scopes separated by spaces or commas
        /// (read, export, responses, surveys, invitations, customers,
        /// segments, taxonomy, attributes, integrations, privacy, users;
        /// `all` for everything the account's role allows). Default: read.
        #[arg(long, default_value = "read")]
        scope: String,
    },
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn,tower_http=warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    if let Err(e) = rt.block_on(run(cli)) {
        // One readable line (with its causes), never a backtrace, for an operator.
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
    Ok(())
}

async fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let store = args.data.open().await?;
            if store.count_users().await? == 0 {
                eprintln!(
                    "No staff account yet. Create the first admin with:\n  cxloop user add --email you@example.com --role admin{}",
                    data_flag(&args.data)
                );
            }
            serve(store, &args).await
        }
        Command::MigrateData { from, to } => {
            if from == to {
                bail!("--from and --to name the same database");
            }
            let source =
                cxloop_store::transfer::Endpoint::open(&from).await.with_context(|| format!("cannot open {from}"))?;
            let target =
                cxloop_store::transfer::Endpoint::open(&to).await.with_context(|| format!("cannot open {to}"))?;
            let started = std::time::Instant::now();
            let report = cxloop_store::transfer::copy_all(&source, &target, |table, n| {
                eprint!("\rcopying {table}: {n} rows   ");
            })
            .await?;
            eprintln!();
            for c in &report {
                println!("{:<14} {:>10} rows  checksum {}  verified", c.table, c.rows, c.checksum);
            }
            let total: u64 = report.iter().map(|c| c.rows).sum();
            println!("copied and verified {total} rows in {:.1}s", started.elapsed().as_secs_f64());
            Ok(())
        }
        Command::Demo { serve: mut args, reset, load_only, scale } => {
            if args.data.database_url.is_none() && args.data.data_dir == std::path::Path::new("./cxloop-data") {
                args.data.data_dir = PathBuf::from("./cxloop-demo");
            }
            if reset && args.data.database_url.is_none() && args.data.data_dir.exists() {
                std::fs::remove_dir_all(&args.data.data_dir).context("cannot remove the old demo folder")?;
            }
            let store = args.data.open().await?;
            let login = match scale {
                Some(n) => demo::load_scale(store.as_ref(), n).await?,
                None => demo::load(store.as_ref()).await?,
            };
            if load_only {
                println!("demo data is in {}", args.data.url());
                return Ok(());
            }
            println!("cxloop demo: http://{}/login", args.listen);
            println!("  email:    {}", login.0);
            println!("  password: {}", login.1);
            serve(store, &args).await
        }
        Command::User(UserCommand::Add { data, email, name, role, password_stdin }) => {
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line).context("cannot read the password from stdin")?;
                line.trim_end_matches(['\r', '\n']).to_string()
            } else {
                let first = rpassword::prompt_password("Password: ")?;
                let again = rpassword::prompt_password("Repeat password: ")?;
                if first != again {
                    bail!("the passwords do not match");
                }
                first
            };
            let store = data.open().await?;
            let user = add_user(store.as_ref(), &email, name.as_deref(), &role, &password).await?;
            println!("added {} ({})", user.email, user.role.as_str());
            Ok(())
        }
        Command::User(UserCommand::List { data }) => {
            let store = data.open().await?;
            for u in store.list_users().await? {
                let state = if u.active { "" } else { "\tdeactivated" };
                println!("{}\t{}\t{}{state}", u.email, u.role.as_str(), u.name);
            }
            Ok(())
        }
        Command::Token(TokenCommand::Create { data, email, name, scope }) => {
            let store = data.open().await?;
            let user = match store.user_by_email(&email.trim().to_lowercase()).await {
                Ok(u) => u.user,
                Err(StoreError::NotFound) => {
                    bail!("no user with email {email}; add one with `cxloop user add`")
                }
                Err(e) => return Err(e.into()),
            };
            let name = name.trim();
            if name.is_empty() {
                bail!("--name must not be empty");
            }
            let allowed = user.role.permissions();
            let scopes = if scope.trim() == "all" {
                allowed
            } else {
                cxloop_store::Permissions::parse_scopes(&scope)
                    .map_err(|bad| anyhow::anyhow!("--scope: unknown scope {bad:?}"))?
            };
            if scopes.is_empty() {
                bail!("--scope must name at least one scope");
            }
            if !scopes.is_subset_of(allowed) {
                let extra: Vec<_> = scopes.iter().filter(|p| !allowed.contains(*p)).map(|p| p.scope()).collect();
                bail!("--scope: the {} role does not allow {}", user.role.as_str(), extra.join(", "));
            }
            let token = cxloop_server::platform::crypto::new_token();
            store.create_token(user.id, name, &cxloop_server::platform::crypto::sha256_hex(&token), scopes).await?;
            eprintln!("API token for {} ({name}, scopes: {}); it is shown once:", user.email, scopes.to_scopes());
            println!("{token}");
            Ok(())
        }
        Command::Text(cmd) => text::run(cmd),
        Command::Import(ImportCommand::Customers { data, file, all_or_nothing, dry_run, maps }) => {
            let explicit = import::parse_maps(&maps)?;
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let store = data.open().await?;
            let defs = store.attribute_defs().await?;
            let plan = cxloop_server::kernel::customer_import::plan(&bytes, &defs, &explicit)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let good = plan.customers.len();
            let checked =
                import::Checked { file: &file, mapping: &plan.mapping, errors: &plan.errors, rows: plan.rows, good };
            if !import::report(&checked, dry_run, all_or_nothing)? {
                return Ok(());
            }
            let refs: Vec<cxloop_store::CustomerRef> = plan.customers.into_iter().map(|(_, c)| c).collect();
            if all_or_nothing {
                store.upsert_customers(&refs).await?;
            } else {
                let mut progress = import::Progress::new(good);
                for chunk in refs.chunks(1000) {
                    store.upsert_customers(chunk).await?;
                    progress.advance(chunk.len());
                }
                progress.finish();
            }
            println!("imported {good} of {} rows; {} with problems", plan.rows, plan.errors.len());
            if plan.errors.is_empty() { Ok(()) } else { bail!("some rows were not imported") }
        }
        Command::Import(ImportCommand::Feedback {
            data,
            file,
            survey,
            source,
            format,
            all_or_nothing,
            dry_run,
            maps,
        }) => {
            let explicit = import::parse_maps(&maps)?;
            let format = match format.as_deref() {
                None => cxloop_server::features::feedback::service::Format::guess(&file.to_string_lossy()),
                Some("csv") => cxloop_server::features::feedback::service::Format::Csv,
                Some("json") => cxloop_server::features::feedback::service::Format::Json,
                Some(other) => bail!("--format {other:?}: use csv or json"),
            };
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let store = data.open().await?;
            let found = match survey.parse::<cxloop_core::ids::SurveyId>() {
                Ok(id) => store.get_survey(id).await,
                Err(_) => store.get_survey_by_slug(&survey).await,
            };
            let target = found.map_err(|_| anyhow::anyhow!("--survey {survey:?}: no survey has this id or slug"))?;
            let now = time::OffsetDateTime::now_utc();
            let mut plan =
                cxloop_server::features::feedback::service::plan(&bytes, format, &target, &source, &explicit, now)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            cxloop_server::features::feedback::service::skip_imported(store.as_ref(), &target, &mut plan).await?;
            if !plan.already_imported.is_empty() {
                eprintln!(
                    "{} rows were imported before (same source and id) and are left out",
                    plan.already_imported.len()
                );
            }
            let good = plan.items.len();
            let checked =
                import::Checked { file: &file, mapping: &plan.mapping, errors: &plan.errors, rows: plan.rows, good };
            if !import::report(&checked, dry_run, all_or_nothing)? {
                return Ok(());
            }
            let items: Vec<cxloop_store::NewResponse> = plan.items.into_iter().map(|(_, r)| r).collect();
            if all_or_nothing {
                // One transaction: all of it lands or none.
                store.insert_responses(&items).await?;
            } else {
                let mut progress = import::Progress::new(good);
                for chunk in items.chunks(2000) {
                    store.insert_responses(chunk).await?;
                    progress.advance(chunk.len());
                }
                progress.finish();
            }
            println!(
                "imported {good} of {} rows into {:?} as {source}; {} with problems",
                plan.rows,
                target.title,
                plan.errors.len()
            );
            if plan.errors.is_empty() { Ok(()) } else { bail!("some rows were not imported") }
        }
        Command::Jobs(JobsCommand::Probe { data, sleep_ms, fail_attempts }) => {
            let store = data.open().await?;
            let payload = cxloop_server::platform::jobs::ProbePayload { sleep_ms, fail_attempts, ..Default::default() };
            let id = cxloop_server::platform::jobs::enqueue::<cxloop_server::platform::jobs::Probe>(
                store.as_ref(),
                &payload,
                time::OffsetDateTime::now_utc(),
                fail_attempts.saturating_add(1).max(3),
            )
            .await?;
            println!("{id}");
            Ok(())
        }
        Command::Jobs(JobsCommand::Show { data, id }) => {
            let store = data.open().await?;
            match store.job(id.into()).await {
                Ok(job) => println!("{}", serde_json::to_string_pretty(&job)?),
                Err(StoreError::NotFound) => bail!("no job {id}"),
                Err(e) => return Err(e.into()),
            }
            Ok(())
        }
        Command::Backup { data, out } => {
            if out.exists() {
                bail!("{} already exists; choose a new file", out.display());
            }
            if data.database_url.as_deref().is_some_and(|u| !u.starts_with("sqlite:")) {
                bail!("backup works on SQLite; use pg_dump for PostgreSQL");
            }
            let path = data.url().trim_start_matches("sqlite://").trim_start_matches("sqlite:").to_string();
            let store = cxloop_store::sqlite::SqliteStore::open(std::path::Path::new(&path)).await?;
            store.backup(&out).await?;
            println!("wrote {}", out.display());
            Ok(())
        }
    }
}

fn data_flag(d: &DataArgs) -> String {
    if d.database_url.is_some() {
        " --database-url <the same URL>".to_string()
    } else if d.data_dir == std::path::Path::new("./cxloop-data") {
        String::new()
    } else {
        format!(" --data-dir {}", d.data_dir.display())
    }
}

/// Validates and stores a staff account.
pub async fn add_user(
    store: &dyn Store,
    email: &str,
    name: Option<&str>,
    role: &str,
    password: &str,
) -> Result<cxloop_store::User> {
    let email = email.trim().to_lowercase();
    if !email.contains('@') || email.len() > 320 || email.starts_with('@') || email.ends_with('@') {
        bail!("--email {email:?} is not an email address");
    }
    let role = Role::parse(role).context("--role must be admin, analyst, agent or viewer")?;
    auth::check_new_password(password).map_err(|e| anyhow::anyhow!("{}", e.public_message()))?;
    let hash = auth::hash_password(password).map_err(|e| anyhow::anyhow!("{e}"))?;
    let name =
        name.map(str::trim).filter(|n| !n.is_empty()).unwrap_or_else(|| email.split('@').next().unwrap_or("user"));
    match store
        .create_user(&NewUser { email: email.clone(), name: name.to_string(), role, password_hash: Some(hash) })
        .await
    {
        Ok(u) => Ok(u),
        Err(StoreError::Conflict { .. }) => bail!("a user with email {email} already exists"),
        Err(e) => Err(e.into()),
    }
}

async fn serve(store: Arc<dyn Store>, args: &ServeArgs) -> Result<()> {
    let store_backend = store.backend();
    let config = Config {
        public_url: args.public_url.clone(),
        secure_cookies: args.secure_cookies,
        job_lease: std::time::Duration::from_secs(args.job_lease_secs.clamp(5, 86_400)),
        smtp_url: args.smtp_url.clone().filter(|u| !u.trim().is_empty()),
        mail_from: args.mail_from.clone(),
        contact_frequency_days: args.contact_frequency_days.min(3650),
        public_rate_limit: args.public_rate_limit.max(1),
        ..Config::new(args.listen)
    };
    let app = Application::build(store, config).await.with_context(|| format!("cannot start on {}", args.listen))?;
    tracing::info!(addr = %app.addr(), worker = %app.worker(), backend = store_backend, "cxloop is listening");
    eprintln!("cxloop is running on http://{}  (Ctrl-C to stop)", app.addr());
    app.run_until(shutdown_signal()).await?;
    eprintln!("cxloop stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM, so that in-flight requests finish.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
