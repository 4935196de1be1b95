//! Settings from the environment and the model's serving.json: the same variables, defaults and
//! limits as the Python servers (servers/pycommon/embedserver/settings.py).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// How token vectors become one sentence vector (serving.json `pooling`). `None`: the model's graph
/// already returns one vector per text (text towers, Dense heads); the server only normalises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pooling {
    Mean,
    Cls,
    LastToken,
    None,
}

impl Pooling {
    pub fn as_str(self) -> &'static str {
        match self {
            Pooling::Mean => "mean",
            Pooling::Cls => "cls",
            Pooling::LastToken => "last_token",
            Pooling::None => "none",
        }
    }
}

/// models/<model>/serving.json, written by the model pipeline.
#[derive(Debug, Clone, Deserialize)]
pub struct ServingConfig {
    pub model_key: String,
    pub embedding_dim: usize,
    pub max_seq_length: usize,
    pub pooling: Pooling,
    pub normalize: bool,
    #[serde(default)]
    pub synthetic: bool,
}

impl ServingConfig {
    pub fn load(model_dir: &Path) -> Result<ServingConfig> {
        let path = model_dir.join("serving.json");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("{} not found: prepare the model first (npm run bench:k6 prepares it)", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{}: invalid serving config", path.display()))
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub host: String,
    pub port: u16,
    pub model_dir: PathBuf,
    pub threads: usize,
    pub workers: usize,
    pub max_texts: usize,
    pub max_body_bytes: usize,
    /// Tokens (after truncation, [CLS]/[SEP] included) one request may carry: the forward pass's
    /// memory grows with them, so this bounds a request's peak memory (TEI's default, 16384).
    pub max_batch_tokens: usize,
    /// Seconds a request's body may take to arrive once its headers are in.
    pub body_timeout_s: u64,
}

fn optional_env(name: &str) -> Result<Option<usize>> {
    match std::env::var(name) {
        Ok(raw) if !raw.is_empty() => match raw.parse::<usize>() {
            Ok(v) if v > 0 => Ok(Some(v)),
            _ => bail!("{name} must be a positive integer, got {raw:?}"),
        },
        _ => Ok(None),
    }
}

fn positive_env(name: &str, default: usize) -> Result<usize> {
    Ok(optional_env(name)?.unwrap_or(default))
}

/// CPUs this process may use: std reads its affinity mask and the cgroup quota (docker --cpus).
pub fn cpu_count() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// (threads, workers) from THREADS and WORKERS, the same rule in every server: unset, one
/// single-threaded model call per CPU; one of them set, the other fills `cpus` (threads × workers).
fn layout(cpus: usize, threads: Option<usize>, workers: Option<usize>) -> (usize, usize) {
    match (threads, workers) {
        (Some(t), Some(w)) => (t, w),
        (None, Some(w)) => ((cpus / w).max(1), w),
        (t, None) => {
            let t = t.unwrap_or(1);
            (t, (cpus / t).max(1))
        }
    }
}

impl Settings {
    pub fn from_env() -> Result<Settings> {
        let model_dir = std::env::var("MODEL_DIR").unwrap_or_default();
        if model_dir.is_empty() {
            bail!("MODEL_DIR is not set (folder of a prepared model, e.g. models/all-MiniLM-L6-v2)");
        }
        let port = positive_env("PORT", 8000)?;
        let (threads, workers) = layout(cpu_count(), optional_env("THREADS")?, optional_env("WORKERS")?);
        Ok(Settings {
            // Loopback unless told otherwise: a benchmark server is not a public service.
            host: std::env::var("HOST").ok().filter(|h| !h.is_empty()).unwrap_or_else(|| "127.0.0.1".into()),
            port: u16::try_from(port).with_context(|| format!("PORT out of range: {port}"))?,
            model_dir: PathBuf::from(model_dir),
            threads,
            workers,
            max_texts: positive_env("MAX_TEXTS", 256)?,
            max_body_bytes: positive_env("MAX_BODY_BYTES", 4 * 1024 * 1024)?,
            max_batch_tokens: positive_env("MAX_BATCH_TOKENS", 16384)?,
            body_timeout_s: positive_env("BODY_TIMEOUT_S", 10)? as u64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::layout;

    #[test]
    fn defaults_to_one_single_threaded_call_per_cpu() {
        assert_eq!(layout(4, None, None), (1, 4));
        assert_eq!(layout(1, None, None), (1, 1));
    }

    #[test]
    fn one_variable_set_derives_the_other() {
        assert_eq!(layout(8, None, Some(2)), (4, 2));
        assert_eq!(layout(8, Some(2), None), (2, 4));
        assert_eq!(layout(2, Some(4), None), (4, 1), "never fewer than one worker");
        assert_eq!(layout(2, None, Some(4)), (1, 4), "never fewer than one thread");
        assert_eq!(layout(8, Some(3), Some(5)), (3, 5), "both set: taken as given");
    }
}
