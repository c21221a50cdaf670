// Issue 14 in the browser's logic: a saved name with WhatsApp's beside it, one avatar colour per
// chat, deal values typed as people type them, and the pipeline's "Move to" menu and column totals.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { PipelineScreen } from '../src/screens/pipeline.tsx';
import { Avatar } from '../src/components/ui.tsx';
import { otherName } from '../src/lib/phone.ts';
import { formatDealValue, parseDealValue } from '../src/lib/money.ts';
import { fakeBoard, fakeFetch, renderWith } from './helpers.tsx';

afterEach(() => vi.unstubAllGlobals());

describe('names', () => {
  it("shows WhatsApp's name beside a saved one, and nothing when they are the same", () => {
    expect(otherName({ name: 'Ana (florist)', waName: 'Ana S.' })).toBe('~Ana S.');
    expect(otherName({ name: 'Ana S.', waName: 'Ana S.' })).toBe('');
    expect(otherName({ name: 'Ana S.' })).toBe('');
    expect(otherName({ name: 'Ana', waName: '351910000001' })).toBe('~+351 910 000 001');
  });

  it('gives a chat one avatar colour whatever name it shows', () => {
    const colour = (el: HTMLElement) => el.querySelector('span')!.style.backgroundColor;
    const a = render(<Avatar name="Ana S." seed="42" />);
    const b = render(<Avatar name="Ana (florist)" seed="42" />);
    const other = render(<Avatar name="Ana S." seed="43" />);
    expect(colour(a.container)).toBe(colour(b.container));
    expect(colour(a.container)).not.toBe(colour(other.container));
  });
});

describe('deal values', () => {
  it('reads amounts as people type them', () => {
    expect(parseDealValue('1200')).toBe(1200);
    expect(parseDealValue('1200.5')).toBe(1200.5);
    expect(parseDealValue('1.200,50')).toBe(1200.5);
    expect(parseDealValue('1,200.50')).toBe(1200.5);
    expect(parseDealValue(' 300 ')).toBe(300);
    expect(parseDealValue('')).toBeNull();
    for (const bad of ['-5', 'abc', '12a', '1e9', '$5']) expect(parseDealValue(bad), bad).toBeUndefined();
    expect(formatDealValue(1500.5)).toMatch(/1.?500[.,]5/);
  });
});

describe('pipeline', () => {
  it("moves a card with its Move to menu, and shows the server's totals per column", async () => {
    const chats = [
      { id: 1, waId: '1@c.us', name: 'Customer 1', phone: null, isGroup: false, preview: 'hi', lastMessageAt: null, unreadCount: 0, labels: [], stageId: 1, contactId: 101, dealValue: 1200.5 },
      { id: 2, waId: '2@c.us', name: 'Customer 2', phone: null, isGroup: false, preview: 'hi', lastMessageAt: null, unreadCount: 0, labels: [], stageId: null, contactId: 102, dealValue: null },
    ];
    const stages = () => [
      { id: 1, name: 'Lead', position: 0, color: '#2563eb', outcome: null, chatCount: chats.filter((c) => c.stageId === 1).length, dealTotal: chats.filter((c) => c.stageId === 1).reduce((s, c) => s + (c.dealValue ?? 0), 0) },
      { id: 2, name: 'Won', position: 1, color: '#16a34a', outcome: 'won', chatCount: chats.filter((c) => c.stageId === 2).length, dealTotal: chats.filter((c) => c.stageId === 2).reduce((s, c) => s + (c.dealValue ?? 0), 0) },
    ];
    const calls = fakeBoard(chats, stages);
    renderWith(<PipelineScreen />);
    const column = (id: string) => screen.getAllByTestId('pipeline-column').find((c) => c.getAttribute('data-stage-id') === id)!;
    await waitFor(() => expect(within(column('1')).getAllByTestId('pipeline-card')).toHaveLength(1));
    expect(within(column('1')).getByTestId('column-total').textContent).toMatch(/1.?200[.,]5/);
    expect(within(column('1')).getByTestId('card-deal-value').textContent).toMatch(/1.?200[.,]5/);
    expect(within(column('2')).queryByTestId('column-total')).toBeNull();

    const menu = within(column('1')).getByTestId('card-move') as HTMLSelectElement;
    expect(menu.getAttribute('aria-label')).toBe('Move Customer 1 to another stage');
    fireEvent.change(menu, { target: { value: '2' } });
    await waitFor(() => expect(within(column('2')).getAllByTestId('pipeline-card').map((c) => c.getAttribute('data-chat-id'))).toEqual(['1']));
    expect(calls.find((c) => c.method === 'PUT')).toMatchObject({ path: '/api/chats/1/stage', body: { stageId: 2 } });
    await waitFor(() => expect(within(column('2')).getByTestId('column-total').textContent).toMatch(/1.?200[.,]5/));
    expect(within(column('1')).getByTestId('column-count').textContent).toBe('0');
  });
});

