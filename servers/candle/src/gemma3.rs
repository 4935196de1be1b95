//! Gemma 3 as a bidirectional encoder (embeddinggemma: `use_bidirectional_attention: true`).
//!
//! Why a local copy: candle-transformers 0.11.1's `gemma3::Model` is a causal decoder only. Its
//! masks are built inside `forward` (causal, causal sliding window), it takes no padding mask, and
//! it returns the last position's logits, never the hidden states; none of that is reachable
//! through its API. This is the same computation as transformers' `Gemma3TextModel` with
//! bidirectional attention: every token sees every real token (full layers) or the real tokens
//! less than `sliding_window / 2 + 1` positions away (sliding layers), never padding.

use anyhow::{bail, Result};
use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{embedding, linear_b, Activation, Embedding, Linear, VarBuilder};
use crate::models::utils::repeat_kv;
use serde::Deserialize;

#[derive(Deserialize)]
struct Config {
    attention_bias: bool,
    head_dim: usize,
    hidden_activation: Activation,
    hidden_size: usize,
    intermediate_size: usize,
    num_attention_heads: usize,
    num_hidden_layers: usize,
    num_key_value_heads: usize,
    rms_norm_eps: f64,
    rope_theta: f64,
    rope_local_base_freq: f64,
    vocab_size: usize,
    query_pre_attn_scalar: usize,
    sliding_window: usize,
    /// Newer configs name each layer's attention; older ones give the period of full layers.
    layer_types: Option<Vec<String>>,
    sliding_window_pattern: Option<usize>,
    #[serde(default)]
    use_bidirectional_attention: bool,
    attn_logit_softcapping: Option<f64>,
}

impl Config {
    fn is_sliding(&self, layer: usize) -> bool {
        match (&self.layer_types, self.sliding_window_pattern) {
            (Some(types), _) => types.get(layer).is_some_and(|t| t == "sliding_attention"),
            (None, Some(period)) => !(layer + 1).is_multiple_of(period),
            (None, None) => false,
        }
    }
}

/// Gemma's RMSNorm scales by `1 + weight`; the sum is taken once here.
struct RmsNorm {
    alpha: Tensor,
    eps: f32,
}

impl RmsNorm {
    fn new(dim: usize, eps: f64, vb: VarBuilder) -> Result<Self> {
        Ok(Self { alpha: (vb.get(dim, "weight")? + 1.0)?, eps: eps as f32 })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        Ok(candle_nn::ops::rms_norm(&x.contiguous()?, &self.alpha, self.eps)?)
    }
}

struct Attention {
    q_proj: Linear,
    k_proj: Linear,
    v_proj: Linear,
    o_proj: Linear,
    q_norm: RmsNorm,
    k_norm: RmsNorm,
    heads: usize,
    kv_heads: usize,
    head_dim: usize,
    scale: f64,
    sliding: bool,
}

impl Attention {
    fn new(cfg: &Config, sliding: bool, vb: VarBuilder) -> Result<Self> {
        let (h, d, bias) = (cfg.hidden_size, cfg.head_dim, cfg.attention_bias);
        Ok(Self {
            q_proj: linear_b(h, cfg.num_attention_heads * d, bias, vb.pp("q_proj"))?,
            k_proj: linear_b(h, cfg.num_key_value_heads * d, bias, vb.pp("k_proj"))?,
            v_proj: linear_b(h, cfg.num_key_value_heads * d, bias, vb.pp("v_proj"))?,
            o_proj: linear_b(cfg.num_attention_heads * d, h, bias, vb.pp("o_proj"))?,
            q_norm: RmsNorm::new(d, cfg.rms_norm_eps, vb.pp("q_norm"))?,
            k_norm: RmsNorm::new(d, cfg.rms_norm_eps, vb.pp("k_norm"))?,
            heads: cfg.num_attention_heads,
            kv_heads: cfg.num_key_value_heads,
            head_dim: d,
            scale: (cfg.query_pre_attn_scalar as f64).powf(-0.5),
            sliding,
        })
    }

