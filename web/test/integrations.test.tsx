// The Integrations page (issue 18) against a fake gateway that answers as the contract says
// (integrations-fixtures.ts): keys and secrets shown once, revoking, webhooks, the delivery log.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import axe from 'axe-core';
import { IntegrationsScreen } from '../src/screens/integrations.tsx';
import { AppShell } from '../src/components/app-shell.tsx';
import { aDelivery, aKey, aWebhook, at, fakeIntegrations } from './integrations-fixtures.ts';
import { renderWith } from './helpers.tsx';

const writeText = vi.fn(async (_text: string) => undefined);

beforeEach(() => {
  writeText.mockClear();
  Object.defineProperty(navigator, 'clipboard', { configurable: true, value: { writeText } });
});

afterEach(() => {
  vi.unstubAllGlobals();
  delete (navigator as unknown as Record<string, unknown>).clipboard;
});

const open = () => renderWith(<IntegrationsScreen />, { route: '/integrations' });
const keyRow = async (id: string) => (await screen.findAllByTestId('api-key-row')).find((r) => r.getAttribute('data-key-id') === id)!;
const hookRow = async (id: string) => (await screen.findAllByTestId('webhook-row')).find((r) => r.getAttribute('data-webhook-id') === id)!;
/** Everything the page shows or holds in inputs: a secret must be in neither after a reload. */
const pageHolds = (secret: string) => document.body.textContent!.includes(secret) || [...document.querySelectorAll('input')].some((i) => i.value.includes(secret));