describe('sign-up', () => {
  it("asks for the person's and the business's name and sends them, trimmed, only when given", async () => {
    const { AuthForm } = await import('../src/screens/auth.tsx');
    const me = { user: { id: '1', email: 'ana@flores.example', role: 'user', name: 'Ana Souza', businessName: 'Flores da Ana' }, csrfToken: 'x', slice: null, wa: null, plan: { status: 'active' } };
    const calls = fakeFetch((c) => (c.path === '/api/auth/register' ? { status: 200, body: me } : undefined));
    const done = vi.fn();
    renderWith(<AuthForm mode="register" onDone={done} />);
    fireEvent.change(screen.getByLabelText('Your name'), { target: { value: '  Ana Souza ' } });
    fireEvent.change(screen.getByLabelText('Business name'), { target: { value: 'Flores da Ana' } });
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'ana@flores.example' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'correct horse battery' } });
    fireEvent.submit(screen.getByRole('form', { name: 'Create account' }));
    await waitFor(() => expect(done).toHaveBeenCalled());
    expect(calls.find((c) => c.path === '/api/auth/register')?.body).toEqual({ email: 'ana@flores.example', password: 'correct horse battery', name: 'Ana Souza', businessName: 'Flores da Ana' });
  });

  it('leaves the names out when they are empty, and the login form has none', async () => {
    const { AuthForm } = await import('../src/screens/auth.tsx');
    const calls = fakeFetch((c) => (c.path === '/api/auth/register' ? { status: 200, body: { user: { id: '2', email: 'b@example.com', role: 'user' }, csrfToken: 'x', slice: null, wa: null, plan: { status: 'active' } } } : undefined));
    const done = vi.fn();
    const { unmount } = renderWith(<AuthForm mode="register" onDone={done} />);
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'b@example.com' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'correct horse battery' } });
    fireEvent.submit(screen.getByRole('form', { name: 'Create account' }));
    await waitFor(() => expect(done).toHaveBeenCalled());
    expect(calls.find((c) => c.path === '/api/auth/register')?.body).toEqual({ email: 'b@example.com', password: 'correct horse battery' });
    unmount();
    renderWith(<AuthForm mode="login" onDone={done} />);
    expect(screen.queryByLabelText('Your name')).toBeNull();
  });
});

describe('search results', () => {
  it("name each hit's chat and open the conversation at the message, loading older pages until it shows", async () => {
    const { Conversation } = await import('../src/components/conversation.tsx');
    const msg = (id: number) => ({ id, chatId: 5, direction: 'in', author: 'Ana', body: `message ${id}`, sentAt: new Date(Date.UTC(2026, 10, 1) + id * 60_000).toISOString(), ack: 0, mediaKind: null, quotedId: null });
    fakeFetch((c) => {
      const url = new URL(c.path, 'http://x');
      if (url.pathname === '/api/chats/5/messages') {
        // Newest first, two pages: the message searched for is on the second.
        return url.searchParams.get('before')
          ? { status: 200, body: { items: [msg(2), msg(1)], nextCursor: null } }
          : { status: 200, body: { items: [msg(4), msg(3)], nextCursor: 'older' } };
      }
      if (url.pathname === '/api/chats/5/read') return { status: 200, body: {} };
      return undefined;
    });
    const chat = { id: '5', name: 'Ana', phone: null, preview: null, lastMessageAt: null, unreadCount: 0, labels: [], stageId: null };
    renderWith(<Conversation chat={chat} onBack={() => undefined} onToggleContact={() => undefined} contactOpen={false} jumpTo="1" />);
    await waitFor(() => expect(document.querySelector('[data-message-id="1"]')?.getAttribute('data-jumped')).toBe('true'));
    expect(screen.getAllByTestId('message').map((m) => m.getAttribute('data-message-id'))).toEqual(['1', '2', '3', '4']);
  });
});

describe('the tab title count', () => {
  it("is the slice's count of every unread chat, not only the loaded ones", async () => {
    const { renderHook } = await import('@testing-library/react');
    const { QueryClient, QueryClientProvider } = await import('@tanstack/react-query');
    const { useUnreadChats } = await import('../src/components/tab-title.ts');
    const { keys } = await import('../src/api/keys.ts');
    fakeFetch((c) => (c.path === '/api/chats/unread-count' ? { status: 200, body: { chats: 37 } } : undefined));
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    // Two loaded chats, one unread: the lists alone would say 1.
    client.setQueryData(keys.chats({}), { pages: [{ items: [{ id: '1', unreadCount: 2 }, { id: '2', unreadCount: 0 }], nextCursor: 'more' }], pageParams: [null] });
    const wrapper = ({ children }: { children: React.ReactNode }) => <QueryClientProvider client={client}>{children}</QueryClientProvider>;
    const { result } = renderHook(() => useUnreadChats(), { wrapper });
    expect(result.current).toBe(1);
    await waitFor(() => expect(result.current).toBe(37));
  });
});
