// What stands for a file before its chunk loads (the box it will take, so nothing jumps), and the
// old placeholder for messages from servers without media details (the kind's icon and name).
import type { Media, Message } from '../../api/types.ts';
import { mediaLabel } from '../../lib/media-format.ts';
import { mediaBox } from './media-box.ts';

/** Location and contact messages carry their text form in the body too: the card replaces it. */
export function cardReplacesBody(message: Message): boolean {
  const k = message.media?.kind;
  return (k === 'location' || k === 'contact') && !!message.media?.details;
}

export function MediaSlot({ media }: { media: Media }) {
  const visual = media.kind === 'image' || media.kind === 'sticker' || media.kind === 'video';
  const box = visual ? mediaBox(media) : { width: 224, height: media.kind === 'audio' || media.kind === 'voice' ? 40 : 56 };
  return <div aria-hidden className="mb-1 max-w-full rounded-md bg-black/5" style={{ width: box.width, height: box.height }} />;
}

export function MediaPlaceholder({ kind }: { kind: string }) {
  return (
    <div data-testid="media-placeholder" className="mb-1 flex items-center gap-2 rounded-md bg-black/5 px-3 py-2 text-xs text-stone-600">
      <MediaIcon kind={kind} />
      <span>{mediaLabel(kind)}</span>
    </div>
  );
}

function MediaIcon({ kind }: { kind: string }) {
  const d: Record<string, string> = {
    image: 'M3 4h14v12H3zM5 14l3.5-4 2.5 3 2-2 2 3z',
    video: 'M3 5h10v10H3zM13 8l4-2v8l-4-2z',
    audio: 'M8 3v9.5A2.5 2.5 0 1 1 6 10V3h6v3H8z',
    voice: 'M10 2a2.5 2.5 0 0 1 2.5 2.5v5a2.5 2.5 0 0 1-5 0v-5A2.5 2.5 0 0 1 10 2zM5 9.5a5 5 0 0 0 10 0M10 14.5V18',
    document: 'M5 2h7l4 4v12H5zM12 2v4h4',
    location: 'M10 18s-5-5.5-5-9a5 5 0 0 1 10 0c0 3.5-5 9-5 9zM10 7a2 2 0 1 0 0 4 2 2 0 0 0 0-4z',
  };
  return (
    <svg viewBox="0 0 20 20" className="size-5 shrink-0 text-stone-500" fill="none" stroke="currentColor" strokeWidth="1.4" aria-hidden>
      <path d={d[kind] ?? d.document!} />
    </svg>
  );
}
