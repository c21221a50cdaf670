// How a stored file is served: which types a browser may show on our origin (others go out as
// application/octet-stream, so nothing a customer sent is ever run as HTML or script), and a
// Content-Disposition whose file name cannot break the header or name a path.
import type { StoredKind } from './limits.ts';

/** Types a browser shows without running anything (no SVG: it can hold script). */
const SAFE_INLINE = new Set([
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
  'image/avif',
  'video/mp4',
  'video/webm',
  'video/3gpp',
  'audio/ogg',
  'audio/mpeg',
  'audio/mp4',
  'audio/aac',
  'audio/amr',
  'audio/webm',
  'audio/wav',
]);
/** Labelled as what they are, but always downloaded. */
const SAFE_LABEL = new Set(['application/pdf']);
const INLINE_KINDS = new Set<StoredKind>(['image', 'video', 'audio', 'voice', 'sticker']);

function essence(mimeType: string | null): string {
  return (mimeType ?? '').toLowerCase().split(';')[0]!.trim();
}

export function servedType(mimeType: string | null): string {
  const type = essence(mimeType);
  return SAFE_INLINE.has(type) || SAFE_LABEL.has(type) ? type : 'application/octet-stream';
}

export function isInline(kind: StoredKind, mimeType: string | null): boolean {
  return INLINE_KINDS.has(kind) && SAFE_INLINE.has(essence(mimeType));
}

/**
 * `inline` or `attachment`, with an ASCII fallback name (quotes, backslashes, controls and
 * non-ASCII replaced) and the exact name as RFC 5987 UTF-8; only the last path segment is kept.
 */
export function contentDisposition(type: 'inline' | 'attachment', fileName: string | null, fallback: string): string {
  const base = (fileName ?? '').split(/[/\\]/).pop()!.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  const name = base === '' || base === '.' || base === '..' ? fallback : base;
  const ascii = name.normalize('NFKD').replace(/\p{M}/gu, '').replace(/[^\x20-\x7e]/g, '_').replace(/["\\%]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