describe('API keys', () => {
  it('creating a key shows it once with a copy button, and never again after a reload', async () => {
    const { calls, state } = fakeIntegrations('admin');
    const first = open();
    expect(await screen.findByTestId('no-api-keys')).toBeTruthy();
    fireEvent.change(screen.getByTestId('api-key-name'), { target: { value: ' Order system ' } });
    fireEvent.click(screen.getByTestId('scope-send'));
    fireEvent.click(screen.getByTestId('create-api-key'));

    const shown = (await screen.findByTestId('new-key-value')) as HTMLInputElement;
    const key = state.issued[0]!;
    expect(shown.value).toBe(key);
    expect(key).toMatch(/^qk_[A-Za-z0-9_-]{43}$/);
    expect(screen.getByTestId('new-key').textContent).toMatch(/you will not see it again/i);
    const post = calls.find((c) => c.method === 'POST' && c.path === '/api/keys')!;
    expect(post.body).toEqual({ name: 'Order system', scopes: ['read', 'send'] });
    expect(post.headers['x-csrf-token']).toBe('csrf-team');

    fireEvent.click(screen.getByTestId('new-key-copy'));
    await waitFor(() => expect(writeText).toHaveBeenCalledWith(key));
    expect(screen.getByTestId('new-key-copied').textContent).toBe('Copied.');

    // The list shows the prefix only.
    const row = await keyRow(state.keys[0]!.id);
    expect(within(row).getByTestId('api-key-prefix').textContent).toBe(`${key.slice(0, 11)}…`);
    expect(row.textContent).not.toContain(key);
    expect(within(row).getByTestId('api-key-last-used').textContent).toBe('Never used');

    // Nothing the app keeps between screens holds the key: the caches have the list only.
    expect(JSON.stringify(first.client.getQueryCache().getAll().map((q) => q.state.data))).not.toContain(key);
    expect(JSON.stringify(first.client.getMutationCache().getAll().map((m) => m.state.data))).not.toContain(key);
    // "Reload": a new page with a new cache, against the same server.
    first.unmount();
    open();
    await keyRow(state.keys[0]!.id);
    expect(screen.queryByTestId('new-key')).toBeNull();
    expect(pageHolds(key)).toBe(false);
  });

  it('"I have copied it" puts the key away; a browser without a clipboard leaves it selected', async () => {
    delete (navigator as unknown as Record<string, unknown>).clipboard;
    const { state } = fakeIntegrations('owner');
    open();
    fireEvent.change(await screen.findByTestId('api-key-name'), { target: { value: 'Sheets' } });
    fireEvent.click(screen.getByTestId('create-api-key'));
    const shown = (await screen.findByTestId('new-key-value')) as HTMLInputElement;
    fireEvent.click(screen.getByTestId('new-key-copy'));
    await waitFor(() => expect(screen.getByTestId('new-key-copied').textContent).toMatch(/press Ctrl\+C/));
    expect(shown.value.slice(shown.selectionStart!, shown.selectionEnd!)).toBe(state.issued[0]);
    fireEvent.click(screen.getByTestId('new-key-done'));
    expect(screen.queryByTestId('new-key')).toBeNull();
    expect(pageHolds(state.issued[0]!)).toBe(false);
  });

  it('a key needs a name and a scope before it is asked for', async () => {
    const { calls } = fakeIntegrations('admin');
    open();
    const create = (await screen.findByTestId('create-api-key')) as HTMLButtonElement;
    expect(create.disabled).toBe(true);
    fireEvent.change(screen.getByTestId('api-key-name'), { target: { value: 'Zapier' } });
    expect(create.disabled).toBe(false);
    fireEvent.click(screen.getByTestId('scope-read'));
    expect(create.disabled).toBe(true);
    expect(screen.getByText('Choose at least one scope.')).toBeTruthy();
    fireEvent.submit(create.closest('form')!);
    expect(calls.some((c) => c.method === 'POST')).toBe(false);
  });

  it('lists each key with its prefix, scopes, creator, last use (time and address) and revocation', async () => {
    fakeIntegrations('owner', { keys: [aKey(), aKey({ id: '2', name: 'Old CRM', prefix: 'qk_Zz9yX8wV', scopes: ['manage'], lastUsedAt: null, lastUsedAddress: null, revokedAt: at(40), createdAt: at(2) })] });
    open();
    const live = await keyRow('1');
    expect(within(live).getByTestId('api-key-prefix').textContent).toBe('qk_Ab3dE9xY…');
    expect(within(within(live).getByRole('list', { name: 'Scopes of Order system' })).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['read', 'send']);
    expect(live.textContent).toContain('Created by Olga on 2 December 2026');
    expect(within(live).getByTestId('api-key-last-used').textContent).toMatch(/^Last used .+ from 203\.0\.113\.7$/);
    expect(within(live).getByTestId('revoke-api-key')).toBeTruthy();
    const revoked = await keyRow('2');
    expect(revoked.getAttribute('data-revoked')).toBe('true');
    expect(within(revoked).getByTestId('api-key-revoked').textContent).toMatch(/^Revoked /);
    expect(within(revoked).queryByTestId('revoke-api-key')).toBeNull();
    // Newest first, revoked ones included (the server's order is kept).
    expect(screen.getAllByTestId('api-key-row').map((r) => r.getAttribute('data-key-id'))).toEqual(['2', '1']);
  });

  it('revoking asks first, then the row shows the key revoked', async () => {
    const { calls } = fakeIntegrations('admin', { keys: [aKey()] });
    open();
    fireEvent.click(within(await keyRow('1')).getByTestId('revoke-api-key'));
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false);
    const confirm = within(await keyRow('1')).getByTestId('revoke-api-key-confirm');
    expect(confirm.textContent).toMatch(/stops working at once/);
    fireEvent.click(confirm);
    await waitFor(async () => expect((await keyRow('1')).getAttribute('data-revoked')).toBe('true'));
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual(['/api/keys/1']);
    expect(within(await keyRow('1')).getByTestId('api-key-revoked')).toBeTruthy();
    expect(within(await keyRow('1')).queryByTestId('revoke-api-key')).toBeNull();
  });

  it('a key already gone is said in words (API_KEY_NOT_FOUND)', async () => {
    fakeIntegrations('admin', { keys: [aKey()] }, (c) => (c.method === 'DELETE' ? { status: 404, body: { error: { kind: 'NotFound', code: 'API_KEY_NOT_FOUND', message: 'no API key 1' } } } : undefined));
    open();
    fireEvent.click(within(await keyRow('1')).getByTestId('revoke-api-key'));
    fireEvent.click(within(await keyRow('1')).getByTestId('revoke-api-key-confirm'));
    expect((await screen.findByTestId('api-key-row-error')).textContent).toBe('This API key is no longer here: someone may have deleted it. Reload the page.');
  });
});

