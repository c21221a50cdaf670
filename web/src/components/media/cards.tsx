// Documents, locations and contact cards: what WhatsApp shows in their bubbles, as cards.
import type { Media } from '../../api/types.ts';
import { mediaUrl } from '../../api/media.ts';
import { documentType, formatSize } from '../../lib/media-format.ts';
import { formatPhone } from '../../lib/phone.ts';
import { useMediaSrc } from './use-media-src.ts';
import { MediaStateLine } from './media-state.tsx';

const DOC_COLOURS: Record<string, string> = { PDF: 'bg-red-600', Word: 'bg-blue-600', Excel: 'bg-green-700', CSV: 'bg-green-700', PowerPoint: 'bg-orange-600', Archive: 'bg-stone-600' };

export function DocumentCard({ media, messageId }: { media: Media; messageId: string }) {
  const type = documentType(media);
  const stored = media.state === 'stored' && media.id > 0;
  const href = useMediaSrc(stored ? mediaUrl(media.id, { download: true }) : null);
  const name = media.fileName || 'Document';
  return (
    <div data-testid="media-document" className="mb-1 flex min-w-56 flex-col gap-1 rounded-md bg-black/5 px-2.5 py-2">
      <div className="flex items-center gap-2.5">
        <span aria-hidden className={`flex h-10 w-8 shrink-0 items-center justify-center rounded text-[9px] font-bold text-white ${DOC_COLOURS[type] ?? 'bg-stone-500'}`}>
          {type.slice(0, 4)}
        </span>
        <span className="min-w-0 flex-1">
          <span data-testid="document-name" className="block truncate text-sm text-stone-900">
            {name}
          </span>
          <span data-testid="document-meta" className="block text-xs text-stone-600">
            {[formatSize(media.size), type].filter(Boolean).join(' · ')}
          </span>
        </span>
        {href ? (
          <a href={href} download={name} data-testid="document-download" aria-label={`Download ${name}`} className="shrink-0 rounded-md px-2 py-1 text-xs font-medium text-brand-700 hover:bg-black/5">
            Download
          </a>
        ) : null}
      </div>
      <MediaStateLine media={media} messageId={messageId} />
    </div>
  );
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');
const coord = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : null);

export function LocationCard({ media }: { media: Media }) {
  const d = media.details ?? {};
  const lat = coord(d.latitude);
  const lon = coord(d.longitude);
  const name = text(d.name);
  const address = text(d.address);
  const valid = lat !== null && lon !== null && Math.abs(lat) <= 90 && Math.abs(lon) <= 180;
  const href = valid ? `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=16/${lat}/${lon}` : null;
  return (
    <div data-testid="media-location" className="mb-1 flex min-w-56 items-start gap-2.5 rounded-md bg-black/5 px-2.5 py-2">
      <svg viewBox="0 0 20 20" className="mt-0.5 size-6 shrink-0 text-red-600" fill="currentColor" aria-hidden>
        <path d="M10 18s-5.5-5.6-5.5-9.5a5.5 5.5 0 0 1 11 0C15.5 12.4 10 18 10 18zm0-7.3a2.2 2.2 0 1 0 0-4.4 2.2 2.2 0 0 0 0 4.4z" />
      </svg>
      <span className="min-w-0 flex-1">
        <span className="block text-sm font-medium text-stone-900">{name || 'Location'}</span>
        {address ? <span className="block text-xs text-stone-600">{address}</span> : null}
        {href ? (
          <a href={href} target="_blank" rel="noopener noreferrer" data-testid="location-link" className="text-xs font-medium text-brand-700 underline">
            Open in map
          </a>
        ) : null}
      </span>
    </div>
  );
}

export function ContactCard({ media }: { media: Media }) {
  const d = media.details ?? {};
  const name = text(d.name) || 'Contact';
  const phones = Array.isArray(d.phones) ? d.phones.filter((p): p is string => typeof p === 'string') : [];
  return (
    <div data-testid="media-contact" className="mb-1 flex min-w-56 items-center gap-2.5 rounded-md bg-black/5 px-2.5 py-2">
      <span aria-hidden className="flex size-9 shrink-0 items-center justify-center rounded-full bg-stone-300 text-sm font-medium text-stone-700">
        {name.slice(0, 1).toUpperCase()}
      </span>
      <span className="min-w-0 flex-1">
        <span data-testid="contact-card-name" className="block truncate text-sm font-medium text-stone-900">
          {name}
        </span>
        {phones.map((p) => (
          <a key={p} href={`tel:+${p.replace(/\D/g, '')}`} data-testid="contact-card-phone" className="block text-xs text-brand-700">
            {formatPhone(p)}
          </a>
        ))}
      </span>
    </div>
  );
}
