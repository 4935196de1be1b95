// The engine's HTTP/1.1 client against local TCP servers that frame answers every way HTTP/1.1
// allows, split them at every byte, close connections at awkward moments, or never answer.
import assert from "node:assert/strict";
import net from "node:net";
import { after, test } from "node:test";
import { Http1Client, RequestFailure } from "./http1.ts";

interface Received {
  connection: number;
  /** The request's number on its connection, from 0. */
  onConnection: number;
  head: string;
  body: string;
}

/** A TCP server that reads whole requests (Content-Length framed) and lets `answer` write anything back. */
async function rawServer(answer: (socket: net.Socket, r: Received) => void): Promise<{ url: URL; connections: () => number; close(): void }> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    const connection = connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let buf = Buffer.alloc(0);
    let onConnection = 0;
    socket.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const head = buf.toString("latin1", 0, end);
        const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buf.length < end + 4 + length) return;
        const body = buf.toString("utf8", end + 4, end + 4 + length);
        buf = buf.subarray(end + 4 + length);
        answer(socket, { connection, onConnection: onConnection++, head, body });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = new URL(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
  const close = () => {
    for (const s of sockets) s.destroy();
    server.close();
  };
  after(close);
  return { url, connections: () => connections, close };
}

const ok = (body: string, extra = "") =>
  `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const failureKind = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return "answered";
  } catch (err) {
    assert.ok(err instanceof RequestFailure, String(err));
    return err.kind;
  }
};
const json = (s: string) => Buffer.from(s);

test("Content-Length answers over one keep-alive connection; the request is the body POSTed with its length", async () => {
  const seen: Received[] = [];
  const srv = await rawServer((socket, r) => {
    seen.push(r);
    socket.write(ok(`{"n":${r.onConnection}}`, "X-Inference-Time: 2.5\r\n"));
  });
  const client = new Http1Client(srv.url, { connections: 1, timeoutMs: 5000 });
  for (let i = 0; i < 5; i++) {
    const a = await client.post("/embed", json('{"texts":["é"]}'));
    assert.deepEqual([a.status, a.text, a.bytes, a.headers["x-inference-time"], a.headers["content-type"]], [200, `{"n":${i}}`, 7, "2.5", "application/json"]);
  }
  client.destroy();
  assert.equal(srv.connections(), 1);
  assert.match(seen[0]!.head, /^POST \/embed HTTP\/1\.1\r\n/);
  assert.match(seen[0]!.head, /\r\nContent-Length: 16(\r\n|$)/);
  assert.equal(seen[0]!.body, '{"texts":["é"]}');
});

test("chunked answers with extensions and trailers, every byte in its own write, and a character split across chunks", async () => {
  const body = '{"model":"é漢","embeddings":[[0.5]]}';
  const bytes = Buffer.from(body);
  // The 2-byte é is cut in the middle by the chunk boundary.
  const cut = bytes.indexOf(0xc3) + 1;
  const wire = Buffer.concat([
    Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
    Buffer.from(`${cut.toString(16)};ext=1\r\n`),
    bytes.subarray(0, cut),
    Buffer.from(`\r\n${(bytes.length - cut).toString(16)}\r\n`),
    bytes.subarray(cut),
    Buffer.from("\r\n0\r\nX-Trailer: 1\r\n\r\n"),
  ]);
  const srv = await rawServer((socket) => {
    for (let i = 0; i < wire.length; i++) socket.write(wire.subarray(i, i + 1));
  });
  const client = new Http1Client(srv.url, { connections: 1, timeoutMs: 5000 });
  for (let i = 0; i < 2; i++) {
    const a = await client.post("/embed", json("{}"));
    assert.deepEqual([a.status, a.text, a.bytes], [200, body, bytes.length]);
  }
  client.destroy();
  assert.equal(srv.connections(), 1, "the connection is kept after a chunked answer");
});

test("an answer framed by the connection's close, and Connection: close, end the connection; the next request opens another", async () => {
  const srv = await rawServer((socket, r) => {
    if (r.connection % 2 === 0) socket.end("HTTP/1.1 503 Busy\r\nContent-Type: application/json\r\n\r\n" + '{"error":"busy"}');
    else socket.write(ok('{"ok":1}', "Connection: close\r\n"));
  });
  const client = new Http1Client(srv.url, { connections: 1, timeoutMs: 5000 });
  const a = await client.post("/x", json("{}"));
  assert.deepEqual([a.status, a.text], [503, '{"error":"busy"}']);
  const b = await client.post("/x", json("{}"));
  assert.deepEqual([b.status, b.text], [200, '{"ok":1}']);
  const c = await client.post("/x", json("{}"));
  assert.equal(c.status, 503);
  client.destroy();
  assert.equal(srv.connections(), 3);
});

test("a reused connection the server closes before answering is retried once on a new one; a close mid-answer is a reset", async () => {
  const srv = await rawServer((socket, r) => {
    if (r.onConnection === 1)
      socket.destroy(); // a keep-alive timeout racing the next request
    else if (r.connection === 2 && r.onConnection === 0) socket.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"trunc');
    else socket.write(ok('{"ok":1}'));
  });
  const client = new Http1Client(srv.url, { connections: 1, timeoutMs: 5000 });
  assert.equal((await client.post("/x", json("{}"))).status, 200);
  assert.equal((await client.post("/x", json("{}"))).status, 200, "retried on a new connection");
  assert.equal(srv.connections(), 2);
  // Connection 1 drops its second request; the retry lands on connection 2, which cuts its answer
  // short: some of the answer came, so it is not sent a third time.
  assert.equal(await failureKind(client.post("/x", json("{}"))), "connection reset");
  assert.equal(srv.connections(), 3);
  assert.equal((await client.post("/x", json("{}"))).status, 200);
  client.destroy();
});

test("no answer in time is a timeout; a closed port is refused; garbage is an invalid response", async () => {
  const silent = await rawServer(() => {});
  const client = new Http1Client(silent.url, { connections: 1, timeoutMs: 200 });
  const t0 = performance.now();
  assert.equal(await failureKind(client.post("/x", json("{}"))), "timeout");
  assert.ok(performance.now() - t0 >= 190);
  client.destroy();

  const gone = await rawServer(() => {});
  gone.close();
  const refused = new Http1Client(gone.url, { connections: 1, timeoutMs: 2000 });
  assert.equal(await failureKind(refused.post("/x", json("{}"))), "connection refused");

  const garbage = await rawServer((socket) => socket.write("SSH-2.0-OpenSSH\r\n\r\n"));
  const confused = new Http1Client(garbage.url, { connections: 1, timeoutMs: 2000 });
  assert.equal(await failureKind(confused.post("/x", json("{}"))), "invalid response");
});

test("at most `connections` are open; further requests wait for one; destroy fails what is in flight", async () => {
  let open = 0;
  let most = 0;
  const held: net.Socket[] = [];
  const srv = await rawServer((socket, r) => {
    if (r.onConnection === 0) {
      open++;
      most = Math.max(most, open);
      socket.on("close", () => open--);
    }
    setTimeout(() => socket.write(ok("{}")), 20);
    held.push(socket);
  });
  const client = new Http1Client(srv.url, { connections: 2, timeoutMs: 5000 });
  const answers = await Promise.all(Array.from({ length: 6 }, () => client.post("/x", json("{}"))));
  assert.ok(answers.every((a) => a.status === 200));
  assert.equal(most, 2);
  assert.equal(srv.connections(), 2);

  const stuck = await rawServer(() => {});
  const stopped = new Http1Client(stuck.url, { connections: 1, timeoutMs: 5000 });
  const inFlight = [stopped.post("/x", json("{}")), stopped.post("/x", json("{}"))];
  await new Promise((r) => setTimeout(r, 50));
  stopped.destroy();
  assert.deepEqual(await Promise.all(inFlight.map(failureKind)), ["connection reset", "connection reset"]);
  client.destroy();
});
