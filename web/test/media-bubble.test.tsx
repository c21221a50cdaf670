// Issue 15 in the bubble: every kind of media, its states, reactions, link previews, edits and
// system notices, and the chat list's line for media messages.
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { MessageBubble } from '../src/components/message-bubble.tsx';
import { toMessage } from '../src/api/normalise.ts';
import { ApiError } from '../src/api/http.ts';
import { previewOf } from '../src/events/apply.ts';
import { errorWords } from '../src/lib/error-words.ts';
import { formatSize } from '../src/lib/media-format.ts';
import { fakeFetch, renderWith } from './helpers.tsx';
import { msg, SENT, withMedia, loadMediaChunks } from './media-fixtures.ts';

beforeAll(loadMediaChunks);

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('media in the bubble', () => {
  it('a photo shows its thumbnail lazily in a box reserved from its size, and opens the lightbox', async () => {
    render(<MessageBubble message={withMedia({}, { body: 'the broken part' })} />);
    const frame = screen.getByTestId('media-image');
    expect(frame.style.width).toBe('280px');
    expect(frame.style.height).toBe('210px');
    const button = within(frame).getByTestId('open-media');
    const img = within(button).getByRole('img') as HTMLImageElement;
    expect(img.getAttribute('src')).toBe('/api/media/9?thumb=1');
    expect(img.getAttribute('loading')).toBe('lazy');
    expect(img.getAttribute('alt')).toBe('the broken part');
    expect(screen.getByTestId('message-body').textContent).toBe('the broken part');

    fireEvent.click(button);
    const box = await screen.findByTestId('lightbox');
    expect(box.getAttribute('role')).toBe('dialog');
    expect(box.getAttribute('aria-modal')).toBe('true');
    expect(within(box).getByRole('img').getAttribute('src')).toBe('/api/media/9');
    expect(within(box).getByTestId('lightbox-download').getAttribute('href')).toBe('/api/media/9?download=1');
    const close = within(box).getByTestId('lightbox-close');
    expect(document.activeElement).toBe(close);
    // Focus stays inside: Tab on the last control goes to the first, Shift+Tab on the first to the last.
    fireEvent.keyDown(close, { key: 'Tab' });
    expect(document.activeElement).toBe(within(box).getByTestId('lightbox-download'));
    fireEvent.keyDown(document.activeElement!, { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(close);
    fireEvent.keyDown(close, { key: 'Escape' });
    expect(screen.queryByTestId('lightbox')).toBeNull();
    expect(document.activeElement).toBe(button);
  });

  it('loads the thumbnail only once the bubble comes near the viewport', () => {
    const observers: Array<{ cb: IntersectionObserverCallback; margin?: string }> = [];
    vi.stubGlobal(
      'IntersectionObserver',
      class {
        constructor(cb: IntersectionObserverCallback, opts?: IntersectionObserverInit) {
          observers.push({ cb, margin: opts?.rootMargin });
        }
        observe() {}
        disconnect() {}
      },
    );
    render(<MessageBubble message={withMedia({})} />);
    expect(screen.getByTestId('media-image').querySelector('img')).toBeNull();
    expect(observers[0]!.margin).toBe('600px 0px');
    act(() => observers[0]!.cb([{ isIntersecting: true } as IntersectionObserverEntry], {} as IntersectionObserver));
    expect(screen.getByTestId('media-image').querySelector('img')!.getAttribute('src')).toBe('/api/media/9?thumb=1');
  });

  it('a sticker without a thumbnail shows the file itself, in the sticker box', () => {
    render(<MessageBubble message={withMedia({ kind: 'sticker', mimeType: 'image/webp', hasThumb: false, width: 512, height: 512 })} />);
    const s = screen.getByTestId('media-sticker');
    expect(s.style.width).toBe('160px');
    expect(s.querySelector('img')!.getAttribute('src')).toBe('/api/media/9');
  });

  it('a video shows its poster and loads the native player only when played', () => {
    render(<MessageBubble message={withMedia({ kind: 'video', mimeType: 'video/mp4', durationMs: 65_000, width: 1280, height: 720 })} />);
    const v = screen.getByTestId('media-video');
    expect(v.style.height).toBe('158px');
    expect(v.querySelector('img')!.getAttribute('src')).toBe('/api/media/9?thumb=1');
    expect(v.querySelector('video')).toBeNull();
    expect(v.textContent).toContain('1:05');
    fireEvent.click(screen.getByTestId('play-video'));
    const player = screen.getByTestId('video-player') as HTMLVideoElement;
    expect(player.getAttribute('src')).toBe('/api/media/9');
    expect(player.hasAttribute('controls')).toBe(true);
  });

  it('a voice note plays from its file, shows its duration, scrubs by slider and changes speed', async () => {
    const play = vi.spyOn(HTMLMediaElement.prototype, 'play').mockResolvedValue(undefined);
    vi.spyOn(HTMLMediaElement.prototype, 'pause').mockImplementation(() => undefined);
    render(<MessageBubble message={withMedia({ kind: 'voice', mimeType: 'audio/ogg', durationMs: 12_000, hasThumb: false, width: null, height: null })} />);
    const voice = await screen.findByTestId('media-voice');
    expect(within(voice).getByTestId('audio-time').textContent).toBe('0:12');
    expect(voice.querySelector('audio')).toBeNull(); // nothing is loaded before the first play
    const seek = within(voice).getByTestId('audio-seek') as HTMLInputElement;
    expect(seek.type).toBe('range');
    expect(seek.getAttribute('aria-label')).toBe('Position in the voice message');
    fireEvent.change(seek, { target: { value: '6' } });
    expect(seek.getAttribute('aria-valuetext')).toBe('0:06 of 0:12');
    const speed = within(voice).getByTestId('audio-speed');
    expect(speed.textContent).toBe('1×');
    fireEvent.click(speed);
    expect(speed.textContent).toBe('1.5×');
    fireEvent.click(speed);
    expect(speed.textContent).toBe('2×');
    fireEvent.click(within(voice).getByTestId('audio-toggle'));
    const audio = voice.querySelector('audio')!;
    expect(audio.getAttribute('src')).toBe('/api/media/9');
    await waitFor(() => expect(play).toHaveBeenCalled());
    expect(audio.playbackRate).toBe(2);
    expect(within(voice).getByTestId('audio-toggle').getAttribute('aria-label')).toBe('Pause voice message');
    fireEvent.click(speed);
    expect(speed.textContent).toBe('1×');
  });

  it('audio has the player without the voice-note speeds', async () => {
    render(<MessageBubble message={withMedia({ kind: 'audio', mimeType: 'audio/mpeg', fileName: 'song.mp3', durationMs: 185_000, hasThumb: false })} />);
    const a = await screen.findByTestId('media-audio');
    expect(within(a).getByTestId('audio-time').textContent).toBe('3:05');
    expect(within(a).queryByTestId('audio-speed')).toBeNull();
  });

  it('a document is a card with its name, size, type and a download link', () => {
    render(<MessageBubble message={withMedia({ kind: 'document', mimeType: 'application/pdf', fileName: 'contract signed.pdf', size: 245 * 1024, hasThumb: false })} />);
    const d = screen.getByTestId('media-document');
    expect(within(d).getByTestId('document-name').textContent).toBe('contract signed.pdf');
    expect(within(d).getByTestId('document-meta').textContent).toBe('245 kB · PDF');
    const link = within(d).getByTestId('document-download');
    expect(link.getAttribute('href')).toBe('/api/media/9?download=1');
    expect(link.getAttribute('download')).toBe('contract signed.pdf');
    expect(formatSize(3.4 * 1024 * 1024)).toBe('3.4 MB');
    expect(formatSize(812)).toBe('812 B');
  });

  it('a location links to the map at its coordinates; its text form is not repeated', () => {
    const details = { latitude: 38.7223, longitude: -9.1393, name: 'Loja do Chiado', address: 'Rua Garrett 12, Lisboa' };
    render(<MessageBubble message={withMedia({ kind: 'location', mimeType: null, hasThumb: false, details }, { body: 'Loja do Chiado, Rua Garrett 12' })} />);
    const l = screen.getByTestId('media-location');
    expect(l.textContent).toContain('Loja do Chiado');
    expect(l.textContent).toContain('Rua Garrett 12, Lisboa');
    const a = within(l).getByTestId('location-link');
    expect(a.getAttribute('href')).toMatch(/^https:\/\/www\.openstreetmap\.org\/\?mlat=38\.7223&mlon=-9\.1393/);
    expect(a.getAttribute('rel')).toBe('noopener noreferrer');
    expect(screen.queryByTestId('message-body')).toBeNull();
  });

  it('a location with impossible coordinates has no map link', () => {
    render(<MessageBubble message={withMedia({ kind: 'location', hasThumb: false, details: { latitude: 123, longitude: 'x' } })} />);
    expect(screen.queryByTestId('location-link')).toBeNull();
  });

  it('a contact card shows the name and the phones, formatted one way', () => {
    render(<MessageBubble message={withMedia({ kind: 'contact', hasThumb: false, details: { name: 'Rita Lopes', phones: ['351912345678', '+49 1512 3456789'] } })} />);
    const c = screen.getByTestId('media-contact');
    expect(within(c).getByTestId('contact-card-name').textContent).toBe('Rita Lopes');
    expect(within(c).getAllByTestId('contact-card-phone').map((p) => [p.textContent, p.getAttribute('href')])).toEqual([
      ['+351 912 345 678', 'tel:+351912345678'],
      ['+49 1512 3456789', 'tel:+4915123456789'],
    ]);
  });

  it('a system notice is centred text, not a bubble', () => {
    render(<MessageBubble message={msg({ kind: 'system', body: 'Ana changed the group name to "Orders"' })} />);
    expect(screen.queryByTestId('message')).toBeNull();
    const n = screen.getByTestId('system-notice');
    expect(n.textContent).toBe('Ana changed the group name to "Orders"');
    expect(n.parentElement!.className).toContain('justify-center');
    expect(screen.queryByTestId('react-button')).toBeNull();
  });

  it('pending media says "Downloading…" over the blurred thumbnail', () => {
    render(<MessageBubble message={withMedia({ state: 'pending' })} />);
    expect(screen.getByTestId('media-downloading').textContent).toBe('Downloading…');
    expect(screen.getByTestId('media-image').querySelector('img')!.className).toContain('blur');
    expect((screen.getByTestId('open-media') as HTMLButtonElement).disabled).toBe(true);
  });

  it('missing files say why in words: quota full, too large, failed', () => {
    const { unmount } = render(<MessageBubble message={withMedia({ state: 'failed', hasThumb: false, error: { code: 'MEDIA_QUOTA_EXCEEDED', message: "not downloaded: the workspace's media store is full (2048 MB)" } })} />);
    expect(screen.getByTestId('media-problem').textContent).toBe('Not downloaded: your media storage is full.');
    unmount();
    const second = render(<MessageBubble message={withMedia({ kind: 'document', fileName: 'big.zip', state: 'too_large', hasThumb: false, error: { code: 'MEDIA_TOO_LARGE', message: 'over 100 MB' } })} />);
    expect(screen.getByTestId('media-problem').textContent).toBe('Not downloaded: this file is larger than your workspace accepts.');
    expect(screen.queryByTestId('document-download')).toBeNull();
    second.unmount();
    render(<MessageBubble message={withMedia({ kind: 'video', state: 'failed', error: { code: 'MEDIA_DOWNLOAD_FAILED', message: 'blob fetch failed' } })} />);
    expect(screen.getByTestId('media-problem').textContent).toBe('This file could not be downloaded from WhatsApp. Open it on the phone.');
    expect(screen.queryByTestId('play-video')).toBeNull();
  });

  it('a message from a server without the media fields keeps the placeholder', () => {
    const old = toMessage({ id: 3, chatId: 5, direction: 'in', author: null, body: '', sentAt: SENT, ack: 1, mediaKind: 'image', quotedId: null });
    expect(old).toMatchObject({ kind: 'media', media: null, reactions: [], linkPreview: null, editedAt: null, chatId: '5', id: '3' });
    expect(toMessage({ id: 4, chatId: 5, body: 'hi' })).toMatchObject({ kind: 'text', mediaKind: null });
    render(<MessageBubble message={old} />);
    expect(screen.getByTestId('media-placeholder').textContent).toContain('Photo');
  });
});

describe('the chat list line of a media message', () => {
  it('names the kind with its icon, the duration of voice notes and the name of documents', () => {
    expect(previewOf(withMedia({}))).toBe('📷 Photo');
    expect(previewOf(withMedia({}, { body: 'the part' }))).toBe('📷 the part');
    expect(previewOf(withMedia({ kind: 'voice', durationMs: 12_400 }))).toBe('🎤 Voice message 0:12');
    expect(previewOf(withMedia({ kind: 'document', fileName: 'file.pdf' }))).toBe('📄 file.pdf');
    expect(previewOf(withMedia({ kind: 'sticker' }))).toBe('🏷️ Sticker');
    expect(previewOf(msg({ body: 'plain text' }))).toBe('plain text');
    expect(previewOf({ body: '', mediaKind: 'video' })).toBe('🎥 Video');
  });
});

describe('reactions', () => {
  const chat = { id: '5', name: 'Ana', phone: null, preview: null, lastMessageAt: null, unreadCount: 0, labels: [], stageId: null };
  const raw = (reactions: unknown[]) => ({ id: 1, chatId: 5, direction: 'in', author: null, body: 'Can you fix it?', sentAt: SENT, ack: 1, mediaKind: null, quotedId: null, kind: 'text', media: null, reactions, linkPreview: null, editedAt: null });

  it('show as chips (ours highlighted); taking ours back and reacting call the API and show its answer', async () => {
    const { Conversation } = await import('../src/components/conversation.tsx');
    let reactions = [
      { emoji: '❤️', count: 2, mine: true },
      { emoji: '😂', count: 1, mine: false },
    ];
    const calls = fakeFetch((c) => {
      if (c.path.startsWith('/api/chats/5/messages')) return { status: 200, body: { items: [raw(reactions)], nextCursor: null } };
      if (c.path === '/api/messages/1/reaction' && c.method === 'PUT') {
        const emoji = (c.body as { emoji: string | null }).emoji;
        reactions = emoji === null ? [{ emoji: '❤️', count: 1, mine: false }, { emoji: '😂', count: 1, mine: false }] : [{ emoji: '❤️', count: 1, mine: false }, { emoji: '😂', count: 1, mine: false }, { emoji, count: 1, mine: true }];
        return { status: 200, body: raw(reactions) };
      }
      return undefined;
    });
    renderWith(<Conversation chat={chat} onBack={() => undefined} onToggleContact={() => undefined} contactOpen={false} />);
    const chips = await screen.findAllByTestId('reaction');
    expect(chips.map((c) => [c.textContent, c.getAttribute('aria-pressed')])).toEqual([
      ['❤️2', 'true'],
      ['😂', 'false'],
    ]);
    fireEvent.click(chips[0]!);
    await waitFor(() => expect(calls.find((c) => c.method === 'PUT')?.body).toEqual({ emoji: null }));
    await waitFor(() => expect(screen.getAllByTestId('reaction').map((c) => c.getAttribute('aria-pressed'))).toEqual(['false', 'false']));

    fireEvent.click(screen.getByTestId('react-button'));
    const picker = screen.getByTestId('reaction-picker');
    expect(within(picker).getAllByRole('button')).toHaveLength(6);
    fireEvent.click(within(picker).getByRole('button', { name: 'React with 👍' }));
    await waitFor(() => expect(calls.filter((c) => c.method === 'PUT').map((c) => c.body)).toEqual([{ emoji: null }, { emoji: '👍' }]));
    await waitFor(() => expect(screen.getAllByTestId('reaction').find((c) => c.getAttribute('aria-pressed') === 'true')?.textContent).toBe('👍'));
    expect(screen.queryByTestId('reaction-picker')).toBeNull();
  });

  it('a reaction WhatsApp did not take says so under the bubble', async () => {
    fakeFetch((c) => (c.method === 'PUT' ? { status: 409, body: { error: { kind: 'FailedPrecondition', code: 'WA_ACTION_NOT_CONFIRMED', message: 'no reaction button' } } } : undefined));
    render(<MessageBubble message={msg({ body: 'hi' })} />);
    fireEvent.click(screen.getByTestId('react-button'));
    fireEvent.click(screen.getByRole('button', { name: 'React with 🙏' }));
    expect((await screen.findByTestId('reaction-error')).textContent).toBe('WhatsApp did not confirm this change, so nothing was changed. Try again in a moment.');
  });

  it('a message still being sent has no reaction button', () => {
    render(<MessageBubble message={msg({ id: 'pending:1', direction: 'out', ack: 0, body: 'x' })} />);
    expect(screen.queryByTestId('react-button')).toBeNull();
  });
});

describe('link previews and edits', () => {
  it('the preview card is one safe link to an http(s) address, apart from the body', () => {
    render(<MessageBubble message={msg({ body: 'look https://shop.example/p/1', linkPreview: { title: 'Blue vase', description: 'Hand made, 30 cm', host: 'shop.example', url: 'https://shop.example/p/1' } })} />);
    const card = screen.getByTestId('link-preview');
    expect(card.tagName).toBe('A');
    expect(card.getAttribute('href')).toBe('https://shop.example/p/1');
    expect(card.getAttribute('rel')).toBe('noopener noreferrer');
    expect(card.getAttribute('target')).toBe('_blank');
    expect(card.textContent).toBe('Blue vaseHand made, 30 cmshop.example');
    expect(screen.getByTestId('message-body').textContent).toBe('look https://shop.example/p/1');
  });

  it('a javascript: or data: preview address stays text', () => {
    for (const url of ['javascript:alert(document.cookie)', ' JaVaScRiPt:alert(1)', 'data:text/html,<script>alert(1)</script>']) {
      const { unmount } = render(<MessageBubble message={msg({ linkPreview: { title: 'Win a prize', description: null, host: null, url } })} />);
      const card = screen.getByTestId('link-preview');
      expect(card.tagName).toBe('DIV');
      expect(card.querySelector('a')).toBeNull();
      expect(card.textContent).toBe('Win a prize');
      unmount();
    }
  });

  it('an edited message says so beside the time; a click shows the earlier texts', async () => {
    const calls = fakeFetch((c) =>
      c.path === '/api/messages/1/edits'
        ? { status: 200, body: { items: [{ body: 'Price is 40', replacedAt: '2026-11-25T10:01:00.000Z' }, { body: 'Price is 45', replacedAt: '2026-11-25T10:02:00.000Z' }], nextCursor: null } }
        : undefined,
    );
    render(<MessageBubble message={msg({ body: 'Price is 50', editedAt: '2026-11-25T10:02:00.000Z' })} />);
    const tag = screen.getByTestId('edited-tag');
    expect(tag.textContent).toBe('Edited');
    expect(tag.getAttribute('title')).toMatch(/^Edited /);
    expect(calls).toHaveLength(0); // nothing asked until it is opened
    fireEvent.click(tag);
    await waitFor(() => expect(screen.getAllByTestId('edit-version').map((v) => v.firstChild?.textContent)).toEqual(['Price is 40', 'Price is 45']));
    expect(calls.map((c) => c.path)).toEqual(['/api/messages/1/edits']);
    render(<MessageBubble message={msg({ id: 2, body: 'never edited' })} />);
    expect(screen.getAllByTestId('edited-tag')).toHaveLength(1);
  });
});

describe('media errors in words', () => {
  it('too large, quota full and refused type', () => {
    const words = (status: number, code: string, kind = 'ResourceExhausted') => errorWords(new ApiError(status, { kind, code, message: 'x' })).text;
    expect(words(413, 'MEDIA_TOO_LARGE')).toBe('That file is too big: photos and videos up to 16 MB, documents up to 100 MB.');
    expect(words(413, 'MEDIA_QUOTA_EXCEEDED')).toMatch(/^Your media storage is full/);
    expect(words(415, 'MEDIA_TYPE_REFUSED', 'InvalidArgument')).toBe("This kind of file can't be sent.");
  });
});
