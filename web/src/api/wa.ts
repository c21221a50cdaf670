// The WhatsApp session of the slice.
import { api } from './http.ts';
import type { WaStatus } from './types.ts';

export function getWa(signal?: AbortSignal): Promise<WaStatus> {
  return api<WaStatus>('/api/wa', { signal });
}

export function logoutWa(): Promise<void> {
  return api<void>('/api/wa/logout', { method: 'POST' });
}

/** A fresh QR code: the slice starts its browser again (202 with the state, STARTING). */
export function reloadQr(): Promise<WaStatus> {
  return api<WaStatus>('/api/wa/reload-qr', { method: 'POST' });
}

export function requestPairingCode(phoneNumber: string): Promise<{ code: string }> {
  return api<{ code: string }>('/api/wa/pairing-code', { method: 'POST', body: { phoneNumber } });
}
