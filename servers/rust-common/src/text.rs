//! Tokenisation (HF `tokenizers`, configured like the Python servers) and pooling/normalisation
//! (the same formulas as servers/pycommon/embedserver/pooling.py and sentence-transformers).

use std::fmt;
use std::path::Path;
use std::time::Duration;

use anyhow::{anyhow, Result};
use tokenizers::{PaddingParams, Tokenizer, TruncationParams};

use crate::config::{Pooling, ServingConfig, Settings};

/// A padded batch in row-major `[batch, seq]` layout, ready for a model's int64 inputs.
pub struct Batch {
    pub size: usize,
    pub seq_len: usize,
    pub input_ids: Vec<i64>,
    pub attention_mask: Vec<i64>,
    pub token_type_ids: Vec<i64>,
}

pub struct TextTokenizer {
    inner: Tokenizer,
    max_batch_tokens: usize,
}

/// A request whose texts tokenise to more than MAX_BATCH_TOKENS tokens; the server answers 413
/// with this message (the same as the Python servers').
#[derive(Debug)]
pub struct TooManyTokens {
    pub tokens: usize,
    pub max: usize,
}

impl fmt::Display for TooManyTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "too many tokens: {} > {} (MAX_BATCH_TOKENS)", self.tokens, self.max)
    }
}

impl std::error::Error for TooManyTokens {}

impl TextTokenizer {
    /// Truncation to `max_seq_length` and padding to the longest text of the batch, overriding
    /// whatever tokenizer.json says, as the Python servers' enable_truncation/enable_padding do.
    /// `encode` refuses batches of more than `max_batch_tokens` tokens with [`TooManyTokens`].
    pub fn from_file(path: &Path, max_seq_length: usize, max_batch_tokens: usize) -> Result<TextTokenizer> {
        let mut inner = Tokenizer::from_file(path).map_err(|e| anyhow!("{}: {e}", path.display()))?;
        inner
            .with_truncation(Some(TruncationParams { max_length: max_seq_length, ..Default::default() }))
            .map_err(|e| anyhow!("truncation: {e}"))?;
        inner.with_padding(Some(PaddingParams::default()));
        Ok(TextTokenizer { inner, max_batch_tokens })
    }

    /// The model's tokenizer.json as every engine loads it: truncated to serving.json's
    /// `max_seq_length`, refusing batches beyond `MAX_BATCH_TOKENS`.
    pub fn for_model(settings: &Settings, serving: &ServingConfig) -> Result<TextTokenizer> {
        TextTokenizer::from_file(&settings.model_dir.join("tokenizer.json"), serving.max_seq_length, settings.max_batch_tokens)
    }

    /// Each text's ids as [`TextTokenizer::encode`] feeds them to the model (one padded batch),
    /// with the padding left out: the `--tokenize` mode, which tests compare with Python `tokenizers`.
    pub fn ids(&self, texts: &[String]) -> Result<Vec<Vec<i64>>> {
        let batch = self.encode(texts)?;
        let rows = (0..batch.size).map(|r| {
            let span = r * batch.seq_len..(r + 1) * batch.seq_len;
            let mask = &batch.attention_mask[span.clone()];
            batch.input_ids[span].iter().zip(mask).filter(|&(_, &m)| m != 0).map(|(&id, _)| id).collect::<Vec<i64>>()
        });
        Ok(rows.collect())
    }

    pub fn encode(&self, texts: &[String]) -> Result<Batch> {
        let inputs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let encodings = self.inner.encode_batch(inputs, true).map_err(|e| anyhow!("tokenizer: {e}"))?;
        // Real tokens, not padding: the same count whatever the batch's longest text.
        let tokens: usize = encodings.iter().map(|e| e.get_attention_mask().iter().filter(|&&m| m != 0).count()).sum();
        if tokens > self.max_batch_tokens {
            return Err(TooManyTokens { tokens, max: self.max_batch_tokens }.into());
        }
        let seq_len = encodings.first().map_or(0, |e| e.get_ids().len());
        let mut batch = Batch {
            size: encodings.len(),
            seq_len,
            input_ids: Vec::with_capacity(encodings.len() * seq_len),
            attention_mask: Vec::with_capacity(encodings.len() * seq_len),
            token_type_ids: Vec::with_capacity(encodings.len() * seq_len),
        };
        for e in &encodings {
            batch.input_ids.extend(e.get_ids().iter().map(|&v| i64::from(v)));
            batch.attention_mask.extend(e.get_attention_mask().iter().map(|&v| i64::from(v)));
            batch.token_type_ids.extend(e.get_type_ids().iter().map(|&v| i64::from(v)));
        }
        Ok(batch)
    }
}

/// Sentence vectors, row-major `[rows, dim]`.
pub struct Embeddings {
    pub rows: usize,
    pub dim: usize,
    pub data: Vec<f32>,
    /// Real tokens of the batch (no padding), special tokens included: OpenAI's `usage.prompt_tokens`.
    pub tokens: usize,
    /// Time the call waited for a free session or forward slot ([`crate::Pool`]): queue time, not model time.
    pub waited: Duration,
}

impl Embeddings {
    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }
}

