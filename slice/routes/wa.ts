// The WhatsApp connection as the CRM sees it: state and QR, a fresh QR, logout, pairing by phone number.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AppError } from '../../lib/errors.ts';
import { WaShape } from '../store/shapes.ts';
import { ADMIN } from './common.ts';

const wa: FastifyPluginAsyncTypebox = async (app) => {
  const current = () => {
    const s = app.session.status();
    return { state: s.state, qr: s.qr, since: s.since, detail: s.detail, cause: s.cause, lastLogout: s.lastLogout };
  };

  app.get('/wa', { config: { minRole: 'agent', scope: 'read' }, schema: { response: { 200: WaShape } } }, async () => current());

  app.post('/wa/logout', { config: { ...ADMIN, scope: 'session' }, schema: { response: { 202: WaShape } } }, async (_req, reply) => {
    await app.session.logout();
    return reply.status(202).send(current());
  });

  // The QR code expired and no new one came: start the browser again for a fresh one.
  app.post('/wa/reload-qr', { config: { ...ADMIN, scope: 'session' }, schema: { response: { 202: WaShape } } }, async (_req, reply) => {
    await app.session.reloadQr();
    return reply.status(202).send(current());
  });

  app.post(
    '/wa/pairing-code',
    {
      config: { ...ADMIN, scope: 'session' },
      schema: {
        body: Type.Object(
          { phoneNumber: Type.String({ pattern: '^\\+?[0-9]{7,15}$', description: 'international number, digits only, e.g. +5511987654321' }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ code: Type.String() }) },
      },
    },
    async (req) => {
      const state = app.session.status().state;
      if (state !== 'QR') throw new AppError('WA_QR_NOT_SHOWN', `a pairing code can be asked for only while the QR is shown (state ${state})`);
      return { code: await app.session.requestPairingCode(req.body.phoneNumber.replace(/^\+/, '')) };
    },
  );
};

export default wa;
