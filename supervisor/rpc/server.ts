// JSON-RPC 2.0 over a Unix socket, one object per line. Framing and protocol errors are answered
// here (and only the offending connection suffers); method params are checked against the
// method's TypeBox schema before any handler runs. An argument error naming a field, the schema's
// or a handler's (an id beyond MAX_SLICES), is answered as invalid params (-32602).
//
// Batches (a JSON array of requests) are handled as the spec says: one array of answers for the
// requests that carry an id, nothing at all when every member is a notification; an empty array
// is -32600.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { AppError, JSON_RPC, toAppError, toJsonRpcError } from '../../lib/errors.ts';
import type { Logger } from '../../lib/logger.ts';
import { MAX_LINE_BYTES, METHODS, STATE_CHANGED_NOTIFICATION, type JsonRpcId, type JsonRpcResponse, type MethodName, type SliceStateChanged } from '../protocol.ts';
import { LineSplitter, LineTooLongError } from './framing.ts';

export interface RpcConnection {
  subscribed: boolean;
}

export type Handler = (params: any, conn: RpcConnection) => Promise<unknown>;
export type Handlers = Record<MethodName, Handler>;

export interface RpcServerOptions {
  socketPath: string;
  handlers: Handlers;
  log: Logger;
}

/** A subscriber that reads nothing gets cut off rather than grow our memory. */
const MAX_PENDING_WRITE = 8 * 1024 * 1024;

class Conn implements RpcConnection {
  subscribed = false;
  constructor(readonly socket: net.Socket) {}
  send(msg: unknown): void {
    if (this.socket.destroyed || !this.socket.writable) return;
    if (this.socket.writableLength > MAX_PENDING_WRITE) {
      this.socket.destroy();
      return;
    }
    this.socket.write(JSON.stringify(msg) + '\n');
  }
}

function failure(id: JsonRpcId, code: number, message: string, data?: unknown): JsonRpcResponse {
  return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } };
}

function invalidParams(message: string, field: string): AppError {
  return new AppError('INVALID_ARGUMENT', message, { details: { field } });
}

/** The field a params error names, or undefined for any other error. */
function paramsField(err: AppError): string | undefined {
  const field = err.details?.field;
  return err.code === 'INVALID_ARGUMENT' && typeof field === 'string' ? field : undefined;
}

