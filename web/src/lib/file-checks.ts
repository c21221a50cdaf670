// What the server would refuse, found before uploading: nothing leaves the browser for a file that
// is empty, over its kind's limit or of a type WhatsApp does not take. The limits are the slice's
// defaults (MEDIA_MAX_PHOTO_MB, MEDIA_MAX_DOCUMENT_MB); the server checks again with its own.
import type { MediaKind } from '../api/types.ts';
import { formatSize } from './media-format.ts';

export const PHOTO_LIMIT_BYTES = 16 * 1024 * 1024;
export const DOCUMENT_LIMIT_BYTES = 100 * 1024 * 1024;

/** Programs: WhatsApp refuses them and a customer's phone could run them. */
const REFUSED_EXTENSIONS = /\.(exe|msi|bat|cmd|com|scr|pif|vbs|vbe|jse?|wsf|ps1|cpl|reg|lnk|hta)$/i;
const REFUSED_TYPES = new Set(['application/x-msdownload', 'application/x-msdos-program', 'application/x-ms-installer', 'application/x-bat', 'application/hta']);

/** The kind the server gives a file, by its content type (as api.md says). */
export function kindOfFile(file: { type: string }, voice = false): MediaKind {
  const type = file.type.toLowerCase();
  if (type.startsWith('image/')) return 'image';
  if (type.startsWith('video/')) return 'video';
  if (type.startsWith('audio/ogg') && voice) return 'voice';
  if (type.startsWith('audio/')) return 'audio';
  return 'document';
}

export function limitOf(kind: MediaKind): number {
  return kind === 'document' ? DOCUMENT_LIMIT_BYTES : PHOTO_LIMIT_BYTES;
}

/** A sentence saying why this file cannot be sent, or null when it can. */
export function fileProblem(file: { name: string; size: number; type: string }, voice = false): string | null {
  if (REFUSED_EXTENSIONS.test(file.name) || REFUSED_TYPES.has(file.type.toLowerCase())) return `"${file.name}" can't be sent: WhatsApp does not take programs.`;
  if (file.size === 0) return `"${file.name}" is empty: there is nothing to send.`;
  const kind = kindOfFile(file, voice);
  const limit = limitOf(kind);
  if (file.size > limit) {
    const what = kind === 'document' ? 'documents' : 'photos, videos and audio';
    return `"${file.name}" is too big (${formatSize(file.size)}): ${what} can be up to ${Math.round(limit / 1024 / 1024)} MB.`;
  }
  return null;
}
