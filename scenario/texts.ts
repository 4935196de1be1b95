// Deterministic benchmark texts: every framework, every run, sees the same inputs in the same order.
// Pure (no k6 imports) so the same code is unit-tested under Node and bundled into the k6 script.
import { mulberry32 } from "./random.ts";

const WORDS = (
  "the a search engine ranks documents by meaning rather than exact words so that a question about " +
  "cheap flights finds pages on low cost airlines model vector embedding index query passage answer " +
  "retrieval semantic similarity cosine distance nearest neighbour cluster topic language sentence " +
  "paragraph summary review product customer support ticket invoice contract policy medical legal " +
  "financial report weather travel hotel recipe kitchen garden music film history science physics " +
  "chemistry biology computer network server latency throughput memory processor cache storage " +
  "database table column record field value number date time city country river mountain ocean " +
  "forest animal bird fish tree flower color light sound energy water fire earth air bridge road " +
  "train car bicycle airport station market price discount order delivery payment account password " +
  "security privacy update release version feature bug fix test build deploy monitor alert dashboard"
).split(" ");

/**
 * `count` sentences of `wordsPerText` words (roughly 1.3 BERT tokens per word for this vocabulary),
 * identical for a given seed.
 */
export function generateTexts(count: number, wordsPerText: number, seed = 42): string[] {
  if (!Number.isInteger(count) || count <= 0) throw new Error(`count must be a positive integer, got ${count}`);
  if (!Number.isInteger(wordsPerText) || wordsPerText <= 0) {
    throw new Error(`wordsPerText must be a positive integer, got ${wordsPerText}`);
  }
  const rand = mulberry32(seed);
  const texts: string[] = [];
  for (let i = 0; i < count; i++) {
    const words: string[] = [];
    for (let w = 0; w < wordsPerText; w++) words.push(WORDS[Math.floor(rand() * WORDS.length)]!);
    const sentence = words.join(" ");
    texts.push(`${sentence.charAt(0).toUpperCase() + sentence.slice(1)}.`);
  }
  return texts;
}

/**
 * Texts of the request made by virtual user `vu` (1-based) on its iteration `iter` (0-based).
 * VUs start at different offsets and step through the pool, so concurrent requests differ and the
 * order is reproducible.
 */
export function pickBatch(pool: readonly string[], vu: number, iter: number, batchSize: number): string[] {
  if (pool.length === 0) throw new Error("text pool is empty");
  const start = ((vu - 1) * 7919 + iter * batchSize) % pool.length;
  const batch: string[] = [];
  for (let i = 0; i < batchSize; i++) batch.push(pool[(start + i) % pool.length]!);
  return batch;
}
