// axe-core over a conversation holding every kind of message (issue 15): no violations. Colour
// contrast is left to the browser runs (e2e checkA11y): jsdom computes no colours.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import axe from 'axe-core';
import { Conversation } from '../src/components/conversation.tsx';
import { fakeFetch, renderWith } from './helpers.tsx';
import { media, rawMessage } from './media-fixtures.ts';

afterEach(() => vi.unstubAllGlobals());

const at = (n: number) => new Date(Date.UTC(2026, 10, 25, 9, n)).toISOString();
const m = (n: number, over: Record<string, unknown>) => rawMessage({ id: n, sentAt: at(n), ...over });
const withMedia = (n: number, mediaOver: Record<string, unknown>, over: Record<string, unknown> = {}) => m(n, { kind: 'media', mediaKind: mediaOver.kind, media: media(mediaOver), ...over });

const everyKind = [
  m(1, { kind: 'system', body: 'Ana joined using this group\'s invite link' }),
  m(2, { body: 'Hello, the vase arrived broken', reactions: [{ emoji: '😢', count: 1, mine: true }], editedAt: at(3) }),
  withMedia(3, { kind: 'image' }, { body: 'see the crack' }),
  withMedia(4, { kind: 'sticker', mimeType: 'image/webp', hasThumb: false }),
  withMedia(5, { kind: 'video', mimeType: 'video/mp4', durationMs: 8000 }),
  withMedia(6, { kind: 'voice', mimeType: 'audio/ogg', durationMs: 12_000, hasThumb: false }),
  withMedia(7, { kind: 'audio', mimeType: 'audio/mpeg', fileName: 'note.mp3', durationMs: 60_000, hasThumb: false }),
  withMedia(8, { kind: 'document', mimeType: 'application/pdf', fileName: 'receipt.pdf', size: 40_000, hasThumb: false }, { direction: 'out', ack: 3 }),
  withMedia(9, { kind: 'location', hasThumb: false, details: { latitude: 38.72, longitude: -9.14, name: 'Shop', address: 'Rua Garrett 12' } }),
  withMedia(10, { kind: 'contact', hasThumb: false, details: { name: 'Rita', phones: ['351912345678'] } }),
  withMedia(11, { kind: 'image', state: 'pending' }),
  withMedia(12, { kind: 'image', state: 'failed', hasThumb: false, error: { code: 'MEDIA_QUOTA_EXCEEDED', message: 'full' } }),
  m(13, { body: 'https://shop.example/vase', linkPreview: { title: 'Blue vase', description: 'Hand made', host: 'shop.example', url: 'https://shop.example/vase' }, direction: 'out', ack: 2 }),
].reverse();

async function violations(): Promise<string[]> {
  const result = await axe.run(document.body, { rules: { 'color-contrast': { enabled: false } } });
  return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

describe('accessibility of media messages', () => {
  it('a conversation with each kind has no axe violations, nor with the reaction picker or the lightbox open', async () => {
    fakeFetch((c) => (c.path.startsWith('/api/chats/5/messages') ? { status: 200, body: { items: everyKind, nextCursor: null } } : undefined));
    const chat = { id: '5', name: 'Ana', phone: null, preview: null, lastMessageAt: null, unreadCount: 0, labels: [], stageId: null };
    renderWith(
      <main>
        <Conversation chat={chat} onBack={() => undefined} onToggleContact={() => undefined} contactOpen={false} />
      </main>,
    );
    await screen.findByTestId('media-voice');
    await screen.findByTestId('media-audio');
    expect(screen.getAllByTestId('message')).toHaveLength(12);
    expect(screen.getAllByTestId('system-notice')).toHaveLength(1);
    expect(await violations()).toEqual([]);

    fireEvent.click(screen.getAllByTestId('react-button')[0]!);
    fireEvent.click(screen.getByTestId('attach'));
    expect(await violations()).toEqual([]);

    fireEvent.click(screen.getAllByTestId('open-media')[0]!);
    await screen.findByTestId('lightbox');
    await waitFor(async () => expect(await violations()).toEqual([]));
  });
});