describe('webhooks', () => {
  it('creating a webhook shows the secret once, and the endpoint is listed without it', async () => {
    const { calls, state } = fakeIntegrations('owner');
    const first = open();
    expect(await screen.findByTestId('no-webhooks')).toBeTruthy();
    fireEvent.change(screen.getByTestId('webhook-url'), { target: { value: ' https://n8n.shop.example/webhook/queunir ' } });
    fireEvent.click(screen.getByTestId('event-message.sent'));
    fireEvent.change(screen.getByTestId('webhook-description'), { target: { value: 'n8n leads' } });
    fireEvent.click(screen.getByTestId('create-webhook'));

    const shown = (await screen.findByTestId('new-secret-value')) as HTMLInputElement;
    const secret = state.issued[0]!;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(shown.value).toBe(secret);
    expect(screen.getByTestId('new-secret').textContent).toMatch(/you will not see it again/i);
    expect(calls.find((c) => c.method === 'POST' && c.path === '/api/webhooks')!.body).toEqual({ url: 'https://n8n.shop.example/webhook/queunir', events: ['message.received', 'message.sent'], description: 'n8n leads' });
    const row = await hookRow(state.webhooks[0]!.id);
    expect(within(row).getByTestId('webhook-url-text').textContent).toBe('https://n8n.shop.example/webhook/queunir');
    expect(within(within(row).getByRole('list', { name: /^Events sent to/ })).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['message.received', 'message.sent']);
    expect(within(row).getByTestId('webhook-state').textContent).toBe('Enabled.');
    expect(row.textContent).not.toContain(secret);
    expect(JSON.stringify([...first.client.getQueryCache().getAll(), ...first.client.getMutationCache().getAll()].map((q) => q.state.data))).not.toContain(secret);

    first.unmount();
    open();
    await hookRow(state.webhooks[0]!.id);
    expect(screen.queryByTestId('new-secret')).toBeNull();
    expect(pageHolds(secret)).toBe(false);
  });

  it('a URL the browser can tell is wrong is said before asking; one the gateway refuses names the address', async () => {
    const refused = 'url resolves to 10.0.0.1, a private address: webhooks go to public addresses only (or hosts in WEBHOOK_ALLOW_HOSTS)';
    const { calls } = fakeIntegrations('admin', {}, (c) => (c.method === 'POST' && c.path === '/api/webhooks' ? { status: 400, body: { error: { kind: 'InvalidArgument', code: 'WEBHOOK_URL_REFUSED', message: refused } } } : undefined));
    open();
    fireEvent.change(await screen.findByTestId('webhook-url'), { target: { value: 'ftp://files.shop.example/in' } });
    fireEvent.click(screen.getByTestId('create-webhook'));
    expect(screen.getByTestId('webhook-create-error').textContent).toBe('Use a URL that starts with https:// (or http://).');
    expect(calls.some((c) => c.method === 'POST')).toBe(false);

    fireEvent.change(screen.getByTestId('webhook-url'), { target: { value: 'http://intranet.shop.example/hook' } });
    fireEvent.click(screen.getByTestId('create-webhook'));
    await waitFor(() => expect(screen.getByTestId('webhook-create-error').textContent).toBe('Queunir does not send webhooks to 10.0.0.1: it is a private address. Use a public URL, or ask your Queunir operator to allow this address.'));
    expect(screen.queryByTestId('new-secret')).toBeNull();
  });

  it('the delivery log renders each status with attempts, the answer, its time and first bytes, and the next attempt', async () => {
    const deliveries = [
      aDelivery({ id: '101' }),
      aDelivery({ id: '102', type: 'message.sent', status: 'pending', attempts: 2, responseStatus: 500, responseMs: 80, responseBody: '<html>Internal Server Error</html>', nextAttemptAt: at(50) }),
      aDelivery({ id: '103', type: 'chat.updated', status: 'failed', attempts: 14, responseStatus: null, responseMs: null, responseBody: null, error: 'connect ECONNREFUSED 198.51.100.4:443' }),
      aDelivery({ id: '104', type: 'message.ack', status: 'pending', attempts: 0, lastAttemptAt: null, responseStatus: null, responseMs: null, responseBody: null, nextAttemptAt: at(12) }),
    ];
    const { calls } = fakeIntegrations('admin', { webhooks: [aWebhook()], deliveries: { '7': deliveries } });
    open();
    fireEvent.click(within(await hookRow('7')).getByTestId('toggle-deliveries'));
    await screen.findAllByTestId('delivery-row');
    expect(calls.find((c) => c.path.startsWith('/api/webhooks/7/deliveries'))!.path).toBe('/api/webhooks/7/deliveries?limit=20');
    const rows = screen.getAllByTestId('delivery-row');
    expect(rows.map((r) => [r.getAttribute('data-delivery-id'), r.getAttribute('data-status'), within(r).getByTestId('delivery-status').textContent])).toEqual([
      ['104', 'pending', 'Queued'],
      ['103', 'failed', 'Failed'],
      ['102', 'pending', 'Retrying'],
      ['101', 'delivered', 'Delivered'],
    ]);
    const [queued, failed, retrying, delivered] = rows as [HTMLElement, HTMLElement, HTMLElement, HTMLElement];
    expect(within(delivered).getByTestId('delivery-response').textContent).toBe('HTTP 200 in 120 ms');
    expect(within(delivered).getByTestId('delivery-body').textContent).toBe('ok');
    expect(delivered.textContent).toContain('1 attempt');
    expect(within(retrying).getByTestId('delivery-response').textContent).toBe('HTTP 500 in 80 ms');
    expect(within(retrying).getByTestId('delivery-body').textContent).toBe('<html>Internal Server Error</html>');
    expect(retrying.textContent).toContain('2 attempts');
    expect(within(retrying).getAllByRole('cell')[3]!.querySelector('time')!.getAttribute('dateTime')).toBe(at(50));
    expect(within(failed).getByTestId('delivery-error').textContent).toBe('connect ECONNREFUSED 198.51.100.4:443');
    expect(within(failed).getAllByRole('cell')[3]!.textContent).toBe('—');
    expect(queued.textContent).toContain('Not tried yet');
  });

  it('redeliver and "send test event" call their routes, and the log shows the result', async () => {
    const { calls } = fakeIntegrations('admin', { webhooks: [aWebhook()], deliveries: { '7': [aDelivery({ id: '103', status: 'failed', attempts: 14, responseStatus: 502, responseMs: 30, responseBody: 'Bad Gateway' })] } });
    open();
    const row = await hookRow('7');
    fireEvent.click(within(row).getByTestId('toggle-deliveries'));
    fireEvent.click(await within(row).findByTestId('redeliver'));
    await waitFor(() => expect(within(row).getByTestId('delivery-row').getAttribute('data-status')).toBe('pending'));
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual(['/api/webhooks/7/deliveries/103/redeliver']);

    fireEvent.click(within(row).getByTestId('send-test-event'));
    await waitFor(() => expect(within(row).getAllByTestId('delivery-row')).toHaveLength(2));
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual(['/api/webhooks/7/deliveries/103/redeliver', '/api/webhooks/7/test']);
    expect(within(row).getAllByTestId('delivery-row')[0]!.textContent).toContain('webhook.test');
    expect(within(row).getByTestId('test-event-sent').textContent).toMatch(/queued/);
  });

  it('"send test event" opens a closed log; a rate limit is said with the wait from retry-after', async () => {
    let limited = true;
    fakeIntegrations('admin', { webhooks: [aWebhook()] }, (c) => {
      if (c.path !== '/api/webhooks/7/test' || !limited) return undefined;
      limited = false;
      return { status: 429, headers: { 'retry-after': '30' }, body: { error: { kind: 'ResourceExhausted', code: 'RATE_LIMITED', message: 'too many requests' } } };
    });
    open();
    const row = await hookRow('7');
    fireEvent.click(within(row).getByTestId('send-test-event'));
    expect((await within(row).findByTestId('webhook-error')).textContent).toBe('Too many attempts. Try again in 30 seconds.');
    expect(within(row).queryByTestId('delivery-log')).toBeNull();
    fireEvent.click(within(row).getByTestId('send-test-event'));
    expect(await within(row).findByTestId('delivery-log')).toBeTruthy();
    expect((await within(row).findByTestId('delivery-row')).getAttribute('data-status')).toBe('pending');
  });

  it('disables and enables an endpoint, says why Queunir turned one off, and deletes after a confirmation', async () => {
    const { calls, state } = fakeIntegrations('owner', { webhooks: [aWebhook(), aWebhook({ id: '8', url: 'https://old.shop.example/in', enabled: false, disabledReason: 'deliveries failing for 24 h', failingSince: at(0) })] });
    open();
    const on = await hookRow('7');
    fireEvent.click(within(on).getByTestId('webhook-enabled'));
    await waitFor(async () => expect((await hookRow('7')).getAttribute('data-enabled')).toBe('false'));
    expect(calls.find((c) => c.method === 'PATCH')).toMatchObject({ path: '/api/webhooks/7', body: { enabled: false } });
    expect(within(await hookRow('7')).getByTestId('webhook-state').textContent).toBe('Disabled.');

    const off = await hookRow('8');
    expect(within(off).getByTestId('webhook-state').textContent).toBe('Disabled by Queunir: its deliveries failed for a day. Fix the receiving side, then enable it again.');
    fireEvent.click(within(off).getByTestId('webhook-enabled'));
    await waitFor(async () => expect(within(await hookRow('8')).getByTestId('webhook-state').textContent).toBe('Enabled.'));

    fireEvent.click(within(await hookRow('8')).getByTestId('delete-webhook'));
    expect(calls.some((c) => c.method === 'DELETE')).toBe(false);
    fireEvent.click(within(await hookRow('8')).getByTestId('delete-webhook-confirm'));
    await waitFor(() => expect(screen.getAllByTestId('webhook-row').map((r) => r.getAttribute('data-webhook-id'))).toEqual(['7']));
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual(['/api/webhooks/8']);
    expect(state.webhooks.map((w) => w.id)).toEqual(['7']);
  });

  it('an endpoint gone meanwhile is said in words (WEBHOOK_NOT_FOUND)', async () => {
    const { state } = fakeIntegrations('admin', { webhooks: [aWebhook()] });
    open();
    const row = await hookRow('7');
    state.webhooks = [];
    fireEvent.click(within(row).getByTestId('send-test-event'));
    expect((await within(row).findByTestId('webhook-error')).textContent).toBe('This webhook is no longer here: someone may have deleted it. Reload the page.');
  });
});

