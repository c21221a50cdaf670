// Photos, stickers and videos: the thumbnail first, loaded when the bubble comes near the viewport,
// in a box reserved from the reported size. A photo opens the lightbox; a video loads the native
// player only when asked to play.
import { lazy, Suspense, useRef, useState } from 'react';
import type { Media } from '../../api/types.ts';
import { mediaUrl } from '../../api/media.ts';
import { formatDuration, mediaLabel } from '../../lib/media-format.ts';
import { mediaBox } from './media-box.ts';
import { useMediaSrc, useNearViewport } from './use-media-src.ts';
import { useUpload } from './uploads.ts';
import { MediaStateOverlay } from './media-state.tsx';

const Lightbox = lazy(() => import('./lightbox.tsx'));

/** The picture a bubble shows first: the local file while uploading, else the thumbnail, else the file. */
function usePicture(messageId: string, media: Media, near: boolean): string | null {
  const upload = useUpload(messageId);
  const url = media.id > 0 && near ? (media.hasThumb ? mediaUrl(media.id, { thumb: true }) : media.state === 'stored' && media.kind !== 'video' ? mediaUrl(media.id) : null) : null;
  const src = useMediaSrc(url);
  return upload?.localUrl ?? src;
}

export function ImageMedia({ messageId, media, caption }: { messageId: string; media: Media; caption: string }) {
  const ref = useRef<HTMLButtonElement>(null);
  const near = useNearViewport(ref);
  const src = usePicture(messageId, media, near);
  const [open, setOpen] = useState(false);
  const box = mediaBox(media);
  const sticker = media.kind === 'sticker';
  const alt = caption || media.fileName || mediaLabel(media.kind);
  const canOpen = media.state === 'stored' && media.id > 0;
  return (
    <>
      <div data-testid={sticker ? 'media-sticker' : 'media-image'} data-state={media.state} style={{ width: box.width, height: box.height }} className={`relative mb-1 max-w-full overflow-hidden rounded-md ${sticker ? '' : 'bg-stone-200'}`}>
        <button
          ref={ref}
          type="button"
          data-testid="open-media"
          aria-label={canOpen ? `Open ${sticker ? 'sticker' : 'photo'}${caption ? `: ${caption}` : ''}` : `${mediaLabel(media.kind)} (not downloaded)`}
          disabled={!canOpen}
          onClick={() => setOpen(true)}
          className="block size-full"
        >
          {src ? (
            <img
              src={src}
              alt={alt}
              loading="lazy"
              decoding="async"
              width={box.width}
              height={box.height}
              className={`size-full ${sticker ? 'object-contain' : 'object-cover'} ${media.state === 'pending' ? 'scale-105 blur-sm' : ''}`}
            />
          ) : null}
        </button>
        <MediaStateOverlay media={media} messageId={messageId} />
      </div>
      {open ? (
        <Suspense fallback={null}>
          <Lightbox media={media} alt={alt} onClose={() => setOpen(false)} returnFocus={ref} />
        </Suspense>
      ) : null}
    </>
  );
}

export function VideoMedia({ messageId, media }: { messageId: string; media: Media }) {
  const ref = useRef<HTMLDivElement>(null);
  const near = useNearViewport(ref);
  const poster = usePicture(messageId, media, near);
  const [playing, setPlaying] = useState(false);
  const src = useMediaSrc(playing ? mediaUrl(media.id) : null);
  const box = mediaBox(media);
  const canPlay = media.state === 'stored' && media.id > 0;
  return (
    <div ref={ref} data-testid="media-video" data-state={media.state} style={{ width: box.width, height: box.height }} className="relative mb-1 max-w-full overflow-hidden rounded-md bg-stone-800">
      {playing && src ? (
        // Captions are the sender's; WhatsApp videos carry none to offer.
        <video data-testid="video-player" src={src} poster={poster ?? undefined} controls autoPlay playsInline className="size-full bg-black" />
      ) : (
        <>
          {poster ? <img src={poster} alt="" loading="lazy" className={`size-full object-cover ${media.state === 'pending' ? 'blur-sm' : ''}`} /> : null}
          {canPlay ? (
            <button type="button" data-testid="play-video" onClick={() => setPlaying(true)} aria-label={`Play video${media.durationMs ? `, ${formatDuration(media.durationMs)}` : ''}`} className="absolute inset-0 flex items-center justify-center">
              <span className="flex size-12 items-center justify-center rounded-full bg-black/55 text-white">
                <svg viewBox="0 0 20 20" className="size-6" fill="currentColor" aria-hidden>
                  <path d="M6 4l10 6-10 6z" />
                </svg>
              </span>
            </button>
          ) : null}
          {media.durationMs ? <span className="absolute bottom-1 left-1.5 rounded bg-black/55 px-1 text-[11px] text-white">{formatDuration(media.durationMs)}</span> : null}
          <MediaStateOverlay media={media} messageId={messageId} />
        </>
      )}
    </div>
  );
}
