import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { PipelineScreen } from '../src/screens/pipeline.tsx';
import { ContactPanel } from '../src/components/contact-panel.tsx';
import { toChat } from '../src/api/normalise.ts';
import { fakeBoard, fakeFetch, renderWith } from './helpers.tsx';

afterEach(() => vi.unstubAllGlobals());

const rawChat = (id: number, stageId: number | null) => ({
  id,
  waId: `${id}@c.us`,
  name: `Customer ${id}`,
  phone: `+3519100000${id}`,
  isGroup: false,
  preview: 'hi',
  lastMessageAt: new Date(Date.UTC(2026, 10, 25, 12) - id * 60_000).toISOString(),
  unreadCount: 0,
  labels: [],
  stageId,
  contactId: 100 + id,
});

/** HTML5 drag and drop carries its payload in a DataTransfer; jsdom has none, so a map stands in. */
function dataTransfer() {
  const store = new Map<string, string>();
  return { setData: (k: string, v: string) => store.set(k, v), getData: (k: string) => store.get(k) ?? '', dropEffect: 'none', effectAllowed: 'all' };
}

describe('pipeline board', () => {
  it('shows a column per stage with counts, and dragging a card moves the chat', async () => {
    const chats = [rawChat(1, null), rawChat(2, 1), rawChat(3, null)];
    const calls = fakeBoard(chats, [{ id: 1, name: 'Lead', position: 0, color: '#2563eb' }, { id: 2, name: 'Won', position: 1, color: '#16a34a' }]);
    renderWith(<PipelineScreen />);
    await waitFor(() => expect(screen.getAllByTestId('pipeline-card')).toHaveLength(3));
    const column = (id: string) => screen.getAllByTestId('pipeline-column').find((c) => c.getAttribute('data-stage-id') === id)!;
    const count = (id: string) => within(column(id)).getByTestId('column-count').textContent;
    expect([count('none'), count('1'), count('2')]).toEqual(['2', '1', '0']);

    const card = within(column('none')).getAllByTestId('pipeline-card').find((c) => c.getAttribute('data-chat-id') === '3')!;
    const dt = dataTransfer();
    fireEvent.dragStart(card, { dataTransfer: dt });
    fireEvent.dragOver(column('2'), { dataTransfer: dt });
    fireEvent.drop(column('2'), { dataTransfer: dt });

    await waitFor(() => expect(within(column('2')).getAllByTestId('pipeline-card').map((c) => c.getAttribute('data-chat-id'))).toEqual(['3']));
    expect([count('none'), count('1'), count('2')]).toEqual(['1', '1', '1']);
    expect(calls.find((c) => c.method === 'PUT')).toMatchObject({ path: '/api/chats/3/stage', body: { stageId: 2 } });
  });
});

describe('contact panel', () => {
  it('edits a field in place (Enter saves, Esc cancels) and adds a note', async () => {
    let contact = { id: 101, waId: '1@c.us', name: 'Customer 1', phone: '+351910000001', email: null as string | null, company: null, customFields: {}, stageId: null, chatId: 1 };
    const notes: Array<{ id: number; chatId: number; body: string; createdAt: string; updatedAt: string }> = [];
    const calls = fakeFetch((c) => {
      if (c.path === '/api/contacts/101' && c.method === 'GET') return { status: 200, body: contact };
      if (c.path === '/api/contacts/101' && c.method === 'PATCH') {
        contact = { ...contact, ...(c.body as object) };
        return { status: 200, body: contact };
      }
      if (c.path === '/api/stages' || c.path === '/api/labels') return { status: 200, body: { items: [], nextCursor: null } };
      if (c.path === '/api/chats/1/notes' && c.method === 'GET') return { status: 200, body: { items: notes, nextCursor: null } };
      if (c.path === '/api/chats/1/notes' && c.method === 'POST') {
        const n = { id: 7, chatId: 1, body: (c.body as { body: string }).body, createdAt: new Date().toISOString(), updatedAt: new Date().toISOString() };
        notes.unshift(n);
        return { status: 201, body: n };
      }
      return undefined;
    });
    renderWith(<ContactPanel chat={toChat(rawChat(1, null))} onClose={() => undefined} />);

    fireEvent.click(await screen.findByTestId('contact-email'));
    const input = screen.getByTestId('contact-email-input');
    fireEvent.change(input, { target: { value: 'typo@' } });
    fireEvent.keyDown(input, { key: 'Escape' });
    expect(screen.getByTestId('contact-email').textContent).toBe('Add email');

    fireEvent.click(screen.getByTestId('contact-email'));
    fireEvent.change(screen.getByTestId('contact-email-input'), { target: { value: 'buyer@shop.pt' } });
    fireEvent.keyDown(screen.getByTestId('contact-email-input'), { key: 'Enter' });
    await waitFor(() => expect(screen.getByTestId('contact-email').textContent).toBe('buyer@shop.pt'));
    expect(calls.filter((c) => c.method === 'PATCH')).toEqual([expect.objectContaining({ body: { email: 'buyer@shop.pt' } })]);

    fireEvent.change(screen.getByTestId('new-note'), { target: { value: 'Call back on Monday' } });
    fireEvent.click(screen.getByTestId('add-note'));
    await waitFor(() => expect(screen.getAllByTestId('note')[0]!.textContent).toContain('Call back on Monday'));
  });
});
