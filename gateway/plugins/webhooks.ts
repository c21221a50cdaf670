// Webhooks: the worker that turns each account's slice event log into deliveries, and the sender
// that posts them. Durable end to end: the slice's events table is the outbox (written in the
// transaction of the change it reports); the worker reads it after the account's cursor
// (GET /internal/events, as the system) and in ONE gateway transaction inserts a delivery per
// matching enabled endpoint and advances the cursor, so a crash between the two loses or repeats
// nothing. The sender takes due deliveries one by one (support/webhooks-store.ts claimNext: per
// endpoint and chat only the oldest pending one, FOR UPDATE SKIP LOCKED), posts, and records the
// outcome in the transaction that held the row; the lock lasts the POST (at most 10 s), so another
// sender (or gateway process) never posts it at the same time.
//
// Woken by the slice's own live stream (one system SSE reader per watched account) and by every
// delivery it queues; a poll every WEBHOOK_POLL_MS is the fallback for everything a wake-up missed.
import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import { request } from 'undici';
import { SseUpstream } from '../support/sse.ts';
import { writeAudit } from '../support/audit.ts';
import { composeMail } from '../support/mailer.ts';
import { inBackground } from '../support/self-mails.ts';
import { guardedAgent, parseAllowList, checkWebhookUrl, type AllowList } from '../support/webhook-address.ts';
import { RETRY_WINDOW_MS, retryDelayMs, signatureHeader } from '../support/webhook-signing.ts';
import {
  accountsToWatch,
  claimNext,
  disableIfFailingSince,
  enabledEndpoints,
  insertDeliveries,
  lockCursor,
  markEndpointHealth,
  nextDueAt,
  recordAttempt,
  setCursor,
  startCursor,
  type ClaimedDelivery,
  type NewDelivery,
  type WebhookEventType,
} from '../support/webhooks-store.ts';
import { ownersOf } from './wa-notices.ts';

declare module 'fastify' {
  interface FastifyInstance {
    webhooks: {
      allow: AllowList;
      /** The URL checked now (scheme, credentials, every address it resolves to); normalised. */
      checkUrl(url: string): Promise<string>;
      /** A new endpoint hears from now on: the account's cursor starts at its slice's newest event (when it has none). */
      startAccount(accountId: string): Promise<void>;
      /** Read the account's slice log now (all watched accounts when none given), then send. */
      wake(accountId?: string): void;
      /** Look for due deliveries now. */
      send(): void;
    };
  }
}

const SLICE_TIMEOUT_MS = 10_000;
const PAGE = 500;
const POST_TIMEOUT_MS = 10_000;
const BODY_BYTES = 512;
const DISABLE_AFTER_MS = 24 * 60 * 60 * 1000;

interface SliceLogEvent {
  id: string;
  type: string;
  data: Record<string, unknown> | null;
}

/** What one slice event becomes for webhook receivers: zero, one or two events, with the key that orders them. */
export function deriveEvents(accountId: string, e: SliceLogEvent): { eventId: string; type: WebhookEventType; orderKey: string; data: unknown }[] {
  const data = e.data ?? {};
  const id = `evt_${accountId}_${e.id}`;
  const changed = Array.isArray(data.changed) ? (data.changed as string[]) : null;
  const { changed: _omit, ...clean } = data;
  switch (e.type) {
    case 'message.created':
      return [{ eventId: id, type: data.direction === 'out' ? 'message.sent' : 'message.received', orderKey: String(data.chatId), data: clean }];
    case 'message.updated': {
      const out: ReturnType<typeof deriveEvents> = [];
      if (changed?.includes('ack')) out.push({ eventId: id, type: 'message.ack', orderKey: String(data.chatId), data: clean });
      if (changed?.includes('reactions')) out.push({ eventId: out.length ? `${id}_reaction` : id, type: 'message.reaction', orderKey: String(data.chatId), data: clean });
      return out;
    }
    case 'chat.updated': {
      const out: ReturnType<typeof deriveEvents> = [];
      if (changed?.includes('assignee')) out.push({ eventId: `${id}_assigned`, type: 'chat.assigned', orderKey: String(data.id), data: clean });
      if (!changed || changed.some((c) => c !== 'assignee')) out.push({ eventId: id, type: 'chat.updated', orderKey: String(data.id), data: clean });
      return out;
    }
    case 'contact.updated':
      return [{ eventId: id, type: 'contact.updated', orderKey: 'account', data: clean }];
    case 'wa.state':
      return [{ eventId: id, type: 'wa.state', orderKey: 'account', data: clean }];
    default:
      return [];
  }
}