    /// `rope`: (cos, sin) for this layer's kind; `masks`: additive, each broadcast onto the scores.
    fn forward(&self, x: &Tensor, rope: &(Tensor, Tensor), masks: &[Tensor]) -> Result<Tensor> {
        let (b, l, _) = x.dims3()?;
        let split = |t: Tensor, n: usize| t.reshape((b, l, n, self.head_dim))?.transpose(1, 2);
        let q = self.q_norm.forward(&split(self.q_proj.forward(x)?, self.heads)?)?;
        let k = self.k_norm.forward(&split(self.k_proj.forward(x)?, self.kv_heads)?)?;
        let v = split(self.v_proj.forward(x)?, self.kv_heads)?;
        let q = candle_nn::rotary_emb::rope(&q.contiguous()?, &rope.0, &rope.1)?;
        let k = candle_nn::rotary_emb::rope(&k.contiguous()?, &rope.0, &rope.1)?;
        let groups = self.heads / self.kv_heads;
        let k = repeat_kv(k, groups)?.contiguous()?;
        let v = repeat_kv(v, groups)?.contiguous()?;
        let scores = masks.iter().try_fold((q.matmul(&k.transpose(2, 3)?)? * self.scale)?, |s, m| s.broadcast_add(m))?;
        let probs = candle_nn::ops::softmax_last_dim(&scores)?;
        Ok(probs.matmul(&v)?.transpose(1, 2)?.reshape((b, l, ()))?.apply(&self.o_proj)?)
    }
}

struct Layer {
    attn: Attention,
    gate_proj: Linear,
    up_proj: Linear,
    down_proj: Linear,
    act: Activation,
    input_norm: RmsNorm,
    post_attention_norm: RmsNorm,
    pre_feedforward_norm: RmsNorm,
    post_feedforward_norm: RmsNorm,
}

impl Layer {
    fn new(cfg: &Config, sliding: bool, vb: VarBuilder) -> Result<Self> {
        let (h, i, eps) = (cfg.hidden_size, cfg.intermediate_size, cfg.rms_norm_eps);
        let mlp = vb.pp("mlp");
        Ok(Self {
            attn: Attention::new(cfg, sliding, vb.pp("self_attn"))?,
            gate_proj: linear_b(h, i, false, mlp.pp("gate_proj"))?,
            up_proj: linear_b(h, i, false, mlp.pp("up_proj"))?,
            down_proj: linear_b(i, h, false, mlp.pp("down_proj"))?,
            act: cfg.hidden_activation,
            input_norm: RmsNorm::new(h, eps, vb.pp("input_layernorm"))?,
            post_attention_norm: RmsNorm::new(h, eps, vb.pp("post_attention_layernorm"))?,
            pre_feedforward_norm: RmsNorm::new(h, eps, vb.pp("pre_feedforward_layernorm"))?,
            post_feedforward_norm: RmsNorm::new(h, eps, vb.pp("post_feedforward_layernorm"))?,
        })
    }

    fn forward(&self, x: &Tensor, rope: &(Tensor, Tensor), masks: &[Tensor]) -> Result<Tensor> {
        let a = self.attn.forward(&self.input_norm.forward(x)?, rope, masks)?;
        let x = (self.post_attention_norm.forward(&a)? + x)?;
        let h = self.pre_feedforward_norm.forward(&x)?;
        let h = (h.apply(&self.gate_proj)?.apply(&self.act)? * h.apply(&self.up_proj)?)?.apply(&self.down_proj)?;
        Ok((self.post_feedforward_norm.forward(&h)? + x)?)
    }
}

pub struct BidirectionalGemma3 {
    embed_tokens: Embedding,
    layers: Vec<Layer>,
    norm: RmsNorm,
    hidden_size: usize,
    head_dim: usize,
    sliding_window: usize,
    rope_theta: f64,
    rope_local_theta: f64,
}

