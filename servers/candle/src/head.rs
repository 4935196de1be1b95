//! The sentence-transformers modules after the encoder, for models whose serving.json says pooling
//! `none` (the ONNX export carries them inside its graph, e.g. embeddinggemma's mean pooling and
//! Dense 768→3072→768): candle runs them itself from `<model>/sentence-transformers/`.
//! Normalize is left to serving.json's `normalize`, as in every server.

use std::path::Path;

use anyhow::{bail, Context, Result};
use candle_core::{DType, Device, Tensor};
use candle_nn::{Linear, Module, VarBuilder};
use embedserver::Pooling;
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
struct ModuleEntry {
    path: String,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct DenseConfig {
    in_features: usize,
    out_features: usize,
    #[serde(default = "yes")]
    bias: bool,
    #[serde(default)]
    activation_function: String,
}

fn yes() -> bool {
    true
}

pub struct Head {
    pub pooling: Pooling,
    dense: Vec<(Linear, bool)>,
}

fn read_json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{}: invalid JSON", path.display()))
}

/// sentence-transformers' Pooling config → the server's pooling (the modes the suite knows). Newer
/// releases write `pooling_mode: "mean"`, older ones one `pooling_mode_<mode>_token(s): true`.
fn pooling_of(config: &Value, path: &Path) -> Result<Pooling> {
    let modes = [("mean", "pooling_mode_mean_tokens", Pooling::Mean), ("cls", "pooling_mode_cls_token", Pooling::Cls), ("lasttoken", "pooling_mode_lasttoken", Pooling::LastToken)];
    let named = config.get("pooling_mode").and_then(Value::as_str).map(|m| m.replace('_', ""));
    let chosen: Vec<Pooling> = modes
        .iter()
        .filter(|(name, flag, _)| named.as_deref() == Some(*name) || config.get(*flag).and_then(Value::as_bool) == Some(true))
        .map(|&(_, _, p)| p)
        .collect();
    match chosen.as_slice() {
        [p] => Ok(*p),
        _ => bail!("{}: the candle server runs exactly one of mean, cls or last-token pooling", path.display()),
    }
}

fn dense(dir: &Path, device: &Device) -> Result<(Linear, bool)> {
    let cfg: DenseConfig = serde_json::from_value(read_json(&dir.join("config.json"))?).with_context(|| format!("{}: not a Dense config", dir.display()))?;
    let tanh = match cfg.activation_function.rsplit('.').next().unwrap_or("") {
        "Identity" | "" => false,
        "Tanh" => true,
        other => bail!("{}: Dense activation {other} is not run by the candle server (Identity, Tanh)", dir.display()),
    };
    let weights = dir.join("model.safetensors");
    // SAFETY: read-only mapping of a file nothing in this process writes.
    let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[&weights], DType::F32, device) }
        .with_context(|| format!("cannot map {} (the candle server reads Dense weights as safetensors)", weights.display()))?;
    let vb = vb.pp("linear");
    let w = vb.get((cfg.out_features, cfg.in_features), "weight").with_context(|| format!("{}: weights do not match config.json", weights.display()))?;
    let b = if cfg.bias { Some(vb.get(cfg.out_features, "bias")?) } else { None };
    Ok((Linear::new(w, b), tanh))
}

impl Head {
    /// The Pooling and Dense modules listed in `<model_dir>/sentence-transformers/modules.json`.
    pub fn load(model_dir: &Path, device: &Device) -> Result<Head> {
        let st = model_dir.join("sentence-transformers");
        let modules: Vec<ModuleEntry> = serde_json::from_value(read_json(&st.join("modules.json"))?)
            .with_context(|| format!("{}: not a sentence-transformers modules list", st.join("modules.json").display()))?;
        let mut pooling = None;
        let mut layers = Vec::new();
        for m in &modules {
            let dir = st.join(&m.path);
            match m.kind.rsplit('.').next().unwrap_or("") {
                "Transformer" | "Normalize" => {}
                "Pooling" => pooling = Some(pooling_of(&read_json(&dir.join("config.json"))?, &dir)?),
                "Dense" => layers.push(dense(&dir, device)?),
                other => bail!("{}: module {other} is not run by the candle server (Pooling, Dense, Normalize)", st.join("modules.json").display()),
            }
        }
        let Some(pooling) = pooling else { bail!("{}: no Pooling module", st.join("modules.json").display()) };
        Ok(Head { pooling, dense: layers })
    }

    /// `[rows, dim]` sentence vectors through the Dense layers.
    pub fn forward(&self, pooled: Tensor) -> Result<Tensor> {
        self.dense.iter().try_fold(pooled, |x, (linear, tanh)| {
            let y = linear.forward(&x)?;
            Ok(if *tanh { y.tanh()? } else { y })
        })
    }
}
