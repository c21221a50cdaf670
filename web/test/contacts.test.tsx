// The Contacts page (issue 14): every contact, searched and paged by the server, with its chat's
// labels and stage and its custom fields; a bulk change goes chat by chat, shows its progress, lists
// each failure in words and keeps the failed rows selected.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { Route, Routes, useParams } from 'react-router';
import { ContactsScreen, parseAction } from '../src/screens/contacts.tsx';
import { runBulk } from '../src/lib/bulk.ts';
import { fakeFetch, renderWith } from './helpers.tsx';

afterEach(() => vi.unstubAllGlobals());

const vip = { id: 1, name: 'VIP', color: '#d97706' };
const lead = { id: 4, name: 'Lead', position: 0, color: '#2563eb' };
const contacts = [
  { id: 1, waId: '1@c.us', name: 'Ana (florist)', waName: 'Ana S.', phone: '+351910000001', email: 'ana@flores.pt', company: 'Flores', customFields: { City: 'Lisboa', Size: 'L' }, stageId: 4, chatId: 11 },
  { id: 2, waId: '2@c.us', name: 'Bruno', waName: 'Bruno', phone: '+351910000002', email: null, company: null, customFields: {}, stageId: null, chatId: 12 },
  { id: 3, waId: '3@c.us', name: 'Carla', waName: null, phone: '+351910000003', email: null, company: null, customFields: {}, stageId: null, chatId: null },
  { id: 4, waId: '4@c.us', name: 'Duarte', waName: 'Duarte', phone: '+351910000004', email: null, company: null, customFields: {}, stageId: null, chatId: 14 },
];
const chats = new Map(
  contacts.filter((c) => c.chatId).map((c) => [c.chatId!, { id: c.chatId!, waId: c.waId, name: c.name, waName: c.waName ?? c.name, phone: c.phone, isGroup: false, preview: null, lastMessageAt: null, unreadCount: 0, labels: c.id === 1 ? [vip] : ([] as (typeof vip)[]), stageId: c.stageId, contactId: c.id, dealValue: null, pinned: false, muted: false, archived: false }]),
);

/** A fake slice: contacts two to a page (a cursor is the next index), chats, labels; chat 12 refuses label changes. */
function serve() {
  return fakeFetch((c) => {
    const url = new URL(c.path, 'http://x');
    if (url.pathname === '/api/contacts') {
      const q = url.searchParams.get('q')?.toLowerCase();
      const list = q ? contacts.filter((x) => [x.name, x.waName, x.phone, x.email, x.company].some((v) => v?.toLowerCase().includes(q))) : contacts;
      const from = Number(url.searchParams.get('cursor') ?? 0);
      return { status: 200, body: { items: list.slice(from, from + 2), nextCursor: from + 2 < list.length ? String(from + 2) : null } };
    }
    if (url.pathname === '/api/labels') return { status: 200, body: { items: [vip], nextCursor: null } };
    if (url.pathname === '/api/stages') return { status: 200, body: { items: [lead], nextCursor: null } };
    const label = /^\/api\/chats\/(\d+)\/labels\/(\d+)$/.exec(url.pathname);
    if (label && c.method === 'PUT') {
      if (label[1] === '12') return { status: 409, body: { error: { kind: 'FailedPrecondition', code: 'CONFLICT', message: 'changed elsewhere' } } };
      const chat = chats.get(Number(label[1]))!;
      chat.labels = [vip];
      return { status: 200, body: chat };
    }
    const one = /^\/api\/chats\/(\d+)$/.exec(url.pathname);
    if (one && c.method === 'GET') return { status: 200, body: chats.get(Number(one[1])) };
    return undefined;
  });
}

const row = (name: string) => screen.getAllByTestId('contact-row').find((r) => r.textContent?.includes(name))!;

