// The load loops' HTTP/1.1 client: a keep-alive connection per request in flight, POST only,
// answers framed by Content-Length, chunked transfer coding or the connection's close, read through
// net's `onread` into one reused buffer per connection (no Readable stream per answer).
//
// Why not undici, the suite's first choice for HTTP: on the 2-vCPU VM of docs/measurements, its
// per-request path (llhttp in WebAssembly, its dispatcher layers, and a setImmediate before each
// write on a reused socket) added about 0.5 ms to every request's turnaround. At one connection
// against a server answering in 7–10 ms that is 9–14 % less closed-loop QPS than wrk, outside the
// repeats' spread; this client stays within it
// (docs/measurements/2026-12-07-epyc-2vcpu-engine-client.md). It does no more than the load needs:
// no redirects, no compression, no pipelining, no TLS.
import net from "node:net";

/** An answer as the checks read it: status, headers (names lower-cased, first value), the body as text and its size in bytes. */
export interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
  bytes: number;
}

/** Why a request got no answer, as the level counts it. */
export type FailureKind = "timeout" | "connection refused" | "connection reset" | "invalid response";

export class RequestFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message);
  }
}

export interface ClientOptions {
  /** The most connections open at once; requests beyond them wait for one. */
  connections: number;
  /** A request's whole time, connecting included (k6's `timeout`). */
  timeoutMs: number;
}

const CRLF = Buffer.from("\r\n");
const HEAD_END = Buffer.from("\r\n\r\n");
/** An answer's head larger than this is not HTTP this client will wait for. */
const MAX_HEAD_BYTES = 64 * 1024;
const READ_BUFFER_BYTES = 64 * 1024;

interface Exchange {
  request: Buffer;
  resolve(answer: Answer): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
  /** May go again on a new connection: the reused one closed before any byte of the answer. */
  retryable: boolean;
}

type Framing = { kind: "length"; remaining: number } | { kind: "chunked"; size: number | null; trailer: boolean } | { kind: "close" };

/** One connection: at most one exchange at a time, its answer parsed as bytes arrive. */
class Connection {
  readonly socket: net.Socket;
  exchange: Exchange | null = null;
  /** Has answered before: a close before any byte of the next answer may be a keep-alive timeout. */
  reused = false;
  closed = false;
  private pending: Buffer | null = null;
  private status = 0;
  private headers: Record<string, string> = {};
  private keepAlive = true;
  private framing: Framing | null = null;
  private body: Buffer[] = [];
  private bodyBytes = 0;
  private received = 0;

