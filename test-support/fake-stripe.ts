// The fake Stripe API: the only test double besides the WhatsApp simulator. Stripe cannot be reached
// from here, so tests point the real `stripe` client at this loopback server (STRIPE_API_URL). It
// speaks the slice of the API the gateway uses — customers, Checkout Sessions (subscription mode),
// Customer Portal sessions, subscriptions — in the shape of the API version the installed client
// pins (period end on subscription items, an invoice's subscription under parent), honours
// Idempotency-Key, and checks the secret key. The test drives what Stripe would do on its side
// (a customer pays, a payment fails, a subscription ends) with the methods below, each of which
// returns the webhook event Stripe would send; `deliver` signs it with the real client's
// generateTestHeaderString and posts it.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

export const FAKE_STRIPE_KEY = 'sk_test_fake_stripe_api_key';
export const FAKE_WEBHOOK_SECRET = 'whsec_fake_stripe_webhook_secret';
export const FAKE_PRICE_ID = 'price_fake_standard';

type Obj = Record<string, unknown>;

export interface FakeSubscription {
  id: string;
  object: 'subscription';
  customer: string;
  status: string;
  cancel_at_period_end: boolean;
  canceled_at: number | null;
  ended_at: number | null;
  trial_end: number | null;
  created: number;
  metadata: Record<string, string>;
  items: { object: 'list'; data: Array<{ id: string; object: 'subscription_item'; price: { id: string; object: 'price' }; quantity: number; current_period_start: number; current_period_end: number }> };
  latest_invoice: string | null;
}

export interface FakeEvent {
  id: string;
  object: 'event';
  api_version: string;
  created: number;
  type: string;
  livemode: false;
  pending_webhooks: number;
  request: { id: null; idempotency_key: null };
  data: { object: Obj };
}

/** Stripe's form encoding (a[b][0][c]=v) back into objects and arrays. */
function parseStripeForm(body: string): Obj {
  const root: Obj = {};
  for (const [rawKey, value] of new URLSearchParams(body)) {
    const parts = rawKey.split(/\[|\]\[|\]/).filter((p) => p !== '');
    let node: Obj = root;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) {
        node[part] = value;
        return;
      }
      const nextIsIndex = /^\d+$/.test(parts[i + 1]!);
      if (node[part] === undefined) node[part] = nextIsIndex ? [] : {};
      node = node[part] as Obj;
    });
  }
  return root;
}

const DAY = 86_400;

export class FakeStripe {
  readonly customers = new Map<string, Obj>();
  readonly checkoutSessions = new Map<string, Obj>();
  readonly portalSessions = new Map<string, Obj>();
  readonly subscriptions = new Map<string, FakeSubscription>();
  /** Every API request the client made, for assertions ("one customer per user"). */
  readonly requests: { method: string; path: string; body: Obj }[] = [];
  /** The fake's clock (seconds); tests move it with the gateway's. */
  now = () => Math.floor(Date.now() / 1000);
  private idempotent = new Map<string, { status: number; body: unknown }>();
  private server: http.Server | null = null;
  private seq = 0;
  url = '';

