//! The architectures the candle server runs, one variant each, all behind [`Encoder::forward`]:
//! token ids and attention mask in, token vectors `[batch, seq, hidden]` out. Pooling, the
//! sentence-transformers head and normalisation happen after it (see `head.rs` and `main.rs`).

use std::path::Path;

use anyhow::{bail, Context, Result};
use candle_core::{Device, Tensor};
use candle_nn::VarBuilder;
use crate::models::{bert, modernbert, qwen3, xlm_roberta};
use serde_json::Value;

use crate::gemma3::BidirectionalGemma3;

pub enum Encoder {
    Bert(bert::BertModel),
    XlmRoberta(xlm_roberta::XLMRobertaModel),
    ModernBert(modernbert::ModernBert),
    /// A pristine model, cloned for every pass: candle's Qwen3 keeps a KV cache behind `&mut self`,
    /// and a clone (its tensors are shared, its cache empty) gives each pass its own.
    Qwen3(qwen3::Model),
    Gemma3(BidirectionalGemma3),
}

/// Why `model_type` is not served: what candle-transformers 0.11.1 lacks, or what this server
/// does not run (the same reasons as manifest.yaml's `cannot_serve`).
fn refusal(model_type: &str) -> &'static str {
    match model_type {
        "mpnet" => "MPNet: candle-transformers 0.11.1 has no MPNet model",
        "clip" | "clip_text_model" | "siglip" | "siglip_text_model" => {
            "text towers (pooling and projection inside the model) are not run by the candle server"
        }
        _ => "not an architecture the candle server runs",
    }
}

/// The `model_type`s served, and how the refusal line lists them.
const SERVED_TYPES: &[&str] = &["bert", "xlm-roberta", "xlm_roberta", "modernbert", "qwen3", "gemma3_text"];
const SERVED: &str = "bert, xlm-roberta, modernbert, qwen3, gemma3_text (bidirectional)";

