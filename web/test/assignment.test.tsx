// Issue 16 in the inbox: Mine / Unassigned / All with counts, the assignee control, "sent by", and
// the live events that carry them.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { Route, Routes } from 'react-router';
import { QueryClient } from '@tanstack/react-query';
import { InboxScreen } from '../src/screens/inbox.tsx';
import { AssigneeControl } from '../src/components/assignee-control.tsx';
import { MessageBubble } from '../src/components/message-bubble.tsx';
import { applyEvent } from '../src/events/apply.ts';
import { keys, normaliseFilters } from '../src/api/keys.ts';
import { toChat, toMessage } from '../src/api/normalise.ts';
import type { Chat } from '../src/api/types.ts';
import { fakeLayout, renderWith } from './helpers.tsx';
import { rawMessage } from './media-fixtures.ts';
import { fakeTeam, meAs } from './team-fixtures.ts';

fakeLayout();
afterEach(() => vi.unstubAllGlobals());

const rawChat = (id: number, assignee: { memberId: string; name: string } | null, over: Record<string, unknown> = {}) => ({
  id,
  name: `Chat ${id}`,
  phone: null,
  preview: null,
  lastMessageAt: new Date(Date.UTC(2026, 11, 1, 10, id)).toISOString(),
  unreadCount: 0,
  labels: [],
  stageId: null,
  assignee,
  ...over,
});

const ANA = { memberId: 'm3', name: 'Ana' };
const ADAM = { memberId: 'm2', name: 'Adam' };
// Newest first, as the slice answers.
const chats = [rawChat(3, ADAM), rawChat(2, null), rawChat(1, ANA)];

function serveInbox(role: 'agent' | 'admin' | 'owner') {
  return fakeTeam(role, (c) => {
    const url = new URL(c.path, 'http://x');
    if (url.pathname === '/api/chats/counts') return { status: 200, body: { mine: 1, unassigned: 1, all: 3 } };
    if (url.pathname === '/api/chats') {
      const a = url.searchParams.get('assignee');
      const items = chats.filter((x) => (a === 'me' ? x.assignee?.memberId === 'm3' : a === 'none' ? x.assignee === null : true));
      return { status: 200, body: { items, nextCursor: null } };
    }
    if (url.pathname === '/api/labels' || url.pathname === '/api/stages') return { status: 200, body: { items: [], nextCursor: null } };
    return undefined;
  });
}

function Inbox() {
  return (
    <Routes>
      <Route path="/inbox" element={<InboxScreen />} />
      <Route path="/inbox/:chatId" element={<InboxScreen />} />
    </Routes>
  );
}

const rowIds = () => screen.queryAllByTestId('chat-row').map((r) => r.getAttribute('data-chat-id'));

describe('inbox filters Mine / Unassigned / All', () => {
  it('shows the counts and asks the slice for assignee=me|none', async () => {
    const { calls } = serveInbox('agent');
    renderWith(<Inbox />, { route: '/inbox' });
    const mine = await screen.findByTestId('inbox-filter-mine');
    await waitFor(() => expect(within(mine).getByTestId('filter-count').textContent).toBe('1'));
    expect(within(screen.getByTestId('inbox-filter-unassigned')).getByTestId('filter-count').textContent).toBe('1');
    expect(within(screen.getByTestId('inbox-filter-all')).getByTestId('filter-count').textContent).toBe('3');
    expect(screen.getByTestId('inbox-filter-all').getAttribute('aria-pressed')).toBe('true');
    await waitFor(() => expect(rowIds()).toEqual(['3', '2', '1']));

    fireEvent.click(mine);
    await waitFor(() => expect(rowIds()).toEqual(['1']));
    expect(mine.getAttribute('aria-pressed')).toBe('true');
    expect(calls.some((c) => c.path.startsWith('/api/chats?') && c.path.includes('assignee=me'))).toBe(true);

    fireEvent.click(screen.getByTestId('inbox-filter-unassigned'));
    await waitFor(() => expect(rowIds()).toEqual(['2']));
    expect(calls.some((c) => c.path.includes('assignee=none'))).toBe(true);
    // "All" sends no assignee at all: the slice's default is what this member may see.
    const allCalls = calls.filter((c) => c.path.startsWith('/api/chats?'));
    expect(allCalls[0]!.path).not.toContain('assignee');
  });

  it('a chat assigned to me by an event appears in Mine; one taken by someone else leaves it', async () => {
    serveInbox('agent');
    const { client } = renderWith(<Inbox />, { route: '/inbox' });
    fireEvent.click(await screen.findByTestId('inbox-filter-mine'));
    await waitFor(() => expect(rowIds()).toEqual(['1']));
    await waitFor(() => expect(client.getQueryData(keys.me)).toBeTruthy());
    act(() => applyEvent(client, { type: 'chat.updated', data: rawChat(2, ANA) }));
    await waitFor(() => expect(rowIds()).toEqual(['2', '1']));
    act(() => applyEvent(client, { type: 'chat.updated', data: rawChat(1, ADAM) }));
    await waitFor(() => expect(rowIds()).toEqual(['2']));
  });
});

