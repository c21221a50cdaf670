// Recording a voice note (MediaRecorder), offered only where the browser records Ogg Opus, the
// format WhatsApp plays as a voice message. Recording shows the time, Cancel and Send.
import { useEffect, useRef, useState } from 'react';
import { formatDuration } from '../../lib/media-format.ts';

const VOICE_TYPE = 'audio/ogg;codecs=opus';

export function canRecordVoice(): boolean {
  return typeof MediaRecorder !== 'undefined' && typeof navigator !== 'undefined' && !!navigator.mediaDevices?.getUserMedia && MediaRecorder.isTypeSupported(VOICE_TYPE);
}

interface Recording {
  recorder: MediaRecorder;
  stream: MediaStream;
  startedAt: number;
  chunks: Blob[];
}

export function VoiceRecorder({ onRecorded, disabled }: { onRecorded: (file: File, durationMs: number) => void; disabled?: boolean }) {
  const [rec, setRec] = useState<Recording | null>(null);
  const [elapsed, setElapsed] = useState(0);
  const [problem, setProblem] = useState<string | null>(null);
  const current = useRef<Recording | null>(null);

  useEffect(() => {
    if (!rec) return;
    const t = setInterval(() => setElapsed(Date.now() - rec.startedAt), 250);
    return () => clearInterval(t);
  }, [rec]);
  // Leaving the chat while recording lets the microphone go.
  useEffect(() => () => stopAll(current.current), []);

  if (!canRecordVoice()) return null;

  const start = async () => {
    setProblem(null);
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const recorder = new MediaRecorder(stream, { mimeType: VOICE_TYPE });
      const r: Recording = { recorder, stream, startedAt: Date.now(), chunks: [] };
      recorder.ondataavailable = (e) => {
        if (e.data.size > 0) r.chunks.push(e.data);
      };
      recorder.start();
      current.current = r;
      setElapsed(0);
      setRec(r);
    } catch {
      setProblem("Queunir may not use the microphone: allow it in the browser's settings for this site.");
    }
  };
  const finish = (send: boolean) => {
    const r = current.current;
    if (!r) return;
    current.current = null;
    setRec(null);
    const durationMs = Date.now() - r.startedAt;
    r.recorder.onstop = () => {
      if (send) onRecorded(new File(r.chunks, `voice-${new Date(r.startedAt).toISOString().replace(/[:.]/g, '-')}.ogg`, { type: 'audio/ogg' }), durationMs);
    };
    stopAll(r);
  };

  if (rec) {
    return (
      <span data-testid="recording" className="flex items-center gap-2 text-sm">
        <span aria-live="polite" className="flex items-center gap-1 text-red-700">
          <span aria-hidden className="size-2 animate-pulse rounded-full bg-red-600" />
          <span data-testid="recording-time">{formatDuration(elapsed)}</span>
        </span>
        <button type="button" data-testid="recording-cancel" onClick={() => finish(false)} className="rounded-md px-2 py-1 text-stone-700 hover:bg-stone-200">
          Cancel
        </button>
        <button type="button" data-testid="recording-send" onClick={() => finish(true)} className="rounded-md bg-brand-600 px-2 py-1 font-medium text-white hover:bg-brand-700">
          Send voice
        </button>
      </span>
    );
  }
  return (
    <>
      {problem ? (
        <span role="alert" data-testid="record-error" className="text-xs text-red-700">
          {problem}
        </span>
      ) : null}
      <button
        type="button"
        data-testid="record-voice"
        aria-label="Record a voice message"
        disabled={disabled}
        onClick={() => void start()}
        className="inline-flex size-9 items-center justify-center rounded-full text-stone-600 hover:bg-stone-200 disabled:text-stone-300"
      >
        <svg viewBox="0 0 20 20" className="size-5" fill="none" stroke="currentColor" strokeWidth="1.6" aria-hidden>
          <path d="M10 2.5a2.5 2.5 0 0 1 2.5 2.5v5a2.5 2.5 0 0 1-5 0V5A2.5 2.5 0 0 1 10 2.5zM5 9.5a5 5 0 0 0 10 0M10 14.5v3" />
        </svg>
      </button>
    </>
  );
}

function stopAll(r: Recording | null): void {
  if (!r) return;
  if (r.recorder.state !== 'inactive') r.recorder.stop();
  for (const track of r.stream.getTracks()) track.stop();
}