async function tellOwnersDisabled(app: FastifyInstance, accountId: string, endpointId: string, url: string): Promise<void> {
  const link = new URL('/settings', app.config.PUBLIC_URL).toString();
  for (const owner of await ownersOf(app, accountId)) {
    await app.mailer.send(
      composeMail(owner.email, {
        subject: 'A webhook was disabled after a day of failures',
        intro: [
          `Every delivery to the webhook ${new URL(url).origin} of ${owner.accountName} has failed for 24 hours, so Queunir stopped sending to it.`,
          'The events since are kept in its delivery log. Once the receiver works again, enable the webhook and redeliver what it missed.',
        ],
        action: { label: 'Open the webhook settings', url: link },
        outro: [`Webhook id ${endpointId}.`],
      }),
    );
  }
}

export default fp(
  async (app) => {
    const log = app.log.child({ component: 'webhooks' });
    const { WEBHOOK_POLL_MS: pollMs, WEBHOOK_RETRY_BASE_MS: retryBaseMs, WEBHOOK_CONCURRENCY: concurrency } = app.config;
    const allow = parseAllowList(app.config.WEBHOOK_ALLOW_HOSTS);
    const agent = guardedAgent(allow, { connectTimeoutMs: POST_TIMEOUT_MS });
    let closing = false;

    // ---- reading the slices' logs ------------------------------------------------------------

    async function sliceLog(accountId: string, after: string, limit = PAGE): Promise<{ items: SliceLogEvent[]; latestId: string } | null> {
      const slice = await app.slices.forAccount(accountId);
      if (!slice || !slice.token || slice.desiredState !== 'running') return null;
      const res = await fetch(`${slice.upstream}/internal/events?after=${after}&limit=${limit}`, {
        headers: { authorization: slice.authorization, 'x-request-id': `webhooks-${accountId}-${Date.now()}` },
        signal: AbortSignal.timeout(SLICE_TIMEOUT_MS),
      });
      if (!res.ok) {
        await res.arrayBuffer().catch(() => undefined);
        throw new Error(`the slice answered ${res.status} to GET /internal/events`);
      }
      return (await res.json()) as { items: SliceLogEvent[]; latestId: string };
    }

    /** One page of the account's log turned into deliveries; true when there may be more. */
    async function ingestPage(accountId: string): Promise<{ more: boolean; queued: number }> {
      return app.db.transaction().execute(async (trx) => {
        const cursor = await lockCursor(trx, accountId);
        const page = await sliceLog(accountId, cursor ?? '0');
        if (!page) return { more: false, queued: 0 };
        if (cursor === null || BigInt(page.latestId) < BigInt(cursor)) {
          // No cursor yet (an endpoint made while the slice was down), or one past the log's end
          // (the slice's data was recreated): start from now.
          if (cursor !== null) log.warn({ account: accountId, cursor, latest: page.latestId }, 'webhook cursor past the slice log: restarting from its end');
          await setCursor(trx, accountId, page.latestId);
          return { more: false, queued: 0 };
        }
        if (page.items.length === 0) return { more: false, queued: 0 };
        const endpoints = await enabledEndpoints(trx, accountId);
        const createdAt = new Date().toISOString();
        const deliveries: NewDelivery[] = [];
        for (const e of page.items) {
          for (const w of deriveEvents(accountId, e)) {
            const payload = { id: w.eventId, type: w.type, createdAt, data: w.data };
            for (const ep of endpoints) if (ep.events.includes(w.type)) deliveries.push({ endpointId: String(ep.id), eventId: w.eventId, type: w.type, orderKey: w.orderKey, payload });
          }
        }
        const queued = await insertDeliveries(trx, deliveries);
        await setCursor(trx, accountId, page.items.at(-1)!.id);
        return { more: page.items.length === PAGE, queued };
      });
    }

    const ingesting = new Map<string, Promise<void>>();
    const ingestAgain = new Set<string>();

    function ingest(accountId: string): Promise<void> {
      const running = ingesting.get(accountId);
      if (running) {
        ingestAgain.add(accountId);
        return running;
      }
      const p = (async () => {
        try {
          for (;;) {
            const { more, queued } = await ingestPage(accountId);
            if (queued > 0) send();
            if (!more || closing) break;
          }
        } catch (err) {
          log.warn({ account: accountId, err: (err as Error).message }, 'slice event log not read: tried again at the next pass');
        }
      })().finally(() => {
        ingesting.delete(accountId);
        if (ingestAgain.delete(accountId) && !closing) void ingest(accountId);
      });
      ingesting.set(accountId, p);
      return p;
    }

    // One live reader per watched account: its events only wake the worker (the log is the truth).
    const watchers = new Map<string, SseUpstream>();
    function watch(accounts: string[]): void {
      const wanted = new Set(accounts);
      for (const [accountId, upstream] of watchers) {
        if (!wanted.has(accountId)) {
          upstream.close();
          watchers.delete(accountId);
        }
      }
      for (const accountId of wanted) {
        if (watchers.has(accountId)) continue;
        watchers.set(
          accountId,
          new SseUpstream({
            target: async () => {
              const slice = await app.slices.forAccount(accountId);
              if (!slice || !slice.token || slice.desiredState !== 'running') return null;
              return { url: `${slice.upstream}/events`, headers: { authorization: slice.authorization, 'x-request-id': `webhooks-watch-${accountId}` } };
            },
            onEvent: (e) => {
              if (e.event !== 'wa.qr' && !closing) void ingest(accountId);
            },
            maxRefusedDelayMs: 30_000,
          }),
        );
      }
    }

    let passing: Promise<void> | null = null;
    function pass(): Promise<void> {
      passing ??= (async () => {
        try {
          const accounts = await accountsToWatch(app.db);
          if (!closing) watch(accounts);
          await Promise.all(accounts.map((a) => ingest(a)));
        } catch (err) {
          log.warn({ err: (err as Error).message }, 'webhook pass failed');
        }
        send();
      })().finally(() => {
        passing = null;
      });
      return passing;
    }

    // ---- sending ---------------------------------------------------------------------------

    async function post(d: ClaimedDelivery): Promise<{ ok: boolean; status: number | null; ms: number | null; body: string | null; error: string | null }> {
      const body = JSON.stringify(d.payload);
      const started = performance.now();
      try {
        const res = await request(d.url, {
          method: 'POST',
          dispatcher: agent,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Queunir-Webhooks/1',
            'queunir-signature': signatureHeader(d.secret, body, Math.floor(Date.now() / 1000)),
            'queunir-delivery': d.id,
            'queunir-event': d.type,
          },
          body,
          headersTimeout: POST_TIMEOUT_MS,
          bodyTimeout: POST_TIMEOUT_MS,
          signal: AbortSignal.timeout(POST_TIMEOUT_MS),
        });
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of res.body) {
          chunks.push(chunk as Buffer);
          size += (chunk as Buffer).length;
          if (size >= BODY_BYTES) break;
        }
        const ms = Math.round(performance.now() - started);
        const text = Buffer.concat(chunks).subarray(0, BODY_BYTES).toString('utf8');
        const ok = res.statusCode >= 200 && res.statusCode < 300;
        return { ok, status: res.statusCode, ms, body: text, error: ok ? null : `the receiver answered ${res.statusCode}` };
      } catch (err) {
        const e = err as Error & { code?: string; cause?: Error & { code?: string } };
        const cause = e.cause ?? e;
        return { ok: false, status: null, ms: Math.round(performance.now() - started), body: null, error: `${cause.code ? `${cause.code}: ` : ''}${cause.message}`.slice(0, 500) };
      }
    }

    /** Claim, post and record one delivery; false when none was due. */
    async function sendOne(): Promise<boolean> {
      let disabled: ClaimedDelivery | null = null;
      const sent = await app.db.transaction().execute(async (trx) => {
        const d = await claimNext(trx);
        if (!d) return false;
        const r = await post(d);
        const at = new Date();
        const first = d.firstAttemptAt ?? at;
        const next = new Date(at.getTime() + retryDelayMs(d.attempts + 1, retryBaseMs));
        const status = r.ok ? 'delivered' : next.getTime() - first.getTime() > RETRY_WINDOW_MS ? 'failed' : 'pending';
        await recordAttempt(trx, d, { at, status, nextAttemptAt: r.ok ? at : next, responseStatus: r.status, responseMs: r.ms, responseBody: r.body, error: r.error });
        await markEndpointHealth(trx, d.endpointId, r.ok, at);
        if (!r.ok && (await disableIfFailingSince(trx, d.endpointId, new Date(at.getTime() - DISABLE_AFTER_MS), 'every delivery failed for 24 hours'))) {
          await writeAudit(trx, { actor: 'monitor', accountId: d.accountId, action: 'webhook.disabled', details: { endpointId: d.endpointId, reason: 'failing for 24 hours', lastError: r.error } });
          disabled = d;
        }
        if (!r.ok) log.info({ endpoint: d.endpointId, delivery: d.id, attempt: d.attempts + 1, status: r.status, error: r.error }, 'webhook delivery failed');
        return true;
      });
      const off = disabled as ClaimedDelivery | null;
      if (off) inBackground(app, 'telling the owners about a disabled webhook', () => tellOwnersDisabled(app, off.accountId, off.endpointId, off.url));
      return sent;
    }

    let senders = 0;
    let sendAgain = false;
    let dueTimer: NodeJS.Timeout | null = null;

    function send(): void {
      if (closing) return;
      if (senders > 0) {
        sendAgain = true;
        // More due work than one sender: start the others too, up to the limit.
        if (senders < concurrency) startSender();
        return;
      }
      startSender();
    }

    function startSender(): void {
      senders += 1;
      void (async () => {
        try {
          while (!closing && (await sendOne())) if (senders < concurrency) startSender();
        } catch (err) {
          log.warn({ err: (err as Error).message }, 'webhook sender failed: tried again at the next pass');
        } finally {
          senders -= 1;
          if (senders === 0) {
            if (sendAgain && !closing) {
              sendAgain = false;
              startSender();
            } else void armDueTimer();
          }
        }
      })();
    }

    /** Sleep until the next retry is due (or the poll, whichever comes first). */
    async function armDueTimer(): Promise<void> {
      if (closing) return;
      const at = await nextDueAt(app.db).catch(() => null);
      if (dueTimer) clearTimeout(dueTimer);
      dueTimer = null;
      if (!at || closing) return;
      const wait = Math.max(0, Math.min(pollMs, at.getTime() - Date.now()));
      dueTimer = setTimeout(() => {
        dueTimer = null;
        send();
      }, wait);
      dueTimer.unref();
    }

    const poll = setInterval(() => void pass(), pollMs);
    poll.unref();
    app.addHook('onReady', (done) => {
      void pass();
      done();
    });
    app.slices.onRunning((slice) => {
      if (closing) return;
      watchers.get(slice.accountId)?.reconnectNow();
      void ingest(slice.accountId);
    });

    app.addHook('onClose', async () => {
      closing = true;
      clearInterval(poll);
      if (dueTimer) clearTimeout(dueTimer);
      for (const w of watchers.values()) w.close();
      watchers.clear();
      await Promise.allSettled([passing, ...ingesting.values()]);
      const deadline = Date.now() + POST_TIMEOUT_MS + 1_000;
      while (senders > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await agent.close().catch(() => undefined);
    });

    app.decorate('webhooks', {
      allow,
      checkUrl: (url: string) => checkWebhookUrl(url, allow),
      async startAccount(accountId: string) {
        try {
          const page = await sliceLog(accountId, '0', 1);
          if (page) await startCursor(app.db, accountId, page.latestId);
        } catch (err) {
          // The first pass that reaches the slice starts the cursor instead.
          log.info({ account: accountId, err: (err as Error).message }, 'webhook cursor not started: the slice did not answer');
        }
      },
      wake(accountId?: string) {
        if (closing) return;
        if (accountId) void pass().then(() => ingest(accountId));
        else void pass();
      },
      send,
    });
  },
  { name: 'webhooks', dependencies: ['db', 'slice-lifecycle', 'mailer'] },
);
