// Messages with media as the API sends them (api.md), for the media tests.
import { toMessage } from '../src/api/normalise.ts';

export const SENT = '2026-11-25T10:00:00.000Z';

export const rawMessage = (over: Record<string, unknown> = {}) => ({ id: 1, chatId: 5, direction: 'in', author: null, body: '', sentAt: SENT, ack: 1, mediaKind: null, quotedId: null, ...over });
export const msg = (over: Record<string, unknown> = {}) => toMessage(rawMessage(over));

export const media = (over: Record<string, unknown> = {}) => ({
  id: 9,
  kind: 'image',
  mimeType: 'image/jpeg',
  size: 120_000,
  fileName: null,
  width: 800,
  height: 600,
  durationMs: null,
  state: 'stored',
  hasThumb: true,
  error: null,
  details: null,
  ...over,
});

export const withMedia = (m: Record<string, unknown>, over: Record<string, unknown> = {}) => msg({ kind: 'media', mediaKind: m.kind ?? 'image', media: media(m), ...over });

/**
 * The media parts of a bubble and the attach panel are lazy chunks: load them once so a test can
 * look for what they render at once, as a page does after its first media message.
 */
export async function loadMediaChunks(): Promise<void> {
  const { render, screen, cleanup } = await import('@testing-library/react');
  const { createElement } = await import('react');
  const { MessageBubble } = await import('../src/components/message-bubble.tsx');
  const { Composer } = await import('../src/components/composer.tsx');
  render(createElement(MessageBubble, { message: withMedia({}) }));
  await screen.findByTestId('media-image');
  const none = () => undefined;
  render(createElement(Composer, { onSend: none, attach: { file: new File(['x'], 'a.txt', { type: 'text/plain' }), problem: null, offer: none, cancel: none, send: none } }));
  await screen.findByTestId('attach-panel');
  cleanup();
}