  constructor(
    host: string,
    port: number,
    private readonly events: { onAnswer(c: Connection, a: Answer, keepAlive: boolean): void; onLost(c: Connection, x: Exchange | null, err: Error): void },
  ) {
    this.socket = net.connect({
      host,
      port,
      noDelay: true,
      onread: { buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES), callback: (n, buf) => this.read(Buffer.from(buf.buffer, buf.byteOffset, n)) },
    });
    this.socket.on("error", (err: NodeJS.ErrnoException) => this.lose(socketFailure(err)));
    this.socket.on("end", () => this.ended());
    this.socket.on("close", () => this.lose(new RequestFailure("connection reset", "the server closed the connection before the answer was complete")));
  }

  send(x: Exchange): void {
    this.exchange = x;
    this.received = 0;
    this.socket.write(x.request);
  }

  /** The bytes are the reused read buffer's: kept only as a copy. */
  private read(chunk: Buffer): boolean {
    if (this.exchange === null) {
      this.socket.destroy();
      return false;
    }
    this.received += chunk.length;
    this.pending = this.pending === null ? Buffer.from(chunk) : Buffer.concat([this.pending, chunk]);
    try {
      this.parse();
    } catch (err) {
      this.socket.destroy();
      this.lose(err as Error);
    }
    return true;
  }

  private parse(): void {
    while (this.pending !== null && this.exchange !== null) {
      if (this.framing === null) {
        if (!this.parseHead()) return;
      } else if (!this.parseBody()) return;
    }
  }

  /** Reads the status line and headers once they have all arrived; false while they have not. */
  private parseHead(): boolean {
    const buf = this.pending!;
    const end = buf.indexOf(HEAD_END);
    if (end < 0) {
      if (buf.length > MAX_HEAD_BYTES) throw new RequestFailure("invalid response", `no end of the answer's head in ${buf.length} bytes`);
      return false;
    }
    const lines = buf.toString("latin1", 0, end).split("\r\n");
    const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0]!);
    if (!m) throw new RequestFailure("invalid response", `not an HTTP/1.x status line: ${JSON.stringify(lines[0]!.slice(0, 80))}`);
    this.take(end + HEAD_END.length);
    const status = Number(m[2]);
    // 1xx interim answers (100 Continue) come before the real one.
    if (status >= 100 && status < 200) return true;
    const headers: Record<string, string> = {};
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(":");
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      if (headers[name] === undefined) headers[name] = line.slice(colon + 1).trim();
    }
    const connection = (headers["connection"] ?? "").toLowerCase();
    this.status = status;
    this.headers = headers;
    this.keepAlive = m[1] === "1" ? !connection.includes("close") : connection.includes("keep-alive");
    this.framing = framingOf(status, headers);
    if (this.framing.kind === "close") this.keepAlive = false;
    if (this.framing.kind === "length" && this.framing.remaining === 0) this.finish();
    return true;
  }

  /** Takes what the framing allows of the pending bytes; false when it needs more. */
  private parseBody(): boolean {
    const f = this.framing!;
    const buf = this.pending!;
    if (f.kind === "close") {
      this.keep(buf, buf.length);
      return false;
    }
    if (f.kind === "length") {
      const n = Math.min(f.remaining, buf.length);
      this.keep(buf, n);
      f.remaining -= n;
      if (f.remaining === 0) this.finish();
      return this.pending !== null;
    }
    if (f.size === null) {
      const eol = buf.indexOf(CRLF);
      if (eol < 0) return false;
      const line = buf.toString("latin1", 0, eol);
      this.take(eol + 2);
      if (f.trailer) {
        // Trailer fields are skipped; the empty line ends the answer.
        if (line === "") this.finish();
        return this.pending !== null;
      }
      const size = Number.parseInt(line.split(";")[0]!.trim(), 16);
      if (!Number.isFinite(size) || size < 0) throw new RequestFailure("invalid response", `bad chunk size ${JSON.stringify(line.slice(0, 40))}`);
      if (size === 0) f.trailer = true;
      else f.size = size;
      return this.pending !== null;
    }
    if (buf.length < f.size + 2) return false;
    this.keep(buf, f.size);
    f.size = null;
    this.take(2);
    return this.pending !== null;
  }

  /** Keeps the first `n` pending bytes as body, and consumes them. */
  private keep(buf: Buffer, n: number): void {
    if (n === 0) return;
    this.body.push(buf.subarray(0, n));
    this.bodyBytes += n;
    this.take(n);
  }

  private take(n: number): void {
    const buf = this.pending!;
    this.pending = n >= buf.length ? null : buf.subarray(n);
  }

  private finish(): void {
    const text = this.body.length === 1 ? this.body[0]!.toString("utf8") : Buffer.concat(this.body, this.bodyBytes).toString("utf8");
    const answer: Answer = { status: this.status, headers: this.headers, text, bytes: this.bodyBytes };
    // Bytes after a whole answer, with no request sent: not a connection this client can reuse.
    const keepAlive = this.keepAlive && this.pending === null;
    this.pending = null;
    this.framing = null;
    this.body = [];
    this.bodyBytes = 0;
    this.reused = true;
    this.events.onAnswer(this, answer, keepAlive);
  }

  /** The server's end of stream: the end of a close-framed answer, else a lost exchange. */
  private ended(): void {
    if (this.exchange !== null && this.framing?.kind === "close") {
      this.keepAlive = false;
      this.finish();
    }
  }

  private lose(err: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    const x = this.exchange;
    this.exchange = null;
    if (x !== null) x.retryable = x.retryable && this.reused && this.received === 0;
    this.events.onLost(this, x, err);
  }
}

function framingOf(status: number, headers: Record<string, string>): Framing {
  if (status === 204 || status === 304) return { kind: "length", remaining: 0 };
  if ((headers["transfer-encoding"] ?? "").toLowerCase().includes("chunked")) return { kind: "chunked", size: null, trailer: false };
  const length = headers["content-length"];
  if (length === undefined) return { kind: "close" };
  const n = Number(length);
  if (!Number.isInteger(n) || n < 0) throw new RequestFailure("invalid response", `bad Content-Length ${JSON.stringify(length)}`);
  return { kind: "length", remaining: n };
}

