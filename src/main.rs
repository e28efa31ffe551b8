//! `omegachatd`: loads the configuration, then serves until SIGINT/SIGTERM.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use omegachatd::{Application, telemetry};

/// The OmegaChat daemon: REST API, real-time endpoint and web app on one listener.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// Configuration file (default: $OMEGACHAT_CONFIG, ./omegachat.toml, /etc/omegachat/omegachat.toml).
    #[arg(short, long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Validate the configuration and exit: 0 when valid, 2 when not.
    #[arg(long)]
    check_config: bool,
}

/// Exit status for a configuration the daemon refuses.
const EXIT_BAD_CONFIG: u8 = 2;

fn main() -> ExitCode {
    return_large_allocations_to_the_system();
    let args = Args::parse();
    let env = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
    let loaded = match omegachat_contract::load(args.config.as_deref(), env) {
        Ok(loaded) => loaded,
        Err(e) => {
            eprintln!("omegachatd: invalid configuration: {e}");
            return ExitCode::from(EXIT_BAD_CONFIG);
        }
    };
    let source = loaded
        .path
        .as_ref()
        .map_or("built-in defaults".to_owned(), |p| p.display().to_string());
    if args.check_config {
        println!("configuration OK ({source})");
        return ExitCode::SUCCESS;
    }
    telemetry::init(&loaded.config.log);
    tracing::info!(version = env!("CARGO_PKG_VERSION"), config = %source, "omegachatd starting");
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            tracing::error!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let app = Application::build(loaded.config).await?;
        app.run_until(shutdown_signal()).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// Makes glibc serve every allocation of 1 MiB or more with its own mapping, unmapped on free.
///
/// Each password hash allocates 19 MiB. By default glibc raises its mmap threshold after the first
/// such free, so later 19 MiB blocks come from per-thread arenas and stay resident: a burst of
/// logins left ~300 MiB behind on a 2-core box (measured, see BENCHMARKS.md). A fixed threshold
/// keeps the daemon's memory proportional to the work in flight.
fn return_large_allocations_to_the_system() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
    }
}

/// Completes on the first SIGINT or SIGTERM.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(term) => term,
        Err(e) => {
            tracing::error!("cannot listen for SIGTERM ({e}); stop the daemon with SIGINT");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => tracing::info!("received SIGINT"),
        _ = term.recv() => tracing::info!("received SIGTERM"),
    }
}
