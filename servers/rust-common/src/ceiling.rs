//! `--ceiling`: the in-process throughput of the same engine the server wraps, with no HTTP, so
//! the benchmark can show what the serving layer costs (orchestrator/main/overhead.ts).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::json;

use crate::server::Engine;

pub struct CeilingArgs {
    pub texts_file: PathBuf,
    pub concurrency: usize,
    pub duration_s: f64,
}

impl CeilingArgs {
    /// `--texts FILE --concurrency N --duration-s S` (the words after `--ceiling`).
    pub fn parse(args: &[String]) -> Result<CeilingArgs> {
        let mut texts_file = None;
        let mut concurrency = 1usize;
        let mut duration_s = 5.0f64;
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let value = it.next().with_context(|| format!("{flag} needs a value"))?;
            match flag.as_str() {
                "--texts" => texts_file = Some(PathBuf::from(value)),
                "--concurrency" => concurrency = value.parse().ok().filter(|&c| c > 0).with_context(|| format!("--concurrency: positive integer expected, got {value:?}"))?,
                "--duration-s" => duration_s = value.parse().ok().filter(|&d: &f64| d > 0.0).with_context(|| format!("--duration-s: positive number expected, got {value:?}"))?,
                other => bail!("unknown ceiling option {other} (expected --texts, --concurrency, --duration-s)"),
            }
        }
        Ok(CeilingArgs { texts_file: texts_file.context("--texts FILE is required")?, concurrency, duration_s })
    }
}

/// The texts of a `{"texts": [...]}` file (`--ceiling --texts`, `--tokenize`).
pub(crate) fn read_texts(path: &Path) -> Result<Vec<String>> {
    let raw = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let value: serde_json::Value = serde_json::from_str(&raw).with_context(|| format!("{}: invalid JSON", path.display()))?;
    let texts: Vec<String> = value
        .get("texts")
        .and_then(|t| t.as_array())
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    if texts.is_empty() {
        bail!("{}: expected {{\"texts\": [non-empty list of strings]}}", path.display());
    }
    Ok(texts)
}

/// `concurrency` threads call `embed` with one text each (batch 1) for `duration_s` after a short
/// warmup; prints one JSON line: embeddings_per_sec, calls, p50_ms …
pub fn run(engine: Arc<dyn Engine>, args: &CeilingArgs) -> Result<serde_json::Value> {
    let texts = Arc::new(read_texts(&args.texts_file)?);
    for text in texts.iter().take(20) {
        engine.embed(std::slice::from_ref(text), true)?;
    }
    let deadline = Instant::now() + Duration::from_secs_f64(args.duration_s);
    let started = Instant::now();
    let workers: Vec<_> = (0..args.concurrency)
        .map(|w| {
            let engine = Arc::clone(&engine);
            let texts = Arc::clone(&texts);
            std::thread::spawn(move || -> Result<Vec<f64>> {
                let mut latencies = Vec::new();
                // Each caller starts at a different text, as k6's virtual users do (scenario/texts.ts pickBatch).
                let mut i = w * 7919;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    engine.embed(std::slice::from_ref(&texts[i % texts.len()]), true)?;
                    latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                    i += 1;
                }
                Ok(latencies)
            })
        })
        .collect();
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.join().map_err(|_| anyhow::anyhow!("ceiling worker panicked"))??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    let p50 = all.get(all.len() / 2).copied().unwrap_or(0.0);
    Ok(json!({
        "concurrency": args.concurrency,
        "batch_size": 1,
        "duration_s": elapsed,
        "calls": all.len(),
        "embeddings_per_sec": all.len() as f64 / elapsed,
        "p50_ms": p50,
    }))
}
