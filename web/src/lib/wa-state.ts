// WhatsApp session states in plain words. The cause (a stable code from the slice) says why a
// session is not READY; the words are for a business owner, the technical detail follows them.
import type { WaCause, WaState, WaStatus } from '../api/types.ts';

export interface StateWords {
  title: string;
  tone: 'neutral' | 'progress' | 'good' | 'warn' | 'bad';
  hint: string;
}

const RESTARTING = 'We restart it by ourselves and keep your login: no need to scan again.';

/** One entry per cause (slice/wa/types.ts WA_CAUSES); the type makes a missing one a build error. */
const CAUSE_WORDS: Record<WaCause, StateWords> = {
  unreachable: {
    title: 'Cannot reach WhatsApp',
    tone: 'warn',
    hint: 'Our server cannot reach WhatsApp right now (a network problem on its side or on WhatsApp’s). We keep trying by ourselves; there is nothing to do on your phone.',
  },
  tls: {
    title: 'Cannot reach WhatsApp',
    tone: 'warn',
    hint: 'The secure connection from our server to WhatsApp failed. We keep trying by ourselves; if it lasts, tell us.',
  },
  timeout: {
    title: 'WhatsApp is slow to answer',
    tone: 'warn',
    hint: 'WhatsApp did not answer our server in time. We keep trying by ourselves.',
  },
  ready_timeout: {
    title: 'Reconnecting',
    tone: 'progress',
    hint: `Your number is linked, but WhatsApp did not finish loading your chats. ${RESTARTING}`,
  },
  page_hung: { title: 'Reconnecting', tone: 'progress', hint: `WhatsApp stopped answering on our server. ${RESTARTING}` },
  page_crashed: { title: 'Reconnecting', tone: 'progress', hint: `WhatsApp closed unexpectedly on our server. ${RESTARTING}` },
  page_closed: { title: 'Reconnecting', tone: 'progress', hint: `WhatsApp closed unexpectedly on our server. ${RESTARTING}` },
  detached_frame: { title: 'Reconnecting', tone: 'progress', hint: `WhatsApp reloaded itself on our server. ${RESTARTING}` },
  browser_crashed: { title: 'Reconnecting', tone: 'progress', hint: `The browser WhatsApp runs in on our server stopped. ${RESTARTING}` },
  memory_ceiling: { title: 'Reconnecting', tone: 'progress', hint: `WhatsApp was using too much memory on our server. ${RESTARTING}` },
  escaped_error: { title: 'Reconnecting', tone: 'progress', hint: `WhatsApp hit an error on our server. ${RESTARTING}` },
  auth_failure: {
    title: 'Link again',
    tone: 'warn',
    hint: 'WhatsApp no longer accepts the saved login. Scan the code with your phone to link your number again.',
  },
  phone_unlinked: {
    title: 'Unlinked from your phone',
    tone: 'warn',
    hint: 'This device was removed from WhatsApp on your phone (Linked devices). Scan the new code to link it again; your chats and notes here are kept.',
  },
  user_logout: { title: 'Logged out', tone: 'warn', hint: 'WhatsApp was logged out from here. Scan the code to link your number again.' },
  browser_missing: {
    title: 'Server problem',
    tone: 'bad',
    hint: 'Our server is missing the browser WhatsApp runs in. This is on our side: tell your operator.',
  },
  start_failed: { title: 'Could not start', tone: 'bad', hint: 'WhatsApp could not start on our server. We retry by ourselves.' },
};

const withDetail = (hint: string, detail?: string | null) => (detail ? `${hint} (${detail})` : hint);

export function describeWaState(state: WaState | null | undefined, detail?: string | null, cause?: WaCause | null): StateWords {
  // A cause the app does not know yet (a newer slice) falls back to the state's words.
  const byCause = state !== 'READY' && state !== 'QR' && cause ? CAUSE_WORDS[cause] : undefined;
  if (byCause) return { ...byCause, hint: withDetail(byCause.hint, detail) };
  switch (state) {
    case 'STARTING':
      return { title: 'Starting', tone: 'progress', hint: 'Opening WhatsApp Web for you. This takes a few seconds.' };
    case 'QR':
      return { title: 'Waiting for scan', tone: 'progress', hint: 'Scan the code with WhatsApp on your phone.' };
    case 'AUTHENTICATING':
      return { title: 'Syncing', tone: 'progress', hint: 'Linked. Loading your chats and messages…' };
    case 'READY':
      return { title: 'Connected', tone: 'good', hint: 'WhatsApp is linked and up to date.' };
    case 'DISCONNECTED':
      return { title: 'Phone offline', tone: 'warn', hint: detail ? `Your phone is not reachable: ${detail}` : 'Your phone is not reachable. Keep it online and connected.' };
    case 'LOGGED_OUT':
      return { title: 'Logged out', tone: 'warn', hint: detail ? `WhatsApp was unlinked: ${detail}` : 'WhatsApp was unlinked. Link it again to continue.' };
    case 'FAILED':
      return { title: 'Failed', tone: 'bad', hint: detail ? `Failed: ${detail}` : 'The WhatsApp session failed for an unknown reason.' };
    default:
      return { title: 'Not linked', tone: 'neutral', hint: 'Link your WhatsApp number to start.' };
  }
}

/** Set while the number stays unlinked after a logout (from the phone, or here): the banner's text. */
export function unlinkedNotice(status: WaStatus | null | undefined, formatTime: (iso: string) => string): string | null {
  const logout = status?.lastLogout;
  if (!logout || status?.state === 'READY') return null;
  const when = formatTime(logout.at);
  return logout.by === 'phone'
    ? `WhatsApp was unlinked from your phone on ${when}. Messages are not coming in: scan the new code to link your number again.`
    : `WhatsApp was logged out from here on ${when}. Scan the code to link your number again.`;
}
