// A fake gateway answering the integration routes of issue 18's contract (API keys, webhooks and
// their deliveries, notes/briefs/contract-18.md sections 2 and 4) from state the test can read, in
// the shapes the page's api module declares.
import { randomBytes } from 'node:crypto';
import type { ApiKey, ApiScope, Delivery, Webhook, WebhookEvent } from '../src/api/integrations.ts';
import type { MemberRole } from '../src/api/types.ts';
import { fakeFetch, type FakeCall } from './helpers.tsx';
import { meAs } from './team-fixtures.ts';

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

export const at = (min: number) => new Date(Date.UTC(2026, 11, 2, 9, min)).toISOString();

export function aKey(over: Partial<ApiKey> = {}): ApiKey {
  return { id: '1', name: 'Order system', prefix: 'qk_Ab3dE9xY', scopes: ['read', 'send'], createdAt: at(0), createdBy: { memberId: 'm1', name: 'Olga' }, lastUsedAt: at(30), lastUsedAddress: '203.0.113.7', revokedAt: null, ...over };
}

export function aWebhook(over: Partial<Webhook> = {}): Webhook {
  return { id: '7', url: 'https://hooks.shop.example/queunir', events: ['message.received', 'message.sent'], description: 'n8n: new leads', enabled: true, disabledReason: null, failingSince: null, createdAt: at(1), ...over };
}

export function aDelivery(over: Partial<Delivery> = {}): Delivery {
  return { id: '100', eventId: 'evt_100', type: 'message.received', status: 'delivered', attempts: 1, createdAt: at(10), lastAttemptAt: at(10), nextAttemptAt: null, responseStatus: 200, responseMs: 120, responseBody: 'ok', error: null, ...over };
}

const error = (status: number, kind: string, code: string, message: string): Reply => ({ status, body: { error: { kind, code, message } } });