describe('the contacts page', () => {
  it('lists contacts with their chat labels, stage and custom fields, searches and pages by cursor', async () => {
    const calls = serve();
    renderWith(<ContactsScreen />);
    await waitFor(() => expect(screen.getAllByTestId('contact-row')).toHaveLength(2));
    const ana = row('Ana (florist)');
    expect(within(ana).getByTestId('contact-wa-name').textContent).toBe('~Ana S.');
    expect(within(ana).getByTestId('contact-phone-cell').textContent).toBe('+351 910 000 001');
    expect(ana.textContent).toContain('ana@flores.pt');
    expect(ana.textContent).toContain('Flores');
    await waitFor(() => expect(within(ana).getByTestId('contact-labels').textContent).toBe('VIP'));
    expect(within(ana).getByTestId('contact-stage-cell').textContent).toBe('Lead');
    expect(within(ana).getByTestId('contact-custom-fields').textContent).toBe('CityLisboaSizeL');
    expect(within(row('Bruno')).queryByTestId('contact-wa-name')).toBeNull();

    fireEvent.click(screen.getByTestId('contacts-more'));
    await waitFor(() => expect(screen.getAllByTestId('contact-row')).toHaveLength(4));
    expect(calls.some((c) => c.path === '/api/contacts?cursor=2&limit=50')).toBe(true);
    expect(screen.queryByTestId('contacts-more')).toBeNull();
    expect(screen.getByTestId('contacts-shown').textContent).toBe('4 contacts shown');

    fireEvent.change(screen.getByTestId('contact-search'), { target: { value: 'flores' } });
    await waitFor(() => expect(screen.getAllByTestId('contact-row')).toHaveLength(1));
    expect(calls.some((c) => c.path === '/api/contacts?limit=50&q=flores')).toBe(true);
    fireEvent.change(screen.getByTestId('contact-search'), { target: { value: 'nobody' } });
    expect((await screen.findByTestId('contacts-empty')).textContent).toContain('No contacts match “nobody”');
  });

  it('adds a label to every selected contact, with progress, and lists and keeps selected the ones that failed', async () => {
    const calls = serve();
    renderWith(<ContactsScreen />);
    await waitFor(() => expect(screen.getAllByTestId('contact-row')).toHaveLength(2));
    fireEvent.click(screen.getByTestId('contacts-more'));
    await waitFor(() => expect(screen.getAllByTestId('contact-row')).toHaveLength(4));
    fireEvent.click(screen.getByTestId('select-all'));
    expect(screen.getByTestId('selected-count').textContent).toBe('4 selected');
    fireEvent.click(within(row('Ana (florist)')).getByTestId('select-contact'));
    expect(screen.getByTestId('selected-count').textContent).toBe('3 selected');
    expect((screen.getByTestId('select-all') as HTMLInputElement).checked).toBe(false);

    const action = screen.getByTestId('bulk-action') as HTMLSelectElement;
    expect([...action.options].map((o) => o.text)).toEqual(['Choose a change…', 'Add label: VIP', 'Remove label: VIP', 'Stage: Lead', 'No stage']);
    fireEvent.change(action, { target: { value: 'add:1' } });
    fireEvent.click(screen.getByTestId('bulk-apply'));
    const progress = screen.getByTestId('bulk-progress');
    await waitFor(() => expect(progress.getAttribute('data-done')).toBe('3'));
    expect(progress.textContent).toBe('Done: 1 of 3 changed, 2 failed (still selected)');
    const failures = screen.getAllByTestId('bulk-failure');
    expect(failures.map((f) => f.textContent)).toEqual(['Bruno: This was changed somewhere else at the same moment. Try again.', 'Carla: This contact has no chat, so it has no labels or stage.']);
    expect(calls.filter((c) => c.method === 'PUT').map((c) => c.path)).toEqual(['/api/chats/12/labels/1', '/api/chats/14/labels/1']);
    await waitFor(() => expect(within(row('Duarte')).getByTestId('contact-labels').textContent).toBe('VIP'));
    expect(screen.getByTestId('selected-count').textContent).toBe('2 selected');
    expect((within(row('Bruno')).getByTestId('select-contact') as HTMLInputElement).checked).toBe(true);
    expect((within(row('Duarte')).getByTestId('select-contact') as HTMLInputElement).checked).toBe(false);
  });

  it('a name opens its chat in the inbox', async () => {
    serve();
    function Inbox() {
      return <span data-testid="inbox-chat">{useParams().chatId}</span>;
    }
    renderWith(
      <Routes>
        <Route path="/contacts" element={<ContactsScreen />} />
        <Route path="/inbox/:chatId" element={<Inbox />} />
      </Routes>,
      { route: '/contacts' },
    );
    await waitFor(() => expect(screen.getAllByTestId('contact-row')).toHaveLength(2));
    expect(within(row('Bruno')).getByTestId('contact-open').getAttribute('href')).toBe('/inbox/12');
    fireEvent.click(within(row('Bruno')).getByTestId('contact-phone-cell'));
    expect((await screen.findByTestId('inbox-chat')).textContent).toBe('12');
  });
});

describe('bulk rules', () => {
  it('reads the chosen change and runs every item, one at a time, whatever fails', async () => {
    expect(parseAction('add:3')).toEqual({ kind: 'add', labelId: 3 });
    expect(parseAction('remove:3')).toEqual({ kind: 'remove', labelId: 3 });
    expect(parseAction('stage:none')).toEqual({ kind: 'stage', stageId: null });
    expect(parseAction('')).toBeNull();
    let running = 0;
    const seen: number[] = [];
    const result = await runBulk([1, 2, 3], async (n) => {
      running++;
      expect(running).toBe(1);
      await new Promise((r) => setTimeout(r, 1));
      running--;
      if (n === 2) throw new Error('no');
      return n;
    }, (p) => seen.push(p.done));
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(result.failures.map((f) => f.item)).toEqual([2]);
  });
});

describe('the contacts page and the server-side labels', () => {
  it("shows the labels the contact list answers, without asking for each row's chat", async () => {
    const withLabels = contacts.map((c) => ({ ...c, labels: c.id === 1 ? [vip] : [] }));
    const calls = fakeFetch((c) => {
      const url = new URL(c.path, 'http://x');
      if (url.pathname === '/api/contacts') return { status: 200, body: { items: withLabels, nextCursor: null } };
      if (url.pathname === '/api/labels') return { status: 200, body: { items: [vip], nextCursor: null } };
      if (url.pathname === '/api/stages') return { status: 200, body: { items: [lead], nextCursor: null } };
      return undefined;
    });
    renderWith(<ContactsScreen />);
    await waitFor(() => expect(screen.getAllByTestId('contact-row')).toHaveLength(4));
    expect(within(row('Ana (florist)')).getByTestId('contact-labels').textContent).toContain('VIP');
    expect(calls.filter((c) => /^\/api\/chats\/\d+$/.test(c.path))).toEqual([]);
  });
});
