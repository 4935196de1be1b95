//! The embedding-bench server contract shared by the Rust framework servers (the Rust twin of
//! servers/pycommon): settings, tokenisation and pooling, metrics, the axum app and `--ceiling`.

pub mod ceiling;
pub mod config;
pub mod metrics;
pub mod pool;
pub mod server;
pub mod text;

use std::process::ExitCode;

pub use pool::Pool;
pub use config::{Pooling, ServingConfig, Settings};
pub use server::{Engine, Loader, ServerSpec};
pub use text::{pool, Batch, Embeddings, TextTokenizer, TooManyTokens};

/// Entry point of a server binary. No arguments: serve HTTP. `--ceiling …`: measure the engine
/// in process and print one JSON line (see [`ceiling`]).
pub fn main_with(spec: ServerSpec, loader: Loader) -> ExitCode {
    match run(spec, loader) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(spec: ServerSpec, loader: Loader) -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let settings = Settings::from_env()?;
    match args.first().map(String::as_str) {
        None => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(server::serve(&spec, settings, loader)),
        Some("--ceiling") => {
            let ceiling_args = ceiling::CeilingArgs::parse(&args[1..])?;
            let (engine, _, _) = server::load_engine(spec.framework, &settings, loader)?;
            let mut report = ceiling::run(engine, &ceiling_args)?;
            report["framework"] = spec.framework.into();
            report["threads"] = settings.threads.into();
            report["workers"] = settings.workers.into();
            println!("{report}");
            Ok(())
        }
        Some(other) => anyhow::bail!("unknown argument {other} (expected none, or --ceiling --texts FILE --concurrency N --duration-s S)"),
    }
}
