import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import { Route, Routes } from 'react-router';
import { InboxScreen } from '../src/screens/inbox.tsx';
import { ChatList } from '../src/components/chat-list.tsx';
import { syntheticChats } from './fixture-server.ts';
import { toChat } from '../src/api/normalise.ts';
import { fakeFetch, fakeLayout, renderWith } from './helpers.tsx';

fakeLayout();
afterEach(() => vi.unstubAllGlobals());

const all = syntheticChats(300).map((c) => ({ ...c, id: Number(c.id), contactId: Number(c.contactId) }));

function serve() {
  return fakeFetch((c) => {
    const url = new URL(c.path, 'http://x');
    if (url.pathname === '/api/chats') {
      const from = Number(url.searchParams.get('cursor') ?? 0);
      const limit = Number(url.searchParams.get('limit'));
      const q = url.searchParams.get('q');
      const list = q ? all.filter((x) => x.name.toLowerCase().includes(q.toLowerCase())) : all;
      return { status: 200, body: { items: list.slice(from, from + limit), nextCursor: from + limit < list.length ? String(from + limit) : null } };
    }
    if (url.pathname === '/api/labels' || url.pathname === '/api/stages') return { status: 200, body: { items: [], nextCursor: null } };
    if (/\/messages$/.test(url.pathname)) return { status: 200, body: { items: [], nextCursor: null } };
    if (/^\/api\/contacts\//.test(url.pathname)) return { status: 200, body: { id: 1, waId: 'x', name: 'X', phone: null, email: null, company: null, customFields: {}, stageId: null, chatId: 1 } };
    if (/\/notes$/.test(url.pathname)) return { status: 200, body: { items: [], nextCursor: null } };
    if (c.method === 'POST') return { status: 200, body: all[0] };
    return undefined;
  });
}

function Harness() {
  return (
    <Routes>
      <Route path="/inbox" element={<InboxScreen />} />
      <Route path="/inbox/:chatId" element={<InboxScreen />} />
    </Routes>
  );
}

describe('inbox', () => {
  it('virtualises: 10,000 chats put only a screenful of rows in the DOM', () => {
    const chats = syntheticChats(10_000).map(toChat);
    renderWith(<ChatList chats={chats} selectedId={null} onSelect={() => undefined} status="success" hasMore={false} loadingMore={false} onLoadMore={() => undefined} emptyText="none" />);
    const rows = screen.getAllByTestId('chat-row');
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThan(40);
    expect(rows[0]!.getAttribute('data-chat-id')).toBe('1');
  });

  it('down/up move through chats, / focuses search, Esc closes the contact panel', async () => {
    serve();
    renderWith(<Harness />, { route: '/inbox' });
    await screen.findAllByTestId('chat-row');
    fireEvent.keyDown(window, { key: 'ArrowDown' });
    await waitFor(() => expect(screen.getByTestId('conversation-title').textContent).toBe(all[0]!.name));
    fireEvent.keyDown(window, { key: 'ArrowDown' });
    await waitFor(() => expect(screen.getByTestId('conversation-title').textContent).toBe(all[1]!.name));
    fireEvent.keyDown(window, { key: 'ArrowUp' });
    await waitFor(() => expect(screen.getByTestId('conversation-title').textContent).toBe(all[0]!.name));

    fireEvent.keyDown(window, { key: '/' });
    expect(document.activeElement).toBe(screen.getByTestId('chat-search'));

    act(() => screen.getByTestId('toggle-contact').click());
    await screen.findByTestId('contact-panel');
    fireEvent.keyDown(window, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByTestId('contact-panel')).toBeNull());
  });

  it('the chat list shows unread badges and an empty state for filters that match nothing', async () => {
    serve();
    renderWith(<Harness />, { route: '/inbox' });
    await screen.findAllByTestId('chat-row');
    expect(screen.getAllByTestId('unread-badge').length).toBeGreaterThan(0);
    fireEvent.change(screen.getByTestId('chat-search'), { target: { value: 'nobody is called this' } });
    expect((await screen.findByTestId('chat-list-empty')).textContent).toContain('No chats match');
    fireEvent.change(screen.getByTestId('chat-search'), { target: { value: '' } });
    await screen.findAllByTestId('chat-row');
  });

  it('the open conversation stays mounted while a search filters its chat out of the list', async () => {
    serve();
    renderWith(<Harness />, { route: '/inbox' });
    await screen.findAllByTestId('chat-row');
    fireEvent.keyDown(window, { key: 'ArrowDown' });
    await waitFor(() => expect(screen.getByTestId('conversation-title').textContent).toBe(all[0]!.name));
    const before = screen.getByTestId('conversation');
    fireEvent.change(screen.getByTestId('chat-search'), { target: { value: 'nobody is called this' } });
    await screen.findByTestId('chat-list-empty');
    expect(screen.getByTestId('conversation')).toBe(before);
    expect(screen.getByTestId('conversation-title').textContent).toBe(all[0]!.name);
  });
  it('opening a chat puts the cursor in the composer; moving with the arrow keys leaves it on the list', async () => {
    serve();
    renderWith(<Harness />, { route: '/inbox' });
    const rows = await screen.findAllByTestId('chat-row');
    act(() => rows[2]!.click());
    await screen.findByTestId('conversation');
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('composer')));
    act(() => (document.activeElement as HTMLElement).blur());
    fireEvent.keyDown(window, { key: 'ArrowDown' });
    await waitFor(() => expect(screen.getByTestId('conversation-title').textContent).toBe(all[3]!.name));
    expect(document.activeElement).not.toBe(screen.getByTestId('composer'));
  });

  it('Escape closes the conversation on a phone, even while typing in the composer', async () => {
    const saved = window.matchMedia;
    window.matchMedia = ((q: string) => ({ matches: q.includes('max-width'), media: q, addEventListener() {}, removeEventListener() {} })) as unknown as typeof window.matchMedia;
    try {
      serve();
      renderWith(<Harness />, { route: '/inbox' });
      const rows = await screen.findAllByTestId('chat-row');
      act(() => rows[0]!.click());
      const composer = await screen.findByTestId('composer');
      await waitFor(() => expect(document.activeElement).toBe(composer));
      fireEvent.keyDown(composer, { key: 'Escape' });
      await waitFor(() => expect(screen.queryByTestId('conversation')).toBeNull());
    } finally {
      window.matchMedia = saved;
    }
  });
});
