// The side of attention that touches the browser: a short beep (WebAudio) and a desktop
// notification (the Notification API; permission is asked only from a button in Settings). The
// rules of which message alerts are lib/attention.ts.
import type { QueryClient } from '@tanstack/react-query';
import { keys } from '../api/keys.ts';
import type { Me, Message } from '../api/types.ts';
import { shouldAlert } from '../lib/attention.ts';
import { displayName } from '../lib/phone.ts';
import { parseWhatsApp, plainText } from '../lib/wa-format.ts';
import { findCachedChat } from './apply.ts';

export interface AlertPrefs {
  sound: boolean;
  desktop: boolean;
}

const PREFS_KEY = 'queunir.alerts';

export function readPrefs(): AlertPrefs {
  try {
    const raw = JSON.parse(localStorage.getItem(PREFS_KEY) ?? '{}') as Partial<AlertPrefs>;
    return { sound: raw.sound ?? true, desktop: raw.desktop ?? false };
  } catch {
    return { sound: true, desktop: false };
  }
}

export function writePrefs(prefs: AlertPrefs): void {
  localStorage.setItem(PREFS_KEY, JSON.stringify(prefs));
}

export function notificationsSupported(): boolean {
  return typeof window !== 'undefined' && 'Notification' in window;
}

/** Asked from the Settings button only (browsers refuse, or nag, when asked on load). */
export async function askNotificationPermission(): Promise<NotificationPermission> {
  if (!notificationsSupported()) return 'denied';
  const result = await Notification.requestPermission();
  writePrefs({ ...readPrefs(), desktop: result === 'granted' });
  return result;
}

let audio: AudioContext | null = null;

/** Two short soft tones; silent where audio is unavailable or not yet allowed by the browser. */
export function playBeep(): void {
  try {
    const Ctx = window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
    if (!Ctx) return;
    audio ??= new Ctx();
    const t = audio.currentTime;
    for (const [i, freq] of [880, 1320].entries()) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, t + i * 0.09);
      gain.gain.exponentialRampToValueAtTime(0.15, t + i * 0.09 + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + i * 0.09 + 0.08);
      osc.connect(gain).connect(audio.destination);
      osc.start(t + i * 0.09);
      osc.stop(t + i * 0.09 + 0.09);
    }
  } catch {
    /* no sound is better than an error */
  }
}

/** Swapped in tests; the real ones above otherwise. */
export const alertOutputs = {
  beep: playBeep,
  notify(title: string, body: string, tag: string, onClick: () => void): void {
    const n = new Notification(title, { body, tag });
    n.onclick = () => {
      window.focus();
      onClick();
      n.close();
    };
  },
};

// An event replayed after a reconnect must not ring twice.
const seen: string[] = [];

export function alertNewMessage(qc: QueryClient, msg: Message, ctx: { openChatId: string | null; openChat: (chatId: string) => void }): boolean {
  if (seen.includes(msg.id)) return false;
  seen.push(msg.id);
  if (seen.length > 200) seen.shift();
  const chat = findCachedChat(qc, msg.chatId);
  const me = qc.getQueryData<Me>(keys.me);
  const visible = typeof document === 'undefined' || document.visibilityState === 'visible';
  if (!shouldAlert(msg, chat, { meId: me?.member?.id ?? me?.user.id ?? null, openChatId: ctx.openChatId, visible })) return false;
  const prefs = readPrefs();
  if (prefs.sound) alertOutputs.beep();
  if (prefs.desktop && notificationsSupported() && Notification.permission === 'granted') {
    const title = chat ? displayName(chat.name) : (msg.author ?? 'New message');
    const body = msg.body ? plainText(parseWhatsApp(msg.body)).slice(0, 140) : 'New message';
    alertOutputs.notify(title, body, `chat-${msg.chatId}`, () => ctx.openChat(msg.chatId));
  }
  return true;
}
