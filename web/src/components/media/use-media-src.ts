// The address an <img>/<video>/<audio> can load. SaaS: the API URL itself (the session cookie goes
// with it, and Range requests stream video). Self-hosted: the slice token is a header an element
// cannot send, so the bytes are fetched with it and shown from a blob: URL.
import { useEffect, useState } from 'react';
import { SAAS } from '../../env.ts';
import { authHeaders } from '../../api/http.ts';

export function useMediaSrc(url: string | null): string | null {
  const [blobUrl, setBlobUrl] = useState<string | null>(null);
  useEffect(() => {
    if (SAAS || !url) return;
    const ctrl = new AbortController();
    let made: string | null = null;
    fetch(url, { headers: authHeaders('GET'), credentials: 'same-origin', signal: ctrl.signal })
      .then((res) => (res.ok ? res.blob() : null))
      .then((blob) => {
        if (!blob) return;
        made = URL.createObjectURL(blob);
        setBlobUrl(made);
      })
      .catch(() => undefined);
    return () => {
      ctrl.abort();
      if (made) URL.revokeObjectURL(made);
      setBlobUrl(null);
    };
  }, [url]);
  if (!url) return null;
  return SAAS ? url : blobUrl;
}

/** True once the element is within a screen or so of the viewport (at once where there is no IntersectionObserver). */
export function useNearViewport<T extends Element>(ref: React.RefObject<T | null>): boolean {
  const [near, setNear] = useState(typeof IntersectionObserver === 'undefined');
  useEffect(() => {
    const el = ref.current;
    if (near || !el || typeof IntersectionObserver === 'undefined') return;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        setNear(true);
        io.disconnect();
      }
    }, { rootMargin: '600px 0px' });
    io.observe(el);
    return () => io.disconnect();
  }, [ref, near]);
  return near;
}
