// The supervisor's client: JSON-RPC 2.0 over its Unix socket, one object per line. Used by the
// gateway and slicectl. Errors come back as AppError (fromJsonRpcError); a missing socket or a
// refused connection is SUPERVISOR_UNAVAILABLE, a permission problem SUPERVISOR_ACCESS_DENIED.
import net from 'node:net';
import { AppError, fromJsonRpcError, type JsonRpcErrorObject } from '../lib/errors.ts';
import {
  MAX_LINE_BYTES,
  STATE_CHANGED_NOTIFICATION,
  type MethodName,
  type ParamsOf,
  type ResultOf,
  type SliceStateChanged,
} from './protocol.ts';
import { LineSplitter } from './rpc/framing.ts';

export interface SupervisorClientOptions {
  socketPath: string;
  /** Per call; slice.start/stop may take as long as startsecs/stopwaitsecs. Default 60 s. */
  timeoutMs?: number;
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

function connectError(err: NodeJS.ErrnoException, socketPath: string): AppError {
  if (err.code === 'EACCES' || err.code === 'EPERM') {
    return new AppError('SUPERVISOR_ACCESS_DENIED', `access to the supervisor socket ${socketPath} was denied (run as root or a member of its group)`);
  }
  if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED' || err.code === 'ENOTSOCK') {
    return new AppError('SUPERVISOR_UNAVAILABLE', `the supervisor is not running (no socket at ${socketPath})`);
  }
  return new AppError('SUPERVISOR_UNAVAILABLE', `cannot reach the supervisor at ${socketPath}: ${err.code ?? err.message}`);
}

/** One connection with its pending calls and optional notification handler. */
class Connection {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  private closeError: Error | null = null;

  private constructor(
    private readonly socket: net.Socket,
    private readonly socketPath: string,
    private readonly onNotification: ((method: string, params: unknown) => void) | null,
    private readonly onClose: (err: Error) => void,
  ) {
    const splitter = new LineSplitter(MAX_LINE_BYTES * 64);
    socket.on('data', (data: Buffer) => {
      let lines: string[];
      try {
        lines = splitter.push(data);
      } catch (err) {
        this.fail(new AppError('SUPERVISOR_UNAVAILABLE', `bad answer from the supervisor: ${(err as Error).message}`));
        socket.destroy();
        return;
      }
      for (const line of lines) if (line.trim()) this.handleLine(line);
    });
    socket.on('error', (err: NodeJS.ErrnoException) => this.fail(connectError(err, socketPath)));
    socket.on('close', () => this.fail(new AppError('SUPERVISOR_UNAVAILABLE', `the supervisor closed the connection (${socketPath})`)));
  }

  static open(
    socketPath: string,
    onNotification: ((method: string, params: unknown) => void) | null,
    onClose: (err: Error) => void,
  ): Promise<Connection> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection(socketPath);
      const early = (err: NodeJS.ErrnoException) => reject(connectError(err, socketPath));
      socket.once('error', early);
      socket.once('connect', () => {
        socket.off('error', early);
        resolve(new Connection(socket, socketPath, onNotification, onClose));
      });
    });
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  call(method: string, params: unknown, timeoutMs: number): Promise<unknown> {
    if (this.closed) return Promise.reject(this.closeError ?? new AppError('SUPERVISOR_UNAVAILABLE', 'connection closed'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new AppError('SUPERVISOR_UNAVAILABLE', `the supervisor did not answer ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.socket.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    });
  }

  private handleLine(line: string): void {
    let msg: { id?: unknown; method?: string; params?: unknown; result?: unknown; error?: JsonRpcErrorObject };
    try {
      msg = JSON.parse(line);
    } catch {
      return; // a daemon never sends this; ignore rather than kill every pending call
    }
    if (typeof msg.method === 'string' && msg.id === undefined) {
      this.onNotification?.(msg.method, msg.params);
      return;
    }
    const pending = typeof msg.id === 'number' ? this.pending.get(msg.id) : undefined;
    if (!pending) return;
    this.pending.delete(msg.id as number);
    clearTimeout(pending.timer);
    if (msg.error) pending.reject(fromJsonRpcError(msg.error));
    else pending.resolve(msg.result);
  }

  private fail(err: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.closeError = err;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    this.socket.destroy();
    this.onClose(err);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.end();
      setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, 500).unref();
    });
  }
}

export class SupervisorClient {
  private readonly socketPath: string;
  private readonly timeoutMs: number;
  private connection: Promise<Connection> | null = null;
  private readonly subscriptions = new Set<Connection>();

  constructor(opts: SupervisorClientOptions) {
    this.socketPath = opts.socketPath;
    this.timeoutMs = opts.timeoutMs ?? 60_000;
  }

  /** Calls share one connection, opened on first use and again after it drops. */
  private connect(): Promise<Connection> {
    if (!this.connection) {
      const opening = Connection.open(this.socketPath, null, () => {
        if (this.connection === opening) this.connection = null;
      });
      this.connection = opening;
      opening.catch(() => {
        if (this.connection === opening) this.connection = null;
      });
    }
    return this.connection;
  }

  async call<M extends MethodName>(method: M, params: ParamsOf<M>): Promise<ResultOf<M>> {
    const conn = await this.connect();
    return (await conn.call(method, params, this.timeoutMs)) as ResultOf<M>;
  }

  /** slice.stateChanged notifications on a connection of their own (events.subscribe). */
  async subscribe(onEvent: (e: SliceStateChanged) => void, onError?: (e: Error) => void): Promise<{ close(): void }> {
    let closedByUs = false;
    const conn = await Connection.open(
      this.socketPath,
      (method, params) => {
        if (method === STATE_CHANGED_NOTIFICATION) onEvent(params as SliceStateChanged);
      },
      (err) => {
        this.subscriptions.delete(conn);
        if (!closedByUs) onError?.(err);
      },
    );
    this.subscriptions.add(conn);
    try {
      await conn.call('events.subscribe', {}, this.timeoutMs);
    } catch (err) {
      closedByUs = true;
      await conn.close();
      throw err;
    }
    return {
      close: () => {
        closedByUs = true;
        this.subscriptions.delete(conn);
        void conn.close();
      },
    };
  }

  async close(): Promise<void> {
    const closing: Promise<void>[] = [];
    if (this.connection) {
      const c = this.connection;
      this.connection = null;
      closing.push(c.then((conn) => conn.close()).catch(() => {}));
    }
    for (const conn of this.subscriptions) closing.push(conn.close());
    this.subscriptions.clear();
    await Promise.all(closing);
  }
}
