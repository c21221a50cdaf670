// Pin, mute, archive and "New chat" over a real session: real Chromium and the real DOM code
// against the simulator (the test double for WhatsApp's servers), the store and the HTTP API.
// The page shows each change, the API shows it, and a reload of the page reads it back.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'puppeteer-core';
import { buildSliceApp } from '../app.ts';
import { generateScenario, type SimScenario } from '../sim/scenario.ts';
import type { SimPhone } from '../sim/phone.ts';
import type { WaSessionHandle } from '../wa/index.ts';
import { TOKEN, auth, openStore, sliceDb } from './helpers.ts';
import { RecordingSink, requireChromium, simSession } from './wa-support.ts';

t.setTimeout(10 * 60_000);
requireChromium(t);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'queunir-chat-flags-'));
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
const base = generateScenario({ chats: 6, messages: 40, seed: 11 });
const people = base.chats.filter((c) => !c.isGroup);
const prePinned = people[0]!;
const preArchived = people[1]!;
const target = people[2]!;
const scenario: SimScenario = {
  ...base,
  chats: base.chats.map((c) => (c === prePinned ? { ...c, pinned: true } : c === preArchived ? { ...c, archived: true } : c)),
  incoming: [],
  unregisteredNumbers: ['+5511987654321'],
};
const scenarioFile = path.join(dir, 'scenario.json');
fs.writeFileSync(scenarioFile, JSON.stringify(scenario));

