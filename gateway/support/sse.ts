// Server-sent events, both ways: a parser for the slices' streams (the WHATWG rules: fields
// id/event/data/retry, blank line dispatches, comments ignored), and the formatter and the
// fan-out's socket writer for ours.
import http from 'node:http';

export interface SseEvent {
  id: string | null;
  event: string;
  data: string;
}

/** Feeds chunks of text, calls onEvent per complete event. Keeps the unfinished tail between calls. */
export class SseParser {
  private buffer = '';
  private id: string | null = null;
  private event = '';
  private data: string[] = [];

  constructor(private readonly onEvent: (event: SseEvent) => void) {}

  push(chunk: string): void {
    this.buffer += chunk;
    let start = 0;
    for (;;) {
      const nl = this.buffer.indexOf('\n', start);
      if (nl < 0) break;
      let line = this.buffer.slice(start, nl);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      start = nl + 1;
      this.line(line);
    }
    this.buffer = this.buffer.slice(start);
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0) {
        this.onEvent({ id: this.id, event: this.event || 'message', data: this.data.join('\n') });
      }
      this.event = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
  }
}

export interface SocketWire {
  /** the event as one HTTP/1.1 chunk: size, CRLF, bytes, CRLF */
  chunked: Buffer;
  /** the bytes alone, for a response that is not chunked (HTTP/1.0) */
  plain: Buffer;
}

export function encodeForSockets(text: string): SocketWire {
  const plain = Buffer.from(text);
  return { plain, chunked: Buffer.concat([Buffer.from(`${plain.length.toString(16)}\r\n`), plain, Buffer.from('\r\n')]) };
}

/**
 * The fan-out's write: one event, already framed, straight onto each stream's socket. Through
 * ServerResponse.write every stream would cork its socket, queue a tick to uncork it and write
 * four buffers (size, CRLF, bytes, CRLF); here it is one buffer in one write, shared by all.
 * The socket keeps the order with anything ServerResponse wrote before (the head, heartbeats), and
 * res.end() still ends the chunked body.
 */
export function writeFramed(res: http.ServerResponse, wire: SocketWire, maxPendingBytes: number): void {
  const socket = res.socket;
  if (!socket || res.writableEnded || res.destroyed || socket.destroyed) return;
  // A client this far behind is dropped (it reconnects and resumes).
  if (socket.writableLength + res.writableLength > maxPendingBytes) {
    res.destroy();
    return;
  }
  socket.write(res.chunkedEncoding ? wire.chunked : wire.plain);
}

/** One event in wire form. Data may hold newlines; each line gets its own data: field. */
export function formatSse(event: { id?: string | null; event: string; data: string }): string {
  let out = '';
  if (event.id) out += `id: ${event.id}\n`;
  out += `event: ${event.event}\n`;
  for (const line of event.data.split('\n')) out += `data: ${line}\n`;
  return out + '\n';
}

export interface UpstreamTarget {
  url: string;
  headers: Record<string, string>;
}

export interface SseUpstreamOptions {
  /** Called before every (re)connection: the slice's address or token may have changed. Null: wait and retry. */
  target: () => Promise<UpstreamTarget | null>;
  lastEventId?: string | null;
  onEvent: (event: SseEvent) => void;
  onStatus?: (status: 'open' | 'closed', detail: string) => void;
  /**
   * The upstream refused the Last-Event-ID sent (a 4xx other than auth/rate answers): the id is
   * dropped and the stream goes on live from now, so the owner must tell its readers they lost
   * their place.
   */
  onResumeRefused?: (status: number) => void;
  minDelayMs?: number;
  /** the longest wait after a dropped connection or a 5xx (the slice restarting) */
  maxDelayMs?: number;
  /** the longest wait after a 4xx answer: a refusal that will not go away by itself soon */
  maxRefusedDelayMs?: number;
}

/** 4xx answers that say nothing about the resume id. */
const NOT_ABOUT_THE_ID = new Set([401, 403, 407, 408, 429]);

/** Half the delay fixed, half random: readers refused together do not come back together. */
export function jittered(delayMs: number, random: () => number = Math.random): number {
  return Math.round(delayMs / 2 + random() * (delayMs / 2));
}

/**
 * A long-lived reader of one upstream SSE stream that reconnects for ever (with a growing,
 * jittered delay, reset once a connection delivered something) and resumes with Last-Event-ID.
 */
export class SseUpstream {
  lastEventId: string | null;
  private request: http.ClientRequest | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private delay: number;
  private readonly minDelay: number;
  private readonly maxDelay: number;
  private readonly maxRefusedDelay: number;

  constructor(private readonly options: SseUpstreamOptions) {
    this.lastEventId = options.lastEventId ?? null;
    this.minDelay = options.minDelayMs ?? 200;
    this.maxDelay = options.maxDelayMs ?? 3_000;
    this.maxRefusedDelay = Math.max(this.maxDelay, options.maxRefusedDelayMs ?? 60_000);
    this.delay = this.minDelay;
    void this.connect();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.request?.destroy();
    this.request = null;
  }

  /** Drop the current connection and reconnect now (the slice was restarted). */
  reconnectNow(): void {
    if (this.closed) return;
    this.request?.destroy();
    this.request = null;
    if (this.timer) clearTimeout(this.timer);
    this.delay = this.minDelay;
    this.timer = setTimeout(() => void this.connect(), 0);
  }

  private retry(detail: string, refused = false): void {
    if (this.closed) return;
    this.options.onStatus?.('closed', detail);
    if (this.timer) clearTimeout(this.timer);
    const cap = refused ? this.maxRefusedDelay : this.maxDelay;
    const delay = Math.min(cap, this.delay);
    this.timer = setTimeout(() => void this.connect(), jittered(delay));
    this.delay = Math.min(cap, delay * 2);
  }

  private async connect(): Promise<void> {
    this.timer = null;
    if (this.closed) return;
    let target: UpstreamTarget | null;
    try {
      target = await this.options.target();
    } catch (err) {
      this.retry(`no target: ${(err as Error).message}`);
      return;
    }
    if (this.closed) return;
    if (!target) {
      this.retry('no target');
      return;
    }
    const headers: Record<string, string> = { accept: 'text/event-stream', ...target.headers };
    if (this.lastEventId) headers['last-event-id'] = this.lastEventId;
    const req = http.request(target.url, { method: 'GET', headers, agent: false });
    this.request = req;
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        res.resume();
        req.destroy();
        if (this.request === req) this.request = null;
        const refused = status >= 400 && status < 500;
        if (refused && this.lastEventId && !NOT_ABOUT_THE_ID.has(status)) {
          // Asking again for the same id would be refused for ever: go on from now instead.
          this.lastEventId = null;
          this.options.onResumeRefused?.(status);
        }
        this.retry(`upstream answered ${status}`, refused);
        return;
      }
      this.options.onStatus?.('open', 'connected');
      res.setEncoding('utf8');
      const parser = new SseParser((event) => {
        if (event.id) this.lastEventId = event.id;
        this.delay = this.minDelay;
        this.options.onEvent(event);
      });
      res.on('data', (chunk: string) => parser.push(chunk));
      res.on('end', () => {
        if (this.request === req) {
          this.request = null;
          this.retry('upstream ended the stream');
        }
      });
      res.on('error', () => {});
    });
    req.on('error', (err) => {
      if (this.request === req) {
        this.request = null;
        this.retry(`upstream error: ${err.message}`);
      }
    });
    req.on('close', () => {
      if (this.request === req) {
        this.request = null;
        this.retry('upstream closed');
      }
    });
    req.end();
  }
}
