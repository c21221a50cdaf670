// The box a photo, sticker or video takes in a bubble, from the sizes the server reports, so the
// conversation does not jump when the thumbnail arrives.
import type { Media } from '../../api/types.ts';

const MAX_W = 280;
const MAX_H = 320;
const STICKER = 160;

export function mediaBox(media: Pick<Media, 'kind' | 'width' | 'height'>): { width: number; height: number } {
  if (media.kind === 'sticker') return { width: STICKER, height: STICKER };
  const w = media.width ?? 0;
  const h = media.height ?? 0;
  if (w <= 0 || h <= 0) return { width: 240, height: 180 };
  const scale = Math.min(MAX_W / w, MAX_H / h, 1);
  return { width: Math.max(120, Math.round(w * scale)), height: Math.max(80, Math.round(h * scale)) };
}
