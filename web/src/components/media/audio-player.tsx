// Voice notes and audio (in the media chunk): play/pause, where it is of how long, a slider to scrub (the
// arrow keys move it), and 1× / 1.5× / 2× for voice notes. The bytes load on the first play.
import { useEffect, useRef, useState } from 'react';
import type { Media } from '../../api/types.ts';
import { mediaUrl } from '../../api/media.ts';
import { formatDuration, mediaLabel } from '../../lib/media-format.ts';
import { useMediaSrc } from './use-media-src.ts';

const SPEEDS = [1, 1.5, 2] as const;

export default function AudioPlayer({ media }: { media: Media }) {
  const audio = useRef<HTMLAudioElement>(null);
  const [wanted, setWanted] = useState(false);
  const [playing, setPlaying] = useState(false);
  const [position, setPosition] = useState(0);
  const [duration, setDuration] = useState((media.durationMs ?? 0) / 1000);
  const [speed, setSpeed] = useState<(typeof SPEEDS)[number]>(1);
  const src = useMediaSrc(wanted ? mediaUrl(media.id) : null);
  const playable = media.state === 'stored' && media.id > 0;
  const voice = media.kind === 'voice';

  useEffect(() => {
    const el = audio.current;
    if (!el || !src || !wanted) return;
    el.playbackRate = speed;
    if (playing) void el.play()?.catch(() => setPlaying(false));
    else el.pause();
  }, [src, wanted, playing, speed]);

  const toggle = () => {
    setWanted(true);
    setPlaying((p) => !p);
  };
  const seek = (seconds: number) => {
    setPosition(seconds);
    if (audio.current && src) audio.current.currentTime = seconds;
  };
  const label = mediaLabel(media.kind);

  return (
    <div data-testid={voice ? 'media-voice' : 'media-audio'} className="mb-1 flex min-w-56 items-center gap-2">
      <button
        type="button"
        data-testid="audio-toggle"
        disabled={!playable}
        onClick={toggle}
        aria-label={playing ? `Pause ${label.toLowerCase()}` : `Play ${label.toLowerCase()}`}
        className="flex size-9 shrink-0 items-center justify-center rounded-full bg-brand-600 text-white disabled:bg-stone-300"
      >
        <svg viewBox="0 0 20 20" className="size-4" fill="currentColor" aria-hidden>
          <path d={playing ? 'M5 4h3.5v12H5zM11.5 4H15v12h-3.5z' : 'M6 4l10 6-10 6z'} />
        </svg>
      </button>
      <div className="flex min-w-0 flex-1 flex-col">
        <input
          type="range"
          data-testid="audio-seek"
          aria-label={`Position in the ${label.toLowerCase()}`}
          aria-valuetext={`${formatDuration(position * 1000)} of ${formatDuration(duration * 1000)}`}
          min={0}
          max={Math.max(duration, 0.1)}
          step={0.1}
          value={Math.min(position, duration)}
          disabled={!playable}
          onChange={(e) => seek(Number(e.target.value))}
          className="w-full accent-brand-600"
        />
        <span className="flex justify-between text-[11px] text-stone-600">
          <span data-testid="audio-time">{formatDuration((playing || position > 0 ? position : duration) * 1000)}</span>
          {voice ? null : <span>{media.fileName ?? ''}</span>}
        </span>
      </div>
      {voice ? (
        <button
          type="button"
          data-testid="audio-speed"
          aria-label={`Playback speed ${speed}×`}
          onClick={() => setSpeed((s) => SPEEDS[(SPEEDS.indexOf(s) + 1) % SPEEDS.length]!)}
          className="shrink-0 rounded-full bg-black/10 px-2 py-0.5 text-xs font-medium text-stone-700"
        >
          {speed}×
        </button>
      ) : null}
      {src ? (
        <audio
          ref={audio}
          src={src}
          preload="metadata"
          onTimeUpdate={(e) => setPosition(e.currentTarget.currentTime)}
          onLoadedMetadata={(e) => Number.isFinite(e.currentTarget.duration) && setDuration(e.currentTarget.duration)}
          onEnded={() => {
            setPlaying(false);
            setPosition(0);
          }}
        />
      ) : null}
    </div>
  );
}
