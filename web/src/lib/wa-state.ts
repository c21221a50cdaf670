// WhatsApp session states in plain words.
import type { WaState } from '../api/types.ts';

export interface StateWords {
  title: string;
  tone: 'neutral' | 'progress' | 'good' | 'warn' | 'bad';
  hint: string;
}

export function describeWaState(state: WaState | null | undefined, detail?: string | null): StateWords {
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