  constructor(readonly secretKey = FAKE_STRIPE_KEY, readonly webhookSecret = FAKE_WEBHOOK_SECRET) {}

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private id(prefix: string): string {
    this.seq += 1;
    return `${prefix}_fake${String(this.seq).padStart(4, '0')}${crypto.randomBytes(4).toString('hex')}`;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const body = parseStripeForm(req.method === 'GET' ? url.search.slice(1) : Buffer.concat(chunks).toString('utf8'));
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_${crypto.randomBytes(6).toString('hex')}` });
      res.end(JSON.stringify(payload));
    };
    const fail = (status: number, type: string, message: string) => send(status, { error: { type, message } });
    // The pages a browser is sent to (Checkout, the portal): a plain stand-in, no key needed.
    if (req.method === 'GET' && /^\/(c\/pay|p\/session)\/[\w-]+$/.test(url.pathname)) {
      const what = url.pathname.startsWith('/c/') ? 'Checkout' : 'Customer Portal';
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><title>Fake Stripe ${what}</title><h1 data-testid="fake-stripe">Fake Stripe ${what}</h1><p>${url.pathname.split('/').pop()}</p>`);
      return;
    }
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, body });
    if (req.headers.authorization !== `Bearer ${this.secretKey}`) return fail(401, 'invalid_request_error', 'Invalid API Key provided');
    const key = req.headers['idempotency-key'];
    const idemKey = req.method === 'POST' && typeof key === 'string' ? `${url.pathname} ${key}` : null;
    if (idemKey && this.idempotent.has(idemKey)) {
      const hit = this.idempotent.get(idemKey)!;
      return send(hit.status, hit.body);
    }
    const out = this.route(req.method ?? 'GET', url.pathname, body);
    if (idemKey) this.idempotent.set(idemKey, out);
    send(out.status, out.body);
  }

  private route(method: string, path: string, body: Obj): { status: number; body: unknown } {
    const ok = (b: unknown) => ({ status: 200, body: b });
    const missing = (what: string) => ({ status: 404, body: { error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such ${what}` } } });
    const invalid = (message: string) => ({ status: 400, body: { error: { type: 'invalid_request_error', message } } });
    let m: RegExpMatchArray | null;
    if (method === 'POST' && path === '/v1/customers') {
      const c = { id: this.id('cus'), object: 'customer', email: body.email ?? null, metadata: body.metadata ?? {}, created: this.now() };
      this.customers.set(c.id, c);
      return ok(c);
    }
    if (method === 'GET' && (m = path.match(/^\/v1\/customers\/([^/]+)$/))) {
      const c = this.customers.get(m[1]!);
      return c ? ok(c) : missing(`customer: '${m[1]}'`);
    }
    if (method === 'POST' && path === '/v1/checkout/sessions') {
      if (body.mode !== 'subscription') return invalid('mode must be subscription here');
      if (typeof body.customer !== 'string' || !this.customers.has(body.customer)) return invalid(`No such customer: '${String(body.customer)}'`);
      const items = (body.line_items as Obj[] | undefined) ?? [];
      if (items.length !== 1 || typeof items[0]!.price !== 'string') return invalid('line_items: one price expected');
      if (typeof body.success_url !== 'string' || typeof body.cancel_url !== 'string') return invalid('success_url and cancel_url are required');
      const id = this.id('cs_test');
      const s = {
        id,
        object: 'checkout.session',
        mode: 'subscription',
        status: 'open',
        customer: body.customer,
        client_reference_id: body.client_reference_id ?? null,
        success_url: body.success_url,
        cancel_url: body.cancel_url,
        url: `${this.url}/c/pay/${id}`,
        subscription: null as string | null,
        metadata: body.metadata ?? {},
        subscription_data: body.subscription_data ?? {},
        line_items: items,
        created: this.now(),
      };
      this.checkoutSessions.set(id, s);
      return ok(s);
    }
    if (method === 'GET' && (m = path.match(/^\/v1\/checkout\/sessions\/([^/]+)$/))) {
      const s = this.checkoutSessions.get(m[1]!);
      return s ? ok(s) : missing(`checkout.session: '${m[1]}'`);
    }
    if (method === 'POST' && path === '/v1/billing_portal/sessions') {
      if (typeof body.customer !== 'string' || !this.customers.has(body.customer)) return invalid(`No such customer: '${String(body.customer)}'`);
      const id = this.id('bps');
      const s = { id, object: 'billing_portal.session', customer: body.customer, return_url: body.return_url ?? null, url: `${this.url}/p/session/${id}`, created: this.now() };
      this.portalSessions.set(id, s);
      return ok(s);
    }
    if (method === 'GET' && (m = path.match(/^\/v1\/subscriptions\/([^/]+)$/))) {
      const s = this.subscriptions.get(m[1]!);
      return s ? ok(s) : missing(`subscription: '${m[1]}'`);
    }
    if (method === 'DELETE' && (m = path.match(/^\/v1\/subscriptions\/([^/]+)$/))) {
      const s = this.subscriptions.get(m[1]!);
      if (!s) return missing(`subscription: '${m[1]}'`);
      // Cancelled at once, as the API's cancel does (not at the period's end).
      this.cancel(s.id);
      return ok(s);
    }
    return { status: 404, body: { error: { type: 'invalid_request_error', message: `Unrecognized request URL (${method}: ${path}) in the fake Stripe API` } } };
  }

  // ---- what happens on Stripe's side; each returns the webhook event(s) Stripe would send ----

  event(type: string, object: unknown, created = this.now()): FakeEvent {
    return {
      id: this.id('evt'),
      object: 'event',
      api_version: Stripe.API_VERSION,
      created,
      type,
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      data: { object: structuredClone(object) as Obj },
    };
  }

  /** The customer paid on the Checkout page: a subscription exists (trialing when the session asked for trial days). */
  completeCheckout(sessionId: string, opts: { status?: string; periodDays?: number } = {}): { session: Obj; subscription: FakeSubscription; events: FakeEvent[] } {
    const session = this.checkoutSessions.get(sessionId);
    if (!session) throw new Error(`fake Stripe: no checkout session ${sessionId}`);
    const now = this.now();
    const trialDays = Number((session.subscription_data as Obj | undefined)?.trial_period_days ?? 0);
    const status = opts.status ?? (trialDays > 0 ? 'trialing' : 'active');
    const end = now + (status === 'trialing' ? trialDays : (opts.periodDays ?? 30)) * DAY;
    const price = String((session.line_items as Obj[])[0]!.price);
    const subscription: FakeSubscription = {
      id: this.id('sub'),
      object: 'subscription',
      customer: String(session.customer),
      status,
      cancel_at_period_end: false,
      canceled_at: null,
      ended_at: null,
      trial_end: status === 'trialing' ? end : null,
      created: now,
      metadata: ((session.subscription_data as Obj | undefined)?.metadata as Record<string, string>) ?? {},
      items: { object: 'list', data: [{ id: this.id('si'), object: 'subscription_item', price: { id: price, object: 'price' }, quantity: 1, current_period_start: now, current_period_end: end }] },
      latest_invoice: null,
    };
    this.subscriptions.set(subscription.id, subscription);
    session.status = 'complete';
    session.subscription = subscription.id;
    return {
      session,
      subscription,
      events: [this.event('customer.subscription.created', subscription), this.event('checkout.session.completed', session)],
    };
  }

  /** Change a subscription as Stripe would; the event carries the new state. */
  updateSubscription(id: string, patch: Partial<FakeSubscription> & { periodEnd?: number }, type = 'customer.subscription.updated'): FakeEvent {
    const s = this.subscriptions.get(id);
    if (!s) throw new Error(`fake Stripe: no subscription ${id}`);
    const { periodEnd, ...rest } = patch;
    Object.assign(s, rest);
    if (periodEnd !== undefined) for (const item of s.items.data) item.current_period_end = periodEnd;
    return this.event(type, s);
  }

  private invoice(s: FakeSubscription, status: 'paid' | 'open'): Obj {
    const id = this.id('in');
    s.latest_invoice = id;
    return {
      id,
      object: 'invoice',
      customer: s.customer,
      status,
      amount_due: 1900,
      amount_paid: status === 'paid' ? 1900 : 0,
      parent: { type: 'subscription_details', subscription_details: { subscription: s.id, metadata: s.metadata } },
      period_end: s.items.data[0]!.current_period_end,
      created: this.now(),
    };
  }

  /** A renewal payment failed: the subscription is past_due. */
  failPayment(id: string): FakeEvent[] {
    const s = this.subscriptions.get(id)!;
    const invoice = this.invoice(s, 'open');
    const updated = this.updateSubscription(id, { status: 'past_due' });
    return [this.event('invoice.payment_failed', invoice), updated];
  }

  /** A payment succeeded: the subscription is active for another period. */
  payInvoice(id: string, periodDays = 30): FakeEvent[] {
    const s = this.subscriptions.get(id)!;
    const now = this.now();
    for (const item of s.items.data) {
      item.current_period_start = now;
      item.current_period_end = now + periodDays * DAY;
    }
    s.status = 'active';
    s.trial_end = null;
    const invoice = this.invoice(s, 'paid');
    return [this.event('invoice.paid', invoice), this.event('customer.subscription.updated', s)];
  }

  /** The subscription ended now, at the end of its period (as when cancel_at_period_end ran out). */
  cancel(id: string): FakeEvent {
    const now = this.now();
    return this.updateSubscription(id, { status: 'canceled', canceled_at: now, ended_at: now, cancel_at_period_end: false, periodEnd: now }, 'customer.subscription.deleted');
  }

  /** The body and Stripe-Signature header Stripe would send, signed by the real client. */
  sign(event: FakeEvent, secret = this.webhookSecret): { payload: string; header: string } {
    const payload = JSON.stringify(event, null, 2);
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp: Math.floor(Date.now() / 1000) });
    return { payload, header };
  }

  /** POST the event to a webhook URL as Stripe does. */
  async deliver(webhookUrl: string, event: FakeEvent, secret?: string): Promise<Response> {
    const { payload, header } = this.sign(event, secret);
    return fetch(webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8', 'stripe-signature': header }, body: payload });
  }
}
