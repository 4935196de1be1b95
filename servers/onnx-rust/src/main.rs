//! ONNX Runtime (Rust) embedding server: `ort` with the ONNX Runtime library loaded at run time
//! (ORT_DYLIB_PATH) + HF `tokenizers`, behind the shared contract (servers/rust-common).
//!
//! Concurrency: `ort::Session::run` needs `&mut Session`, so the engine keeps a pool of WORKERS
//! sessions (default one per CPU), each with THREADS intra-op threads (default 1). A request
//! tokenises and pools outside the pool; only the forward pass holds a session. Requests beyond
//! WORKERS wait for a free session instead of oversubscribing the cores with more intra-op threads.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{anyhow, Context, Result};
use embedserver::{pool, Embeddings, Engine, Pool, ServerSpec, ServingConfig, Settings, TextTokenizer};
use ort::ep;
use ort::session::builder::GraphOptimizationLevel;
use ort::session::Session;
use ort::value::Tensor;
use serde_json::{json, Map, Value};

struct OnnxEngine {
    sessions: Pool<Session>,
    tokenizer: TextTokenizer,
    serving: ServingConfig,
    feeds_token_type_ids: bool,
    ort_version: String,
    model_file: String,
}

impl Engine for OnnxEngine {
    fn framework_version(&self) -> String {
        self.ort_version.clone()
    }

    fn embed(&self, texts: &[String], normalize: bool) -> Result<Embeddings> {
        let batch = self.tokenizer.encode(texts)?;
        let shape = [batch.size as i64, batch.seq_len as i64];
        let mut inputs = vec![
            ("input_ids", Tensor::from_array((shape, batch.input_ids.clone()))?.into_dyn()),
            ("attention_mask", Tensor::from_array((shape, batch.attention_mask.clone()))?.into_dyn()),
        ];
        if self.feeds_token_type_ids {
            inputs.push(("token_type_ids", Tensor::from_array((shape, vec![0i64; batch.input_ids.len()]))?.into_dyn()));
        }
        let ((hidden, dim), waited) = self.sessions.with(|session| {
            let outputs = session.run(inputs)?;
            let (out_shape, data) = outputs[0].try_extract_tensor::<f32>()?;
            let dim = usize::try_from(*out_shape.last().context("model output has no dimensions")?)?;
            Ok((data.to_vec(), dim))
        })?;
        Ok(Embeddings { waited, ..pool(&hidden, dim, &batch, self.serving.pooling, normalize)? })
    }

    fn info(&self) -> Map<String, Value> {
        let v = json!({
            "runtime": "onnxruntime",
            "model_file": self.model_file,
            "sessions": self.sessions.size(),
            "ort_dylib": std::env::var("ORT_DYLIB_PATH").unwrap_or_default(),
        });
        v.as_object().cloned().unwrap_or_default()
    }
}

/// The version of the loaded library, from the file name libonnxruntime.so.1.x.y it was loaded from.
fn ort_version(dylib: &str) -> String {
    let resolved = std::fs::canonicalize(dylib).map(|p| p.display().to_string()).unwrap_or_else(|_| dylib.to_string());
    resolved.rsplit_once(".so.").map_or_else(|| "unknown".to_string(), |(_, v)| v.to_string())
}

fn load(settings: &Settings, serving: &ServingConfig) -> Result<Arc<dyn Engine>> {
    let dylib = std::env::var("ORT_DYLIB_PATH")
        .context("ORT_DYLIB_PATH is not set (path of libonnxruntime.so; the suite's build step provides it)")?;
    let environment = ort::init_from(&dylib)
        .with_context(|| format!("cannot load ONNX Runtime from ORT_DYLIB_PATH={dylib}"))?
        .with_name("embedding-bench")
        .build()?;
    let model_file = std::env::var("ONNX_FILE").unwrap_or_else(|_| "onnx/model.onnx".to_string());
    let model_path = settings.model_dir.join(&model_file);
    let mut sessions = Vec::with_capacity(settings.workers);
    for _ in 0..settings.workers {
        let session = Session::builder(&environment)?
            .with_optimization_level(GraphOptimizationLevel::Level3)
            .map_err(|e| anyhow!("{e}"))?
            .with_intra_threads(settings.threads)
            .map_err(|e| anyhow!("{e}"))?
            .with_inter_threads(1)
            .map_err(|e| anyhow!("{e}"))?
            // Idle intra-op threads sleep instead of spinning, as in onnx-python and onnx-cpp: a
            // spinning thread burns the CPU time that the other workers and k6 need.
            .with_intra_op_spinning(false)
            .map_err(|e| anyhow!("{e}"))?
            // Every request has its own shape: ONNX Runtime's CPU arena keeps the largest one's
            // buffers for the life of the process (GBs after one big batch) and memory patterns
            // are cached per shape. Without them tensors come from malloc and go back after the run.
            .with_execution_providers([ep::CPU::default().with_arena_allocator(false).build()])
            .map_err(|e| anyhow!("{e}"))?
            .with_memory_pattern(false)
            .map_err(|e| anyhow!("{e}"))?
            .commit_from_file(&model_path)
            .with_context(|| format!("cannot load {}", model_path.display()))?;
        sessions.push(session);
    }
    let feeds_token_type_ids = sessions[0].inputs().iter().any(|i| i.name() == "token_type_ids");
    let tokenizer = TextTokenizer::for_model(settings, serving)?;
    Ok(Arc::new(OnnxEngine {
        sessions: Pool::new(sessions),
        tokenizer,
        serving: serving.clone(),
        feeds_token_type_ids,
        ort_version: ort_version(&dylib),
        model_file,
    }))
}

fn main() -> ExitCode {
    embedserver::main_with(ServerSpec { framework: "onnx-rust", language: "Rust" }, Box::new(load))
}
