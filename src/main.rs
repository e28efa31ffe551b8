//! `omegachatd`: loads the configuration, then serves until SIGINT/SIGTERM; SIGHUP reloads.

use std::process::ExitCode;

use clap::Parser;
use omegachat_contract::runtime::RuntimeDirs;
use omegachatd::cli::Args;
use omegachatd::reload::Reloader;
use omegachatd::{Application, StartupError, systemd, telemetry};
use tokio::signal::unix::{SignalKind, signal};

/// Exit status for a configuration the daemon refuses.
const EXIT_BAD_CONFIG: u8 = 2;

fn main() -> ExitCode {
    return_large_allocations_to_the_system();
    let args = Args::parse();
    // Variables that are not UTF-8 cannot name config keys or directories we use.
    let env: Vec<(String, String)> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    let dirs = RuntimeDirs::from_env(env.iter().map(|(k, v)| (k, v)));
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
    let log = telemetry::init(&loaded.config.log);
    tracing::info!(version = env!("CARGO_PKG_VERSION"), config = %source, "omegachatd starting");
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_threads(&loaded.config))
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
        let shutdown = shutdown_signal().map_err(StartupError::Signals)?;
        let mut hangup = signal(SignalKind::hangup()).map_err(StartupError::Signals)?;
        let app = Application::build_in(loaded.config, &dirs).await?;
        let reloader = Reloader::new(app.system(), log, args.config.clone());
        tokio::spawn(async move {
            while hangup.recv().await.is_some() {
                tracing::info!("received SIGHUP: reloading the configuration");
                systemd::reloading();
                reloader.reload().await;
                systemd::ready();
            }
        });
        app.run_until(shutdown).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// The runtime's threads for `server.worker_threads`. 0: as many as the cores, but one fewer
/// (at least one) on the embedded database, whose writer thread needs a core of its own.
fn worker_threads(config: &omegachat_contract::Config) -> usize {
    if config.server.worker_threads > 0 {
        return config.server.worker_threads;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if config.database.url.is_empty() {
        cores.saturating_sub(1).max(1)
    } else {
        cores
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

/// Installs the SIGINT/SIGTERM handlers now and returns a future that completes on the first one.
///
/// Installed before the daemon tells systemd it is ready: a stop requested right after READY=1 must
/// meet a handler (and a graceful shutdown), not the default action that kills the process.
fn shutdown_signal() -> std::io::Result<impl Future<Output = ()>> {
    let mut term = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => tracing::info!("received SIGINT"),
            _ = term.recv() => tracing::info!("received SIGTERM"),
        }
    })
}