/// `hidden`: row-major `[batch.size, batch.seq_len, dim]` token vectors of `batch`, or with
/// `Pooling::None` the model's `[batch.size, dim]` sentence vectors.
pub fn pool(hidden: &[f32], dim: usize, batch: &Batch, pooling: Pooling, normalize: bool) -> Result<Embeddings> {
    let (n, seq) = (batch.size, batch.seq_len);
    let per_row = if pooling == Pooling::None { dim } else { seq * dim };
    if hidden.len() != n * per_row {
        let expected = if pooling == Pooling::None { format!("{n} x {dim}") } else { format!("{n} x {seq} x {dim}") };
        return Err(anyhow!("model output has {} values, expected {expected}", hidden.len()));
    }
    let mut data = vec![0f32; n * dim];
    for b in 0..n {
        let mask = &batch.attention_mask[b * seq..(b + 1) * seq];
        let out = &mut data[b * dim..(b + 1) * dim];
        let token = |t: usize| &hidden[(b * seq + t) * dim..(b * seq + t + 1) * dim];
        match pooling {
            Pooling::Mean => {
                let mut count = 0f32;
                for (t, &m) in mask.iter().enumerate() {
                    if m != 0 {
                        count += 1.0;
                        for (o, &h) in out.iter_mut().zip(token(t)) {
                            *o += h;
                        }
                    }
                }
                let count = count.max(1e-9);
                out.iter_mut().for_each(|o| *o /= count);
            }
            Pooling::Cls => out.copy_from_slice(token(0)),
            Pooling::LastToken => {
                let last = mask.iter().filter(|&&m| m != 0).count().saturating_sub(1);
                out.copy_from_slice(token(last));
            }
            Pooling::None => out.copy_from_slice(&hidden[b * dim..(b + 1) * dim]),
        }
        if normalize {
            let norm = out.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
            out.iter_mut().for_each(|v| *v /= norm);
        }
    }
    let tokens = batch.attention_mask.iter().filter(|&&m| m != 0).count();
    Ok(Embeddings { rows: n, dim, data, tokens, waited: Duration::ZERO })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batch(mask: Vec<i64>, n: usize, seq: usize) -> Batch {
        Batch { size: n, seq_len: seq, input_ids: vec![0; n * seq], attention_mask: mask, token_type_ids: vec![0; n * seq] }
    }

    #[test]
    fn mean_pooling_ignores_padding() {
        // one text of 3 positions, the last one padding
        let hidden = [1.0, 2.0, 3.0, 4.0, 100.0, 100.0];
        let e = pool(&hidden, 2, &batch(vec![1, 1, 0], 1, 3), Pooling::Mean, false).unwrap();
        assert_eq!(e.row(0), &[2.0, 3.0]);
        assert_eq!(e.tokens, 2, "padding is not a token");
    }

    #[test]
    fn cls_and_last_token_pick_the_right_position() {
        let hidden = [1.0, 0.0, 0.0, 2.0, 9.0, 9.0];
        let b = batch(vec![1, 1, 0], 1, 3);
        assert_eq!(pool(&hidden, 2, &b, Pooling::Cls, false).unwrap().row(0), &[1.0, 0.0]);
        assert_eq!(pool(&hidden, 2, &b, Pooling::LastToken, false).unwrap().row(0), &[0.0, 2.0]);
    }

    #[test]
    fn normalisation_gives_unit_length() {
        let e = pool(&[3.0, 4.0], 2, &batch(vec![1], 1, 1), Pooling::Mean, true).unwrap();
        assert_eq!(e.row(0), &[0.6, 0.8]);
    }

    #[test]
    fn none_takes_the_models_sentence_vectors_row_by_row() {
        // two texts of 3 positions; the model already returned one 2-d vector per text
        let b = batch(vec![1, 1, 0, 1, 0, 0], 2, 3);
        let e = pool(&[1.0, 2.0, 3.0, 4.0], 2, &b, Pooling::None, true).unwrap();
        assert_eq!(e.rows, 2);
        assert!((e.row(1)[0] - 0.6).abs() < 1e-6 && (e.row(1)[1] - 0.8).abs() < 1e-6);
        // token vectors where sentence vectors were expected is an error, not a silent misread
        assert!(pool(&[0.0; 12], 2, &b, Pooling::None, false).is_err());
    }

    #[test]
    fn ids_are_the_batch_without_its_padding() {
        // Words on whitespace; "a" has id 0, the padding id: only the attention mask tells them apart.
        let json = r#"{"pre_tokenizer": {"type": "WhitespaceSplit"},
            "model": {"type": "WordLevel", "vocab": {"a": 0, "b": 1, "[UNK]": 2}, "unk_token": "[UNK]"}}"#;
        let path = std::env::temp_dir().join(format!("embedserver-ids-{}.json", std::process::id()));
        std::fs::write(&path, json).unwrap();
        let tokenizer = TextTokenizer::from_file(&path, 3, 100);
        std::fs::remove_file(&path).unwrap();
        let tokenizer = tokenizer.unwrap();
        let texts = ["b a", "a b a b", "", "c"].map(String::from);
        assert_eq!(tokenizer.encode(&texts).unwrap().seq_len, 3, "one batch, padded to its longest text");
        let ids = tokenizer.ids(&texts).unwrap();
        assert_eq!(ids, vec![vec![1, 0], vec![0, 1, 0], vec![], vec![2]], "truncated to 3, no padding");
    }

    #[test]
    fn wrong_output_size_is_an_error() {
        assert!(pool(&[1.0], 2, &batch(vec![1], 1, 1), Pooling::Mean, true).is_err());
    }
}
