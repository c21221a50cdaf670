// Schema pieces shared by the CRM routes.
import { Type } from '@sinclair/typebox';
import type { ActingMember } from '../../lib/acting-member.ts';
import { AppError } from '../../lib/errors.ts';

export const IdParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) }, { additionalProperties: false });
export const Limit = (def = 50, max = 200) => Type.Integer({ minimum: 1, maximum: max, default: def });
export const Cursor = Type.String({ minLength: 1, maxLength: 512 });
export const Color = Type.String({ pattern: '^#[0-9a-fA-F]{6}$', description: 'a colour like #0ea5e9' });

export function notFound(what: string, id: number | string): AppError {
  return new AppError('NOT_FOUND', `${what} ${id} not found`);
}

/** Routes that shape the workspace (labels, stages, the WhatsApp link): admins and owners. */
export const ADMIN = { minRole: 'admin' as const };

/** Who a send is recorded as: the acting member; the system sends as nobody. */
export function sentByOf(actor: ActingMember | null) {
  return actor ? { memberId: actor.id, name: actor.name } : null;
}

/** A send needs WhatsApp connected: else SLICE_NOT_CONNECTED, and nothing is queued. */
export function requireReady(session: { status(): { state: string } }): void {
  const state = session.status().state;
  if (state !== 'READY') throw new AppError('SLICE_NOT_CONNECTED', `WhatsApp is not connected (state ${state}): nothing was sent`);
}
