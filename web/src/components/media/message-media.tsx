// The file part of a bubble, by kind. Messages from servers without media details keep the old
// placeholder (the kind's icon and name).
import { lazy, Suspense } from 'react';
import type { Media, Message } from '../../api/types.ts';
import { formatDuration, mediaLabel } from '../../lib/media-format.ts';
import { ContactCard, DocumentCard, LocationCard } from './cards.tsx';
import { MediaStateLine } from './media-state.tsx';
import { ImageMedia, VideoMedia } from './visual-media.tsx';

const AudioPlayer = lazy(() => import('./audio-player.tsx'));

/** Location and contact messages carry their text form in the body too: the card replaces it. */
export function cardReplacesBody(message: Message): boolean {
  const k = message.media?.kind;
  return (k === 'location' || k === 'contact') && !!message.media?.details;
}

function AudioFallback({ media }: { media: Media }) {
  return (
    <div className="mb-1 flex min-w-56 items-center gap-2 text-xs text-stone-600">
      {mediaLabel(media.kind)} {formatDuration(media.durationMs)}
    </div>
  );
}

export function MessageMedia({ message }: { message: Message }) {
  const media = message.media;
  if (!media) {
    if (!message.mediaKind) return null;
    return (
      <div data-testid="media-placeholder" className="mb-1 flex items-center gap-2 rounded-md bg-black/5 px-3 py-2 text-xs text-stone-600">
        <MediaIcon kind={message.mediaKind} />
        <span>{mediaLabel(message.mediaKind)}</span>
      </div>
    );
  }
  switch (media.kind) {
    case 'image':
    case 'sticker':
      return <ImageMedia messageId={message.id} media={media} caption={message.body} />;
    case 'video':
      return <VideoMedia messageId={message.id} media={media} />;
    case 'audio':
    case 'voice':
      return (
        <div className="flex flex-col">
          <Suspense fallback={<AudioFallback media={media} />}>
            <AudioPlayer media={media} />
          </Suspense>
          <MediaStateLine media={media} messageId={message.id} />
        </div>
      );
    case 'location':
      return <LocationCard media={media} />;
    case 'contact':
      return <ContactCard media={media} />;
    default:
      return <DocumentCard media={media} messageId={message.id} />;
  }
}

export function MediaIcon({ kind }: { kind: string }) {
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