function socketFailure(err: NodeJS.ErrnoException): RequestFailure {
  if (err.code === "ECONNREFUSED") return new RequestFailure("connection refused", err.message);
  if (err.code === "ECONNRESET" || err.code === "EPIPE") return new RequestFailure("connection reset", err.message);
  return new RequestFailure("connection reset", err.message);
}

/** A keep-alive pool of connections to one origin, for POSTs of JSON. */
export class Http1Client {
  private readonly host: string;
  private readonly port: number;
  private readonly hostHeader: string;
  private readonly idle: Connection[] = [];
  private readonly open = new Set<Connection>();
  private readonly waiting: Exchange[] = [];
  private destroyed = false;

  constructor(
    origin: URL,
    private readonly options: ClientOptions,
  ) {
    if (origin.protocol !== "http:") throw new Error(`the embedded engine speaks plain HTTP only, not ${origin.protocol}`);
    this.host = origin.hostname.replace(/^\[|\]$/g, "");
    this.port = Number(origin.port || 80);
    this.hostHeader = origin.host;
  }

  /** POSTs `body` (JSON) to `path`; resolves with the whole answer, rejects with a RequestFailure. */
  post(path: string, body: Buffer): Promise<Answer> {
    const head = `POST ${path} HTTP/1.1\r\nHost: ${this.hostHeader}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const request = Buffer.concat([Buffer.from(head, "latin1"), body]);
    return new Promise<Answer>((resolve, reject) => {
      const x: Exchange = { request, resolve, reject, retryable: true, timer: setTimeout(() => this.expire(x), this.options.timeoutMs) };
      this.dispatch(x);
    });
  }

  /** Closes every connection; requests still in flight fail. */
  destroy(): void {
    this.destroyed = true;
    for (const x of this.waiting.splice(0)) this.fail(x, new RequestFailure("connection reset", "the client was closed"));
    for (const c of [...this.open]) c.socket.destroy();
  }

  private dispatch(x: Exchange): void {
    if (this.destroyed) {
      this.fail(x, new RequestFailure("connection reset", "the client was closed"));
      return;
    }
    let c = this.idle.pop();
    while (c?.closed) c = this.idle.pop();
    if (c === undefined) {
      if (this.open.size >= this.options.connections) {
        this.waiting.push(x);
        return;
      }
      c = new Connection(this.host, this.port, {
        onAnswer: (conn, answer, keepAlive) => this.answered(conn, answer, keepAlive),
        onLost: (conn, lost, err) => this.lost(conn, lost, err),
      });
      this.open.add(c);
    }
    c.send(x);
  }

  private answered(c: Connection, answer: Answer, keepAlive: boolean): void {
    const x = c.exchange!;
    c.exchange = null;
    clearTimeout(x.timer);
    if (keepAlive) this.release(c);
    else c.socket.destroy();
    x.resolve(answer);
  }

  /** A free connection takes the next waiting request, or waits for one. */
  private release(c: Connection): void {
    const next = this.waiting.shift();
    if (next !== undefined) c.send(next);
    else this.idle.push(c);
  }

  private lost(c: Connection, x: Exchange | null, err: Error): void {
    this.open.delete(c);
    const i = this.idle.indexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
    if (x !== null) {
      // A keep-alive connection the server closed just as it was reused: the request never
      // reached it, so it goes once more on a new connection.
      if (x.retryable && !this.destroyed) {
        x.retryable = false;
        this.dispatch(x);
      } else this.fail(x, err);
    }
    const next = this.waiting.shift();
    if (next !== undefined) this.dispatch(next);
  }

  private expire(x: Exchange): void {
    const w = this.waiting.indexOf(x);
    if (w >= 0) this.waiting.splice(w, 1);
    for (const c of this.open) {
      if (c.exchange === x) {
        c.exchange = null;
        c.socket.destroy();
      }
    }
    x.reject(new RequestFailure("timeout", `no whole answer within ${this.options.timeoutMs} ms`));
  }

  private fail(x: Exchange, err: Error): void {
    clearTimeout(x.timer);
    x.reject(err);
  }
}