/// Weights saved by a bare `AutoModel` lack the `model.` prefix candle's decoder models ask for.
fn strip_prefix_if_absent(vb: VarBuilder<'static>, probe: &str) -> VarBuilder<'static> {
    if vb.contains_tensor(probe) {
        vb
    } else {
        vb.rename_f(|name| name.strip_prefix("model.").unwrap_or(name).to_string())
    }
}

/// transformers 5 writes `rope_parameters` (one set, or one per attention kind) where candle's
/// configs read `rope_theta` (and Gemma's `rope_local_base_freq`, ModernBERT's `global_rope_theta`
/// and `local_rope_theta`): copy the thetas to those names. Scaled RoPE is refused, not ignored.
fn flatten_rope_parameters(config: &mut Value) -> Result<()> {
    // transformers 4's spelling of the same: candle's models have no scaled RoPE.
    if config.get("rope_scaling").is_some_and(|v| !v.is_null()) {
        bail!("rope_scaling is not supported by the candle server (unscaled RoPE only)");
    }
    let Some(params) = config.get("rope_parameters").cloned() else { return Ok(()) };
    let theta = |p: &Value, kind: &str| -> Result<Option<Value>> {
        match p.get("rope_type").and_then(Value::as_str) {
            None | Some("default") => Ok(p.get("rope_theta").cloned()),
            Some(other) => bail!("rope_parameters{kind}: rope_type {other:?} is not supported by the candle server (default only)"),
        }
    };
    let Some(obj) = config.as_object_mut() else { return Ok(()) };
    if let Some(t) = theta(&params, "")? {
        obj.entry("rope_theta").or_insert(t);
    }
    if let Some(t) = params.get("full_attention").map(|p| theta(p, ".full_attention")).transpose()?.flatten() {
        obj.entry("rope_theta").or_insert(t.clone());
        obj.entry("global_rope_theta").or_insert(t);
    }
    if let Some(t) = params.get("sliding_attention").map(|p| theta(p, ".sliding_attention")).transpose()?.flatten() {
        obj.entry("rope_local_base_freq").or_insert(t.clone());
        obj.entry("local_rope_theta").or_insert(t);
    }
    Ok(())
}

impl Encoder {
    /// The model in `config.json` + `model.safetensors`, or one line saying why it is not served.
    pub fn load(model_dir: &Path, device: &Device) -> Result<(Encoder, String)> {
        let config_path = model_dir.join("config.json");
        let text = std::fs::read_to_string(&config_path).with_context(|| format!("cannot read {}", config_path.display()))?;
        let mut config: Value = serde_json::from_str(&text).with_context(|| format!("{}: invalid JSON", config_path.display()))?;
        flatten_rope_parameters(&mut config).with_context(|| config_path.display().to_string())?;
        // transformers names ModernBERT's epsilon `norm_eps`; candle's config reads `layer_norm_eps`.
        if let (Some(eps), Some(obj)) = (config.get("norm_eps").cloned(), config.as_object_mut()) {
            obj.entry("layer_norm_eps").or_insert(eps);
        }
        let raw = config.to_string();
        let model_type = config
            .get("model_type")
            .and_then(Value::as_str)
            .unwrap_or("bert")
            .to_string();
        // Refused before the weights are read: the reason is the architecture, whatever the files.
        if !SERVED_TYPES.contains(&model_type.as_str()) {
            bail!("{}: model_type {model_type:?} is not served ({}); the candle server runs {SERVED}", config_path.display(), refusal(&model_type));
        }
        let weights = model_dir.join("model.safetensors");
        // SAFETY: the file is memory-mapped read-only and nothing in this process writes to it.
        let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[&weights], candle_core::DType::F32, device) }
            .with_context(|| format!("cannot map {}", weights.display()))?;
        let bad_config = || format!("{}: not a valid {model_type} config", config_path.display());
        let mismatch = || format!("{}: weights do not match config.json ({model_type})", weights.display());
        let encoder = match model_type.as_str() {
            "bert" => {
                let cfg: bert::Config = serde_json::from_str(&raw).with_context(bad_config)?;
                Encoder::Bert(bert::BertModel::load(vb, &cfg).with_context(mismatch)?)
            }
            "xlm-roberta" | "xlm_roberta" => {
                let cfg: xlm_roberta::Config = serde_json::from_str(&raw).with_context(bad_config)?;
                // A checkpoint of XLMRobertaFor* keeps the encoder under `roberta.`.
                let vb = if vb.contains_tensor("roberta.embeddings.word_embeddings.weight") { vb.pp("roberta") } else { vb };
                Encoder::XlmRoberta(xlm_roberta::XLMRobertaModel::new(&cfg, vb).with_context(mismatch)?)
            }
            "modernbert" => {
                let cfg: modernbert::Config = serde_json::from_str(&raw).with_context(bad_config)?;
                let vb = strip_prefix_if_absent(vb, "model.embeddings.tok_embeddings.weight");
                Encoder::ModernBert(modernbert::ModernBert::load(vb, &cfg).with_context(mismatch)?)
            }
            "qwen3" => {
                let cfg: qwen3::Config = serde_json::from_str(&raw).with_context(bad_config)?;
                let vb = strip_prefix_if_absent(vb, "model.embed_tokens.weight");
                Encoder::Qwen3(qwen3::Model::new(&cfg, vb).with_context(mismatch)?)
            }
            "gemma3_text" => Encoder::Gemma3(BidirectionalGemma3::load(&raw, vb).with_context(|| format!("{}", config_path.display()))?),
            other => bail!("{}: model_type {other:?} has no loader (SERVED_TYPES lists it)", config_path.display()),
        };
        Ok((encoder, model_type))
    }

    /// `ids`, `mask`: u32 `[batch, seq]`, padding on the right (mask 0). Returns `[batch, seq, hidden]`.
    pub fn forward(&self, ids: &Tensor, mask: &Tensor) -> Result<Tensor> {
        Ok(match self {
            Encoder::Bert(m) => m.forward(ids, &ids.zeros_like()?, Some(mask))?,
            Encoder::XlmRoberta(m) => m.forward(ids, mask, &ids.zeros_like()?, None, None, None)?,
            Encoder::ModernBert(m) => m.forward(ids, mask)?,
            // Causal attention: a real token never sees the padding after it, so no mask is needed,
            // and its last real token (the pooled one) is exactly as in an unpadded pass.
            Encoder::Qwen3(m) => m.clone().forward(ids, 0)?,
            Encoder::Gemma3(m) => m.forward(ids, mask)?,
        })
    }
}
