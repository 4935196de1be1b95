//! Candle (CPU) embedding server: candle-transformers' BERT reading model.safetensors + config.json,
//! HF `tokenizers`, behind the shared contract (servers/rust-common).
//!
//! Concurrency: `BertModel::forward` takes `&self`, so one model is shared by every request. A pool
//! of WORKERS rayon thread pools (default one per CPU), each THREADS threads wide (default 1), bounds
//! how many passes run at once: a pass runs inside the pool it took, so candle's parallel kernels
//! (gemm, softmax, layer norm) use that pool's THREADS threads and never another pass's. Tokenising
//! and pooling happen outside the pools.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{bail, Context, Result};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use embedserver::{pool, Embeddings, Engine, Pool, Pooling, ServerSpec, ServingConfig, Settings, TextTokenizer};
use serde_json::{json, Map, Value};

/// candle-core's version as resolved in Cargo.lock (the crate exposes no version constant).
fn candle_version() -> String {
    let lock = include_str!("../Cargo.lock");
    lock.split("[[package]]")
        .find(|p| p.contains("name = \"candle-core\""))
        .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = \"")))
        .map_or_else(|| "unknown".to_string(), |v| v.trim_end_matches('"').to_string())
}

struct CandleEngine {
    model: BertModel,
    slots: Pool<rayon::ThreadPool>,
    tokenizer: TextTokenizer,
    serving: ServingConfig,
    model_type: String,
}

impl Engine for CandleEngine {
    fn framework_version(&self) -> String {
        candle_version()
    }

    fn embed(&self, texts: &[String], normalize: bool) -> Result<Embeddings> {
        let batch = self.tokenizer.encode(texts)?;
        let shape = (batch.size, batch.seq_len);
        let device = &self.model.device;
        let ids = Tensor::from_slice(&batch.input_ids, shape, device)?;
        let mask = Tensor::from_slice(&batch.attention_mask, shape, device)?;
        let type_ids = ids.zeros_like()?;
        let (hidden, waited) = self.slots.with(|threads| Ok(threads.install(|| self.model.forward(&ids, &type_ids, Some(&mask)))?))?;
        let dim = hidden.dim(2)?;
        let flat = hidden.flatten_all()?.to_vec1::<f32>()?;
        Ok(Embeddings { waited, ..pool(&flat, dim, &batch, self.serving.pooling, normalize)? })
    }

    fn info(&self) -> Map<String, Value> {
        let v = json!({
            "runtime": "candle",
            "model_file": "model.safetensors",
            "model_type": self.model_type,
            "device": "cpu",
            "forward_slots": self.slots.size(),
        });
        v.as_object().cloned().unwrap_or_default()
    }
}

fn load(settings: &Settings, serving: &ServingConfig) -> Result<Arc<dyn Engine>> {
    if serving.pooling == Pooling::None {
        // The model's head (text tower projection, Dense layers) exists only in the exported graph.
        bail!("{}: pooling \"none\" (the model has a head after its encoder) is not supported by the candle server, which runs the bare BERT encoder", settings.model_dir.join("serving.json").display());
    }
    let config_path = settings.model_dir.join("config.json");
    let raw = std::fs::read_to_string(&config_path).with_context(|| format!("cannot read {}", config_path.display()))?;
    let model_type = serde_json::from_str::<Value>(&raw)?
        .get("model_type")
        .and_then(Value::as_str)
        .unwrap_or("bert")
        .to_string();
    if model_type != "bert" {
        bail!("{}: model_type {model_type:?} is not supported by the candle server (BERT family: \"bert\")", config_path.display());
    }
    let config: Config = serde_json::from_str(&raw).with_context(|| format!("{}: not a BERT config", config_path.display()))?;
    let weights = settings.model_dir.join("model.safetensors");
    let device = Device::Cpu;
    // SAFETY: the file is memory-mapped read-only and nothing in this process writes to it.
    let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[&weights], DType::F32, &device) }
        .with_context(|| format!("cannot map {}", weights.display()))?;
    let model = BertModel::load(vb, &config).with_context(|| format!("{}: weights do not match config.json", weights.display()))?;
    let tokenizer = TextTokenizer::from_file(&settings.model_dir.join("tokenizer.json"), serving.max_seq_length, settings.max_batch_tokens)?;
    let pools = (0..settings.workers)
        .map(|w| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(settings.threads)
                .thread_name(move |t| format!("forward-{w}-{t}"))
                .build()
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Arc::new(CandleEngine {
        model,
        slots: Pool::new(pools),
        tokenizer,
        serving: serving.clone(),
        model_type,
    }))
}

fn main() -> ExitCode {
    // candle's matrix products split over RAYON_NUM_THREADS threads (read on every product): set it
    // from THREADS before any thread starts, so that it matches the size of each forward pool.
    if let Ok(settings) = Settings::from_env() {
        std::env::set_var("RAYON_NUM_THREADS", settings.threads.to_string());
        std::env::set_var("CANDLE_NUM_THREADS", settings.threads.to_string());
    }
    embedserver::main_with(ServerSpec { framework: "candle", language: "Rust" }, Box::new(load))
}
