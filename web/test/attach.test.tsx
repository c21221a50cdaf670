// Sending files (issue 15): the attach menu, paste and drop, the panel before sending, the checks
// that keep a refused file in the browser, upload progress and cancel, the pending bubble replaced
// by the server's message or marked failed with the reason. XMLHttpRequest is a test double here
// (jsdom has no server to upload to); the multipart body it is given is checked.
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { Conversation } from '../src/components/conversation.tsx';
import { setCsrfToken } from '../src/api/http.ts';
import { keys } from '../src/api/keys.ts';
import { fileProblem } from '../src/lib/file-checks.ts';
import { fakeFetch, renderWith } from './helpers.tsx';
import { media, rawMessage, loadMediaChunks } from './media-fixtures.ts';

beforeAll(loadMediaChunks);

class FakeXhr {
  static sent: FakeXhr[] = [];
  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: FormData | null = null;
  status = 0;
  responseText = '';
  withCredentials = true;
  upload: { onprogress: ((e: { lengthComputable: boolean; loaded: number; total: number }) => void) | null } = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  aborted = false;
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(k: string, v: string) {
    this.headers[k] = v;
  }
  send(body: FormData) {
    this.body = body;
    FakeXhr.sent.push(this);
  }
  abort() {
    this.aborted = true;
    this.onabort?.();
  }
  progress(loaded: number, total: number) {
    act(() => this.upload.onprogress?.({ lengthComputable: true, loaded, total }));
  }
  respond(status: number, body: unknown) {
    this.status = status;
    this.responseText = JSON.stringify(body);
    act(() => this.onload?.());
  }
}

const chat = { id: '5', name: 'Ana', phone: null, preview: null, lastMessageAt: null, unreadCount: 0, labels: [], stageId: null };

beforeEach(() => {
  FakeXhr.sent = [];
  vi.stubGlobal('XMLHttpRequest', FakeXhr);
  setCsrfToken('csrf-123');
  fakeFetch((c) => {
    if (c.path.startsWith('/api/chats/5/messages')) return { status: 200, body: { items: [rawMessage({ body: 'Send me the invoice please', sentAt: new Date().toISOString() })], nextCursor: null } };
    return undefined;
  });
});
afterEach(() => {
  vi.unstubAllGlobals();
  setCsrfToken(null);
});

const file = (name: string, type: string, size?: number, content = 'x') => {
  const f = new File([content], name, { type });
  if (size !== undefined) Object.defineProperty(f, 'size', { value: size });
  return f;
};

async function open() {
  const r = renderWith(<Conversation chat={chat} onBack={() => undefined} onToggleContact={() => undefined} contactOpen={false} />);
  await screen.findByText('Send me the invoice please');
  return r;
}

const pick = (which: 'photos' | 'document', f: File) => {
  fireEvent.click(screen.getByTestId('attach'));
  expect(screen.getByRole('menu').textContent).toBe('Photos & videosDocument');
  fireEvent.click(screen.getByTestId(`attach-${which}`));
  fireEvent.change(screen.getByTestId(`attach-${which}-input`), { target: { files: [f] } });
};