impl BidirectionalGemma3 {
    pub fn load(raw_config: &str, vb: VarBuilder) -> Result<Self> {
        let cfg: Config = serde_json::from_str(raw_config).map_err(|e| anyhow::anyhow!("not a valid gemma3_text config: {e}"))?;
        if !cfg.use_bidirectional_attention {
            bail!("gemma3_text without use_bidirectional_attention is a causal decoder; the candle server runs Gemma 3 only as a bidirectional encoder (embeddinggemma)");
        }
        if cfg.attn_logit_softcapping.is_some() {
            bail!("gemma3_text with attn_logit_softcapping is not supported by the candle server");
        }
        // A checkpoint of Gemma3ForCausalLM keeps the model under `model.`.
        let vb = if vb.contains_tensor("model.embed_tokens.weight") { vb.pp("model") } else { vb };
        let layers = (0..cfg.num_hidden_layers)
            .map(|i| Layer::new(&cfg, cfg.is_sliding(i), vb.pp(format!("layers.{i}"))))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            embed_tokens: embedding(cfg.vocab_size, cfg.hidden_size, vb.pp("embed_tokens"))?,
            layers,
            norm: RmsNorm::new(cfg.hidden_size, cfg.rms_norm_eps, vb.pp("norm"))?,
            hidden_size: cfg.hidden_size,
            head_dim: cfg.head_dim,
            // As transformers' Gemma3TextConfig: a bidirectional layer sees (window / 2) tokens on
            // each side, i.e. |i - j| < window / 2 + 1.
            sliding_window: cfg.sliding_window / 2 + 1,
            rope_theta: cfg.rope_theta,
            rope_local_theta: cfg.rope_local_base_freq,
        })
    }

    /// (cos, sin) `[seq, head_dim / 2]` for positions 0..seq.
    fn rope(&self, theta: f64, seq: usize, device: &Device) -> Result<(Tensor, Tensor)> {
        let inv: Vec<f32> = (0..self.head_dim).step_by(2).map(|i| 1.0 / theta.powf(i as f64 / self.head_dim as f64) as f32).collect();
        let inv = Tensor::from_vec(inv, (1, self.head_dim / 2), device)?;
        let t = Tensor::arange(0u32, seq as u32, device)?.to_dtype(DType::F32)?.reshape((seq, 1))?;
        let freqs = t.matmul(&inv)?;
        Ok((freqs.cos()?, freqs.sin()?))
    }

    /// Additive masks, each broadcast onto the scores: padding `[b, 1, 1, l]` (no query sees a
    /// padding key) and the sliding window `[1, 1, l, l]` (|i - j| < window), never a `[b, 1, l, l]`. Half the lowest f32, not -inf: a blocked score stays finite even where both
    /// masks block it, so no row of the softmax is all -inf (NaN).
    fn masks(&self, mask: &Tensor, l: usize, device: &Device) -> Result<(Tensor, Tensor)> {
        const BLOCKED: f32 = f32::MIN / 2.0;
        let padding = ((1.0 - mask.to_dtype(DType::F32)?)? * f64::from(BLOCKED))?.unsqueeze(1)?.unsqueeze(1)?;
        let w = self.sliding_window;
        let window: Vec<f32> = (0..l).flat_map(|i| (0..l).map(move |j| if i.abs_diff(j) < w { 0.0 } else { BLOCKED })).collect();
        Ok((padding, Tensor::from_vec(window, (1, 1, l, l), device)?))
    }

    pub fn forward(&self, ids: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let l = ids.dim(1)?;
        let device = ids.device();
        let (padding, window) = self.masks(mask, l, device)?;
        let full = (self.rope(self.rope_theta, l, device)?, vec![padding.clone()]);
        let local = (self.rope(self.rope_local_theta, l, device)?, vec![padding, window]);
        let mut x = (self.embed_tokens.forward(ids)? * (self.hidden_size as f64).sqrt())?;
        for layer in &self.layers {
            let (rope, masks) = if layer.attn.sliding { &local } else { &full };
            x = layer.forward(&x, rope, masks)?;
        }
        self.norm.forward(&x)
    }
}