/** The first schema problem of params, naming the field. */
function checkParams(method: MethodName, params: unknown): void {
  const schema = METHODS[method].params;
  const first = Value.Errors(schema, params).First();
  if (first) {
    const field = first.path.replace(/^\//, '').replace(/\//g, '.') || 'params';
    throw invalidParams(`${field}: ${first.message.toLowerCase()}`, field);
  }
}

export class RpcServer {
  private readonly server: net.Server;
  private readonly conns = new Set<Conn>();
  private closing = false;

  constructor(private readonly opts: RpcServerOptions) {
    this.server = net.createServer((socket) => this.accept(socket));
    this.server.maxConnections = 1000;
  }

  async listen(): Promise<void> {
    const { socketPath } = this.opts;
    const dir = path.dirname(socketPath);
    if (!fs.existsSync(dir)) fs.mkdirSync(dir, { recursive: true, mode: 0o750 });
    if (fs.existsSync(socketPath)) {
      if (await answers(socketPath)) {
        throw new AppError('FAILED_PRECONDITION', `another supervisor already listens on ${socketPath}`);
      }
      fs.rmSync(socketPath, { force: true }); // stale socket from a daemon that died
    }
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      // Created 0600 (umask) and opened up to the group right after: never world-accessible.
      const old = process.umask(0o177);
      this.server.listen(socketPath, () => {
        process.umask(old);
        this.server.off('error', reject);
        resolve();
      });
    });
    fs.chmodSync(socketPath, 0o660);
  }

  private accept(socket: net.Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    const conn = new Conn(socket);
    this.conns.add(conn);
    const splitter = new LineSplitter(MAX_LINE_BYTES);
    socket.on('data', (data: Buffer) => {
      let lines: string[];
      try {
        lines = splitter.push(data);
      } catch (err) {
        if (err instanceof LineTooLongError) {
          // The rest of the line cannot be framed: answer once, then close this connection only.
          conn.send(failure(null, JSON_RPC.INVALID_REQUEST, `request line longer than ${MAX_LINE_BYTES} bytes; closing the connection`));
          socket.end();
          socket.pause();
          setTimeout(() => socket.destroy(), 1000).unref();
          return;
        }
        throw err;
      }
      for (const line of lines) void this.handleLine(conn, line);
    });
    // A client that hangs up mid-line: its partial line is simply dropped with the connection.
    socket.on('error', () => {});
    socket.on('close', () => this.conns.delete(conn));
  }

  private async handleLine(conn: Conn, line: string): Promise<void> {
    if (line.trim() === '') return;
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      conn.send(failure(null, JSON_RPC.PARSE_ERROR, 'parse error: the line is not valid JSON'));
      return;
    }
    if (Array.isArray(msg)) {
      if (msg.length === 0) {
        conn.send(failure(null, JSON_RPC.INVALID_REQUEST, 'invalid request: empty batch'));
        return;
      }
      const answers = (await Promise.all(msg.map((m) => this.handleRequest(conn, m)))).filter((a): a is JsonRpcResponse => a !== null);
      if (answers.length > 0) conn.send(answers);
      return;
    }
    const answer = await this.handleRequest(conn, msg);
    if (answer) conn.send(answer);
  }

  /** One request object → its answer, or null for a notification. */
  private async handleRequest(conn: Conn, msg: unknown): Promise<JsonRpcResponse | null> {
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      return failure(null, JSON_RPC.INVALID_REQUEST, 'invalid request: expected a JSON-RPC request object');
    }
    const req = msg as Record<string, unknown>;
    const rawId = req.id;
    const idOk = rawId === undefined || rawId === null || typeof rawId === 'string' || (typeof rawId === 'number' && Number.isFinite(rawId));
    const id: JsonRpcId = idOk && rawId !== undefined ? (rawId as JsonRpcId) : null;
    if (req.jsonrpc !== '2.0') return failure(id, JSON_RPC.INVALID_REQUEST, 'invalid request: jsonrpc must be "2.0"');
    if (!idOk) return failure(null, JSON_RPC.INVALID_REQUEST, 'invalid request: id must be a string, a number or null');
    if (typeof req.method !== 'string') return failure(id, JSON_RPC.INVALID_REQUEST, 'invalid request: method must be a string');
    const isNotification = rawId === undefined;
    const method = req.method;
    if (!Object.hasOwn(METHODS, method)) {
      return isNotification ? null : failure(id, JSON_RPC.METHOD_NOT_FOUND, `method not found: ${method}`);
    }
    const name = method as MethodName;
    const params = req.params === undefined ? {} : req.params;
    try {
      if (typeof params !== 'object' || params === null || Array.isArray(params)) {
        throw invalidParams('params must be an object (by-name parameters)', 'params');
      }
      checkParams(name, params);
      const result = await this.opts.handlers[name](params, conn);
      return isNotification ? null : { jsonrpc: '2.0', id, result };
    } catch (err) {
      if (isNotification) return null;
      const app = toAppError(err);
      const field = paramsField(app);
      if (field !== undefined) {
        return failure(id, JSON_RPC.INVALID_PARAMS, `invalid params for ${name}: ${app.message}`, { kind: app.kind, code: app.code, field });
      }
      if (app.kind === 'Internal') this.opts.log.error({ method: name, err: app.cause ?? app }, 'method failed');
      return { jsonrpc: '2.0', id, error: toJsonRpcError(app) };
    }
  }

  /** slice.stateChanged to every subscribed connection. */
  broadcast(change: SliceStateChanged): void {
    const note = { jsonrpc: '2.0', method: STATE_CHANGED_NOTIFICATION, params: change };
    for (const conn of this.conns) if (conn.subscribed) conn.send(note);
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  /** Stop accepting, close every client, remove the socket file. */
  async close(): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const conn of this.conns) conn.socket.destroy();
    await closed;
    fs.rmSync(this.opts.socketPath, { force: true });
  }
}

function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createConnection(socketPath);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
