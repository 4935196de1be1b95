//! The embedding-bench server contract shared by the Rust framework servers (the Rust twin of
//! servers/pycommon): settings, tokenisation and pooling, metrics, the axum app and `--ceiling`.

pub mod ceiling;
pub mod config;
pub mod metrics;
pub mod pool;
pub mod server;
pub mod text;

use std::path::Path;
use std::process::ExitCode;

pub use pool::Pool;
pub use config::{Pooling, ServingConfig, Settings};
pub use server::{Engine, Loader, ServerSpec};
pub use text::{pool, Batch, Embeddings, TextTokenizer, TooManyTokens};

/// Entry point of a server binary. No arguments: serve HTTP. `--ceiling …`: measure the engine
/// in process and print one JSON line (see [`ceiling`]). `--tokenize FILE`: print the token ids
/// the engine would feed its model for FILE's texts (for tests).
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
        Some("--tokenize") => match &args[1..] {
            [file] => tokenize(settings, Path::new(file)),
            _ => anyhow::bail!("usage: --tokenize FILE"),
        },
        Some(other) => {
            anyhow::bail!("unknown argument {other} (expected none, --ceiling --texts FILE --concurrency N --duration-s S, or --tokenize FILE)")
        }
    }
}

/// `--tokenize FILE`: `{"ids": [[...], ...]}`, the ids each text of FILE's `{"texts": [...]}` is fed
/// to the model as ([`TextTokenizer::ids`]: the engines' tokenizer, one batch, padding left out),
/// for tests that compare them with Python `tokenizers`. Loads the tokenizer, not the model.
fn tokenize(mut settings: Settings, file: &Path) -> anyhow::Result<()> {
    let serving = ServingConfig::load(&settings.model_dir)?;
    let texts = ceiling::read_texts(file)?;
    // MAX_BATCH_TOKENS refuses a request; it never changes a text's ids. Any number of texts here.
    settings.max_batch_tokens = usize::MAX;
    let ids = TextTokenizer::for_model(&settings, &serving)?.ids(&texts)?;
    println!("{}", serde_json::json!({ "ids": ids }));
    Ok(())
}
