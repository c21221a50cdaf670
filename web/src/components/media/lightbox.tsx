// The full photo over the page (a lazy chunk): Escape or the close button shut it, Tab stays inside,
// and focus goes back to the photo it came from.
import { useEffect, useRef, type RefObject } from 'react';
import type { Media } from '../../api/types.ts';
import { mediaUrl } from '../../api/media.ts';
import { useMediaSrc } from './use-media-src.ts';

export default function Lightbox({ media, alt, onClose, returnFocus }: { media: Media; alt: string; onClose: () => void; returnFocus?: RefObject<HTMLElement | null> }) {
  const ref = useRef<HTMLDivElement>(null);
  const closeRef = useRef<HTMLButtonElement>(null);
  const src = useMediaSrc(mediaUrl(media.id));
  const download = useMediaSrc(mediaUrl(media.id, { download: true }));

  useEffect(() => {
    closeRef.current?.focus();
    const back = returnFocus?.current;
    return () => back?.focus();
  }, [returnFocus]);

  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      onClose();
      return;
    }
    if (e.key !== 'Tab') return;
    const focusable = [...(ref.current?.querySelectorAll<HTMLElement>('a[href], button:not([disabled])') ?? [])];
    if (focusable.length === 0) return;
    const first = focusable[0]!;
    const last = focusable[focusable.length - 1]!;
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  };

  return (
    <div ref={ref} role="dialog" aria-modal="true" aria-label={alt} data-testid="lightbox" onKeyDown={onKeyDown} className="fixed inset-0 z-50 flex flex-col bg-black/90">
      <div className="flex items-center justify-end gap-2 p-3">
        {download ? (
          <a href={download} download={media.fileName ?? ''} data-testid="lightbox-download" className="rounded-md px-3 py-1.5 text-sm text-white hover:bg-white/15">
            Download
          </a>
        ) : null}
        <button ref={closeRef} type="button" data-testid="lightbox-close" onClick={onClose} className="rounded-md px-3 py-1.5 text-sm text-white hover:bg-white/15">
          Close
        </button>
      </div>
      <div className="flex min-h-0 flex-1 items-center justify-center p-4" onClick={onClose}>
        {src ? <img src={src} alt={alt} className="max-h-full max-w-full object-contain" onClick={(e) => e.stopPropagation()} /> : null}
      </div>
    </div>
  );
}