describe('who sees Integrations', () => {
  const shell = async (role: 'owner' | 'admin' | 'agent') => {
    vi.stubGlobal('EventSource', class { addEventListener() {} close() {} });
    fakeIntegrations(role, {}, (c) => (c.path.startsWith('/api/chats') ? { status: 200, body: { chats: 0 } } : undefined));
    const r = renderWith(<AppShell>page</AppShell>, { route: '/inbox' });
    await screen.findByTestId('nav-team');
    return r;
  };

  it('an agent sees no Integrations entry; an admin and an owner do, beside Account', async () => {
    const agent = await shell('agent');
    expect(screen.queryByTestId('nav-integrations')).toBeNull();
    agent.unmount();
    const admin = await shell('admin');
    expect(screen.getByTestId('nav-integrations').getAttribute('href')).toBe('/integrations');
    admin.unmount();
    await shell('owner');
    const labels = screen.getAllByRole('link').map((a) => a.textContent!.replace(/\u00AD/g, ''));
    expect(labels.slice(labels.indexOf('Account'), labels.indexOf('Account') + 2)).toEqual(['Account', 'Integrations']);
  });

  it('an agent who opens the address is told who manages integrations, and nothing is asked of the gateway', async () => {
    const { calls } = fakeIntegrations('agent');
    open();
    expect((await screen.findByTestId('integrations-not-allowed')).textContent).toMatch(/owners and admins/);
    expect(calls.some((c) => c.path.startsWith('/api/keys') || c.path.startsWith('/api/webhooks'))).toBe(false);
  });
});

describe('accessibility of the Integrations page', () => {
  it('has no axe violations with a key and a webhook listed, a new key shown and a delivery log open', async () => {
    fakeIntegrations('owner', { keys: [aKey(), aKey({ id: '2', name: 'Old CRM', revokedAt: at(40) })], webhooks: [aWebhook({ failingSince: at(3) })], deliveries: { '7': [aDelivery(), aDelivery({ id: '101', status: 'failed', attempts: 3, responseStatus: null, responseMs: null, responseBody: null, error: 'timeout after 10 s' })] } });
    const { container } = open();
    await screen.findAllByTestId('api-key-row');
    fireEvent.change(screen.getByTestId('api-key-name'), { target: { value: 'Sheets' } });
    fireEvent.click(screen.getByTestId('create-api-key'));
    await screen.findByTestId('new-key');
    fireEvent.click(within(await hookRow('7')).getByTestId('toggle-deliveries'));
    await screen.findAllByTestId('delivery-row');
    fireEvent.click(within(await keyRow('1')).getByTestId('revoke-api-key'));
    const result = await axe.run(container, { rules: { 'color-contrast': { enabled: false } } });
    expect(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(', ')}`)).toEqual([]);
  });
});
