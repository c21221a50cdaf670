// What the media store takes: the largest file per kind, the quota, and the sentences a person
// reads when a file was refused.
import type { MediaKind } from '../wa/types.ts';

export interface MediaLimits {
  quotaBytes: number;
  maxPhotoBytes: number;
  maxDocumentBytes: number;
}

export type StoredKind = Exclude<MediaKind, null>;

export const MB = 1024 * 1024;

export function maxBytesOf(limits: MediaLimits, kind: StoredKind): number {
  return kind === 'document' ? limits.maxDocumentBytes : limits.maxPhotoBytes;
}

/** "2.0 GB" / "16 MB": sizes as people read them. */
export function humanSize(bytes: number): string {
  if (bytes >= 1024 * MB) return `${(bytes / (1024 * MB)).toFixed(1)} GB`;
  if (bytes >= MB) return `${(bytes / MB).toFixed(bytes % MB === 0 ? 0 : 1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${bytes} bytes`;
}

export function quotaMessage(usedBytes: number, quotaBytes: number): string {
  return `not downloaded: the media store of this workspace is full (${humanSize(usedBytes)} of ${humanSize(quotaBytes)} used)`;
}

export function tooLargeMessage(kind: StoredKind, size: number, limit: number): string {
  const what = kind === 'document' ? 'documents' : 'photos, videos, audio and stickers';
  return `the ${kind} is ${humanSize(size)}, over the limit of ${humanSize(limit)} for ${what}`;
}

/** The kind an uploaded file is sent as, from its content type (api.md). */
export function kindOfUpload(mimeType: string, voice: boolean): 'image' | 'video' | 'audio' | 'voice' | 'document' {
  const type = mimeType.toLowerCase().split(';')[0]!.trim();
  if (type.startsWith('image/')) return 'image';
  if (type.startsWith('video/')) return 'video';
  if (type === 'audio/ogg' && voice) return 'voice';
  if (type.startsWith('audio/')) return 'audio';
  return 'document';
}