describe('events reducer and the team', () => {
  const seed = (qc: QueryClient, list: Chat[]) => {
    qc.setQueryData(keys.me, meAs('agent'));
    for (const assignee of [null, 'me', 'none'] as const) {
      const f = normaliseFilters({ assignee });
      const items = list.filter((c) => (assignee === 'me' ? (c.assignee as { memberId: string } | null)?.memberId === 'm3' : assignee === 'none' ? !c.assignee : true));
      qc.setQueryData(keys.chats(f), { pages: [{ items, nextCursor: null }], pageParams: [null] });
    }
  };
  const ids = (qc: QueryClient, assignee: 'me' | 'none' | null) => qc.getQueryData<{ pages: { items: Chat[] }[] }>(keys.chats(normaliseFilters({ assignee })))!.pages[0]!.items.map((c) => c.id);

  it('{id, hidden: true} drops the chat from every list and forgets its messages', () => {
    const qc = new QueryClient();
    seed(qc, chats.map(toChat));
    qc.setQueryData(keys.messages('2'), { pages: [{ items: [], nextCursor: null }], pageParams: [null] });
    applyEvent(qc, { type: 'chat.updated', data: { id: 2, hidden: true } });
    expect(ids(qc, null)).toEqual(['3', '1']);
    expect(ids(qc, 'none')).toEqual([]);
    expect(qc.getQueryData(keys.messages('2'))).toBeUndefined();
  });

  it('an update without an assignee keeps the one the list knew', () => {
    const qc = new QueryClient();
    seed(qc, chats.map(toChat));
    applyEvent(qc, { type: 'chat.updated', data: { id: 1, name: 'Renamed', unreadCount: 0, labels: [], stageId: null, lastMessageAt: chats[0]!.lastMessageAt } });
    expect(ids(qc, 'me')).toEqual(['1']);
  });

  it('message.created carries sentBy into the cache; team.updated asks for the team again', async () => {
    const qc = new QueryClient();
    qc.setQueryData(keys.messages('5'), { pages: [{ items: [], nextCursor: null }], pageParams: [null] });
    applyEvent(qc, { type: 'message.created', data: rawMessage({ id: 10, direction: 'out', body: 'On its way', sentBy: ANA }) });
    expect(qc.getQueryData<{ pages: { items: { sentBy: unknown }[] }[] }>(keys.messages('5'))!.pages[0]!.items[0]!.sentBy).toEqual(ANA);
    qc.setQueryData(keys.members, []);
    applyEvent(qc, { type: 'team.updated', data: {} });
    expect(qc.getQueryState(keys.members)!.isInvalidated).toBe(true);
  });
});

describe('"sent by" on outgoing bubbles', () => {
  it('names the member who sent it; incoming and phone-sent messages say nothing', () => {
    render(
      <>
        <MessageBubble message={toMessage(rawMessage({ id: 1, direction: 'out', body: 'Hi', sentBy: ANA }))} />
        <MessageBubble message={toMessage(rawMessage({ id: 2, direction: 'out', body: 'From the phone', sentBy: null }))} />
        <MessageBubble message={toMessage(rawMessage({ id: 3, direction: 'in', body: 'Thanks' }))} />
      </>,
    );
    const tags = screen.getAllByTestId('sent-by');
    expect(tags).toHaveLength(1);
    expect(tags[0]!.textContent).toContain('sent by Ana');
    expect(tags[0]!.closest('[data-testid="message"]')!.getAttribute('data-message-id')).toBe('1');
  });
});

describe('assignee control', () => {
  const options = () => [...(screen.getByTestId('assignee-select') as HTMLSelectElement).options].map((o) => o.textContent);

  it('an admin assigns anyone; the PUT carries the member id and the lists follow', async () => {
    const { calls } = serveInbox('admin');
    const chat = toChat(rawChat(2, null));
    const { client } = renderWith(<AssigneeControl chat={chat} />);
    await waitFor(() => expect(options()).toEqual(['Unassigned', 'Olga', 'Adam (me)', 'Ana']));
    client.setQueryData(keys.chats(normaliseFilters({ assignee: 'none' })), { pages: [{ items: [chat], nextCursor: null }], pageParams: [null] });
    // The fake gateway answers the PUT with the chat now assigned.
    calls.length = 0;
    vi.stubGlobal(
      'fetch',
      vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
        calls.push({ method: init?.method ?? 'GET', path: String(input), headers: {}, body: init?.body ? JSON.parse(String(init.body)) : undefined });
        return new Response(JSON.stringify(rawChat(2, ANA)), { status: 200, headers: { 'content-type': 'application/json' } });
      }),
    );
    fireEvent.change(screen.getByTestId('assignee-select'), { target: { value: 'm3' } });
    await waitFor(() => expect(calls.find((c) => c.method === 'PUT')).toMatchObject({ path: '/api/chats/2/assignee', body: { memberId: 'm3' } }));
    await waitFor(() => expect(client.getQueryData<{ pages: { items: Chat[] }[] }>(keys.chats(normaliseFilters({ assignee: 'none' })))!.pages[0]!.items).toEqual([]));
  });

  it('an agent may take an unassigned chat (Me) but not give it to others', async () => {
    serveInbox('agent');
    renderWith(<AssigneeControl chat={toChat(rawChat(2, null))} />);
    await screen.findByTestId('assignee-select');
    await waitFor(() => expect(options()).toEqual(['Unassigned', 'Me']));
    expect((screen.getByTestId('assignee-select') as HTMLSelectElement).disabled).toBe(false);
  });

  it("an agent sees someone else's chat as theirs, locked", async () => {
    serveInbox('agent');
    renderWith(<AssigneeControl chat={toChat(rawChat(3, ADAM))} />);
    const select = (await screen.findByTestId('assignee-select')) as HTMLSelectElement;
    await waitFor(() => expect(select.value).toBe('m2'));
    expect(options()).toEqual(['Unassigned', 'Adam']);
    expect(select.disabled).toBe(true);
  });
});
