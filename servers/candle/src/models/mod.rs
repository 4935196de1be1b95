//! The four architectures of candle-transformers 0.11.1 that this server runs (BERT, XLM-RoBERTa,
//! ModernBERT, Qwen3), with the tracing wrappers and the two helpers they use, copied from
//! <https://github.com/huggingface/candle> (licensed MIT OR Apache-2.0; used here under Apache-2.0, whose
//! text is LICENSE-APACHE beside this file, as candle's crates ship it).
//!
//! Why copies and not the crate: candle-transformers holds about 120 models (83,000 lines), and
//! compiling them was the largest single step of the server's cold release build and of its clippy
//! run, for four models used (servers/candle/README.md gives the measured build times). Changes
//! from upstream: `candle::` spelt `candle_core::`, module paths, and the CUDA flash-attention,
//! convolution and quantized code removed (this server runs on CPU, unquantized). When candle is
//! upgraded, copy the same files from the new version again.
//!
//! Upstream's code is kept as upstream wrote it, so the crate's lints (dead code it does not call,
//! clippy's style) do not apply here.
#![allow(dead_code, unused_imports, clippy::all)]

pub mod bert;
pub mod modernbert;
pub mod qwen3;
pub mod utils;
pub mod with_tracing;
pub mod xlm_roberta;
