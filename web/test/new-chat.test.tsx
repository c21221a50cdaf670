// "New chat" (issue 14): the number grouped as it is typed, a typo named before asking the server,
// WhatsApp's "not on WhatsApp" in words, and the chat opened (and listed) when it exists.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { Route, Routes, useParams } from 'react-router';
import { NewChatForm, nextTyped } from '../src/components/new-chat.tsx';
import { InboxScreen } from '../src/screens/inbox.tsx';
import { keys } from '../src/api/keys.ts';
import type { Chat } from '../src/api/types.ts';
import type { Pages } from '../src/events/cache.ts';
import { formatTyping, phoneProblem } from '../src/lib/phone.ts';
import { fakeFetch, fakeLayout, renderWith } from './helpers.tsx';

fakeLayout();
afterEach(() => vi.unstubAllGlobals());

const newChat = { id: 77, waId: '5511912345678@c.us', name: '+5511912345678', waName: '+5511912345678', phone: '+5511912345678', isGroup: false, preview: null, lastMessageAt: null, unreadCount: 0, labels: [], stageId: null, contactId: 5, dealValue: null, pinned: false, muted: false, archived: false };

describe('the number as it is typed', () => {
  it('groups the digits the way the country writes them, the country code first', () => {
    expect(formatTyping('5511912345678')).toBe('+55 11 91234 5678');
    expect(formatTyping('+44 20 7946')).toMatch(/^\+44 20 7946/);
    expect(formatTyping('')).toBe('');
    expect(formatTyping('+')).toBe('+');
  });

  it('a deleted space takes the digit before it with it, so backspace always shortens the number', () => {
    const shown = formatTyping('551191');
    const withoutSpace = shown.replace(/ (?=\d+$)/, '');
    expect(nextTyped(shown, withoutSpace)).toBe(formatTyping('55119'));
    expect(nextTyped('+55 1', '+55 12')).toBe(formatTyping('5512'));
  });

  it('names what is wrong with a number before it is sent', () => {
    expect(phoneProblem('+55 11 91234 5678')).toBeNull();
    expect(phoneProblem('')).toMatch(/Enter the phone number/);
    expect(phoneProblem('+55 11')).toMatch(/too short/);
    expect(phoneProblem('0911 234 567')).toMatch(/country code/);
    expect(phoneProblem('+1234567890123456')).toMatch(/too long/);
    expect(phoneProblem('+55 11 abc')).toMatch(/digits only/);
  });
});

describe('the form', () => {
  it('refuses a short number without asking the server', async () => {
    const calls = fakeFetch(() => undefined);
    renderWith(<NewChatForm onOpen={() => {}} onCancel={() => {}} />);
    const input = screen.getByLabelText('Phone number, country code first') as HTMLInputElement;
    expect(document.activeElement).toBe(input);
    fireEvent.change(input, { target: { value: '+55 11' } });
    fireEvent.click(screen.getByTestId('new-chat-start'));
    expect((await screen.findByTestId('new-chat-error')).textContent).toMatch(/too short/);
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(calls).toHaveLength(0);
  });

  it('says "This number is not on WhatsApp." when WhatsApp finds no account', async () => {
    const calls = fakeFetch((c) =>
      c.method === 'POST' ? { status: 404, body: { error: { kind: 'NotFound', code: 'WA_NUMBER_NOT_FOUND', message: '"New chat" found no WhatsApp account for +5511987654321' } } } : undefined,
    );
    const onOpen = vi.fn();
    renderWith(<NewChatForm onOpen={onOpen} onCancel={() => {}} />);
    const input = screen.getByTestId('new-chat-phone') as HTMLInputElement;
    fireEvent.change(input, { target: { value: '5511987654321' } });
    expect(input.value).toBe('+55 11 98765 4321');
    fireEvent.click(screen.getByTestId('new-chat-start'));
    expect((await screen.findByTestId('new-chat-error')).textContent).toBe('This number is not on WhatsApp.');
    expect(calls[0]).toMatchObject({ method: 'POST', path: '/api/chats', body: { phone: '5511987654321' } });
    expect(onOpen).not.toHaveBeenCalled();
    // Typing again clears the old answer.
    fireEvent.change(input, { target: { value: '+55 11 98765 43210' } });
    expect(screen.queryByTestId('new-chat-error')).toBeNull();
  });

  it('names the phone number when the server finds it invalid, and the link when WhatsApp is not ready', async () => {
    let answer = { status: 400, body: { error: { kind: 'InvalidArgument', code: 'INVALID_ARGUMENT', message: 'body/phone +0001234567 is not a valid phone number' } } };
    fakeFetch((c) => (c.method === 'POST' ? answer : undefined));
    renderWith(<NewChatForm onOpen={() => {}} onCancel={() => {}} />);
    fireEvent.change(screen.getByTestId('new-chat-phone'), { target: { value: '+1 000 123 4567' } });
    fireEvent.click(screen.getByTestId('new-chat-start'));
    expect((await screen.findByTestId('new-chat-error')).textContent).toMatch(/full phone number with the country code/);
    answer = { status: 409, body: { error: { kind: 'FailedPrecondition', code: 'WA_NOT_READY', message: 'not ready' } } };
    fireEvent.click(screen.getByTestId('new-chat-start'));
    await waitFor(() => expect(screen.getByTestId('new-chat-error').textContent).toMatch(/not linked yet/));
    expect(screen.getByRole('link', { name: 'Link WhatsApp' }).getAttribute('href')).toBe('/link');
  });

  it('n in the inbox opens the form; the new chat is listed and opened', async () => {
    const calls = fakeFetch((c) => {
      const url = new URL(c.path, 'http://x');
      if (url.pathname === '/api/chats' && c.method === 'GET') return { status: 200, body: { items: [], nextCursor: null } };
      if (url.pathname === '/api/chats' && c.method === 'POST') return { status: 201, body: newChat };
      if (url.pathname === '/api/labels' || url.pathname === '/api/stages' || url.pathname.endsWith('/messages')) return { status: 200, body: { items: [], nextCursor: null } };
      return undefined;
    });
    function Opened() {
      return <span data-testid="opened">{useParams().chatId}</span>;
    }
    const { client } = renderWith(
      <Routes>
        <Route path="/inbox" element={<InboxScreen />} />
        <Route path="/inbox/:chatId" element={<><Opened /><InboxScreen /></>} />
      </Routes>,
      { route: '/inbox' },
    );
    await screen.findByTestId('new-chat');
    await waitFor(() => expect(calls.some((c) => c.path.startsWith('/api/chats?'))).toBe(true));
    fireEvent.keyDown(window, { key: 'n' });
    const input = await screen.findByTestId('new-chat-phone');
    fireEvent.change(input, { target: { value: '+55 11 91234 5678' } });
    fireEvent.submit(screen.getByTestId('new-chat-form'));
    expect((await screen.findByTestId('opened')).textContent).toBe('77');
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ phone: '5511912345678' });
    expect(screen.queryByTestId('new-chat-form')).toBeNull();
    const listed = client.getQueryData<Pages<Chat>>(keys.chats({}))!.pages[0]!.items.map((c) => c.id);
    expect(listed).toEqual(['77']);
    expect((await screen.findByTestId('conversation-title')).textContent).toBe('+55 11 91234 5678');
  });
});
