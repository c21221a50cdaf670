// How media is written in words: sizes, durations, the chat list's preview of a media message.
import type { Media, Message } from '../api/types.ts';

/** 812 B, 14 kB, 3.4 MB, in the units the limits are given in (1 MB = 1024 kB), so "17 MB" is over "16 MB". */
export function formatSize(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} kB`;
  const mb = bytes / (1024 * 1024);
  return `${mb < 10 ? mb.toFixed(1) : Math.round(mb)} MB`;
}

/** 0:07, 1:05, 1:02:03. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '';
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

const ICON: Record<string, string> = { image: '📷', video: '🎥', audio: '🎵', voice: '🎤', document: '📄', sticker: '🏷️', location: '📍', contact: '👤' };
const NAME: Record<string, string> = {
  image: 'Photo',
  video: 'Video',
  audio: 'Audio',
  voice: 'Voice message',
  document: 'Document',
  sticker: 'Sticker',
  location: 'Location',
  contact: 'Contact card',
};

export function mediaLabel(kind: string): string {
  return NAME[kind] ?? 'Attachment';
}

/** The type of a document in a word or two: "PDF", "Word", the extension, else the mime subtype. */
export function documentType(media: Pick<Media, 'mimeType' | 'fileName'>): string {
  const ext = /\.([A-Za-z0-9]{1,8})$/.exec(media.fileName ?? '')?.[1]?.toUpperCase();
  const mime = media.mimeType ?? '';
  if (mime === 'application/pdf' || ext === 'PDF') return 'PDF';
  if (/word|msword/.test(mime) || ext === 'DOC' || ext === 'DOCX') return 'Word';
  if (/sheet|excel/.test(mime) || ext === 'XLS' || ext === 'XLSX' || ext === 'CSV') return ext === 'CSV' ? 'CSV' : 'Excel';
  if (/presentation|powerpoint/.test(mime) || ext === 'PPT' || ext === 'PPTX') return 'PowerPoint';
  if (/zip|compressed|tar|rar|7z/.test(mime)) return 'Archive';
  if (ext) return ext;
  return mime.split('/')[1]?.toUpperCase() ?? 'File';
}

/** The chat list's line for a message: its text, else "📷 Photo", "🎤 Voice message 0:12", "📄 file.pdf". */
export function previewOf(msg: Pick<Message, 'body' | 'mediaKind'> & Partial<Pick<Message, 'media' | 'kind'>>): string {
  const kind = msg.media?.kind ?? msg.mediaKind;
  if (!kind) return msg.body;
  const icon = ICON[kind] ?? '📎';
  if (kind === 'document') return `${icon} ${msg.media?.fileName || msg.body || 'Document'}`;
  if (msg.body) return `${icon} ${msg.body}`;
  if (kind === 'voice' || kind === 'audio' || kind === 'video') {
    const d = formatDuration(msg.media?.durationMs);
    return `${icon} ${mediaLabel(kind)}${d ? ` ${d}` : ''}`;
  }
  if (kind === 'location') {
    const name = msg.media?.details?.name;
    return `${icon} ${typeof name === 'string' && name ? name : 'Location'}`;
  }
  if (kind === 'contact') {
    const name = msg.media?.details?.name;
    return `${icon} ${typeof name === 'string' && name ? name : 'Contact card'}`;
  }
  return `${icon} ${mediaLabel(kind)}`;
}