describe('attaching a file', () => {
  it('too large, empty and refused files are turned away with the reason, and nothing is uploaded', async () => {
    await open();
    pick('photos', file('holiday.mp4', 'video/mp4', 17 * 1024 * 1024));
    expect(screen.getByTestId('attach-error').textContent).toBe('"holiday.mp4" is too big (17 MB): photos, videos and audio can be up to 16 MB.');
    expect(screen.queryByTestId('attach-panel')).toBeNull();
    pick('document', file('setup.exe', 'application/x-msdownload', 2000));
    expect(screen.getByTestId('attach-error').textContent).toBe('"setup.exe" can\'t be sent: WhatsApp does not take programs.');
    pick('document', file('empty.txt', 'text/plain', 0));
    expect(screen.getByTestId('attach-error').textContent).toBe('"empty.txt" is empty: there is nothing to send.');
    pick('document', file('scan.pdf', 'application/pdf', 101 * 1024 * 1024));
    expect(screen.getByTestId('attach-error').textContent).toMatch(/documents can be up to 100 MB/);
    expect(FakeXhr.sent).toHaveLength(0);
    expect(screen.getAllByTestId('message')).toHaveLength(1);
    // A document of 90 MB is fine (documents have the larger limit).
    expect(fileProblem({ name: 'big.pdf', size: 90 * 1024 * 1024, type: 'application/pdf' })).toBeNull();
  });

  it('shows a panel with the picture and a caption; Cancel sends nothing', async () => {
    await open();
    pick('photos', file('part.jpg', 'image/jpeg', 50_000));
    const panel = screen.getByTestId('attach-panel');
    expect(within(panel).getByText('part.jpg', { selector: 'span span' })).toBeTruthy();
    expect(panel.textContent).toContain('49 kB');
    fireEvent.click(within(panel).getByTestId('attach-cancel'));
    expect(screen.queryByTestId('attach-panel')).toBeNull();
    expect(screen.getByTestId('composer')).toBeTruthy();
    expect(FakeXhr.sent).toHaveLength(0);
  });

  it('uploads with the caption and the CSRF token, shows the pending bubble with progress at once, then the server message', async () => {
    const { client } = await open();
    pick('document', file('invoice.pdf', 'application/pdf', undefined, '%PDF-1.4 hello'));
    expect(screen.getByTestId('attach-file-card').textContent).toContain('invoice.pdf');
    fireEvent.change(screen.getByTestId('attach-caption'), { target: { value: '  November invoice ' } });
    fireEvent.click(screen.getByTestId('attach-send'));

    expect(FakeXhr.sent).toHaveLength(1);
    const xhr = FakeXhr.sent[0]!;
    expect([xhr.method, xhr.url]).toEqual(['POST', '/api/chats/5/messages']);
    expect(xhr.headers['x-csrf-token']).toBe('csrf-123');
    expect(xhr.body!.get('caption')).toBe('November invoice');
    expect(xhr.body!.get('voice')).toBeNull();
    const sent = xhr.body!.get('file') as File;
    expect([sent.name, sent.type, await sent.text()]).toEqual(['invoice.pdf', 'application/pdf', '%PDF-1.4 hello']);

    const pending = screen.getAllByTestId('message').at(-1)!;
    expect(pending.getAttribute('data-pending')).toBe('true');
    expect(within(pending).getByTestId('document-name').textContent).toBe('invoice.pdf');
    expect(within(pending).getByTestId('message-body').textContent).toBe('November invoice');
    expect(within(pending).getByTestId('upload-progress').getAttribute('aria-valuenow')).toBe('0');
    xhr.progress(30, 100);
    expect(within(pending).getByTestId('upload-progress').getAttribute('aria-valuenow')).toBe('30');

    xhr.respond(202, rawMessage({ id: 77, direction: 'out', ack: 0, body: 'November invoice', kind: 'media', mediaKind: 'document', media: media({ id: 31, kind: 'document', mimeType: 'application/pdf', fileName: 'invoice.pdf', size: 14, hasThumb: false }), sentAt: new Date().toISOString() }));
    await waitFor(() => expect(screen.getAllByTestId('message').map((m) => m.getAttribute('data-message-id'))).toEqual(['1', '77']));
    expect(screen.queryByTestId('upload-progress')).toBeNull();
    expect(screen.getByTestId('document-download').getAttribute('href')).toBe('/api/media/31?download=1');
    const cached = client.getQueryData<{ pages: Array<{ items: Array<{ id: string }> }> }>(keys.messages('5'))!;
    expect(cached.pages[0]!.items.map((m) => m.id)).toEqual(['77', '1']);
  });

  it('a refused upload marks the bubble failed with the reason in words', async () => {
    await open();
    pick('photos', file('photo.png', 'image/png', 1000));
    fireEvent.click(screen.getByTestId('attach-send'));
    FakeXhr.sent[0]!.respond(413, { error: { kind: 'ResourceExhausted', code: 'MEDIA_QUOTA_EXCEEDED', message: 'media quota of 2048 MB reached' } });
    await waitFor(() => expect(screen.getByTestId('media-problem').textContent).toMatch(/^Not sent\. Your media storage is full/));
    const bubble = screen.getAllByTestId('message').at(-1)!;
    expect(within(bubble).getByTestId('ack').getAttribute('data-ack')).toBe('-1');
    expect(screen.getByTestId('send-error').textContent).toMatch(/Your media storage is full/);
  });

  it('Cancel while uploading stops the upload and takes the pending bubble away', async () => {
    await open();
    pick('photos', file('photo.png', 'image/png', 1000));
    fireEvent.click(screen.getByTestId('attach-send'));
    expect(screen.getAllByTestId('message')).toHaveLength(2);
    fireEvent.click(screen.getByTestId('upload-cancel'));
    expect(FakeXhr.sent[0]!.aborted).toBe(true);
    await waitFor(() => expect(screen.getAllByTestId('message')).toHaveLength(1));
    expect(screen.queryByTestId('send-error')).toBeNull();
  });

  it('a pasted image and a dropped file open the panel', async () => {
    await open();
    fireEvent.paste(screen.getByTestId('composer'), { clipboardData: { files: [file('screenshot.png', 'image/png', 3000)], types: ['Files'] } });
    expect(screen.getByTestId('attach-panel').textContent).toContain('screenshot.png');
    fireEvent.click(screen.getByTestId('attach-cancel'));
    const conv = screen.getByTestId('conversation');
    fireEvent.dragOver(conv, { dataTransfer: { types: ['Files'], files: [] } });
    expect(screen.getByTestId('drop-zone')).toBeTruthy();
    fireEvent.drop(conv, { dataTransfer: { types: ['Files'], files: [file('price list.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 5000)] } });
    expect(screen.queryByTestId('drop-zone')).toBeNull();
    expect(screen.getByTestId('attach-file-card').textContent).toContain('price list.xlsx');
  });

  it('records a voice note (a test double for the microphone and MediaRecorder) and sends it as voice', async () => {
    const tracks = [{ stopped: false, stop() { this.stopped = true; } }];
    vi.stubGlobal('navigator', { ...navigator, mediaDevices: { getUserMedia: vi.fn(async () => ({ getTracks: () => tracks })) } });
    class FakeRecorder {
      static isTypeSupported = (t: string) => t === 'audio/ogg;codecs=opus';
      state = 'inactive';
      ondataavailable: ((e: { data: Blob }) => void) | null = null;
      onstop: (() => void) | null = null;
      constructor(_s: unknown, public opts: { mimeType: string }) {}
      start() {
        this.state = 'recording';
      }
      stop() {
        this.state = 'inactive';
        this.ondataavailable?.({ data: new Blob(['OggS voice'], { type: 'audio/ogg' }) });
        this.onstop?.();
      }
    }
    vi.stubGlobal('MediaRecorder', FakeRecorder);
    await open();
    fireEvent.click(screen.getByTestId('record-voice'));
    await screen.findByTestId('recording');
    expect(screen.getByTestId('recording-time').textContent).toBe('0:00');
    fireEvent.click(screen.getByTestId('recording-send'));
    expect(tracks[0]!.stopped).toBe(true);
    expect(FakeXhr.sent).toHaveLength(1);
    const body = FakeXhr.sent[0]!.body!;
    expect(body.get('voice')).toBe('true');
    const sent = body.get('file') as File;
    expect(sent.type).toBe('audio/ogg');
    expect(sent.name).toMatch(/^voice-.*\.ogg$/);
    expect(await sent.text()).toBe('OggS voice');
    await waitFor(() => expect(screen.getAllByTestId('message').at(-1)!.getAttribute('data-kind')).toBe('voice'));
    const pending = screen.getAllByTestId('message').at(-1)!;
    expect(within(pending).getByTestId('media-voice')).toBeTruthy();
    // Typing hides the recorder; a browser that cannot record Ogg never shows it.
    fireEvent.change(screen.getByTestId('composer'), { target: { value: 'hi' } });
    expect(screen.queryByTestId('record-voice')).toBeNull();
    FakeRecorder.isTypeSupported = ((_t: string) => false) as typeof FakeRecorder.isTypeSupported;
    fireEvent.change(screen.getByTestId('composer'), { target: { value: '' } });
    expect(screen.queryByTestId('record-voice')).toBeNull();
  });

  it('says so when the microphone is not allowed', async () => {
    vi.stubGlobal('navigator', { ...navigator, mediaDevices: { getUserMedia: vi.fn(async () => Promise.reject(new DOMException('denied', 'NotAllowedError'))) } });
    vi.stubGlobal('MediaRecorder', class { static isTypeSupported = () => true; });
    await open();
    fireEvent.click(screen.getByTestId('record-voice'));
    expect((await screen.findByTestId('record-error')).textContent).toMatch(/may not use the microphone/);
    expect(FakeXhr.sent).toHaveLength(0);
  });
});
