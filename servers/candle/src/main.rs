//! Candle (CPU) embedding server: candle-transformers' models (BERT, XLM-RoBERTa, ModernBERT,
//! Qwen3) and a bidirectional Gemma 3 (gemma3.rs) reading model.safetensors + config.json, HF
//! `tokenizers`, behind the shared contract (servers/rust-common). The architecture is chosen by
//! config.json's `model_type` (encoder.rs); pooling `none` runs the sentence-transformers head
//! (head.rs).
//!
//! Concurrency: every encoder's forward takes `&self`, so one model is shared by every request. A pool
//! of WORKERS rayon thread pools (default one per CPU), each THREADS threads wide (default 1), bounds
//! how many passes run at once: a pass runs inside the pool it took, so candle's parallel kernels
//! (gemm, softmax, layer norm) use that pool's THREADS threads and never another pass's. Tokenising
//! and pooling happen outside the pools.

mod encoder;
mod gemma3;
mod head;
mod models;

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use candle_core::{Device, Tensor};
use embedserver::{pool, Embeddings, Engine, Pool, Pooling, ServerSpec, ServingConfig, Settings, TextTokenizer};
use serde_json::{json, Map, Value};

use encoder::Encoder;
use head::Head;

/// candle-core's version as resolved in Cargo.lock (the crate exposes no version constant).
fn candle_version() -> String {
    let lock = include_str!("../Cargo.lock");
    lock.split("[[package]]")
        .find(|p| p.contains("name = \"candle-core\""))
        .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = \"")))
        .map_or_else(|| "unknown".to_string(), |v| v.trim_end_matches('"').to_string())
}

struct CandleEngine {
    encoder: Encoder,
    /// serving.json's pooling `none`: the sentence-transformers Pooling and Dense modules.
    head: Option<Head>,
    device: Device,
    slots: Pool<rayon::ThreadPool>,
    tokenizer: TextTokenizer,
    serving: ServingConfig,
    model_type: String,
}

impl CandleEngine {
    /// Token vectors `[batch, seq, hidden]` as a flat vector, and the hidden width.
    fn token_vectors(&self, ids: &Tensor, mask: &Tensor) -> Result<(Vec<f32>, usize)> {
        let hidden = self.encoder.forward(ids, mask)?;
        Ok((hidden.flatten_all()?.to_vec1::<f32>()?, hidden.dim(2)?))
    }
}

impl Engine for CandleEngine {
    fn framework_version(&self) -> String {
        candle_version()
    }

    fn embed(&self, texts: &[String], normalize: bool) -> Result<Embeddings> {
        let batch = self.tokenizer.encode(texts)?;
        let shape = (batch.size, batch.seq_len);
        let to_u32 = |v: &[i64]| v.iter().map(|&x| x as u32).collect::<Vec<u32>>();
        let ids = Tensor::from_vec(to_u32(&batch.input_ids), shape, &self.device)?;
        let mask = Tensor::from_vec(to_u32(&batch.attention_mask), shape, &self.device)?;
        let ((flat, dim), waited) = self.slots.with(|threads| threads.install(|| self.token_vectors(&ids, &mask)))?;
        let Some(head) = &self.head else {
            return Ok(Embeddings { waited, ..pool(&flat, dim, &batch, self.serving.pooling, normalize)? });
        };
        // Pool as the Pooling module does, run the Dense layers, then normalise like any server.
        let pooled = pool(&flat, dim, &batch, head.pooling, false)?;
        let out = head.forward(Tensor::from_vec(pooled.data, (pooled.rows, pooled.dim), &self.device)?)?;
        let out_dim = out.dim(1)?;
        let sentence = out.flatten_all()?.to_vec1::<f32>()?;
        Ok(Embeddings { waited, ..pool(&sentence, out_dim, &batch, Pooling::None, normalize)? })
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
    let device = Device::Cpu;
    let (encoder, model_type) = Encoder::load(&settings.model_dir, &device)?;
    let head = if serving.pooling == Pooling::None { Some(Head::load(&settings.model_dir, &device)?) } else { None };
    let tokenizer = TextTokenizer::for_model(settings, serving)?;
    let pools = (0..settings.workers)
        .map(|w| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(settings.threads)
                .thread_name(move |t| format!("forward-{w}-{t}"))
                .build()
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Arc::new(CandleEngine {
        encoder,
        head,
        device,
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