/** The integration routes; `extra` answers first (faults), anything else is a 404. */
export function fakeIntegrations(
  role: MemberRole,
  seed: { keys?: ApiKey[]; webhooks?: Webhook[]; deliveries?: Record<string, Delivery[]> } = {},
  extra: (c: FakeCall) => Reply | undefined = () => undefined,
) {
  const me = meAs(role);
  const state = {
    keys: [...(seed.keys ?? [])],
    webhooks: [...(seed.webhooks ?? [])],
    deliveries: { ...(seed.deliveries ?? {}) } as Record<string, Delivery[]>,
    /** Every whole key and secret the fake handed out: the page must not show them after a reload. */
    issued: [] as string[],
    nextId: 500,
  };
  const calls = fakeFetch((c) => {
    const answered = extra(c);
    if (answered) return answered;
    const url = new URL(c.path, 'http://x');
    const path = url.pathname;
    if (path === '/api/me') return { status: 200, body: me };
    if (path.startsWith('/api/keys') || path.startsWith('/api/webhooks')) {
      // The contract: owner and admin sessions only (access admin, scope session / manage).
      if (role === 'agent') return error(403, 'PermissionDenied', 'ROLE_REQUIRED', 'needs the admin role');
      if (c.method !== 'GET' && c.headers['x-csrf-token'] !== me.csrfToken) return error(403, 'PermissionDenied', 'CSRF_REJECTED', 'missing or wrong x-csrf-token header');
    }
    if (path === '/api/keys' && c.method === 'GET') return { status: 200, body: { items: [...state.keys].sort((a, b) => b.createdAt.localeCompare(a.createdAt)) } };
    if (path === '/api/keys' && c.method === 'POST') {
      const { name, scopes } = c.body as { name: string; scopes: ApiScope[] };
      if (!name || name.length > 100) return error(400, 'InvalidArgument', 'INVALID_ARGUMENT', 'body/name must NOT have more than 100 characters');
      if (!scopes.length || scopes.some((s) => !['read', 'send', 'manage'].includes(s))) return error(400, 'InvalidArgument', 'INVALID_ARGUMENT', 'body/scopes must be a non-empty subset of read, send, manage');
      const key = 'qk_' + randomBytes(32).toString('base64url');
      const id = String(state.nextId++);
      const createdAt = new Date().toISOString();
      state.issued.push(key);
      state.keys.push({ id, name, prefix: key.slice(0, 11), scopes, createdAt, createdBy: { memberId: me.member.id, name: me.member.name }, lastUsedAt: null, lastUsedAddress: null, revokedAt: null });
      return { status: 201, body: { id, key, prefix: key.slice(0, 11), name, scopes, createdAt } };
    }
    const key = /^\/api\/keys\/(\w+)$/.exec(path);
    if (key && c.method === 'DELETE') {
      const k = state.keys.find((x) => x.id === key[1]);
      if (!k) return error(404, 'NotFound', 'API_KEY_NOT_FOUND', `no API key ${key[1]}`);
      k.revokedAt ??= new Date().toISOString();
      return { status: 204 };
    }
    if (path === '/api/webhooks' && c.method === 'GET') return { status: 200, body: { items: state.webhooks } };
    if (path === '/api/webhooks' && c.method === 'POST') {
      const body = c.body as { url: string; events: WebhookEvent[]; description?: string };
      const secret = randomBytes(24).toString('base64url');
      const id = String(state.nextId++);
      state.issued.push(secret);
      const hook = { id, url: body.url, events: body.events, description: body.description ?? null, enabled: true, disabledReason: null, failingSince: null, createdAt: new Date().toISOString() };
      state.webhooks.push(hook);
      const { disabledReason: _r, failingSince: _f, ...shown } = hook;
      return { status: 201, body: { ...shown, secret } };
    }
    const hook = /^\/api\/webhooks\/(\w+)/.exec(path);
    const w = hook ? state.webhooks.find((x) => x.id === hook[1]) : undefined;
    if (hook && !w) return error(404, 'NotFound', 'WEBHOOK_NOT_FOUND', `no webhook ${hook[1]}`);
    if (w && path === `/api/webhooks/${w.id}` && c.method === 'PATCH') {
      const patch = c.body as Partial<Webhook>;
      Object.assign(w, patch);
      if (patch.enabled === true) Object.assign(w, { disabledReason: null, failingSince: null });
      return { status: 200, body: w };
    }
    if (w && path === `/api/webhooks/${w.id}` && c.method === 'DELETE') {
      state.webhooks = state.webhooks.filter((x) => x !== w);
      return { status: 204 };
    }
    const log = w ? (state.deliveries[w.id] ??= []) : [];
    if (w && path === `/api/webhooks/${w.id}/deliveries` && c.method === 'GET') {
      const limit = Number(url.searchParams.get('limit') ?? 50);
      const before = url.searchParams.get('before');
      const newestFirst = [...log].sort((a, b) => Number(b.id) - Number(a.id));
      return { status: 200, body: { items: newestFirst.filter((d) => !before || Number(d.id) < Number(before)).slice(0, limit) } };
    }
    const again = /^\/api\/webhooks\/\w+\/deliveries\/(\w+)\/redeliver$/.exec(path);
    if (w && again && c.method === 'POST') {
      const d = log.find((x) => x.id === again[1]);
      if (!d) return error(404, 'NotFound', 'DELIVERY_NOT_FOUND', `no delivery ${again[1]}`);
      Object.assign(d, { status: 'pending', nextAttemptAt: new Date().toISOString() });
      return { status: 202 };
    }
    if (w && path === `/api/webhooks/${w.id}/test` && c.method === 'POST') {
      const id = String(state.nextId++);
      log.push(aDelivery({ id, eventId: `evt_${id}`, type: 'webhook.test', status: 'pending', attempts: 0, createdAt: new Date().toISOString(), lastAttemptAt: null, nextAttemptAt: new Date().toISOString(), responseStatus: null, responseMs: null, responseBody: null }));
      return { status: 202, body: { deliveryId: id } };
    }
    return undefined;
  });
  return { calls, state, me };
}
