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