t.test('chat flags and new chats, page ↔ store ↔ API', async (t) => {
  const fx = await sliceDb(t, 'slice-chat-flags-sim');
  const store = await openStore(t, fx);
  const authDir = path.join(dir, 'auth');
  let session: WaSessionHandle = simSession({ authDir, scenarioFile, sink: store.sink as unknown as RecordingSink });
  const holder = { session };
  t.teardown(() => holder.session.stop());
  // The app asks whatever session is current (the test restarts it below).
  const sessionProxy = new Proxy({} as WaSessionHandle, { get: (_, k) => { const v = (holder.session as any)[k]; return typeof v === 'function' ? v.bind(holder.session) : v; } });
  const app = await buildSliceApp({ store, session: sessionProxy, token: TOKEN, waMode: 'sim' });
  t.teardown(() => app.close());
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const call = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${url}${p}`, { method, headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as any };
  };
  const listIds = async (q = '') => ((await call('GET', `/api/chats?limit=200${q}`)).body.items as { waId: string }[]).map((c) => c.waId);
  const chatOf = async (waId: string) => {
    const all = [...(await call('GET', '/api/chats?limit=200')).body.items, ...(await call('GET', '/api/chats?limit=200&archived=true')).body.items];
    return all.find((c: { waId: string }) => c.waId === waId);
  };
  const page = () => (holder.session as unknown as { page: Page }).page;
  const phone = () => holder.session.sim as unknown as SimPhone;
  /** What the page's main list shows for a chat: null when it has no row there. */
  const rowOnPage = (name: string) =>
    page().evaluate((n: string) => {
      const row = Array.from(document.querySelectorAll('#pane-side [role="row"]')).find((r) => r.querySelector(`span[title="${n}"]`));
      const archivedView = !!document.querySelector('[data-testid="archived-header"]');
      return row ? { pinned: !!row.querySelector('[data-icon^="pinned"]'), muted: !!row.querySelector('[data-icon="muted"]'), archivedView } : null;
    }, name);

  const start = async () => {
    await holder.session.start();
    for (const t0 = Date.now(); holder.session.status().state !== 'QR' && holder.session.status().state !== 'READY'; ) {
      if (Date.now() - t0 > 60_000) throw new Error(`no QR (state ${holder.session.status().state})`);
      await new Promise((r) => setTimeout(r, 50));
    }
    if (holder.session.status().state === 'QR') await holder.session.sim!.scan();
    for (const t0 = Date.now(); holder.session.status().state !== 'READY'; ) {
      if (Date.now() - t0 > 60_000) throw new Error('no READY');
      await new Promise((r) => setTimeout(r, 50));
    }
    await holder.session.synced();
    await store.flush();
  };
  await start();

  await t.test('the initial sync reads pinned and archived from the page', async (t) => {
    t.equal((await chatOf(prePinned.jid))?.pinned, true, 'the pinned row');
    t.equal((await chatOf(preArchived.jid))?.archived, true, 'the chat in the Archived list');
    const main = await listIds();
    t.equal(main[0], prePinned.jid, 'pinned first in the API');
    t.notOk(main.includes(preArchived.jid), 'archived hidden from the main list');
    t.same(await listIds('&archived=true'), [preArchived.jid], 'and shown with archived=true');
    t.equal(main.length + 1, scenario.chats.length, 'every chat read');
    t.same((await holder.session.health()).missingSelectors, [], 'the self-check finds every selector');
  });

  const id = async (waId: string) => (await chatOf(waId)).id as number;

  await t.test('pin and unpin', async (t) => {
    const r = await call('PATCH', `/api/chats/${await id(target.jid)}`, { pinned: true });
    t.equal(r.status, 200, JSON.stringify(r.body));
    t.equal(r.body.pinned, true);
    t.same(await rowOnPage(target.name), { pinned: true, muted: false, archivedView: false }, 'the page shows the pin');
    t.same((await listIds()).slice(0, 2).sort(), [prePinned.jid, target.jid].sort(), 'both pinned chats first');
    t.equal(phone().chats().find((c) => c.jid === target.jid)?.pinned, true, 'the phone has it');
    const u = await call('PATCH', `/api/chats/${await id(target.jid)}`, { pinned: false });
    t.equal(u.body.pinned, false);
    t.equal((await rowOnPage(target.name))?.pinned, false, 'the pin is gone on the page');
    t.equal((await listIds())[0], prePinned.jid);
  });

  await t.test('mute (the popup answered "Always") and unmute', async (t) => {
    const r = await call('PATCH', `/api/chats/${await id(target.jid)}`, { muted: true });
    t.equal(r.status, 200, JSON.stringify(r.body));
    t.equal(r.body.muted, true);
    t.equal((await rowOnPage(target.name))?.muted, true, 'the muted icon on the page');
    const u = await call('PATCH', `/api/chats/${await id(target.jid)}`, { muted: false });
    t.equal(u.body.muted, false);
    t.equal((await rowOnPage(target.name))?.muted, false);
  });

  await t.test('archive and unarchive', async (t) => {
    const r = await call('PATCH', `/api/chats/${await id(target.jid)}`, { archived: true, muted: true });
    t.equal(r.status, 200, JSON.stringify(r.body));
    t.same([r.body.archived, r.body.muted], [true, true]);
    t.equal(await rowOnPage(target.name), null, 'gone from the main list on the page');
    t.notOk((await listIds()).includes(target.jid), 'gone from the API main list');
    t.ok((await listIds('&archived=true')).includes(target.jid), 'in the Archived list');
    const u = await call('PATCH', `/api/chats/${await id(preArchived.jid)}`, { archived: false });
    t.equal(u.status, 200, JSON.stringify(u.body));
    t.equal(u.body.archived, false);
    t.ok(await rowOnPage(preArchived.name), 'back in the main list on the page');
    t.ok((await listIds()).includes(preArchived.jid), 'and in the API');
  });

  await t.test('a page action that cannot be done stores nothing and names what failed', async (t) => {
    const before = await fx.db.selectFrom('chats').selectAll().orderBy('id').execute();
    const r = await call('PATCH', `/api/chats/${await id(target.jid)}`, { pinned: true });
    t.equal(r.status, 409, 'an archived chat cannot be pinned: its menu offers no "Pin chat"');
    t.equal(r.body.error.code, 'WA_ACTION_NOT_CONFIRMED');
    t.match(r.body.error.message, /"Pin chat"/);
    t.same(await fx.db.selectFrom('chats').selectAll().orderBy('id').execute(), before, 'nothing stored');
    const bad = await call('PATCH', `/api/chats/${await id(target.jid)}`, {});
    t.equal(bad.status, 400);
    t.equal((await call('PATCH', '/api/chats/99999', { muted: true })).status, 404);
    t.equal((await call('POST', '/api/chats', { phone: '12ab' })).status, 400);
    t.same(await fx.db.selectFrom('chats').selectAll().orderBy('id').execute(), before, 'still nothing stored');
  });

  let newId = 0;
  await t.test('a new chat with a phone number, then a message to it', async (t) => {
    const r = await call('POST', '/api/chats', { phone: '+55 11 91234 5678'.replace(/ /g, '') });
    t.equal(r.status, 201, JSON.stringify(r.body));
    t.equal(r.body.waId, '5511912345678@c.us', 'the id the conversation header names');
    t.equal(r.body.phone, '+5511912345678');
    newId = r.body.id;
    const header = await page().evaluate(() => document.querySelector('#main header [data-id]')?.getAttribute('data-id'));
    t.equal(header, '5511912345678@c.us', 'the page shows the conversation');
    const again = await call('POST', '/api/chats', { phone: '5511912345678' });
    t.same([again.status, again.body.id], [200, newId], 'the same chat again: 200');
    const sent = await call('POST', `/api/chats/${newId}/messages`, { body: 'olá, novo contato' });
    t.equal(sent.status, 202);
    for (const t0 = Date.now(); !phone().chats().find((c) => c.jid === '5511912345678@c.us')?.messages.some((m) => m.body === 'olá, novo contato'); ) {
      if (Date.now() - t0 > 15_000) throw new Error('the message did not reach the phone');
      await new Promise((r) => setTimeout(r, 100));
    }
    t.pass('the message reached the phone');
    const none = await call('POST', '/api/chats', { phone: '+5511987654321' });
    t.equal(none.status, 404, 'a number with no WhatsApp account');
    t.equal(none.body.error.code, 'WA_NUMBER_NOT_FOUND');
    t.notOk(await chatOf('5511987654321@c.us'), 'nothing stored for it');
  });

  await t.test('a reload of the page reads the flags back from it', async (t) => {
    await holder.session.stop();
    // Forget them in the store: only the page can bring them back.
    await fx.db.updateTable('chats').set({ pinned: false, muted: false, archived: false }).execute();
    session = simSession({ authDir, scenarioFile, sink: store.sink as unknown as RecordingSink });
    holder.session = session;
    await start();
    const tgt = await chatOf(target.jid);
    t.same([tgt.archived, tgt.muted], [true, true], 'archived and muted, as the page shows');
    t.equal((await chatOf(prePinned.jid)).pinned, true, 'still pinned');
    t.equal((await chatOf(preArchived.jid)).archived, false, 'the unarchived chat stays in the main list');
    t.ok((await listIds()).includes('5511912345678@c.us'), 'the new chat is in the list');
  });
});
